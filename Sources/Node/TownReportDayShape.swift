import Foundation
internal import Federation
import Indicators
import Reports

extension NodeStore {
    /// Fills the town page's day shape (issue 20): the town's profile (the coordinator's figure for
    /// it when the report has one, else computed here over the same zone kind's street sensors with
    /// the imported opening hours), the peers' band and findings from the verified report, and the
    /// "% of normal" heat strip from the node's own hourly data.
    func fillDayShape(_ page: inout TownReport, report: NetworkReport?, from: DayNumber, to: DayNumber) throws {
        let streets = try sensors().filter { $0.kind == .pedestrian }
        guard !streets.isEmpty else { return }
        let ownFigures = report?.figures.towns.first { $0.town == settings.town }?.dayShape
        // The zone kind with the most street sensors (the report's, when it names the town's shape).
        let counts = Dictionary(grouping: streets, by: \.zoneKind).mapValues(\.count)
        let kind = ownFigures.flatMap { shapes in
            shapes.max { ($0.types.reduce(0) { $0 + $1.days }, $1.zoneKind) < ($1.types.reduce(0) { $0 + $1.days }, $0.zoneKind) }?.zoneKind
        } ?? counts.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key
        guard let kind else { return }
        let kindSensors = streets.filter { $0.zoneKind == kind }
        var own = ownFigures?.first { $0.zoneKind == kind }?.result
        if own == nil, !kindSensors.isEmpty {
            var schedule: OpeningSchedule?
            for zone in Set(kindSensors.map(\.zone)).sorted() where schedule == nil { schedule = try openingSchedule(zone: zone) }
            let panel = try hourlyPanel(sensors: kindSensors, measure: .pedestrians, days: from...to)
            own = try DayShape.compute(panel: panel, sensors: Array(kindSensors.indices), period: from...to, schedule: schedule,
                                       schoolHolidays: try schoolHolidays())
        }
        var peers: [ShapeDayType: PeerDayShape] = [:]
        var peerMedians: [DayShape.Measure: [ShapeDayType?: Double]] = [:]
        for b in report?.figures.dayShapeBands ?? [] where b.zoneKind == kind {
            peers[b.dayType] = PeerDayShape(band: b.band, closedShare: b.closedShare, lunchShare: b.lunchShare, eveningShare: b.eveningShare)
            if let v = b.closedShare { peerMedians[.closedShare, default: [:]][b.dayType] = v }
            if let v = b.lunchShare { peerMedians[.lunchShare, default: [:]][b.dayType] = v }
            if let v = b.eveningShare { peerMedians[.eveningShare, default: [:]][b.dayType] = v }
        }
        for r in report?.figures.dayShapeRatios ?? [] where r.zoneKind == kind {
            if let v = r.saturdayVsWeekday { peerMedians[.saturdayVsWeekday, default: [:]][nil] = v }
            if let v = r.sundayVsWeekday { peerMedians[.sundayVsWeekday, default: [:]][nil] = v }
        }
        page.dayShapeZoneKind = kind
        let rows = HourlyComparison.dayShape(town: own, peers: peers)
        if !rows.isEmpty { page.hourly = rows }
        if let own { page.findings = DayShape.findings(town: own, peers: peerMedians) }
        // % of normal over every street sensor of the kind, with the 16 weeks before the period.
        let first = from + (-7 * PercentOfNormal.lookbackWeeks)
        let history = try hourlyPanel(sensors: kindSensors, measure: .pedestrians, days: first...to)
        let zones = Set(kindSensors.map(\.zone))
        let excluded = Set(try events().filter { zones.contains($0.zone) && (EventKind(rawValue: $0.kind) ?? .event).excludesBaselineDay }
            .flatMap(\.days))
        // A long period shows its last 62 days, as at the coordinator (a year would be 8,784 cells).
        page.percentOfNormal = try PercentOfNormal.compute(panel: history, sensors: Array(kindSensors.indices),
                                                            period: max(from, to + (1 - 62))...to, excludedDays: excluded)
    }
}
