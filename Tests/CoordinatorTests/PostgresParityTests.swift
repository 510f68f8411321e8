// The same coordinator checks on both backends (SQLite always; PostgreSQL when the test server is up).
@testable import Coordinator
import Dispatch
import Federation
import Foundation
import HTTPServer
import Indicators
import Testing
import TestSupport

@Suite("Coordinator store parity: SQLite and PostgreSQL")
struct PostgresParityTests {
    static let tenant = Fixture.tenantA
    static let other = Fixture.tenantB

    @Test("submission lifecycle: stored, replay, other bytes, lower sequence, listing, exact bytes", arguments: StoreBackend.available)
    func lifecycle(_ backend: StoreBackend) throws {
        let fixture = try BackendFixture(backend)
        let first = try fixture.envelope(Self.tenant, "veurne", sequence: 1, [DayData(date: "2026-11-02", sensors: [("a", 100)])],
                                         submissionID: "0000000000000000000000000000a001")
        let stored = try fixture.submit(Self.tenant, first)
        #expect(stored.status == 202, "\(stored.bodyText)")
        let receipt = try #require(stored.json?["receipt"] as? [String: String])
        #expect(receipt["digest"] == "sha256:" + Hex.encode(SHA256.hash(first)))
        #expect(receipt["submissionId"] == "0000000000000000000000000000a001")

        let replay = try fixture.submit(Self.tenant, first)
        #expect(replay.status == 200)
        #expect(replay.json?["receipt"] as? [String: String] == receipt)

        let otherBytes = try fixture.envelope(Self.tenant, "veurne", sequence: 2, [DayData(date: "2026-11-02", sensors: [("a", 101)])],
                                              submissionID: "0000000000000000000000000000a001")
        let refused = try fixture.submit(Self.tenant, otherBytes)
        #expect(refused.status == 409)
        #expect(refused.errorCode == "replay_different_bytes")

        let lower = try fixture.submit(Self.tenant, try fixture.envelope(Self.tenant, "veurne", sequence: 1,
                                                                          [DayData(date: "2026-11-03", sensors: [("a", 1)])]))
        #expect(lower.status == 409)
        #expect(lower.errorCode == "sequence_not_increasing")

        let third = try fixture.envelope(Self.tenant, "veurne", sequence: 3, [DayData(date: "2026-11-03", sensors: [("a", 7)])],
                                         submissionID: "0000000000000000000000000000a003")
        #expect(try fixture.submit(Self.tenant, third).status == 202)

        let scope = TenantScope.administrative(Self.tenant)
        let list = try fixture.store.submissions(town: "veurne", scope)
        #expect(list.map(\.sequence) == [1, 3])
        #expect(list.map(\.receipt.submissionId) == ["0000000000000000000000000000a001", "0000000000000000000000000000a003"])
        #expect(try fixture.store.envelope(town: "veurne", submissionID: "0000000000000000000000000000a001", scope) == first)
        #expect(try fixture.store.envelope(town: "veurne", submissionID: "0000000000000000000000000000a003", scope) == third)
        #expect(try fixture.store.submissionCount(scope) == 2)
        #expect(try fixture.store.receipt(town: "veurne", submissionID: "0000000000000000000000000000a003", scope)?.digest == "sha256:" + Hex.encode(SHA256.hash(third)))
        #expect(try fixture.store.submissionState(town: "veurne", submissionID: "0000000000000000000000000000a001", scope)
                == TownSubmissionState(lastSequence: 3, existingPayloadDigest: SHA256.hash(try Envelope(parsing: first).payload)))

        // Nothing of it in the other tenant, not even its existence.
        let otherScope = TenantScope.administrative(Self.other)
        #expect(try fixture.store.submissionCount(otherScope) == 0)
        #expect(try fixture.store.submissions(town: "veurne", otherScope).isEmpty)
        #expect(try fixture.store.envelope(town: "veurne", submissionID: "0000000000000000000000000000a001", otherScope) == nil)
        #expect(try fixture.store.receipt(town: "veurne", submissionID: "0000000000000000000000000000a001", otherScope) == nil)
        #expect(try fixture.store.submissionState(town: "veurne", submissionID: "0000000000000000000000000000a001", otherScope) == TownSubmissionState())
    }

    @Test("a correction supersedes whole cells; reads see only current rows of their own tenant", arguments: StoreBackend.available)
    func supersession(_ backend: StoreBackend) throws {
        let fixture = try BackendFixture(backend)
        let market = AggregatePayload.Event(eventId: "markt-2026-11-02", kind: "market")
        #expect(try fixture.submit(Self.tenant, try fixture.envelope(Self.tenant, "veurne", sequence: 1, [
            DayData(date: "2026-11-02", sensors: [("a", 100), ("b", 50)], events: [market]),
            DayData(date: "2026-11-03", sensors: [("a", 80)]),
        ])).status == 202)
        // The correction names 2026-11-02 again, with sensor a only: b is no longer current that day.
        #expect(try fixture.submit(Self.tenant, try fixture.envelope(Self.tenant, "veurne", sequence: 2, [
            DayData(date: "2026-11-02", sensors: [("a", 120)]),
        ])).status == 202)
        // A town of the other tenant with the same zone and day must not show up.
        #expect(try fixture.submit(Self.other, try fixture.envelope(Self.other, "ronse", sequence: 1, [
            DayData(date: "2026-11-02", sensors: [("a", 999)]),
        ])).status == 202)

        let day2 = try DayNumber(iso: "2026-11-02").rawValue
        let day3 = try DayNumber(iso: "2026-11-03").rawValue
        let scope = TenantScope.administrative(Self.tenant)
        let rows = try fixture.store.sensorDays(measure: "pedestrians", days: day2...day3, scope)
        let sensorA = sensorID("veurne/a")
        func expected(day: Int, total: Double) -> SensorDayRow {
            SensorDayRow(townID: "veurne", zoneID: "centrum", zoneKind: "core_shopping_street", day: day, measure: "pedestrians",
                         sensor: sensorA, vendorKind: "crowdscan", total: total, coveredMinutes: 1440, expectedMinutes: 1440,
                         uptimeMinutes: 1440, validHours: 24)
        }
        #expect(rows == [expected(day: day2, total: 120), expected(day: day3, total: 80)])
        #expect(try fixture.store.sensorDays(measure: "pedestrians", days: day3...day3, scope).count == 1)
        #expect(try fixture.store.sensorDays(measure: "entries", days: day2...day3, scope).isEmpty)

        let zones = try fixture.store.zoneDays(days: day2...day3, scope)
        #expect(zones.map(\.day) == [day2, day3])
        // The current zone-day of 2026-11-02 is the correction's, which has no events.
        #expect(zones.map(\.events) == [[], []])
        #expect(try fixture.store.conversionDays(days: day2...day3, scope).isEmpty)

        let other = try fixture.store.sensorDays(measure: "pedestrians", days: day2...day3, .administrative(Self.other))
        #expect(other.map(\.townID) == ["ronse"])
        #expect(other.map(\.total) == [999])
    }

    @Test("events of the current zone-day are read back", arguments: StoreBackend.available)
    func events(_ backend: StoreBackend) throws {
        let fixture = try BackendFixture(backend)
        let events = [AggregatePayload.Event(eventId: "kerstmarkt", kind: "event"), AggregatePayload.Event(eventId: "m1", kind: "market")]
        #expect(try fixture.submit(Self.tenant, try fixture.envelope(Self.tenant, "oostkamp", sequence: 1, [
            DayData(date: "2026-11-02", sensors: [("a", 10)], events: events),
        ])).status == 202)
        let day = try DayNumber(iso: "2026-11-02").rawValue
        let zones = try fixture.store.zoneDays(days: day...day, .administrative(Self.tenant))
        #expect(zones.count == 1)
        #expect(Set(zones.first?.events ?? []) == Set(events))
        #expect(zones.first?.publicHoliday == false && zones.first?.schoolHoliday == false)
    }

    @Test("network footfall figures match hand-computed values", arguments: StoreBackend.available)
    func indicators(_ backend: StoreBackend) throws {
        let fixture = try BackendFixture(backend)
        // (current, baseline 364 days earlier): oostkamp 120/100, veurne 90/100, diksmuide 150/100.
        for (town, current) in [("oostkamp", 120.0), ("veurne", 90.0), ("diksmuide", 150.0)] {
            let response = try fixture.submit(Self.tenant, try fixture.envelope(Self.tenant, town, sequence: 1, [
                DayData(date: "2025-11-03", sensors: [("a", 100)]), DayData(date: "2026-11-02", sensors: [("a", current)]),
            ]))
            #expect(response.status == 202, "\(response.bodyText)")
        }
        let response = try http(fixture.port, "GET", "/v1/tenants/\(Self.tenant)/indicators?from=2026-11-02&to=2026-11-02",
                                token: try fixture.token("\(Self.tenant)/coordinator"))
        #expect(response.status == 200, "\(response.bodyText)")
        let figures = try JSONDecoder().decode(NetworkFigures.self, from: Data(response.body))
        let byTown = Dictionary(uniqueKeysWithValues: figures.towns.map { ($0.town, $0) })
        #expect(byTown["oostkamp"]?.footfallIndex == 120)
        #expect(byTown["veurne"]?.footfallIndex == 90)
        #expect(byTown["diksmuide"]?.footfallIndex == 150)
        #expect(figures.footfall.medianIndex == 120)
        #expect(figures.footfall.pooledIndex == 120)  // 100 × 360 / 300
        #expect(byTown["diksmuide"]?.rank == 1 && byTown["oostkamp"]?.rank == 2 && byTown["veurne"]?.rank == 3)
        // The other tenant's coordinator sees none of these towns.
        let other = try http(fixture.port, "GET", "/v1/tenants/\(Self.other)/indicators?from=2026-11-02&to=2026-11-02",
                             token: try fixture.token("\(Self.other)/coordinator"))
        let otherFigures = try JSONDecoder().decode(NetworkFigures.self, from: Data(other.body))
        #expect(otherFigures.towns.allSatisfy { $0.footfallIndex == nil })
        #expect(Set(otherFigures.towns.map(\.town)).isDisjoint(with: ["oostkamp", "veurne", "diksmuide"]))
    }

    @Test("administration: duplicates, unknown objects, tokens by hash and id, policy updates", arguments: StoreBackend.available)
    func administration(_ backend: StoreBackend) throws {
        let storage = try BackendStore(backend)
        let store = storage.store
        let scope = TenantScope.administrative("daks")
        try store.addTenant(Tenant(id: "daks", name: "DAKS West-Vlaanderen"))
        #expect { try store.addTenant(Tenant(id: "daks", name: "again")) } throws: { CoordinatorError.Code.alreadyExists ~= $0 }
        #expect { try store.addTenant(Tenant(id: "Not Valid", name: "x")) } throws: { CoordinatorError.Code.invalidArgument ~= $0 }
        var tenant = try #require(try store.tenant(scope))
        #expect(tenant.name == "DAKS West-Vlaanderen" && tenant.peerNaming == .anonymised && tenant.maximumAgeDays == 400)
        tenant.peerNaming = .named
        tenant.maximumAgeDays = 30
        tenant.privacy = PrivacyPolicy(minimumStoreEntries: 7, minimumSpendingBuyers: 11)
        try store.updateTenant(tenant, scope)
        #expect(try store.tenant(scope) == tenant)
        #expect(try store.tenant(.administrative("nope")) == nil)
        #expect { try store.updateTenant(tenant, .administrative("nope")) } throws: { CoordinatorError.Code.notFound ~= $0 }

        try store.addTown(Town(id: "waregem", name: "Waregem"), scope)
        try store.addTown(Town(id: "menen", name: "Menen"), scope)
        try store.addTown(Town(id: "menen", name: "Menen again"), scope)  // no-op
        #expect(try store.towns(scope) == [Town(id: "menen", name: "Menen"), Town(id: "waregem", name: "Waregem")])

        let key = try Ed25519.PrivateKey(seed: test1Seed)
        let record = KeyRecord(keyID: key.publicKey.keyID, publicKey: key.publicKey, tenantID: "daks", townID: "menen",
                               enrolledAt: Date(timeIntervalSince1970: 1_700_000_000))
        try store.enrol(record, scope)
        #expect { try store.enrol(record, scope) } throws: { CoordinatorError.Code.alreadyExists ~= $0 }
        let stranger = try Ed25519.PrivateKey()
        #expect {
            try store.enrol(KeyRecord(keyID: stranger.publicKey.keyID, publicKey: stranger.publicKey, tenantID: "daks", townID: "nowhere",
                                      enrolledAt: Date()), scope)
        } throws: { CoordinatorError.Code.alreadyExists ~= $0 }
        #expect(try store.keyRecord(id: record.keyID, scope) == record)
        let revoked = record.revoked(at: Date(timeIntervalSince1970: 1_800_000_000))
        try store.updateKey(revoked, scope)
        #expect(try store.keys(town: "menen", scope) == [revoked])
        #expect { try store.updateKey(KeyRecord(keyID: "k-unknown", publicKey: key.publicKey, tenantID: "daks", townID: "menen",
                                                 enrolledAt: Date()), scope) } throws: { CoordinatorError.Code.notFound ~= $0 }

        let (_, token) = try BearerToken.issue(role: .town, tenantID: "daks", townID: "menen", expiresAt: Date(timeIntervalSince1970: 1_900_000_000))
        try store.addToken(token)
        let found = try #require(try store.token(hash: token.hash))
        #expect(found.id == token.id && found.role == .town && found.tenantID == "daks" && found.townID == "menen" && found.revokedAt == nil)
        #expect(try store.token(hash: [UInt8](repeating: 7, count: 32)) == nil)
        try store.revokeToken(id: token.id, at: Date(timeIntervalSince1970: 1_850_000_000))
        #expect(try store.token(hash: token.hash)?.revokedAt == Date(timeIntervalSince1970: 1_850_000_000))
        #expect { try store.revokeToken(id: "no-such-token", at: Date()) } throws: { CoordinatorError.Code.notFound ~= $0 }
    }

    @Test("what a commit returned is there after a restart", arguments: StoreBackend.available)
    func durableAcrossReopen(_ backend: StoreBackend) throws {
        let fixture = try BackendFixture(backend)
        let body = try fixture.envelope(Self.tenant, "diksmuide", sequence: 4, [DayData(date: "2026-11-05", sensors: [("a", 42)])],
                                        submissionID: "0000000000000000000000000000d001")
        #expect(try fixture.submit(Self.tenant, body).status == 202)
        let reopened = try fixture.storage.reopen()
        defer { BackendStore.close(reopened) }
        let scope = TenantScope.administrative(Self.tenant)
        #expect(try reopened.envelope(town: "diksmuide", submissionID: "0000000000000000000000000000d001", scope) == body)
        let day = try DayNumber(iso: "2026-11-05").rawValue
        #expect(try reopened.sensorDays(measure: "pedestrians", days: day...day, scope).map(\.total) == [42])
    }

    /// Issue 16: one token logging in again and again evicts only its own oldest sessions (at most
    /// `PageSessions.perToken` live), never another token's; sessions are in the store, so a
    /// coordinator started on the same data still knows them; the store keeps only their hashes.
    @Test("browser sessions: capped per token, never evicting another's, kept across a restart", arguments: StoreBackend.available)
    func sessions(_ backend: StoreBackend) throws {
        let fixture = try BackendFixture(backend)
        let region = "/tenants/\(Self.tenant)/region?period=2026-11"
        let victim = try #require(try PageTests.login(fixture, try fixture.token("\(Self.tenant)/coordinator")).cookie)
        let flooder = try fixture.token("\(Self.tenant)/admin")
        var cookies: [String] = []
        for _ in 0..<(PageSessions.perToken + 5) {
            cookies.append(try #require(try PageTests.login(fixture, flooder).cookie))
        }
        #expect(try PageTests.page(fixture, region, cookie: victim).status == 200)
        for (index, cookie) in cookies.enumerated() {
            // The flooder's five oldest sessions were evicted; its newest perToken live.
            #expect(try PageTests.page(fixture, region, cookie: cookie).status == (index < 5 ? 303 : 200), "session \(index)")
        }

        // A coordinator started on the same store knows every live session.
        let reopened = try fixture.storage.reopen()
        defer { BackendStore.close(reopened) }
        let service = try CoordinatorService(store: reopened, signingKey: try Ed25519.PrivateKey())
        let server = service.makeServer(configuration: .init(port: 0, threadPoolSize: 2), accessLog: .disabled)
        try server.start()
        defer {
            server.shutdown(gracePeriod: .seconds(1))
            service.stop()
        }
        let again = try http(server.port, "GET", region, headers: ["Cookie": victim])
        #expect(again.status == 200)
        // Only the hash of a session id is stored.
        let id = String(victim.split(separator: "=", maxSplits: 1)[1])
        #expect(try reopened.session(idHash: SHA256.hash(Array(id.utf8)), now: Date()) != nil)
        #expect(try reopened.session(idHash: Array(id.utf8), now: Date()) == nil)
        // An expired session is gone.
        #expect(try reopened.session(idHash: SHA256.hash(Array(id.utf8)), now: Date().addingTimeInterval(PageSessions.lifetime + 1)) == nil)
        #expect(try reopened.session(idHash: SHA256.hash(Array(id.utf8)), now: Date()) == nil)
    }

    @Test("sixteen concurrent submissions with one sequence: exactly one wins", arguments: StoreBackend.available)
    func sequenceRace(_ backend: StoreBackend) throws {
        let fixture = try BackendFixture(backend)
        let bodies = try (0..<16).map { i in
            try fixture.envelope(Self.tenant, "veurne", sequence: 5, [DayData(date: "2026-11-02", sensors: [("a", Double(100 + i))])])
        }
        let statuses = LockedArray<Int>()
        let port = fixture.port
        DispatchQueue.concurrentPerform(iterations: bodies.count) { i in
            statuses.append((try? http(port, "POST", "/v1/tenants/\(Self.tenant)/submissions", body: bodies[i]).status) ?? -1)
        }
        #expect(statuses.values.filter { $0 == 202 }.count == 1)
        #expect(statuses.values.filter { $0 == 409 }.count == 15)
        #expect(try fixture.store.submissions(town: "veurne", .administrative(Self.tenant)).count == 1)
    }
}

@Suite("PostgreSQL backend", .enabled(if: PostgresTestServer.isAvailable, PostgresTestServer.skipComment))
struct PostgresBackendAvailableTests {
    @Test("the parity tests above ran on PostgreSQL too")
    func parityIncludesPostgres() {
        #expect(StoreBackend.available.contains(.postgres))
    }
}
