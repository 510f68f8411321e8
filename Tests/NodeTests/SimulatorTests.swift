import Foundation
import Indicators
import TestSupport
import Testing

@testable import Node

/// The simulator's files import cleanly into a node, carry the patterns they promise, and are
/// deterministic.
struct SimulatorTests {
    static let end = (try? DayNumber(year: 2026, month: 10, day: 31)) ?? DayNumber(0)

    /// Sums of pedestrians per (sensor, local day) read back from the counts CSV (UTC stamps, Brussels days).
    static func dailyPedestrians(_ url: URL) throws -> [String: [DayNumber: Int]] {
        let text = try String(contentsOf: url, encoding: .utf8)
        var result: [String: [DayNumber: Int]] = [:]
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            guard f.count == 6, f[3] == "pedestrians" else { continue }
            let stamp = String(f[1])  // YYYY-MM-DDTHH:00:00Z
            let day = try DayNumber(iso: String(stamp.prefix(10)))
            let hour = Int(stamp.dropFirst(11).prefix(2)) ?? 0
            let local = day.rawValue * 24 + hour + Simulation.brusselsOffset(utcHour: day.rawValue * 24 + hour)
            result[String(f[0]), default: [:]][DayNumber(local / 24), default: 0] += Int(f[4]) ?? 0
        }
        return result
    }

    @Test func sameSeedSameBytesAndAnotherSeedOtherBytes() throws {
        try withTemporaryDirectory { dir in
            let a = try Simulator.write(
                town: .diksmuide, years: 1, endingOn: Self.end, seed: 7, to: dir.appendingPathComponent("a"))
            let b = try Simulator.write(
                town: .diksmuide, years: 1, endingOn: Self.end, seed: 7, to: dir.appendingPathComponent("b"))
            let c = try Simulator.write(
                town: .diksmuide, years: 1, endingOn: Self.end, seed: 8, to: dir.appendingPathComponent("c"))
            for (x, y) in [
                (a.sensors, b.sensors), (a.counts, b.counts), (a.events, b.events),
                (a.schoolHolidays, b.schoolHolidays), (a.openingHours, b.openingHours),
            ] {
                #expect(try Data(contentsOf: x) == Data(contentsOf: y), "\(x.lastPathComponent)")
            }
            #expect(try Data(contentsOf: a.counts) != Data(contentsOf: c.counts))
            #expect(a.countRows == b.countRows)
        }
    }

    @Test func filesImportCleanlyAndAnEventHasARealUplift() throws {
        try withTemporaryDirectory { dir in
            let files = try Simulator.write(
                town: .veurne, years: 2, endingOn: Self.end, seed: 42, to: dir.appendingPathComponent("sim"))
            #expect(files.firstDay == (try DayNumber(year: 2024, month: 11, day: 1)))
            let store = try NodeStore.create(in: dir.appendingPathComponent("node"), town: "veurne", tenant: "daks")
            _ = try store.importSensors(files.sensors.path)
            _ = try store.importFile(files.schoolHolidays.path, format: .schoolHolidays)
            _ = try store.importFile(files.events.path, format: .events)
            let counts = try store.importFile(files.counts.path, format: .counts)
            #expect(counts.rowsInserted == files.countRows)
            #expect(counts.rowsRead == files.countRows)
            // Re-importing changes nothing.
            let again = try store.importFile(files.counts.path, format: .counts)
            #expect(again.rowsInserted == 0 && again.rowsUnchanged == files.countRows)

            // Veurne's Boetprocessie (+90 % in the centre) in the second year.
            let event = try #require(files.namedEvents.last { $0.name == "Boetprocessie" })
            #expect(event.days.lowerBound == (try DayNumber(year: 2026, month: 7, day: 26)))  // last Sunday of July 2026
            let report = try store.computeIndicator(
                IndicatorQuery(indicator: "event-uplift", zone: "centre", eventID: event.id))
            let result = try #require(report.eventUpliftV2)
            let uplift = try #require(result.uplift)
            #expect(uplift > 0.45 && uplift < 1.5, "uplift \(uplift) for an applied +90 %")
            // A +90 % day is far outside what ordinary Sundays do (v2's calibrated interval).
            if let low = result.low { #expect(low > 0, "interval from \(low)") }

            // Year-on-year footfall index exists for the last month (two years of data).
            let index = try store.computeIndicator(
                IndicatorQuery(
                    indicator: "footfall-index",
                    from: Self.end - 27, to: Self.end))
            let value = try #require(index.footfallIndex?.value)
            #expect(value > 80 && value < 120)
        }
    }

    @Test func seasonMarketAndOutagesShowInTheCounts() throws {
        try withTemporaryDirectory { dir in
            let files = try Simulator.write(town: .blankenberge, years: 1, endingOn: Self.end, seed: 1, to: dir)
            let daily = try Self.dailyPedestrians(files.counts)
            // Coastal summer: the Zeedijk counter's August is well above its February.
            let zeedijk = try #require(daily["zeedijk-1"])
            func total(_ days: [DayNumber: Int], month: Int) -> Int {
                days.filter { $0.key.civil.month == month }.map(\.value).reduce(0, +)
            }
            #expect(Double(total(zeedijk, month: 8)) > 2.5 * Double(total(zeedijk, month: 2)))
            // Weekly market on Tuesday: the market counter's Tuesdays beat its Wednesdays.
            let market = try #require(daily["market-1"])
            let tuesdays = market.filter { $0.key.isoWeekday == 2 }.map(\.value).sorted()
            let wednesdays = market.filter { $0.key.isoWeekday == 3 }.map(\.value).sorted()
            #expect(tuesdays[tuesdays.count / 2] > wednesdays[wednesdays.count / 2] * 13 / 10)
            // Outages are missing rows, not zeros: some sensor misses whole days of the year.
            let days = files.lastDay.rawValue - files.firstDay.rawValue + 1
            #expect(daily.values.contains { $0.count < days - 1 })
            #expect(daily.values.allSatisfy { $0.count > days / 2 })
        }
    }

    @Test func dstAndPresets() throws {
        // Brussels offsets around the 2026 changes (29 March, 25 October, at 01:00 UTC).
        let march29 = try DayNumber(year: 2026, month: 3, day: 29).rawValue * 24
        #expect(Simulation.brusselsOffset(utcHour: march29) == 1)
        #expect(Simulation.brusselsOffset(utcHour: march29 + 1) == 2)
        let october25 = try DayNumber(year: 2026, month: 10, day: 25).rawValue * 24
        #expect(Simulation.brusselsOffset(utcHour: october25) == 2)
        #expect(Simulation.brusselsOffset(utcHour: october25 + 1) == 1)
        #expect(
            SimulatedTown.daks.map(\.id) == [
                "oostkamp", "blankenberge", "diksmuide", "harelbeke", "menen", "veurne", "waregem",
            ])
        #expect(SimulatedTown.preset("Ronse")?.name == "Ronse")
        #expect(SimulatedTown.harelbeke.inhabitants == 29_931 && SimulatedTown.waregem.coreShops == 204)
        // Last Sunday of July 2025 is the 27th; the first Saturday of September 2025 is the 6th.
        let procession = try #require(SimulatedTown.veurne.events.first)
        #expect(procession.firstDay(in: 2025) == (try DayNumber(year: 2025, month: 7, day: 27)))
        #expect(
            SimulatedTown.braderie(9, uplift: 0).firstDay(in: 2025) == (try DayNumber(year: 2025, month: 9, day: 6)))
    }

    @Test func refusesAnAbsurdSpan() throws {
        try withTemporaryDirectory { dir in
            #expect(throws: NodeError.self) {
                _ = try Simulator.write(town: .menen, years: 0, endingOn: Self.end, seed: 1, to: dir)
            }
        }
    }
}
