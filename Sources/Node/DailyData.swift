import Foundation
public import Indicators
internal import Storage

/// A sensor as the indicators and aggregates see it.
public struct SensorInfo: Sendable, Hashable {
    public var id: Int64
    public var name: String
    public var zone: String
    public var zoneKind: String
    public var kind: SensorKind
    public var vendor: String
    /// How the vendor reports, which decides the validity rule (Indicators/README.md).
    public var vendorKind: VendorKind
    /// For a store-door counter: the street counter it is paired with.
    public var pairedStreetSensor: String?
}

/// One sensor's figures for one local day and measure, as both the local indicators and the
/// signed aggregates use them (so a town's figure at the coordinator equals its local one).
public struct SensorDayFigures: Sendable, Hashable {
    public var sensor: Int64
    public var day: DayNumber
    /// Σ counts of the day's valid intervals, over all direction slices.
    public var total: Double
    public var coveredMinutes: Int
    /// Rounded to whole minutes, exactly as the aggregate payload carries it.
    public var uptimeMinutes: Int
    public var validHours: Int
    public var expectedMinutes: Int

    public var coverage: SensorDayCoverage {
        SensorDayCoverage(coveredMinutes: Double(coveredMinutes), uptimeMinutes: Double(uptimeMinutes),
                          validHours: validHours, expectedMinutes: expectedMinutes)
    }
}

extension NodeStore {
    /// Every declared sensor, ordered by name.
    public func sensors() throws -> [SensorInfo] {
        try db.query("""
            SELECT s.id, s.name, z.name, z.kind, s.kind, s.vendor, s.paired_street_sensor
            FROM sensors s JOIN zones z ON z.id = s.zone_id ORDER BY s.name
            """).map { row in
            let vendor = try row.string(5)
            return SensorInfo(id: try row.int64(0), name: try row.string(1), zone: try row.string(2), zoneKind: try row.string(3),
                              kind: SensorKind(rawValue: try row.string(4)) ?? .pedestrian, vendor: vendor,
                              vendorKind: VendorKind(vendor: vendor), pairedStreetSensor: try row.optionalString(6))
        }
    }

    /// The first and last local day with any data, or nil when the store has none.
    public func dataRange() throws -> ClosedRange<DayNumber>? {
        guard let row = try db.queryFirst("SELECT min(day), max(day) FROM daily"), case .integer(let first) = row[0],
              case .integer(let last) = row[1] else { return nil }
        return DayNumber(Int(first))...DayNumber(Int(last))
    }

    /// The figures of `measure` for the given sensors and days, read from the daily sums (never the
    /// interval rows). Direction slices are summed; their coverage is that of the best-covered slice.
    public func sensorDays(measure: Measure, sensors: [Int64], days: ClosedRange<DayNumber>) throws -> [SensorDayFigures] {
        guard !sensors.isEmpty else { return [] }
        let clock = LocalClock(timeZone: timeZone)
        let statement = try db.prepare("""
            SELECT day, sum(valid_total), max(covered_minutes), max(uptime_minutes), max(valid_hours)
            FROM daily WHERE sensor_id = ? AND measure = ? AND day BETWEEN ? AND ? GROUP BY day ORDER BY day
            """)
        var figures: [SensorDayFigures] = []
        var expected: [Int: Int] = [:]
        for sensor in sensors {
            try statement.bind([.integer(sensor), .int(measure.rawValue), .int(days.lowerBound.rawValue), .int(days.upperBound.rawValue)])
            while try statement.step() {
                let day = DayNumber(Int(statement.int64(at: 0)))
                let minutes = expected[day.rawValue] ?? clock.minutesInDay(day)
                expected[day.rawValue] = minutes
                figures.append(SensorDayFigures(
                    sensor: sensor, day: day, total: statement.double(at: 1), coveredMinutes: Int(statement.int64(at: 2)),
                    uptimeMinutes: Int(statement.double(at: 3).rounded()), validHours: Int(statement.int64(at: 4)),
                    expectedMinutes: minutes))
            }
        }
        return figures
    }

    /// A panel with one row per (sensor, measure) in `rows`, over `days`, validity by the v1 rule
    /// and the flatline rule.
    public func dailyPanel(rows: [(sensor: SensorInfo, measure: Measure)], days: ClosedRange<DayNumber>) throws -> DailyPanel {
        var panel = try DailyPanel(firstDay: days.lowerBound, dayCount: days.count, sensorCount: rows.count)
        for (index, row) in rows.enumerated() {
            let flat = try flatlineDays(sensor: row.sensor, measure: row.measure)
            for figure in try sensorDays(measure: row.measure, sensors: [row.sensor.id], days: days) {
                try panel.set(sensor: index, day: figure.day, total: figure.total,
                              isValid: !flat.contains(figure.day) && ValidityRule.v1.isValid(figure.coverage, vendorKind: row.sensor.vendorKind))
            }
        }
        return panel
    }

    /// The days on which `sensor`'s `measure` is flat while the sensor normally counts
    /// (``FlatlineRule/v1``), judged over the sensor's whole history so a months-long dead spell
    /// stays flagged whatever period a panel covers.
    public func flatlineDays(sensor: SensorInfo, measure: Measure) throws -> Set<DayNumber> {
        guard let range = try dataRange() else { return [] }
        let statement = try db.prepare("""
            SELECT day, hour, sum(total) FROM hourly WHERE sensor_id = ? AND measure = ? GROUP BY day, hour
            """)
        try statement.bind([.integer(sensor.id), .int(measure.rawValue)])
        var hours: [Int: [Double]] = [:]
        while try statement.step() {
            let day = Int(statement.int64(at: 0)), hour = Int(statement.int64(at: 1))
            guard (0..<24).contains(hour) else { continue }
            hours[day, default: Array(repeating: 0, count: 24)][hour] += statement.double(at: 2)
        }
        let days = try sensorDays(measure: measure, sensors: [sensor.id], days: range).map { figure in
            FlatlineRule.Day(day: figure.day, total: figure.total, hours: hours[figure.day.rawValue],
                             isValid: ValidityRule.v1.isValid(figure.coverage, vendorKind: sensor.vendorKind))
        }
        return FlatlineRule.v1.flatlineDays(days, vendorKind: sensor.vendorKind, holidays: try publicHolidays())
    }

    /// An hourly panel (24 local hours per sensor-day) for `measure`; a sensor-day is valid when its
    /// daily coverage is (v1 rule) and it is not a flatline day. Hours without data count 0 inside a valid day.
    public func hourlyPanel(sensors: [SensorInfo], measure: Measure, days: ClosedRange<DayNumber>) throws -> HourlyPanel {
        var panel = try HourlyPanel(firstDay: days.lowerBound, dayCount: days.count, sensorCount: sensors.count)
        let statement = try db.prepare("""
            SELECT day, hour, total FROM hourly WHERE sensor_id = ? AND measure = ? AND day BETWEEN ? AND ? ORDER BY day, hour
            """)
        for (index, sensor) in sensors.enumerated() {
            var hours: [Int: [Double]] = [:]
            try statement.bind([.integer(sensor.id), .int(measure.rawValue), .int(days.lowerBound.rawValue), .int(days.upperBound.rawValue)])
            while try statement.step() {
                let day = Int(statement.int64(at: 0)), hour = Int(statement.int64(at: 1))
                hours[day, default: Array(repeating: 0, count: 24)][hour] += statement.double(at: 2)
            }
            let flat = try flatlineDays(sensor: sensor, measure: measure)
            for figure in try sensorDays(measure: measure, sensors: [sensor.id], days: days) {
                try panel.set(sensor: index, day: figure.day, hours: hours[figure.day.rawValue] ?? Array(repeating: 0, count: 24),
                              isValid: !flat.contains(figure.day) && ValidityRule.v1.isValid(figure.coverage, vendorKind: sensor.vendorKind))
            }
        }
        return panel
    }

    /// An event from the town's calendar, in local days and hours.
    public struct CalendarEvent: Sendable, Codable, Hashable {
        public var id: String
        public var name: String
        public var zone: String
        public var kind: String
        public var days: [DayNumber]
        /// Local hours, when the event lies within one day and is not the whole day.
        public var hours: Range<Int>?
        /// The local window (hours touched, may cross midnight), for event-uplift v2; `nil` for
        /// an event longer than ``EventWindow/maximumDays``.
        public var window: EventWindow?
    }

    /// Every event, with its local days (an event ending at midnight does not cover the next day).
    public func events() throws -> [CalendarEvent] {
        let clock = LocalClock(timeZone: timeZone)
        return try db.query("""
            SELECT e.id, e.name, z.name, e.kind, e.start, e.end FROM events e JOIN zones z ON z.id = e.zone_id ORDER BY e.start, e.id
            """).map { row in
            let start = clock.local(try row.int64(4)), endInstant = try row.int64(5)
            let lastMoment = clock.local(endInstant - 1)
            let days = Array(start.day...lastMoment.day)
            var hours: Range<Int>?
            if days.count == 1 {
                let endHour = lastMoment.hour + 1
                if !(start.hour == 0 && endHour == 24) { hours = start.hour..<endHour }
            }
            // Whole local hours touched: the start's hour, the end rounded up to the hour.
            let end = clock.local(endInstant)
            let endsOnTheHour = (endInstant + Int64(clock.offset(at: endInstant))) % 3600 == 0
            let endHour = end.hour + (endsOnTheHour ? 0 : 1)
            let window = try? EventWindow(start: start.day, startHour: start.hour, end: end.day, endHour: endHour)
            return CalendarEvent(id: try row.string(0), name: try row.string(1), zone: try row.string(2), kind: try row.string(3),
                                 days: days, hours: hours, window: window)
        }
    }

    /// The school holidays the town imported.
    public func schoolHolidays() throws -> SchoolHolidays {
        SchoolHolidays(periods: try db.query("SELECT first_day, last_day FROM school_holidays ORDER BY first_day").map {
            DayNumber(try $0.int(0))...DayNumber(try $0.int(1))
        })
    }
}
