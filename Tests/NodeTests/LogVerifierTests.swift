import Federation
import Foundation
@testable import Node
import Testing

/// ``LogVerifier`` without a store or a server: checkpoints and proofs are fed to it directly
/// from in-memory logs, including a rolled-back and a forked one (issue 21, item 3).
struct LogVerifierTests {
    /// A log served from memory: `tree` answers checkpoints and proofs, signed by `signer`.
    struct MemoryLog: LogSource {
        var tree: MerkleTree
        var ids: [String]
        let signer: SignedNote.Signer
        let origin: String

        func checkpoint(treeSize: UInt64?) throws -> TransparencyLog.SignedCheckpoint? {
            let size = treeSize ?? tree.size
            guard size <= tree.size else { return nil }
            let checkpoint = Checkpoint(origin: origin, size: size, rootHash: tree.rootHash(treeSize: size))
            return TransparencyLog.SignedCheckpoint(origin: origin, treeSize: size, rootHash: checkpoint.rootHash,
                                                    note: try SignedNote.sign(text: checkpoint.text, signers: [signer]),
                                                    verifierKey: signer.verifier.encoded)
        }
        func consistencyProof(from: UInt64, to: UInt64) throws -> TransparencyLog.ConsistencyProof {
            TransparencyLog.ConsistencyProof(size1: from, size2: to, proof: try tree.consistencyProof(from: from, to: to))
        }
        func inclusionProof(submission: String, treeSize: UInt64) throws -> TransparencyLog.InclusionProof? {
            guard let index = ids.firstIndex(of: submission), UInt64(index) < treeSize else { return nil }
            return TransparencyLog.InclusionProof(leafIndex: UInt64(index), treeSize: treeSize, leafHash: Merkle.leafHash(leaf(index)),
                                                  proof: try tree.inclusionProof(leafIndex: UInt64(index), treeSize: treeSize))
        }
        func report(from: String, to: String) throws -> [UInt8]? { nil }

        func leaf(_ index: Int) -> [UInt8] { Array("submission \(ids[index])".utf8) }
    }

    let key: Ed25519.PrivateKey
    let signer: SignedNote.Signer

    init() throws {
        key = try Ed25519.PrivateKey()
        signer = try SignedNote.Signer(name: "memory-coordinator", key: key)
    }

    /// A log of `count` leaves (`s0`, `s1`, …), or of `forged` leaves instead where given.
    func log(_ count: Int, forging forged: [Int: String] = [:]) -> MemoryLog {
        let ids = (0..<count).map { "s\($0)" }
        var tree = MerkleTree()
        for index in 0..<count { tree.append(entry: Array((forged[index] ?? "submission \(ids[index])").utf8)) }
        return MemoryLog(tree: tree, ids: ids, signer: signer, origin: "memory-coordinator/townbench/daks")
    }

    func verifier(_ source: MemoryLog) -> LogVerifier {
        LogVerifier(pinned: key.publicKey, tenant: "daks", source: source)
    }

    /// What an honest log of `size` gives to keep.
    func stored(_ source: MemoryLog) throws -> StoredCheckpoint {
        let (result, accepted) = try verifier(source).verify(stored: nil, acknowledged: [], reportPeriod: nil)
        #expect(result.passed)
        return try #require(accepted?.checkpoint)
    }

    func acknowledged(_ source: MemoryLog, _ indices: Range<Int>) -> [AcknowledgedSubmission] {
        indices.map { AcknowledgedSubmission(id: source.ids[$0], acknowledgedAt: "2025-06-30T00:00:00Z", envelope: source.leaf($0)) }
    }

    @Test func anHonestLogThatGrewVerifiesWithEverySubmissionIncluded() throws {
        let old = try stored(log(3))
        let grown = log(5)
        let (result, accepted) = try verifier(grown).verify(stored: old, acknowledged: acknowledged(grown, 0..<5), reportPeriod: nil)
        #expect(result.failures == [])
        #expect(result.previousTreeSize == 3 && result.treeSize == 5 && result.submissionsIncluded == 5)
        #expect(accepted?.checkpoint.treeSize == 5)
    }

    @Test func aRolledBackLogIsHistoryRewrittenAndNothingIsKept() throws {
        let old = try stored(log(5))
        let (result, accepted) = try verifier(log(3)).verify(stored: old, acknowledged: [], reportPeriod: nil)
        #expect(result.failures.map(\.reason) == ["history_rewritten"])
        #expect(result.failures.first?.message.contains("the log shrank from size 5 (stored) to 3 (served now)") == true)
        #expect(accepted == nil)
    }

    @Test func aForkedLogIsASplitViewAtTheSameSizeAndRewrittenHistoryWhenLarger() throws {
        let old = try stored(log(4))
        let fork = log(4, forging: [1: "another leaf"])
        let (same, keptSame) = try verifier(fork).verify(stored: old, acknowledged: [], reportPeriod: nil)
        #expect(same.failures.map(\.reason) == ["split_view"])
        #expect(keptSame == nil)
        let grownFork = log(6, forging: [1: "another leaf"])
        let (larger, keptLarger) = try verifier(grownFork).verify(stored: old, acknowledged: [], reportPeriod: nil)
        #expect(larger.failures.map(\.reason) == ["history_rewritten"])
        #expect(keptLarger == nil)
    }

    @Test func aDroppedOrAlteredSubmissionIsNamed() throws {
        let honest = log(3)
        var submissions = acknowledged(honest, 0..<3)
        submissions.append(AcknowledgedSubmission(id: "s9", acknowledgedAt: "2025-06-30T00:00:00Z", envelope: Array("s9".utf8)))
        submissions[1].envelope += Array(" changed".utf8)
        let (result, accepted) = try verifier(honest).verify(stored: nil, acknowledged: submissions, reportPeriod: nil)
        #expect(result.failures.map(\.reason) == ["altered_submission", "missing_submission"])
        #expect(result.submissionsIncluded == 2 && result.submissionsChecked == 4)
        #expect(accepted == nil)
    }

    @Test func aCheckpointSignedByAnotherKeyIsRefused() throws {
        let other = try LogVerifier(pinned: Ed25519.PrivateKey().publicKey, tenant: "daks", source: log(2))
        let (result, _) = try other.verify(stored: nil, acknowledged: [], reportPeriod: nil)
        #expect(result.failures.map(\.reason) == ["bad_signature"])
        let wrongTenant = LogVerifier(pinned: key.publicKey, tenant: "west-flanders", source: log(2))
        #expect(try wrongTenant.verify(stored: nil, acknowledged: [], reportPeriod: nil).0.failures.map(\.reason) == ["wrong_origin"])
    }

    @Test func compareFindsASplitViewBetweenTwoTowns() throws {
        let own = try stored(log(4))
        let theirs = try #require(try log(4, forging: [2: "forged"]).checkpoint(treeSize: nil))
        #expect(throws: NodeError.self) { try verifier(log(4)).compare(stored: own, note: theirs.note) }
        let later = try #require(try log(6).checkpoint(treeSize: nil))
        #expect(try verifier(log(6)).compare(stored: own, note: later.note).consistent)
    }
}
