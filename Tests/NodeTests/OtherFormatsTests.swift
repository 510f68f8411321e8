import Foundation
import Indicators
@testable import Node
import Storage
import TestSupport
import Testing

@Suite struct TelraamImportTests {
    var vector: String { Repository.vectors.appendingPathComponent("telraam/traffic-report-348917.json").path }

    @Test func importsTheRealResponseKeepingUptimeAndSplits() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            let summary = try fixture.store.importFile(vector, format: .telraam)
            #expect(summary.rowsRead == 2)
            // 2 hours × 4 modes × 2 directions.
            #expect(summary.rowsInserted == 16)
            let heavy = try fixture.query("""
                SELECT direction, count, uptime FROM counts WHERE measure = ? AND start = ? ORDER BY direction
                """, [.int(Measure.heavy.rawValue), .integer(NodeFixture.epoch("2020-10-30T07:00:00Z"))])
            #expect(try heavy.map { try $0.double(1) } == [52.0547945205, 26.0273972603])
            #expect(try heavy.allSatisfy { try $0.double(2) == 0.73 })
            // Telraam's counts are scaled up for downtime: (left + right) × uptime is what the camera saw.
            let seen = (try heavy.map { try $0.double(1) }.reduce(0, +)) * 0.73
            #expect(abs(seen - 57) < 1e-6)
            // Both hours have uptime ≥ 0.5: two valid hours that day, 120 covered minutes.
            let daily = try #require(try fixture.query("SELECT valid_hours, covered_minutes, uptime_minutes FROM daily WHERE measure = ? AND direction = ?",
                                                       [.int(Measure.heavy.rawValue), .int(Direction.left.rawValue)]).first)
            #expect(try daily.int(0) == 2 && daily.int(1) == 120)
            #expect(abs(try daily.double(2) - (60 * 0.73 + 60 * 0.7738888889)) < 1e-9)
            let before = try fixture.snapshot()
            #expect(try fixture.store.importFile(vector, format: .telraam).rowsUnchanged == 16)
            #expect(try fixture.snapshot() == before)
        }
    }

    @Test(arguments: [
        ("{\"report\": [{\"segment_id\": 1, \"date\": \"2020-10-30T07:00:00.000Z\", \"interval\": \"hourly\", \"uptime\": 0.5}]}", "unknown Telraam segment 1"),
        ("{\"report\": [{\"segment_id\": 348917, \"date\": \"2020-10-30T07:00:00.000Z\", \"interval\": \"daily\", \"uptime\": 0.5}]}", "request hourly data"),
        ("{\"report\": [{\"segment_id\": 348917, \"date\": \"2020-10-30T07:00:00.000Z\", \"interval\": \"hourly\", \"uptime\": 1.5}]}", "uptime"),
        ("{\"report\": [{\"segment_id\": 348917, \"date\": \"2020-10-30T07:00:00.000Z\", \"interval\": \"hourly\", \"uptime\": 0.5, \"car\": -1}]}", "\"car\" must be a number ≥ 0"),
        ("{\"report\": [{\"segment_id\": 348917, \"date\": \"30/10/2020\", \"interval\": \"hourly\", \"uptime\": 0.5}]}", "not an ISO 8601"),
        ("{\"report\": [", "not valid JSON"),
        ("{\"status_code\": 200}", "\"report\" array"),
    ] as [(String, String)])
    func badReportsAreRefused(_ input: (String, String)) throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            let before = try fixture.snapshot()
            let file = try fixture.write("t.json", input.0)
            let error = try #require(throws: NodeError.self) { try fixture.store.importFile(file, format: .telraam) }
            #expect(error.description.contains(input.1), "\(error)")
            #expect(error.location?.file == "t.json")
            #expect(try fixture.snapshot() == before)
        }
    }

    @Test func errorNamesTheLineOfTheBadElement() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            var text = try String(contentsOfFile: vector, encoding: .utf8)
            text = text.replacingOccurrences(of: "\"uptime\": 0.7738888889", with: "\"uptime\": 7")
            let error = try #require(throws: NodeError.self) { try fixture.store.importFile(try fixture.write("t.json", text), format: .telraam) }
            let secondElementLine = text.components(separatedBy: "\n").firstIndex { $0.contains("2020-10-30T08:00:00.000Z") }! // date line
            #expect(error.description.contains("report[1]"))
            #expect(error.location!.line <= secondElementLine + 1 && error.location!.line >= secondElementLine - 3)
        }
    }
}

@Suite struct SpendingEventsHolidaysImportTests {
    @Test func spendingIsStoredInCentsAndReimportIsIdempotent() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            let file = try fixture.write("s.csv", "zone,start,minutes,sector,transactions,buyers,value_eur\nwinkelstraat,2025-06-02T00:00:00+02:00,1440,fashion,120,95,\"4350,50\"\nmarkt,2025-06-02,1440,horeca,40,31,612.5\n")
            let summary = try fixture.store.importFile(file, format: .spending)
            #expect(summary.rowsInserted == 2)
            let values = try fixture.query("SELECT sector, value_cents FROM spending ORDER BY sector").map { [try $0.string(0), String(try $0.int(1))] }
            #expect(values == [["fashion", "435050"], ["horeca", "61250"]])
            let before = try fixture.snapshot()
            #expect(try fixture.store.importFile(file, format: .spending).rowsUnchanged == 2)
            #expect(try fixture.snapshot() == before)
        }
    }

    @Test(arguments: [
        ("zone,start,minutes,sector,transactions,buyers,value_eur\nnowhere,2025-06-02T00:00:00Z,1440,fashion,1,1,1\n", "unknown zone 'nowhere'"),
        ("zone,start,minutes,sector,transactions,buyers,value_eur\nmarkt,2025-06-02T00:00:00Z,1440,fashion,10,11,1\n", "buyers (11) exceed transactions (10)"),
        ("zone,start,minutes,sector,transactions,buyers,value_eur\nmarkt,2025-06-02T00:00:00Z,1440,fashion,10,1,1.234\n", "at most 2 decimals"),
    ] as [(String, String)])
    func badSpendingIsRefused(_ input: (String, String)) throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            let before = try fixture.snapshot()
            let error = try #require(throws: NodeError.self) { try fixture.store.importFile(try fixture.write("s.csv", input.0), format: .spending) }
            #expect(error.description.contains(input.1), "\(error)")
            #expect(error.location?.line == 2)
            #expect(try fixture.snapshot() == before)
        }
    }

    @Test func eventsWithBareDatesCoverWholeLocalDays() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            let file = try fixture.write("e.csv", "id,name,zone,start,end,kind\nbraderie-2025,Braderie,winkelstraat,2025-06-07,2025-06-08,event\nmarkt-2025-06-04,Weekmarkt,markt,2025-06-04T08:00:00,2025-06-04T13:00:00,market\n")
            #expect(try fixture.store.importFile(file, format: .events).rowsInserted == 2)
            let braderie = try #require(try fixture.query("SELECT start, end FROM events WHERE id = 'braderie-2025'").first)
            #expect(try braderie.int64(0) == NodeFixture.epoch("2025-06-06T22:00:00Z"))
            #expect(try braderie.int64(1) == NodeFixture.epoch("2025-06-08T22:00:00Z"))
            let conflicting = try fixture.write("e2.csv", "id,name,zone,start,end,kind\nbraderie-2025,Braderie,winkelstraat,2025-06-07,2025-06-07,event\n")
            let error = try #require(throws: NodeError.self) { try fixture.store.importFile(conflicting, format: .events) }
            #expect(error.code == .conflict)
            #expect(try fixture.store.importFile(conflicting, format: .events, options: .init(replace: true)).rowsReplaced == 1)
        }
    }

    @Test(arguments: [
        ("id,name,zone,start,end,kind\nx,X,markt,2025-06-07T10:00:00Z,2025-06-07T09:00:00Z,event\n", "ends"),
        ("id,name,zone,start,end,kind\nx,X,markt,2025-06-07,2025-06-07,party\n", "unknown event kind 'party'"),
        ("id,name,zone,start,end,kind\nx,X,markt,2025-06-07,2025-06-07,event\nx,Y,markt,2025-06-07,2025-06-07,event\n", "duplicate event id 'x'"),
    ] as [(String, String)])
    func badEventsAreRefused(_ input: (String, String)) throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            let before = try fixture.snapshot()
            let error = try #require(throws: NodeError.self) { try fixture.store.importFile(try fixture.write("e.csv", input.0), format: .events) }
            #expect(error.description.contains(input.1), "\(error)")
            #expect(try fixture.snapshot() == before)
        }
    }

    @Test func schoolHolidaysAreImported() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            let file = try fixture.write("h.csv", "name,first_day,last_day\nZomervakantie,2025-07-01,2025-08-31\n")
            #expect(try fixture.store.importFile(file, format: .schoolHolidays).rowsInserted == 1)
            let row = try #require(try fixture.query("SELECT first_day, last_day FROM school_holidays").first)
            #expect(try row.int(0) == DayNumber(year: 2025, month: 7, day: 1).rawValue)
            let bad = try fixture.write("h2.csv", "name,first_day,last_day\nX,2025-08-31,2025-07-01\n")
            #expect(throws: NodeError.self) { try fixture.store.importFile(bad, format: .schoolHolidays) }
        }
    }
}
