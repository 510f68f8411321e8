import Foundation
@testable import Node
import TestSupport
import Testing

@Suite struct InitTests {
    @Test func createsStoreAndPrivateKeyReadableByOwnerOnly() throws {
        try withTemporaryDirectory { dir in
            let node = dir.appendingPathComponent("n")
            let store = try NodeStore.create(in: node, town: "oostkamp", tenant: "daks")
            #expect(store.settings == .init(town: "oostkamp", tenant: "daks", timeZone: "Europe/Brussels"))
            let keyPath = node.appendingPathComponent("keys/signing.key").path
            let attributes = try FileManager.default.attributesOfItem(atPath: keyPath)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            let seedHex = try String(contentsOfFile: keyPath, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(seedHex.count == 64)
            let reopened = try NodeStore.open(node)
            #expect(reopened.settings.town == "oostkamp")
            #expect(try reopened.status().keyID?.count == 32)
        }
    }

    @Test func refusesToOverwriteAnExistingNode() throws {
        try withTemporaryDirectory { dir in
            let node = dir.appendingPathComponent("n")
            _ = try NodeStore.create(in: node, town: "oostkamp", tenant: "daks")
            let key = try Data(contentsOf: node.appendingPathComponent("keys/signing.key"))
            let error = try #require(throws: NodeError.self) {
                try NodeStore.create(in: node, town: "menen", tenant: "daks")
            }
            #expect(error.code == .nodeExists)
            #expect(try Data(contentsOf: node.appendingPathComponent("keys/signing.key")) == key)
            #expect(try NodeStore.open(node).settings.town == "oostkamp")
        }
    }

    @Test(arguments: ["", "Harelbeke", "a b", "-x", String(repeating: "a", count: 65)])
    func refusesInvalidTownIDs(_ town: String) throws {
        try withTemporaryDirectory { dir in
            let error = try #require(throws: NodeError.self) {
                try NodeStore.create(in: dir.appendingPathComponent("n"), town: town, tenant: "daks")
            }
            #expect(error.code == .invalidArgument)
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("n/node.sqlite").path))
        }
    }

    @Test func refusesUnknownTimeZone() throws {
        try withTemporaryDirectory { dir in
            let error = try #require(throws: NodeError.self) {
                try NodeStore.create(in: dir.appendingPathComponent("n"), town: "veurne", tenant: "daks", timeZone: "Europe/Atlantis")
            }
            #expect(error.description.contains("Europe/Atlantis"))
        }
    }

    @Test func openingAMissingNodeSaysToRunInit() throws {
        try withTemporaryDirectory { dir in
            let error = try #require(throws: NodeError.self) { try NodeStore.open(dir) }
            #expect(error.code == .noNode)
            #expect(error.description.contains("townbench-node init"))
        }
    }
}

@Suite struct SensorsImportTests {
    @Test func importsZonesAndSensorsIdempotently() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            let zones = try fixture.query("SELECT name, kind FROM zones ORDER BY name").map { try [$0.string(0), $0.string(1)] }
            #expect(zones == [["invalsweg", "access-road"], ["markt", "market-square"], ["winkelstraat", "core-shopping"]])
            let door = try #require(try fixture.query("SELECT paired_street_sensor FROM sensors WHERE name = 'door-1'").first)
            #expect(try door.string(0) == "ped-straat")
            let before = try fixture.snapshot()
            let again = try fixture.store.importSensors(try fixture.write("sensors.csv", NodeFixture.sensorsCSV))
            #expect(again.rowsUnchanged == 4 && again.rowsInserted == 0)
            #expect(try fixture.snapshot() == before)
        }
    }

    @Test func changedAttributesAreAConflictUnlessReplace() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            let before = try fixture.snapshot()
            let changed = try fixture.write("changed.csv", "sensor,zone,zone_kind,kind,vendor\nped-markt,markt,market-square,pedestrian,citymesh\n")
            let error = try #require(throws: NodeError.self) { try fixture.store.importSensors(changed) }
            #expect(error.code == .conflict)
            #expect(error.location?.line == 2)
            #expect(try fixture.snapshot() == before)
            let summary = try fixture.store.importSensors(changed, options: .init(replace: true))
            #expect(summary.rowsReplaced == 1)
            #expect(try fixture.query("SELECT vendor FROM sensors WHERE name = 'ped-markt'").first?.string(0) == "citymesh")
        }
    }

    @Test func pairedStreetSensorMustBeADeclaredPedestrianCounter() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            let before = try fixture.snapshot()
            let missing = try fixture.write("s.csv", "sensor,zone,zone_kind,kind,vendor,paired_street_sensor\ndoor-2,markt,market-square,entries,rtf,nowhere\n")
            let error = try #require(throws: NodeError.self) { try fixture.store.importSensors(missing) }
            #expect(error.description.contains("'nowhere'"))
            #expect(error.location?.line == 2)
            let vehicle = try fixture.write("v.csv", "sensor,zone,zone_kind,kind,vendor,paired_street_sensor\ndoor-2,markt,market-square,entries,rtf,telraam-348917\n")
            let error2 = try #require(throws: NodeError.self) { try fixture.store.importSensors(vehicle) }
            #expect(error2.description.contains("must count pedestrians"))
            #expect(try fixture.snapshot() == before)
        }
    }

    @Test func unknownKindNamesTheAllowedValues() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir, sensors: false)
            let file = try fixture.write("s.csv", "sensor,zone,zone_kind,kind,vendor\nx,markt,market-square,pedestrain,crowdscan\n")
            let error = try #require(throws: NodeError.self) { try fixture.store.importSensors(file) }
            #expect(error.location == .init(file: "s.csv", line: 2, column: 23))
            #expect(error.description.contains("pedestrian, vehicle, entries, spending"))
            #expect(try fixture.query("SELECT count(*) FROM zones").first?.int(0) == 0)
        }
    }
}
