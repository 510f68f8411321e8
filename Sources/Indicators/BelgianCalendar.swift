/// Belgian public holidays and the day types indicators split by.
///
/// Why: "not a public holiday" (event baselines) and "Sunday or holiday" (hourly profiles) must
/// mean the same in every town and on node and coordinator alike, so the calendar is computed
/// here, in one place, for any year, instead of being typed in per town. School holidays differ
/// per community and year and are published as lists, so they come in as data (``SchoolHolidays``).
public enum BelgianCalendar {
    /// One of the ten Belgian legal public holidays (wet van 4 januari 1974).
    public struct PublicHoliday: Hashable, Sendable {
        public let day: DayNumber
        /// English name, e.g. "Easter Monday".
        public let name: String
    }

    /// Easter Sunday (Gregorian computus, the "anonymous Gregorian algorithm").
    public static func easterSunday(year: Int) -> DayNumber {
        let a = year % 19
        let b = year / 100
        let c = year % 100
        let d = b / 4
        let e = b % 4
        let f = (b + 8) / 25
        let g = (b - f + 1) / 3
        let h = (19 * a + b - d - g + 15) % 30
        let i = c / 4
        let k = c % 4
        let l = (32 + 2 * e + 2 * i - h - k) % 7
        let m = (a + 11 * h + 22 * l) / 451
        let month = (h + l - 7 * m + 114) / 31
        let day = (h + l - 7 * m + 114) % 31 + 1
        return DayNumber(DayNumber.daysFromCivil(year, month, day))
    }

    /// The ten legal public holidays of `year`, in date order: New Year's Day, Easter Monday,
    /// Labour Day (1 May), Ascension Day (Easter + 39), Whit Monday (Easter + 50), National Day
    /// (21 July), Assumption (15 August), All Saints' Day (1 November), Armistice Day
    /// (11 November), Christmas Day. Easter Sunday and Whit Sunday are Sundays anyway. When Easter
    /// is on 23 March, Ascension falls on 1 May and both entries name the same day (2008).
    public static func publicHolidays(year: Int) -> [PublicHoliday] {
        let easter = easterSunday(year: year)
        func fixed(_ m: Int, _ d: Int) -> DayNumber { DayNumber(DayNumber.daysFromCivil(year, m, d)) }
        return [
            PublicHoliday(day: fixed(1, 1), name: "New Year's Day"),
            PublicHoliday(day: easter + 1, name: "Easter Monday"),
            PublicHoliday(day: fixed(5, 1), name: "Labour Day"),
            PublicHoliday(day: easter + 39, name: "Ascension Day"),
            PublicHoliday(day: easter + 50, name: "Whit Monday"),
            PublicHoliday(day: fixed(7, 21), name: "National Day"),
            PublicHoliday(day: fixed(8, 15), name: "Assumption Day"),
            PublicHoliday(day: fixed(11, 1), name: "All Saints' Day"),
            PublicHoliday(day: fixed(11, 11), name: "Armistice Day"),
            PublicHoliday(day: fixed(12, 25), name: "Christmas Day"),
        ].sorted { $0.day < $1.day }
    }

    /// Whether `day` is one of the ten legal public holidays.
    /// Allocation-free: it runs in the indicators' per-day loops.
    public static func isPublicHoliday(_ day: DayNumber) -> Bool {
        let (year, month, dom) = day.civil
        switch (month, dom) {
        case (1, 1), (5, 1), (7, 21), (8, 15), (11, 1), (11, 11), (12, 25): return true
        case (3...6, _):
            let offset = day.rawValue - easterSunday(year: year).rawValue
            return offset == 1 || offset == 39 || offset == 50
        default: return false
        }
    }

    /// The day type used by hourly profiles: public holidays count as Sundays.
    public static func dayType(of day: DayNumber) -> DayType {
        if isPublicHoliday(day) { return .sundayOrHoliday }
        switch day.isoWeekday {
        case 6: return .saturday
        case 7: return .sundayOrHoliday
        default: return .weekday
        }
    }
}

/// The three day types footfall patterns are split by (shops open differently on each).
///
/// Why: a Monday–Friday profile, a Saturday profile and a Sunday/holiday profile are what towns
/// compare when they advise shops on opening hours; public holidays behave like Sundays.
public enum DayType: String, Sendable, CaseIterable, Codable {
    case weekday
    case saturday
    case sundayOrHoliday = "sunday-or-holiday"
}

/// School holiday periods, as data a town imports (they differ per community and year).
///
/// Why: indicators do not exclude school holidays by themselves, but reports and baselines may
/// want to flag or filter them; keeping them as inclusive day ranges makes membership cheap.
public struct SchoolHolidays: Sendable, Equatable {
    /// Inclusive ranges of local days.
    public private(set) var periods: [ClosedRange<DayNumber>]

    public init(periods: [ClosedRange<DayNumber>] = []) {
        self.periods = periods.sorted { $0.lowerBound < $1.lowerBound }
    }

    /// Whether `day` falls in any period.
    public func contains(_ day: DayNumber) -> Bool {
        periods.contains { $0.contains(day) }
    }
}
