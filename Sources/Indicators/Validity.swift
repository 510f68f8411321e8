/// How a vendor's sensor reports, which decides how its day is judged valid.
///
/// Why: a day-validity rule written for counters that report every interval ("share of expected
/// intervals present ≥ 0.9") would throw away every day of a Telraam-style camera, which sees
/// daylight only and is up 70–75% of the time while it is light, with counts already scaled up
/// for the downtime. So validity is defined per vendor kind (catalogue: `Indicators/README.md`).
public enum VendorKind: String, Sendable, CaseIterable, Codable {
    /// Reports a count for every interval of the day (CrowdScan, Citymesh, The Retail Factory,
    /// Movias, card spending). Optional vendor uptime per interval.
    case intervalCounter = "interval-counter"
    /// Telraam-style camera: hourly rows with an uptime 0–1, counts scaled up for downtime,
    /// daylight only. An hour is valid at uptime ≥ 0.5.
    case telraamCamera = "telraam-camera"

    /// The kind of a vendor named in a sensor list: names containing "telraam" are cameras,
    /// every other vendor reports intervals. Matching ignores case.
    public init(vendor: String) {
        self = vendor.lowercased().contains("telraam") ? .telraamCamera : .intervalCounter
    }
}

/// The coverage figures the node keeps per (sensor, local day, measure).
///
/// Why: validity must be decided from the same few numbers on the node and on the coordinator;
/// this is the shape both have.
public struct SensorDayCoverage: Sendable, Hashable, Codable {
    /// Σ interval minutes present that day.
    public var coveredMinutes: Double
    /// Σ interval minutes × vendor uptime (equals `coveredMinutes` for vendors without uptime).
    public var uptimeMinutes: Double
    /// Hours whose vendor uptime is ≥ 0.5 (Telraam-style cameras; 0 is fine for others).
    public var validHours: Int
    /// Minutes in the local day: 1440, or 1380 / 1500 at the DST changes (the caller's job).
    public var expectedMinutes: Int

    public init(coveredMinutes: Double, uptimeMinutes: Double? = nil, validHours: Int = 0, expectedMinutes: Int = 1440)
    {
        self.coveredMinutes = coveredMinutes
        self.uptimeMinutes = uptimeMinutes ?? coveredMinutes
        self.validHours = validHours
        self.expectedMinutes = expectedMinutes
    }
}

/// Turns a ``SensorDayCoverage`` into valid / invalid, per ``VendorKind`` (version 1).
///
/// Why: every indicator uses only valid sensor-days, and like-for-like comparisons need the
/// same rule everywhere; the thresholds are part of the standard, so they are versioned here.
///
/// - Interval counters: valid when `uptimeMinutes / expectedMinutes ≥ minimumUptimeShare`
///   (0.9). Without vendor uptime this is the share of the day's intervals present.
/// - Telraam-style cameras: valid when `validHours ≥ minimumValidHours` (6). The vendor uptime
///   is *not* compared with 0.9: the camera is dark at night and typically up 70–75% of daylight
///   hours, and its counts are already scaled up for downtime. Six valid hours are reachable on
///   the shortest December day in Flanders (about 8 hours of daylight).
public struct ValidityRule: Sendable, Hashable {
    /// Interval counters: minimum share of the day's expected minutes covered (× uptime).
    public var minimumUptimeShare: Double
    /// Telraam-style cameras: minimum number of hours with uptime ≥ 0.5.
    public var minimumValidHours: Int

    public init(minimumUptimeShare: Double, minimumValidHours: Int) {
        self.minimumUptimeShare = minimumUptimeShare
        self.minimumValidHours = minimumValidHours
    }

    /// The catalogue's version-1 rule: 0.9 for interval counters, 6 valid hours for cameras.
    public static let v1 = ValidityRule(minimumUptimeShare: 0.9, minimumValidHours: 6)

    /// The uptime an hour must reach to count as a valid Telraam hour.
    public static let telraamHourMinimumUptime = 0.5

    /// Whether a sensor's day counts.
    public func isValid(_ coverage: SensorDayCoverage, vendorKind: VendorKind) -> Bool {
        switch vendorKind {
        case .intervalCounter:
            guard coverage.expectedMinutes > 0 else { return false }
            return coverage.uptimeMinutes / Double(coverage.expectedMinutes) >= minimumUptimeShare
        case .telraamCamera:
            return coverage.validHours >= minimumValidHours
        }
    }
}

/// The flatline rule: a sensor-day that reports all zeros, or one value stuck for the whole day,
/// while the sensor normally counts, is invalid (version 1).
///
/// Why: a dead counter that keeps sending zeros for months passes the coverage rule (every
/// interval is present) and would read as a collapse in footfall, or drag a baseline down. Such a
/// day is missing, like an uncovered one, and leaves every indicator like-for-like.
///
/// A day is *flat* when its total is 0, or (interval counters, when hours are given) its 24 local
/// hours except hour 2 all hold the same value (hour 2 is left out: at the DST changes it is
/// missing or doubled). A flat day is a *flatline* when the median total of the sensor's previous
/// `historyDays` valid, non-flatline days **of the same weekday** (public holidays left out) is
/// above `minimumMedianTotal` and there are at least `minimumHistoryDays` of them (with less
/// history a quiet sensor cannot be told from a dead one). Same weekday, because a shop's door
/// counter reads 0 on the Sundays the shop is closed; public holidays are never judged, because
/// zeros are plausible when shops close for the holiday.
public struct FlatlineRule: Sendable, Hashable {
    /// Previous valid same-weekday days whose median says whether the sensor normally counts.
    public var historyDays: Int
    /// Fewer previous valid days than this: no judgement (the day stays valid).
    public var minimumHistoryDays: Int
    /// The median day total above which the sensor "normally counts".
    public var minimumMedianTotal: Double

    public init(historyDays: Int, minimumHistoryDays: Int, minimumMedianTotal: Double) {
        self.historyDays = historyDays
        self.minimumHistoryDays = minimumHistoryDays
        self.minimumMedianTotal = minimumMedianTotal
    }

    /// Version 1: the previous 8 valid same-weekday days, at least 3 of them, median above 24
    /// (one an hour).
    public static let v1 = FlatlineRule(historyDays: 8, minimumHistoryDays: 3, minimumMedianTotal: 24)

    /// One sensor-day as the rule sees it.
    public struct Day: Sendable, Hashable {
        public var day: DayNumber
        public var total: Double
        /// The 24 local hourly totals, when known.
        public var hours: [Double]?
        /// Valid by the coverage rule (``ValidityRule``).
        public var isValid: Bool
        public init(day: DayNumber, total: Double, hours: [Double]? = nil, isValid: Bool) {
            self.day = day
            self.total = total
            self.hours = hours
            self.isValid = isValid
        }
    }

    /// Whether a day's counts are flat (all zero, or stuck on one value).
    public func isFlat(_ day: Day, vendorKind: VendorKind) -> Bool {
        if day.total == 0 { return true }
        guard vendorKind == .intervalCounter, let hours = day.hours, hours.count == 24 else { return false }
        let others = hours.enumerated().filter { $0.offset != 2 }.map(\.element)
        return others.allSatisfy { $0 == others[0] }
    }

    /// The flatline days of one sensor's history (`days` in any order; judged in date order).
    /// `holidays`: the town's public holidays, never judged (shops close for them).
    public func flatlineDays(_ days: [Day], vendorKind: VendorKind, holidays: PublicHolidays = .belgian) -> Set<DayNumber> {
        var result: Set<DayNumber> = []
        // Per ISO weekday: totals of valid, non-flatline, non-holiday days, oldest first.
        var history = [[Double]](repeating: [], count: 8)
        for day in days.sorted(by: { $0.day < $1.day }) where day.isValid && !holidays.contains(day.day) {
            let w = day.day.isoWeekday
            if isFlat(day, vendorKind: vendorKind), history[w].count >= minimumHistoryDays,
                let median = IndicatorMath.median(Array(history[w].suffix(historyDays))), median > minimumMedianTotal
            {
                result.insert(day.day)
                continue
            }
            history[w].append(day.total)
        }
        return result
    }
}

extension HourlyPanel {
    /// This panel with every flatline sensor-day (``FlatlineRule``) made invalid, judged from the
    /// panel's own days. `vendorKinds` holds one kind per sensor row.
    public func excludingFlatlines(vendorKinds: [VendorKind], rule: FlatlineRule = .v1) throws -> HourlyPanel {
        guard vendorKinds.count == sensorCount else {
            throw IndicatorsError(.invalidArgument, "Pass one vendor kind per sensor row: \(sensorCount) rows, \(vendorKinds.count) kinds.")
        }
        var copy = self
        for s in 0..<sensorCount {
            let days = (0..<dayCount).map { offset -> FlatlineRule.Day in
                let day = firstDay + offset
                let hours = self.hours(sensor: s, day: day).map(Array.init)
                return FlatlineRule.Day(day: day, total: hours?.reduce(0, +) ?? 0, hours: hours, isValid: hours != nil)
            }
            for day in rule.flatlineDays(days, vendorKind: vendorKinds[s]) {
                try copy.set(sensor: s, day: day, hours: Array(repeating: 0, count: 24), isValid: false)
            }
        }
        return copy
    }
}
