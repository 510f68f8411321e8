/// The wire forms of transparency-log proofs, shared by the coordinator (which serves them) and
/// the node (which checks them offline), plus the checks a node runs.
///
/// Why here: both sides must agree on the JSON exactly, and the node's `verify` must apply the
/// same rules the tests apply to the RFC 9162 vectors. Hashes are standard base64 (as in C2SP
/// checkpoints); the checkpoint travels as its full signed note.
public enum TransparencyLog {
    /// `GET …/log/inclusion?submission=…&treeSize=…`: proof that one submission's exact envelope
    /// bytes are leaf `leafIndex` of the log at `treeSize`.
    public struct InclusionProof: Codable, Sendable, Hashable {
        public var leafIndex: UInt64
        public var treeSize: UInt64
        /// base64 of the leaf hash SHA-256(0x00 ‖ envelope bytes).
        public var leafHash: String
        /// base64 hashes, leaf to root.
        public var proof: [String]
        public init(leafIndex: UInt64, treeSize: UInt64, leafHash: [UInt8], proof: [[UInt8]]) {
            self.leafIndex = leafIndex
            self.treeSize = treeSize
            self.leafHash = Base64.encode(leafHash)
            self.proof = proof.map { Base64.encode($0) }
        }
    }

    /// `GET …/log/consistency?from=…&to=…`: proof that the log at `size2` extends the one at `size1`.
    public struct ConsistencyProof: Codable, Sendable, Hashable {
        public var size1: UInt64
        public var size2: UInt64
        public var proof: [String]
        public init(size1: UInt64, size2: UInt64, proof: [[UInt8]]) {
            self.size1 = size1
            self.size2 = size2
            self.proof = proof.map { Base64.encode($0) }
        }
    }

    /// `GET …/log/checkpoint`: a signed checkpoint with what a node needs to check it. A node
    /// never trusts ``verifierKey`` as sent: its public key must be the coordinator key it pinned.
    public struct SignedCheckpoint: Codable, Sendable, Hashable {
        public var origin: String
        public var treeSize: UInt64
        /// base64 of the root hash.
        public var rootHash: String
        /// The whole C2SP signed note (text, signature lines included).
        public var note: String
        /// `<name>+<key id hex>+<base64(0x01 ‖ key)>`.
        public var verifierKey: String
        public init(origin: String, treeSize: UInt64, rootHash: [UInt8], note: String, verifierKey: String) {
            self.origin = origin
            self.treeSize = treeSize
            self.rootHash = Base64.encode(rootHash)
            self.note = note
            self.verifierKey = verifierKey
        }

        /// The state it signs, as reports name it.
        public var reference: CheckpointReference {
            CheckpointReference(origin: origin, treeSize: treeSize, rootHash: rootHash)
        }
    }

    /// The log state a report or figure was computed from: its leaves 0..<treeSize, after
    /// supersession, are exactly the input. Why in every figure: a town can ask for the signed
    /// checkpoint of that size and check its submissions were in it.
    public struct CheckpointReference: Codable, Sendable, Hashable {
        public var origin: String
        public var treeSize: UInt64
        /// base64 of the root hash.
        public var rootHash: String
        public init(origin: String, treeSize: UInt64, rootHash: String) {
            self.origin = origin
            self.treeSize = treeSize
            self.rootHash = rootHash
        }
    }

    static func decodeHashes(_ values: [String]) throws(FederationError) -> [[UInt8]] {
        var out: [[UInt8]] = []
        for v in values {
            guard let h = Base64.decode(v), h.count == 32 else {
                throw FederationError(code: .invalidProof, message: "A proof hash is not 32 bytes of base64: \"\(v)\".")
            }
            out.append(h)
        }
        return out
    }

    /// Opens a checkpoint note signed by the coordinator's `verifier` and checks its origin.
    /// Throws `invalid_proof` naming what failed (bad signature, other origin, malformed).
    public static func openCheckpoint(_ note: String, verifier: SignedNote.Verifier, origin: String)
        throws(FederationError) -> Checkpoint
    {
        let opened = try SignedNote.open(note, verifiers: [verifier])
        let checkpoint = try Checkpoint(text: opened.text)
        guard checkpoint.origin == origin else {
            throw FederationError(
                code: .invalidProof,
                message: "The checkpoint is for log \"\(checkpoint.origin)\", expected \"\(origin)\".")
        }
        return checkpoint
    }

    /// Checks that `envelopeBytes` (exactly as the node sent them) are in the log state of
    /// `checkpoint`: the proof's leaf hash must be the hash of those bytes, and the proof must
    /// lead to the checkpoint's root at its size. Throws `invalid_proof` saying what failed.
    public static func verifyInclusion(
        of envelopeBytes: some Collection<UInt8>, proof: InclusionProof,
        in checkpoint: Checkpoint
    ) throws(FederationError) {
        let expected = Merkle.leafHash(envelopeBytes)
        guard Base64.decode(proof.leafHash) == expected else {
            throw FederationError(
                code: .invalidProof,
                message:
                    "The log's leaf \(proof.leafIndex) is not the bytes this node sent: the stored submission was altered or replaced."
            )
        }
        guard proof.treeSize == checkpoint.size else {
            throw FederationError(
                code: .invalidProof,
                message: "The proof is for tree size \(proof.treeSize), the checkpoint has \(checkpoint.size).")
        }
        try Merkle.verifyInclusion(
            leafIndex: proof.leafIndex, treeSize: proof.treeSize, leafHash: expected,
            proof: try decodeHashes(proof.proof), root: checkpoint.rootHash)
    }

    /// Checks that `new` extends `old` (same origin, not smaller, consistency proof verifies;
    /// equal sizes need equal roots). Throws `invalid_proof`: "history was rewritten", "split view", ….
    public static func verifyConsistency(from old: Checkpoint, to new: Checkpoint, proof: ConsistencyProof)
        throws(FederationError)
    {
        guard old.origin == new.origin else {
            throw FederationError(
                code: .invalidProof, message: "The checkpoints belong to different logs (\(old.origin), \(new.origin))."
            )
        }
        guard proof.size1 == old.size, proof.size2 == new.size else {
            throw FederationError(
                code: .invalidProof,
                message:
                    "The consistency proof is for sizes \(proof.size1)→\(proof.size2), the checkpoints are \(old.size)→\(new.size)."
            )
        }
        if old.size == 0 {
            guard old.rootHash == Merkle.emptyRoot else {
                throw FederationError(code: .invalidProof, message: "A checkpoint of size 0 must have the empty root.")
            }
            return
        }
        try Merkle.verifyConsistency(
            size1: old.size, size2: new.size, root1: old.rootHash, root2: new.rootHash,
            proof: try decodeHashes(proof.proof))
    }
}
