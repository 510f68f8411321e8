import Foundation
public import Indicators

/// What `townbench-node indicators` computes: any catalogue indicator from the town's own raw
/// data, so a town can use the standard before it joins a network.
public struct IndicatorQuery: Sendable {
    public var indicator: String
    public var from: DayNumber?
    public var to: DayNumber?
    public var lag: Int = FootfallIndex.defaultLag
    public var zone: String?
    public var eventID: String?
    public var openingHours: OpeningHours?

    public init(indicator: String, from: DayNumber? = nil, to: DayNumber? = nil, lag: Int = FootfallIndex.defaultLag,
                zone: String? = nil, eventID: String? = nil, openingHours: OpeningHours? = nil) {
        self.indicator = indicator
        self.from = from
        self.to = to
        self.lag = lag
        self.zone = zone
        self.eventID = eventID
        self.openingHours = openingHours
    }
}

/// A computed indicator with its id, version and coverage; `--json` prints it as is.
public struct LocalIndicatorReport: Codable, Sendable {
    public struct Period: Codable, Sendable { public var from: DayNumber; public var to: DayNumber }
    public struct DailyIndex: Codable, Sendable { public var day: DayNumber; public var value: Double?; public var pairs: Int }
    public struct ZoneConversion: Codable, Sendable { public var zone: String; public var zoneKind: String; public var result: ConversionRate.Result }

    public var indicator: String
    public var version: Int
    public var town: String
    public var zone: String?
    public var period: Period?
    public var lag: Int?
    /// footfall-index: the whole period, and each day.
    public var footfallIndex: FootfallIndex.Result?
    public var daily: [DailyIndex]?
    /// event-uplift
    public var event: NodeStore.CalendarEvent?
    public var eventUplift: EventUplift.Result?
    /// conversion-rate, per zone
    public var conversion: [ZoneConversion]?
    /// hourly-profile, per day type
    public var hourlyProfile: [HourlyProfile.Profile]?
}

extension NodeStore {
    /// Computes one catalogue indicator locally. Throws `invalidArgument` for an unknown id, zone or event.
    public func computeIndicator(_ query: IndicatorQuery) throws -> LocalIndicatorReport {
        guard let entry = IndicatorCatalog.entry(id: query.indicator) else {
            throw NodeError(.invalidArgument, "unknown indicator '\(query.indicator)'; use one of: \(IndicatorCatalog.all.map(\.id).joined(separator: ", "))")
        }
        var sensors = try self.sensors()
        if let zone = query.zone {
            guard sensors.contains(where: { $0.zone == zone }) else {
                throw NodeError(.invalidArgument, "unknown zone '\(zone)'; `townbench-node status` lists the zones")
            }
            sensors = sensors.filter { $0.zone == zone }
        }
        var report = LocalIndicatorReport(indicator: entry.id, version: entry.version, town: settings.town, zone: query.zone)
        guard let range = try dataRange() else {
            throw NodeError(.invalidArgument, "the node holds no counts yet; import data first")
        }
        let to = query.to ?? range.upperBound
        let from = query.from ?? (to - 27)
        guard from <= to else { throw NodeError(.invalidArgument, "--from \(from) is after --to \(to)") }
        report.period = .init(from: from, to: to)

        switch entry.id {
        case FootfallIndex.id:
            guard query.lag > 0 else { throw NodeError(.invalidArgument, "--lag must be a positive number of days (364 or 7)") }
            let streets = sensors.filter { $0.kind == .pedestrian }
            let panel = try dailyPanel(rows: streets.map { ($0, .pedestrians) }, days: (from - query.lag)...to)
            report.lag = query.lag
            report.footfallIndex = try FootfallIndex.compute(panel: panel, period: from...to, lag: query.lag)
            let series = try FootfallIndex.dailySeries(panel: panel, lag: query.lag)
            report.daily = Array(from...to).map { day in
                let offset = day.rawValue - panel.firstDay.rawValue
                return .init(day: day, value: series.value(at: offset), pairs: Int(series.pairs[offset]))
            }
        case EventUplift.id:
            guard let eventID = query.eventID else { throw NodeError(.invalidArgument, "event-uplift needs --event EVENT_ID") }
            let events = try self.events()
            guard let event = events.first(where: { $0.id == eventID }) else {
                throw NodeError(.invalidArgument, "unknown event '\(eventID)'; import the calendar with `townbench-node import --format events`")
            }
            report.event = event
            report.zone = event.zone
            report.period = .init(from: event.days[0], to: event.days[event.days.count - 1])
            let zoneSensors = try self.sensors().filter { $0.zone == event.zone && $0.kind == .pedestrian }
            let days = (event.days[0] - 7 * EventUplift.lookbackWeeks)...event.days[event.days.count - 1]
            var excluded: Set<DayNumber> = []
            for other in events where other.zone == event.zone && (EventKind(rawValue: other.kind)?.excludesBaselineDay ?? false) {
                excluded.formUnion(other.days)
            }
            let panel: DailyPanel
            if let hours = event.hours {
                panel = try hourlyPanel(sensors: zoneSensors, measure: .pedestrians, days: days).dailyPanel(hours: hours)
            } else {
                panel = try dailyPanel(rows: zoneSensors.map { ($0, .pedestrians) }, days: days)
            }
            report.eventUplift = try EventUplift.compute(panel: panel, sensors: Array(zoneSensors.indices), eventDays: event.days,
                                                         excludedDays: excluded)
        case ConversionRate.id:
            let byName = Dictionary(try self.sensors().map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            var zones: [LocalIndicatorReport.ZoneConversion] = []
            for zone in Set(sensors.filter { $0.kind == .entries }.map(\.zone)).sorted() {
                let doors = sensors.filter { $0.kind == .entries && $0.zone == zone }
                let streets = Array(Set(doors.compactMap { $0.pairedStreetSensor.flatMap { byName[$0] } })).sorted { $0.name < $1.name }
                let rows: [(sensor: SensorInfo, measure: Measure)] = doors.map { ($0, .entries) } + streets.map { ($0, .pedestrians) }
                let panel = try dailyPanel(rows: rows, days: from...to)
                let pairs = doors.enumerated().map { index, door in
                    StorePair(door: index, street: door.pairedStreetSensor.flatMap { name in streets.firstIndex { $0.name == name } }.map { doors.count + $0 })
                }
                zones.append(.init(zone: zone, zoneKind: doors[0].zoneKind,
                                   result: try ConversionRate.compute(panel: panel, pairs: pairs, period: from...to)))
            }
            report.conversion = zones
        case HourlyProfile.id:
            let streets = sensors.filter { $0.kind == .pedestrian }
            let panel = try hourlyPanel(sensors: streets, measure: .pedestrians, days: from...to)
            report.hourlyProfile = try HourlyProfile.compute(panel: panel, sensors: Array(streets.indices), period: from...to,
                                                             openingHours: query.openingHours)
        default:
            throw NodeError(.invalidArgument, "indicator '\(entry.id)' has no local computation yet")
        }
        return report
    }
}

extension LocalIndicatorReport {
    /// A short human-readable summary (the JSON carries everything).
    public var text: String {
        func percent(_ value: Double?) -> String { value.map { String(format: "%+.1f%%", $0 * 100) } ?? "no value" }
        var out = "\(indicator) v\(version) for \(town)\(zone.map { ", zone \($0)" } ?? "")"
        if let period { out += ", \(period.from) – \(period.to)" }
        out += "\n"
        if let result = footfallIndex {
            out += "index \(result.value.map { String(format: "%.1f", $0) } ?? "no value (no like-for-like pair)") at lag \(lag ?? 0) days; "
            out += "\(result.pairs) sensor-day pairs, \(result.sensors) sensors, \(result.days) of \(result.daysRequested) days covered\n"
            for day in daily ?? [] {
                out += "  \(day.day)  \(day.value.map { String(format: "%6.1f", $0) } ?? "     -")  (\(day.pairs) pairs)\n"
            }
        }
        if let result = eventUplift, let event {
            out += "event \(event.id) \"\(event.name)\" (\(event.kind)) on \(event.days.map(\.description).joined(separator: ", "))"
            if let hours = event.hours { out += " \(hours.lowerBound):00–\(hours.upperBound):00" }
            out += "\nuplift \(percent(result.value)) (range \(percent(result.low)) to \(percent(result.high)))\n"
            for day in result.days {
                out += "  \(day.day): observed \(Int(day.observed)), expected \(day.expected.map { String(Int($0)) } ?? "-")"
                out += day.reason.map { " — \($0)" } ?? " from \(day.baselineDays.count) baseline days, \(day.sensors.count) sensors"
                out += "\n"
            }
        }
        for zone in conversion ?? [] {
            out += "  \(zone.zone) (\(zone.zoneKind)): \(zone.result.value.map { String(format: "%.2f%%", $0 * 100) } ?? "no value")"
            out += ", \(zone.result.contributingPairs) pair(s), \(zone.result.unpairedStores) store(s) without street counter"
            out += zone.result.isPublishableAcrossTowns ? "\n" : " (not publishable across towns: fewer than 3 pairs)\n"
        }
        for profile in hourlyProfile ?? [] {
            out += "  \(profile.dayType.rawValue): \(profile.days) days, \(profile.sensors) sensors"
            if let lunch = profile.lunchtimeShare { out += String(format: ", lunchtime %.1f%%", lunch * 100) }
            if let open = profile.openingHoursShare { out += String(format: ", opening hours %.1f%%", open * 100) }
            out += "\n"
            if let shares = profile.shares {
                out += "    " + shares.enumerated().map { String(format: "%02d:%4.1f%%", $0.offset, $0.element * 100) }.joined(separator: " ") + "\n"
            }
        }
        return out
    }
}
