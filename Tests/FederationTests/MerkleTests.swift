import Federation
import Foundation
import TestSupport
import Testing

private let merkleVectors = Repository.vectors.appendingPathComponent("rfc6962-merkle/testdata")

private func files(_ sub: String) -> [String] {
    let base = merkleVectors.appendingPathComponent(sub)
    guard let e = FileManager.default.enumerator(atPath: base.path) else { return [] }
    return e.compactMap { $0 as? String }.filter { $0.hasSuffix(".json") }.sorted()
}

/// transparency-dev/merkle vectors: base64 strings (null = empty).
private func b64(_ s: String?) -> [UInt8] { s.flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) } ?? [] }

@Suite struct MerkleTests {
    struct InclusionCase: Decodable {
        var leafIdx: UInt64
        var treeSize: UInt64
        var root: String?
        var leafHash: String?
        var proof: [String]?
        var desc: String
        var wantErr: Bool
    }
    struct ConsistencyCase: Decodable {
        var size1: UInt64
        var size2: UInt64
        var root1: String?
        var root2: String?
        var proof: [String]?
        var desc: String
        var wantErr: Bool
    }

    static let inclusionFiles = files("inclusion")
    static let consistencyFiles = files("consistency")

    @Test func vectorCounts() {
        #expect(Self.inclusionFiles.count > 50)
        #expect(Self.consistencyFiles.count > 50)
    }

    @Test(arguments: inclusionFiles) func inclusion(_ file: String) throws {
        let c = try JSONDecoder().decode(
            InclusionCase.self, from: Data(contentsOf: merkleVectors.appendingPathComponent("inclusion/\(file)")))
        let result = Result { () throws(FederationError) in
            try Merkle.verifyInclusion(
                leafIndex: c.leafIdx, treeSize: c.treeSize, leafHash: b64(c.leafHash),
                proof: (c.proof ?? []).map { b64($0) }, root: b64(c.root))
        }
        switch result {
        case .success: #expect(!c.wantErr, "\(file) (\(c.desc)) verified but must fail")
        case .failure(let error):
            #expect(c.wantErr, "\(file) (\(c.desc)) failed: \(error)")
            #expect(error.code == .invalidProof)
        }
    }

    @Test(arguments: consistencyFiles) func consistency(_ file: String) throws {
        let c = try JSONDecoder().decode(
            ConsistencyCase.self, from: Data(contentsOf: merkleVectors.appendingPathComponent("consistency/\(file)")))
        let result = Result { () throws(FederationError) in
            try Merkle.verifyConsistency(
                size1: c.size1, size2: c.size2, root1: b64(c.root1), root2: b64(c.root2),
                proof: (c.proof ?? []).map { b64($0) })
        }
        switch result {
        case .success: #expect(!c.wantErr, "\(file) (\(c.desc)) verified but must fail")
        case .failure(let error): #expect(c.wantErr, "\(file) (\(c.desc)) failed: \(error)")
        }
    }

    /// RFC 6962's reference tree of 8 leaves (the inputs of transparency-dev's tests): roots
    /// from the tree builder must match the vectors' roots, and every generated proof verifies.
    @Test func generatedProofsVerifyAndMatchVectors() throws {
        let leaves: [[UInt8]] = [
            [], [0x00], [0x10], [0x20, 0x21], [0x30, 0x31], [0x40, 0x41, 0x42, 0x43],
            [0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57],
            [0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f],
        ]
        var tree = MerkleTree()
        for l in leaves { tree.append(entry: l) }
        // The 8-leaf root of the vectors' happy path ("XcnaeacG…").
        #expect(Base64.encode(tree.rootHash()) == "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=")
        #expect(Base64.encode(Merkle.leafHash([UInt8]())) == "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=")
        #expect(Base64.encode(Merkle.emptyRoot) == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
        // The happy-path inclusion proof of leaf 0 in size 8, as generated.
        let proof = try tree.inclusionProof(leafIndex: 0)
        #expect(
            proof.map { Base64.encode($0) } == [
                "lqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c=",
                "Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=",
                "a0eq8p7jwq+a+Im8H7klTavTEXfxYjLdaqsDXKOb9uQ=",
            ])
    }

    @Test func generatedProofsVerifyForEverySize() throws {
        var tree = MerkleTree()
        var roots: [[UInt8]] = [Merkle.emptyRoot]
        for i in 0..<70 {
            tree.append(entry: Array("entry \(i)".utf8))
            roots.append(tree.rootHash())
        }
        for n in UInt64(1)...70 {
            #expect(tree.rootHash(treeSize: n) == roots[Int(n)])
            for m in UInt64(0)..<n {
                let proof = try tree.inclusionProof(leafIndex: m, treeSize: n)
                #expect(proof.count <= 7)
                try Merkle.verifyInclusion(
                    leafIndex: m, treeSize: n, leafHash: tree.node(level: 0, index: m), proof: proof,
                    root: roots[Int(n)])
            }
            for m in UInt64(1)...n {
                let proof = try tree.consistencyProof(from: m, to: n)
                try Merkle.verifyConsistency(
                    size1: m, size2: n, root1: roots[Int(m)], root2: roots[Int(n)], proof: proof)
            }
        }
        // A rewritten leaf is caught.
        var forged = MerkleTree()
        for i in 0..<70 { forged.append(entry: Array((i == 3 ? "forged" : "entry \(i)").utf8)) }
        let proof = try forged.consistencyProof(from: 10, to: 70)
        #expect(throws: FederationError.self) {
            try Merkle.verifyConsistency(size1: 10, size2: 70, root1: roots[10], root2: forged.rootHash(), proof: proof)
        }
    }

    @Test func appendReturnsTheNodesToStore() {
        var tree = MerkleTree()
        #expect(tree.append(entry: [1]).map(\.level) == [0])
        #expect(tree.append(entry: [2]).map(\.level) == [0, 1])
        #expect(tree.append(entry: [3]).map(\.level) == [0])
        let fourth = tree.append(entry: [4])
        #expect(fourth.map(\.level) == [0, 1, 2])
        #expect(fourth.last?.hash == tree.rootHash())
    }
}

@Suite struct CheckpointTests {
    static let goText =
        "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
    static let goNote =
        goText
        + "\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"

    /// golang.org/x/mod/sumdb/note's example: verifier key, signer key and the signed note.
    @Test func goSumdbNoteKnownAnswer() throws {
        let verifier = try SignedNote.Verifier(
            encoded: "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
        let opened = try SignedNote.open(Self.goNote, verifiers: [verifier])
        #expect(opened.text == Self.goText && opened.verifiedBy == ["PeterNeumann"])
        // Signing with the published private key reproduces the note byte for byte.
        let skey = try #require(Base64.decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"))
        let signer = try SignedNote.Signer(name: "PeterNeumann", key: Ed25519.PrivateKey(seed: skey.dropFirst()))
        #expect(signer.verifier.encoded == verifier.encoded)
        #expect(try SignedNote.sign(text: Self.goText, signers: [signer]) == Self.goNote)
        // Tampered text fails; an unknown key alone is not enough.
        #expect(throws: FederationError.self) {
            try SignedNote.open(
                Self.goNote.replacingOccurrences(of: "problem,", with: "problem!"), verifiers: [verifier])
        }
        let other = try SignedNote.Signer(name: "Other", key: Ed25519.PrivateKey())
        #expect(throws: FederationError.self) { try SignedNote.open(Self.goNote, verifiers: [other.verifier]) }
    }

    @Test func checkpointRoundTrip() throws {
        var tree = MerkleTree()
        for i in 0..<5 { tree.append(entry: Array("e\(i)".utf8)) }
        let checkpoint = Checkpoint(
            origin: "coordinator.example.org/townbench/daks-west-flanders", size: 5, rootHash: tree.rootHash())
        let signer = try SignedNote.Signer(name: "coordinator.example.org/townbench", key: Ed25519.PrivateKey())
        let note = try SignedNote.sign(text: checkpoint.text, signers: [signer])
        let opened = try SignedNote.open(note, verifiers: [signer.verifier])
        #expect(try Checkpoint(text: opened.text) == checkpoint)
        #expect(
            checkpoint.text
                == "coordinator.example.org/townbench/daks-west-flanders\n5\n\(Base64.encode(tree.rootHash()))\n")
        #expect(throws: FederationError.self) {
            try Checkpoint(text: "origin\n05\n\(Base64.encode(tree.rootHash()))\n")
        }
        #expect(throws: FederationError.self) { try Checkpoint(text: "origin\n5\nAAAA\n") }
        #expect(throws: FederationError.self) {
            try SignedNote.Verifier(
                encoded: "bad+00000000+" + Base64.encode([0x01, 0x01] + [UInt8](repeating: 0, count: 31)))
        }
    }

    @Test func frontierAgreesWithTheFullTree() throws {
        var tree = MerkleTree()
        var frontier = MerkleFrontier()
        #expect(frontier.rootHash == Merkle.emptyRoot)
        for i in 0..<100 {
            let leaf = Merkle.leafHash(Array("entry \(i)".utf8))
            #expect(frontier.append(leafHash: leaf) == tree.append(leafHash: leaf))
            #expect(frontier.rootHash == tree.rootHash())
            // Stored and read back, it continues the same tree.
            frontier = try MerkleFrontier(size: frontier.size, encoded: frontier.encoded)
        }
        #expect(frontier.size == 100 && frontier.hashes.count == 3)
        #expect(throws: FederationError.self) { try MerkleFrontier(size: 7, hashes: [Merkle.emptyRoot]) }
    }
}
