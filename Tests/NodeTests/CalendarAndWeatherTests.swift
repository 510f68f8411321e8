import Foundation
import Indicators
@testable import Node
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
            #expect(conflict.description.contains("use --replace"))
            #expect(try brussels.importFile(renamed, format: .publicHolidays, options: .init(replace: true)).rowsReplaced == 1)

            let amsterdam = try NodeStore.create(in: dir.appendingPathComponent("nl"), town: "haarlem", tenant: "daks", timeZone: "Europe/Amsterdam")
            #expect(try !amsterdam.publicHolidays().contains(national))
            #expect(try !amsterdam.publicHolidays().contains(try DayNumber(iso: "2025-04-21")))
            let koningsdag = try Self.write(dir, "nl.csv", "date,name\n2025-04-21,Tweede Paasdag\n2025-04-26,Koningsdag\n")
            #expect(try amsterdam.importFile(koningsdag, format: .publicHolidays).rowsInserted == 2)
            #expect(try amsterdam.publicHolidays().contains(try DayNumber(iso: "2025-04-26")))
        }
    }

    @Test func badHolidayRowsAreRefusedWithTheirLine() throws {
        try withTemporaryDirectory { dir in
            let store = try NodeStore.create(in: dir.appendingPathComponent("n"), town: "harelbeke", tenant: "daks")
            for (text, message) in [("date,name\n21/07/2025,Nationale feestdag\n", "YYYY-MM-DD"),
                                    ("date,name\n2025-07-21,\n", "name is empty"),
                                    ("date,name\n2025-07-21,A\n2025-07-21,B\n", "duplicate date"),
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
}
