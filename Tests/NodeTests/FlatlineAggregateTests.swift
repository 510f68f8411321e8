import Federation
import Foundation
import Indicators
@testable import Node
import TestSupport
import Testing

/// Issue 18: a flatline sensor-day (a dead counter's zeros) leaves the node as missing, like-for-like
/// with the node's own indicators: no `sensors[]` entry, nothing in the zone total, the hours or the
/// conversion pairs; and a week sent before the day could be judged is sent again as a correction.
@Suite struct FlatlineAggregateTests {
    static let sensorsCSV = """
        sensor,zone,zone_kind,kind,vendor,paired_street_sensor
        markt-1,markt,market-square,pedestrian,crowdscan,
        markt-2,markt,market-square,pedestrian,crowdscan,
        straat-1,winkelstraat,core-shopping,pedestrian,crowdscan,
        door-1,winkelstraat,core-shopping,entries,retailfactory,straat-1

        """
    /// The count of `sensor` on day `offset` (0 = Monday 2025-09-01) at `hour`: five normal weeks,
    /// then in week 6 `markt-1` and `door-1` report zeros.
    static func count(_ sensor: String, _ offset: Int, _ hour: Int) -> Int {
        switch sensor {
        case "markt-1": offset >= 35 ? 0 : 50 + (offset * 7 + hour * 3) % 40
        case "markt-2": 80 + (offset * 11 + hour) % 30
        case "straat-1": 120 + (offset * 5 + hour * 2) % 50
        default: offset >= 35 ? 0 : 20 + hour % 5
        }
    }

    /// A node with the four sensors and no counts.
    static func node(in dir: URL) throws -> NodeFixture {
        let fixture = try NodeFixture(in: dir, sensors: false)
        _ = try fixture.store.importSensors(try fixture.write("sensors.csv", sensorsCSV))
        return fixture
    }

    /// Imports the hourly counts of days `offsets` of every sensor.
    static func importDays(_ fixture: NodeFixture, _ offsets: Range<Int>, file: String) throws {
        let clock = LocalClock(timeZone: fixture.store.timeZone)
        let monday = try DayNumber(iso: "2025-09-01")
        var csv = "sensor,start,minutes,measure,count\n"
        for offset in offsets {
            for hour in 0..<24 {
                let start = (clock.startOfDay(monday + offset) + Int64(hour) * 3600).utcString
                for sensor in ["markt-1", "markt-2", "straat-1"] {
                    csv += "\(sensor),\(start),60,pedestrians,\(count(sensor, offset, hour))\n"
                }
                csv += "door-1,\(start),60,entries,\(count("door-1", offset, hour))\n"
            }
        }
        _ = try fixture.store.importFile(try fixture.write(file, csv), format: .counts)
    }

    static func pseudonym(_ store: NodeStore, _ name: String) throws -> String {
        try store.pseudonym(try #require(try store.sensors().first { $0.name == name }))
    }

    @Test func aDeadCountersDaysLeaveTheNodeAsMissingAndTheOtherSensorsAreIntact() throws {
        try withTemporaryDirectory { dir in
            let fixture = try Self.node(in: dir)
            try Self.importDays(fixture, 0..<42, file: "counts.csv")
            let store = fixture.store
            let monday = try DayNumber(iso: "2025-09-01")
            let markt1 = try Self.pseudonym(store, "markt-1"), markt2 = try Self.pseudonym(store, "markt-2")
            let flat = try store.flatlineSensorDays()
            #expect(flat.count == 14)  // markt-1 and door-1, 7 days each

            let zones = try store.aggregateZones(period: monday + 28...monday + 41)
            let markt = try #require(zones.first { $0.zoneId == "markt" })
            let shop = try #require(zones.first { $0.zoneId == "winkelstraat" })
            #expect(markt.days.count == 14 && shop.days.count == 14)
            for (index, day) in markt.days.enumerated() {
                let offset = 28 + index
                let pedestrians = try #require(day.measures.first { $0.measure == "pedestrians" })
                let alive = offset < 35 ? ["markt-1", "markt-2"] : ["markt-2"]
                #expect(Set(pedestrians.sensors.map(\.sensor)) == Set(offset < 35 ? [markt1, markt2] : [markt2]), "\(day.date)")
                // The zone total and the 24 hours are those of the sensors not flat that day.
                let hours = (0..<24).map { h in Double(alive.reduce(0) { $0 + Self.count($1, offset, h) }) }
                #expect(pedestrians.total == hours.reduce(0, +), "\(day.date)")
                #expect(pedestrians.hourly == hours.map { Optional($0) }, "\(day.date)")
                // markt-2 is intact, coverage included.
                let intact = try #require(pedestrians.sensors.first { $0.sensor == markt2 })
                #expect(intact.total == Double((0..<24).reduce(0) { $0 + Self.count("markt-2", offset, $1) }))
                #expect(intact.coveredMinutes == 1440 && intact.uptimeMinutes == 1440)
            }
            for (index, day) in shop.days.enumerated() {
                let offset = 28 + index
                let entries = try #require(day.measures.first { $0.measure == "entries" })
                let street = try #require(day.measures.first { $0.measure == "pedestrians" })
                #expect(street.sensors.count == 1)
                if offset < 35 {
                    #expect(entries.sensors.count == 1 && entries.total != nil)
                    #expect(day.conversions.count == 1)
                } else {
                    // Every sensor of the cell is flat: the cell stays (it supersedes), with nothing in it.
                    #expect(entries.sensors.isEmpty && entries.total == nil && entries.totalSuppressed == false, "\(day.date)")
                    #expect(entries.hourly?.allSatisfy { $0 == nil } == true, "\(day.date)")
                    #expect(day.conversions.isEmpty, "\(day.date)")
                }
            }
            // What is signed passes the coordinator's intake check.
            let payload = try AggregatePayload(verifiedBytes: try store.previewPayload(period: monday + 35...monday + 41))
            #expect(payload.zones.count == 2)
        }
    }

    @Test func aWeekSentBeforeItsDeadDaysCouldBeJudgedIsSentAgainAsACorrection() throws {
        try withTemporaryDirectory { dir in
            let fixture = try Self.node(in: dir)
            let store = fixture.store
            let monday = try DayNumber(iso: "2025-09-01")
            let markt1 = try Self.pseudonym(store, "markt-1")
            // Week 6 arrives first: without history, markt-1's zeros cannot be told from a quiet sensor.
            try Self.importDays(fixture, 35..<42, file: "late.csv")
            let first = try store.queueSubmissions(through: monday + 41)
            #expect(first.map(\.periodFrom) == [monday + 35])
            func markt1Days(_ entry: OutboxEntry) throws -> Int {
                let payload = try AggregatePayload(verifiedBytes: try Envelope(parsing: try store.envelopeBytes(sequence: entry.sequence)).payload)
                return payload.zones.flatMap(\.days).flatMap(\.measures).flatMap(\.sensors).filter { $0.sensor == markt1 }.count
            }
            #expect(try markt1Days(try #require(first.first)) == 7)
            // The five weeks before are imported later (a backfill): now week 6's zeros are flatlines.
            try Self.importDays(fixture, 0..<35, file: "backfill.csv")
            let second = try store.queueSubmissions(through: monday + 41)
            #expect(second.count == 6)
            let correction = try #require(second.first { $0.periodFrom == monday + 35 })
            #expect(correction.sequence > (first.first?.sequence ?? .max))
            #expect(try markt1Days(correction) == 0)
            // Nothing changed since: nothing is queued again.
            #expect(try store.queueSubmissions(through: monday + 41).isEmpty)
        }
    }
}
