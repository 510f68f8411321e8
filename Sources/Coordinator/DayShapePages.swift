// The town page's day-shape parts at the coordinator (issue 20): the town's profile against the
// peers' band, the findings, and the "% of normal" heat strip, from the same figures and rows
// the API serves.
import Federation
import Indicators
import Reports

extension DayShapeNetwork {
    /// Days the heat strip shows at most (two months).
    static let stripDays = 62

    /// The zone kind a town's page shows: the one with the most days of data (ties by name).
    static func mainZoneKind(_ shapes: [NetworkFigures.ZoneKindShape]) -> String? {
        shapes.max { a, b in
            let da = a.types.reduce(0) { $0 + $1.days }, db = b.types.reduce(0) { $0 + $1.days }
            return da != db ? da < db : a.zoneKind > b.zoneKind
        }?.zoneKind
    }

    /// The peers' published figures for a zone kind, per day type.
    static func peers(_ figures: NetworkFigures, zoneKind: String) -> [ShapeDayType: PeerDayShape] {
        var out: [ShapeDayType: PeerDayShape] = [:]
        for b in figures.dayShapeBands ?? [] where b.zoneKind == zoneKind {
            out[b.dayType] = PeerDayShape(band: b.band, closedShare: b.closedShare, lunchShare: b.lunchShare, eveningShare: b.eveningShare)
        }
        return out
    }

    /// Fills `report`'s hourly rows and findings from `figures` for `town`, and its heat strip
    /// from the town's zone rows of the page's zone kind (`zoneHours` must reach 16 weeks before
    /// the period); `zoneDays` give the event days that are no reference days.
    static func fill(_ report: inout TownReport, figures: NetworkFigures, town: String, zoneHours: [ZoneHourRow],
                     zoneDays: [ZoneDayRow]) throws {
        guard let own = figures.towns.first(where: { $0.town == town })?.dayShape, let kind = mainZoneKind(own),
              let shape = own.first(where: { $0.zoneKind == kind }) else { return }
        report.dayShapeZoneKind = kind
        report.hourly = HourlyComparison.dayShape(town: shape.result, peers: peers(figures, zoneKind: kind))
        report.findings = DayShape.findings(town: shape.result, peers: peerMedians(figures, zoneKind: kind))
        let range = figures.period.range
        let rows = zoneHours.filter { $0.townID == town && $0.zoneKind == kind && $0.measure == measure }
        let zones = Array(Set(rows.map(\.zoneID))).sorted()
        guard !zones.isEmpty else { return }
        let first = range.lowerBound + (-7 * PercentOfNormal.lookbackWeeks)
        let index = Dictionary(uniqueKeysWithValues: zones.enumerated().map { ($1, $0) })
        var panel = try HourlyPanel(firstDay: first, dayCount: first.distance(to: range.upperBound) + 1, sensorCount: zones.count)
        for row in rows where (first...range.upperBound).contains(DayNumber(row.day)) {
            guard let r = index[row.zoneID] else { continue }
            let values = row.hours.map { v -> Double in
                guard let v, v.isFinite, v >= 0 else { return 0 }
                return v
            }
            try panel.set(sensor: r, day: DayNumber(row.day), hours: values, isValid: values.reduce(0, +) > 0)
        }
        let excluded = Set(zoneDays.filter { $0.townID == town && index[$0.zoneID] != nil
            && $0.events.contains { NetworkIndicators.kind($0.kind).excludesBaselineDay } }.map { DayNumber($0.day) })
        // A long period shows its last ``stripDays`` days (a year would be 8,784 cells).
        let stripFirst = max(range.lowerBound, range.upperBound + (1 - stripDays))
        report.percentOfNormal = try PercentOfNormal.compute(panel: panel, sensors: Array(zones.indices), period: stripFirst...range.upperBound,
                                                              excludedDays: excluded)
    }
}
