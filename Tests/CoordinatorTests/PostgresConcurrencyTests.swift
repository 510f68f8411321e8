// Two coordinators on one PostgreSQL database: two PostgresCoordinatorStore instances, each with
// its own connections (as two processes have), committing the same towns at the same moment.
@testable import Coordinator
import Dispatch
import Federation
import Foundation
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
                        let result = try stores[i].commit(batches[i], at: Date())
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
        let towns = Fixture.townsA
        for round in 1...10 {
            let forward = try towns.map { try Self.verified(fixture, town: $0, sequence: round, total: 1) }
            let backward = try towns.reversed().map { try Self.verified(fixture, town: $0, sequence: round, total: 2) }
            let batches = [forward, backward]
            let stored = Mutex<[String]>([])
            let errors = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 2) { i in
                do {
                    let outcomes = try stores[i].commit(batches[i], at: Date())
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

    @Test("a lower sequence committed by the other coordinator after a higher one is refused")
    func lowerAfterHigher() throws {
        let fixture = try BackendFixture(.postgres)
        let second = try fixture.storage.reopen()
        defer { BackendStore.close(second) }
        let high = try Self.verified(fixture, town: "oostkamp", sequence: 9, total: 9)
        let low = try Self.verified(fixture, town: "oostkamp", sequence: 3, total: 3)
        guard case .stored = try fixture.store.commit([high], at: Date()).first else {
            Issue.record("the first submission was not stored")
            return
        }
        let outcome = try #require(try second.commit([low], at: Date()).first)
        guard case .refused(let refusal) = outcome else {
            Issue.record("sequence 3 after 9 was \(outcome)")
            return
        }
        #expect(refusal.reason == .sequenceNotIncreasing)
    }
}
