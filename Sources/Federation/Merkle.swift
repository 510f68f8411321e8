/// RFC 6962 / RFC 9162 Merkle tree hashing, proof verification and proof generation.
///
/// Why: each tenant's accepted submissions form an append-only Merkle log (issue 9), so a town
/// can check offline that its exact envelope bytes are in the state a report was computed from
/// (inclusion) and that the log was never rewritten (consistency). Hashes: leaf = SHA-256(0x00 ‖
/// bytes), node = SHA-256(0x01 ‖ left ‖ right), empty tree = SHA-256(""). Verification follows
/// RFC 9162 sections 2.1.3.2 and 2.1.4.2; tested against transparency-dev/merkle's vectors.
/// See https://www.rfc-editor.org/rfc/rfc9162#section-2.1
public enum Merkle {
    /// The hash of an empty tree: SHA-256 of no bytes.
    public static let emptyRoot: [UInt8] = SHA256.hash([UInt8]())

    /// The leaf hash of `entry` (for the log: the exact envelope bytes).
    public static func leafHash(_ entry: some Collection<UInt8>) -> [UInt8] {
        var buffer = [UInt8]()
        buffer.reserveCapacity(entry.count + 1)
        buffer.append(0)
        buffer.append(contentsOf: entry)
        return SHA256.hash(buffer)
    }

    /// The interior node hash of two children.
    public static func nodeHash(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        var buffer = [UInt8]()
        buffer.reserveCapacity(1 + left.count + right.count)
        buffer.append(1)
        buffer.append(contentsOf: left)
        buffer.append(contentsOf: right)
        return SHA256.hash(buffer)
    }

    static func fail(_ message: String) -> FederationError {
        FederationError(code: .invalidProof, message: message)
    }

    // MARK: Verification

    /// The root that an inclusion proof implies (RFC 9162 2.1.3.2 steps 1–6). Throws for an
    /// index outside the tree or a proof of the wrong length.
    public static func rootFromInclusionProof(
        leafIndex: UInt64, treeSize: UInt64, leafHash: [UInt8],
        proof: [[UInt8]]
    ) throws(FederationError) -> [UInt8] {
        guard leafIndex < treeSize else {
            throw fail("Leaf index \(leafIndex) is not inside a tree of size \(treeSize).")
        }
        guard leafHash.count == 32, proof.allSatisfy({ $0.count == 32 }) else {
            throw fail("Leaf hashes and proof hashes are 32-byte SHA-256 values.")
        }
        var fn = leafIndex
        var sn = treeSize - 1
        var r = leafHash
        for p in proof {
            guard sn != 0 else { throw fail("The inclusion proof is longer than a tree of size \(treeSize) allows.") }
            if fn & 1 == 1 || fn == sn {
                r = nodeHash(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else { throw fail("The inclusion proof is shorter than a tree of size \(treeSize) needs.") }
        return r
    }

    /// Verifies that `leafHash` is leaf `leafIndex` of the tree of `treeSize` with `root`.
    /// Throws `invalid_proof` saying what failed.
    public static func verifyInclusion(
        leafIndex: UInt64, treeSize: UInt64, leafHash: [UInt8], proof: [[UInt8]],
        root: [UInt8]
    ) throws(FederationError) {
        let computed = try rootFromInclusionProof(
            leafIndex: leafIndex, treeSize: treeSize, leafHash: leafHash, proof: proof)
        guard computed == root else {
            throw fail(
                "Leaf \(leafIndex) is not in the tree of size \(treeSize) with root \(Hex.encode(root)): the proof leads to \(Hex.encode(computed))."
            )
        }
    }

    /// Verifies that the tree of `size2` with `root2` extends the tree of `size1` with `root1`
    /// (nothing rewritten). A proof from the empty tree is refused (it proves nothing: compare
    /// the root with ``emptyRoot`` instead). Throws `invalid_proof` saying what failed.
    public static func verifyConsistency(
        size1: UInt64, size2: UInt64, root1: [UInt8], root2: [UInt8],
        proof: [[UInt8]]
    ) throws(FederationError) {
        guard size1 <= size2 else {
            throw fail("The first tree size \(size1) is larger than the second \(size2): the log shrank.")
        }
        guard size1 > 0 else { throw fail("A consistency proof from the empty tree proves nothing.") }
        if size1 == size2 {
            guard proof.isEmpty else { throw fail("Trees of equal size need an empty consistency proof.") }
            guard root1 == root2 else {
                throw fail("Two different roots for tree size \(size1): the log shows a split view.")
            }
            return
        }
        guard !proof.isEmpty else { throw fail("The consistency proof from \(size1) to \(size2) is empty.") }
        guard proof.allSatisfy({ $0.count == 32 }) else { throw fail("Proof hashes are 32-byte SHA-256 values.") }
        var path = proof
        if size1 & (size1 - 1) == 0 { path.insert(root1, at: 0) }  // size1 is a power of two
        var fn = size1 - 1
        var sn = size2 - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = path[0]
        var sr = path[0]
        for c in path.dropFirst() {
            guard sn != 0 else { throw fail("The consistency proof from \(size1) to \(size2) is too long.") }
            if fn & 1 == 1 || fn == sn {
                fr = nodeHash(c, fr)
                sr = nodeHash(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = nodeHash(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else { throw fail("The consistency proof from \(size1) to \(size2) is too short.") }
        guard fr == root1 else {
            throw fail(
                "The log of size \(size2) does not contain the tree of size \(size1) with root \(Hex.encode(root1)): history was rewritten."
            )
        }
        guard sr == root2 else {
            throw fail("The consistency proof does not lead to the root \(Hex.encode(root2)) of size \(size2).")
        }
    }

    // MARK: Generation from stored node hashes

    /// Hash of the complete subtree at `level` (0 = leaves) and `index` (covering leaves
    /// index·2^level ..< (index+1)·2^level), as stored by the log (see ``MerkleTree/append(leafHash:)``).
    public typealias NodeReader = (_ level: Int, _ index: UInt64) throws -> [UInt8]

    /// Hash of leaves `start ..< end`, where `start` is a multiple of the largest power of two
    /// below `end - start` (always true in RFC 9162's recursion): complete subtrees are read,
    /// an incomplete right edge is recomputed from its complete parts (≤ log2 n reads).
    static func subtreeHash(_ start: UInt64, _ end: UInt64, _ read: NodeReader) rethrows -> [UInt8] {
        let n = end - start
        if n & (n - 1) == 0 {
            let level = n.trailingZeroBitCount
            return try read(level, start >> UInt64(level))
        }
        let k = largestPowerOfTwo(below: n)
        return nodeHash(try subtreeHash(start, start + k, read), try subtreeHash(start + k, end, read))
    }

    /// The largest power of two strictly below `n` (n ≥ 2).
    static func largestPowerOfTwo(below n: UInt64) -> UInt64 {
        UInt64(1) << UInt64(63 - (n - 1).leadingZeroBitCount)
    }

    /// The root of the tree of `treeSize` leaves from stored node hashes.
    public static func rootHash(treeSize: UInt64, nodes read: NodeReader) rethrows -> [UInt8] {
        treeSize == 0 ? emptyRoot : try subtreeHash(0, treeSize, read)
    }

    /// The RFC 9162 inclusion proof (PATH) of leaf `leafIndex` in the tree of `treeSize`
    /// (`ceil(log2 n)` hashes at most), from stored node hashes.
    public static func inclusionProof(leafIndex: UInt64, treeSize: UInt64, nodes read: NodeReader) throws -> [[UInt8]] {
        guard leafIndex < treeSize else {
            throw fail("Leaf index \(leafIndex) is not inside a tree of size \(treeSize).")
        }
        var proof: [[UInt8]] = []
        var start: UInt64 = 0
        var end = treeSize
        var m = leafIndex
        // Walk down from the root, collecting siblings; the proof lists them leaf-first.
        while end - start > 1 {
            let k = largestPowerOfTwo(below: end - start)
            if m < k {
                proof.append(try subtreeHash(start + k, end, read))
                end = start + k
            } else {
                proof.append(try subtreeHash(start, start + k, read))
                start += k
                m -= k
            }
        }
        return proof.reversed()
    }

    /// The RFC 9162 consistency proof (SUBPROOF) from tree size `size1` to `size2`, from stored
    /// node hashes. Empty when the sizes are equal.
    public static func consistencyProof(size1: UInt64, size2: UInt64, nodes read: NodeReader) throws -> [[UInt8]] {
        guard size1 <= size2 else { throw fail("The first tree size \(size1) is larger than the second \(size2).") }
        guard size1 > 0, size1 < size2 else { return [] }
        var proof: [[UInt8]] = []
        var start: UInt64 = 0
        var end = size2
        var m = size1
        var complete = true  // b in RFC 9162: whether the subtree for m is the old tree itself
        while true {
            let n = end - start
            if m == n {
                if !complete { proof.append(try subtreeHash(start, end, read)) }
                break
            }
            let k = largestPowerOfTwo(below: n)
            if m <= k {
                proof.append(try subtreeHash(start + k, end, read))
                end = start + k
            } else {
                proof.append(try subtreeHash(start, start + k, read))
                start += k
                m -= k
                complete = false
            }
        }
        return proof.reversed()
    }
}

/// An in-memory append-only Merkle tree keeping every complete subtree hash.
///
/// Why: the reference for the coordinator's stored log (which keeps the same (level, index) →
/// hash rows in its database, written in the submission's transaction), for tests and
/// benchmarks, and for a node that wants to recompute a tenant's log from its entries.
public struct MerkleTree: Sendable {
    /// `levels[l][i]`: hash of the complete subtree at level l, index i.
    public private(set) var levels: [[[UInt8]]] = [[]]

    public init() {}

    /// Number of leaves.
    public var size: UInt64 { UInt64(levels[0].count) }

    /// A node that became complete by an append: store it as (level, index) → hash.
    public struct StoredNode: Sendable, Hashable {
        public var level: Int
        public var index: UInt64
        public var hash: [UInt8]
    }

    /// Appends a leaf hash; returns every node hash it completed (the leaf itself at level 0,
    /// then each parent that now has both children), so a database can store exactly these.
    @discardableResult
    public mutating func append(leafHash: [UInt8]) -> [StoredNode] {
        var out = [StoredNode(level: 0, index: UInt64(levels[0].count), hash: leafHash)]
        levels[0].append(leafHash)
        var level = 0
        while levels[level].count % 2 == 0 {
            let count = levels[level].count
            let parent = Merkle.nodeHash(levels[level][count - 2], levels[level][count - 1])
            if levels.count == level + 1 { levels.append([]) }
            levels[level + 1].append(parent)
            out.append(StoredNode(level: level + 1, index: UInt64(levels[level + 1].count - 1), hash: parent))
            level += 1
        }
        return out
    }

    /// Appends the leaf hash of `entry`.
    @discardableResult
    public mutating func append(entry: some Collection<UInt8>) -> [StoredNode] {
        append(leafHash: Merkle.leafHash(entry))
    }

    /// The stored hash at (level, index); traps when it is not stored (a bug in the caller's ranges).
    public func node(level: Int, index: UInt64) -> [UInt8] { levels[level][Int(index)] }

    public func rootHash(treeSize: UInt64? = nil) -> [UInt8] {
        Merkle.rootHash(treeSize: treeSize ?? size) { node(level: $0, index: $1) }
    }

    public func inclusionProof(leafIndex: UInt64, treeSize: UInt64? = nil) throws -> [[UInt8]] {
        try Merkle.inclusionProof(leafIndex: leafIndex, treeSize: treeSize ?? size) { node(level: $0, index: $1) }
    }

    public func consistencyProof(from size1: UInt64, to size2: UInt64? = nil) throws -> [[UInt8]] {
        try Merkle.consistencyProof(size1: size1, size2: size2 ?? size) { node(level: $0, index: $1) }
    }
}

/// The right edge of a Merkle log: one complete-subtree hash per set bit of the tree size,
/// largest (leftmost) first. Enough to append and to compute the root, in O(log n) memory.
///
/// Why: the coordinator appends a batch of leaves inside the submission transaction; it reads
/// the frontier once (one row per tenant), appends in memory, and writes the rows each append
/// completed plus the new frontier — no per-leaf reads of sibling hashes.
public struct MerkleFrontier: Sendable, Hashable {
    public private(set) var size: UInt64
    /// Complete subtree hashes, largest first; `hashes.count == size.nonzeroBitCount`.
    public private(set) var hashes: [[UInt8]]

    /// The empty log.
    public init() {
        size = 0
        hashes = []
    }

    /// A stored frontier: throws `invalid_proof` when the hash count does not match the size.
    public init(size: UInt64, hashes: [[UInt8]]) throws(FederationError) {
        guard hashes.count == size.nonzeroBitCount, hashes.allSatisfy({ $0.count == 32 }) else {
            throw Merkle.fail("A frontier of size \(size) needs \(size.nonzeroBitCount) hashes of 32 bytes, not \(hashes.count).")
        }
        self.size = size
        self.hashes = hashes
    }

    /// The frontier's hashes as one byte string (32 bytes each), for storage.
    public var encoded: [UInt8] { hashes.flatMap { $0 } }

    /// Decodes ``encoded`` bytes for a tree of `size`.
    public init(size: UInt64, encoded: [UInt8]) throws(FederationError) {
        guard encoded.count % 32 == 0 else { throw Merkle.fail("A stored frontier is a multiple of 32 bytes.") }
        try self.init(size: size, hashes: stride(from: 0, to: encoded.count, by: 32).map { Array(encoded[$0..<$0 + 32]) })
    }

    /// Appends a leaf hash; returns the node rows it completed (the leaf at level 0, then each
    /// parent that now has both children), exactly as ``MerkleTree/append(leafHash:)`` does.
    @discardableResult
    public mutating func append(leafHash: [UInt8]) -> [MerkleTree.StoredNode] {
        var out = [MerkleTree.StoredNode(level: 0, index: size, hash: leafHash)]
        var hash = leafHash
        var level = 0
        var index = size
        // Each trailing one bit of the old size is a complete left sibling to merge with.
        while index & 1 == 1, let left = hashes.popLast() {
            hash = Merkle.nodeHash(left, hash)
            level += 1
            index >>= 1
            out.append(MerkleTree.StoredNode(level: level, index: index, hash: hash))
        }
        hashes.append(hash)
        size += 1
        return out
    }

    /// The root hash (RFC 9162 MTH) of the tree of ``size`` leaves.
    public var rootHash: [UInt8] {
        guard var root = hashes.last else { return Merkle.emptyRoot }
        for left in hashes.dropLast().reversed() { root = Merkle.nodeHash(left, root) }
        return root
    }
}
