public import Foundation
internal import Federation
internal import Indicators
internal import Storage

/// A coordinator log checkpoint this node verified and keeps (`checkpoints` table, never replaced).
///
/// Why keep the whole signed note: the next `verify` proves consistency from it, and
/// `townbench-node checkpoint show` prints it byte for byte so another town of the tenant can
/// compare it with its own (`Federation/PROTOCOL.md` §8.3): two roots at one size prove a split view.
public struct StoredCheckpoint: Codable, Sendable, Equatable {
    /// `<coordinator name>/townbench/<tenant>`.
    public var origin: String
    public var treeSize: UInt64
    /// base64 of the root hash.
    public var rootHash: String
    /// The C2SP signed note, exactly as the coordinator signed it.
    public var note: String
    /// The note verifier key (`<name>+<key id hex>+<base64 key>`); its key is the pinned coordinator key.
    public var verifierKey: String
    /// When this node verified it (protocol timestamp).
    public var verifiedAt: String
}

/// What `townbench-node verify` found: the checkpoint it checked and every failure, with its reason.
///
/// Why a value rather than an error at the first problem: a town that finds its coordinator
/// misbehaving needs every finding at once (a dropped submission and a rewritten history are two
/// separate facts to report), and `--json` gives them stable keys.
public struct LogVerification: Codable, Sendable, Equatable {
    /// One failed check. `reason` is a stable code: `bad_signature`, `wrong_origin`,
    /// `history_rewritten`, `split_view`, `missing_submission`, `altered_submission`,
    /// `not_included`, `bad_report`.
    public struct Failure: Codable, Sendable, Equatable {
        public var reason: String
        public var message: String
    }

    /// The checkpoint served now (nil when it could not be opened).
    public var origin: String?
    public var treeSize: UInt64?
    public var rootHash: String?
    /// The size of the stored checkpoint the new one was checked against (nil on the first verify).
    public var previousTreeSize: UInt64?
    /// Acknowledged submissions checked, and how many of them are in the log.
    public var submissionsChecked = 0
    public var submissionsIncluded = 0
    /// One line on the report check: checked, or why it was skipped.
    public var report = "not checked"
    public var failures: [Failure] = []
    /// Whether the new checkpoint was stored (only when nothing failed).
    public var stored = false

    public var passed: Bool { failures.isEmpty }

    /// The human summary `verify` prints.
    public var text: String {
        var lines: [String] = []
        if let origin, let treeSize, let rootHash {
            lines.append("Checkpoint \(origin): size \(treeSize), root \(rootHash)")
        }
        if let previousTreeSize {
            lines.append("Consistency with the stored checkpoint of size \(previousTreeSize): \(failures.contains { $0.reason == "history_rewritten" || $0.reason == "split_view" } ? "FAILED" : "ok")")
        } else if treeSize != nil {
            lines.append("No stored checkpoint yet: this is the first one (nothing to compare with).")
        }
        if treeSize != nil {
            lines.append("\(submissionsIncluded) of \(submissionsChecked) acknowledged submission(s) are in the log.")
        }
        lines.append("Report: \(report)")
        if passed {
            lines.append(stored ? "Verified: stored the checkpoint of size \(treeSize ?? 0)." : "Verified.")
        } else {
            lines.append("FAILED (\(failures.count) problem(s)):")
            lines += failures.map { "  - \($0.message)" }
            lines.append("The new checkpoint was NOT stored.")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension NodeStore {
    // MARK: Stored checkpoints

    /// The stored checkpoint of `network` (default: ``defaultNetwork()``) with the largest tree size, if any.
    public func latestCheckpoint(network: Network? = nil) throws -> StoredCheckpoint? {
        try checkpoints(network: network).last
    }

    /// Every stored checkpoint of `network` (default: ``defaultNetwork()``), smallest tree size first.
    public func checkpoints(network: Network? = nil) throws -> [StoredCheckpoint] {
        let name = try network?.name ?? defaultNetwork().name
        return try db.query("""
            SELECT origin, tree_size, root_hash, note, verifier_key, verified_at FROM checkpoints WHERE network = ? ORDER BY tree_size, id
            """, [.text(name)]).map { row in
            StoredCheckpoint(origin: try row.string("origin"), treeSize: UInt64(max(0, try row.int64("tree_size"))),
                             rootHash: try row.string("root_hash"), note: try row.string("note"),
                             verifierKey: try row.string("verifier_key"), verifiedAt: try row.string("verified_at"))
        }
    }

    /// Keeps a verified checkpoint of `network`. The same (origin, size) verified again adds
    /// nothing: its root was checked equal to the stored one.
    func storeCheckpoint(_ checkpoint: StoredCheckpoint, network: Network) throws {
        try db.run("""
            INSERT INTO checkpoints (network, origin, tree_size, root_hash, note, verifier_key, verified_at) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (network, origin, tree_size) DO NOTHING
            """, [.text(network.name), .text(checkpoint.origin), .int(Int(checkpoint.treeSize)), .text(checkpoint.rootHash),
                  .text(checkpoint.note), .text(checkpoint.verifierKey), .text(checkpoint.verifiedAt)])
    }

    /// Acknowledged submissions of `network`: id, when acknowledged and the exact bytes sent.
    func acknowledgedSubmissions(network: Network) throws -> [AcknowledgedSubmission] {
        try db.query("""
            SELECT submission_id, coalesce(done_at, created_at) AS acknowledged_at, envelope FROM outbox
            WHERE state = 'acknowledged' AND network = ? AND tenant = ? ORDER BY sequence
            """, [.text(network.name), .text(network.tenant)]).map {
            AcknowledgedSubmission(id: try $0.string("submission_id"), acknowledgedAt: try $0.string("acknowledged_at"),
                                   envelope: try $0.bytes("envelope"))
        }
    }

    /// The period of `network`'s latest stored report, else of its latest acknowledged submission.
    func defaultReportPeriod(network: Network) throws -> (from: String, to: String)? {
        if let row = try db.queryFirst("SELECT period_from, period_to FROM reports WHERE network = ? ORDER BY id DESC LIMIT 1",
                                       [.text(network.name)]) {
            return (try row.string("period_from"), try row.string("period_to"))
        }
        if let row = try db.queryFirst("""
            SELECT period_from, period_to FROM outbox WHERE state = 'acknowledged' AND network = ? AND tenant = ? ORDER BY sequence DESC LIMIT 1
            """, [.text(network.name), .text(network.tenant)]) {
            return (DayNumber(try row.int("period_from")).description, DayNumber(try row.int("period_to")).description)
        }
        return nil
    }

    // MARK: verify

    /// Verifies `network`'s coordinator log for this town (`townbench-node verify`, PROTOCOL.md §8.3)
    /// with ``LogVerifier``: the latest checkpoint's signature (pinned key) and origin; consistency
    /// from the last stored checkpoint; the inclusion of every acknowledged submission's exact
    /// bytes; and that the report for `reportPeriod` (default: the stored report's, else the last
    /// acknowledged week) names a log state consistent with it. Stores the checkpoint (and the
    /// report) only when everything passed. Throws only when it could not check (no key,
    /// coordinator unreachable).
    public func verifyLog(network: Network, client: CoordinatorClient, reportPeriod: (from: String, to: String)? = nil,
                          now: Date = Date()) throws -> LogVerification {
        let verifier = LogVerifier(pinned: try pinnedKey(of: network), tenant: network.tenant, source: client)
        let stored = try latestCheckpoint(network: network)
        // Read before the checkpoint is fetched: a push running meanwhile cannot add a submission
        // acknowledged after the checkpoint was signed.
        let acknowledged = try acknowledgedSubmissions(network: network)
        let period = try reportPeriod ?? defaultReportPeriod(network: network)
        var (result, accepted) = try verifier.verify(stored: stored, acknowledged: acknowledged, reportPeriod: period, now: now)
        if let accepted {
            try db.transaction {
                try storeCheckpoint(accepted.checkpoint, network: network)
                if let report = accepted.report { try keepReport(report.report, from: report.from, to: report.to, network: network) }
            }
            result.stored = true
        }
        return result
    }

    // MARK: checkpoint compare

    /// Compares another town's checkpoint note (same tenant) with `network`'s latest stored one
    /// (`townbench-node checkpoint compare`, see ``LogVerifier/compare(stored:note:)``); the client
    /// is made only when a consistency proof is needed.
    public func compareCheckpoint(note: String, network: Network, client: () throws -> CoordinatorClient) throws -> CheckpointComparison {
        guard let stored = try latestCheckpoint(network: network) else {
            throw NodeError(.noCheckpoint, "this node has no verified checkpoint of network '\(network.name)' to compare with",
                            remedy: .verify(directory: directory.path, network: network.name))
        }
        let pinned = try pinnedKey(of: network)
        return try withoutActuallyEscaping(client) { make in
            try LogVerifier(pinned: pinned, tenant: network.tenant, source: LazySource(make: make)).compare(stored: stored, note: note)
        }
    }
}

/// A ``LogSource`` made on first use: `checkpoint compare` of two equal sizes needs no coordinator.
private struct LazySource: LogSource {
    let make: () throws -> CoordinatorClient
    func checkpoint(treeSize: UInt64?) throws -> TransparencyLog.SignedCheckpoint? { try make().checkpoint(treeSize: treeSize) }
    func consistencyProof(from: UInt64, to: UInt64) throws -> TransparencyLog.ConsistencyProof { try make().consistencyProof(from: from, to: to) }
    func inclusionProof(submission: String, treeSize: UInt64) throws -> TransparencyLog.InclusionProof? {
        try make().inclusionProof(submission: submission, treeSize: treeSize)
    }
    func report(from: String, to: String) throws -> [UInt8]? { try make().report(from: from, to: to) }
}
