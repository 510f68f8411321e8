/// A catalogued indicator: a stable id and a version, so a town's figure and a peer's figure
/// are known to come from the same definition.
///
/// Why: results cross towns and software versions; the (id, version) pair is what reports and
/// signed payloads name. See ``IndicatorCatalog``.
public protocol CatalogedIndicator {
    /// The catalogue id, e.g. `footfall-index` (the `Indicators/<id>.md` file).
    static var id: String { get }
    /// The definition's version; a change to a formula or rule bumps it.
    static var version: Int { get }
}

/// footfall-index v1: like-for-like footfall of a period relative to the same days a lag earlier.
///
/// Why: vendors count differently, so towns compare *indices against their own past*, never raw
/// counts. Only sensors valid on both days of a pair enter it, so sensors that drop out, are
/// added or are moved do not bend the figure. Catalogue: `Indicators/footfall-index.md`.
///
/// index = 100 × Σ count(s, d) ÷ Σ count(s, d − L) over sensor-day pairs (s, d), d ∈ P, with s
/// valid on d and on d − L. No pair, or a zero baseline sum → no value (never 0 or 100).
public enum FootfallIndex: CatalogedIndicator {
    public static let id = "footfall-index"
    public static let version = 1
    /// 364 days: the same weekday one year earlier.
    public static let defaultLag = 364

    /// The index of one period with its coverage.
    public struct Result: Sendable, Equatable, Codable {
        /// 100 × current ÷ baseline; `nil` when no pair or the baseline sum is 0.
        public var value: Double?
        /// Σ counts on the period's days over the pairs used.
        public var current: Double
        /// Σ counts on the lagged days over the pairs used.
        public var baseline: Double
        /// Sensor-day pairs used.
        public var pairs: Int
        /// Distinct sensors with at least one pair.
        public var sensors: Int
        /// Days of the period with at least one pair.
        public var days: Int
        /// Days in the period asked for.
        public var daysRequested: Int
    }

    /// The index over the days `period` (inclusive) with lag `lag`, over the sensor rows
    /// `sensors` (all rows when `nil`). Days whose lagged day is outside the panel have no pair.
    public static func compute(
        panel: DailyPanel, period: ClosedRange<DayNumber>, lag: Int = defaultLag,
        sensors: [Int]? = nil
    ) throws -> Result {
        guard lag > 0 else {
            throw IndicatorsError(
                .invalidArgument,
                "The lag must be a positive number of days (364 for year-on-year, 7 for week-on-week), got \(lag).")
        }
        let rows = try checkedRows(sensors, sensorCount: panel.sensorCount)
        let n = panel.dayCount
        // Day offsets of the period inside the panel whose lagged day is inside too.
        let lo = max(period.lowerBound.rawValue - panel.firstDay.rawValue, lag)
        let hi = min(period.upperBound.rawValue - panel.firstDay.rawValue, n - 1)
        var current = 0.0
        var baseline = 0.0
        var pairs = 0
        var sensorsUsed = 0
        var dayHasPair = [Bool](repeating: false, count: max(0, hi - lo + 1))
        if lo <= hi {
            panel.counts.withUnsafeBufferPointer { c in
                panel.validity.withUnsafeBufferPointer { v in
                    for s in rows {
                        let base = s * n
                        var used = 0
                        for o in lo...hi where v[base + o] & v[base + o - lag] != 0 {
                            current += c[base + o]
                            baseline += c[base + o - lag]
                            used += 1
                            dayHasPair[o - lo] = true
                        }
                        pairs += used
                        if used > 0 { sensorsUsed += 1 }
                    }
                }
            }
        }
        let value: Double? = pairs > 0 && baseline > 0 ? 100 * current / baseline : nil
        return Result(
            value: value, current: current, baseline: baseline, pairs: pairs, sensors: sensorsUsed,
            days: dayHasPair.lazy.filter { $0 }.count,
            daysRequested: max(0, period.upperBound.rawValue - period.lowerBound.rawValue + 1))
    }

    /// Per-day sums for every day of a panel: the building block for "the index of every day".
    public struct Series: Sendable, Equatable {
        /// Day of element 0 (the panel's first day).
        public let firstDay: DayNumber
        /// Σ counts on each day over its pairs.
        public var current: [Double]
        /// Σ counts on each day's lagged day over its pairs.
        public var baseline: [Double]
        /// Sensor pairs per day.
        public var pairs: [Int32]

        /// The day's index, or `nil` (no pair, or zero baseline).
        @inlinable
        public func value(at offset: Int) -> Double? {
            pairs[offset] > 0 && baseline[offset] > 0 ? 100 * current[offset] / baseline[offset] : nil
        }

        /// The index for a day, or `nil`.
        public func value(on day: DayNumber) -> Double? {
            let o = day.rawValue - firstDay.rawValue
            guard o >= 0, o < pairs.count else { return nil }
            return value(at: o)
        }

        /// Every day's index.
        public var values: [Double?] { pairs.indices.map { value(at: $0) } }
    }

    /// The index of every day of the panel (one value per day; `nil` where no pair), over the
    /// contiguous sensor rows `sensors` (e.g. one town's rows of a network panel).
    public static func dailySeries(panel: DailyPanel, lag: Int = defaultLag, sensors: Range<Int>? = nil) throws
        -> Series
    {
        guard lag > 0 else {
            throw IndicatorsError(
                .invalidArgument,
                "The lag must be a positive number of days (364 for year-on-year, 7 for week-on-week), got \(lag).")
        }
        let rows = sensors ?? 0..<panel.sensorCount
        guard rows.lowerBound >= 0, rows.upperBound <= panel.sensorCount else {
            throw IndicatorsError(
                .sensorOutOfRange, "Sensor rows \(rows) are outside the panel's 0..<\(panel.sensorCount).")
        }
        let n = panel.dayCount
        var current = [Double](repeating: 0, count: n)
        var baseline = [Double](repeating: 0, count: n)
        var pairs = [Int32](repeating: 0, count: n)
        if lag < n {
            panel.counts.withUnsafeBufferPointer { c in
                panel.validity.withUnsafeBufferPointer { v in
                    current.withUnsafeMutableBufferPointer { cur in
                        baseline.withUnsafeMutableBufferPointer { bas in
                            pairs.withUnsafeMutableBufferPointer { pr in
                                for s in rows {
                                    let base = s * n
                                    for o in lag..<n {
                                        let m = v[base + o] & v[base + o - lag]
                                        // Branch-free: invalid cells hold 0, so the mask only
                                        // has to remove valid counts whose partner is invalid.
                                        let w = Double(m)
                                        cur[o] += w * c[base + o]
                                        bas[o] += w * c[base + o - lag]
                                        pr[o] &+= Int32(m)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return Series(firstDay: panel.firstDay, current: current, baseline: baseline, pairs: pairs)
    }

    static func checkedRows(_ sensors: [Int]?, sensorCount: Int, allowRepeats: Bool = false) throws -> [Int] {
        guard let sensors else { return Array(0..<sensorCount) }
        if let bad = sensors.first(where: { $0 < 0 || $0 >= sensorCount }) {
            throw IndicatorsError(.sensorOutOfRange, "Sensor row \(bad) is outside the panel's 0..<\(sensorCount).")
        }
        if !allowRepeats && Set(sensors).count != sensors.count {
            throw IndicatorsError(
                .invalidArgument,
                "Sensor rows \(sensors) name a sensor twice; it would be counted twice. List each once.")
        }
        return sensors
    }
}
