/// event-uplift v2 over whole days, as the coordinator computes it: the town's own figure and the
/// peer-adjusted one, each with its split-conformal interval (catalogue
/// `Indicators/event-uplift-v2.md`, "Peer-adjusted form (coordinator)").
///
/// Why a ratio series: the coordinator has daily totals per sensor and whole-day events, and it
/// evaluates every event of every town against every other town. Each town's observed ÷ expected
/// per placement is computed once per window length (``dailyRatios(panel:sensors:length:anchors:excludedDays:holidays:)``);
/// the peers' median per day is precomputed once for all towns (``PeerRatios``), and an event is
/// then a few lookups per calibration day, not a pass over every peer's data.
extension EventUpliftV2 {
    /// One series' observed ÷ expected by the v2 rule for every placement of a whole-day window.
    public struct RatioSeries: Sendable, Equatable {
        /// Days the window covers (1 for a one-day event).
        public let length: Int
        /// The anchor (first day) of `ratios[0]`.
        public let firstAnchor: DayNumber
        /// Per anchor: `nil` when the placement touches an excluded day or has no expected value.
        /// Public holidays keep their ratio (a peer on an event's holiday); calibration skips them.
        public let ratios: [Double?]

        public init(length: Int, firstAnchor: DayNumber, ratios: [Double?]) {
            self.length = length
            self.firstAnchor = firstAnchor
            self.ratios = ratios
        }

        /// The ratio of the placement at `anchor`, `nil` outside the series.
        public func ratio(at anchor: DayNumber) -> Double? {
            let i = firstAnchor.distance(to: anchor)
            return i >= 0 && i < ratios.count ? ratios[i] : nil
        }
    }

    /// observed ÷ expected by the v2 rule for each placement anchor in `anchors` of a `length`-day
    /// window over `sensors` (rows of `panel`), `nil` when a day the placement covers is in
    /// `excludedDays` or it has no expected value. For a town as a peer, `sensors` are all its rows
    /// and `excludedDays` its event, campaign and works days in any zone; for the event's zone, its
    /// rows and the zone's days. `holidays`: the town's (baselines skip them).
    public static func dailyRatios(
        panel: DailyPanel, sensors: [Int], length: Int, anchors: ClosedRange<DayNumber>, excludedDays: Set<DayNumber>,
        holidays: PublicHolidays = .belgian
    ) throws -> RatioSeries {
        let rule = try Rule(panel: panel, sensors: sensors, length: length, level: defaultLevel, holidays: holidays)
        let ratios = anchors.map { x -> Double? in
            guard rule.window.segments.allSatisfy({ !excludedDays.contains(x + $0.dayOffset) }) else { return nil }
            return rule.ratio(at: x, excluded: excludedDays)
        }
        return RatioSeries(length: length, firstAnchor: anchors.lowerBound, ratios: ratios)
    }

    /// The event's own placement: observed ÷ expected at `start` (its days are not required to be
    /// clean: they are the event), or why there is none.
    public static func dailyEventRatio(
        panel: DailyPanel, sensors: [Int], length: Int, start: DayNumber, excludedDays: Set<DayNumber>,
        holidays: PublicHolidays = .belgian
    ) throws -> (ratio: Double?, reason: String?) {
        let rule = try Rule(panel: panel, sensors: sensors, length: length, level: defaultLevel, holidays: holidays)
        let excluded = excludedDays.union(rule.window.days(anchoredAt: start))
        let e = rule.expectation(at: start, excluded: excluded)
        guard let expected = e.expected, !e.sensors.isEmpty else { return (nil, e.reason ?? "no expected value") }
        return (e.observed / expected, nil)
    }

    /// Every town's ratios per placement, sorted per anchor, for the peers' median.
    ///
    /// Why precomputed: each event needs, for its day and ~250 calibration days, the median over
    /// all other towns; sorting each day once for all towns makes leaving one town out a binary
    /// search.
    public struct PeerRatios: Sendable {
        public let length: Int
        public let anchors: ClosedRange<DayNumber>
        let sorted: [[Double]]

        /// From each peer town's series (all of window length `length`) over `anchors`.
        public init(_ series: [RatioSeries], length: Int, anchors: ClosedRange<DayNumber>) throws {
            guard series.allSatisfy({ $0.length == length }) else {
                throw IndicatorsError(.invalidArgument, "Peer series must all be for \(length)-day windows; compute them with the event's length.")
            }
            self.length = length
            self.anchors = anchors
            sorted = anchors.map { x in series.compactMap { $0.ratio(at: x) }.filter(\.isFinite).sorted() }
        }

        /// The median of the peers' ratios at `anchor` and their number, leaving out `own`'s ratio
        /// there (a town is not its own peer).
        public func median(at anchor: DayNumber, leavingOut own: RatioSeries?) -> (median: Double?, count: Int) {
            let i = anchors.lowerBound.distance(to: anchor)
            guard i >= 0, i < sorted.count else { return (nil, 0) }
            let values = sorted[i]
            // Leave one value equal to the town's own out (which equal one does not change the median).
            var skip: Int?
            if let v = own?.ratio(at: anchor), v.isFinite {
                var lo = 0, hi = values.count
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if values[mid] < v { lo = mid + 1 } else { hi = mid }
                }
                if lo < values.count, values[lo] == v { skip = lo }
            }
            let n = values.count - (skip == nil ? 0 : 1)
            guard n > 0 else { return (nil, 0) }
            func at(_ k: Int) -> Double { values[skip.map { k >= $0 ? k + 1 : k } ?? k] }
            return (n % 2 == 1 ? at(n / 2) : (at(n / 2 - 1) + at(n / 2)) / 2, n)
        }
    }

    /// A figure with its split-conformal interval.
    public struct Calibrated: Sendable, Equatable, Codable {
        /// The uplift (observed ÷ expected − 1, or its peer-adjusted form).
        public var value: Double?
        /// value − q and value + q; `nil` without enough calibration.
        public var low: Double?
        public var high: Double?
        /// Calibration placements behind q.
        public var calibrationDays: Int
        /// The ⌈(n + 1)·level⌉-th smallest |error| of the calibration placements.
        public var quantile: Double?
        /// The ⌈0.8·n⌉-th smallest (1 + q) ÷ (1 + error) − 1: the smallest uplift whose interval
        /// would exclude 0 on 80 % of the calibration placements.
        public var minimumDetectableUplift: Double?
        /// Why the value or its interval is missing, when one is.
        public var reason: String?
    }

    /// `value` with its interval from the calibration placements' signed `errors` at `level`.
    static func calibrated(value: Double?, errors: [Double], level: Double, valueReason: String? = nil) -> Calibrated {
        var c = Calibrated(value: value, low: nil, high: nil, calibrationDays: errors.count, quantile: nil,
                           minimumDetectableUplift: nil, reason: nil)
        switch conformalQuantile(errors.map(abs), level: level) {
        case .success(let q):
            c.quantile = q
            let needed = errors.map { (1 + q) / (1 + $0) - 1 }
            c.minimumDetectableUplift = orderStatistic(needed, rank: rankFor(level: detectionPower, count: needed.count))
            if let value {
                c.low = value - q
                c.high = value + q
            }
        case .failure(let failure): c.reason = failure.text
        }
        if value == nil { c.reason = valueReason ?? c.reason ?? "no uplift to put an interval on" }
        return c
    }

    /// An event's whole-day v2 at the coordinator: the town's own uplift and the peer-adjusted one.
    public struct PeerAdjusted: Sendable, Equatable, Codable {
        public var start: DayNumber
        public var length: Int
        public var dayClass: DayClass
        public var level: Double
        /// The zone's ratio − 1, calibrated on the zone's own errors (ratio − 1).
        public var own: Calibrated
        /// zone ratio ÷ peers' median ratio − 1, calibrated on the same quantity on ordinary days.
        public var peerAdjusted: Calibrated
        /// Peer towns whose ratio entered the event's median.
        public var peers: Int
    }

    /// The event starting `start` (the zone's `eventRatio` from ``dailyEventRatio(panel:sensors:length:start:excludedDays:holidays:)``,
    /// or `eventReason`), against the zone's own ordinary placements (`zone`) and the peers
    /// (`peers`, leaving out `town`, the zone's own town as a peer).
    ///
    /// Calibration placements c: start − 364 … start − length, of the start day's class, with a
    /// zone ratio and no public holiday among their days; the own error is ratio(c) − 1, the
    /// peer-adjusted one ratio(c) ÷ peers' median(c) − 1 where ≥ ``EventUplift/minimumPeers``
    /// peers have a ratio that day.
    public static func peerAdjusted(
        start: DayNumber, eventRatio: Double?, eventReason: String? = nil, zone: RatioSeries, peers: PeerRatios,
        town: RatioSeries?, holidays: PublicHolidays = .belgian, level: Double = defaultLevel
    ) throws -> PeerAdjusted {
        guard levels.contains(level) else {
            throw IndicatorsError(.invalidArgument, "The interval level must lie in 0.5–0.99, got \(level); e.g. 0.9.")
        }
        guard zone.length == peers.length, town.map({ $0.length == zone.length }) ?? true else {
            throw IndicatorsError(
                .invalidArgument, "The zone's series (\(zone.length) days) and the peers' (\(peers.length)) must be for the same window length.")
        }
        let length = zone.length
        let dayClass = DayClass(start)
        var own: [Double] = []
        var adjusted: [Double] = []
        for c in (start - calibrationLookbackDays)...(start - length) where DayClass(c) == dayClass {
            guard let r = zone.ratio(at: c), (0..<length).allSatisfy({ !holidays.contains(c + $0) }) else { continue }
            own.append(r - 1)
            let (m, n) = peers.median(at: c, leavingOut: town)
            if n >= EventUplift.minimumPeers, let m, m > 0 { adjusted.append(r / m - 1) }
        }
        let (m, n) = peers.median(at: start, leavingOut: town)
        var value: Double?
        var reason: String?
        if let eventRatio {
            if n < EventUplift.minimumPeers {
                reason = "only \(n) peer towns without an event, campaign or works those days have a value (need \(EventUplift.minimumPeers))"
            } else if let m, m > 0 {
                value = eventRatio / m - 1
            } else {
                reason = "the peers' median ratio is 0"
            }
        } else {
            reason = eventReason ?? "the town's own ratio is missing"
        }
        return PeerAdjusted(
            start: start, length: length, dayClass: dayClass, level: level,
            own: calibrated(value: eventRatio.map { $0 - 1 }, errors: own, level: level, valueReason: eventReason),
            peerAdjusted: calibrated(value: value, errors: adjusted, level: level, valueReason: reason), peers: n)
    }

    /// The placebo test of the whole-day forms, own and peer-adjusted side by side.
    public struct PeerPlacebo: Sendable, Equatable, Codable {
        public var level: Double
        public var injectedUplift: Double
        public var length: Int
        public var from: DayNumber
        public var to: DayNumber
        /// The town's own form (v1's range is not counted here: its fields stay 0).
        public var own: [Placebo.Row]
        /// The peer-adjusted form, over the days with ≥ 3 peers.
        public var peerAdjusted: [Placebo.Row]
        /// Each form's errors (observed ÷ expected − 1) on the period's ordinary days, in day order,
        /// with or without an interval: a caller's spread of the errors uses the placebo's own.
        public var ownErrors: [Double]
        public var peerAdjustedErrors: [Double]
    }

    /// Every ordinary placement d in `period` (a zone ratio, no public holiday) treated as an
    /// event: its error in each form, q(d) from the same form's same-class errors of the 52 weeks
    /// before d (as ``placebo(panel:sensors:sensorIDs:hours:excludedDays:period:level:injectedUplift:holidays:)``).
    /// `zone` must cover `period` and the 364 days before.
    public static func peerAdjustedPlacebo(
        zone: RatioSeries, peers: PeerRatios, town: RatioSeries?, holidays: PublicHolidays = .belgian,
        period: ClosedRange<DayNumber>, level: Double = defaultLevel, injectedUplift: Double = 0.2
    ) throws -> PeerPlacebo {
        guard injectedUplift.isFinite, injectedUplift > -1 else {
            throw IndicatorsError(.invalidArgument, "An injected uplift must be a number above −1 (e.g. 0.2 for +20 %), got \(injectedUplift).")
        }
        guard levels.contains(level) else {
            throw IndicatorsError(.invalidArgument, "The interval level must lie in 0.5–0.99, got \(level); e.g. 0.9.")
        }
        guard zone.length == peers.length else {
            throw IndicatorsError(
                .invalidArgument, "The zone's series (\(zone.length) days) and the peers' (\(peers.length)) must be for the same window length.")
        }
        let first = period.lowerBound - calibrationLookbackDays
        var own: [Double?] = []
        var adjusted: [Double?] = []
        for d in first...period.upperBound {
            guard let r = zone.ratio(at: d), (0..<zone.length).allSatisfy({ !holidays.contains(d + $0) }) else {
                own.append(nil)
                adjusted.append(nil)
                continue
            }
            own.append(r - 1)
            let (m, n) = peers.median(at: d, leavingOut: town)
            if n >= EventUplift.minimumPeers, let m, m > 0 { adjusted.append(r / m - 1) } else { adjusted.append(nil) }
        }
        func rows(_ errors: [Double?]) -> [Placebo.Row] {
            placeboRows(errors: errors, first: first, period: period, lastOffset: zone.length - 1, level: level,
                        injectedUplift: injectedUplift) { _ in false }
        }
        let periodStart = first.distance(to: period.lowerBound)
        return PeerPlacebo(level: level, injectedUplift: injectedUplift, length: zone.length, from: period.lowerBound,
                           to: period.upperBound, own: rows(own), peerAdjusted: rows(adjusted),
                           ownErrors: own[periodStart...].compactMap { $0 }, peerAdjustedErrors: adjusted[periodStart...].compactMap { $0 })
    }
}
