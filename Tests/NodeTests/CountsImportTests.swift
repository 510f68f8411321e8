import Foundation
import Indicators
@testable import Node
import Storage
import TestSupport
import Testing

@Suite struct CountsImportTests {
    static let goodCSV = """
        sensor,start,minutes,measure,count,direction
        ped-markt,2025-06-02T10:00:00+02:00,15,pedestrians,12,
        ped-markt,2025-06-02T10:15:00+02:00,15,pedestrians,8,
        ped-markt,2025-06-02T08:30:00Z,15,pedestrians,5,
        door-1,2025-06-02T10:00:00+02:00,60,entries,4,in
        door-1,2025-06-02T10:00:00+02:00,60,entries,3,out

        """

    @Test func storesRowsAndKeepsDailyAndHourlySums() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            let summary = try fixture.store.importFile(try fixture.write("c.csv", Self.goodCSV), format: .counts)
            #expect(summary.rowsRead == 5 && summary.rowsInserted == 5)
            let day = try DayNumber(year: 2025, month: 6, day: 2).rawValue
            // ped-markt: 12 + 8 + 5 = 25 over 45 minutes on 2 June (local), hour 10 has 12 + 8 + 5.
            let daily = try #require(try fixture.query("""
                SELECT d.total, d.covered_minutes, d.intervals FROM daily d JOIN sensors s ON s.id = d.sensor_id
                WHERE s.name = 'ped-markt' AND d.day = ?
                """, [.int(day)]).first)
            #expect(try daily.double(0) == 25 && daily.int(1) == 45 && daily.int(2) == 3)
            let hourly = try fixture.query("""
                SELECT h.hour, h.total FROM hourly h JOIN sensors s ON s.id = h.sensor_id WHERE s.name = 'ped-markt' ORDER BY h.hour
                """).map { [try $0.double(0), try $0.double(1)] }
            #expect(hourly == [[10, 25]])
            // Direction slices of door-1 are kept apart in daily and summed in hourly.
            let door = try fixture.query("""
                SELECT d.direction, d.total FROM daily d JOIN sensors s ON s.id = d.sensor_id WHERE s.name = 'door-1' ORDER BY 1
                """).map { [try $0.int(0), Int(try $0.double(1))] }
            #expect(door == [[Direction.inbound.rawValue, 4], [Direction.outbound.rawValue, 3]])
            let doorHour = try fixture.query("SELECT total FROM hourly h JOIN sensors s ON s.id = h.sensor_id WHERE s.name = 'door-1'")
            #expect(try doorHour.map { try $0.double(0) } == [7])
        }
    }

    @Test func reimportingTheSameFileChangesNothing() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            let file = try fixture.write("c.csv", Self.goodCSV)
            _ = try fixture.store.importFile(file, format: .counts)
            let before = try fixture.snapshot()
            let again = try fixture.store.importFile(file, format: .counts)
            #expect(again.rowsUnchanged == 5 && again.rowsInserted == 0 && again.rowsReplaced == 0)
            #expect(try fixture.snapshot() == before)
        }
    }

    @Test func conflictingRowNamesBothValuesAndReplaceOverwrites() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            _ = try fixture.store.importFile(try fixture.write("c.csv", Self.goodCSV), format: .counts)
            let before = try fixture.snapshot()
            let changed = try fixture.write("c2.csv", "sensor,start,minutes,measure,count\nped-markt,2025-06-02T10:15:00+02:00,15,pedestrians,10\n")
            let error = try #require(throws: NodeError.self) { try fixture.store.importFile(changed, format: .counts) }
            #expect(error.code == .conflict)
            #expect(error.description.contains("this file says 10"))
            #expect(error.description.contains("the store has 8"))
            #expect(error.description.contains("--replace"))
            #expect(try fixture.snapshot() == before)

            let summary = try fixture.store.importFile(changed, format: .counts, options: .init(replace: true))
            #expect(summary.rowsReplaced == 1)
            let total = try fixture.query("SELECT d.total FROM daily d JOIN sensors s ON s.id = d.sensor_id WHERE s.name = 'ped-markt'")
            #expect(try total.map { try $0.double(0) } == [27])  // 12 + 10 + 5
            let hour = try fixture.query("SELECT h.total FROM hourly h JOIN sensors s ON s.id = h.sensor_id WHERE s.name = 'ped-markt'")
            #expect(try hour.map { try $0.double(0) } == [27])
            let covered = try fixture.query("SELECT covered_minutes, intervals FROM daily d JOIN sensors s ON s.id = d.sensor_id WHERE s.name = 'ped-markt'")
            #expect(try covered.first?.int(0) == 45 && covered.first?.int(1) == 3)
        }
    }

    /// Every kind of bad input: a clear error with line and column, and the store unchanged.
    @Test(arguments: [
        ("sensor,start,minutes,measure,count\nnope,2025-06-02T10:00:00Z,15,pedestrians,1\n", 2, 1, "unknown sensor 'nope'"),
        ("sensor,start,minutes,measure,count\nped-markt,2025-06-02T10:00:00Z,15,pedestrians,-3\n", 2, 47, "must be a whole number"),
        ("sensor,start,minutes,measure,count\nped-markt,2025-06-02T10:00:00Z,15,pedestrians,1.5\n", 2, 47, "must be a whole number"),
        ("sensor,start,minutes,measure,count\nped-markt,2025-06-31T10:00:00Z,15,pedestrians,1\n", 2, 11, "does not exist"),
        ("sensor,start,minutes,measure,count\nped-markt,yesterday,15,pedestrians,1\n", 2, 11, "not an ISO 8601 timestamp"),
        ("sensor,start,minutes,measure,count\nped-markt,2025-06-02T25:00:00Z,15,pedestrians,1\n", 2, 11, "out of range"),
        ("sensor,start,minutes,measure,count\nped-markt,2025-06-02T10:00:00Z,0,pedestrians,1\n", 2, 32, "from 1 to 1440"),
        ("sensor,start,minutes,measure,count\nped-markt,2025-06-02T10:00:00Z,15,walkers,1\n", 2, 35, "unknown measure 'walkers'"),
        ("sensor,time,minutes,measure,count\n", 1, 8, "unknown column 'time'"),
        ("sensor,start,minutes,measure\n", 1, 1, "missing column 'count'"),
        ("sensor,start,minutes,measure,count\nped-markt,2025-06-02T10:00:00Z,15\n", 2, nil, "expected 5 fields"),
        ("sensor,start,minutes,measure,count\nped-markt,2025-06-02T10:00:00Z,15,pedestrians,1\nped-markt,2025-06-02T10:00:00Z,15,pedestrians,1\n", 3, 1, "duplicate row"),
        ("sensor,start,minutes,measure,count,direction\nped-markt,2025-06-02T10:00:00Z,15,pedestrians,1,up\n", 2, 49, "unknown direction 'up'"),
        ("sensor,start,minutes,measure,count\nped-markt,2025-03-30T02:30:00,15,pedestrians,1\n", 2, 11, "does not exist in Europe/Brussels"),
        ("sensor,start,minutes,measure,count\n\"ped-markt,2025-06-02T10:00:00Z,15,pedestrians,1\n", 2, 49, "spans lines"),
        ("sensor,start,minutes,measure,count\n\"ped-markt,2025-06-02T10:00:00Z,15,pedestrians,1", 2, nil, "never closed"),
        ("", 1, nil, "the file is empty"),
    ] as [(String, Int, Int?, String)])
    func badInputIsRefusedWithLocationAndChangesNothing(_ input: (String, Int, Int?, String)) throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            _ = try fixture.store.importFile(try fixture.write("ok.csv", Self.goodCSV), format: .counts)
            let before = try fixture.snapshot()
            // A good row first, so a half-written import would show.
            let file = try fixture.write("bad.csv", input.0)
            let error = try #require(throws: NodeError.self) { try fixture.store.importFile(file, format: .counts) }
            #expect(error.code == .badInput)
            #expect(error.location == .init(file: "bad.csv", line: input.1, column: input.2))
            #expect(error.description.contains(input.3), "\(error)")
            #expect(try fixture.snapshot() == before)
        }
    }

    @Test func aGoodRowBeforeABadOneIsNotKept() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            let before = try fixture.snapshot()
            let file = try fixture.write("bad.csv", "sensor,start,minutes,measure,count\nped-markt,2025-06-02T10:00:00Z,15,pedestrians,1\nped-markt,2025-06-02T10:15:00Z,15,pedestrians,x\n")
            #expect(throws: NodeError.self) { try fixture.store.importFile(file, format: .counts) }
            #expect(try fixture.snapshot() == before)
        }
    }

    @Test func invalidUTF8IsRefusedWithItsLocation() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            let before = try fixture.snapshot()
            var data = Data("sensor,start,minutes,measure,count\nped-m".utf8)
            data.append(contentsOf: [0xC3, 0x28])
            data.append(Data("rkt,2025-06-02T10:00:00Z,15,pedestrians,1\n".utf8))
            let file = try fixture.write("utf.csv", data)
            let error = try #require(throws: NodeError.self) { try fixture.store.importFile(file, format: .counts) }
            #expect(error.location == .init(file: "utf.csv", line: 2, column: 1))
            #expect(error.description.contains("UTF-8"))
            #expect(try fixture.snapshot() == before)
        }
    }

    @Test func aHugeLineIsRefusedWithoutReadingItWhole() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            let before = try fixture.snapshot()
            var data = Data("sensor,start,minutes,measure,count\nped-markt,".utf8)
            data.append(Data(repeating: UInt8(ascii: "a"), count: 3 << 20))
            data.append(Data("\n".utf8))
            let file = try fixture.write("long.csv", data)
            let error = try #require(throws: NodeError.self) { try fixture.store.importFile(file, format: .counts) }
            #expect(error.location?.line == 2)
            #expect(error.description.contains("longer than"))
            #expect(try fixture.snapshot() == before)
        }
    }

    @Test func semicolonSeparatedFilesWithBOMAndCRLFAreRead() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            var data = Data([0xEF, 0xBB, 0xBF])
            data.append(Data("sensor;start;minutes;measure;count\r\nped-markt;2025-06-02T10:00:00Z;15;pedestrians;3\r\n".utf8))
            let summary = try fixture.store.importFile(try fixture.write("excel.csv", data), format: .counts)
            #expect(summary.rowsInserted == 1)
        }
    }

    // MARK: DST

    @Test func springForwardDayHas23HoursAndOffsetsAreHonoured() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            let csv = """
                sensor,start,minutes,measure,count
                ped-markt,2025-03-30T01:00:00,60,pedestrians,10
                ped-markt,2025-03-30T03:00:00,60,pedestrians,20
                ped-markt,2025-03-30T05:00:00Z,60,pedestrians,30

                """
            _ = try fixture.store.importFile(try fixture.write("dst.csv", csv), format: .counts)
            let starts = try fixture.query("SELECT start FROM counts ORDER BY start").map { try $0.int64(0) }
            // 01:00 local is CET (+01:00), 03:00 local is CEST (+02:00); 05:00Z is 07:00 local.
            #expect(starts == [NodeFixture.epoch("2025-03-30T00:00:00Z"), NodeFixture.epoch("2025-03-30T01:00:00Z"),
                               NodeFixture.epoch("2025-03-30T05:00:00Z")])
            let hours = try fixture.query("SELECT hour, total FROM hourly ORDER BY hour").map { [try $0.int(0), Int(try $0.double(1))] }
            #expect(hours == [[1, 10], [3, 20], [7, 30]])
            let clock = LocalClock(timeZone: TimeZone(identifier: "Europe/Brussels")!)
            #expect(clock.minutesInDay(try DayNumber(year: 2025, month: 3, day: 30)) == 1380)
            #expect(clock.minutesInDay(try DayNumber(year: 2025, month: 10, day: 26)) == 1500)
            #expect(clock.minutesInDay(try DayNumber(year: 2025, month: 6, day: 2)) == 1440)
        }
    }

    @Test func theRepeatedAutumnHourListedTwiceMapsToBothInstants() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            let csv = """
                sensor,start,minutes,measure,count
                ped-markt,2025-10-26T01:00:00,60,pedestrians,1
                ped-markt,2025-10-26T02:00:00,60,pedestrians,2
                ped-markt,2025-10-26T02:00:00,60,pedestrians,3
                ped-markt,2025-10-26T03:00:00,60,pedestrians,4

                """
            _ = try fixture.store.importFile(try fixture.write("dst.csv", csv), format: .counts)
            let starts = try fixture.query("SELECT start, count FROM counts ORDER BY start").map { [try $0.int64(0), Int64(try $0.double(1))] }
            #expect(starts == [[NodeFixture.epoch("2025-10-25T23:00:00Z"), 1], [NodeFixture.epoch("2025-10-26T00:00:00Z"), 2],
                               [NodeFixture.epoch("2025-10-26T01:00:00Z"), 3], [NodeFixture.epoch("2025-10-26T02:00:00Z"), 4]])
            let hours = try fixture.query("SELECT hour, total FROM hourly ORDER BY hour").map { [try $0.int(0), Int(try $0.double(1))] }
            #expect(hours == [[1, 1], [2, 5], [3, 4]])
            // A third listing of 02:00 local is a duplicate of the second.
            let again = try fixture.write("dst3.csv", csv.replacingOccurrences(of: "03:00:00,60,pedestrians,4", with: "02:00:00,60,pedestrians,9"))
            let error = try #require(throws: NodeError.self) { try fixture.store.importFile(again, format: .counts) }
            #expect(error.description.contains("duplicate row") || error.code == .conflict)
        }
    }
}
