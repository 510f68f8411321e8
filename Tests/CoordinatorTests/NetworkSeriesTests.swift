// Issue 17: the packed series read path gives the same panels and the same figures as the rows.
@testable import Coordinator
import Federation
import Foundation
import Indicators
import Storage
import Testing
import TestSupport

@Suite("Network series: packed read path agrees with the rows")
struct NetworkSeriesTests {
    static let tenant = Fixture.tenantA

    /// Three towns (one with two zones), two autumns of daily data with gaps, suppressed totals,
    /// events, and corrections that replace a day's sensors (one sensor dropped, one value changed).
    static func seed(_ fixture: BackendFixture) throws {
        let market = AggregatePayload.Event(eventId: "markt", kind: "market")
        let fair = AggregatePayload.Event(eventId: "kermis", kind: "event")
        for (t, town) in Fixture.townsA.enumerated() {
            var sequence = 0
            for year in [2025, 2026] {
                for month in [10, 11] {
                    var days: [DayData] = []
                    for day in 1...30 where (day * 7 + t * 3 + month) % 11 != 0 {  // gaps
                        let date = String(format: "%04d-%02d-%02d", year, month, day)
                        let base = Double(1000 + 100 * t + day * 3 + (year - 2025) * (40 + 20 * t))
                        var sensors: [(name: String, total: Double?)] = [("a", base), ("b", base / 2)]
                        if (day + t) % 5 == 0 { sensors[1].total = nil }  // suppressed
                        if t == 0, day > 10 { sensors.append(("c", base / 3)) }  // a sensor installed later
                        let events = (day + t) % 9 == 0 ? [fair] : day % 13 == 0 ? [market] : []
                        days.append(DayData(date: date, sensors: sensors, events: events))
                        if t == 1, day % 4 == 0 { days.append(DayData(date: date, sensors: [("z", base / 4)], zone: "station")) }
                    }
                    // A payload covers at most a few weeks: send each month in halves.
                    for half in [days.filter { Int($0.date.suffix(2)) ?? 0 <= 15 },
                                 days.filter { Int($0.date.suffix(2)) ?? 0 > 15 }] where !half.isEmpty {
                        sequence += 1
                        let response = try fixture.submit(tenant, try fixture.envelope(tenant, town, sequence: sequence, half))
                        #expect(response.status == 202, "\(response.bodyText)")
                    }
                }
            }
            // A sensor in another zone in March 2026 only (between the days a November month reads).
            if t == 2 {
                sequence += 1
                #expect(try fixture.submit(tenant, try fixture.envelope(tenant, town, sequence: sequence, [
                    DayData(date: "2026-03-10", sensors: [("g", 77)], zone: "markt"),
                ])).status == 202)
            }
            // Corrections: sensor b dropped on 2026-11-05, a changed on 2026-11-06, an event added on 2026-11-07.
            sequence += 1
            let response = try fixture.submit(tenant, try fixture.envelope(tenant, town, sequence: sequence, [
                DayData(date: "2026-11-05", sensors: [("a", 5000)]),
                DayData(date: "2026-11-06", sensors: [("a", 10), ("b", nil)]),
                DayData(date: "2026-11-07", sensors: [("a", 1300), ("b", 650)], events: [fair]),
            ]))
            #expect(response.status == 202, "\(response.bodyText)")
        }
        // The other tenant's rows on the same days must not leak into this tenant's series.
        #expect(try fixture.submit(Fixture.tenantB, try fixture.envelope(Fixture.tenantB, "ronse", sequence: 1, [
            DayData(date: "2026-11-05", sensors: [("a", 999)]),
        ])).status == 202)
    }

    static let periods: [DayPeriod] = {
        // A month, a week, a year and one day (the year loads days with no data at all); July 2026,
        // whose loaded days hold data only between the days whose values it reads (the towns are still listed).
        [(try? DayPeriod.parse(period: "2026-11", from: nil, to: nil).get()), try? DayPeriod(from: "2026-11-02", to: "2026-11-08"),
         try? DayPeriod.parse(period: "2026-07", from: nil, to: nil).get(),
         try? DayPeriod(from: "2025-12-01", to: "2026-11-30"), try? DayPeriod(from: "2026-11-05", to: "2026-11-05")].compactMap { $0 }
    }()

    static func encoded(_ figures: NetworkFigures) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(figures), as: UTF8.self)
    }

    /// Every period's figures and every town's panel, read packed and read as rows.
    static func expectAgreement(_ store: any CoordinatorStore) throws {
        let scope = TenantScope.administrative(tenant)
        for period in periods {
            for lag in [FootfallIndex.defaultLag, 7] {
                let load = NetworkIndicators.loadDays(period, lag: lag)
                let inputs = try store.networkInputs(measure: NetworkIndicators.footfallMeasure, days: load.days,
                                                     conversionDays: load.conversionDays, scope)
                // The rows a replay reads (with event-uplift v2's history).
                let replay = try store.networkInputs(measure: NetworkIndicators.footfallMeasure,
                                                     days: NetworkIndicators.replayDays(period, lag: lag),
                                                     conversionDays: load.conversionDays, scope)
                let old = try NetworkIndicators.compute(tenantID: tenant, inputs: replay, origin: "o", period: period, lag: lag)
                let new = try NetworkIndicators.compute(scope, store: store, origin: "o", period: period, lag: lag)
                let (newJSON, oldJSON) = (try encoded(new), try encoded(old))
                let same = newJSON.commonPrefix(with: oldJSON).count
                #expect(newJSON == oldJSON,
                        "\(period.from)…\(period.to) lag \(lag): packed …\(newJSON.dropFirst(max(0, same - 200)).prefix(400)) rows …\(oldJSON.dropFirst(max(0, same - 200)).prefix(400))")
                #expect(new == old)

                let series = try store.networkSeries(measure: NetworkIndicators.footfallMeasure, days: load.days, values: nil,
                                                     conversionDays: load.conversionDays, scope)
                let days = DayNumber(load.days.lowerBound)...DayNumber(load.days.upperBound)
                let rowsByTown = Dictionary(grouping: inputs.sensorDays, by: \.townID)
                #expect(Set(series.towns.keys) == Set(rowsByTown.keys))
                for (town, rows) in rowsByTown {
                    let expected = try NetworkIndicators.townPanel(rows, days: days)
                    #expect(series.towns[town]?.panel == expected.panel, "\(town)")
                    #expect(series.towns[town]?.sensors.map { "\($0.zone)/\($0.sensor)" } == expected.sensors.map { "\($0.zone)/\($0.sensor)" })
                    let reported = rows.filter { $0.total != nil }
                    #expect(series.towns[town]?.lastReportedDay == reported.map(\.day).max().map(DayNumber.init))
                    #expect(series.towns[town]?.reportingSensors == Set(reported.map(\.sensor)).count)
                }
            }
        }
        // The region page's figures (one read cut to the current period) equal a read for that period.
        let month = periods[0]
        let page = try ReportPages.inputs(scope, store: store, origin: "o", period: month)
        let load = NetworkIndicators.loadDays(month, lag: FootfallIndex.defaultLag)
        let inputs = try store.networkInputs(measure: NetworkIndicators.footfallMeasure, days: load.days, conversionDays: load.conversionDays, scope)
        #expect(NetworkEventsV2.removed(from: page.current)
                    == NetworkEventsV2.removed(from: try NetworkIndicators.compute(tenantID: tenant, inputs: inputs, origin: "o", period: month)))
        // With event-uplift v2: the page's figures are the API's (its read covers v2's history).
        #expect(page.current == (try NetworkIndicators.compute(scope, store: store, origin: "o", period: month)))
    }

    @Test("figures, panels and the region page's inputs agree: supersessions, suppressed cells, gaps, events",
          arguments: StoreBackend.available)
    func agreement(_ backend: StoreBackend) throws {
        let fixture = try BackendFixture(backend)
        try Self.seed(fixture)
        let figures = try NetworkIndicators.compute(.administrative(Self.tenant), store: fixture.store, origin: "o", period: Self.periods[0])
        // The fixture is not degenerate: every town has an index, and events were found.
        #expect(figures.footfall.towns == 3)
        #expect(figures.towns.contains { !($0.events ?? []).isEmpty })
        try Self.expectAgreement(fixture.store)
    }

    @Test("a store made before the packed series gets them when it opens, from its current cells", arguments: StoreBackend.available)
    func migration(_ backend: StoreBackend) throws {
        let fixture = try BackendFixture(backend)
        try Self.seed(fixture)
        // Back to the schema before the packed series (SQLite's migration 7, PostgreSQL's 9: their
        // tables gone, the migration not applied), as a store written by the previous release; then a restart.
        switch backend {
        case .sqlite:
            try fixture.storage.executeBehindTheStore("""
                DROP TABLE series_cells; DROP TABLE series_sensors; DROP TABLE series_backfill;
                DELETE FROM schema_migrations WHERE number = 7;
                """)
        case .postgres:
            let store = try PostgresSeriesCells.repack(fixture.storage)
            defer { BackendStore.close(store) }
            try Self.expectAgreement(store)
            return
        }
        let store = try fixture.storage.reopen()
        defer { BackendStore.close(store) }
        let path = try #require(store as? SQLiteCoordinatorStore).path
        let connection = try Connection(path: path)
        defer { try? connection.close() }
        #expect(try connection.query("SELECT count(*) FROM series_backfill").first?.int(0) == 0)
        #expect(try connection.query("SELECT count(*) FROM series_cells").first?.int(0) ?? 0 > 0)
        try Self.expectAgreement(store)
    }

    @Test("a damaged packed cell is a storage error, not a crash; values beyond 32 bits survive")
    func damagedCell() throws {
        let day = try DayNumber(iso: "2026-11-02")
        func reader() -> PackedSeriesReader {
            PackedSeriesReader(days: day...day, sensors: [(no: 7, town: "veurne", zone: "centrum", sensor: "s", vendorKind: "crowdscan")])
        }
        let bytes = PackedCell.encode([.init(sensorNo: 7, total: 5, covered: 1440, expected: 1440, uptime: 1440, validHours: 24)])
        var damaged = reader()
        #expect(throws: CoordinatorError.self) { try Array(bytes.dropLast()).withUnsafeBytes { try damaged.add(day: day.rawValue, $0) } }
        var unknown = reader()
        let other = PackedCell.encode([.init(sensorNo: 8, total: 5, covered: 1440, expected: 1440, uptime: 1440, validHours: 24)])
        #expect(throws: CoordinatorError.self) { try other.withUnsafeBytes { try unknown.add(day: day.rawValue, $0) } }

        var wide = reader()
        try PackedCell.encode([.init(sensorNo: 7, total: 9, covered: 1 << 40, expected: 1440, uptime: 1440, validHours: 24)])
            .withUnsafeBytes { try wide.add(day: day.rawValue, $0) }
        let town = try #require(try wide.build()["veurne"])
        let expected = try NetworkIndicators.townPanel([SensorDayRow(
            townID: "veurne", zoneID: "centrum", zoneKind: "", day: day.rawValue, measure: "pedestrians", sensor: "s", vendorKind: "crowdscan",
            total: 9, coveredMinutes: 1 << 40, expectedMinutes: 1440, uptimeMinutes: 1440, validHours: 24)], days: day...day)
        #expect(town.panel == expected.panel)
        #expect(town.reportingSensors == 1 && town.lastReportedDay == day)
    }
}
