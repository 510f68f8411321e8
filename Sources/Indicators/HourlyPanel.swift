/// Hourly totals per (sensor, local day, local hour 0–23), with validity per sensor-day.
///
/// Why: hourly profiles and event uplift restricted to an event's hours need the hours of a day
/// in one contiguous 24-wide block. Hours are *local* hours: on the 23-hour spring DST day local
/// hour 2 has no data (0); on the 25-hour autumn day the repeated hour is summed into local
/// hour 2 by the caller. Validity is per sensor-day (the day rule), like ``DailyPanel``.
///
/// Layout: `index = ((sensor * dayCount) + (day - firstDay)) * 24 + hour`.
public struct HourlyPanel: Sendable, Equatable {
    public let firstDay: DayNumber
    public let dayCount: Int
    public let sensorCount: Int
    /// `sensorCount × dayCount × 24` totals; 0 where the sensor-day is not valid.
    public private(set) var counts: [Double]
    /// Validity per sensor-day, `sensorCount × dayCount` (1 = valid).
    public private(set) var validity: [UInt8]

    /// An empty panel: every sensor-day missing.
    public init(firstDay: DayNumber, dayCount: Int, sensorCount: Int) throws {
        let hours = try PanelShape.cells(sensorCount: sensorCount, dayCount: dayCount, perDay: 24)
        self.firstDay = firstDay
        self.dayCount = dayCount
        self.sensorCount = sensorCount
        counts = Array(repeating: 0, count: hours)
        validity = Array(repeating: 0, count: hours / 24)
    }

    /// Records one sensor-day's 24 local hours (`hours.count` must be 24).
    public mutating func set(sensor: Int, day: DayNumber, hours: [Double], isValid: Bool) throws {
        let offset = day.rawValue - firstDay.rawValue
        guard sensor >= 0, sensor < sensorCount, offset >= 0, offset < dayCount else {
            throw IndicatorsError(
                .dayOutOfRange,
                "Sensor row \(sensor) on \(day) is outside the hourly panel (\(sensorCount) sensors, \(firstDay) + \(dayCount) days); size the panel to the data's day range."
            )
        }
        guard hours.count == 24 else {
            throw IndicatorsError(
                .invalidPanelShape,
                "A day has 24 local hours (0–23), got \(hours.count) values for sensor row \(sensor) on \(day); sum a repeated DST hour into its local hour and leave a skipped one at 0."
            )
        }
        let ok = isValid && hours.allSatisfy { $0.isFinite }
        let cell = sensor * dayCount + offset
        validity[cell] = ok ? 1 : 0
        for h in 0..<24 { counts[cell * 24 + h] = ok ? hours[h] : 0 }
    }

    /// The days the panel covers.
    public var days: Range<DayNumber> { firstDay..<(firstDay + dayCount) }

    /// Whether a sensor-day is valid (false when out of range).
    public func isValid(sensor: Int, day: DayNumber) -> Bool {
        let offset = day.rawValue - firstDay.rawValue
        guard sensor >= 0, sensor < sensorCount, offset >= 0, offset < dayCount else { return false }
        return validity[sensor * dayCount + offset] != 0
    }

    /// The 24 valid hourly totals of a sensor-day, or `nil`.
    public func hours(sensor: Int, day: DayNumber) -> ArraySlice<Double>? {
        guard isValid(sensor: sensor, day: day) else { return nil }
        let cell = sensor * dayCount + (day.rawValue - firstDay.rawValue)
        return counts[(cell * 24)..<(cell * 24 + 24)]
    }

    /// A daily panel of the sums over `hours` (e.g. an event's 18–23 h), same validity.
    /// Throws when an hour is outside 0–23.
    public func dailyPanel(hours: some Sequence<Int>) throws -> DailyPanel {
        let hourList = Array(hours)
        guard hourList.allSatisfy({ (0..<24).contains($0) }) else {
            throw IndicatorsError(.invalidArgument, "Hours must be local hours 0–23, got \(hourList).")
        }
        var sums = [Double](repeating: 0, count: sensorCount * dayCount)
        for cell in sums.indices {
            var s = 0.0
            for h in hourList { s += counts[cell * 24 + h] }
            sums[cell] = s
        }
        return try DailyPanel(
            firstDay: firstDay, dayCount: dayCount, sensorCount: sensorCount,
            counts: sums, validity: validity.map { $0 != 0 })
    }

    /// Multiplies every count by `factor`.
    public func scaled(by factor: Double) -> HourlyPanel {
        var copy = self
        for i in copy.counts.indices { copy.counts[i] *= factor }
        return copy
    }
}
