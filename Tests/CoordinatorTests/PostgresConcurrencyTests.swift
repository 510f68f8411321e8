// Two coordinators on one PostgreSQL database: two PostgresCoordinatorStore instances, each with
// its own connections (as two processes have), committing the same towns at the same moment.
@testable import Coordinator
import Dispatch
import Federation
import Foundation
import PostgreSQL
import Synchronization
import Testing
import TestSupport

@Suite("Two coordinators on one PostgreSQL database", .enabled(if: PostgresTestServer.isAvailable, PostgresTestServer.skipComment))
struct PostgresConcurrencyTests {
    static let tenant = Fixture.tenantA

    /// A submission that passed the worker's checks against an empty state (as both racers see it).
    static func verified(_ fixture: BackendFixture, town: String, sequence: Int, total: Double) throws -> VerifiedSubmission {
        let bytes = try fixture.envelope(tenant, town, sequence: sequence, [DayData(date: "2026-11-02", sensors: [("a", total)])])
        let key = try #require(fixture.keys["\(tenant)/\(town)"])
        let record = KeyRecord(keyID: key.publicKey.keyID, publicKey: key.publicKey, tenantID: tenant, townID: town,
                               enrolledAt: Date(timeIntervalSince1970: 0))
        let decision = SubmissionCheck.check(bytes, policy: TenantSubmissionPolicy(tenantID: tenant), now: Date(),
                                             keys: { $0 == record.keyID ? record : nil }, state: { _, _ in TownSubmissionState() })
        guard case .accepted(let accepted) = decision else {
            Issue.record("the submission was not accepted by the check: \(decision)")
            throw CoordinatorError(.invalidArgument, "not accepted")
        }
        return VerifiedSubmission(scope: .administrative(tenant), accepted: accepted, body: bytes)
    }

    @Test("same town, same sequence, two coordinators at once, 25 rounds: exactly one wins each round")
    func sameSequence() throws {
        let fixture = try BackendFixture(.postgres)
        let second = try fixture.storage.reopen()
        defer { BackendStore.close(second) }
        let stores: [any CoordinatorStore] = [fixture.store, second]
        let signer = fixture.service.checkpointSigner
        for round in 1...25 {
            let batches = try (0..<2).map { i in [try Self.verified(fixture, town: "veurne", sequence: round, total: Double(round * 10 + i))] }
            let outcomes = Mutex<[CommitOutcome]>([])
            let errors = Mutex<[String]>([])
            let start = DispatchSemaphore(value: 0)
            let group = DispatchGroup()
            for i in 0..<2 {
                DispatchQueue.global().async(group: group) {
                    start.wait()
                    do {
                        let result = try stores[i].commit(batches[i], at: Date(), signer: signer)
                        outcomes.withLock { $0 += result }
                    } catch {
                        errors.withLock { $0.append("\(error)") }
                    }
                }
            }
            start.signal()
            start.signal()
            group.wait()
            #expect(errors.withLock { $0 } == [])
            let results = outcomes.withLock { $0 }
            let stored = results.filter { if case .stored = $0 { true } else { false } }
            let refused = results.compactMap { if case .refused(let refusal) = $0 { refusal.reason } else { nil } }
            #expect(stored.count == 1, "round \(round): \(results)")
            #expect(refused == [.sequenceNotIncreasing], "round \(round): \(results)")
        }
        let sequences = try fixture.store.submissions(town: "veurne", .administrative(Self.tenant)).map(\.sequence)
        #expect(sequences == Array(1...25))
    }

    @Test("batches naming the same towns in opposite orders neither deadlock nor double-accept")
    func oppositeOrders() throws {
        let fixture = try BackendFixture(.postgres)
        let second = try fixture.storage.reopen()
        defer { BackendStore.close(second) }
        let stores: [any CoordinatorStore] = [fixture.store, second]
        let signer = fixture.service.checkpointSigner
        let towns = Fixture.townsA
        for round in 1...10 {
            let forward = try towns.map { try Self.verified(fixture, town: $0, sequence: round, total: 1) }
            let backward = try towns.reversed().map { try Self.verified(fixture, town: $0, sequence: round, total: 2) }
            let batches = [forward, backward]
            let stored = Mutex<[String]>([])
            let errors = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 2) { i in
                do {
                    let outcomes = try stores[i].commit(batches[i], at: Date(), signer: signer)
                    for (item, outcome) in zip(batches[i], outcomes) {
                        if case .stored = outcome { stored.withLock { $0.append(item.accepted.payload.townId) } }
                    }
                } catch {
                    errors.withLock { $0.append("\(error)") }
                }
            }
            #expect(errors.withLock { $0 } == [], "round \(round)")
            #expect(stored.withLock { $0 }.sorted() == towns.sorted(), "round \(round): each town's sequence won exactly once")
        }
        for town in towns {
            #expect(try fixture.store.submissions(town: town, .administrative(Self.tenant)).map(\.sequence) == Array(1...10))
        }
    }

    @Test("a higher sequence still uncommitted at one coordinator holds back a lower one at the other, which is then refused")
    func higherUncommittedHoldsLower() throws {
        let fixture = try BackendFixture(.postgres)
        let second = try fixture.storage.reopen()
        defer { BackendStore.close(second) }
        let first = fixture.store
        let high = try Self.verified(fixture, town: "diksmuide", sequence: 2, total: 1)
        let filler = try Self.verified(fixture, town: "oostkamp", sequence: 1, total: 1)
        let low = try Self.verified(fixture, town: "diksmuide", sequence: 1, total: 2)
        // A third session holds an uncommitted row with oostkamp's sequence 1, so the first
        // coordinator's batch [diksmuide 2, oostkamp 1] stops at its second item, inside its
        // transaction, after diksmuide 2 is inserted but before COMMIT.
        let raw = try PostgresConnection(url: try PostgresTestServer.url(schema: try #require(fixture.storage.schema)))
        defer { raw.close() }
        try raw.execute("BEGIN")
        try raw.query("SELECT set_config('townbench.tenant', $1, true)", [.text(Self.tenant)])
        try raw.run("""
            INSERT INTO submissions (tenant_id, town_id, submission_id, sequence, key_id, created_at, accepted_at,
                period_from, period_to, payload_digest, envelope_digest, envelope)
            VALUES ($1, 'oostkamp', 'blocker', 1, 'k', 'c', 'a', 'f', 't', '\\x00', '\\x00', '\\x00')
            """, [.text(Self.tenant)])
        let results = Mutex<[Int: [CommitOutcome]]>([:])
        let errors = Mutex<[String]>([])
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) {
            do { let r = try first.commit([high, filler], at: Date(), signer: nil); results.withLock { $0[1] = r } } catch { errors.withLock { $0.append("\(error)") } }
        }
        // Wait until the first coordinator's session is blocked by ours (not a timing guess).
        let firstPID = try Self.waitForSessionBlocked(by: raw.backendPID, observer: fixture)
        #expect(firstPID != nil, "the first coordinator never blocked on the uncommitted row")
        DispatchQueue.global().async(group: group) {
            do { let r = try second.commit([low], at: Date(), signer: nil); results.withLock { $0[2] = r } } catch { errors.withLock { $0.append("\(error)") } }
        }
        // The second coordinator must now wait for the first (its town lock); without that lock it
        // would finish at once and accept sequence 1 before sequence 2 commits.
        if let firstPID { _ = try Self.waitForSessionBlocked(by: firstPID, observer: fixture, timeout: 2) }
        try raw.execute("ROLLBACK")
        group.wait()
        #expect(errors.withLock { $0 } == [])
        let outcomes = results.withLock { $0 }
        let firstStored = (outcomes[1] ?? []).map { if case .stored = $0 { true } else { false } }
        #expect(firstStored == [true, true])
        guard case .refused(let refusal)? = outcomes[2]?.first else {
            Issue.record("sequence 1 was \(String(describing: outcomes[2])) although sequence 2 was being committed")
            return
        }
        #expect(refusal.reason == .sequenceNotIncreasing)
        #expect(try fixture.store.submissions(town: "diksmuide", .administrative(Self.tenant)).map(\.sequence) == [2])
    }

    /// The pid of a session blocked by `pid` (`pg_blocking_pids`), polling up to `timeout` seconds.
    static func waitForSessionBlocked(by pid: Int, observer fixture: BackendFixture, timeout: Double = 10) throws -> Int? {
        let observer = try PostgresConnection(url: try PostgresTestServer.url(schema: try #require(fixture.storage.schema)))
        defer { observer.close() }
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let blocked = try observer.query("SELECT pid FROM pg_stat_activity WHERE $1::int = ANY(pg_blocking_pids(pid))",
                                                [.int(pid)]).first {
                return try blocked.int(0)
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return nil
    }

    @Test("a lower sequence committed by the other coordinator after a higher one is refused")
    func lowerAfterHigher() throws {
        let fixture = try BackendFixture(.postgres)
        let second = try fixture.storage.reopen()
        defer { BackendStore.close(second) }
        let high = try Self.verified(fixture, town: "oostkamp", sequence: 9, total: 9)
        let low = try Self.verified(fixture, town: "oostkamp", sequence: 3, total: 3)
        guard case .stored = try fixture.store.commit([high], at: Date(), signer: nil).first else {
            Issue.record("the first submission was not stored")
            return
        }
        let outcome = try #require(try second.commit([low], at: Date(), signer: nil).first)
        guard case .refused(let refusal) = outcome else {
            Issue.record("sequence 3 after 9 was \(outcome)")
            return
        }
        #expect(refusal.reason == .sequenceNotIncreasing)
    }
}
