import Foundation
import Indicators
@testable import Node
import TestSupport
import Testing

/// event-uplift v2 through the node: windows in local time, the placebo test, the flatline rule
/// in status and in the panels, sensors named by id.
@Suite struct EventUpliftV2NodeTests {
    /// A count for (day, hour) that differs by hour and day, so a wrong hour or day shows.
    static func count(_ day: DayNumber, _ hour: Int) -> Int { 40 + (day.rawValue * 7 + hour * 13) % 37 }

    /// `ped-straat` counts every hour from `first` for `days` days; `ped-markt` counts for 63 days
    /// from 2025-01-06, then reports zeros for 21 days (a dead counter).
    static func node(in dir: URL, first: DayNumber, days: Int) throws -> NodeFixture {
        let fixture = try NodeFixture(in: dir)
        let clock = LocalClock(timeZone: fixture.store.timeZone)
        var csv = "sensor,start,minutes,measure,count\n"
        // Hour by hour in UTC, so the DST days get 23 and 25 local hours.
        func hours(_ sensor: String, from day: DayNumber, days: Int, count: (DayNumber, Int) -> Int) {
            var t = clock.startOfDay(day)
            while t < clock.startOfDay(day + days) {
                let local = clock.local(t)
                csv += "\(sensor),\(t.utcString),60,pedestrians,\(count(local.day, local.hour))\n"
                t += 3600
            }
        }
        hours("ped-straat", from: first, days: days) { Self.count($0, $1) }
        let markt = try DayNumber(iso: "2025-01-06")
        hours("ped-markt", from: markt, days: 84) { $0 < markt + 63 ? Self.count($0, $1) : 0 }
        _ = try fixture.store.importFile(try fixture.write("counts.csv", csv), format: .counts)
        return fixture
    }

    @Test func aWindowAcrossMidnightTakesThoseHoursOfBothDays() throws {
        try withTemporaryDirectory { dir in
            let first = try DayNumber(iso: "2025-05-01")
            let fixture = try Self.node(in: dir, first: first, days: 150)
            var query = IndicatorQuery(indicator: "event-uplift", zone: "winkelstraat")
            query.windowFrom = "2025-09-19 18:00"
            query.windowTo = "2025-09-20 01:30"  // touches hour 1
            let report = try fixture.store.computeIndicator(query)
            #expect(report.version == 2)
            let result = try #require(report.eventUpliftV2)
            let friday = try DayNumber(iso: "2025-09-19")
            let want = (18..<24).reduce(0) { $0 + Self.count(friday, $1) } + (0..<2).reduce(0) { $0 + Self.count(friday + 1, $1) }
            #expect(result.expectation.observed == Double(want))
            #expect(result.window.segments.map(\.hours) == [18..<24, 0..<2])
            #expect(result.expectation.baselineDays.count == 8)
            // Weekdays since May calibrate the interval; no year earlier, which is said.
            #expect(result.calibrationDays >= 20 && result.low != nil)
            #expect(result.expectation.seasonalNote != nil)
            // Sensors by id in the JSON.
            let json = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
            #expect(json.contains("\"sensors\":[\"ped-straat\"]"))
            #expect(report.text.contains("2025-09-19 18:00–24:00, 2025-09-20 0:00–2:00"))
        }
    }

    /// v1's JSON named a day's sensors by their position in a list beside it; now by id.
    @Test func v1JSONNamesSensorsByIDNotPosition() throws {
        try withTemporaryDirectory { dir in
            let fixture = try Self.node(in: dir, first: try DayNumber(iso: "2025-05-01"), days: 150)
            let events = try fixture.write("events.csv", "id,name,zone,start,end,kind\nkermis,Kermis,winkelstraat,2025-09-20,2025-09-20,event\n")
            _ = try fixture.store.importFile(events, format: .events)
            var query = IndicatorQuery(indicator: "event-uplift", eventID: "kermis")
            query.version = 1
            let report = try fixture.store.computeIndicator(query)
            #expect(report.eventUplift?.days.first?.sensors == ["ped-straat"])
            let json = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
            #expect(json.contains("\"sensors\":[\"ped-straat\"]"))
            #expect(!json.contains("sensorIDs"))
        }
    }

    @Test func badWindowsLevelsAndVersionsAreRefusedWithARemedy() throws {
        try withTemporaryDirectory { dir in
            let fixture = try Self.node(in: dir, first: try DayNumber(iso: "2025-05-01"), days: 30)
            for (from, to) in [("2025-09-19 18:00", "2025-09-19 17:00"), ("2025-09-19 25:00", "2025-09-20 02:00"),
                               ("19/09/2025", "2025-09-20"), ("2025-09-19 18:00", "2025-12-31 00:00")] {
                var query = IndicatorQuery(indicator: "event-uplift", zone: "winkelstraat")
                query.windowFrom = from
                query.windowTo = to
                let error = try #require(throws: NodeError.self) { try fixture.store.computeIndicator(query) }
                #expect(error.code == .invalidArgument, "\(from) \(to)")
            }
            var level = IndicatorQuery(indicator: "event-uplift", zone: "winkelstraat")
            level.windowFrom = "2025-05-20"
            level.windowTo = "2025-05-20"
            level.level = 0.3
            #expect(throws: NodeError.self) { try fixture.store.computeIndicator(level) }
            var version = IndicatorQuery(indicator: "event-uplift", eventID: "x")
            version.version = 7
            let error = try #require(throws: NodeError.self) { try fixture.store.computeIndicator(version) }
            #expect(error.description.contains("no version 7; use one of: 1, 2"))
            var noZone = IndicatorQuery(indicator: "event-uplift")
            noZone.calibration = true
            #expect(throws: NodeError.self) { try fixture.store.computeIndicator(noZone) }
        }
    }

    @Test func thePlaceboTestReportsFalsePositivesPerDayType() throws {
        try withTemporaryDirectory { dir in
            let first = try DayNumber(iso: "2024-05-01")
            let fixture = try Self.node(in: dir, first: first, days: 560)
            var query = IndicatorQuery(indicator: "event-uplift", zone: "winkelstraat")
            query.calibration = true
            let report = try fixture.store.computeIndicator(query)
            let placebo = try #require(report.placebo)
            #expect(placebo.rows.map(\.dayClass) == [.weekday, .saturday, .sunday, nil])
            let all = try #require(placebo.rows.last)
            #expect(all.days > 50)
            #expect(all.falsePositives <= all.days)
            #expect(report.text.contains("placebo test"))
        }
    }

    @Test func aDeadCountersZerosAreFlatlineDaysMissingFromEveryIndicator() throws {
        try withTemporaryDirectory { dir in
            let fixture = try Self.node(in: dir, first: try DayNumber(iso: "2025-05-01"), days: 10)
            let status = try fixture.store.status()
            let markt = try #require(status.sensors.first { $0.sensor == "ped-markt" })
            #expect(markt.flatlineDays == 21)
            #expect(status.text.contains("flatline days"))
            #expect(status.sensors.first { $0.sensor == "ped-straat" }?.flatlineDays == 0)
            // A dead day is missing, not a 100 % drop: the hourly profile has no day there.
            let dead = try DayNumber(iso: "2025-03-10")
            let profile = try fixture.store.computeIndicator(
                IndicatorQuery(indicator: "hourly-profile", from: dead, to: dead + 6, zone: "markt"))
            #expect(profile.hourlyProfile?.allSatisfy { $0.days == 0 } == true)
            let alive = try fixture.store.computeIndicator(
                IndicatorQuery(indicator: "hourly-profile", from: dead - 14, to: dead - 8, zone: "markt"))
            #expect(alive.hourlyProfile?.reduce(0) { $0 + $1.days } == 7)
        }
    }
}
