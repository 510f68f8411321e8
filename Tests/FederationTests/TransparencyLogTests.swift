import Federation
import Foundation
import TestSupport
import Testing

private let logDir = Repository.root.appendingPathComponent("Federation/vectors/log")
private let origin = "coordinator.example.org/townbench/daks-west-flanders"

private func text(_ name: String) throws -> String {
    try String(contentsOf: logDir.appendingPathComponent(name), encoding: .utf8)
}
private func entry(_ i: Int) throws -> [UInt8] {
    Array(try Data(contentsOf: logDir.appendingPathComponent("entries/\(i).json")))
}

/// Runs the committed log vectors the way a node's `verify` would.
@Suite struct TransparencyLogTests {
    func verifier() throws -> SignedNote.Verifier {
        try SignedNote.Verifier(encoded: text("coordinator.vkey").trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func checkpointsOpenAndProofsVerify() throws {
        let v = try verifier()
        // The coordinator key is the RFC 8032 TEST 2 key.
        #expect(v.publicKey.description == "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c")
        let c3 = try TransparencyLog.openCheckpoint(text("checkpoint-3.note"), verifier: v, origin: origin)
        let c5 = try TransparencyLog.openCheckpoint(text("checkpoint-5.note"), verifier: v, origin: origin)
        #expect(c3.size == 3 && c5.size == 5)
        // Roots computed independently (Python, RFC 6962 MTH over the entry files).
        #expect(Base64.encode(c5.rootHash) == "wSpWotvBjfhbKvb8nBWcpo2YgQ+UCgWDkAgeFrnT/cM=")
        #expect(Base64.encode(c3.rootHash) == "JYXZNUxugczZvQq1ys4+y3nAbvfnG0T/3xiFzNsdkSY=")

        let inclusion = try JSONDecoder().decode(
            TransparencyLog.InclusionProof.self,
            from: Data(contentsOf: logDir.appendingPathComponent("inclusion-2-in-5.json")))
        try TransparencyLog.verifyInclusion(of: entry(2), proof: inclusion, in: c5)
        // The same proof does not vouch for another submission's bytes.
        #expect(throws: FederationError.self) {
            try TransparencyLog.verifyInclusion(of: entry(3), proof: inclusion, in: c5)
        }

        let consistency = try JSONDecoder().decode(
            TransparencyLog.ConsistencyProof.self,
            from: Data(contentsOf: logDir.appendingPathComponent("consistency-3-to-5.json")))
        try TransparencyLog.verifyConsistency(from: c3, to: c5, proof: consistency)

        // Recomputing the log from its entries gives the same checkpoints.
        var tree = MerkleTree()
        for i in 0..<5 { tree.append(entry: try entry(i)) }
        #expect(tree.rootHash() == c5.rootHash && tree.rootHash(treeSize: 3) == c3.rootHash)
    }

    @Test func splitViewIsCaught() throws {
        let v = try verifier()
        let c3 = try TransparencyLog.openCheckpoint(text("checkpoint-3.note"), verifier: v, origin: origin)
        let c5 = try TransparencyLog.openCheckpoint(text("checkpoint-5.note"), verifier: v, origin: origin)
        let split = try TransparencyLog.openCheckpoint(
            text("checkpoint-5-split-view.note"), verifier: v, origin: origin)
        // Two validly signed roots at one size: proof of a split view.
        #expect(split.size == c5.size && split.rootHash != c5.rootHash)
        do {
            try TransparencyLog.verifyConsistency(from: c5, to: split, proof: .init(size1: 5, size2: 5, proof: []))
            Issue.record("split view not detected")
        } catch {
            #expect(error.message.contains("split view"))
        }
        // The forged tree rewrote entry 1, so it is not consistent with checkpoint 3.
        let forged = try JSONDecoder().decode(
            TransparencyLog.ConsistencyProof.self,
            from: Data(contentsOf: logDir.appendingPathComponent("consistency-3-to-5-split-view.json")))
        do {
            try TransparencyLog.verifyConsistency(from: c3, to: split, proof: forged)
            Issue.record("rewritten history not detected")
        } catch {
            #expect(error.code == .invalidProof)
        }
    }

    @Test func checkpointFromAnotherLogOrKeyIsRefused() throws {
        let v = try verifier()
        #expect(throws: FederationError.self) {
            try TransparencyLog.openCheckpoint(text("checkpoint-5.note"), verifier: v, origin: "other/log")
        }
        let stranger = SignedNote.Verifier(name: v.name, publicKey: try Ed25519.PrivateKey().publicKey)
        #expect(throws: FederationError.self) {
            try TransparencyLog.openCheckpoint(text("checkpoint-5.note"), verifier: stranger, origin: origin)
        }
    }

    @Test func verifierKeysRoundTripEvenWhenTheirBase64HoldsAPlus() throws {
        var withPlus = 0
        for _ in 0..<64 {
            let verifier = try SignedNote.Signer(name: "coordinator.example.org", key: try Ed25519.PrivateKey()).verifier
            if verifier.encoded.split(separator: "+").count > 3 { withPlus += 1 }
            #expect(try SignedNote.Verifier(encoded: verifier.encoded) == verifier)
        }
        #expect(withPlus > 0)  // a key's 44 base64 characters hold a '+' about half the time
        #expect(throws: FederationError.self) { try SignedNote.Verifier(encoded: "name+00000000+AQ==") }
    }
}
