// The peers' day profile at the coordinator (issue 20): hourly zone rows extracted at intake,
// the band under the publishing rule, the town's view, the log replay, the backfill.
@testable import Coordinator
import Federation
import Foundation
import Indicators
import Reports
import Storage
import Testing
import TestSupport

/// A signed week of hourly pedestrians for one zone: every day 100 at 10 h and 12 h and
/// `evening` at 19 h; with `openingHours`, Monday–Friday 09:00–18:00.
func hourlyEnvelope(tenant: String, town: String, key: Ed25519.PrivateKey, sequence: Int, evening: Double,
                    openingHours: Bool = false, days: ClosedRange<Int> = 2...6) throws -> [UInt8] {
    var hourly = [Double?](repeating: nil, count: 24)
    hourly[10] = 100
    hourly[12] = 100
    hourly[19] = evening
    let dates = days.map { String(format: "2026-11-%02d", $0) }
    let zoneDays = dates.map { date in
        AggregatePayload.Day(
            date: date, flags: .init(publicHoliday: false, schoolHoliday: false),
            measures: [.init(measure: "pedestrians",
                             sensors: [.init(sensor: sensorID(town + "/a"), vendorKind: "crowdscan", total: 200 + evening,
                                             coveredMinutes: 1440, expectedMinutes: 1440, uptimeMinutes: 1440, validHours: 24)],
                             total: 200 + evening, hourly: hourly)])
    }
    let hours = openingHours
        ? AggregatePayload.OpeningHours(weekly: (1...5).map { .init(weekday: $0, opens: "09:00", closes: "18:00") }) : nil
    let payload = AggregatePayload(
        tenantId: tenant, townId: town, keyId: key.publicKey.keyID, submissionId: try SubmissionID.random(), sequence: sequence,
        createdAt: Timestamp.format(Date()), period: .init(from: dates[0], to: dates[dates.count - 1]), timeZone: "Europe/Brussels",
        privacy: .standard,
        zones: [.init(zoneId: "centrum", zoneKind: "core_shopping_street", days: zoneDays, openingHours: hours)])
    return try payload.signedEnvelope(with: key).serialized()
}

@Suite("The peers' day profile")
struct DayShapeNetworkTests {
    static let tenant = Fixture.tenantA
    static let period = "from=2026-11-02&to=2026-11-06"

    /// Three towns with evening shares 1/3, 1/2 and 3/5 (oostkamp with opening hours).
    static func network(_ backend: StoreBackend) throws -> BackendFixture {
        let fixture = try BackendFixture(backend)
        for (town, evening) in [("oostkamp", 100.0), ("veurne", 200.0), ("diksmuide", 300.0)] {
            let key = try #require(fixture.keys["\(tenant)/\(town)"], "no key for \(town)")
            let response = try fixture.submit(tenant, try hourlyEnvelope(tenant: tenant, town: town, key: key, sequence: 1, evening: evening,
                                                                         openingHours: town == "oostkamp"))
            #expect(response.status == 202, "\(response.bodyText)")
        }
        return fixture
    }

    static func report(_ fixture: any LiveCoordinator, _ token: String) throws -> NetworkReport {
        let response = try http(fixture.port, "GET", "/v1/tenants/\(tenant)/report?\(period)", token: try fixture.token(token))
        #expect(response.status == 200, "\(response.bodyText)")
        return try JSONDecoder().decode(NetworkReport.self, from: Data(try Envelope(parsing: response.body).payload))
    }

    @Test("the band is the median and quartiles of three towns, a town sees only its own shape, and the log recomputes it",
          arguments: StoreBackend.available)
    func bandViewAndReplay(_ backend: StoreBackend) throws {
        let fixture = try Self.network(backend)
        let figures = try Self.report(fixture, "\(Self.tenant)/coordinator").figures
        #expect(figures.indicators[DayShape.id] == DayShape.version)
        let weekday = try #require(figures.dayShapeBands?.first { $0.zoneKind == "core_shopping_street" && $0.dayType == .weekday })
        #expect(weekday.band.publication == "publish" && weekday.band.towns == 3)
        // Evening shares 100/300, 200/400, 300/500: sorted 1/3, 1/2, 3/5.
        #expect(abs((weekday.band.median?[19] ?? 0) - 0.5) < 1e-12)
        #expect(abs((weekday.band.lowerQuartile?[19] ?? 0) - (1.0 / 3 + 0.5 * (0.5 - 1.0 / 3))) < 1e-12)
        #expect(abs((weekday.band.upperQuartile?[19] ?? 0) - 0.55) < 1e-12)
        #expect(abs((weekday.eveningShare ?? 0) - 0.5) < 1e-12)
        // Only oostkamp sent opening hours: its closed share (19 h) is 1/3; no peer median of one town.
        let oostkamp = try #require(figures.towns.first { $0.town == "oostkamp" }?.dayShape?.first)
        #expect(abs((oostkamp.result[.weekday]?.closedShare ?? 0) - 1.0 / 3) < 1e-12)
        #expect(oostkamp.result[.weekday]?.usualClosingHour == 18)
        #expect(weekday.closedShare == nil)
        #expect(figures.towns.first { $0.town == "veurne" }?.dayShape?.first?.result[.weekday]?.closedShare == nil)

        let town = try Self.report(fixture, "\(Self.tenant)/town:veurne").figures
        #expect(town.dayShapeBands == figures.dayShapeBands)
        #expect(town.towns.first { $0.town == "veurne" }?.dayShape != nil)
        #expect(town.towns.filter { $0.town != "veurne" }.allSatisfy { $0.dayShape == nil })

        let scope = TenantScope.administrative(Self.tenant)
        let size = try fixture.store.logHead(scope).size
        let verdicts = try ReportRecompute.run(scope, treeSize: size, store: fixture.store, signer: fixture.service.checkpointSigner,
                                               signingKey: fixture.service.signingKey).verdicts
        #expect(verdicts.count == 2 && verdicts.allSatisfy(\.matches), "\(verdicts)")
    }

    @Test("with two towns the band is withheld as too few contributors", arguments: StoreBackend.available)
    func twoTownsWithheld(_ backend: StoreBackend) throws {
        let fixture = try BackendFixture(backend)
        for (town, evening) in [("oostkamp", 100.0), ("veurne", 200.0)] {
            let key = try #require(fixture.keys["\(Self.tenant)/\(town)"])
            #expect(try fixture.submit(Self.tenant, try hourlyEnvelope(tenant: Self.tenant, town: town, key: key, sequence: 1,
                                                                       evening: evening)).status == 202)
        }
        let figures = try Self.report(fixture, "\(Self.tenant)/coordinator").figures
        let weekday = try #require(figures.dayShapeBands?.first { $0.dayType == .weekday })
        #expect(weekday.band.publication == "too_few_contributors" && weekday.band.median == nil && weekday.eveningShare == nil)
    }

    @Test("the town page shows the profile against the peers' band, the heat strip and a finding", arguments: StoreBackend.available)
    func townPage(_ backend: StoreBackend) throws {
        let fixture = try Self.network(backend)
        let scope = TenantScope.administrative(Self.tenant)
        let inputs = try ReportPages.inputs(scope, store: fixture.store, origin: fixture.service.checkpointSigner.origin(Self.tenant),
                                            period: try DayPeriod(from: "2026-11-02", to: "2026-11-06"), weeks: 2)
        let report = try ReportPages.town(inputs, town: "diksmuide", language: .en)
        #expect(report.dayShapeZoneKind == "core_shopping_street")
        let weekday = try #require(report.hourly.first { $0.dayType == "weekday" })
        #expect(abs((weekday.town[19] ?? 0) - 0.6) < 1e-12 && abs((weekday.peers[19] ?? 0) - 0.5) < 1e-12)
        #expect(weekday.peersUpperQuartile?[19] != nil)
        // Diksmuide sent no opening hours: unknown ("–"), not "closed".
        let shares = try #require(report.tables().first { $0.name == "hourly-shares" })
        #expect(shares.rows.first?[1] == .text(BelgianFormat.missing))
        // Diksmuide's evening share 60 % against the peers' 50 %: a gap of 10 points is a finding.
        #expect(report.findingSentences(language: .en).contains("60\u{00A0}% of weekday footfall comes after 18:00; peers: 50\u{00A0}%."),
                "\(report.findingSentences(language: .en))")
        #expect(report.percentOfNormal?.count == 5)
        let html = TownReportPage.render(report)
        #expect(html.contains("What stands out against the peers") && html.contains("Each hour against normal"))
        // In headless Chromium: not blank, no console output (deploy/check-pages.sh); keep the PNG
        // with TOWNBENCH_SCREENSHOTS=DIR.
        try withTemporaryDirectory { dir in
            let folder = dir.appendingPathComponent("dayshape-\(backend.rawValue)", isDirectory: true)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let file = folder.appendingPathComponent("index.html")
            try Data(html.utf8).write(to: file)
            let shots = ProcessInfo.processInfo.environment["TOWNBENCH_SCREENSHOTS"] ?? dir.appendingPathComponent("png").path
            let result = try runProcess(Repository.root.appendingPathComponent("deploy/check-pages.sh"), ["-o", shots, file.path])
            if result.status != 2 { #expect(result.status == 0, "\(result.stdout)\(result.stderr)") }
        }
        // A quarter shows the heat strip of its last 62 days.
        let quarter = try ReportPages.inputs(scope, store: fixture.store, origin: fixture.service.checkpointSigner.origin(Self.tenant),
                                             period: try DayPeriod(from: "2026-09-01", to: "2026-11-30"), weeks: 2)
        let long = try ReportPages.town(quarter, town: "diksmuide", language: .en).percentOfNormal
        let lastDay = try DayNumber(iso: "2026-11-30")
        #expect(long?.count == 62 && long?.last?.day == lastDay)
    }

    @Test("submissions stored before the zone_hours table get their hours when the store opens", arguments: StoreBackend.available)
    func backfill(_ backend: StoreBackend) throws {
        let fixture = try Self.network(backend)
        let scope = TenantScope.administrative(Self.tenant)
        let before = try fixture.store.networkInputs(measure: "pedestrians", days: 20_000...21_000, conversionDays: 20_000...21_000, scope)
        #expect(before.zoneHours.count == 15)
        #expect(before.zoneHours.contains { $0.openHours != nil })
        // The store as the previous release left it: no hour rows (and, in PostgreSQL, no migration 7).
        switch backend {
        case .sqlite: try fixture.storage.executeBehindTheStore("DELETE FROM zone_hours; DELETE FROM zone_hours_backfilled;")
        case .postgres: try fixture.storage.executeBehindTheStore("DROP TABLE zone_hours; DELETE FROM schema_migrations WHERE number = 7;")
        }
        let reopened = try fixture.storage.reopen()
        defer { BackendStore.close(reopened) }
        let after = try reopened.networkInputs(measure: "pedestrians", days: 20_000...21_000, conversionDays: 20_000...21_000, scope)
        // Payloads sent before opening hours existed carry none, so only the hours themselves are compared.
        #expect(after.zoneHours.map(\.hours) == before.zoneHours.map(\.hours))
        #expect(after.zoneHours.map(\.day) == before.zoneHours.map(\.day))
        if backend == .sqlite { #expect(after.zoneHours == before.zoneHours) }
    }
}
