import Foundation
import Indicators
import Reports
@testable import Node
import Federation
import Storage
import TestSupport
import Testing

/// Issue 18: public holidays and weather are data a town imports.
@Suite struct CalendarAndWeatherTests {
    /// A node in `timeZone` whose `ped-straat` counts 100 every local hour (no DST change in the days used) for `days` days from `first`.
    static func node(in dir: URL, timeZone: String, first: DayNumber, days: Int) throws -> NodeStore {
        let store = try NodeStore.create(in: dir.appendingPathComponent("node"), town: "harelbeke", tenant: "daks", timeZone: timeZone)
        let sensors = dir.appendingPathComponent("sensors.csv")
        try NodeFixture.sensorsCSV.write(to: sensors, atomically: true, encoding: .utf8)
        _ = try store.importSensors(sensors.path)
        var csv = "sensor,start,minutes,measure,count\n"
        for day in first..<(first + days) {
            for hour in 0..<24 { csv += "ped-straat,\(day)T\(String(format: "%02d", hour)):00:00,60,pedestrians,100\n" }
        }
        let counts = dir.appendingPathComponent("counts.csv")
        try csv.write(to: counts, atomically: true, encoding: .utf8)
        _ = try store.importFile(counts.path, format: .counts)
        return store
    }

    static func write(_ dir: URL, _ name: String, _ text: String) throws -> String {
        let url = dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    @Test func belgianByDefaultInBrusselsNoneElsewhereImportedReplaceTheYearsTheyCover() throws {
        try withTemporaryDirectory { dir in
            let national = try DayNumber(iso: "2025-07-21"), boxing = try DayNumber(iso: "2025-12-26")
            let brussels = try NodeStore.create(in: dir.appendingPathComponent("be"), town: "harelbeke", tenant: "daks")
            #expect(try brussels.publicHolidays().contains(national))
            #expect(try !brussels.publicHolidays().contains(boxing))
            let file = try Self.write(dir, "holidays.csv", "date,name\n2025-12-26,Boxing Day\n")
            #expect(try brussels.importFile(file, format: .publicHolidays).rowsInserted == 1)
            let imported = try brussels.publicHolidays()
            // 2025 is covered by the import: only the imported days are holidays that year.
            #expect(imported.contains(boxing) && !imported.contains(national))
            // 2026 is not: the Belgian calendar still holds.
            #expect(imported.contains(national + 365))
            // Idempotent; another name is a conflict unless --replace.
            #expect(try brussels.importFile(file, format: .publicHolidays).rowsUnchanged == 1)
            let renamed = try Self.write(dir, "renamed.csv", "date,name\n2025-12-26,Tweede Kerstdag\n")
            let conflict = try #require(throws: NodeError.self) { try brussels.importFile(renamed, format: .publicHolidays) }
            #expect(conflict.description.contains("Use --replace to overwrite"))
            #expect(try brussels.importFile(renamed, format: .publicHolidays, options: .init(replace: true)).rowsReplaced == 1)

            let amsterdam = try NodeStore.create(in: dir.appendingPathComponent("nl"), town: "haarlem", tenant: "daks", timeZone: "Europe/Amsterdam")
            #expect(try !amsterdam.publicHolidays().contains(national))
            #expect(try !amsterdam.publicHolidays().contains(try DayNumber(iso: "2025-04-21")))
            let koningsdag = try Self.write(dir, "nl.csv", "date,name\n2025-04-21,Tweede Paasdag\n2025-04-26,Koningsdag\n")
            #expect(try amsterdam.importFile(koningsdag, format: .publicHolidays).rowsInserted == 2)
            #expect(try amsterdam.publicHolidays().contains(try DayNumber(iso: "2025-04-26")))
            // status says where the holidays come from, and how to get them.
            #expect(try brussels.status().text.contains("Public holidays: imported for 2025; other years the Belgian calendar (computed)"))
            let fresh = try NodeStore.create(in: dir.appendingPathComponent("fr"), town: "lille", tenant: "daks", timeZone: "Europe/Paris")
            #expect(try fresh.status().publicHolidays.contains("import them with `import --format public-holidays`"))
        }
    }

    @Test func badHolidayRowsAreRefusedWithTheirLine() throws {
        try withTemporaryDirectory { dir in
            let store = try NodeStore.create(in: dir.appendingPathComponent("n"), town: "harelbeke", tenant: "daks")
            for (text, message) in [("date,name\n21/07/2025,Nationale feestdag\n", "YYYY-MM-DD"),
                                    ("date,name\n2025-07-21,\n", "name is empty"),
                                    ("date,name\n2025-07-21,A\n2025-07-21,B\n", "the public holiday 2025-07-21 appears twice in this file"),
                                    ("day,name\n2025-07-21,A\n", "expected the header `date,name`")] {
                let file = try Self.write(dir, "h.csv", text)
                let error = try #require(throws: NodeError.self) { try store.importFile(file, format: .publicHolidays) }
                #expect(error.description.contains(message), "\(error)")
                #expect(try store.db.query("SELECT * FROM public_holidays").isEmpty)
            }
        }
    }

    /// The hourly profile counts a node's own holidays as Sundays, and no Belgian ones abroad.
    @Test func hourlyProfileUsesTheNodesCalendar() throws {
        try withTemporaryDirectory { dir in
            let monday = try DayNumber(iso: "2025-07-21")
            let store = try Self.node(in: dir, timeZone: "Europe/Amsterdam", first: monday, days: 7)
            func weekdays() throws -> Int? {
                try store.computeIndicator(IndicatorQuery(indicator: "hourly-profile", from: monday, to: monday + 6, zone: "winkelstraat"))
                    .hourlyProfile?.first { $0.dayType == .weekday }?.days
            }
            // Belgium's National Day is an ordinary Monday in Haarlem.
            #expect(try weekdays() == 5)
            _ = try store.importFile(try Self.write(dir, "h.csv", "date,name\n2025-07-21,Stadsfeest\n"), format: .publicHolidays)
            #expect(try weekdays() == 4)
        }
    }

    @Test func weatherImportsWithBoundsAndIsIdempotent() throws {
        try withTemporaryDirectory { dir in
            let store = try NodeStore.create(in: dir.appendingPathComponent("n"), town: "harelbeke", tenant: "daks")
            let file = try Self.write(dir, "w.csv", "day,precipitation_mm,mean_temperature_c\n2025-01-10,0,-3.5\n2025-01-11,12.4,4\n")
            #expect(try store.importFile(file, format: .weather).rowsInserted == 2)
            #expect(try store.importFile(file, format: .weather).rowsUnchanged == 2)
            let day = try DayNumber(iso: "2025-01-10")
            let weather = try store.weather(days: day...(day + 1))
            #expect(weather[day]?.meanTemperatureCelsius == -3.5)
            #expect(weather[day + 1]?.precipitationMillimetres == 12.4)
            let other = try Self.write(dir, "o.csv", "day,precipitation_mm,mean_temperature_c\n2025-01-10,1,-3.5\n")
            #expect(throws: NodeError.self) { try store.importFile(other, format: .weather) }
            for (text, message) in [("2025-01-12,600,4", "500 mm"), ("2025-01-12,-1,4", "precipitation_mm '-1'"),
                                    ("2025-01-12,1,70", "−60 to 50 °C"), ("2025-01-12,1,-61", "−60 to 50 °C"),
                                    ("2025-01-12,1,warm", "degrees Celsius"), ("12/01/2025,1,4", "YYYY-MM-DD")] {
                let bad = try Self.write(dir, "b.csv", "day,precipitation_mm,mean_temperature_c\n\(text)\n")
                let error = try #require(throws: NodeError.self) { try store.importFile(bad, format: .weather) }
                #expect(error.description.contains(message), "\(text): \(error)")
                #expect(error.location?.line == 2)
                #expect(try store.db.query("SELECT * FROM weather").count == 2)
            }
        }
    }

    /// The event day's weather beside the mean of its baseline days' (a holiday is no baseline day,
    /// so its weather does not count), in the text, the JSON and the town page's events table.
    @Test func weatherStandsBesideEveryEvent() throws {
        try withTemporaryDirectory { dir in
            let fixture = try EventUpliftV2NodeTests.node(in: dir, first: try DayNumber(iso: "2025-05-01"), days: 150)
            _ = try fixture.store.importFile(try fixture.write("w.csv", """
                day,precipitation_mm,mean_temperature_c
                2025-09-19,5,12
                2025-09-12,1,16
                2025-09-05,3,18
                2025-08-15,20,30
                2025-09-18,40,0

                """), format: .weather)
            var query = IndicatorQuery(indicator: "event-uplift", zone: "winkelstraat")
            query.windowFrom = "2025-09-19"
            query.windowTo = "2025-09-19"
            let v2 = try fixture.store.computeIndicator(query)
            let figures = try #require(v2.weather?.figures)
            // Baseline: the 8 clean Fridays before (15 August, a holiday, is skipped); 2 have weather.
            #expect(v2.eventUpliftV2?.expectation.baselineDays.contains(try DayNumber(iso: "2025-08-15")) == false)
            #expect(figures == EventWeatherFigures(precipitationMillimetres: 5, meanTemperatureCelsius: 12,
                                                   baselinePrecipitationMillimetres: 2, baselineMeanTemperatureCelsius: 17, baselineDays: 2))
            #expect(v2.text.contains("weather: event 5.0 mm, 12.0 °C; baseline days (2) 2.0 mm, 17.0 °C"), "\(v2.text)")
            let json = String(decoding: try JSONEncoder().encode(v2), as: UTF8.self)
            #expect(json.contains("\"baselineMeanTemperatureCelsius\":17"))

            // v1 and the town page's events table show it too.
            let events = try fixture.write("e.csv", "id,name,zone,start,end,kind\nkermis,Kermis,winkelstraat,2025-09-19,2025-09-19,event\n")
            _ = try fixture.store.importFile(events, format: .events)
            var v1 = IndicatorQuery(indicator: "event-uplift", eventID: "kermis")
            v1.version = 1
            #expect(try fixture.store.computeIndicator(v1).weather?.figures == figures)
            let page = try fixture.store.townReport(from: try DayNumber(iso: "2025-09-01"), to: try DayNumber(iso: "2025-09-27"))
            #expect(page.events.first?.weather == figures)
            let table = try #require(page.tables().first { $0.name == "event-context" })
            #expect(table.columns.map(\.key).contains("baseline_temperature_c"))
        }
    }

    /// Without imported weather no table has weather columns.
    @Test func noWeatherNoWeatherColumns() throws {
        try withTemporaryDirectory { dir in
            let fixture = try EventUpliftV2NodeTests.node(in: dir, first: try DayNumber(iso: "2025-05-01"), days: 150)
            let events = try fixture.write("e.csv", "id,name,zone,start,end,kind\nkermis,Kermis,winkelstraat,2025-09-19,2025-09-19,event\n")
            _ = try fixture.store.importFile(events, format: .events)
            let page = try fixture.store.townReport(from: try DayNumber(iso: "2025-09-01"), to: try DayNumber(iso: "2025-09-27"))
            #expect(page.events.count == 1 && page.events.first?.weather == nil)
            #expect(!page.tables().flatMap { $0.columns.map(\.key) }.contains("rain_mm"))
            // The events table keeps its columns (A4 width); the context goes into its own table.
            let table = try #require(page.tables().first { $0.name == "events" })
            #expect(table.columns.map(\.key) == ["event", "kind", "zone", "days", "uplift", "uplift_low", "uplift_high", "peer_adjusted", "peers", "note"])
        }
    }

    /// The town page's events table shows the v2 interval's level and the zone's own calibration
    /// (the placebo test's row for the event's day class) beside each event.
    @Test func theTownPageShowsTheLevelAndTheZonesCalibration() throws {
        try withTemporaryDirectory { dir in
            let fixture = try EventUpliftV2NodeTests.node(in: dir, first: try DayNumber(iso: "2024-05-01"), days: 560)
            let events = try fixture.write("e.csv", "id,name,zone,start,end,kind\nkermis,Kermis,winkelstraat,2025-09-19,2025-09-19,event\n")
            _ = try fixture.store.importFile(events, format: .events)
            var placeboQuery = IndicatorQuery(indicator: "event-uplift", zone: "winkelstraat")
            placeboQuery.calibration = true
            let weekday = try #require(try fixture.store.computeIndicator(placeboQuery).placebo?.rows.first { $0.dayClass == .weekday })
            #expect(weekday.days > 0 && weekday.falsePositiveRate != nil)
            let v2 = try #require(try fixture.store.computeIndicator(IndicatorQuery(indicator: "event-uplift", eventID: "kermis")).eventUpliftV2)
            let page = try fixture.store.townReport(from: try DayNumber(iso: "2025-09-01"), to: try DayNumber(iso: "2025-09-27"))
            let row = try #require(page.events.first)
            #expect(row.calibration == EventCalibrationFigures(level: 0.9, falsePositiveRate: weekday.falsePositiveRate,
                                                               minimumDetectableUplift: weekday.minimumDetectableUplift, days: weekday.days))
            // The row's interval is v2's, at that level.
            #expect(row.raw?.low == v2.low && row.raw?.high == v2.high && v2.low != nil)
            let table = try #require(page.tables().first { $0.name == "event-context" })
            #expect(table.columns.map(\.key).contains("false_positive_rate") && table.columns.map(\.key).contains("level"))
            #expect(TownReportPage.render(page).contains("false_positive_rate") || TownReportPage.render(page).contains("False positives, zone"))
        }
    }

    /// Event baselines skip the node's holidays: once 2025 is imported, 15 August is an ordinary
    /// Friday there and the imported day is skipped instead.
    @Test func eventBaselinesSkipTheNodesHolidays() throws {
        try withTemporaryDirectory { dir in
            let fixture = try EventUpliftV2NodeTests.node(in: dir, first: try DayNumber(iso: "2025-05-01"), days: 150)
            var query = IndicatorQuery(indicator: "event-uplift", zone: "winkelstraat")
            query.windowFrom = "2025-09-19"
            query.windowTo = "2025-09-19"
            let assumption = try DayNumber(iso: "2025-08-15"), feast = try DayNumber(iso: "2025-09-05")
            let before = try #require(try fixture.store.computeIndicator(query).eventUpliftV2?.expectation.baselineDays)
            #expect(!before.contains(assumption) && before.contains(feast))
            _ = try fixture.store.importFile(try fixture.write("h.csv", "date,name\n2025-09-05,Stadsfeest\n"), format: .publicHolidays)
            let after = try #require(try fixture.store.computeIndicator(query).eventUpliftV2?.expectation.baselineDays)
            #expect(after.contains(assumption) && !after.contains(feast))
            var v1 = query
            v1.version = 1
            v1.windowFrom = nil
            v1.windowTo = nil
            _ = try fixture.store.importFile(try fixture.write("e.csv", "id,name,zone,start,end,kind\nkermis,Kermis,winkelstraat,2025-09-19,2025-09-19,event\n"), format: .events)
            v1.eventID = "kermis"
            let v1Days = try #require(try fixture.store.computeIndicator(v1).eventUplift?.days.first?.baselineDays)
            #expect(v1Days.contains(assumption) && !v1Days.contains(feast))
        }
    }

    /// What the node sends flags the node's own public holidays (PROTOCOL.md §4 `flags.publicHoliday`).
    @Test func aggregatesFlagTheNodesHolidays() throws {
        try withTemporaryDirectory { dir in
            let monday = try DayNumber(iso: "2025-07-21")
            let store = try Self.node(in: dir, timeZone: "Europe/Amsterdam", first: monday, days: 7)
            func flagged() throws -> [DayNumber] {
                let zone = try #require(try store.aggregateZones(period: monday...(monday + 6)).first { $0.zoneId == "winkelstraat" })
                return zone.days.filter(\.flags.publicHoliday).compactMap { try? DayNumber(iso: $0.date) }
            }
            #expect(try flagged().isEmpty)
            _ = try store.importFile(try Self.write(dir, "h.csv", "date,name\n2025-07-22,Stadsfeest\n"), format: .publicHolidays)
            #expect(try flagged() == [monday + 1])
        }
    }

    /// The flatline rule never judges the node's own public holidays (shops close for them), and
    /// judges Belgian ones abroad like any day.
    @Test func theFlatlineRuleSkipsTheNodesHolidays() throws {
        try withTemporaryDirectory { dir in
            let store = try NodeStore.create(in: dir.appendingPathComponent("node"), town: "haarlem", tenant: "daks", timeZone: "Europe/Amsterdam")
            _ = try store.importSensors(try Self.write(dir, "sensors.csv", NodeFixture.sensorsCSV))
            let first = try DayNumber(iso: "2025-05-26"), closed = try DayNumber(iso: "2025-07-21")  // a Monday, 8 weeks in
            var csv = "sensor,start,minutes,measure,count\n"
            for day in first...closed {
                for hour in 0..<24 {
                    csv += "ped-straat,\(day)T\(String(format: "%02d", hour)):00:00,60,pedestrians,\(day == closed ? 0 : 100 + hour)\n"
                }
            }
            _ = try store.importFile(try Self.write(dir, "counts.csv", csv), format: .counts)
            func flatline() throws -> Int? { try store.status().sensors.first { $0.sensor == "ped-straat" }?.flatlineDays }
            // 21 July is no holiday in Haarlem: a zero there is a dead counter.
            #expect(try flatline() == 1)
            _ = try store.importFile(try Self.write(dir, "h.csv", "date,name\n2025-07-21,Stadsfeest\n"), format: .publicHolidays)
            #expect(try flatline() == 0)
        }
    }
}
