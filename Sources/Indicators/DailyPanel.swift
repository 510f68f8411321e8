/// Daily totals of a set of sensors over consecutive days, in flat contiguous arrays.
///
/// Why: indicators compare each day with a lagged day for the same sensors. With rows indexed by
/// (sensor, day number) in one array, a lag is an index offset, not a join, and the hot loops
/// run over contiguous memory. The node fills it from its per-(sensor, local day) sums, the
/// coordinator from signed aggregates; sensors are rows, their identity (id, zone, kind) is kept
/// by the caller in a parallel array.
///
/// Layout: sensor-major, `index = sensor * dayCount + (day - firstDay)`. An invalid or missing
/// sensor-day has `isValid == false`; its count is kept at 0 and is never used.
public struct DailyPanel: Sendable, Equatable {
    /// The first day (row offset 0).
    public let firstDay: DayNumber
    /// Number of consecutive days.
    public let dayCount: Int
    /// Number of sensor rows.
    public let sensorCount: Int
    /// Totals, `sensorCount × dayCount`, sensor-major. 0 where not valid.
    public private(set) var counts: [Double]
    /// Validity, same layout as ``counts`` (1 = valid).
    public private(set) var validity: [UInt8]

    /// An empty panel: every sensor-day missing.
    public init(firstDay: DayNumber, dayCount: Int, sensorCount: Int) throws {
        let cells = try PanelShape.cells(sensorCount: sensorCount, dayCount: dayCount)
        self.firstDay = firstDay
        self.dayCount = dayCount
        self.sensorCount = sensorCount
        counts = Array(repeating: 0, count: cells)
        validity = Array(repeating: 0, count: cells)
    }

    /// A panel from whole arrays (sensor-major). Invalid cells' counts are set to 0.
    public init(firstDay: DayNumber, dayCount: Int, sensorCount: Int, counts: [Double], validity: [Bool]) throws {
        let cells = dayCount.multipliedReportingOverflow(by: sensorCount)
        guard dayCount >= 0, sensorCount >= 0, !cells.overflow, counts.count == cells.partialValue, validity.count == counts.count
        else {
            throw IndicatorsError(
                .invalidPanelShape,
                "Panel arrays must hold sensors × days = \(sensorCount) × \(dayCount) cells; got \(counts.count) counts and \(validity.count) flags."
            )
        }
        self.firstDay = firstDay
        self.dayCount = dayCount
        self.sensorCount = sensorCount
        self.validity = validity.map { $0 ? 1 : 0 }
        self.counts = zip(counts, validity).map { $1 ? $0 : 0 }
    }

    /// The last day, or `nil` for an empty day range.
    public var lastDay: DayNumber? { dayCount > 0 ? firstDay + (dayCount - 1) : nil }

    /// The days the panel covers.
    public var days: Range<DayNumber> { firstDay..<(firstDay + dayCount) }

    /// Flat index of a cell, or `nil` when out of range.
    @inlinable
    public func index(sensor: Int, day: DayNumber) -> Int? {
        let offset = day.rawValue - firstDay.rawValue
        guard sensor >= 0, sensor < sensorCount, offset >= 0, offset < dayCount else { return nil }
        return sensor * dayCount + offset
    }

    /// Records a sensor-day. `isValid` comes from ``ValidityRule/isValid(_:vendorKind:)``.
    public mutating func set(sensor: Int, day: DayNumber, total: Double, isValid: Bool) throws {
        guard let i = index(sensor: sensor, day: day) else {
            throw IndicatorsError(
                .dayOutOfRange,
                "Sensor row \(sensor) on \(day) is outside the panel (\(sensorCount) sensors, \(firstDay) + \(dayCount) days); size the panel to the data's day range."
            )
        }
        let ok = isValid && total.isFinite
        counts[i] = ok ? total : 0
        validity[i] = ok ? 1 : 0
    }

    /// Records a sensor-day, judging its validity with `rule`.
    public mutating func set(
        sensor: Int, day: DayNumber, total: Double, coverage: SensorDayCoverage,
        vendorKind: VendorKind, rule: ValidityRule = .v1
    ) throws {
        try set(sensor: sensor, day: day, total: total, isValid: rule.isValid(coverage, vendorKind: vendorKind))
    }

    /// The valid total of a sensor-day, or `nil` when missing, invalid or out of range.
    public func total(sensor: Int, day: DayNumber) -> Double? {
        guard let i = index(sensor: sensor, day: day), validity[i] != 0 else { return nil }
        return counts[i]
    }

    /// Whether a sensor-day is valid (false when out of range).
    public func isValid(sensor: Int, day: DayNumber) -> Bool {
        guard let i = index(sensor: sensor, day: day) else { return false }
        return validity[i] != 0
    }

    /// Multiplies every count by `factor` (used by tests and for unit changes).
    public func scaled(by factor: Double) -> DailyPanel {
        var copy = self
        for i in copy.counts.indices { copy.counts[i] *= factor }
        return copy
    }
}
