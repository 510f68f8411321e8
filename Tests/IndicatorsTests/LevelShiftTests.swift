import Indicators
import Testing

/// The level-shift flag's hand-computed vector (Indicators/README.md, "Level-shift flag").
@Suite struct LevelShiftTests {
    @Test func theReadmeVector() throws {
        // Recent: 2025-03-03 (Mon) – 2025-03-30 (Sun); previous: 2025-01-06 – 2025-03-02.
        let last = try DayNumber(iso: "2025-03-30")
        var totals: [DayNumber: Double] = [:]
        var saturdays = [1000.0, 900, 950, 4000], sundays = [1200.0, 1000, 1100, 1300]
        var weekday = 0
        for day in (last - 83)...last {
            let recent = day >= last - 27
            switch day.isoWeekday {
            case 6: totals[day] = recent ? saturdays.removeFirst() : 2000
            case 7: totals[day] = recent ? sundays.removeFirst() : 500
            default:
                // Recent weekdays alternate 400 and 600: median 500, exactly half of 1000.
                totals[day] = recent ? (weekday % 2 == 0 ? 400 : 600) : 1000
                if recent { weekday += 1 }
            }
        }
        let findings = LevelShift.detect(totals, lastDay: last)
        // Weekday: 500 ÷ 1000 = 0.5 is not *below* ½: no flag.
        #expect(findings.map(\.dayClass) == [.saturday, .sunday])
        let saturday = try #require(findings.first)
        #expect(saturday.recentMedian == 975 && saturday.previousMedian == 2000 && saturday.ratio == 0.4875)
        #expect(saturday.from == (try DayNumber(iso: "2025-03-03")) && saturday.to == last)
        let sunday = try #require(findings.last)
        #expect(sunday.recentMedian == 1150 && sunday.previousMedian == 500 && abs(sunday.ratio - 2.3) < 1e-12)
    }

    @Test func tooFewDaysOrAZeroBeforeIsNoJudgement() throws {
        let last = try DayNumber(iso: "2025-03-30")
        var totals: [DayNumber: Double] = [:]
        // Only the recent period has data: no previous median, nothing flagged.
        for day in (last - 27)...last { totals[day] = 100 }
        #expect(LevelShift.detect(totals, lastDay: last).isEmpty)
        // A previous period of zeros (a dead counter, revived) is the flatline rule's business.
        for day in (last - 83)...(last - 28) { totals[day] = 0 }
        #expect(LevelShift.detect(totals, lastDay: last).isEmpty)
    }
}
