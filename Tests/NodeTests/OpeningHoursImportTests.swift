import Federation
import Foundation
import Indicators
@testable import Node
import Storage
import TestSupport
import Testing

/// `import --format opening-hours` and the opening hours in the aggregate (issue 20).
@Suite struct OpeningHoursImportTests {
    static let csv = """
        zone,weekday,opens,closes
        winkelstraat,mon,13:30,18:00
        winkelstraat,tue,9:30,18:00
        winkelstraat,wed,09:30,12:30
        winkelstraat,wed,13:30,18:00
        winkelstraat,thu,09:30,18:00
        winkelstraat,vr,09:30,21:00
        winkelstraat,sat,10:00,17:00
        winkelstraat,sun,,
        winkelstraat,2025-12-21,13:00,18:00
        winkelstraat,2025-12-31,,

        """

    func rows(_ fixture: NodeFixture) throws -> Int { try fixture.query("SELECT count(*) FROM opening_hours")[0].int(0) }

    @Test func importsOnceThenChangesNothingAndAsksForReplace() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            let file = try fixture.write("o.csv", Self.csv)
            #expect(try fixture.store.importFile(file, format: .openingHours).rowsInserted == 10)
            #expect(try fixture.store.importFile(file, format: .openingHours).rowsUnchanged == 10)
            let schedule = try #require(try fixture.store.openingSchedule(zone: "winkelstraat"))
            // Wednesday 2025-12-17: 09:30–12:30 and 13:30–18:00; hour 12 has 30 open minutes, hour 13 too.
            #expect(schedule.openHours(on: try DayNumber(iso: "2025-12-17")) == (0..<24).map { (9...17).contains($0) })
            // The Sunday shopping day 2025-12-21 and a closed Wednesday 2025-12-31.
            #expect(schedule.openHours(on: try DayNumber(iso: "2025-12-21")) == (0..<24).map { (13...17).contains($0) })
            #expect(schedule.openHours(on: try DayNumber(iso: "2025-12-31")).allSatisfy { !$0 })
            #expect(try fixture.store.openingSchedule(zone: "markt") == nil)

            let changed = try fixture.write("o2.csv", "zone,weekday,opens,closes\nwinkelstraat,mon,09:00,18:00\n")
            let error = try #require(throws: NodeError.self) { try fixture.store.importFile(changed, format: .openingHours) }
            #expect(error.description.contains("--replace"), "\(error)")
            #expect(try rows(fixture) == 10)
            #expect(try fixture.store.importFile(changed, format: .openingHours, options: .init(replace: true)).rowsReplaced == 1)
            #expect(try rows(fixture) == 1)
        }
    }

    @Test(arguments: [
        ("zone,weekday,opens,closes\nnowhere,mon,09:00,18:00\n", "unknown zone 'nowhere'"),
        ("zone,weekday,opens,closes\nwinkelstraat,monday,09:00,18:00\n", "neither a weekday"),
        ("zone,weekday,opens,closes\nwinkelstraat,mon,09:00,25:00\n", "HH:MM"),
        ("zone,weekday,opens,closes\nwinkelstraat,mon,18:00,09:00\n", "before they open"),
        ("zone,weekday,opens,closes\nwinkelstraat,mon,09:00,\n", "both opens and closes"),
        ("zone,weekday,opens,closes\nwinkelstraat,mon,09:00,13:00\nwinkelstraat,mon,12:00,18:00\n", "overlaps the one at line 2"),
        ("zone,weekday,opens,closes\nwinkelstraat,mon,,\nwinkelstraat,mon,09:00,18:00\n", "both closed and open"),
        ("zone,weekday,opens,closes\nwinkelstraat,1999-12-31,09:00,18:00\n", "supported date"),
    ])
    func badRowsNameLineAndFixAndStoreNothing(_ input: (String, String)) throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            let error = try #require(throws: NodeError.self) {
                try fixture.store.importFile(try fixture.write("o.csv", input.0), format: .openingHours)
            }
            #expect(error.description.contains(input.1), "\(error)")
            #expect(error.description.contains("o.csv:"), "\(error)")
            #expect(try rows(fixture) == 0)
        }
    }

    @Test func theAggregateCarriesTheZonesHoursWithThePeriodsExceptions() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            _ = try fixture.store.importFile(try fixture.write("o.csv", Self.csv), format: .openingHours)
            let counts = """
                sensor,start,minutes,measure,count
                ped-straat,2025-12-21T14:00:00+01:00,60,pedestrians,120
                ped-markt,2025-12-21T14:00:00+01:00,60,pedestrians,80

                """
            _ = try fixture.store.importFile(try fixture.write("c.csv", counts), format: .counts)
            let zones = try fixture.store.aggregateZones(period: try DayNumber(iso: "2025-12-15")...(try DayNumber(iso: "2025-12-21")))
            let street = try #require(zones.first { $0.zoneId == "winkelstraat" })
            let hours = try #require(street.openingHours)
            #expect(hours.weekly.count == 7)
            #expect(hours.weekly.contains(.init(weekday: 2, opens: "09:30", closes: "18:00")))
            // Only the exception inside the period is sent.
            #expect(hours.exceptions == [.init(date: "2025-12-21", opens: "13:00", closes: "18:00")])
            #expect(zones.first { $0.zoneId == "markt" }?.openingHours == nil)
            let payload = AggregatePayload(tenantId: "daks", townId: "harelbeke", keyId: String(repeating: "0", count: 32),
                                           submissionId: String(repeating: "1", count: 32), sequence: 1, createdAt: "2025-12-22T06:00:00Z",
                                           period: .init(from: "2025-12-15", to: "2025-12-21"), timeZone: "Europe/Brussels",
                                           privacy: .standard, zones: zones)
            #expect(throws: Never.self) { try payload.validate() }
        }
    }
}
