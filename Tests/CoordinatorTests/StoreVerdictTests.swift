@testable import Coordinator
import Federation
import Foundation
import Testing
import TestSupport

/// The replay and ordering verdict is written once (``SubmissionCheck/replay(_:submissionID:payloadDigest:)``,
/// ``SubmissionCheck/ordering(_:sequence:)``): a store re-checking inside its transaction refuses
/// with the code and message the worker's check gives for the same state.
@Suite struct StoreVerdictTests {
    static let tenant = Fixture.tenantA
    static let town = "veurne"
    static let week45 = String(repeating: "0", count: 30) + "45", week46 = String(repeating: "0", count: 30) + "46"

    /// A submission that passed the worker's check against an empty state (as a racer that read
    /// before the first commit sees it), and its bytes.
    static func verified(_ fixture: BackendFixture, sequence: Int, total: Double, id: String) throws -> (VerifiedSubmission, [UInt8]) {
        let bytes = try fixture.envelope(tenant, town, sequence: sequence, [DayData(date: "2026-11-02", sensors: [("a", total)])],
                                         submissionID: id)
        let decision = try check(fixture, bytes, state: TownSubmissionState())
        guard case .accepted(let accepted) = decision else {
            Issue.record("the submission was not accepted by the check: \(decision)")
            throw CoordinatorError(.invalidArgument, "not accepted")
        }
        return (VerifiedSubmission(scope: .administrative(tenant), accepted: accepted, body: bytes), bytes)
    }

    static func check(_ fixture: BackendFixture, _ bytes: [UInt8], state: TownSubmissionState) throws -> SubmissionDecision {
        let key = try #require(fixture.keys["\(tenant)/\(town)"])
        let record = KeyRecord(keyID: key.publicKey.keyID, publicKey: key.publicKey, tenantID: tenant, townID: town,
                               enrolledAt: Date(timeIntervalSince1970: 0))
        return SubmissionCheck.check(bytes, policy: TenantSubmissionPolicy(tenantID: tenant), now: Date(),
                                     keys: { $0 == record.keyID ? record : nil }, state: { _, _ in state })
    }

    /// The store's outcome for `late` (checked before `first` was stored) and the check's decision
    /// on the same bytes against the state the store holds after `first`.
    static func bothVerdicts(_ backend: StoreBackend, first: (Int, Double, String), late: (Int, Double, String)) throws
        -> (store: CommitOutcome, check: SubmissionDecision) {
        let fixture = try BackendFixture(backend)
        let (stored, _) = try verified(fixture, sequence: first.0, total: first.1, id: first.2)
        let (racer, bytes) = try verified(fixture, sequence: late.0, total: late.1, id: late.2)
        guard case .stored = try #require(try fixture.store.commit([stored], at: Date(), signer: nil).first) else {
            Issue.record("the first submission was not stored")
            throw CoordinatorError(.invalidArgument, "not stored")
        }
        let outcome = try #require(try fixture.store.commit([racer], at: Date(), signer: nil).first)
        let state = try fixture.store.submissionState(town: town, submissionID: late.2, .administrative(tenant))
        return (outcome, try check(fixture, bytes, state: state))
    }

    @Test(arguments: StoreBackend.available) func aStoreRefusesAReplayAsTheCheckDoes(_ backend: StoreBackend) throws {
        let (store, check) = try Self.bothVerdicts(backend, first: (1, 10, Self.week45), late: (2, 20, Self.week45))
        guard case .refused(let stored) = store, case .refused(let checked) = check else {
            Issue.record("expected two refusals, got \(store) and \(check)")
            return
        }
        #expect(stored.reason == .replayDifferentBytes)
        #expect(stored == checked)
    }

    @Test(arguments: StoreBackend.available) func aStoreRefusesAnOldSequenceAsTheCheckDoes(_ backend: StoreBackend) throws {
        let (store, check) = try Self.bothVerdicts(backend, first: (3, 10, Self.week45), late: (3, 20, Self.week46))
        guard case .refused(let stored) = store, case .refused(let checked) = check else {
            Issue.record("expected two refusals, got \(store) and \(check)")
            return
        }
        #expect(stored.reason == .sequenceNotIncreasing)
        #expect(stored == checked)
    }

    @Test(arguments: StoreBackend.available) func aStoreAcknowledgesTheSameBytesAgain(_ backend: StoreBackend) throws {
        let fixture = try BackendFixture(backend)
        let (item, bytes) = try Self.verified(fixture, sequence: 1, total: 10, id: Self.week45)
        guard case .stored(let receipt) = try #require(try fixture.store.commit([item], at: Date(), signer: nil).first) else {
            Issue.record("the submission was not stored")
            return
        }
        #expect(try fixture.store.commit([item], at: Date(), signer: nil) == [.duplicate(receipt)])
        let state = try fixture.store.submissionState(town: Self.town, submissionID: Self.week45, .administrative(Self.tenant))
        #expect(try Self.check(fixture, bytes, state: state) == .duplicate(submissionID: Self.week45))
    }
}

/// Log sizes from a query string reach the stores as signed 64-bit integers.
@Suite struct TreeSizeBoundsTests {
    /// A size beyond Int64.max was converted with `Int64(_:)` in the stores and stopped the coordinator.
    @Test func aTreeSizeBeyondTheStoresRangeIsRefused() throws {
        let fixture = try Fixture()
        let tenant = Fixture.tenantA
        for query in ["treeSize=18446744073709551615", "treeSize=9223372036854775808"] {
            let response = try http(fixture.port, "GET", "/v1/tenants/\(tenant)/log/checkpoint?\(query)",
                                    token: try fixture.token("\(tenant)/auditor"))
            #expect(response.status == 400, "\(query): \(response.status)")
        }
    }
}

extension TreeSizeBoundsTests {
    /// The command line (`report recompute --checkpoint`, `log entries`) reaches the stores with sizes
    /// of its own: beyond Int64.max they are refused, not converted with a trap.
    @Test(arguments: StoreBackend.available) func theStoresRefuseASizeBeyondTheirRange(_ backend: StoreBackend) throws {
        let storage = try BackendStore(backend)
        let scope = TenantScope.administrative("daks")
        try storage.store.addTenant(Tenant(id: "daks", name: "DAKS"))
        for size in [UInt64.max, UInt64(Int64.max) + 1] {
            let error = try #require(throws: CoordinatorError.self) { try storage.store.storedCheckpoint(treeSize: size, scope) }
            #expect(error.code == .invalidArgument, "\(error)")
            #expect(throws: CoordinatorError.self) { try storage.store.publishedReports(treeSize: size, scope) }
            #expect(throws: CoordinatorError.self) { try storage.store.logEntries(0..<size, scope) }
        }
    }
}
