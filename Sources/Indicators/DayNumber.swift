/// A civil calendar day, counted as days since 1970-01-01 (proleptic Gregorian calendar).
///
/// Why: every indicator works on *local calendar days in the town's zone*. Callers convert
/// instants to local dates once (that is where time zones and DST live); from then on a day is a
/// plain integer, so a lag of 364 days is `day - 364`, an index offset in a ``DailyPanel``, and
/// no time zone can sneak into the formulas. Weekday and ISO-week logic live here and nowhere else.
/// Algorithms: H. Hinnant, "chrono-Compatible Low-Level Date Algorithms".
public struct DayNumber: Hashable, Comparable, Sendable, Strideable, CustomStringConvertible, Codable {
    /// Days since 1970-01-01 (negative before it).
    public var rawValue: Int

    public init(_ rawValue: Int) { self.rawValue = rawValue }

    /// The day of a proleptic Gregorian civil date. `month` 1–12, `day` 1–31; throws
    /// ``IndicatorsError/Code/invalidDate`` when the date does not exist (e.g. 2025-02-29).
    public init(year: Int, month: Int, day: Int) throws {
        guard (1...12).contains(month), day >= 1, day <= DayNumber.daysInMonth(year: year, month: month) else {
            throw IndicatorsError(
                .invalidDate,
                "\(year)-\(month)-\(day) is not a calendar date; give a real year, month 1–12 and day of that month.")
        }
        self.rawValue = DayNumber.daysFromCivil(year, month, day)
    }

    /// The day of an ISO 8601 week date: `weekday` 1 = Monday … 7 = Sunday of week `week` of the
    /// ISO week-numbering year `isoYear` (week 1 holds 4 January). Weekly reports use it to turn
    /// "2025-W24" into a period. Throws ``IndicatorsError/Code/invalidDate`` for a week the year
    /// does not have (week 53 exists only in long years).
    public init(isoYear: Int, week: Int, weekday: Int = 1) throws {
        func mondayOfWeek1(_ y: Int) -> Int {
            let jan4 = DayNumber(DayNumber.daysFromCivil(y, 1, 4))
            return jan4.rawValue - (jan4.isoWeekday - 1)
        }
        let start = mondayOfWeek1(isoYear)
        let weeks = (mondayOfWeek1(isoYear + 1) - start) / 7
        guard (1...weeks).contains(week), (1...7).contains(weekday) else {
            throw IndicatorsError(
                .invalidDate,
                "\(isoYear)-W\(week)-\(weekday) is not an ISO week date; \(isoYear) has weeks 1–\(weeks), weekdays are 1–7."
            )
        }
        self.rawValue = start + (week - 1) * 7 + (weekday - 1)
    }

    /// Parses `YYYY-MM-DD` (ISO 8601 calendar date, 4-digit year).
    public init(iso text: String) throws {
        let bytes = Array(text.utf8)
        func digits(_ range: Range<Int>) -> Int? {
            var value = 0
            for i in range {
                let b = bytes[i]
                guard b >= 48, b <= 57 else { return nil }
                value = value * 10 + Int(b - 48)
            }
            return value
        }
        guard bytes.count == 10, bytes[4] == 45, bytes[7] == 45,
            let y = digits(0..<4), let m = digits(5..<7), let d = digits(8..<10)
        else {
            throw IndicatorsError(.invalidDate, "'\(text)' is not a date; write it as YYYY-MM-DD, e.g. 2025-04-21.")
        }
        try self.init(year: y, month: m, day: d)
    }

    /// The days TownBench accepts from outside: 2000-01-01 … 2099-12-31 (inclusive).
    ///
    /// Why one range: every date that arrives from outside (API query parameters, report pages,
    /// command-line options, imported rows, submitted periods) is checked against it, so day
    /// arithmetic on input (look-backs, previous periods, ISO weeks) stays far from any limit and
    /// no date reaches the formulas that the calendar code cannot print back. Federation/PROTOCOL.md
    /// documents it; change it here only.
    public static let supportedRange: ClosedRange<DayNumber> = DayNumber(10_957)...DayNumber(47_481)

    /// The supported range as people read it: `2000-01-01 … 2099-12-31`.
    public static var supportedRangeText: String {
        "\(supportedRange.lowerBound) … \(supportedRange.upperBound)"
    }

    /// Whether this day lies in ``supportedRange``.
    public var isSupported: Bool { DayNumber.supportedRange.contains(self) }

    /// Parses `YYYY-MM-DD` from outside and requires it to lie in ``supportedRange``; throws
    /// ``IndicatorsError/Code/invalidDate`` naming the text and the range otherwise.
    public init(supported text: String) throws {
        try self.init(iso: text)
        guard isSupported else {
            throw IndicatorsError(
                .invalidDate, "\(text) is outside the supported days \(DayNumber.supportedRangeText); give a date in that range.")
        }
    }

    /// (year, month 1–12, day 1–31).
    public var civil: (year: Int, month: Int, day: Int) {
        let z = rawValue + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// ISO 8601 weekday: 1 = Monday … 7 = Sunday. (1970-01-01 was a Thursday.)
    public var isoWeekday: Int {
        let r = (rawValue + 3) % 7
        return (r < 0 ? r + 7 : r) + 1
    }

    /// ISO 8601 week-numbering year and week (1–53): the week belongs to the year of its Thursday.
    public var isoWeek: (year: Int, week: Int) {
        let thursday = rawValue - (isoWeekday - 1) + 3
        let year = DayNumber(thursday).civil.year
        let jan1 = DayNumber.daysFromCivil(year, 1, 1)
        return (year, (thursday - jan1) / 7 + 1)
    }

    /// `YYYY-MM-DD`.
    public var description: String {
        let c = civil
        func pad(_ v: Int, _ width: Int) -> String {
            let s = String(v)
            return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
        }
        return "\(pad(c.year, 4))-\(pad(c.month, 2))-\(pad(c.day, 2))"
    }

    public static func < (a: DayNumber, b: DayNumber) -> Bool { a.rawValue < b.rawValue }
    public func distance(to other: DayNumber) -> Int { other.rawValue - rawValue }
    public func advanced(by n: Int) -> DayNumber { DayNumber(rawValue + n) }
    public static func + (day: DayNumber, n: Int) -> DayNumber { DayNumber(day.rawValue + n) }
    public static func - (day: DayNumber, n: Int) -> DayNumber { DayNumber(day.rawValue - n) }

    /// Encoded as its ISO string, so JSON vectors and payloads stay readable.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(iso: text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    static func daysFromCivil(_ year: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
