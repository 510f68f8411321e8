public import Indicators

/// event-uplift v1 as `indicators --json` prints it: like ``EventUplift/Result``, but each day
/// names its sensors by id (the library's result holds panel rows, which mean nothing outside).
public struct EventUpliftV1Report: Codable, Sendable, Equatable {
    public struct Day: Codable, Sendable, Equatable {
        public var day: DayNumber
        public var baselineDays: [DayNumber]
        /// Sensor ids (valid on the day and on every baseline day).
        public var sensors: [String]
        public var observed: Double
        public var expected: Double?
        public var baselineMinimum: Double?
        public var baselineMaximum: Double?
        public var ratio: Double?
        public var reason: String?
    }
    public var value: Double?
    public var low: Double?
    public var high: Double?
    public var ratio: Double?
    public var observed: Double
    public var expected: Double?
    public var days: [Day]

    /// `result` computed over rows whose ids are `sensorIDs` (row i is `sensorIDs[i]`).
    init(_ result: EventUplift.Result, sensorIDs: [String]) {
        value = result.value
        low = result.low
        high = result.high
        ratio = result.ratio
        observed = result.observed
        expected = result.expected
        days = result.days.map { day in
            Day(day: day.day, baselineDays: day.baselineDays,
                sensors: day.sensors.map { sensorIDs.indices.contains($0) ? sensorIDs[$0] : "row \($0)" },
                observed: day.observed, expected: day.expected, baselineMinimum: day.baselineMinimum,
                baselineMaximum: day.baselineMaximum, ratio: day.ratio, reason: day.reason)
        }
    }
}
