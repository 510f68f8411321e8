import Foundation
import Indicators
import Reports
import Testing

/// Belgian number and date formatting against hand-written expectations.
struct FormattingTests {
    @Test func numbersUseDecimalCommaAndDotThousands() {
        #expect(BelgianFormat.number(1234.56) == "1.234,6")
        #expect(BelgianFormat.number(1_234_567, decimals: 0) == "1.234.567")
        #expect(BelgianFormat.number(999.95, decimals: 1) == "1.000,0")
        #expect(BelgianFormat.number(0.5, decimals: 2) == "0,50")
        #expect(BelgianFormat.number(0.004, decimals: 2) == "0,00")
        #expect(BelgianFormat.number(100, decimals: 1) == "100,0")
        #expect(BelgianFormat.number(12.25, decimals: 1) == "12,3")  // 12.25 is exact in binary: half away from zero
    }

    @Test func signsAndMissingValues() {
        #expect(BelgianFormat.number(-12.34) == "\u{2212}12,3")
        #expect(BelgianFormat.number(-0.04) == "0,0")  // no "−0,0"
        #expect(BelgianFormat.number(3.0, signed: true) == "+3,0")
        #expect(BelgianFormat.number(0.0, signed: true) == "0,0")
        #expect(BelgianFormat.number(nil) == "–")
        #expect(BelgianFormat.number(.nan) == "–")
        #expect(BelgianFormat.number(.infinity) == "–")
        #expect(BelgianFormat.integer(12_345) == "12.345")
        #expect(BelgianFormat.integer(nil) == "–")
    }

    @Test func percentages() {
        #expect(BelgianFormat.percent(0.1234) == "12,3\u{00A0}%")
        #expect(BelgianFormat.percent(0.05, signed: true) == "+5,0\u{00A0}%")
        #expect(BelgianFormat.percent(-0.042, signed: true) == "\u{2212}4,2\u{00A0}%")
        #expect(BelgianFormat.percent(1.5, decimals: 0) == "150\u{00A0}%")
        #expect(BelgianFormat.percent(nil) == "–")
    }

    @Test func daysAndBrusselsTimes() throws {
        #expect(BelgianFormat.day(try DayNumber(year: 2026, month: 11, day: 3)) == "03/11/2026")
        #expect(
            BelgianFormat.dayWithWeekday(try DayNumber(year: 2026, month: 11, day: 23), language: .nl)
                == "ma 23/11/2026")
        #expect(
            BelgianFormat.dayWithWeekday(try DayNumber(year: 2026, month: 11, day: 22), language: .en)
                == "Sun 22/11/2026")
        // 2026-07-01T10:00Z is 12:00 summer time; 2026-01-15T10:00Z is 11:00 winter time.
        #expect(BelgianFormat.dateTime(Date(timeIntervalSince1970: 1_782_900_000)) == "01/07/2026 12:00")
        #expect(BelgianFormat.dateTime(Date(timeIntervalSince1970: 1_768_471_200)) == "15/01/2026 11:00")
        // The switch to summer time: 00:59Z is 01:59 CET, 01:00Z is 03:00 CEST.
        #expect(BelgianFormat.dateTime(Date(timeIntervalSince1970: 1_774_745_940)) == "29/03/2026 01:59")
        #expect(BelgianFormat.dateTime(Date(timeIntervalSince1970: 1_774_746_000)) == "29/03/2026 03:00")
    }

    @Test func periodLabel() throws {
        let p = ReportPeriod(
            start: try DayNumber(year: 2026, month: 11, day: 16),
            end: try DayNumber(year: 2026, month: 11, day: 22), label: "2026-W47")
        #expect(BelgianFormat.period(p) == "2026-W47 (16/11/2026 – 22/11/2026)")
        #expect(BelgianFormat.period(ReportPeriod(start: p.start, end: p.end)) == "16/11/2026 – 22/11/2026")
    }

    @Test func languageFromTag() {
        #expect(ReportLanguage(tag: "nl-BE,nl;q=0.9,en;q=0.8") == .nl)
        #expect(ReportLanguage(tag: "fr-BE") == .en)
        #expect(ReportLanguage(tag: nil) == .en)
    }
}
