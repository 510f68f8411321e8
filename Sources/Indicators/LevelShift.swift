/// The level-shift flag (`LevelShift.v1`, Indicators/README.md): a counter moved or re-aimed keeps
/// counting, so neither coverage nor the flatline rule sees it, but its level changes for good.
///
/// Why a flag and not an exclusion: a real change (a new shop, road works) looks the same; the
/// town decides. The rule compares, per day class (weekday, Saturday, Sunday), the median daily
/// total of the last 4 weeks with that of the 8 weeks before; a ratio above ``factor`` or below
/// 1 ÷ ``factor`` is flagged.
public enum LevelShift {
    /// Days in the recent and in the previous period (ending the day before the recent one).
    public static let recentDays = 28
    public static let previousDays = 56
    /// The stated factor: a shift is a ratio of medians above 2 or below ½.
    public static let factor = 2.0
    /// Valid days of the class needed in each period for a judgement.
    public static let minimumRecentDays = 3
    public static let minimumPreviousDays = 6

    public struct Finding: Sendable, Equatable, Codable {
        public var dayClass: EventUpliftV2.DayClass
        /// The recent period (the last ``recentDays`` days up to the sensor's last day).
        public var from: DayNumber
        public var to: DayNumber
        public var recentMedian: Double
        public var previousMedian: Double
        /// recentMedian ÷ previousMedian.
        public var ratio: Double
    }

    /// The shifts in `totals` (valid, non-flatline daily totals of one sensor and measure) for
    /// the recent period ending `lastDay`. Public holidays are left out (`holidays`).
    public static func detect(_ totals: [DayNumber: Double], lastDay: DayNumber, holidays: PublicHolidays = .belgian) -> [Finding] {
        let recent = (lastDay - (recentDays - 1))...lastDay
        let previous = (recent.lowerBound - previousDays)...(recent.lowerBound - 1)
        var findings: [Finding] = []
        for dayClass in EventUpliftV2.DayClass.allCases {
            func values(_ days: ClosedRange<DayNumber>) -> [Double] {
                days.compactMap { d in
                    guard EventUpliftV2.DayClass(d) == dayClass, !holidays.contains(d), let t = totals[d], t.isFinite else { return nil }
                    return t
                }
            }
            let r = values(recent), p = values(previous)
            guard r.count >= minimumRecentDays, p.count >= minimumPreviousDays,
                  let recentMedian = IndicatorMath.median(r), let previousMedian = IndicatorMath.median(p), previousMedian > 0 else { continue }
            let ratio = recentMedian / previousMedian
            if ratio > factor || ratio < 1 / factor {
                findings.append(Finding(dayClass: dayClass, from: recent.lowerBound, to: recent.upperBound,
                                        recentMedian: recentMedian, previousMedian: previousMedian, ratio: ratio))
            }
        }
        return findings
    }
}
