import Federation
import Foundation
import Indicators
@testable import Node
import Storage
import TestSupport
import Testing

/// Parking sites and readings (DATEX II and CSV), visitor origin and dwell time: imported from the
/// examples in deploy/data-examples, then computed by `indicators` (issue 19).
@Suite struct ParkingAndVisitorsTests {
    static func example(_ name: String) -> String {
        Repository.root.appendingPathComponent("deploy/data-examples/\(name)").path
    }

    /// A node with the example zones and parking sites.
    static func node(_ dir: URL) throws -> NodeFixture {
        let fixture = try NodeFixture(in: dir, sensors: false)
        _ = try fixture.store.importSensors(example("sensors.csv"))
        let sites = try fixture.store.importParkingSites(example("parking-sites.csv"))
        #expect(sites.rowsInserted == 3)
        #expect(try fixture.store.importParkingSites(example("parking-sites.csv")).rowsUnchanged == 3)
        return fixture
    }

    func readings(_ fixture: NodeFixture) throws -> [String] {
        try fixture.query("""
            SELECT s.name, o.time, o.occupied, o.capacity FROM parking_occupancy o JOIN parking_sites s ON s.id = o.site_id ORDER BY o.time, s.name
            """).map { "\(try $0.string(0)) \(try $0.int64(1).utcString) \(try $0.int64(2))/\(try $0.int64(3))" }
    }

    /// Vacant spaces become occupied = capacity − vacant; an override is the capacity of that
    /// moment; a percentage alone is occupied = percentage × capacity. Idempotent.
    @Test func datexStatusPublicationIsImported() throws {
        try withTemporaryDirectory { dir in
            let fixture = try Self.node(dir)
            let summary = try fixture.store.importFile(Self.example("parking-status-datex2.xml"), format: .parkingDatex)
            #expect(summary.rowsRead == 3 && summary.rowsInserted == 3)
            #expect(try readings(fixture) == [
                "zone-blauw 2025-06-07T07:58:00Z 75/120",
                "p-markt 2025-06-07T08:00:00Z 340/400",
                "p-station 2025-06-07T08:02:30Z 190/200",
            ])
            #expect(try fixture.store.importFile(Self.example("parking-status-datex2.xml"), format: .parkingDatex).rowsUnchanged == 3)
        }
    }

    /// DATEX II v3 (root `d2:payload`, namespace prefixes `prk:`, `com:`) reads the same.
    @Test func datexVersion3IsRead() throws {
        try withTemporaryDirectory { dir in
            let fixture = try Self.node(dir)
            let v3 = """
                <?xml version="1.0" encoding="UTF-8"?>
                <d2:payload xmlns:d2="http://datex2.eu/schema/3/d2Payload" xmlns:prk="http://datex2.eu/schema/3/parking"
                            xmlns:com="http://datex2.eu/schema/3/common" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                            xsi:type="prk:ParkingStatusPublication" lang="nl" modelBaseVersion="3">
                  <com:publicationTime>2025-06-07T10:05:00Z</com:publicationTime>
                  <prk:parkingRecordStatus xsi:type="prk:ParkingSiteStatus">
                    <prk:parkingRecordReference targetClass="prk:ParkingRecord" id="HRL-P02" version="1"/>
                    <prk:parkingStatusOriginTime>2025-06-07T08:00:00Z</prk:parkingStatusOriginTime>
                    <prk:parkingOccupancy><prk:parkingNumberOfVacantSpaces>50</prk:parkingNumberOfVacantSpaces></prk:parkingOccupancy>
                  </prk:parkingRecordStatus>
                </d2:payload>
                """
            #expect(try fixture.store.importFile(try fixture.write("v3.xml", v3), format: .parkingDatex).rowsInserted == 1)
            #expect(try readings(fixture) == ["p-station 2025-06-07T08:00:00Z 200/250"])
            let table = try fixture.write("table.xml", v3.replacingOccurrences(of: "prk:ParkingStatusPublication", with: "prk:ParkingTablePublication"))
            let error = try #require(throws: NodeError.self) { try fixture.store.importFile(table, format: .parkingDatex) }
            #expect(error.message.contains("not a ParkingStatusPublication"), "\(error)")
        }
    }

    @Test(arguments: [
        ("<d2LogicalModel><payloadPublication><parkingRecordStatus>", "not well-formed XML"),
        ("<d2LogicalModel xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><payloadPublication xsi:type=\"ParkingTablePublication\"/></d2LogicalModel>",
         "not a ParkingStatusPublication"),
        ("<d2LogicalModel><payloadPublication/></d2LogicalModel>", "no parkingRecordStatus"),
        ("<a><parkingRecordStatus><parkingRecordReference id=\"NOPE\"/></parkingRecordStatus></a>", "unknown parking record 'NOPE'"),
        ("<a>\n<parkingRecordStatus><parkingRecordReference id=\"HRL-P01\"/><parkingStatusOriginTime>2025-06-07T10:00:00+02:00</parkingStatusOriginTime><parkingOccupancy><parkingNumberOfVacantSpaces>401</parkingNumberOfVacantSpaces></parkingOccupancy></parkingRecordStatus></a>",
         "more than its capacity 400"),
        ("<a><parkingRecordStatus><parkingRecordReference id=\"HRL-P01\"/><parkingStatusOriginTime>2025-06-07T10:00:00+02:00</parkingStatusOriginTime></parkingRecordStatus></a>",
         "neither occupied nor vacant"),
        ("<a><parkingRecordStatus><parkingRecordReference id=\"HRL-P01\"/><parkingStatusOriginTime>gisteren</parkingStatusOriginTime></parkingRecordStatus></a>",
         "parkingStatusOriginTime 'gisteren'"),
    ] as [(String, String)])
    func badDatexIsRefusedAndChangesNothing(_ input: (String, String)) throws {
        try withTemporaryDirectory { dir in
            let fixture = try Self.node(dir)
            let file = try fixture.write("status.xml", input.0)
            let error = try #require(throws: NodeError.self) { try fixture.store.importFile(file, format: .parkingDatex) }
            #expect(error.description.contains(input.1), "\(error)")
            #expect(error.location?.file == "status.xml")
            #expect(try readings(fixture).isEmpty)
        }
    }

    /// An element name with invalid UTF-8 once stopped the process inside FoundationXML (found by
    /// the `lots` fuzz target; its input is in Tests/Fuzz/regressions/lots): now a clear refusal.
    @Test func xmlThatIsNotUTF8IsRefusedNotACrash() throws {
        try withTemporaryDirectory { dir in
            let fixture = try Self.node(dir)
            let file = dir.appendingPathComponent("status.xml")
            let bytes = Array("<a><parkingRecordStatus><parkin".utf8) + Array(repeating: 0xC4, count: 40)
                + Array("gRecordReference id=\"x\"/></parkingRecordStatus></a>".utf8)
            try Data(bytes).write(to: file)
            let error = try #require(throws: NodeError.self) { try fixture.store.importFile(file.path, format: .parkingDatex) }
            #expect(error.description.contains("not UTF-8"), "\(error)")
            #expect(try readings(fixture).isEmpty)
        }
    }

    @Test func parkingCSVAndOccupancyPerKind() throws {
        try withTemporaryDirectory { dir in
            let fixture = try Self.node(dir)
            _ = try fixture.store.importFile(Self.example("parking-status-datex2.xml"), format: .parkingDatex)
            let csv = try fixture.store.importFile(Self.example("parking.csv"), format: .parking)
            #expect(csv.rowsInserted == 3)
            let report = try fixture.store.computeIndicator(IndicatorQuery(indicator: "parking-occupancy", from: try DayNumber(iso: "2025-06-07"),
                                                                          to: try DayNumber(iso: "2025-06-07")))
            let kinds = try #require(report.parking)
            #expect(kinds.map(\.kind) == ["garage", "on-street"])
            // Garages, local hours (UTC+2): 10h (340 + 190) / (400 + 200); 11h 380 / 400 twice.
            let garage = kinds[0].result
            #expect(garage.hours.map(\.hour) == [10, 11])
            #expect(abs(garage.hours[0].rate - 530.0 / 600) < 1e-12 && garage.hours[1].rate == 0.95)
            #expect(garage.days.first?.saturatedHours == 2 && garage.days.first?.peakHour == 11)
            // On-street: 9h 62.5 % of 120 = 75; 11h 130 of 120 (over capacity, reported as is).
            let street = kinds[1].result
            #expect(street.hours.map(\.rate) == [0.625, 130.0 / 120])
            #expect(street.saturatedHours == 1 && street.observedHours == 2)
            #expect(report.text.contains("garage (2 site(s): p-markt, p-station): mean 91.7 %, peak 95.0 %, 2 of 2 observed hours"), "\(report.text)")
            // Only a zone's sites.
            var query = IndicatorQuery(indicator: "parking-occupancy", from: try DayNumber(iso: "2025-06-07"), to: try DayNumber(iso: "2025-06-07"))
            query.zone = "markt"
            #expect(try fixture.store.computeIndicator(query).parking?.flatMap(\.sites) == ["p-markt"])
        }
    }

    @Test func parkingCSVConflictsAndBadRows() throws {
        try withTemporaryDirectory { dir in
            let fixture = try Self.node(dir)
            _ = try fixture.store.importFile(Self.example("parking.csv"), format: .parking)
            let changed = try fixture.write("changed.csv", "site,time,occupied\np-markt,2025-06-07T11:00:00+02:00,390\n")
            let conflict = try #require(throws: NodeError.self) { try fixture.store.importFile(changed, format: .parking) }
            #expect(conflict.code == .conflict && conflict.message.contains("--replace"), "\(conflict)")
            #expect(try fixture.store.importFile(changed, format: .parking, options: .init(replace: true)).rowsReplaced == 1)
            for (text, reason) in [
                ("site,time,occupied,vacant\np-markt,2025-06-07 12:00,1,2\n", "not both"),
                ("site,time,occupied\nnope,2025-06-07 12:00,1\n", "unknown parking site 'nope'"),
                ("site,time\np-markt,2025-06-07 12:00\n", "neither occupied nor vacant"),
                ("site,time,occupied\np-markt,2025-06-07 12:00,-3\n", "occupied '-3' must be a whole number"),
                ("site,time,occupied\np-markt,2025-06-07 12:00,1\np-markt,2025-06-07 12:00,1\n", "appears twice"),
            ] {
                let file = try fixture.write("bad.csv", text)
                let before = try readings(fixture)
                let error = try #require(throws: NodeError.self) { try fixture.store.importFile(file, format: .parking) }
                #expect(error.description.contains(reason), "\(error)")
                #expect(try readings(fixture) == before)
            }
            let sites = try fixture.write("sites.csv", "site,zone,kind,capacity\np-markt,markt,garage,500\n")
            let siteConflict = try #require(throws: NodeError.self) { try fixture.store.importParkingSites(sites) }
            #expect(siteConflict.code == .conflict)
            let badKind = try fixture.write("kinds.csv", "site,zone,kind,capacity\np-x,markt,carpark,5\n")
            #expect(throws: NodeError.self) { try fixture.store.importParkingSites(badKind) }
        }
    }

    /// The tenant's minimum applies: with 10, "elsewhere" (7) is suppressed and, being the only
    /// one, "rest of province" with it; with 5 nothing is.
    @Test func visitorOriginSharesWithSuppression() throws {
        try withTemporaryDirectory { dir in
            let fixture = try Self.node(dir)
            #expect(try fixture.store.importFile(Self.example("visitor-origin.csv"), format: .visitorOrigin).rowsInserted == 4)
            let origin = try #require(try fixture.store.computeIndicator(IndicatorQuery(indicator: "visitor-origin", zone: "markt")).visitorOrigin)
            #expect(origin.total == 2157)
            #expect(origin.cells.map(\.visitors) == [1200, 640, nil, nil])
            #expect(origin.localShare == 1200.0 / 2157 && origin.hinterlandShare == 640.0 / 2157)
            try fixture.store.setSetting("privacy_min_origin_visitors", "5")
            let open = try #require(try fixture.store.computeIndicator(IndicatorQuery(indicator: "visitor-origin")).visitorOrigin)
            #expect(open.cells.map(\.visitors) == [1200, 640, 310, 7] && open.suppressedCells == 0)
            let bad = try fixture.write("o.csv", "zone,day,origin,visitors\nmarkt,2025-06-08,8500,12\n")
            let error = try #require(throws: NodeError.self) { try fixture.store.importFile(bad, format: .visitorOrigin) }
            #expect(error.message.contains("unknown origin '8500'"), "\(error)")
        }
    }

    @Test func dwellTimeMedianFromTheHistogram() throws {
        try withTemporaryDirectory { dir in
            let fixture = try Self.node(dir)
            #expect(try fixture.store.importFile(Self.example("dwell-time.csv"), format: .dwellTime).rowsInserted == 5)
            let report = try fixture.store.computeIndicator(IndicatorQuery(indicator: "dwell-time", zone: "markt"))
            let dwell = try #require(report.dwellTime)
            // N = 2157, N/2 = 1078.5; 400 + 600 = 1000 before the 30–60 bin (800): 30 + 78.5 / 800 × 30.
            #expect(abs((dwell.medianMinutes ?? 0) - 32.94375) < 1e-9)
            #expect(report.text.contains("median dwell time: 32.9 minutes, 2157 visitors"), "\(report.text)")
            let bad = try fixture.write("d.csv", "zone,day,from_minutes,to_minutes,visitors\nmarkt,2025-06-08,30,15,4\n")
            let error = try #require(throws: NodeError.self) { try fixture.store.importFile(bad, format: .dwellTime) }
            #expect(error.message.contains("must be above from_minutes"), "\(error)")
            let none = try #require(throws: NodeError.self) {
                try fixture.store.computeIndicator(IndicatorQuery(indicator: "dwell-time", zone: "marktstraat"))
            }
            #expect(none.message.contains("import --format dwell-time"), "\(none)")
        }
    }
}

extension ParkingAndVisitorsTests {
    /// `status` says what landed beside the counts: rows and local days per kind of data (the
    /// parking readings' UTC instants become local days), none imported said as such.
    @Test func statusListsParkingOriginAndDwell() throws {
        try withTemporaryDirectory { dir in
            let fixture = try Self.node(dir)
            let empty = try fixture.store.status().otherData
            #expect(empty.map(\.rows) == [0, 0, 0, 0, 0])
            #expect(empty.allSatisfy { $0.firstDay == nil })
            _ = try fixture.store.importFile(Self.example("parking-status-datex2.xml"), format: .parkingDatex)
            _ = try fixture.store.importFile(Self.example("visitor-origin.csv"), format: .visitorOrigin)
            _ = try fixture.store.importFile(Self.example("dwell-time.csv"), format: .dwellTime)
            let status = try fixture.store.status()
            let byName = Dictionary(uniqueKeysWithValues: status.otherData.map { ($0.data, $0) })
            let parking = try #require(byName["parking-occupancy"])
            #expect(parking.rows == 3 && parking.firstDay == "2025-06-07" && parking.lastDay == "2025-06-07")
            #expect(parking.detail == "3 parking site(s)")
            #expect(byName["visitor-origin"]?.rows == 4 && byName["dwell-time"]?.rows == 5)
            #expect(byName["weather"]?.rows == 0)
            #expect(status.text.contains("parking-occupancy: 3 row(s), 2025-06-07 – 2025-06-07 (3 parking site(s))"), "\(status.text)")
            #expect(status.text.contains("weather: 0 row(s), none imported"), "\(status.text)")
        }
    }
}

/// The lots in the aggregate payload (PROTOCOL.md §4.5): parking per site kind, visitor origin
/// after the tenant's minimum, dwell only for a day with at least that many visitors.
@Suite struct LotAggregateTests {
    @Test func lotsTravelInThePayloadAfterTheTenantMinimum() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            try PushTests.importMonth(fixture)
            _ = try fixture.store.importParkingSites(try fixture.write("sites.csv", "site,zone,kind,capacity\np-markt,markt,garage,400\n"))
            _ = try fixture.store.importFile(try fixture.write("p.csv", """
                site,time,occupied
                p-markt,2025-06-07T10:00:00+02:00,340
                p-markt,2025-06-07T10:30:00+02:00,360

                """), format: .parking)
            _ = try fixture.store.importFile(ParkingAndVisitorsTests.example("visitor-origin.csv"), format: .visitorOrigin)
            _ = try fixture.store.importFile(ParkingAndVisitorsTests.example("dwell-time.csv"), format: .dwellTime)
            _ = try fixture.store.importFile(try fixture.write("d.csv", "zone,day,from_minutes,to_minutes,visitors\nmarkt,2025-06-08,0,,5\n"),
                                             format: .dwellTime)
            let bytes = try fixture.store.previewPayload(period: try DayNumber(iso: "2025-06-02")...DayNumber(iso: "2025-06-08"))
            let payload = try AggregatePayload(verifiedBytes: bytes)
            let markt = try #require(payload.zones.first { $0.zoneId == "markt" })
            let saturday = try #require(markt.days.first { $0.date == "2025-06-07" })
            let parking = try #require(saturday.parking?.first)
            #expect(parking.kind == "garage" && parking.sites == 1)
            #expect(parking.occupied[10] == 350 && parking.capacity[10] == 400)
            #expect(parking.occupied.compactMap { $0 }.count == 1)
            #expect(saturday.visitorOrigin == .init(minimumCell: 10, ownMunicipality: 1200, neighbouring: 640, restOfProvince: nil, elsewhere: nil))
            #expect(saturday.dwell?.map(\.visitors) == [400, 600, 800, 300, 57])
            // Sunday's histogram has 5 visitors (< 10): not sent.
            #expect(markt.days.first { $0.date == "2025-06-08" }?.dwell == nil)
            // A day without lot data is as before: no lot member at all.
            let monday = try #require(markt.days.first { $0.date == "2025-06-02" })
            #expect(monday.parking == nil && monday.visitorOrigin == nil && monday.dwell == nil)
            #expect(!String(decoding: bytes, as: UTF8.self).contains("\"parking\":[]"))
        }
    }
}
