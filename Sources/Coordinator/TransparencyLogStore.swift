public import Federation
import Foundation

/// Signs a tenant's log states as C2SP checkpoints with the coordinator's key.
///
/// Why one type: the origin line (`<name>/townbench/<tenant>`), the note key name and the key
/// must be the same for every checkpoint a tenant's towns ever see, whether it was signed in a
/// commit, on demand, or while publishing a report.
public struct CheckpointSigner: Sendable {
    /// The coordinator's name (also the note key name), e.g. `coordinator.example.org`.
    public let name: String
    private let signer: SignedNote.Signer

    /// Throws `invalid_argument` for a name a signed note cannot carry (spaces, `+`).
    public init(name: String, key: Ed25519.PrivateKey) throws {
        do {
            signer = try SignedNote.Signer(name: name, key: key)
            verifierKey = signer.verifier.encoded
        } catch {
            throw CoordinatorError(.invalidArgument, "'\(name)' cannot name a coordinator's checkpoints: \(error.message)")
        }
        self.name = name
    }

    public func origin(_ tenantID: String) -> String { "\(name)/townbench/\(tenantID)" }

    /// The verifier key string towns may configure (`<name>+<key id>+<key>`).
    public let verifierKey: String

    /// The signed checkpoint of the tenant's log at `size` with `root`. Deterministic: signing
    /// the same state twice gives the same bytes.
    public func sign(tenantID: String, size: UInt64, root: [UInt8]) throws -> TransparencyLog.SignedCheckpoint {
        let checkpoint = Checkpoint(origin: origin(tenantID), size: size, rootHash: root)
        let note = try SignedNote.sign(text: checkpoint.text, signers: [signer])
        return TransparencyLog.SignedCheckpoint(origin: checkpoint.origin, treeSize: size, rootHash: root, note: note,
                                                verifierKey: verifierKey)
    }
}

/// The size and root of a tenant's log as stored (the head row's frontier).
public struct LogHead: Sendable, Hashable {
    public var size: UInt64
    public var rootHash: [UInt8]
    public static let empty = LogHead(size: 0, rootHash: Merkle.emptyRoot)
}

/// One leaf of a tenant's log: an accepted submission's exact envelope bytes.
public struct LogEntry: Sendable, Hashable {
    public var leafIndex: UInt64
    public var townID: String
    public var submissionID: String
    public var envelope: [UInt8]
    public init(leafIndex: UInt64, townID: String, submissionID: String, envelope: [UInt8]) {
        self.leafIndex = leafIndex
        self.townID = townID
        self.submissionID = submissionID
        self.envelope = envelope
    }
}

/// What a network computation reads, from one consistent snapshot of the store: the log head and
/// the current aggregates after supersession as of exactly that head.
///
/// Why one snapshot: a report names the log state it was computed from; reading the head and the
/// rows in separate transactions could mix in a batch committed between them.
///
/// The rows' order is unspecified (the computation groups them itself).
public struct NetworkInputs: Sendable {
    public var head: LogHead
    public var sensorDays: [SensorDayRow]
    public var zoneDays: [ZoneDayRow]
    public var conversions: [ConversionDayRow]
    /// The current hourly zone rows over the days (issue 20: the day shape).
    public var zoneHours: [ZoneHourRow]
    /// The current zone-day lots over the conversion days (issue 19: parking, origin, dwell).
    public var zoneLots: [ZoneLotRow]
    public init(head: LogHead, sensorDays: [SensorDayRow], zoneDays: [ZoneDayRow], conversions: [ConversionDayRow],
                zoneHours: [ZoneHourRow] = [], zoneLots: [ZoneLotRow] = []) {
        self.zoneLots = zoneLots
        self.zoneHours = zoneHours
        self.head = head
        self.sensorDays = sensorDays
        self.zoneDays = zoneDays
        self.conversions = conversions
    }
}

/// The question a published report answers; with the tree size it names one report for good.
///
/// Why: a report served once is stored and served again as the same bytes for the same
/// question, so `report recompute` has a fixed thing to compare with.
public struct PublishedReportKey: Sendable, Hashable {
    public var treeSize: UInt64
    public var period: DayPeriod
    public var lag: Int
    /// `role` or `role:town` (who the report was cut for).
    public var audience: String
}

/// A stored report: its key, when it was first generated, and the signed envelope served.
public struct PublishedReport: Sendable, Hashable {
    public var key: PublishedReportKey
    public var envelope: [UInt8]
}

extension CoordinatorStore {
    /// Runs a proof generator twice: once to learn which stored nodes it reads, then (after one
    /// batched read of those) for real. Why: a PostgreSQL round trip per node would make a proof
    /// cost log2 n round trips; this makes it one.
    func withLogNodes<T>(_ scope: TenantScope, _ generate: (Merkle.NodeReader) throws -> T) throws -> T {
        var wanted: [LogNodeCoordinate] = []
        _ = try generate { level, index in
            try LogNodeStorage.node(level: level, index: index) { level, index in
                wanted.append(LogNodeCoordinate(level: level, index: index))
                return Merkle.emptyRoot
            }
        }
        let hashes = try logNodes(wanted, scope)
        return try generate { level, index in
            try LogNodeStorage.node(level: level, index: index) { level, index in
                guard let hash = hashes[LogNodeCoordinate(level: level, index: index)] else {
                    throw CoordinatorError(.storage, "The log of tenant \(scope.tenantID) lacks node (\(level), \(index)); the store is damaged. Restore it from a backup.")
                }
                return hash
            }
        }
    }

    /// The RFC 9162 inclusion proof of `entry` in the tree of `treeSize`.
    public func inclusionProof(of entry: LogEntry, treeSize: UInt64, _ scope: TenantScope) throws -> TransparencyLog.InclusionProof {
        let path = try withLogNodes(scope) { read in
            try Merkle.inclusionProof(leafIndex: entry.leafIndex, treeSize: treeSize, nodes: read)
        }
        // The leaf hash is computed from the stored envelope, so an envelope altered in the store
        // no longer matches the bytes its town sent.
        return TransparencyLog.InclusionProof(leafIndex: entry.leafIndex, treeSize: treeSize,
                                              leafHash: Merkle.leafHash(entry.envelope), proof: path)
    }

    /// The RFC 9162 consistency proof from `size1` to `size2`.
    public func consistencyProof(from size1: UInt64, to size2: UInt64, _ scope: TenantScope) throws -> TransparencyLog.ConsistencyProof {
        let path = try withLogNodes(scope) { read in try Merkle.consistencyProof(size1: size1, size2: size2, nodes: read) }
        return TransparencyLog.ConsistencyProof(size1: size1, size2: size2, proof: path)
    }

    /// The root of the tenant's tree at `treeSize` (≤ the current size), from stored nodes.
    public func rootHash(treeSize: UInt64, _ scope: TenantScope) throws -> [UInt8] {
        try withLogNodes(scope) { read in try Merkle.rootHash(treeSize: treeSize, nodes: read) }
    }

    /// The stored checkpoint of `treeSize` (nil: of the current head), signing and storing it
    /// first if none was signed at that size (on demand). Throws `invalid_argument` beyond the head.
    public func checkpoint(treeSize: UInt64?, signer: CheckpointSigner, _ scope: TenantScope) throws -> TransparencyLog.SignedCheckpoint {
        let head = try logHead(scope)
        let size = treeSize ?? head.size
        guard size <= head.size else {
            throw CoordinatorError(.invalidArgument, "The log of tenant \(scope.tenantID) has \(head.size) entries; there is no tree of size \(size).")
        }
        if let stored = try storedCheckpoint(treeSize: size, scope) { return stored }
        let root = size == head.size ? head.rootHash : try rootHash(treeSize: size, scope)
        return try storeCheckpoint(try signer.sign(tenantID: scope.tenantID, size: size, root: root), scope)
    }
}

/// Which of a tenant's Merkle nodes the stores keep: the leaves and every even level. A node at
/// an odd level is the hash of its two children one level down, which are stored.
///
/// Why: keeping every complete subtree costs two node rows per leaf, written by the writer
/// thread, the submission path's one serial part; leaves and even levels are 1⅓ rows per leaf,
/// and a proof still reads O(log n) rows (at most two per hash). Stores written before this rule
/// also hold odd levels; those rows are simply not read.
public enum LogNodeStorage {
    /// Whether the stores write the node rows of `level`.
    public static func isStored(level: Int) -> Bool { level % 2 == 0 }

    /// The hash at (`level`, `index`) from stored rows read through `stored`.
    static func node(level: Int, index: UInt64, _ stored: Merkle.NodeReader) throws -> [UInt8] {
        if isStored(level: level) { return try stored(level, index) }
        return Merkle.nodeHash(try stored(level - 1, 2 * index), try stored(level - 1, 2 * index + 1))
    }
}

/// A stored node of a tenant's Merkle tree: complete subtree at `level` (0 = leaves), `index`.
public struct LogNodeCoordinate: Sendable, Hashable {
    public var level: Int
    public var index: UInt64
}
