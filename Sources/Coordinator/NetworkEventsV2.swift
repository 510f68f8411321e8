public import Federation
import Indicators

/// event-uplift v2 at the coordinator (issue 18): each event's own whole-day uplift and its
/// peer-adjusted form, each with its calibrated interval (catalogue `Indicators/event-uplift-v2.md`,
/// "Peer-adjusted form (coordinator)").
///
/// Why a module of its own: v2 reads 812 days before the period (a year of calibration
/// placements, each with 12 weeks of baseline and the same weeks a year earlier), and its cost is
/// in the ratio series: each town's series is computed once per window length and serves as the
/// town's own calibration and as a peer of every other town; the peers' median per day is
/// precomputed once. 300 towns × 2 events a month is then ~600 small lookups per calibration day,
/// not a pass over every peer's 364 days per event.
public enum NetworkEventsV2 {
    /// The intervals' level at the coordinator.
    public static let level = EventUpliftV2.defaultLevel
    /// Days read before the period: 364 days of calibration placements, each with its 12 weeks of
    /// baseline and that baseline a year (364 days) earlier.
    public static let historyDays = 2 * EventUpliftV2.calibrationLookbackDays + 7 * EventUplift.lookbackWeeks

    /// The days the v2 figures read for `period` (only needed when it has events).
    public static func loadDays(_ period: DayPeriod) -> ClosedRange<Int> {
        (period.range.lowerBound - historyDays).rawValue...period.range.upperBound.rawValue
    }

    /// Whether some zone has an event (of any kind) on a day of `period`: only then is the history read.
    public static func hasEvents(_ zoneDays: [ZoneDayRow], in period: DayPeriod) -> Bool {
        zoneDays.contains { !$0.events.isEmpty && period.range.contains(DayNumber($0.day)) }
    }

    /// A town's public holidays: its own `publicHoliday` flags for the years it flags any (a node
    /// outside Belgium imports its own), the Belgian calendar for the other years.
    static func holidays(_ zoneDays: [ZoneDayRow]) -> PublicHolidays {
        PublicHolidays(default: .belgian, imported: Array(Set(zoneDays.filter(\.publicHoliday).map { DayNumber($0.day) })))
    }

    /// What v2 needs of a town's zone days: its holidays, and its event, campaign and works days in
    /// any zone (the town as a peer) and per zone (a zone's own baselines). Why one type: the
    /// events' figures and each town's calibration (``NetworkCalibration``) must exclude alike.
    struct TownCalendar: Sendable {
        var holidays: PublicHolidays
        var excluded: Set<DayNumber> = []
        var byZone: [String: Set<DayNumber>] = [:]

        /// From one town's zone days.
        init(_ zoneDays: [ZoneDayRow]) {
            holidays = NetworkEventsV2.holidays(zoneDays)
            for zd in zoneDays where zd.events.contains(where: { NetworkIndicators.kind($0.kind).excludesBaselineDay }) {
                excluded.insert(DayNumber(zd.day))
                byZone[zd.zoneID, default: []].insert(DayNumber(zd.day))
            }
        }
    }

    /// One event to evaluate: its town, zone and whole-day window (from its first to its last
    /// day); `key` is the caller's.
    struct Event: Sendable {
        var key: String
        var town: String
        var zone: String
        var start: DayNumber
        var length: Int
        /// Whether every day from the first to the last is one of the event's (a window has no gaps).
        var isConsecutive: Bool

        /// `nil` without days.
        init?(key: String, town: String, zone: String, days: [DayNumber]) {
            guard let first = days.min(), let last = days.max() else { return nil }
            self.key = key
            self.town = town
            self.zone = zone
            start = first
            length = first.distance(to: last) + 1
            isConsecutive = Set(days).count == length
        }
    }

    typealias TownPanel = (panel: DailyPanel, sensors: [(zone: String, sensor: String)])

    /// v2 of every event, by `Event.key`. `panels`: each town's panel over ``loadDays(_:)``;
    /// `zoneDays`: the zone days over those days (events and public-holiday flags).
    static func compute(_ events: [Event], panels: [String: TownPanel], zoneDays: [ZoneDayRow],
                        level: Double = level) throws -> [String: NetworkFigures.EventV2] {
        guard !events.isEmpty else { return [:] }
        let towns = panels.keys.sorted()
        let zoneDaysByTown = Dictionary(grouping: zoneDays, by: \.townID)
        var calendars: [String: TownCalendar] = [:]
        for town in Set(towns + events.map(\.town)) { calendars[town] = TownCalendar(zoneDaysByTown[town] ?? []) }
        let calendar = calendars
        var results: [String: NetworkFigures.EventV2] = [:]
        // v2 evaluates one window of consecutive days; a weekly market recorded as one event is several.
        let usable = events.filter { $0.isConsecutive && $0.length <= EventWindow.maximumDays }
        for event in events where !event.isConsecutive || event.length > EventWindow.maximumDays {
            let reason = event.isConsecutive
                ? "the event spans \(event.length) days; v2 evaluates windows of at most \(EventWindow.maximumDays) days"
                : "the event's days are not consecutive; v2 evaluates one window of consecutive days: record each occurrence as its own event"
            results[event.key] = NetworkFigures.EventV2(level: level, reason: reason, peerReason: reason)
        }
        for length in Set(usable.map(\.length)).sorted() {
            let group = usable.filter { $0.length == length }
            guard let firstStart = group.map(\.start).min(), let lastStart = group.map(\.start).max() else { continue }
            let anchors = (firstStart - EventUpliftV2.calibrationLookbackDays)...lastStart
            // Every town's series once (its own calibration when the zone is the whole town, and a peer).
            let townSeries = try NetworkIndicators.parallelMap(towns.count) { t -> EventUpliftV2.RatioSeries? in
                guard let built = panels[towns[t]], built.panel.sensorCount > 0 else { return nil }
                return try EventUpliftV2.dailyRatios(
                    panel: built.panel, sensors: Array(0..<built.panel.sensorCount), length: length, anchors: anchors,
                    excludedDays: calendar[towns[t]]?.excluded ?? [], holidays: calendar[towns[t]]?.holidays ?? .belgian)
            }
            let seriesByTown = Dictionary(uniqueKeysWithValues: zip(towns, townSeries).compactMap { t, s in s.map { (t, $0) } })
            let peers = try EventUpliftV2.PeerRatios(townSeries.compactMap { $0 }, length: length, anchors: anchors)
            let figures = try NetworkIndicators.parallelMap(group.count) { i -> NetworkFigures.EventV2 in
                let event = group[i]
                let townHolidays = calendar[event.town]?.holidays ?? .belgian
                guard let built = panels[event.town] else {
                    return NetworkFigures.EventV2(level: level, reason: "the town has no footfall data", peerReason: "the town has no footfall data")
                }
                let rows = built.sensors.indices.filter { built.sensors[$0].zone == event.zone }
                guard !rows.isEmpty else {
                    return NetworkFigures.EventV2(level: level, reason: "the zone has no footfall sensors", peerReason: "the zone has no footfall sensors")
                }
                let excluded = calendar[event.town]?.byZone[event.zone] ?? []
                let own = seriesByTown[event.town]
                // The zone's series is the town's when the zone is the whole town with the same excluded days.
                let zone: EventUpliftV2.RatioSeries
                if let own, rows.count == built.panel.sensorCount, excluded == (calendar[event.town]?.excluded ?? []) {
                    zone = own
                } else {
                    zone = try EventUpliftV2.dailyRatios(
                        panel: built.panel, sensors: rows, length: length, anchors: anchors, excludedDays: excluded, holidays: townHolidays)
                }
                let start = event.start
                let placement = try EventUpliftV2.dailyEventRatio(
                    panel: built.panel, sensors: rows, length: length, start: start, excludedDays: excluded, holidays: townHolidays)
                let r = try EventUpliftV2.peerAdjusted(
                    start: start, eventRatio: placement.ratio, eventReason: placement.reason, zone: zone, peers: peers, town: own,
                    holidays: townHolidays, level: level)
                return figure(r, level: level)
            }
            for (event, figure) in zip(group, figures) { results[event.key] = figure }
        }
        return results
    }

    /// The wire form; a figure that is not finite (an extreme input) is withheld with its interval.
    static func figure(_ r: EventUpliftV2.PeerAdjusted, level: Double) -> NetworkFigures.EventV2 {
        let finite = NetworkIndicators.finite
        return NetworkFigures.EventV2(
            level: level, uplift: finite(r.own.value), low: finite(r.own.low), high: finite(r.own.high),
            calibrationDays: r.own.calibrationDays, minimumDetectableUplift: finite(r.own.minimumDetectableUplift), reason: r.own.reason,
            peerAdjusted: finite(r.peerAdjusted.value), peerAdjustedLow: finite(r.peerAdjusted.low),
            peerAdjustedHigh: finite(r.peerAdjusted.high), peers: r.peers, peerCalibrationDays: r.peerAdjusted.calibrationDays,
            peerMinimumDetectableUplift: finite(r.peerAdjusted.minimumDetectableUplift), peerReason: r.peerAdjusted.reason)
    }

    /// `figures` as v1 computed them: no v2 block, `event-uplift` version 1. Why: a report
    /// published before v2 existed recomputes byte for byte (``ReportRecompute``).
    public static func removed(from figures: NetworkFigures) -> NetworkFigures {
        var out = figures
        if out.indicators[EventUplift.id] != nil { out.indicators[EventUplift.id] = EventUplift.version }
        for t in out.towns.indices {
            guard let events = out.towns[t].events else { continue }
            out.towns[t].events = events.map { event in
                var e = event
                e.v2 = nil
                return e
            }
        }
        return out
    }
}
