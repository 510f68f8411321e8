import Federation
import Foundation
import Indicators
@testable import Node
import Storage
import TestSupport
import Testing

/// Issue 16 on the node: imports apply the wire's rules (ids, supported dates, plausible values,
/// no whole flow beside its direction slices), and one bad week never blocks the others in `push`.
@Suite(.serialized) struct ImportLimitsTests {
    /// The error `body` throws, as text (fails the test when it does not throw).
    static func failure(_ body: () throws -> Void) -> String {
        do { try body() } catch { return "\(error)" }
        Issue.record("expected an error")
        return ""
    }

    @Test func idsThatCannotCrossTheWireAreRefusedWithFileAndLine() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            let before = try fixture.snapshot()
            let zone = Self.failure {
                _ = try fixture.store.importSensors(try fixture.write("z.csv", "sensor,zone,zone_kind,kind,vendor\np9,markt,market-square,pedestrian,crowdscan\np8,Grote Markt,market-square,pedestrian,crowdscan\n"))
            }
            #expect(zone.contains("z.csv:3:"), "\(zone)")
            #expect(zone.contains("zone 'Grote Markt' is not valid as a zone id"), "\(zone)")
            let event = Self.failure {
                _ = try fixture.store.importFile(try fixture.write("e.csv", "id,name,zone,start,end,kind\nBraderie 2025,Braderie,markt,2025-06-07,2025-06-08,event\n"), format: .events)
            }
            #expect(event.contains("e.csv:2:") && event.contains("is not valid as an event id"), "\(event)")
            let sector = Self.failure {
                _ = try fixture.store.importFile(try fixture.write("s.csv", "zone,start,minutes,sector,transactions,buyers,value_eur\nmarkt,2025-06-07,1440,<b>retail</b>,10,10,5.00\n"), format: .spending)
            }
            #expect(sector.contains("s.csv:2:") && sector.contains("is not valid as a sector"), "\(sector)")
            let spending = Self.failure {
                _ = try fixture.store.importFile(try fixture.write("v.csv", "zone,start,minutes,sector,transactions,buyers,value_eur\nmarkt,2025-06-07,1440,retail,10,10,9999999999999.00\n"), format: .spending)
            }
            #expect(spending.contains("v.csv:2:") && spending.contains("above the plausible maximum"), "\(spending)")
            #expect(try fixture.snapshot() == before)
        }
    }

    @Test func datesOutsideTheSupportedRangeAndImplausibleCountsAreRefused() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            let before = try fixture.snapshot()
            let year0 = Self.failure {
                _ = try fixture.store.importFile(try fixture.write("c.csv", "sensor,start,minutes,measure,count\nped-markt,2025-06-02T10:00:00Z,15,pedestrians,5\nped-markt,0000-01-01T10:00:00Z,15,pedestrians,5\n"), format: .counts)
            }
            #expect(year0.contains("c.csv:3:") && year0.contains("outside the supported dates 2000-01-01 … 2099-12-31"), "\(year0)")
            let huge = Self.failure {
                _ = try fixture.store.importFile(try fixture.write("h.csv", "sensor,start,minutes,measure,count\nped-markt,2025-06-02T10:00:00Z,15,pedestrians,10000001\n"), format: .counts)
            }
            #expect(huge.contains("h.csv:2:") && huge.contains("from 0 to 10000000"), "\(huge)")
            let telraam = Self.failure {
                _ = try fixture.store.importFile(try fixture.write("t.json", """
                    {"report": [{"segment_id": 348917, "date": "2025-06-07T07:00:00.000Z", "interval": "hourly", "uptime": 0.75, "car": 1e308}]}
                    """), format: .telraam)
            }
            #expect(telraam.contains("t.json:1:") && telraam.contains("\"car\" must be a number ≥ 0 and at most 10000000"), "\(telraam)")
            let holiday = Self.failure {
                _ = try fixture.store.importFile(try fixture.write("h.csv", "name,first_day,last_day\nX,1999-12-30,2000-01-02\n"), format: .schoolHolidays)
            }
            #expect(holiday.contains("h.csv:2:") && holiday.contains("not a supported date"), "\(holiday)")
            #expect(try fixture.snapshot() == before)
        }
    }

    @Test func commandLineDatesOutsideTheSupportedDaysAreUsageErrors() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            let node = Repository.executable("townbench-node"), nodeDir = fixture.dir.appendingPathComponent("node").path
            for arguments in [["aggregates", "--dir", nodeDir, "--period", "0001-01-01..0001-01-07"],
                              ["indicators", "--dir", nodeDir, "--indicator", "footfall-index", "--from", "0001-01-01", "--to", "0002-12-31"]] {
                let result = try runProcess(node, arguments)
                #expect(result.status == 64, "\(arguments): \(result.stderr)")
                #expect(result.stderr.contains("2000-01-01 … 2099-12-31"), "\(result.stderr)")
            }
        }
    }

    @Test func wholeFlowBesideDirectionSlicesIsRefused() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            let before = try fixture.snapshot()
            // The finding: 212 for the whole flow and 100 + 112 for its slices were summed to 424.
            let mixed = Self.failure {
                _ = try fixture.store.importFile(try fixture.write("m.csv", """
                    sensor,start,minutes,measure,count,direction
                    ped-markt,2025-06-07T09:00:00+02:00,15,pedestrians,212,
                    ped-markt,2025-06-07T09:00:00+02:00,15,pedestrians,100,in
                    ped-markt,2025-06-07T09:00:00+02:00,15,pedestrians,112,out

                    """), format: .counts)
            }
            #expect(mixed.contains("m.csv:3:"), "\(mixed)")
            #expect(mixed.contains("this row is direction 'in' but this file has the whole flow (no direction) for the same interval"), "\(mixed)")
            #expect(mixed.contains("send either the whole flow or its direction slices, not both"), "\(mixed)")
            #expect(try fixture.snapshot() == before)

            // Slices stored by an earlier import, then the whole flow of the same interval.
            _ = try fixture.store.importFile(try fixture.write("slices.csv", """
                sensor,start,minutes,measure,count,direction
                ped-markt,2025-06-07T09:00:00+02:00,15,pedestrians,100,in
                ped-markt,2025-06-07T09:00:00+02:00,15,pedestrians,112,out
                ped-markt,2025-06-07T09:15:00+02:00,15,pedestrians,90,in

                """), format: .counts)
            let later = Self.failure {
                _ = try fixture.store.importFile(try fixture.write("whole.csv", """
                    sensor,start,minutes,measure,count
                    ped-markt,2025-06-07T09:30:00+02:00,15,pedestrians,80
                    ped-markt,2025-06-07T09:00:00+02:00,15,pedestrians,212

                    """), format: .counts)
            }
            #expect(later.contains("whole.csv:3:") && later.contains("the store (an earlier import) has direction 'in'"), "\(later)")
            // Telraam: splits stored, then a total for the same hour.
            _ = try fixture.store.importFile(try fixture.write("t1.json", """
                {"report": [{"segment_id": 348917, "date": "2025-06-07T07:00:00.000Z", "interval": "hourly", "uptime": 0.75, "car_lft": 140, "car_rgt": 100}]}
                """), format: .telraam)
            let telraam = Self.failure {
                _ = try fixture.store.importFile(try fixture.write("t2.json", """
                    {"report": [{"segment_id": 348917, "date": "2025-06-07T07:00:00.000Z", "interval": "hourly", "uptime": 0.75, "car": 240}]}
                    """), format: .telraam)
            }
            #expect(telraam.contains("t2.json:1:") && telraam.contains("report[0]: sensor 'telraam-348917'"), "\(telraam)")
            let total = try fixture.query("SELECT sum(total) FROM daily WHERE measure = ?", [.int(Measure.pedestrians.rawValue)])
            #expect(try total.first?.double(0) == 302)
        }
    }

    @Test func oneBadWeekNeverBlocksTheOthers() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            try PushTests.importMonth(fixture)
            // What an older version let in: an implausible day sum in the second week, and data on a
            // day before the supported range.
            let second = try DayNumber(year: 2025, month: 6, day: 11)
            try fixture.store.db.run("UPDATE daily SET total = 1e308, valid_total = 1e308 WHERE day = ? AND measure = ?",
                                     [.int(second.rawValue), .int(Measure.pedestrians.rawValue)])
            try fixture.store.db.run("""
                INSERT INTO daily (sensor_id, day, measure, direction, total, covered_minutes, uptime_minutes, valid_hours, intervals, valid_total)
                SELECT sensor_id, -719528, measure, direction, total, covered_minutes, uptime_minutes, valid_hours, intervals, valid_total
                FROM daily WHERE day = ? LIMIT 1
                """, [.int(second.rawValue)])
            let coordinator = try TestCoordinator(key: try PushTests.keyRecord(fixture.store))
            defer { coordinator.stop() }
            var options = PushOptions()
            options.initialDelay = .milliseconds(10)
            var lines: [String] = []
            let summary = try fixture.store.push(to: coordinator.url, options: options) { lines.append($0) }
            #expect(summary.queued == 3 && summary.acknowledged == 3, "\(summary)")
            #expect(coordinator.state.withLock { $0.accepted.count } == 3)
            #expect(summary.unqueued.count == 2, "\(summary.unqueued)")
            let week = try #require(summary.unqueued.first { $0.from == DayNumber(second.rawValue - 2) })
            #expect(week.to == second + 4)
            #expect(week.reason.contains("zone markt, 2025-06-11, pedestrians") && week.reason.contains("above the plausible maximum"), "\(week)")
            #expect(summary.unqueued.contains { $0.reason.contains("before 2000-01-01") })
            #expect(lines.contains { $0.contains("the week 2025-06-09…2025-06-15 was not queued") }, "\(lines)")

            // The command names the week and exits 65.
            let node = Repository.executable("townbench-node")
            let result = try runProcess(node, ["push", "--dir", fixture.dir.appendingPathComponent("node").path,
                                               "--coordinator", coordinator.url.absoluteString])
            #expect(result.status == 65, "\(result.stderr)")
            #expect(result.stderr.contains("the week 2025-06-09…2025-06-15 was not queued"), "\(result.stderr)")
        }
    }
}
