/// A town's public holidays: computed (Belgium) or imported, per year.
///
/// Why: baselines skip public holidays and hourly profiles count them as Sundays, so a town
/// outside Belgium needs its own. Imported holidays replace the computed ones for every year
/// they cover (a year with one imported holiday has only the imported ones); other years keep the
/// default. The default is the Belgian calendar for Belgian towns and none elsewhere.
public struct PublicHolidays: Sendable, Equatable {
    /// What years without imported holidays use.
    public enum Default: String, Sendable, Equatable, Codable {
        /// ``BelgianCalendar/publicHolidays(year:)``.
        case belgian
        /// No public holidays.
        case none
    }

    public var defaultCalendar: Default
    /// Imported holidays by year; a year present here replaces the default for that year.
    public private(set) var importedByYear: [Int: Set<DayNumber>]

    public init(default defaultCalendar: Default, imported: [DayNumber] = []) {
        self.defaultCalendar = defaultCalendar
        var byYear: [Int: Set<DayNumber>] = [:]
        for day in imported { byYear[day.civil.year, default: []].insert(day) }
        importedByYear = byYear
    }

    /// The Belgian calendar, nothing imported (the coordinator's and the tests' default).
    public static let belgian = PublicHolidays(default: .belgian)

    /// Whether `day` is a public holiday.
    public func contains(_ day: DayNumber) -> Bool {
        if let imported = importedByYear[day.civil.year] { return imported.contains(day) }
        switch defaultCalendar {
        case .belgian: return BelgianCalendar.isPublicHoliday(day)
        case .none: return false
        }
    }

    /// The day type used by hourly profiles: public holidays count as Sundays.
    public func dayType(of day: DayNumber) -> DayType {
        if contains(day) { return .sundayOrHoliday }
        return day.isoWeekday == 6 ? .saturday : day.isoWeekday == 7 ? .sundayOrHoliday : .weekday
    }
}
