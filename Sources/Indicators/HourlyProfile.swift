/// Opening hours as a half-open range of local hours per day type, e.g. 9..<18.
///
/// Why: the hourly profile answers "how much of the footfall falls inside the shops' opening
/// hours?", which towns ask to advise shops; opening hours differ by day type.
public struct OpeningHours: Sendable, Hashable, Codable {
    public var weekday: Range<Int>?
    public var saturday: Range<Int>?
    public var sundayOrHoliday: Range<Int>?

    public init(weekday: Range<Int>?, saturday: Range<Int>?, sundayOrHoliday: Range<Int>?) {
        self.weekday = weekday
        self.saturday = saturday
        self.sundayOrHoliday = sundayOrHoliday
    }

    /// The hours for a day type (`nil`: closed).
    public subscript(type: DayType) -> Range<Int>? {
        switch type {
        case .weekday: weekday
        case .saturday: saturday
        case .sundayOrHoliday: sundayOrHoliday
        }
    }
}

/// hourly-profile v1: the share of a day's footfall in each local hour, by day type.
///
/// Why: towns advise shops on opening hours (lunchtime workers, commuters after closing time);
/// shares, not counts, make towns and vendors comparable. Catalogue: `Indicators/hourly-profile.md`.
///
/// For each day d of the period: the zone's hourly sums H_d(h) over sensors valid on d; if
/// Σ_h H_d(h) > 0, share_d(h) = H_d(h) ÷ Σ_h H_d(h). The profile of a day type (weekday,
/// Saturday, Sunday-or-holiday) is the mean of share_d(h) over its days (each day weighs the
/// same). Inside-opening-hours share = Σ of the profile over the opening hours; lunchtime share
/// = profile(12) + profile(13) (12:00–14:00). DST: on the 23-hour day local hour 2 is empty, on
/// the 25-hour day it holds two clock hours; shares still sum to 1.
public enum HourlyProfile: CatalogedIndicator {
    public static let id = "hourly-profile"
    public static let version = 1
    /// 12:00–14:00 local.
    public static let lunchtime = 12..<14

    /// One day type's profile.
    public struct Profile: Sendable, Equatable, Codable {
        public var dayType: DayType
        /// 24 shares summing to 1; `nil` when no valid day of this type.
        public var shares: [Double]?
        /// Share inside the opening hours; `nil` without shares or opening hours.
        public var openingHoursShare: Double?
        /// Share 12:00–14:00; `nil` without shares.
        public var lunchtimeShare: Double?
        /// Days averaged.
        public var days: Int
        /// Distinct sensors that contributed on any day.
        public var sensors: Int
    }

    /// The three profiles (weekday, Saturday, Sunday-or-holiday) of `sensors` over `period`.
    public static func compute(
        panel: HourlyPanel, sensors: [Int], period: ClosedRange<DayNumber>,
        openingHours: OpeningHours? = nil, holidays: PublicHolidays = .belgian
    ) throws -> [Profile] {
        _ = try FootfallIndex.checkedRows(sensors, sensorCount: panel.sensorCount)
        let badOpening = DayType.allCases.first { t in
            guard let r = openingHours?[t] else { return false }
            return r.lowerBound < 0 || r.upperBound > 24
        }
        if let bad = badOpening {
            throw IndicatorsError(
                .invalidArgument, "Opening hours for \(bad.rawValue) must lie within local hours 0..<24.")
        }
        var sums = [DayType: [Double]]()
        var days = [DayType: Int]()
        var used = [DayType: Set<Int>]()
        var d = max(period.lowerBound, panel.firstDay)
        while d <= period.upperBound, d < panel.firstDay + panel.dayCount {
            var h = [Double](repeating: 0, count: 24)
            var contributors: [Int] = []
            for s in sensors {
                guard let hours = panel.hours(sensor: s, day: d) else { continue }
                contributors.append(s)
                for (i, v) in zip(0..<24, hours) { h[i] += v }
            }
            let total = h.reduce(0, +)
            if total > 0 {
                let t = holidays.dayType(of: d)
                var acc = sums[t] ?? [Double](repeating: 0, count: 24)
                for i in 0..<24 { acc[i] += h[i] / total }
                sums[t] = acc
                days[t, default: 0] += 1
                used[t, default: []].formUnion(contributors)
            }
            d = d + 1
        }
        return DayType.allCases.map { t in
            let n = days[t] ?? 0
            guard n > 0, let acc = sums[t] else {
                return Profile(
                    dayType: t, shares: nil, openingHoursShare: nil, lunchtimeShare: nil, days: 0, sensors: 0)
            }
            let shares = acc.map { $0 / Double(n) }
            let opening = openingHours?[t].map { r in r.reduce(0.0) { $0 + shares[$1] } }
            let lunch = lunchtime.reduce(0.0) { $0 + shares[$1] }
            return Profile(
                dayType: t, shares: shares, openingHoursShare: opening, lunchtimeShare: lunch,
                days: n, sensors: used[t]?.count ?? 0)
        }
    }
}
