/// A span of local time an event covers: from a local day and hour to a later one, which may
/// cross midnight and cover several days.
///
/// Why: an event from 18:00 to 02:00 the next day is eight hours of two local days, not two
/// whole days; comparing it with whole days would dilute any effect. The window is kept as
/// per-day hour ranges relative to its first day, so the same shape can be laid on any other
/// day (the baseline and calibration days).
public struct EventWindow: Sendable, Hashable, Codable {
    /// The hours of one local day of the window.
    public struct Segment: Sendable, Hashable, Codable {
        /// Days after the window's first day (0 = the first day).
        public var dayOffset: Int
        /// Local hours 0–23 (upper bound exclusive, at most 24).
        public var hours: Range<Int>
    }

    /// Longest window accepted: a festival of a few weeks, not a season.
    public static let maximumDays = 31

    /// The first local day.
    public var start: DayNumber
    /// Per local day, in order; never empty.
    public var segments: [Segment]

    /// From local `startHour` on `start` up to (not including) local `endHour` on `end`.
    /// `endHour` may be 0–24; an end at 00:00 does not touch that day. Throws when the end is
    /// not after the start, an hour is outside 0–24, or the window is longer than
    /// ``maximumDays``.
    public init(start: DayNumber, startHour: Int, end: DayNumber, endHour: Int) throws {
        guard (0...23).contains(startHour), (0...24).contains(endHour) else {
            throw IndicatorsError(
                .invalidArgument,
                "An event window's hours are local hours 0–24, got \(startHour) to \(endHour); give e.g. 18:00 to 02:00.")
        }
        let span = start.distance(to: end)
        guard span >= 0, span < Self.maximumDays, span > 0 || endHour > startHour else {
            throw IndicatorsError(
                .invalidArgument,
                "An event window must end after it starts and last at most \(Self.maximumDays) days, got \(start) \(startHour):00 to \(end) \(endHour):00."
            )
        }
        var segments: [Segment] = []
        for offset in 0...span {
            let from = offset == 0 ? startHour : 0
            let to = offset == span ? endHour : 24
            if to > from { segments.append(Segment(dayOffset: offset, hours: from..<to)) }
        }
        self.start = start
        self.segments = segments
    }

    /// Whole local days `days.lowerBound` … `days.upperBound`.
    public init(days: ClosedRange<DayNumber>) throws {
        try self.init(start: days.lowerBound, startHour: 0, end: days.upperBound, endHour: 24)
    }

    /// The local days the window touches when its first day is `anchor`.
    public func days(anchoredAt anchor: DayNumber) -> [DayNumber] { segments.map { anchor + $0.dayOffset } }

    /// The local days of the window itself.
    public var days: [DayNumber] { days(anchoredAt: start) }

    /// Days from the first to the last day touched, minus one.
    public var lastOffset: Int { segments.last?.dayOffset ?? 0 }
}

/// event-uplift v2: an expected value that follows the season, and an interval calibrated on the
/// town's own ordinary days.
///
/// Why: v1's range (the spread of 8 baseline days) excluded 0 on 28 % of ordinary days on real
/// counts (40 % in autumn, when footfall climbs towards December and a 12-week baseline lags).
/// v2 scales the baseline by the same weeks' change a year earlier, and its interval comes from
/// how wrong this very rule was on the zone's ordinary days of the last 52 weeks
/// (split-conformal), so "the interval excludes 0" happens on about 1 − level of ordinary days.
/// Catalogue: `Indicators/event-uplift-v2.md`.
public enum EventUpliftV2: CatalogedIndicator {
    public static let id = "event-uplift"
    public static let version = 2
    /// Default interval level.
    public static let defaultLevel = 0.90
    /// Accepted interval levels.
    public static let levels: ClosedRange<Double> = 0.5...0.99
    /// Ordinary days needed to calibrate an interval.
    public static let minimumCalibrationDays = 20
    /// Calibration looks back this many days (52 weeks).
    public static let calibrationLookbackDays = 364
    /// Year-earlier same-weekday days around the event's (−1, 0, +1 week) needed at least.
    public static let minimumYearEarlierEventDays = 2
    /// Power used for ``Placebo/minimumDetectableUplift``.
    public static let detectionPower = 0.8

    /// Weekday class: calibration days are of the event's class.
    public enum DayClass: String, Sendable, Codable, CaseIterable {
        case weekday, saturday, sunday
        public init(_ day: DayNumber) {
            switch day.isoWeekday {
            case 6: self = .saturday
            case 7: self = .sunday
            default: self = .weekday
            }
        }
    }

    /// The rule's expected value for one placement of the window.
    public struct Expectation: Sendable, Equatable, Codable {
        /// Sensor ids used (valid on every day of the window and of each baseline day).
        public var sensors: [String]
        /// Σ counts over the window's hours and `sensors`.
        public var observed: Double
        /// Clean same-weekday baseline placements, most recent first.
        public var baselineDays: [DayNumber]
        /// Median of the baseline placements' totals.
        public var baselineMedian: Double?
        /// The quietest and busiest baseline placement (v1's range, for comparison).
        public var baselineMinimum: Double?
        public var baselineMaximum: Double?
        /// Year-earlier event-week level ÷ year-earlier baseline level; `nil` without a year earlier.
        public var seasonalFactor: Double?
        /// Year-earlier placements used for the event week and for the baseline weeks.
        public var yearEarlierEventDays: [DayNumber]
        public var yearEarlierBaselineDays: [DayNumber]
        /// Sensor ids behind the seasonal factor (those of `sensors` valid on all its placements).
        public var yearEarlierSensors: [String]
        /// baselineMedian × seasonalFactor (× 1 without a year earlier); `nil` without a value.
        public var expected: Double?
        /// Why the seasonal factor is missing (the plain baseline is used), when it is.
        public var seasonalNote: String?
        /// Why there is no expected value, when there is none.
        public var reason: String?
    }

    /// The event's uplift and its calibrated interval.
    public struct Result: Sendable, Equatable, Codable {
        public var window: EventWindow
        public var dayClass: DayClass
        /// observed ÷ expected − 1.
        public var uplift: Double?
        /// uplift − q and uplift + q, q the conformal quantile; `nil` without enough calibration.
        public var low: Double?
        public var high: Double?
        public var level: Double
        /// Ordinary days whose errors calibrate the interval.
        public var calibrationDays: Int
        /// The ⌈(n + 1)·level⌉-th smallest absolute relative error.
        public var quantile: Double?
        /// Why there is no interval, when there is none.
        public var intervalReason: String?
        public var expectation: Expectation
    }

    /// The uplift of the event in `window` over sensor rows `sensors` (ids `sensorIDs`, same order).
    /// `excludedDays`: days with an event, campaign or works in the zone; the window's own days are
    /// added. Public holidays are excluded here. `level` must lie in ``levels``.
    public static func compute(
        panel: HourlyPanel, sensors: [Int], sensorIDs: [String], window: EventWindow,
        excludedDays: Set<DayNumber>, level: Double = defaultLevel, holidays: PublicHolidays = .belgian
    ) throws -> Result {
        let rule = try Rule(panel: panel, sensors: sensors, sensorIDs: sensorIDs, window: window, level: level, holidays: holidays)
        let excluded = excludedDays.union(window.days)
        let a = window.start
        let e = rule.expectation(at: a, excluded: excluded)
        let dayClass = DayClass(a)
        var result = Result(
            window: window, dayClass: dayClass, uplift: e.expected.map { e.observed / $0 - 1 }, low: nil, high: nil,
            level: level, calibrationDays: 0, quantile: nil, intervalReason: nil, expectation: e)
        // Calibration: ordinary placements of the same class in the 52 weeks before, ending before the event.
        var errors: [Double] = []
        for d in (a - calibrationLookbackDays)...(a - window.lastOffset - 1) where DayClass(d) == dayClass {
            if let error = rule.error(at: d, excluded: excluded) { errors.append(error) }
        }
        let interval = calibrated(value: result.uplift, errors: errors, level: level)
        result.calibrationDays = interval.calibrationDays
        result.quantile = interval.quantile
        result.low = interval.low
        result.high = interval.high
        result.intervalReason = interval.reason
        return result
    }

    /// The placebo test on a zone's own data: every ordinary one-day placement in `period` treated
    /// as an event.
    public struct Placebo: Sendable, Equatable, Codable {
        public struct Row: Sendable, Equatable, Codable {
            /// `nil` for all day classes together.
            public var dayClass: DayClass?
            /// Ordinary days with an interval.
            public var days: Int
            /// Days whose interval excludes 0.
            public var falsePositives: Int
            public var falsePositiveRate: Double?
            /// The smallest uplift whose interval would exclude 0 on ≥ 80 % of these days.
            public var minimumDetectableUplift: Double?
            /// Share of these days on which an effect of ``Placebo/injectedUplift`` would be detected
            /// (its interval's lower end above 0).
            public var detectionRate: Double?
            /// Days on which v1's range (quietest to busiest baseline day) excludes 0, for comparison.
            public var v1RangeFalsePositives: Int
            public var v1RangeFalsePositiveRate: Double?
        }
        public var level: Double
        /// The effect injected for ``Row/detectionRate`` (observed × (1 + injectedUplift)).
        public var injectedUplift: Double
        public var hours: Range<Int>
        public var from: DayNumber
        public var to: DayNumber
        public var rows: [Row]
        /// Per calendar month of the period: the median placebo uplift. Why: an expected value that
        /// follows the season leaves it near 0 in every month; a lagging one drifts (v1's baseline
        /// lags when footfall climbs towards December).
        public var months: [Month] = []

        /// One calendar month of the placebo test.
        public struct Month: Sendable, Equatable, Codable {
            /// `YYYY-MM`.
            public var month: String
            /// Ordinary days of the month with an expected value (with or without an interval).
            public var days: Int
            /// The median of observed ÷ expected − 1 over those days.
            public var medianUplift: Double?
        }
    }

    /// Runs the placebo test over `period` for one-day placements of local `hours`.
    /// A day's error is observed ÷ expected − 1 by ``compute(panel:sensors:sensorIDs:window:excludedDays:level:holidays:)``'s rule;
    /// the interval of day d excludes 0 when |error(d)| > q(d), q(d) from the same-class errors of the
    /// 52 weeks before d. The effect detectable on day d is (1 + q(d)) ÷ (1 + error(d)) − 1.
    public static func placebo(
        panel: HourlyPanel, sensors: [Int], sensorIDs: [String], hours: Range<Int> = 0..<24,
        excludedDays: Set<DayNumber>, period: ClosedRange<DayNumber>, level: Double = defaultLevel,
        injectedUplift: Double = 0.2, holidays: PublicHolidays = .belgian
    ) throws -> Placebo {
        guard injectedUplift.isFinite, injectedUplift > -1 else {
            throw IndicatorsError(.invalidArgument, "An injected uplift must be a number above −1 (e.g. 0.2 for +20 %), got \(injectedUplift).")
        }
        let window = try EventWindow(start: period.lowerBound, startHour: hours.lowerBound, end: period.lowerBound, endHour: hours.upperBound)
        let rule = try Rule(panel: panel, sensors: sensors, sensorIDs: sensorIDs, window: window, level: level, holidays: holidays)
        let first = period.lowerBound - calibrationLookbackDays
        var errors: [Double?] = []
        for d in first...period.upperBound { errors.append(rule.error(at: d, excluded: excludedDays)) }
        let rows = placeboRows(errors: errors, first: first, period: period, lastOffset: 0, level: level, injectedUplift: injectedUplift) { d in
            let e = rule.expectation(at: d, excluded: excludedDays)
            guard let lo = e.baselineMinimum, let hi = e.baselineMaximum else { return false }
            return e.observed < lo || e.observed > hi
        }
        return Placebo(
            level: level, injectedUplift: injectedUplift, hours: hours, from: period.lowerBound, to: period.upperBound,
            rows: rows, months: placeboMonths(errors: errors, first: first, period: period))
    }

    /// The median error per calendar month of `period` (`errors[i]`: the placement at `first + i`).
    static func placeboMonths(errors: [Double?], first: DayNumber, period: ClosedRange<DayNumber>) -> [Placebo.Month] {
        var months: [Placebo.Month] = []
        var current: (key: String, errors: [Double])?
        func close() {
            if let current { months.append(Placebo.Month(month: current.key, days: current.errors.count, medianUplift: IndicatorMath.median(current.errors))) }
        }
        for d in period {
            let civil = d.civil
            let key = String(civil.year) + "-" + (civil.month < 10 ? "0" : "") + String(civil.month)
            if current?.key != key {
                close()
                current = (key, [])
            }
            let i = first.distance(to: d)
            if i >= 0, i < errors.count, let e = errors[i] { current?.errors.append(e) }
        }
        close()
        return months
    }

    /// The placebo tally over `period`, per day class and for all: `errors[i]` is the error of the
    /// placement at `first + i` (`nil`: not an ordinary placement with a value); q(d) comes from the
    /// same-class errors of the 52 weeks before d, ending `lastOffset` days earlier so no history
    /// placement overlaps d's. `v1RangeExcludesZero(d)` is asked only for the days counted.
    static func placeboRows(
        errors: [Double?], first: DayNumber, period: ClosedRange<DayNumber>, lastOffset: Int, level: Double, injectedUplift: Double,
        v1RangeExcludesZero: (DayNumber) -> Bool
    ) -> [Placebo.Row] {
        func error(_ d: DayNumber) -> Double? {
            let i = first.distance(to: d)
            return i >= 0 && i < errors.count ? errors[i] : nil
        }
        typealias Tally = (days: Int, fp: Int, needed: [Double], detected: Int, v1: Int)
        var perClass: [DayClass: Tally] = [:]
        for d in period {
            guard let e = error(d) else { continue }
            let dayClass = DayClass(d)
            var history: [Double] = []
            for c in (d - calibrationLookbackDays)...(d - lastOffset - 1) where DayClass(c) == dayClass {
                if let e = error(c) { history.append(abs(e)) }
            }
            guard case .success(let q) = conformalQuantile(history, level: level) else { continue }
            var row = perClass[dayClass] ?? (0, 0, [], 0, 0)
            row.days += 1
            if abs(e) > q { row.fp += 1 }
            row.needed.append((1 + q) / (1 + e) - 1)
            if (1 + injectedUplift) * (1 + e) - 1 > q { row.detected += 1 }
            if v1RangeExcludesZero(d) { row.v1 += 1 }
            perClass[dayClass] = row
        }
        func rate(_ n: Int, _ of: Int) -> Double? { of > 0 ? Double(n) / Double(of) : nil }
        func makeRow(_ dayClass: DayClass?, _ r: Tally) -> Placebo.Row {
            Placebo.Row(
                dayClass: dayClass, days: r.days, falsePositives: r.fp, falsePositiveRate: rate(r.fp, r.days),
                minimumDetectableUplift: orderStatistic(r.needed, rank: rankFor(level: detectionPower, count: r.needed.count)),
                detectionRate: rate(r.detected, r.days), v1RangeFalsePositives: r.v1, v1RangeFalsePositiveRate: rate(r.v1, r.days))
        }
        var rows = DayClass.allCases.map { makeRow($0, perClass[$0] ?? (0, 0, [], 0, 0)) }
        let all = perClass.values.reduce((days: 0, fp: 0, needed: [Double](), detected: 0, v1: 0)) {
            ($0.days + $1.days, $0.fp + $1.fp, $0.needed + $1.needed, $0.detected + $1.detected, $0.v1 + $1.v1)
        }
        rows.append(makeRow(nil, all))
        return rows
    }

    /// ⌈level · count⌉ (1-based), clamped to ≥ 1.
    static func rankFor(level: Double, count: Int) -> Int { max(1, Int((level * Double(count) - 1e-9).rounded(.up))) }

    /// The `rank`-th smallest value (1-based), `nil` when there are fewer.
    static func orderStatistic(_ values: [Double], rank: Int) -> Double? {
        guard rank >= 1, rank <= values.count else { return nil }
        return values.sorted()[rank - 1]
    }

    struct QuantileFailure: Error { var text: String }

    /// The split-conformal quantile: the ⌈(n + 1)·level⌉-th smallest absolute error of n ≥
    /// ``minimumCalibrationDays`` calibration placements, or why there is none.
    static func conformalQuantile(_ absoluteErrors: [Double], level: Double) -> Swift.Result<Double, QuantileFailure> {
        let n = absoluteErrors.count
        guard n >= minimumCalibrationDays else {
            return .failure(QuantileFailure(text:
                "only \(n) ordinary days of this day type with a value in the 52 weeks before (need \(minimumCalibrationDays)) to calibrate an interval"
            ))
        }
        let rank = rankFor(level: level, count: n + 1)
        guard let q = orderStatistic(absoluteErrors, rank: rank) else {
            return .failure(QuantileFailure(text:
                "\(n) ordinary days are too few for a \(Int((level * 100).rounded())) % interval (needs ⌈(n + 1)·level⌉ ≤ n); lower --level"
            ))
        }
        return .success(q)
    }

    /// The rule applied to one window shape over one panel: window totals are precomputed per
    /// (sensor, day) so a placement is a few array reads. Built from an hourly panel (any window,
    /// the node) or a daily one (whole days, the coordinator); everything after the totals is shared.
    struct Rule {
        let firstDay: DayNumber
        let dayCount: Int
        let rows: [Int]
        let ids: [String]
        let window: EventWindow
        let level: Double
        let holidays: PublicHolidays
        /// Per row, per panel day: the window's total when placed on that day, `nil` if a day is invalid.
        let totals: [[Double?]]
        /// Per panel day: whether it is a public holiday (asked once per day, not per candidate:
        /// the coordinator asks millions of times over the same days).
        let holidayMask: [Bool]

        init(panel: HourlyPanel, sensors: [Int], sensorIDs: [String], window: EventWindow, level: Double,
             holidays: PublicHolidays = .belgian) throws {
            try self.init(firstDay: panel.firstDay, dayCount: panel.dayCount, sensorCount: panel.sensorCount, sensors: sensors,
                          sensorIDs: sensorIDs, window: window, level: level, holidays: holidays) { row, day, hours in
                guard let counts = panel.hours(sensor: row, day: day) else { return nil }
                var sum = 0.0
                for h in hours { sum += counts[counts.startIndex + h] }
                return sum
            }
        }

        /// Whole-day placements of `length` days over daily totals.
        init(panel: DailyPanel, sensors: [Int], length: Int, level: Double, holidays: PublicHolidays = .belgian) throws {
            guard (1...EventWindow.maximumDays).contains(length) else {
                throw IndicatorsError(
                    .invalidArgument, "A whole-day window lasts 1–\(EventWindow.maximumDays) days, got \(length); give the event's number of days.")
            }
            let window = try EventWindow(days: panel.firstDay...(panel.firstDay + (length - 1)))
            try self.init(firstDay: panel.firstDay, dayCount: panel.dayCount, sensorCount: panel.sensorCount, sensors: sensors,
                          sensorIDs: sensors.map(String.init), window: window, level: level, holidays: holidays) { row, day, _ in
                panel.total(sensor: row, day: day)
            }
        }

        /// `segmentTotal(row, day, hours)`: the row's count over those hours of that day, `nil` when the day is invalid.
        private init(firstDay: DayNumber, dayCount: Int, sensorCount: Int, sensors: [Int], sensorIDs: [String], window: EventWindow,
                     level: Double, holidays: PublicHolidays, segmentTotal: (Int, DayNumber, Range<Int>) -> Double?) throws {
            guard sensors.count == sensorIDs.count else {
                throw IndicatorsError(.invalidArgument, "Pass one id per sensor row: \(sensors.count) rows, \(sensorIDs.count) ids.")
            }
            for row in sensors where row < 0 || row >= sensorCount {
                throw IndicatorsError(
                    .sensorOutOfRange, "Sensor row \(row) is outside the panel's \(sensorCount) rows; pass rows 0..<\(sensorCount).")
            }
            guard EventUpliftV2.levels.contains(level) else {
                throw IndicatorsError(.invalidArgument, "The interval level must lie in 0.5–0.99, got \(level); e.g. 0.9.")
            }
            self.firstDay = firstDay
            self.dayCount = dayCount
            self.rows = sensors
            self.ids = sensorIDs
            self.window = window
            self.level = level
            self.holidays = holidays
            holidayMask = (0..<dayCount).map { holidays.contains(firstDay + $0) }
            totals = sensors.map { row in
                (0..<dayCount).map { offset -> Double? in
                    let anchor = firstDay + offset
                    var sum = 0.0
                    for segment in window.segments {
                        guard let t = segmentTotal(row, anchor + segment.dayOffset, segment.hours) else { return nil }
                        sum += t
                    }
                    return sum
                }
            }
        }

        func total(_ i: Int, _ anchor: DayNumber) -> Double? {
            let offset = firstDay.distance(to: anchor)
            guard offset >= 0, offset < dayCount else { return nil }
            return totals[i][offset]
        }

        func isClean(_ anchor: DayNumber, _ excluded: Set<DayNumber>) -> Bool {
            // Over the segments, not `window.days(anchoredAt:)`: no array per candidate (millions at the coordinator).
            window.segments.allSatisfy { segment in
                let day = anchor + segment.dayOffset
                let offset = firstDay.distance(to: day)
                let isHoliday = offset >= 0 && offset < dayCount ? holidayMask[offset] : holidays.contains(day)
                return !isHoliday && !excluded.contains(day)
            }
        }

        /// Σ over the kept sensors (indices into `rows`), or `nil` if one is invalid there.
        func sum(_ kept: [Int], _ anchor: DayNumber) -> Double? {
            var s = 0.0
            for i in kept {
                guard let t = total(i, anchor) else { return nil }
                s += t
            }
            return s
        }

        func expectation(at a: DayNumber, excluded: Set<DayNumber>) -> Expectation {
            var e = Expectation(
                sensors: [], observed: 0, baselineDays: [], baselineMedian: nil, baselineMinimum: nil,
                baselineMaximum: nil, seasonalFactor: nil,
                yearEarlierEventDays: [], yearEarlierBaselineDays: [], yearEarlierSensors: [], expected: nil, seasonalNote: nil, reason: nil)
            var candidates: [DayNumber] = []
            for k in 1...EventUplift.lookbackWeeks where isClean(a - 7 * k, excluded) { candidates.append(a - 7 * k) }
            guard candidates.count >= EventUplift.minimumBaselineDays else {
                e.reason =
                    "only \(candidates.count) clean same-weekday days in the \(EventUplift.lookbackWeeks) weeks before (need \(EventUplift.minimumBaselineDays))"
                return e
            }
            // Like-for-like sensors, as in v1 (greedy drop of the sensor valid on the fewest candidates).
            let (kept, baseline) = EventUplift.likeForLike(Array(rows.indices.filter { total($0, a) != nil }), candidates: candidates) {
                total($0, $1) != nil
            }
            guard !kept.isEmpty else {
                e.reason = "no sensor valid over the window and on \(EventUplift.minimumBaselineDays) of its clean baseline days"
                return e
            }
            e.sensors = kept.map { ids[$0] }
            e.baselineDays = baseline
            e.observed = sum(kept, a) ?? 0
            let totals = baseline.compactMap { sum(kept, $0) }
            e.baselineMinimum = totals.min()
            e.baselineMaximum = totals.max()
            guard let median = IndicatorMath.median(totals), median > 0 else {
                e.reason = "the baseline median is 0"
                return e
            }
            e.baselineMedian = median
            // The same weeks a year earlier (364 days: same weekday). The factor is a ratio, so it
            // may use its own like-for-like subset of the kept sensors (dropped greedily, as above).
            let eventCandidates = [a - 371, a - 364, a - 357].filter { isClean($0, excluded) }
            let baseCandidates = baseline.map { $0 - 364 }.filter { isClean($0, excluded) }
            var yearKept = kept
            var eventYear: [DayNumber] = []
            var baseYear: [DayNumber] = []
            while !yearKept.isEmpty {
                eventYear = eventCandidates.filter { sum(yearKept, $0) != nil }
                baseYear = baseCandidates.filter { sum(yearKept, $0) != nil }
                if eventYear.count >= minimumYearEarlierEventDays, baseYear.count >= EventUplift.minimumBaselineDays { break }
                var worst = 0
                var worstCount = Int.max
                for (j, i) in yearKept.enumerated() {
                    let n = (eventCandidates + baseCandidates).lazy.filter { total(i, $0) != nil }.count
                    if n <= worstCount {
                        worst = j
                        worstCount = n
                    }
                }
                yearKept.remove(at: worst)
            }
            if !yearKept.isEmpty,
                let y = IndicatorMath.median(eventYear.compactMap { sum(yearKept, $0) }),
                let yb = IndicatorMath.median(baseYear.compactMap { sum(yearKept, $0) }), y > 0, yb > 0
            {
                e.seasonalFactor = y / yb
                e.yearEarlierSensors = yearKept.map { ids[$0] }
                e.yearEarlierEventDays = eventYear
                e.yearEarlierBaselineDays = baseYear
                e.expected = median * y / yb
            } else {
                e.seasonalNote =
                    "no year earlier to follow the season (needs \(minimumYearEarlierEventDays) clean valid same-weekday days around the event's date and \(EventUplift.minimumBaselineDays) around the baseline's, 364 days before); the plain baseline median is used"
                e.expected = median
            }
            return e
        }

        /// observed ÷ expected − 1 of an ordinary placement, `nil` unless it is clean with a value.
        func error(at d: DayNumber, excluded: Set<DayNumber>) -> Double? {
            guard isClean(d, excluded) else { return nil }
            return ratio(at: d, excluded: excluded).map { $0 - 1 }
        }

        /// observed ÷ expected of any placement (the caller decides which are clean), `nil` without a value.
        func ratio(at d: DayNumber, excluded: Set<DayNumber>) -> Double? {
            let e = expectation(at: d, excluded: excluded)
            guard let expected = e.expected, !e.sensors.isEmpty else { return nil }
            return e.observed / expected
        }
    }
}
