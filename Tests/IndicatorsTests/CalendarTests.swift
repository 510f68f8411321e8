import Indicators
import Testing

@Suite("DayNumber and the Belgian calendar")
struct CalendarTests {
    @Test("day numbers of known dates")
    func knownDays() throws {
        #expect(try DayNumber(year: 1970, month: 1, day: 1).rawValue == 0)
        #expect(try DayNumber(year: 2000, month: 3, day: 1).rawValue == 11017)  // 10957 (2000-01-01) + 31 + 29
        #expect(try DayNumber(year: 1969, month: 12, day: 31).rawValue == -1)
        #expect(try DayNumber(iso: "2025-06-14").description == "2025-06-14")
        #expect(DayNumber(11017).civil == (2000, 3, 1))
    }

    @Test("round trip over 1900–2100")
    func roundTrip() throws {
        let start = try DayNumber(year: 1900, month: 1, day: 1)
        let end = try DayNumber(year: 2100, month: 12, day: 31)
        var previous = start.civil
        var d = start + 1
        while d <= end {
            let c = d.civil
            #expect(try DayNumber(year: c.year, month: c.month, day: c.day) == d)
            // Consecutive: next day in month, or day 1 of the next month.
            let ok = (c.year == previous.year && c.month == previous.month && c.day == previous.day + 1) || c.day == 1
            if !ok { Issue.record("\(d) follows \(previous)") }
            previous = c
            d = d + 1
        }
    }

    @Test("ISO weekday and week")
    func isoWeek() throws {
        #expect(DayNumber(0).isoWeekday == 4)  // 1970-01-01 was a Thursday
        #expect(try DayNumber(iso: "2025-06-14").isoWeekday == 6)  // Saturday
        #expect(try DayNumber(iso: "2025-06-15").isoWeekday == 7)
        #expect(try DayNumber(iso: "1969-12-29").isoWeekday == 1)
        #expect(try DayNumber(iso: "2024-12-30").isoWeek == (2025, 1))
        #expect(try DayNumber(iso: "2021-01-03").isoWeek == (2020, 53))
        #expect(try DayNumber(iso: "2026-01-01").isoWeek == (2026, 1))
        #expect(try DayNumber(iso: "2025-06-14").isoWeek == (2025, 24))
        #expect(try DayNumber(iso: "2027-01-01").isoWeek == (2026, 53))
    }

    @Test("ISO week dates")
    func isoWeekDates() throws {
        #expect(try DayNumber(isoYear: 2025, week: 1).description == "2024-12-30")
        #expect(try DayNumber(isoYear: 2020, week: 53).description == "2020-12-28")
        #expect(try DayNumber(isoYear: 2026, week: 53, weekday: 5).description == "2027-01-01")
        #expect(try DayNumber(isoYear: 2025, week: 24, weekday: 6).description == "2025-06-14")
        #expect(throws: IndicatorsError.self) { try DayNumber(isoYear: 2025, week: 53) }
        #expect(throws: IndicatorsError.self) { try DayNumber(isoYear: 2025, week: 0) }
        // Round trip through isoWeek / isoWeekday for 2000–2040.
        var d = try DayNumber(iso: "2000-01-01")
        let end = try DayNumber(iso: "2041-01-01")
        while d < end {
            let w = d.isoWeek
            #expect(try DayNumber(isoYear: w.year, week: w.week, weekday: d.isoWeekday) == d)
            d = d + 1
        }
    }

    @Test(
        "Easter Sunday",
        arguments: [
            (2024, "2024-03-31"), (2025, "2025-04-20"), (2026, "2026-04-05"), (2000, "2000-04-23"),
            (2019, "2019-04-21"), (2038, "2038-04-25"), (1818, "1818-03-22"), (2285, "2285-03-22"),
            (2011, "2011-04-24"),
        ])
    func easter(year: Int, date: String) throws {
        #expect(BelgianCalendar.easterSunday(year: year) == (try DayNumber(iso: date)))
    }

    @Test("the ten legal public holidays of 2025 and 2026")
    func holidays() throws {
        #expect(
            BelgianCalendar.publicHolidays(year: 2025).map(\.day.description) == [
                "2025-01-01", "2025-04-21", "2025-05-01", "2025-05-29", "2025-06-09",
                "2025-07-21", "2025-08-15", "2025-11-01", "2025-11-11", "2025-12-25",
            ])
        #expect(
            BelgianCalendar.publicHolidays(year: 2026).map(\.day.description) == [
                "2026-01-01", "2026-04-06", "2026-05-01", "2026-05-14", "2026-05-25",
                "2026-07-21", "2026-08-15", "2026-11-01", "2026-11-11", "2026-12-25",
            ])
        #expect(BelgianCalendar.isPublicHoliday(try DayNumber(iso: "2024-05-09")))  // Ascension 2024
        #expect(!BelgianCalendar.isPublicHoliday(try DayNumber(iso: "2024-05-10")))
    }

    @Test("isPublicHoliday agrees with the holiday list, 1900–2100")
    func holidayLookup() throws {
        var fromList = Set<DayNumber>()
        for y in 1900...2100 { fromList.formUnion(BelgianCalendar.publicHolidays(year: y).map(\.day)) }
        // Ten days a year, except when Ascension falls on 1 May (Easter on 23 March: 1913, 2008).
        #expect(fromList.count == 201 * 10 - 2)
        #expect(BelgianCalendar.publicHolidays(year: 2008).filter { $0.day.description == "2008-05-01" }.count == 2)
        var d = try DayNumber(year: 1900, month: 1, day: 1)
        let end = try DayNumber(year: 2100, month: 12, day: 31)
        var found = 0
        while d <= end {
            if BelgianCalendar.isPublicHoliday(d) {
                found += 1
                if !fromList.contains(d) { Issue.record("\(d) is not in the list") }
            }
            d = d + 1
        }
        #expect(found == fromList.count)
    }

    @Test("day types: holidays count as Sundays")
    func dayTypes() throws {
        #expect(BelgianCalendar.dayType(of: try DayNumber(iso: "2025-06-09")) == .sundayOrHoliday)  // Whit Monday
        #expect(BelgianCalendar.dayType(of: try DayNumber(iso: "2025-06-10")) == .weekday)
        #expect(BelgianCalendar.dayType(of: try DayNumber(iso: "2025-06-14")) == .saturday)
        // All Saints' Day 2025 is a Saturday: a holiday wins.
        #expect(BelgianCalendar.dayType(of: try DayNumber(iso: "2025-11-01")) == .sundayOrHoliday)
        #expect(BelgianCalendar.dayType(of: try DayNumber(iso: "2025-06-15")) == .sundayOrHoliday)
    }

    @Test("school holidays are data")
    func schoolHolidays() throws {
        let summer = try DayNumber(iso: "2025-07-01")...DayNumber(iso: "2025-08-31")
        let holidays = SchoolHolidays(periods: [summer])
        #expect(holidays.contains(try DayNumber(iso: "2025-07-21")))
        #expect(!holidays.contains(try DayNumber(iso: "2025-09-01")))
    }

    @Test(
        "invalid dates are refused with a code and a fix",
        arguments: ["2025-02-29", "2025-13-01", "25-01-01", "2025/01/01", "2025-01-0x", ""])
    func invalidDates(_ text: String) {
        do {
            _ = try DayNumber(iso: text)
            Issue.record("\(text) accepted")
        } catch let error as IndicatorsError {
            #expect(error.code == .invalidDate)
            #expect(error.message.contains("YYYY-MM-DD") || error.message.contains("calendar date"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("2024-02-29 exists")
    func leapDay() throws {
        #expect(try DayNumber(iso: "2024-02-29").isoWeekday == 4)
    }
}
