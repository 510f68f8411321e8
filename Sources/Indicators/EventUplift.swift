/// The kinds of things that happen in a zone, as the town's event calendar records them.
///
/// Why: event uplift needs *clean* baseline days. An event, a campaign or road works change
/// footfall, so days with one in the zone are not clean; the weekly market is part of the normal
/// weekly pattern (excluding it would leave market towns without clean Saturdays), and `other`
/// is informational. To evaluate the market itself, pass it as the event.
public enum EventKind: String, Sendable, CaseIterable, Codable {
    case market, event, campaign, works, other

    /// Whether a day with this kind in the zone is excluded from baselines (v1).
    public var excludesBaselineDay: Bool {
        switch self {
        case .event, .campaign, .works: true
        case .market, .other: false
        }
    }
}

/// event-uplift v1: how much busier an event's days were than comparable ordinary days.
///
/// Why: towns evaluate events, markets and campaigns ("how many extra visitors?"). Comparing
/// with the median of recent clean same-weekday days (Melbourne compares with the mean of the
/// 4 preceding same weekdays; the median resists one odd day) keeps the answer inside the
/// town's own data. Catalogue: `Indicators/event-uplift.md`.
///
/// For each event day e: candidates are e − 7k, k = 1…12, that are clean (not in
/// `excludedDays`, not a Belgian public holiday); fewer than 4 → no value. Sensors S: those
/// valid on e; the baseline is the most recent 8 candidates on which every sensor of S is valid;
/// while that leaves fewer than 4 days, the sensor valid on the fewest candidates leaves S.
/// observed(e) = Σ count(s, e); expected(e) = median over baseline days b of Σ count(s, b).
/// uplift = Σ observed ÷ Σ expected − 1 over the event's days. Interval: the range spanned by
/// the quietest and busiest baseline day (see ``Result/low`` and ``Result/high``).
public enum EventUplift: CatalogedIndicator {
    public static let id = "event-uplift"
    public static let version = 1
    /// Same-weekday candidates looked at: 12 weeks back.
    public static let lookbackWeeks = 12
    /// Baseline days used at most.
    public static let maximumBaselineDays = 8

    /// Like-for-like sensors and their baseline: the first ``maximumBaselineDays`` candidates on
    /// which every kept sensor is valid; while there are fewer than ``minimumBaselineDays``, the
    /// sensor valid on the fewest candidates (ties: the later one) is dropped and it tries again.
    /// Empty sensors: no sensor can carry a baseline. (v1 and v2 share this rule.)
    static func likeForLike<Sensor>(_ sensors: [Sensor], candidates: [DayNumber],
                                    isValid: (Sensor, DayNumber) -> Bool) -> (sensors: [Sensor], baseline: [DayNumber]) {
        var sensors = sensors
        var baseline: [DayNumber] = []
        while !sensors.isEmpty {
            baseline = Array(candidates.filter { c in sensors.allSatisfy { isValid($0, c) } }.prefix(maximumBaselineDays))
            if baseline.count >= minimumBaselineDays { break }
            var worst = 0
            var worstCount = Int.max
            for (i, sensor) in sensors.enumerated() {
                let n = candidates.filter { isValid(sensor, $0) }.count
                if n <= worstCount {
                    worst = i
                    worstCount = n
                }
            }
            sensors.remove(at: worst)
        }
        return (sensors, baseline)
    }
    /// Clean baseline days needed at least.
    public static let minimumBaselineDays = 4
    /// Peers needed for the peer-adjusted form.
    public static let minimumPeers = 3

    /// One event day's figures.
    public struct DayResult: Sendable, Equatable, Codable {
        public var day: DayNumber
        /// The clean baseline days used, most recent first.
        public var baselineDays: [DayNumber]
        /// Sensor rows used (valid on the day and on every baseline day).
        public var sensors: [Int]
        /// Σ counts on the event day over `sensors`.
        public var observed: Double
        /// Median of the baseline days' totals; `nil` when the day has no value.
        public var expected: Double?
        /// The quietest baseline day's total (`nil` without a baseline).
        public var baselineMinimum: Double?
        /// The busiest baseline day's total (`nil` without a baseline).
        public var baselineMaximum: Double?
        /// observed ÷ expected; `nil` when insufficient.
        public var ratio: Double?
        /// Why there is no value, when there is none.
        public var reason: String?
    }

    /// The whole event's uplift.
    public struct Result: Sendable, Equatable, Codable {
        /// Σ observed ÷ Σ expected − 1; `nil` unless every event day has a value.
        public var value: Double?
        /// Σ observed ÷ Σ baseline maxima − 1: the uplift had the event days been compared with
        /// the busiest baseline days. With n exchangeable baseline days an ordinary day falls
        /// inside [min, max] with probability (n − 1)/(n + 1) (78% at n = 8, 60% at n = 4).
        public var low: Double?
        /// Σ observed ÷ Σ baseline minima − 1 (`nil` when a minimum is 0).
        public var high: Double?
        /// observed ÷ expected over all days (value + 1), the input to the peer-adjusted form.
        public var ratio: Double?
        /// Σ observed over the event's days.
        public var observed: Double
        /// Σ expected over the event's days; `nil` when a day has no value.
        public var expected: Double?
        /// Per event day, in date order.
        public var days: [DayResult]
    }

    /// The uplift of an event on `eventDays` over sensor rows `sensors` (the zone's sensors).
    /// `excludedDays`: days with an event, campaign or works in the zone (see
    /// ``EventKind/excludesBaselineDay``), including the event's own days. Public holidays are
    /// excluded here (`holidays`: the town's). For an event with hours, pass ``HourlyPanel/dailyPanel(hours:)``.
    public static func compute(
        panel: DailyPanel, sensors: [Int], eventDays: [DayNumber],
        excludedDays: Set<DayNumber>, holidays: PublicHolidays = .belgian
    ) throws -> Result {
        let rows = try FootfallIndex.checkedRows(sensors, sensorCount: panel.sensorCount)
        guard !eventDays.isEmpty else {
            throw IndicatorsError(.invalidArgument, "An event needs at least one day; pass the local days it covers.")
        }
        var excluded = excludedDays
        excluded.formUnion(eventDays)
        var days: [DayResult] = []
        for e in Set(eventDays).sorted() {
            days.append(dayResult(panel: panel, rows: rows, day: e, excluded: excluded, holidays: holidays))
        }
        let observed = days.reduce(0) { $0 + $1.observed }
        guard days.allSatisfy({ $0.expected != nil }) else {
            return Result(value: nil, low: nil, high: nil, ratio: nil, observed: observed, expected: nil, days: days)
        }
        let expected = days.reduce(0) { $0 + ($1.expected ?? 0) }
        let mins = days.reduce(0) { $0 + ($1.baselineMinimum ?? 0) }
        let maxs = days.reduce(0) { $0 + ($1.baselineMaximum ?? 0) }
        let ratio: Double? = expected > 0 ? observed / expected : nil
        return Result(
            value: ratio.map { $0 - 1 }, low: maxs > 0 ? observed / maxs - 1 : nil,
            high: mins > 0 ? observed / mins - 1 : nil, ratio: ratio,
            observed: observed, expected: expected, days: days)
    }

    static func dayResult(panel: DailyPanel, rows: [Int], day e: DayNumber, excluded: Set<DayNumber>,
                          holidays: PublicHolidays = .belgian) -> DayResult {
        // Clean same-weekday candidates, most recent first.
        var candidates: [DayNumber] = []
        for k in 1...lookbackWeeks {
            let b = e - 7 * k
            if !excluded.contains(b) && !holidays.contains(b) { candidates.append(b) }
        }
        var result = DayResult(
            day: e, baselineDays: Array(candidates.prefix(maximumBaselineDays)), sensors: [],
            observed: 0, expected: nil, baselineMinimum: nil, baselineMaximum: nil, ratio: nil, reason: nil)
        guard candidates.count >= minimumBaselineDays else {
            result.reason =
                "only \(candidates.count) clean same-weekday days in the \(lookbackWeeks) weeks before (need \(minimumBaselineDays))"
            return result
        }
        // Like-for-like: the sensors valid on the day; the baseline is the most recent 8 clean
        // candidates on which all of them are valid. Fewer than 4 → drop the sensor valid on the
        // fewest candidates (ties: the later row in `rows`) and try again.
        let (sensors, baseline) = likeForLike(rows.filter { panel.isValid(sensor: $0, day: e) }, candidates: candidates) {
            panel.isValid(sensor: $0, day: $1)
        }
        guard !sensors.isEmpty else {
            result.reason = "no sensor valid on the day and on \(minimumBaselineDays) of its clean baseline days"
            return result
        }
        result.baselineDays = baseline
        result.sensors = sensors
        result.observed = sensors.reduce(0) { $0 + (panel.total(sensor: $1, day: e) ?? 0) }
        let totals = baseline.map { b in sensors.reduce(0) { $0 + (panel.total(sensor: $1, day: b) ?? 0) } }
        result.baselineMinimum = totals.min()
        result.baselineMaximum = totals.max()
        guard let expected = IndicatorMath.median(totals), expected > 0 else {
            result.reason = "the baseline median is 0"
            return result
        }
        result.expected = expected
        result.ratio = result.observed / expected
        return result
    }

    /// peer-adjusted event uplift: the town's ratio (observed ÷ expected, ``Result/ratio``) divided by the median
    /// ratio, the same day(s), of peer series without an event, minus 1. Removes what moved the
    /// whole network that day (weather, a national holiday mood). `nil` when the town's ratio is
    /// missing, fewer than ``minimumPeers`` peer ratios are given, or their median is not > 0.
    /// A peer's ratio is ``compute(panel:sensors:eventDays:excludedDays:holidays:)``'s ``Result/ratio`` for
    /// the peer's series on the same days (a peer with an event those days is left out).
    public static func peerAdjusted(townRatio: Double?, peerRatios: [Double]) -> Double? {
        guard let townRatio, peerRatios.count >= minimumPeers, let m = IndicatorMath.median(peerRatios), m > 0 else {
            return nil
        }
        return townRatio / m - 1
    }
}

/// Small statistics shared by the indicators and by the coordinator's peer figures.
///
/// Why: "the median" must mean the same thing in a town's uplift and in the network's peer
/// medians, so there is one definition.
public enum IndicatorMath {
    /// The median (mean of the two middle values for an even count), `nil` when empty.
    public static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }
}
