// The shape of the day across towns (issue 20): the hourly zone totals the coordinator extracts
// from each payload, and the peers' day profile computed from them with `Indicators.DayShape`.
public import Federation
public import Indicators

/// One zone's 24 local-hour totals of one measure on one day, with the zone's open hours that day.
///
/// Why stored per zone and not per sensor: the payload carries hourly values per zone and measure
/// (PROTOCOL.md §4.2); the day shape compares zone kinds across towns, never single sensors.
public struct ZoneHourRow: Sendable, Hashable {
    public var townID: String
    public var zoneID: String
    public var zoneKind: String
    public var day: Int
    public var measure: String
    /// 24 values, nil where the payload had none.
    public var hours: [Double?]
    /// 24 flags from the zone's `openingHours` (an hour with ≥ 30 open minutes), or nil.
    public var openHours: [Bool]?

    public init(townID: String, zoneID: String, zoneKind: String, day: Int, measure: String, hours: [Double?], openHours: [Bool]?) {
        self.townID = townID
        self.zoneID = zoneID
        self.zoneKind = zoneKind
        self.day = day
        self.measure = measure
        self.hours = hours
        self.openHours = openHours
    }
}

extension PayloadRows {
    /// The hourly rows of a payload: each measure-day with `hourly` values and no suppressed
    /// hour. A suppressed hour leaves the whole day out (its shares would be wrong), and since the
    /// cell still supersedes an earlier submission's, an older row never stands in for it.
    static func zoneHours(_ payload: AggregatePayload) -> [ZoneHourRow] {
        var out: [ZoneHourRow] = []
        for zone in payload.zones {
            let schedule = zone.openingHours?.schedule()
            for day in zone.days {
                guard let dayNumber = try? DayNumber(iso: day.date) else { continue }  // validated by the check
                let open = schedule.map { $0.openHours(on: dayNumber) }
                for measure in day.measures where measure.suppressedHours.isEmpty {
                    guard let hourly = measure.hourly, hourly.count == 24, hourly.contains(where: { $0 != nil }) else { continue }
                    out.append(ZoneHourRow(townID: payload.townId, zoneID: zone.zoneId, zoneKind: zone.zoneKind, day: dayNumber.rawValue,
                                           measure: measure.measure, hours: hourly, openHours: open))
                }
            }
        }
        return out
    }
}

/// How both stores keep a row's hours: text, so a row reads the same in SQLite and PostgreSQL.
enum ZoneHourStorage {
    /// 24 comma-separated values (Swift's shortest round-trip spelling), empty for nil.
    static func hoursText(_ hours: [Double?]) -> String {
        hours.map { $0.map { "\($0)" } ?? "" }.joined(separator: ",")
    }

    static func hours(_ text: String) throws -> [Double?] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == 24 else {
            throw CoordinatorError(.storage, "A stored zone_hours row has \(parts.count) hours, not 24; the store is damaged.")
        }
        return try parts.map { part in
            guard !part.isEmpty else { return nil }
            guard let v = Double(part), v.isFinite else {
                throw CoordinatorError(.storage, "A stored zone_hours value '\(part.prefix(20))' is not a number; the store is damaged.")
            }
            return v
        }
    }

    /// 24 characters `0`/`1`, or nil.
    static func openText(_ open: [Bool]?) -> String? { open.map { String($0.map { $0 ? "1" : "0" }) } }

    static func open(_ text: String?) -> [Bool]? {
        guard let text, text.utf8.count == 24 else { return nil }
        return text.utf8.map { $0 == UInt8(ascii: "1") }
    }
}

/// The network's day-shape figures from zone hours: each town's shape per zone kind, and per
/// zone kind and day type the peers' band under the publishing rule.
///
/// Why a zone kind: a car park and a shopping street have different days; like places compare
/// with like (as the conversion benchmark). A town's zones of one kind are the panel's rows.
public enum DayShapeNetwork {
    /// The measure whose day is compared.
    public static let measure = NetworkIndicators.footfallMeasure

    /// The days whose hourly rows a computation over `conversionDays` (the period, or a page's
    /// whole load) reads: those days and the 16 weeks before them ("% of normal"), within `days`.
    /// Why not all of `days`: they reach a year back for the footfall index's lag, and the hourly
    /// rows cost 24 values each.
    static func hourDays(days: ClosedRange<Int>, conversionDays: ClosedRange<Int>) -> ClosedRange<Int> {
        let first = max(days.lowerBound, conversionDays.lowerBound - 7 * PercentOfNormal.lookbackWeeks)
        return min(first, days.upperBound)...days.upperBound
    }

    /// Each town's shapes (keyed by town, sorted by zone kind) and the network's bands and ratios.
    public static func compute(zoneHours: [ZoneHourRow], zoneDays: [ZoneDayRow], period: DayPeriod) throws
        -> (towns: [String: [NetworkFigures.ZoneKindShape]], bands: [NetworkFigures.DayShapeBand],
            ratios: [NetworkFigures.DayShapeRatios]) {
        let range = period.range
        let rows = zoneHours.filter { $0.measure == measure && range.contains(DayNumber($0.day)) }
        var schoolDays: [String: Set<Int>] = [:]
        for z in zoneDays where z.schoolHoliday { schoolDays[z.townID, default: []].insert(z.day) }
        struct Key: Hashable {
            var town: String
            var kind: String
        }
        var shapes: [Key: DayShape.Result] = [:]
        for (key, group) in Dictionary(grouping: rows, by: { Key(town: $0.townID, kind: $0.zoneKind) }) {
            let zones = Array(Set(group.map(\.zoneID))).sorted()
            let index = Dictionary(uniqueKeysWithValues: zones.enumerated().map { ($1, $0) })
            var panel = try HourlyPanel(firstDay: range.lowerBound, dayCount: range.lowerBound.distance(to: range.upperBound) + 1,
                                        sensorCount: zones.count)
            // Open hours per day: an hour is open when it is open in more than half of the zones that have hours.
            var openVotes: [Int: (zones: Int, open: [Int])] = [:]
            for row in group {
                guard let r = index[row.zoneID] else { continue }
                // Intake bounded every value; a stored one that is not finite or negative counts as no data.
                let values = row.hours.map { v -> Double in
                    guard let v, v.isFinite, v >= 0 else { return 0 }
                    return v
                }
                try panel.set(sensor: r, day: DayNumber(row.day), hours: values, isValid: values.reduce(0, +) > 0)
                if let open = row.openHours {
                    var vote = openVotes[row.day] ?? (0, Array(repeating: 0, count: 24))
                    vote.zones += 1
                    for h in 0..<24 where open[h] { vote.open[h] += 1 }
                    openVotes[row.day] = vote
                }
            }
            var schedule: OpeningSchedule?
            if !openVotes.isEmpty {
                var exceptions: [DayNumber: [Range<Int>]] = [:]
                for (day, vote) in openVotes {
                    exceptions[DayNumber(day)] = (0..<24).filter { 2 * vote.open[$0] > vote.zones }.map { ($0 * 60)..<($0 * 60 + 60) }
                }
                schedule = OpeningSchedule(exceptions: exceptions)
            }
            let holidays = SchoolHolidays(periods: (schoolDays[key.town] ?? []).map { DayNumber($0)...DayNumber($0) })
            // Days without open hours (no schedule sent for them) must not count as "closed all day".
            let result = try DayShape.compute(panel: panel, sensors: Array(zones.indices), period: range, schedule: schedule,
                                              schoolHolidays: holidays)
            shapes[key] = openVotes.count == Set(group.map(\.day)).count ? result : withoutClosedShare(result)
        }
        var towns: [String: [NetworkFigures.ZoneKindShape]] = [:]
        for key in shapes.keys.sorted(by: { ($0.town, $0.kind) < ($1.town, $1.kind) }) {
            guard let r = shapes[key] else { continue }
            towns[key.town, default: []].append(NetworkFigures.ZoneKindShape(
                zoneKind: key.kind, types: r.types, saturdayVsWeekday: finite(r.saturdayVsWeekday), sundayVsWeekday: finite(r.sundayVsWeekday)))
        }
        var bands: [NetworkFigures.DayShapeBand] = []
        var ratios: [NetworkFigures.DayShapeRatios] = []
        let kinds = Set(shapes.keys.map(\.kind)).sorted()
        for kind in kinds {
            let members = shapes.filter { $0.key.kind == kind }.sorted { $0.key.town < $1.key.town }.map(\.value)
            for type in ShapeDayType.allCases {
                var contributions: [DayShape.Contribution] = []
                var closed: [Double] = [], lunch: [Double] = [], evening: [Double] = []
                for m in members {
                    guard let t = m[type], let shares = t.shares else { continue }
                    contributions.append(.init(shares: shares, weight: m.meanDailyTotal[type] ?? 0))
                    if let v = t.closedShare { closed.append(v) }
                    if let v = t.lunchShare { lunch.append(v) }
                    if let v = t.eveningShare { evening.append(v) }
                }
                guard !contributions.isEmpty else { continue }
                let band = DayShape.peerBand(contributions, minimumTowns: NetworkIndicators.minimumTowns)
                let published = band.publication == PublishingRule.Verdict.publish.rawValue
                func median(_ values: [Double]) -> Double? {
                    published && values.count >= NetworkIndicators.minimumTowns ? finite(IndicatorMath.median(values)) : nil
                }
                bands.append(NetworkFigures.DayShapeBand(
                    zoneKind: kind, dayType: type, band: band, closedShare: median(closed), lunchShare: median(lunch),
                    eveningShare: median(evening)))
            }
            let saturday = members.compactMap { $0.saturdayVsWeekday }, sunday = members.compactMap { $0.sundayVsWeekday }
            let weights = members.compactMap { $0.meanDailyTotal[.weekday] }
            let verdict = PublishingRule.verdict(contributions: weights, minimumContributors: NetworkIndicators.minimumTowns)
            func median(_ values: [Double]) -> Double? {
                verdict == .publish && values.count >= NetworkIndicators.minimumTowns ? finite(IndicatorMath.median(values)) : nil
            }
            ratios.append(NetworkFigures.DayShapeRatios(zoneKind: kind, towns: weights.count, publication: verdict.rawValue,
                                                        saturdayVsWeekday: median(saturday), sundayVsWeekday: median(sunday)))
        }
        return (towns, bands, ratios)
    }

    /// Adds the day shape to `figures` (its towns' own shapes, the bands and ratios, the catalogue entry).
    static func add(to figures: inout NetworkFigures, zoneHours: [ZoneHourRow], zoneDays: [ZoneDayRow]) throws {
        let shape = try compute(zoneHours: zoneHours, zoneDays: zoneDays, period: figures.period)
        guard !shape.towns.isEmpty else { return }
        figures.indicators[DayShape.id] = DayShape.version
        for i in figures.towns.indices { figures.towns[i].dayShape = shape.towns[figures.towns[i].town] }
        figures.dayShapeBands = shape.bands
        figures.dayShapeRatios = shape.ratios
    }

    /// The catalogue id the figures name when they carry the day shape.
    static let catalogueID = DayShape.id

    /// `figures` without any day-shape part (as computed before issue 20).
    static func removed(from figures: NetworkFigures) -> NetworkFigures {
        var out = figures
        out.indicators[DayShape.id] = nil
        out.dayShapeBands = nil
        out.dayShapeRatios = nil
        for i in out.towns.indices { out.towns[i].dayShape = nil }
        return out
    }

    static func withoutClosedShare(_ r: DayShape.Result) -> DayShape.Result {
        var r = r
        for i in r.types.indices {
            r.types[i].closedShare = nil
            r.types[i].usualClosingHour = nil
            r.types[i].usualOpeningHour = nil
        }
        return r
    }

    static func finite(_ v: Double?) -> Double? { NetworkIndicators.finite(v) }

    /// The peers' medians of a zone kind in the shape ``DayShape/findings(town:peers:)`` reads.
    public static func peerMedians(_ figures: NetworkFigures, zoneKind: String) -> [DayShape.Measure: [ShapeDayType?: Double]] {
        var out: [DayShape.Measure: [ShapeDayType?: Double]] = [:]
        for b in figures.dayShapeBands ?? [] where b.zoneKind == zoneKind {
            if let v = b.closedShare { out[.closedShare, default: [:]][b.dayType] = v }
            if let v = b.lunchShare { out[.lunchShare, default: [:]][b.dayType] = v }
            if let v = b.eveningShare { out[.eveningShare, default: [:]][b.dayType] = v }
        }
        for r in figures.dayShapeRatios ?? [] where r.zoneKind == zoneKind {
            if let v = r.saturdayVsWeekday { out[.saturdayVsWeekday, default: [:]][nil] = v }
            if let v = r.sundayVsWeekday { out[.sundayVsWeekday, default: [:]][nil] = v }
        }
        return out
    }
}
