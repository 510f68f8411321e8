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
    /// The catalogue version; `nil` = the newest (event-uplift: 2; pass 1 for v1).
    public var version: Int?
    /// event-uplift v2: the interval level (0.5–0.99).
    public var level: Double = EventUpliftV2.defaultLevel
    /// event-uplift v2 without a recorded event: local `YYYY-MM-DD HH:MM` start and end in `zone`.
    public var windowFrom: String?
    public var windowTo: String?
    /// event-uplift v2: the placebo test over the zone's last year instead of one event.
    public var calibration: Bool = false

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
    /// event-uplift v1 (sensors named by id).
    public var eventUplift: EventUpliftV1Report?
    /// event-uplift v2 (sensors named by id).
    public var eventUpliftV2: EventUpliftV2.Result?
    /// event-uplift (v1 and v2): the event days' weather beside the baseline days' (when imported).
    public var weather: EventWeather?
    /// event-uplift v2 `--calibration`: the placebo test on the zone's own ordinary days.
    public var placebo: EventUpliftV2.Placebo?
    /// conversion-rate, per zone
    public var conversion: [ZoneConversion]?
    /// hourly-profile, per day type
    public var hourlyProfile: [HourlyProfile.Profile]?
    /// parking-occupancy, visitor-origin, dwell-time (LotIndicators.swift)
    public var parking: [ParkingOccupancyReport]?
    public var visitorOrigin: VisitorOrigin.Result?
    public var dwellTime: DwellTime.Result?
}

extension NodeStore {
    /// Computes one catalogue indicator locally. Throws `invalidArgument` for an unknown id, zone or event.
    public func computeIndicator(_ query: IndicatorQuery) throws -> LocalIndicatorReport {
        guard let newest = IndicatorCatalog.entry(id: query.indicator) else {
            throw NodeError(.invalidArgument, "unknown indicator '\(query.indicator)'; use one of: \(Array(Set(IndicatorCatalog.all.map(\.id))).sorted().joined(separator: ", "))")
        }
        let entry: IndicatorCatalog.Entry
        if let version = query.version {
            guard let chosen = IndicatorCatalog.entry(id: newest.id, version: version) else {
                let versions = IndicatorCatalog.all.filter { $0.id == newest.id }.map { String($0.version) }.joined(separator: ", ")
                throw NodeError(.invalidArgument, "\(newest.id) has no version \(version); use one of: \(versions)")
            }
            entry = chosen
        } else {
            entry = newest
        }
        if entry.id == EventUpliftV2.id && entry.version == EventUpliftV2.version {
            return try eventUpliftV2(query, entry: entry)
        }
        if let report = try lotIndicator(query, entry: entry) { return report }
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
            let result = try EventUplift.compute(panel: panel, sensors: Array(zoneSensors.indices), eventDays: event.days,
                                                 excludedDays: excluded, holidays: try publicHolidays())
            report.eventUplift = EventUpliftV1Report(result, sensorIDs: zoneSensors.map(\.name))
            report.weather = try eventWeather(eventDays: event.days, baselineDays: result.days.flatMap(\.baselineDays))
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
                                                             openingHours: query.openingHours, holidays: try publicHolidays())
        default:
            throw NodeError(.invalidArgument, "indicator '\(entry.id)' has no local computation yet")
        }
        return report
    }
}

extension NodeStore {
    /// Days before a window's start that v2 reads: 52 weeks of calibration placements, each with
    /// 12 weeks of baseline and the same weeks a year earlier (± 1 week).
    static let v2History = EventUpliftV2.calibrationLookbackDays + 7 * EventUplift.lookbackWeeks + 364 + 7

    /// event-uplift v2 for a recorded event (`--event`), an ad-hoc window (`--from`/`--to` in
    /// `--zone`), or the placebo test (`--calibration --zone`).
    func eventUpliftV2(_ query: IndicatorQuery, entry: IndicatorCatalog.Entry) throws -> LocalIndicatorReport {
        var report = LocalIndicatorReport(indicator: entry.id, version: entry.version, town: settings.town, zone: query.zone)
        guard EventUpliftV2.levels.contains(query.level) else {
            throw NodeError(.invalidArgument, "--level \(query.level) must lie between 0.5 and 0.99, e.g. 0.9")
        }
        let events = try self.events()
        let window: EventWindow?
        let zone: String
        if query.calibration {
            guard let z = query.zone else { throw NodeError(.invalidArgument, "--calibration needs --zone Z; `townbench-node status` lists the zones") }
            zone = z
            window = nil
        } else if let eventID = query.eventID {
            guard let event = events.first(where: { $0.id == eventID }) else {
                throw NodeError(.invalidArgument, "unknown event '\(eventID)'; import the calendar with `townbench-node import --format events`")
            }
            guard let w = event.window else {
                throw NodeError(.invalidArgument, "event '\(eventID)' lasts longer than \(EventWindow.maximumDays) days; evaluate a part of it with --zone, --from and --to")
            }
            report.event = event
            zone = event.zone
            window = w
        } else if let from = query.windowFrom, let to = query.windowTo {
            guard let z = query.zone else { throw NodeError(.invalidArgument, "an ad-hoc window needs --zone Z as well as --from and --to") }
            zone = z
            window = try Self.window(from: from, to: to)
        } else {
            throw NodeError(.invalidArgument, "event-uplift needs --event EVENT_ID, or --zone Z --from 'YYYY-MM-DD HH:MM' --to 'YYYY-MM-DD HH:MM', or --calibration --zone Z")
        }
        let zoneSensors = try self.sensors().filter { $0.zone == zone && $0.kind == .pedestrian }
        guard !zoneSensors.isEmpty else {
            throw NodeError(.invalidArgument, "zone '\(zone)' has no pedestrian sensors; `townbench-node status` lists the zones and their sensors")
        }
        report.zone = zone
        var excluded: Set<DayNumber> = []
        for other in events where other.zone == zone && (EventKind(rawValue: other.kind)?.excludesBaselineDay ?? false) {
            excluded.formUnion(other.days)
        }
        let rows = Array(zoneSensors.indices), ids = zoneSensors.map(\.name)
        let holidays = try publicHolidays()
        if let window {
            let last = window.start + window.lastOffset
            report.period = .init(from: window.start, to: last)
            let panel = try hourlyPanel(sensors: zoneSensors, measure: .pedestrians, days: (window.start - Self.v2History)...last)
            let result = try EventUpliftV2.compute(panel: panel, sensors: rows, sensorIDs: ids, window: window,
                                                   excludedDays: excluded, level: query.level, holidays: holidays)
            report.eventUpliftV2 = result
            report.weather = try eventWeather(eventDays: window.days(anchoredAt: window.start),
                                              baselineDays: result.expectation.baselineDays.flatMap { window.days(anchoredAt: $0) })
        } else {
            guard let range = try dataRange() else { throw NodeError(.invalidArgument, "the node holds no counts yet; import data first") }
            let to = query.to ?? range.upperBound
            let from = query.from ?? (to - (EventUpliftV2.calibrationLookbackDays - 1))
            guard from <= to, from.distance(to: to) < 3 * 366 else {
                throw NodeError(.invalidArgument, "--from \(from) to --to \(to) must be a period of at most three years, --from first")
            }
            report.period = .init(from: from, to: to)
            let panel = try hourlyPanel(sensors: zoneSensors, measure: .pedestrians, days: (from - Self.v2History)...to)
            report.placebo = try EventUpliftV2.placebo(panel: panel, sensors: rows, sensorIDs: ids, excludedDays: excluded,
                                                       period: from...to, level: query.level, holidays: holidays)
        }
        return report
    }

    /// A window from local `YYYY-MM-DD HH:MM` to local `YYYY-MM-DD HH:MM` (end exclusive; a plain
    /// date means 00:00 as a start and the end of that day as an end). Hours are whole: a start
    /// at 18:30 takes hour 18, an end at 01:30 takes hour 1.
    static func window(from: String, to: String) throws -> EventWindow {
        func parse(_ text: String, _ name: String, isEnd: Bool) throws -> (day: DayNumber, hour: Int) {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            let example = "write it as 'YYYY-MM-DD HH:MM' in local time, e.g. '2025-09-19 18:00'"
            guard let day = try? DayNumber(iso: String(trimmed.prefix(10))) else {
                throw NodeError(.invalidArgument, "--\(name) '\(text)' is not a local date and time; \(example)")
            }
            let rest = trimmed.dropFirst(10)
            if rest.isEmpty { return isEnd ? (day + 1, 0) : (day, 0) }
            let parts = rest.dropFirst().split(separator: ":", omittingEmptySubsequences: false)
            guard rest.first == " " || rest.first == "T", parts.count == 2, parts.allSatisfy({ $0.count == 2 }),
                  let h = Int(parts[0]), let m = Int(parts[1]), (0...24).contains(h), (0...59).contains(m), h < 24 || m == 0
            else {
                throw NodeError(.invalidArgument, "--\(name) '\(text)' is not a local date and time; \(example)")
            }
            if h == 24 { return (day + 1, 0) }
            return (day, isEnd && m > 0 ? h + 1 : h)
        }
        let start = try parse(from, "from", isEnd: false), end = try parse(to, "to", isEnd: true)
        do {
            return try EventWindow(start: start.day, startHour: start.hour, end: end.day, endHour: end.hour)
        } catch let error as IndicatorsError {
            throw NodeError(.invalidArgument, "--from '\(from)' --to '\(to)': \(error.message)")
        }
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
        if let result = eventUpliftV2 {
            out += Self.text(result, event: event)
        }
        if let weather { out += weather.text }
        out += lotText
        if let placebo {
            out += "placebo test: each ordinary day of \(placebo.from) – \(placebo.to) as a one-day event, \(Int((placebo.level * 100).rounded())) % intervals\n"
            for row in placebo.rows {
                out += "  \((row.dayClass?.rawValue ?? "all days").padding(toLength: 9, withPad: " ", startingAt: 0)) \(row.days) days, "
                out += "interval excludes 0 on \(row.falsePositives) (\(row.falsePositiveRate.map { String(format: "%.1f%%", $0 * 100) } ?? "-"))"
                out += ", smallest uplift detected with 80 % power: \(row.minimumDetectableUplift.map { String(format: "%+.1f%%", $0 * 100) } ?? "-")"
                out += String(format: ", %+.0f%% detected on ", placebo.injectedUplift * 100) + (row.detectionRate.map { String(format: "%.1f%%", $0 * 100) } ?? "-")
                out += "; v1's range excluded 0 on " + (row.v1RangeFalsePositiveRate.map { String(format: "%.1f%%", $0 * 100) } ?? "-") + "\n"
            }
            if !placebo.months.isEmpty {
                // The expected value should follow the season: the median placebo uplift near 0 every month.
                out += "  median placebo uplift per month: " + placebo.months.map {
                    "\($0.month) " + ($0.medianUplift.map { String(format: "%+.1f%%", $0 * 100) } ?? "-")
                }.joined(separator: ", ") + "\n"
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

    static func text(_ result: EventUpliftV2.Result, event: NodeStore.CalendarEvent?) -> String {
        func percent(_ value: Double?) -> String { value.map { String(format: "%+.1f%%", $0 * 100) } ?? "no value" }
        var out = ""
        if let event { out += "event \(event.id) \"\(event.name)\" (\(event.kind))\n" }
        let w = result.window
        out += "window " + w.segments.map { "\(w.start + $0.dayOffset) \($0.hours.lowerBound):00–\($0.hours.upperBound):00" }.joined(separator: ", ")
        out += " (\(result.dayClass.rawValue))\n"
        let e = result.expectation
        out += "uplift \(percent(result.uplift))"
        if let low = result.low, let high = result.high {
            out += ", \(Int((result.level * 100).rounded())) % interval \(percent(low)) to \(percent(high)) from \(result.calibrationDays) ordinary days"
            out += low > 0 || high < 0 ? " (excludes 0)\n" : " (includes 0: not distinguishable from an ordinary day)\n"
        } else {
            out += "; no interval: \(result.intervalReason ?? "-")\n"
        }
        out += "  observed \(Int(e.observed)), expected \(e.expected.map { String(Int($0.rounded())) } ?? "-")"
        if let reason = e.reason { out += " — \(reason)" } else {
            out += " from \(e.baselineDays.count) baseline days"
            if let f = e.seasonalFactor { out += String(format: " × seasonal factor %.3f (a year earlier)", f) }
            out += ", sensors \(e.sensors.joined(separator: ", "))"
        }
        out += "\n"
        if let note = e.seasonalNote { out += "  \(note)\n" }
        return out
    }
}
