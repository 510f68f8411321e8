import Foundation
import Indicators
@testable import Node
import TestSupport
import Testing

/// `status` flags a sensor whose level moved for good (issue 18).
@Suite struct LevelShiftStatusTests {
    @Test func aCounterThatTriplesIsFlaggedInTextAndJSON() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            let first = try DayNumber(iso: "2025-04-07")  // 12 weeks without a DST change
            var csv = "sensor,start,minutes,measure,count\n"
            for day in first..<(first + 84) {
                let level = day >= first + 56 ? 300 : 100  // re-aimed at a busier spot for the last 4 weeks
                for hour in 0..<24 {  // hours differ (one value all day would be a flatline): a day is 48 × level
                    csv += "ped-straat,\(day)T\(String(format: "%02d", hour)):00:00,60,pedestrians,\(level * (1 + hour % 3))\n"
                    csv += "ped-markt,\(day)T\(String(format: "%02d", hour)):00:00,60,pedestrians,\(100 * (1 + hour % 3))\n"
                }
            }
            _ = try fixture.store.importFile(try fixture.write("counts.csv", csv), format: .counts)
            let status = try fixture.store.status()
            let straat = try #require(status.sensors.first { $0.sensor == "ped-straat" })
            #expect(straat.levelShifts.map(\.dayClass) == [.weekday, .saturday, .sunday])
            #expect(straat.levelShifts.allSatisfy { $0.ratio == 3 })
            #expect(status.sensors.first { $0.sensor == "ped-markt" }?.levelShifts.isEmpty == true)
            #expect(status.text.contains("level shift: ped-straat weekday days 2025-06-02 – 2025-06-29 median 14400, the 8 weeks before 4800 (×3.00)"), "\(status.text)")
            let json = String(decoding: try JSONEncoder().encode(status), as: UTF8.self)
            #expect(json.contains("\"levelShifts\":[{"))
        }
    }
}
