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

/// The level-shift rule relative to the zone (Indicators/README.md, "Level-shift flag"): the vector
/// and the cases the rule is for.
@Suite struct LevelShiftRelativeToZoneTests {
    static let noHolidays = PublicHolidays(default: .none)

    /// Daily totals from `first` to `last` (every day valid): `level` before `shift`, `level × factor` from it.
    static func series(_ first: DayNumber, _ last: DayNumber, level: Double, shift: DayNumber? = nil, factor: Double = 1,
                       revert: DayNumber? = nil) -> [DayNumber: Double] {
        var totals: [DayNumber: Double] = [:]
        for day in first...last {
            let shifted = shift.map { day >= $0 } == true && revert.map { day < $0 } != false
            totals[day] = shifted ? level * factor : level
        }
        return totals
    }

    @Test func theReadmeVectorOneOfThreeSensorsMovesOnce() throws {
        // 2025-01-06 (Mon) – 2025-05-25 (Sun); A 300 → 480 (×1.6) from Monday 2025-03-31; B 200, C 400.
        let first = try DayNumber(iso: "2025-01-06"), last = try DayNumber(iso: "2025-05-25"), shift = try DayNumber(iso: "2025-03-31")
        let a = Self.series(first, last, level: 300, shift: shift, factor: 1.6)
        let b = Self.series(first, last, level: 200), c = Self.series(first, last, level: 400)
        let findings = LevelShift.detectRelativeToZone(a, zoneMates: [b, c], lastDay: last, holidays: Self.noHolidays)
        // Share 300 ÷ 600 = 0.5 → 480 ÷ 600 = 0.8. At week end 2025-04-13 half the recent weekdays
        // (10 of 20) and Saturdays/Sundays (2 of 4) are shifted: median 0.65, ×1.3, not flagged; at
        // 2025-04-20 most are: ×1.6, flagged, and the following week ends (still ×1.6) are the same finding.
        #expect(findings.map(\.dayClass) == [.weekday, .saturday, .sunday])
        let from = try DayNumber(iso: "2025-03-24"), to = try DayNumber(iso: "2025-04-20")
        for finding in findings {
            #expect(finding.rule == .relativeToZone)
            #expect(finding.from == from && finding.to == to)
            #expect(abs(finding.recentMedian - 0.8) < 1e-12 && finding.previousMedian == 0.5 && abs(finding.ratio - 1.6) < 1e-12)
        }
        // The zone-mates' shares move less: B 200 ÷ 700 → 200 ÷ 880 (×0.795), C 400 ÷ 500 → 400 ÷ 680 (×0.735): not beyond ÷1.4.
        #expect(LevelShift.detectRelativeToZone(b, zoneMates: [a, c], lastDay: last, holidays: Self.noHolidays).isEmpty)
        #expect(LevelShift.detectRelativeToZone(c, zoneMates: [a, b], lastDay: last, holidays: Self.noHolidays).isEmpty)
        // ×1.6 is below the absolute rule's ×2: that rule alone never saw it.
        #expect(LevelShift.detect(a, lastDay: last, holidays: Self.noHolidays).isEmpty)
    }

    @Test func aSeasonSharedByTheZoneIsNotFlagged() throws {
        let first = try DayNumber(iso: "2025-01-06"), last = try DayNumber(iso: "2025-05-25"), shift = try DayNumber(iso: "2025-03-31")
        let a = Self.series(first, last, level: 300, shift: shift, factor: 1.6)
        let b = Self.series(first, last, level: 200, shift: shift, factor: 1.6), c = Self.series(first, last, level: 400, shift: shift, factor: 1.6)
        #expect(LevelShift.detectRelativeToZone(a, zoneMates: [b, c], lastDay: last, holidays: Self.noHolidays).isEmpty)
    }

    @Test func aSingleSensorZoneHasNoRelativeJudgement() throws {
        // ×3 from 2025-03-31; the last day 2025-04-27 ends the 4 weeks after the shift.
        let first = try DayNumber(iso: "2025-01-06"), shift = try DayNumber(iso: "2025-03-31"), last = shift + 27
        let a = Self.series(first, last, level: 300, shift: shift, factor: 3)
        #expect(LevelShift.detectRelativeToZone(a, zoneMates: [], lastDay: last, holidays: Self.noHolidays).isEmpty)
        // The absolute rule still applies (recent 900 against 300 before).
        #expect(LevelShift.detect(a, lastDay: last, holidays: Self.noHolidays).map(\.rule) == [.absolute, .absolute, .absolute])
    }

    @Test func anOlderShiftAndItsRevertAreTwoFindingsEach() throws {
        // A ×1.6 from 2025-03-31, back to 300 from 2025-06-23 (12 weeks later); the data go on to 2025-12-28,
        // so the shift is long out of the absolute rule's last 12 weeks.
        let first = try DayNumber(iso: "2025-01-06"), last = try DayNumber(iso: "2025-12-28")
        let shift = try DayNumber(iso: "2025-03-31"), revert = try DayNumber(iso: "2025-06-23")
        let a = Self.series(first, last, level: 300, shift: shift, factor: 1.6, revert: revert)
        let b = Self.series(first, last, level: 200), c = Self.series(first, last, level: 400)
        let findings = LevelShift.detectRelativeToZone(a, zoneMates: [b, c], lastDay: last, holidays: Self.noHolidays)
        // Up at 2025-04-20 (as in the vector); down (0.5 ÷ 0.8 = 0.625) at 2025-07-13, 3 weeks after the revert.
        let up = try DayNumber(iso: "2025-04-20"), down = try DayNumber(iso: "2025-07-13")
        #expect(findings.map(\.to) == Array(repeating: up, count: 3) + Array(repeating: down, count: 3))
        #expect(findings.filter { $0.ratio > 1 }.count == 3 && findings.filter { abs($0.ratio - 0.625) < 1e-12 }.count == 3)
    }
}
