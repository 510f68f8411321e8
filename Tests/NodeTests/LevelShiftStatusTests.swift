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
            #expect(straat.levelShifts.allSatisfy { $0.ratio == 3 && $0.rule == .absolute })
            #expect(status.sensors.first { $0.sensor == "ped-markt" }?.levelShifts.isEmpty == true)
            #expect(status.text.contains("level shift: ped-straat weekday days 2025-06-02 – 2025-06-29 median 14400, the 8 weeks before 4800 (×3.00)"), "\(status.text)")
            let json = String(decoding: try JSONEncoder().encode(status), as: UTF8.self)
            #expect(json.contains("\"levelShifts\":[{"))
            #expect(json.contains("\"rule\":\"absolute\""))
        }
    }

    @Test func oneOfThreeZoneMatesMovingByAHalfIsFlaggedRelativeToTheZone() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir, sensors: false)
            _ = try fixture.store.importSensors(try fixture.write("sensors.csv", """
                sensor,zone,zone_kind,kind,vendor,paired_street_sensor,latitude,longitude,installed,removed
                ped-a,markt,market-square,pedestrian,crowdscan,,,,,
                ped-b,markt,market-square,pedestrian,crowdscan,,,,,
                ped-c,markt,market-square,pedestrian,crowdscan,,,,,

                """))
            let first = try DayNumber(iso: "2025-04-07"), shift = try DayNumber(iso: "2025-06-30")  // no DST change up to 2025-07-20
            var csv = "sensor,start,minutes,measure,count\n"
            for day in first...(shift + 20) {
                // Day totals 48 × level (hours differ: one value all day would be a flatline); ped-a ×1.6 from `shift`.
                for (sensor, level) in [("ped-a", day >= shift ? 480 : 300), ("ped-b", 200), ("ped-c", 400)] {
                    for hour in 0..<24 { csv += "\(sensor),\(day)T\(String(format: "%02d", hour)):00:00,60,pedestrians,\(level * (1 + hour % 3))\n" }
                }
            }
            _ = try fixture.store.importFile(try fixture.write("counts.csv", csv), format: .counts)
            let status = try fixture.store.status()
            let a = try #require(status.sensors.first { $0.sensor == "ped-a" })
            // Share 0.5 → 0.8: flagged once per day class at the first week end where most recent days moved.
            #expect(a.levelShifts.map(\.dayClass) == [.weekday, .saturday, .sunday])
            #expect(a.levelShifts.allSatisfy { $0.rule == .relativeToZone && abs($0.ratio - 1.6) < 1e-9 && $0.to == shift + 20 })
            #expect(status.sensors.filter { $0.sensor != "ped-a" }.allSatisfy { $0.levelShifts.isEmpty })
            #expect(status.text.contains("level shift relative to zone markt: ped-a weekday days 2025-06-23 – 2025-07-20 median share 0.800, the 8 weeks before 0.500 (×1.60)"), "\(status.text)")
            let json = String(decoding: try JSONEncoder().encode(status), as: UTF8.self)
            #expect(json.contains("\"rule\":\"relativeToZone\""))
        }
    }
}
