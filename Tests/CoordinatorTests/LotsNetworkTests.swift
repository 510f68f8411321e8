// Parking, visitor origin and dwell time across towns at the coordinator (issue 19): zone-day lots
// extracted at intake, the peers' median and quartiles under the publishing rule, the town's
// view, the log replay, supersession and the backfill.
@testable import Coordinator
import Federation
import Foundation
import Indicators
import Reports
import Storage
import Testing
import TestSupport

/// The lots of one test town on each day: garage occupancy `rate` from 10 to 13 h except 90 % at
/// 12 h (capacity 100), visitors `own`/50/30/20 by origin (cells of at least 10) and a dwell
/// histogram `dwell` over [0, 30), [30, 60), [60, …) minutes.
struct TestLots {
    var rate: Double
    var own: Int
    var dwell: [Int]

    func apply(to day: inout AggregatePayload.Day) {
        var occupied = [Double?](repeating: nil, count: 24), capacity = [Double?](repeating: nil, count: 24)
        for h in 10...13 {
            occupied[h] = h == 12 ? 90 : rate * 100
            capacity[h] = 100
        }
        day.parking = [.init(kind: "garage", sites: 1, occupied: occupied, capacity: capacity)]
        day.visitorOrigin = .init(minimumCell: 10, ownMunicipality: own, neighbouring: 50, restOfProvince: 30, elsewhere: 20)
        day.dwell = [.init(fromMinutes: 0, toMinutes: 30, visitors: dwell[0]), .init(fromMinutes: 30, toMinutes: 60, visitors: dwell[1]),
                     .init(fromMinutes: 60, toMinutes: nil, visitors: dwell[2])]
    }
}

/// A signed week (2–6 November 2026) of pedestrians for zone `centrum`, with `lots` on each day when given.
func lotsEnvelope(tenant: String, town: String, key: Ed25519.PrivateKey, sequence: Int, lots: TestLots?) throws -> [UInt8] {
    let dates = (2...6).map { String(format: "2026-11-%02d", $0) }
    let zoneDays = dates.map { date in
        var day = AggregatePayload.Day(
            date: date, flags: .init(publicHoliday: false, schoolHoliday: false),
            measures: [.init(measure: "pedestrians",
                             sensors: [.init(sensor: sensorID(town + "/a"), vendorKind: "crowdscan", total: 1000,
                                             coveredMinutes: 1440, expectedMinutes: 1440, uptimeMinutes: 1440, validHours: 24)],
                             total: 1000)])
        lots?.apply(to: &day)
        return day
    }
    let payload = AggregatePayload(
        tenantId: tenant, townId: town, keyId: key.publicKey.keyID, submissionId: try SubmissionID.random(), sequence: sequence,
        createdAt: Timestamp.format(Date()), period: .init(from: dates[0], to: dates[dates.count - 1]), timeZone: "Europe/Brussels",
        privacy: .standard, zones: [.init(zoneId: "centrum", zoneKind: "core_shopping_street", days: zoneDays)])
    return try payload.signedEnvelope(with: key).serialized()
}

@Suite("Parking, visitor origin and dwell time against peers")
struct LotsNetworkTests {
    static let tenant = Fixture.tenantA
    static let period = "from=2026-11-02&to=2026-11-06"
    /// Mean occupancy (3r + 0.9) / 4: 0.525, 0.6, 0.675; local share 1/2, 2/3, 3/4; median dwell 37.5, 45, 60 minutes.
    static let lots: [String: TestLots] = [
        "oostkamp": TestLots(rate: 0.4, own: 100, dwell: [40, 40, 20]),
        "veurne": TestLots(rate: 0.5, own: 200, dwell: [20, 60, 20]),
        "diksmuide": TestLots(rate: 0.6, own: 300, dwell: [10, 40, 50]),
    ]

    static func network(_ backend: StoreBackend, lots: [String: TestLots] = lots) throws -> BackendFixture {
        let fixture = try BackendFixture(backend)
        for town in Fixture.townsA {
            let key = try #require(fixture.keys["\(tenant)/\(town)"], "no key for \(town)")
            let response = try fixture.submit(tenant, try lotsEnvelope(tenant: tenant, town: town, key: key, sequence: 1, lots: lots[town]))
            #expect(response.status == 202, "\(response.bodyText)")
        }
        return fixture
    }

    static func report(_ fixture: any LiveCoordinator, _ token: String) throws -> NetworkReport {
        let response = try http(fixture.port, "GET", "/v1/tenants/\(tenant)/report?\(period)", token: try fixture.token(token))
        #expect(response.status == 200, "\(response.bodyText)")
        return try JSONDecoder().decode(NetworkReport.self, from: Data(try Envelope(parsing: response.body).payload))
    }

    static func band(_ figures: NetworkFigures, _ figure: NetworkFigures.LotFigure) -> NetworkFigures.LotBand? {
        figures.lotBands?.first { $0.zoneKind == "core_shopping_street" && $0.figure == figure }
    }

    static func recomputeMatches(_ fixture: BackendFixture) throws {
        let scope = TenantScope.administrative(tenant)
        let size = try fixture.store.logHead(scope).size
        let verdicts = try ReportRecompute.run(scope, treeSize: size, store: fixture.store, signer: fixture.service.checkpointSigner,
                                               signingKey: fixture.service.signingKey).verdicts
        #expect(!verdicts.isEmpty && verdicts.allSatisfy(\.matches), "\(verdicts)")
    }

    @Test("the peers' median and quartiles of three towns, a town sees only its own lots, and the log recomputes them",
          arguments: StoreBackend.available)
    func bandsViewAndReplay(_ backend: StoreBackend) throws {
        let fixture = try Self.network(backend)
        let figures = try Self.report(fixture, "\(Self.tenant)/coordinator").figures
        #expect(figures.indicators[ParkingOccupancy.id] == ParkingOccupancy.version)
        #expect(figures.indicators[VisitorOrigin.id] == VisitorOrigin.version && figures.indicators[DwellTime.id] == DwellTime.version)
        let mean = try #require(Self.band(figures, .parkingMeanOccupancy))
        #expect(mean.siteKind == "garage" && mean.publication == "publish" && mean.towns == 3)
        #expect(abs((mean.median ?? 0) - 0.6) < 1e-12)
        #expect(abs((mean.lowerQuartile ?? 0) - 0.5625) < 1e-12 && abs((mean.upperQuartile ?? 0) - 0.6375) < 1e-12)
        #expect(abs((Self.band(figures, .parkingPeakOccupancy)?.median ?? 0) - 0.9) < 1e-12)
        #expect(Self.band(figures, .parkingSaturatedHours)?.median == 1)
        #expect(abs((Self.band(figures, .localShare)?.median ?? 0) - 2.0 / 3) < 1e-12)
        #expect(abs((Self.band(figures, .hinterlandShare)?.median ?? 0) - 50.0 / 300) < 1e-12)
        #expect(abs((Self.band(figures, .medianDwellMinutes)?.median ?? 0) - 45) < 1e-12)
        let diksmuide = try #require(figures.towns.first { $0.town == "diksmuide" }?.lots?.first)
        #expect(abs((diksmuide.parking?.first?.meanOccupancy ?? 0) - 0.675) < 1e-12)
        #expect(diksmuide.parking?.first?.observedHours == 20)
        #expect(abs((diksmuide.localShare ?? 0) - 0.75) < 1e-12 && abs((diksmuide.medianDwellMinutes ?? 0) - 60) < 1e-12)

        let town = try Self.report(fixture, "\(Self.tenant)/town:veurne").figures
        #expect(town.lotBands == figures.lotBands)
        #expect(town.towns.first { $0.town == "veurne" }?.lots == figures.towns.first { $0.town == "veurne" }?.lots)
        #expect(town.towns.filter { $0.town != "veurne" }.allSatisfy { $0.lots == nil })
        try Self.recomputeMatches(fixture)
    }

    @Test("a town that sends no lots has none, counts in no band and changes no other figure", arguments: StoreBackend.available)
    func townWithoutLots(_ backend: StoreBackend) throws {
        var some = Self.lots
        some["oostkamp"] = nil
        let fixture = try Self.network(backend, lots: some)
        let figures = try Self.report(fixture, "\(Self.tenant)/coordinator").figures
        #expect(figures.towns.first { $0.town == "oostkamp" }?.lots == nil)
        let mean = try #require(Self.band(figures, .parkingMeanOccupancy))
        // Two towns: withheld, never a median of two.
        #expect(mean.towns == 2 && mean.publication == "too_few_contributors" && mean.median == nil)
        #expect(figures.lotBands?.allSatisfy { $0.median == nil } == true)
        try Self.recomputeMatches(fixture)
        // Without any lots the figures are those of the same network with the lot parts removed.
        let plain = try Self.report(try Self.network(backend, lots: [:]), "\(Self.tenant)/coordinator").figures
        #expect(plain.lotBands == nil && plain.towns.allSatisfy { $0.lots == nil })
        var stripped = LotsNetwork.removed(from: figures)
        stripped.checkpoint = plain.checkpoint
        #expect(stripped == plain)
    }

    @Test("a correction replaces a zone day's lots and one without lots removes them", arguments: StoreBackend.available)
    func supersession(_ backend: StoreBackend) throws {
        let fixture = try Self.network(backend)
        let key = try #require(fixture.keys["\(Self.tenant)/diksmuide"])
        #expect(try fixture.submit(Self.tenant, try lotsEnvelope(tenant: Self.tenant, town: "diksmuide", key: key, sequence: 2,
                                                                 lots: TestLots(rate: 0.8, own: 400, dwell: [40, 40, 20]))).status == 202)
        var figures = try Self.report(fixture, "\(Self.tenant)/coordinator").figures
        var own = try #require(figures.towns.first { $0.town == "diksmuide" }?.lots?.first)
        #expect(abs((own.parking?.first?.meanOccupancy ?? 0) - (3 * 0.8 + 0.9) / 4) < 1e-12)
        #expect(abs((own.localShare ?? 0) - 0.8) < 1e-12)
        let scope = TenantScope.administrative(Self.tenant)
        #expect(try fixture.store.networkInputs(measure: "pedestrians", days: 20_000...21_000, conversionDays: 20_000...21_000, scope)
            .zoneLots.count == 15)
        try Self.recomputeMatches(fixture)

        #expect(try fixture.submit(Self.tenant, try lotsEnvelope(tenant: Self.tenant, town: "diksmuide", key: key, sequence: 3,
                                                                 lots: nil)).status == 202)
        figures = try Self.report(fixture, "\(Self.tenant)/coordinator").figures
        #expect(figures.towns.first { $0.town == "diksmuide" }?.lots == nil)
        #expect(Self.band(figures, .localShare)?.towns == 2)
        own = try #require(figures.towns.first { $0.town == "veurne" }?.lots?.first)
        #expect(abs((own.localShare ?? 0) - 2.0 / 3) < 1e-12)
        try Self.recomputeMatches(fixture)
    }

    @Test("submissions stored before the zone_lots table get their lots when the store opens", arguments: StoreBackend.available)
    func backfill(_ backend: StoreBackend) throws {
        let fixture = try Self.network(backend)
        let scope = TenantScope.administrative(Self.tenant)
        let before = try fixture.store.networkInputs(measure: "pedestrians", days: 20_000...21_000, conversionDays: 20_000...21_000, scope)
        #expect(before.zoneLots.count == 15)
        // The store as the previous release left it: no lot rows (and, in PostgreSQL, no migration 8).
        switch backend {
        case .sqlite: try fixture.storage.executeBehindTheStore("DELETE FROM zone_lots; DELETE FROM zone_lots_backfilled;")
        case .postgres: try fixture.storage.executeBehindTheStore("DROP TABLE zone_lots; DELETE FROM schema_migrations WHERE number = 8;")
        }
        let reopened = try fixture.storage.reopen()
        defer { BackendStore.close(reopened) }
        let after = try reopened.networkInputs(measure: "pedestrians", days: 20_000...21_000, conversionDays: 20_000...21_000, scope)
        #expect(after.zoneLots == before.zoneLots)
    }

    @Test("the region page ranks the towns per lot and the town page shows its lots against the peers; both as tables",
          arguments: StoreBackend.available)
    func pages(_ backend: StoreBackend) throws {
        let fixture = try Self.network(backend)
        let scope = TenantScope.administrative(Self.tenant)
        let inputs = try ReportPages.inputs(scope, store: fixture.store, origin: fixture.service.checkpointSigner.origin(Self.tenant),
                                            period: try DayPeriod(from: "2026-11-02", to: "2026-11-06"), weeks: 2)
        let region = ReportPages.region(inputs, language: .en)
        let mean = try #require(region.lots?.first { $0.figure == "parking-mean-occupancy" })
        #expect(mean.towns.count == 3 && abs((mean.median ?? 0) - 0.6) < 1e-12)
        let regionHTML = RegionReportPage.render(region)
        #expect(regionHTML.contains("<section id=\"lots\">") && regionHTML.contains("Median dwell time (minutes)"))
        // One compact ranked chart per lot: occupancy, origin, dwell.
        #expect(regionHTML.components(separatedBy: "<section id=\"lots\">").last?.components(separatedBy: "<svg").count == 4)
        let regionTables = region.tables()
        #expect(regionTables.first { $0.name == "lots" }?.rows.count == 6)
        #expect(regionTables.first { $0.name == "lot-values" }?.rows.count == 18)

        let town = try ReportPages.town(inputs, town: "veurne", language: .nl)
        let table = try #require(town.tables(language: .nl).first { $0.name == "lots" })
        let local = try #require(table.rows.first { $0.first == .text("Lokaal aandeel bezoekers") })
        #expect(local[2] == .percent(2.0 / 3) && local[3] == .percent(2.0 / 3) && local[6] == .integer(3))
        let townHTML = TownReportPage.render(town, options: RenderOptions(language: .nl))
        #expect(townHTML.contains("Parkeren, herkomst en verblijfsduur"))
        // A page without lots has no such section.
        let plain = try Self.network(backend, lots: [:])
        let plainInputs = try ReportPages.inputs(scope, store: plain.store, origin: plain.service.checkpointSigner.origin(Self.tenant),
                                                 period: try DayPeriod(from: "2026-11-02", to: "2026-11-06"), weeks: 2)
        #expect(ReportPages.region(plainInputs).lots == nil && !RegionReportPage.render(ReportPages.region(plainInputs)).contains("id=\"lots\""))
        #expect(try ReportPages.town(plainInputs, town: "veurne").lots == nil)
        // In headless Chromium: not blank, no console output (deploy/check-pages.sh).
        try withTemporaryDirectory { dir in
            var files: [String] = []
            for (name, html) in [("region-lots", regionHTML), ("town-lots", townHTML)] {
                let folder = dir.appendingPathComponent("\(name)-\(backend.rawValue)", isDirectory: true)
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                let file = folder.appendingPathComponent("index.html")
                try Data(html.utf8).write(to: file)
                files.append(file.path)
            }
            let shots = ProcessInfo.processInfo.environment["TOWNBENCH_SCREENSHOTS"] ?? dir.appendingPathComponent("png").path
            let result = try runProcess(Repository.root.appendingPathComponent("deploy/check-pages.sh"), ["-o", shots] + files)
            if result.status != 2 { #expect(result.status == 0, "\(result.stdout)\(result.stderr)") }
        }
    }

    @Test("a report published before the coordinator computed lots recomputes without them")
    func recomputeOlderReport() throws {
        let fixture = try Self.network(.sqlite)
        // As the previous release kept the store: no lot rows, so the published figures carry none.
        try fixture.storage.executeBehindTheStore("DELETE FROM zone_lots")
        let published = try Self.report(fixture, "\(Self.tenant)/coordinator").figures
        #expect(published.lotBands == nil && published.indicators[ParkingOccupancy.id] == nil)
        // The log's entries carry the lots; the recomputation leaves them out as the report did.
        try Self.recomputeMatches(fixture)
    }

    @Test("a day with a suppressed origin cell leaves the shares, changed dwell bins give no median, one large town dominates")
    func pureRules() throws {
        func row(_ town: String, day: Int, origin: AggregatePayload.OriginDay?, dwell: [AggregatePayload.DwellBin]? = nil,
                 capacity: Double = 100) -> ZoneLotRow {
            var occupied = [Double?](repeating: nil, count: 24), cap = [Double?](repeating: nil, count: 24)
            occupied[10] = capacity / 2
            cap[10] = capacity
            return ZoneLotRow(townID: town, zoneID: "z", zoneKind: "core", day: day,
                              parking: [.init(kind: "on-street", sites: 2, occupied: occupied, capacity: cap)], visitorOrigin: origin, dwell: dwell)
        }
        let day = try DayNumber(iso: "2026-11-02").rawValue
        let period = try DayPeriod(from: "2026-11-02", to: "2026-11-03")
        let rows = [
            row("a", day: day, origin: .init(minimumCell: 10, ownMunicipality: 60, neighbouring: 20, restOfProvince: 10, elsewhere: 10),
                dwell: [.init(fromMinutes: 0, toMinutes: 30, visitors: 10), .init(fromMinutes: 30, toMinutes: nil, visitors: 10)]),
            // Suppressed cells: this day counts for no share (else 900 of an unknown total).
            row("a", day: day + 1, origin: .init(minimumCell: 10, ownMunicipality: 900, neighbouring: nil, restOfProvince: nil, elsewhere: 50),
                dwell: [.init(fromMinutes: 0, toMinutes: 20, visitors: 10), .init(fromMinutes: 20, toMinutes: nil, visitors: 10)]),
            row("b", day: day, origin: nil, capacity: 10_000),
            row("c", day: day, origin: nil),
            // Outside the period: ignored.
            row("c", day: day + 5, origin: .init(minimumCell: 10, ownMunicipality: 60, neighbouring: 20, restOfProvince: 10, elsewhere: 10)),
        ]
        let result = LotsNetwork.compute(zoneLots: rows, period: period)
        let a = try #require(result.towns["a"]?.first)
        #expect(abs((a.localShare ?? 0) - 0.6) < 1e-12 && abs((a.hinterlandShare ?? 0) - 0.2) < 1e-12)
        #expect(a.medianDwellMinutes == nil && a.medianDwellAtLeast == nil)
        #expect(result.towns["c"]?.first?.localShare == nil)
        #expect(result.indicators == [ParkingOccupancy.id, VisitorOrigin.id, DwellTime.id])
        let mean = try #require(result.bands.first { $0.figure == .parkingMeanOccupancy })
        #expect(mean.siteKind == "on-street" && mean.towns == 3 && mean.publication == "dominated" && mean.median == nil)
    }
}
