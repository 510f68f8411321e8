/// The four day types the shape of the day is compared by: weekdays in and out of school
/// holidays are apart, Saturdays and Sundays (public holidays count as Sundays) keep their own.
///
/// Why: a school-holiday Tuesday looks like neither a school Tuesday nor a Saturday; towns asked
/// for the four (issue 20). `hourly-profile` v1 keeps its three types.
public enum ShapeDayType: String, Sendable, CaseIterable, Codable, Hashable, CodingKeyRepresentable {
    case weekday
    case saturday
    case sundayOrHoliday = "sunday-or-holiday"
    case schoolHoliday = "school-holiday"

    /// The type of `day`: public holidays and Sundays → Sunday; Saturdays → Saturday; a
    /// Monday–Friday inside `schoolHolidays` → school holiday; other days → weekday.
    public static func of(_ day: DayNumber, schoolHolidays: SchoolHolidays = SchoolHolidays()) -> ShapeDayType {
        switch BelgianCalendar.dayType(of: day) {
        case .sundayOrHoliday: .sundayOrHoliday
        case .saturday: .saturday
        case .weekday: schoolHolidays.contains(day) ? .schoolHoliday : .weekday
        }
    }
}

/// A zone's shop opening hours: the usual hours per ISO weekday and exceptions by date (Sunday
/// shopping days, late-night shopping, a closed public holiday), in minutes after local midnight.
///
/// Why: "share of footfall while most shops are closed" needs the hours of each date, and the
/// exceptions are exactly the days towns ask about. An hour counts as *open* when the shops are
/// open for at least 30 of its 60 minutes.
public struct OpeningSchedule: Sendable, Hashable, Codable {
    /// ISO weekday (1 = Monday … 7 = Sunday) → open intervals `[opens, closes)` in minutes 0…1440.
    public var weekly: [Int: [Range<Int>]]
    /// A date whose hours replace its weekday's (an empty list: closed all day).
    public var exceptions: [DayNumber: [Range<Int>]]

    public init(weekly: [Int: [Range<Int>]] = [:], exceptions: [DayNumber: [Range<Int>]] = [:]) {
        self.weekly = weekly
        self.exceptions = exceptions
    }

    /// Checks every interval lies within 0…1440 minutes and every weekday is 1…7.
    public func validate() throws {
        for (weekday, ranges) in weekly {
            guard (1...7).contains(weekday) else {
                throw IndicatorsError(.invalidArgument, "Opening hours name weekday \(weekday); use 1 (Monday) … 7 (Sunday).")
            }
            try Self.check(ranges, "weekday \(weekday)")
        }
        for (day, ranges) in exceptions { try Self.check(ranges, "\(day)") }
    }

    static func check(_ ranges: [Range<Int>], _ what: String) throws {
        for r in ranges where r.lowerBound < 0 || r.upperBound > 1440 {
            throw IndicatorsError(
                .invalidArgument, "Opening hours of \(what) must lie within 00:00…24:00, got minutes \(r.lowerBound)…\(r.upperBound).")
        }
    }

    /// The open intervals of `day` (its exception if any, else its weekday's).
    public func intervals(on day: DayNumber) -> [Range<Int>] { exceptions[day] ?? weekly[day.isoWeekday] ?? [] }

    /// 24 flags: local hour `h` is open when at least 30 minutes of it are inside an interval.
    public func openHours(on day: DayNumber) -> [Bool] {
        let ranges = intervals(on: day)
        return (0..<24).map { h in
            let hour = (h * 60)..<(h * 60 + 60)
            let minutes = ranges.reduce(0) { $0 + $1.clamped(to: hour).count }
            return minutes >= 30
        }
    }

    /// Whether the schedule says anything at all (no weekly hours and no exception: unknown).
    public var isEmpty: Bool { weekly.values.allSatisfy(\.isEmpty) && exceptions.isEmpty }
}

/// day-shape v1: when in the day a zone's footfall comes, against its shops' opening hours and
/// its peers: per day type the hourly shares, the share while most shops are closed, the lunch
/// share (12–14 h) and the evening share (from 18 h); Saturdays and Sundays against weekdays.
///
/// Why: towns asked whether opening hours match when people are in the centre (issue 20). Shares,
/// not counts, make towns comparable; the peers' band (``peerBand(_:)``) is the network's median
/// and quartiles per hour. Catalogue: `Indicators/day-shape.md`.
public enum DayShape: CatalogedIndicator {
    public static let id = "day-shape"
    public static let version = 1
    /// 12:00–14:00 local.
    public static let lunch = 12..<14
    /// 18:00–24:00 local.
    public static let evening = 18..<24

    /// One day type's shape.
    public struct TypeShape: Sendable, Equatable, Codable {
        public var dayType: ShapeDayType
        /// Days averaged (valid days with a total > 0).
        public var days: Int
        /// 24 mean shares summing to 1; nil without days.
        public var shares: [Double]?
        /// Mean over the days of the share in hours the schedule has closed; nil without days or
        /// without a schedule.
        public var closedShare: Double?
        public var lunchShare: Double?
        public var eveningShare: Double?
        /// The hour the shops usually close on this day type (the latest closing hour among its
        /// days' schedules, rounded as ``OpeningSchedule/openHours(on:)``); nil when closed all day.
        public var usualClosingHour: Int?
        /// The hour they usually open (the earliest first open hour among its days); nil when closed.
        public var usualOpeningHour: Int?

        public init(dayType: ShapeDayType, days: Int, shares: [Double]?, closedShare: Double?, lunchShare: Double?,
                    eveningShare: Double?, usualClosingHour: Int?, usualOpeningHour: Int? = nil) {
            self.usualOpeningHour = usualOpeningHour
            self.dayType = dayType
            self.days = days
            self.shares = shares
            self.closedShare = closedShare
            self.lunchShare = lunchShare
            self.eveningShare = eveningShare
            self.usualClosingHour = usualClosingHour
        }
    }

    /// A zone's day shape over a period.
    public struct Result: Sendable, Equatable, Codable {
        public var types: [TypeShape]
        /// Σ over sensors of the mean Saturday total ÷ Σ of the mean (school) weekday total, over the
        /// sensors valid on at least one day of both kinds (like-for-like); nil without such sensors.
        public var saturdayVsWeekday: Double?
        /// The same for Sundays and public holidays.
        public var sundayVsWeekday: Double?
        /// The zone's mean daily total per day type (the dominance rule's weight at the coordinator).
        public var meanDailyTotal: [ShapeDayType: Double]

        public init(types: [TypeShape], saturdayVsWeekday: Double?, sundayVsWeekday: Double?, meanDailyTotal: [ShapeDayType: Double]) {
            self.types = types
            self.saturdayVsWeekday = saturdayVsWeekday
            self.sundayVsWeekday = sundayVsWeekday
            self.meanDailyTotal = meanDailyTotal
        }

        public subscript(type: ShapeDayType) -> TypeShape? { types.first { $0.dayType == type } }
    }

    /// The shape of `sensors` (rows of `panel`) over `period`. `schedule` may be nil (no closed
    /// share); `schoolHolidays` splits weekdays.
    public static func compute(
        panel: HourlyPanel, sensors: [Int], period: ClosedRange<DayNumber>, schedule: OpeningSchedule? = nil,
        schoolHolidays: SchoolHolidays = SchoolHolidays()
    ) throws -> Result {
        _ = try FootfallIndex.checkedRows(sensors, sensorCount: panel.sensorCount)
        try schedule?.validate()
        let known = schedule.flatMap { $0.isEmpty ? nil : $0 }
        var sums: [ShapeDayType: [Double]] = [:]
        var closed: [ShapeDayType: Double] = [:]
        var days: [ShapeDayType: Int] = [:]
        var totals: [ShapeDayType: Double] = [:]
        var closing: [ShapeDayType: Int] = [:]
        var opening: [ShapeDayType: Int] = [:]
        // Per sensor and kind (weekday, Saturday, Sunday): sum and count of valid day totals.
        var perSensor = [[(sum: Double, n: Int)]](repeating: Array(repeating: (0, 0), count: 3), count: sensors.count)
        var d = max(period.lowerBound, panel.firstDay)
        while d <= period.upperBound, d < panel.firstDay + panel.dayCount {
            let type = ShapeDayType.of(d, schoolHolidays: schoolHolidays)
            var h = [Double](repeating: 0, count: 24)
            for (i, s) in sensors.enumerated() {
                guard let hours = panel.hours(sensor: s, day: d) else { continue }
                var dayTotal = 0.0
                for (k, v) in zip(0..<24, hours) {
                    h[k] += v
                    dayTotal += v
                }
                let kind: Int? = switch type {
                case .weekday: 0
                case .saturday: 1
                case .sundayOrHoliday: 2
                case .schoolHoliday: nil
                }
                if let kind {
                    perSensor[i][kind].sum += dayTotal
                    perSensor[i][kind].n += 1
                }
            }
            let total = h.reduce(0, +)
            if total > 0, total.isFinite {
                var acc = sums[type] ?? [Double](repeating: 0, count: 24)
                for k in 0..<24 { acc[k] += h[k] / total }
                sums[type] = acc
                days[type, default: 0] += 1
                totals[type, default: 0] += total
                if let known {
                    let open = known.openHours(on: d)
                    closed[type, default: 0] += (0..<24).reduce(0.0) { open[$1] ? $0 : $0 + h[$1] / total }
                    if let last = open.lastIndex(of: true) { closing[type] = max(closing[type] ?? 0, last + 1) }
                    if let first = open.firstIndex(of: true) { opening[type] = min(opening[type] ?? 24, first) }
                }
            }
            d = d + 1
        }
        let types = ShapeDayType.allCases.map { t -> TypeShape in
            guard let n = days[t], n > 0, let acc = sums[t] else {
                return TypeShape(dayType: t, days: 0, shares: nil, closedShare: nil, lunchShare: nil, eveningShare: nil,
                                 usualClosingHour: nil)
            }
            let shares = acc.map { $0 / Double(n) }
            return TypeShape(
                dayType: t, days: n, shares: shares, closedShare: known == nil ? nil : (closed[t] ?? 0) / Double(n),
                lunchShare: lunch.reduce(0.0) { $0 + shares[$1] }, eveningShare: evening.reduce(0.0) { $0 + shares[$1] },
                usualClosingHour: closing[t], usualOpeningHour: opening[t])
        }
        func ratio(_ kind: Int) -> Double? {
            var num = 0.0, den = 0.0, any = false
            for s in perSensor where s[0].n > 0 && s[kind].n > 0 {
                num += s[kind].sum / Double(s[kind].n)
                den += s[0].sum / Double(s[0].n)
                any = true
            }
            return any && den > 0 ? num / den : nil
        }
        var mean: [ShapeDayType: Double] = [:]
        for (t, sum) in totals { if let n = days[t], n > 0 { mean[t] = sum / Double(n) } }
        return Result(types: types, saturdayVsWeekday: ratio(1), sundayVsWeekday: ratio(2), meanDailyTotal: mean)
    }

    // MARK: Across towns

    /// One town's contribution to a peer band: its shares for one day type and its weight (the
    /// zone kind's mean daily total, for the dominance rule).
    public struct Contribution: Sendable, Equatable {
        public var shares: [Double]
        public var weight: Double
        public init(shares: [Double], weight: Double) {
            self.shares = shares
            self.weight = weight
        }
    }

    /// The peers' profile for one zone kind and day type: median and quartiles per hour.
    public struct Band: Sendable, Equatable, Codable {
        /// Towns with a profile.
        public var towns: Int
        /// `publish`, `too_few_contributors` or `dominated`.
        public var publication: String
        /// 24 medians; nil when withheld.
        public var median: [Double]?
        public var lowerQuartile: [Double]?
        public var upperQuartile: [Double]?
        public init(towns: Int, publication: String, median: [Double]? = nil, lowerQuartile: [Double]? = nil,
                    upperQuartile: [Double]? = nil) {
            self.towns = towns
            self.publication = publication
            self.median = median
            self.lowerQuartile = lowerQuartile
            self.upperQuartile = upperQuartile
        }
    }

    /// Median and quartiles (``IndicatorMath/quantile(_:_:)``) per hour over the towns' shares, published under
    /// the cross-town rule: at least `minimumTowns` towns, and the two largest weights at most
    /// `dominanceShare` of all (``PublishingRule`` in Federation applies the same numbers).
    public static func peerBand(_ towns: [Contribution], minimumTowns: Int = 3, dominanceShare: Double = 0.85) -> Band {
        let usable = towns.filter { $0.shares.count == 24 && $0.shares.allSatisfy(\.isFinite) && $0.weight.isFinite && $0.weight >= 0 }
        guard usable.count >= minimumTowns else { return Band(towns: usable.count, publication: "too_few_contributors") }
        let weights = usable.map(\.weight).sorted(by: >)
        let total = weights.reduce(0, +)
        if total > 0, weights[0] + weights[1] > dominanceShare * total {
            return Band(towns: usable.count, publication: "dominated")
        }
        var median: [Double] = [], lower: [Double] = [], upper: [Double] = []
        for h in 0..<24 {
            let values = usable.map { $0.shares[h] }.sorted()
            median.append(IndicatorMath.quantile(values, 0.5) ?? 0)
            lower.append(IndicatorMath.quantile(values, 0.25) ?? 0)
            upper.append(IndicatorMath.quantile(values, 0.75) ?? 0)
        }
        return Band(towns: usable.count, publication: "publish", median: median, lowerQuartile: lower, upperQuartile: upper)
    }

    // MARK: Findings

    /// What a finding compares.
    public enum Measure: String, Sendable, Codable, CaseIterable {
        case closedShare = "closed-share", lunchShare = "lunch-share", eveningShare = "evening-share"
        case saturdayVsWeekday = "saturday-vs-weekday", sundayVsWeekday = "sunday-vs-weekday"
    }

    /// A large gap between a town and its peers, for a plain-language sentence on the town page.
    public struct Finding: Sendable, Hashable, Codable {
        public var measure: Measure
        public var dayType: ShapeDayType?
        public var town: Double
        public var peers: Double
        /// For `closed-share`: the hour the town's shops usually close that day type.
        public var closingHour: Int?
        public init(measure: Measure, dayType: ShapeDayType?, town: Double, peers: Double, closingHour: Int? = nil) {
            self.measure = measure
            self.dayType = dayType
            self.town = town
            self.peers = peers
            self.closingHour = closingHour
        }
    }

    /// A share gap at least this large (in share points: 0.08 = 8 percentage points) is a finding.
    public static let shareGap = 0.08
    /// A ratio (Saturday ÷ weekday) at least this far from the peers' is a finding.
    public static let ratioGap = 0.2

    /// The findings of `town` against the peers' medians (`peers[measure][dayType]`; ratios under
    /// the day type `nil`), largest gap first.
    public static func findings(
        town: Result, peers: [Measure: [ShapeDayType?: Double]]
    ) -> [Finding] {
        var out: [(Double, Finding)] = []
        for t in town.types {
            for (m, v) in [(Measure.closedShare, t.closedShare), (.lunchShare, t.lunchShare), (.eveningShare, t.eveningShare)] {
                guard let v, let p = peers[m]?[t.dayType] ?? nil, abs(v - p) >= shareGap else { continue }
                out.append((abs(v - p), Finding(measure: m, dayType: t.dayType, town: v, peers: p,
                                                closingHour: m == .closedShare ? t.usualClosingHour : nil)))
            }
        }
        for (m, v) in [(Measure.saturdayVsWeekday, town.saturdayVsWeekday), (.sundayVsWeekday, town.sundayVsWeekday)] {
            guard let v, let p = peers[m]?[nil] ?? nil, abs(v - p) >= ratioGap else { continue }
            out.append((abs(v - p) * shareGap / ratioGap, Finding(measure: m, dayType: nil, town: v, peers: p)))
        }
        return out.sorted { $0.0 > $1.0 }.map(\.1)
    }
}

/// percent-of-normal v1: each hour's footfall against its typical value, the median of the same
/// weekday and hour over the last 8 clean weeks, as a percentage.
///
/// Why: Melbourne and Telraam show every hour as a share of its normal; it reads at a glance
/// ("Tuesday evening ran at 60 % of normal") without any baseline year. Like-for-like: the
/// sensors are those valid on the day, and a reference day counts only when all of them are
/// valid on it too. Catalogue: `Indicators/percent-of-normal.md`.
public enum PercentOfNormal: CatalogedIndicator {
    public static let id = "percent-of-normal"
    public static let version = 1
    /// Clean reference days used at most (the last 8 clean same weekdays).
    public static let referenceWeeks = 8
    /// How far back reference days are looked for (16 weeks).
    public static let lookbackWeeks = 16
    /// Fewer clean reference days than this: no typical value.
    public static let minimumReferenceDays = 3

    /// One day's 24 percentages.
    public struct Day: Sendable, Hashable, Codable {
        public var day: DayNumber
        /// 24 values, 100 = normal; nil where the typical value is 0 or unknown.
        public var percent: [Double?]
        /// The reference days used (newest first).
        public var referenceDays: [DayNumber]
        /// Why the day has no values, or nil.
        public var reason: String?

        public init(day: DayNumber, percent: [Double?], referenceDays: [DayNumber], reason: String?) {
            self.day = day
            self.percent = percent
            self.referenceDays = referenceDays
            self.reason = reason
        }
    }

    /// Every day of `period` for `sensors` of `panel` (which must hold the 16 weeks before it).
    /// `excludedDays` (events, markets) are never reference days; public holidays neither.
    public static func compute(
        panel: HourlyPanel, sensors: [Int], period: ClosedRange<DayNumber>, excludedDays: Set<DayNumber> = []
    ) throws -> [Day] {
        _ = try FootfallIndex.checkedRows(sensors, sensorCount: panel.sensorCount)
        var out: [Day] = []
        var d = period.lowerBound
        while d <= period.upperBound {
            let valid = sensors.filter { panel.isValid(sensor: $0, day: d) }
            guard !valid.isEmpty else {
                out.append(Day(day: d, percent: Array(repeating: nil, count: 24), referenceDays: [],
                               reason: "no valid sensor on this day"))
                d = d + 1
                continue
            }
            var refs: [DayNumber] = []
            for k in 1...lookbackWeeks where refs.count < referenceWeeks {
                let r = d + (-7 * k)
                guard !excludedDays.contains(r), !BelgianCalendar.isPublicHoliday(r),
                      valid.allSatisfy({ panel.isValid(sensor: $0, day: r) }) else { continue }
                refs.append(r)
            }
            guard refs.count >= minimumReferenceDays else {
                out.append(Day(day: d, percent: Array(repeating: nil, count: 24), referenceDays: refs,
                               reason: "fewer than \(minimumReferenceDays) clean reference days in the \(lookbackWeeks) weeks before"))
                d = d + 1
                continue
            }
            func sum(_ day: DayNumber, _ h: Int) -> Double {
                valid.reduce(0.0) { acc, s in
                    guard let hours = panel.hours(sensor: s, day: day) else { return acc }
                    return acc + hours[hours.startIndex + h]
                }
            }
            let percent = (0..<24).map { h -> Double? in
                guard let typical = IndicatorMath.median(refs.map { sum($0, h) }), typical > 0 else { return nil }
                let v = 100 * sum(d, h) / typical
                return v.isFinite ? v : nil
            }
            out.append(Day(day: d, percent: percent, referenceDays: refs, reason: nil))
            d = d + 1
        }
        return out
    }
}
