/// The level-shift flag (`LevelShift.v1`, Indicators/README.md): a counter moved or re-aimed keeps
/// counting, so neither coverage nor the flatline rule sees it, but its level changes for good.
///
/// Why a flag and not an exclusion: a real change (a new shop, road works) looks the same; the
/// town decides. The rule compares, per day class (weekday, Saturday, Sunday), the median daily
/// total of the last 4 weeks with that of the 8 weeks before; a ratio above ``factor`` or below
/// 1 ÷ ``factor`` is flagged.
///
/// The second rule (`LevelShift.v1` relative to the zone, ``detectRelativeToZone(_:zoneMates:lastDay:holidays:)``)
/// compares the sensor's daily *share* of its zone instead: the season and the weather move all
/// counters of a zone together and cancel in the share, so a much smaller factor can be used, and
/// it is judged at every week end of the last year, so an older shift is seen too.
public enum LevelShift {
    /// Which rule found a shift.
    public enum Rule: String, Sendable, Codable {
        /// The sensor's own daily totals, ×``factor``, at the sensor's last day.
        case absolute
        /// The sensor's daily share of its zone, ×``relativeFactor``, at every week end.
        case relativeToZone
    }

    /// Days in the recent and in the previous period (ending the day before the recent one).
    public static let recentDays = 28
    public static let previousDays = 56
    /// The stated factor: a shift is a ratio of medians above 2 or below ½.
    public static let factor = 2.0
    /// Valid days of the class needed in each period for a judgement.
    public static let minimumRecentDays = 3
    public static let minimumPreviousDays = 6
    /// The factor of the rule relative to the zone. Why 1.4: the share cancels the season (the coast
    /// ×4 in summer), so what is left is day-to-day noise; a re-aimed Auckland counter counted ×1.6
    /// (its share moves ×1.6 too), while each of its 2 zone-mates sees its own share move only about
    /// ÷1.3 — 1.4 sits between.
    public static let relativeFactor = 1.4
    /// Week ends judged by the rule relative to the zone: the sensor's last day and every 7th day
    /// before it, over a year.
    public static let evaluatedWeeks = 52

    public struct Finding: Sendable, Equatable, Codable {
        public var dayClass: EventUpliftV2.DayClass
        /// The recent period: the last ``recentDays`` days up to the sensor's last day
        /// (``Rule/absolute``) or up to the first week end the shift is flagged (``Rule/relativeToZone``).
        public var from: DayNumber
        public var to: DayNumber
        /// Medians of daily totals (``Rule/absolute``) or of daily shares of the zone (``Rule/relativeToZone``).
        public var recentMedian: Double
        public var previousMedian: Double
        /// recentMedian ÷ previousMedian.
        public var ratio: Double
        public var rule: Rule = .absolute
    }

    /// The shifts in `totals` (valid, non-flatline daily totals of one sensor and measure) for
    /// the recent period ending `lastDay`. Public holidays are left out (`holidays`).
    public static func detect(_ totals: [DayNumber: Double], lastDay: DayNumber, holidays: PublicHolidays = .belgian) -> [Finding] {
        EventUpliftV2.DayClass.allCases.compactMap { dayClass in
            guard let finding = compare(totals, dayClass: dayClass, lastDay: lastDay, holidays: holidays),
                  finding.ratio > factor || finding.ratio < 1 / factor else { return nil }
            return finding
        }
    }

    /// The shifts of a sensor's share of its zone: `totals` as for ``detect(_:lastDay:holidays:)``,
    /// `zoneMates` the valid daily totals of the other sensors of its zone (same measure). A day's
    /// share is the sensor's total ÷ the sum of the zone-mates valid that day (a day without one, or
    /// with a sum of 0, has no share). Judged at every week end of the last ``evaluatedWeeks`` up to
    /// `lastDay`, oldest first; a shift is reported once, at the first week end it is flagged:
    /// consecutive flagged week ends of the same day class and direction are one finding. No
    /// zone-mates (a single-sensor zone): nothing to compare with, no finding.
    public static func detectRelativeToZone(_ totals: [DayNumber: Double], zoneMates: [[DayNumber: Double]], lastDay: DayNumber,
                                            holidays: PublicHolidays = .belgian) -> [Finding] {
        guard !zoneMates.isEmpty else { return [] }
        var shares: [DayNumber: Double] = [:]
        for (day, total) in totals where total.isFinite {
            let mates = zoneMates.compactMap { $0[day] }.filter(\.isFinite)
            let sum = mates.reduce(0, +)
            if !mates.isEmpty, sum > 0 { shares[day] = total / sum }
        }
        var findings: [Finding] = []
        for dayClass in EventUpliftV2.DayClass.allCases {
            var previousDirection: Bool?  // true: up, false: down, nil: the previous week end was not flagged
            for weeksBack in (0..<evaluatedWeeks).reversed() {
                let weekEnd = lastDay - 7 * weeksBack
                guard var finding = compare(shares, dayClass: dayClass, lastDay: weekEnd, holidays: holidays),
                      finding.ratio > relativeFactor || finding.ratio < 1 / relativeFactor else {
                    previousDirection = nil
                    continue
                }
                let up = finding.ratio > 1
                if previousDirection != up {
                    finding.rule = .relativeToZone
                    findings.append(finding)
                }
                previousDirection = up
            }
        }
        return findings.sorted { ($0.to, $0.dayClass.sortKey) < ($1.to, $1.dayClass.sortKey) }
    }

    /// The medians of `perDay` (totals or shares) of `dayClass` in the recent period ending `lastDay` and in
    /// the one before, unflagged; nil without enough days or with an earlier median of 0.
    static func compare(_ perDay: [DayNumber: Double], dayClass: EventUpliftV2.DayClass, lastDay: DayNumber,
                        holidays: PublicHolidays) -> Finding? {
        let recent = (lastDay - (recentDays - 1))...lastDay
        let previous = (recent.lowerBound - previousDays)...(recent.lowerBound - 1)
        func values(_ days: ClosedRange<DayNumber>) -> [Double] {
            days.compactMap { d in
                guard EventUpliftV2.DayClass(d) == dayClass, !holidays.contains(d), let t = perDay[d], t.isFinite else { return nil }
                return t
            }
        }
        let r = values(recent), p = values(previous)
        guard r.count >= minimumRecentDays, p.count >= minimumPreviousDays,
              let recentMedian = IndicatorMath.median(r), let previousMedian = IndicatorMath.median(p), previousMedian > 0 else { return nil }
        return Finding(dayClass: dayClass, from: recent.lowerBound, to: recent.upperBound,
                       recentMedian: recentMedian, previousMedian: previousMedian, ratio: recentMedian / previousMedian)
    }
}

private extension EventUpliftV2.DayClass {
    /// The order of ``allCases`` (weekday, Saturday, Sunday), to sort findings of one week end.
    var sortKey: Int { Self.allCases.firstIndex(of: self) ?? 0 }
}
