import Foundation
import Indicators
@testable import Node
import TestSupport
import Testing

/// The node's whole pipeline (CSV import → daily sums → panel → indicator) against the
/// catalogue's hand-computed vectors in `Indicators/vectors/`.
@Suite struct LocalIndicatorsTests {
    static var vectorsDirectory: URL { Repository.root.appendingPathComponent("Indicators/vectors") }

    /// The footfall-index vectors for interval counters (Telraam ones need an uptime per hour,
    /// which the counts format does not carry; the Telraam import has its own tests).
    static func footfallVectors() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: vectorsDirectory.path)
            .filter { $0.hasPrefix("footfall-index-") && !$0.contains("telraam") }.sorted()
    }

    @Test(arguments: try footfallVectors())
    func nodeComputesTheCataloguesFootfallIndex(_ name: String) throws {
        let vector = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Self.vectorsDirectory.appendingPathComponent(name))) as? [String: Any])
        let query = try #require(vector["query"] as? [String: Any])
        let expected = try #require(vector["expected"] as? [String: Any])
        let sensors = try #require(vector["sensors"] as? [[String: Any]])
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir, sensors: false)
            let declared = "sensor,zone,zone_kind,kind,vendor\n" + sensors.map { "\($0["id"]!),centrum,core-shopping,pedestrian,crowdscan\n" }.joined()
            _ = try fixture.store.importSensors(try fixture.write("sensors.csv", declared))
            // Each sensor-day becomes rows of 60, 15, 5 or 1 minutes covering `coveredMinutes` from local midnight, the whole
            // total in the first row (a day's total is what the indicator sums).
            let clock = LocalClock(timeZone: fixture.store.timeZone)
            var csv = "sensor,start,minutes,measure,count\n"
            for sensor in sensors {
                for day in try #require(sensor["days"] as? [[String: Any]]) {
                    let date = try DayNumber(iso: try #require(day["day"] as? String))
                    let total = try #require(day["total"] as? Double)
                    let expectedMinutes = day["expectedMinutes"] as? Int ?? 1440
                    #expect(clock.minutesInDay(date) == expectedMinutes, "the vector's day length must be Brussels' own")
                    let covered = day["coveredMinutes"] as? Int ?? expectedMinutes
                    try #require(total == total.rounded())
                    let step = [60, 15, 5, 1].first { covered % $0 == 0 } ?? 1
                    let start = clock.startOfDay(date)
                    for interval in 0..<(covered / step) {
                        csv += "\(sensor["id"]!),\((start + Int64(interval * step * 60)).utcString),\(step),pedestrians,\(interval == 0 ? Int(total) : 0)\n"
                    }
                }
            }
            _ = try fixture.store.importFile(try fixture.write("counts.csv", csv), format: .counts)
            let report = try fixture.store.computeIndicator(IndicatorQuery(
                indicator: "footfall-index", from: try DayNumber(iso: query["from"] as! String),
                to: try DayNumber(iso: query["to"] as! String), lag: query["lag"] as? Int ?? 364))
            let result = try #require(report.footfallIndex)
            #expect(report.indicator == "footfall-index" && report.version == 1)
            #expect(result.pairs == expected["pairs"] as? Int)
            #expect(result.sensors == expected["sensors"] as? Int)
            if let value = expected["value"] as? Double {
                #expect(abs(try #require(result.value) - value) < 1e-9, "\(name)")
            } else {
                #expect(result.value == nil, "\(name): no pair must give no value, never 0 or 100")
            }
        }
    }

    @Test func eventUpliftNeedsAKnownEvent() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            _ = try fixture.store.importFile(try fixture.write("c.csv", CountsImportTests.goodCSV), format: .counts)
            let error = try #require(throws: NodeError.self) {
                try fixture.store.computeIndicator(IndicatorQuery(indicator: "event-uplift", eventID: "nope"))
            }
            #expect(error.code == .invalidArgument && error.description.contains("unknown event 'nope'"))
            let unknown = try #require(throws: NodeError.self) {
                try fixture.store.computeIndicator(IndicatorQuery(indicator: "footfal-index"))
            }
            #expect(unknown.description.contains("footfall-index, "))
        }
    }

    @Test func storeWithoutStreetCounterIsCountedAsUnpaired() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            _ = try fixture.store.importSensors(try fixture.write("more.csv", "sensor,zone,zone_kind,kind,vendor\ndoor-2,winkelstraat,core-shopping,entries,retailfactory\n"))
            var csv = "sensor,start,minutes,measure,count\n"
            let clock = LocalClock(timeZone: fixture.store.timeZone)
            let day = try DayNumber(year: 2025, month: 6, day: 2)
            for hour in 0..<24 {
                let start = (clock.startOfDay(day) + Int64(hour) * 3600).utcString
                csv += "door-1,\(start),60,entries,\(hour == 12 ? 30 : 0)\n"
                csv += "door-2,\(start),60,entries,\(hour == 12 ? 50 : 0)\n"
                csv += "ped-straat,\(start),60,pedestrians,\(hour == 12 ? 600 : 0)\n"
            }
            _ = try fixture.store.importFile(try fixture.write("c.csv", csv), format: .counts)
            let report = try fixture.store.computeIndicator(IndicatorQuery(indicator: "conversion-rate", from: day, to: day))
            let zone = try #require(report.conversion?.first)
            #expect(zone.zone == "winkelstraat")
            #expect(zone.result.value == 30.0 / 600.0)  // door-2 has no street counter: it is left out
            #expect(zone.result.contributingPairs == 1 && zone.result.unpairedStores == 1)
            #expect(!zone.result.isPublishableAcrossTowns)
        }
    }
}
