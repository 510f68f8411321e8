import Foundation
import Indicators
@testable import Node
import Reports
import TestSupport
import Testing

/// The node's offline town page (issue 20): its own day shape with the imported opening hours,
/// and each hour against normal from its own hourly data.
@Suite struct TownReportDayShapeTests {
    @Test func theOfflinePageHasTheDayShapeAndTheHeatStrip() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            // Five Tuesdays of full days on the shopping street: 10 an hour, 100 at noon; the last
            // one has 150 at noon and 40 at 19 h (the shops close at 18:00).
            var csv = "sensor,start,minutes,measure,count\n"
            let tuesdays = ["2025-05-06", "2025-05-13", "2025-05-20", "2025-05-27", "2025-06-03"]
            for (i, day) in tuesdays.enumerated() {
                for h in 0..<24 {
                    let last = i == tuesdays.count - 1
                    let count = h == 12 ? (last ? 150 : 100) : (last && h == 19 ? 40 : 10)
                    csv += "ped-straat,\(day)T\(h < 10 ? "0" : "")\(h):00:00+02:00,60,pedestrians,\(count)\n"
                }
            }
            _ = try fixture.store.importFile(try fixture.write("c.csv", csv), format: .counts)
            _ = try fixture.store.importFile(try fixture.write("o.csv", "zone,weekday,opens,closes\nwinkelstraat,tue,09:00,18:00\n"),
                                             format: .openingHours)
            let last = try DayNumber(iso: "2025-06-03")
            let page = try fixture.store.townReport(from: last, to: last)
            #expect(page.dayShapeZoneKind == "core-shopping")
            let weekday = try #require(page.hourly.first { $0.dayType == "weekday" })
            // Day total 22 × 10 + 150 + 40 = 410; closed hours 0–8 and 18–23 hold 14 × 10 + 40 = 180.
            #expect(abs((weekday.townClosedShare ?? 0) - 180.0 / 410) < 1e-12)
            #expect(abs((weekday.townEveningShare ?? 0) - 90.0 / 410) < 1e-12)
            #expect(weekday.openingHours == 9..<18)
            let day = try #require(page.percentOfNormal?.first)
            #expect(day.referenceDays.count == 4)
            #expect(day.percent[12] == 150 && day.percent[19] == 400 && day.percent[3] == 100)
            let html = TownReportPage.render(page)
            #expect(html.contains("Each hour against normal"))
        }
    }
}
