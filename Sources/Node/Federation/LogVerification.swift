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

    /// The stored checkpoint with the largest tree size, if any.
    public func latestCheckpoint() throws -> StoredCheckpoint? {
        try checkpoints().last
    }

    /// Every stored checkpoint, smallest tree size first.
    public func checkpoints() throws -> [StoredCheckpoint] {
        try db.query("""
            SELECT origin, tree_size, root_hash, note, verifier_key, verified_at FROM checkpoints ORDER BY tree_size, id
            """).map { row in
            StoredCheckpoint(origin: try row.string(0), treeSize: UInt64(max(0, try row.int(1))), rootHash: try row.string(2),
                             note: try row.string(3), verifierKey: try row.string(4), verifiedAt: try row.string(5))
        }
    }

    /// Keeps a verified checkpoint. The same (origin, size) verified again adds nothing: its root
    /// was checked equal to the stored one.
    public func storeCheckpoint(_ checkpoint: StoredCheckpoint) throws {
        try db.run("""
            INSERT INTO checkpoints (origin, tree_size, root_hash, note, verifier_key, verified_at) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (origin, tree_size) DO NOTHING
            """, [.text(checkpoint.origin), .int(Int(checkpoint.treeSize)), .text(checkpoint.rootHash), .text(checkpoint.note),
                  .text(checkpoint.verifierKey), .text(checkpoint.verifiedAt)])
    }

    // MARK: Keys and notes

    /// The pinned coordinator key, or an error telling the admin to pin it.
    func requirePinnedKey() throws -> Ed25519.PublicKey {
        guard let key = try pinnedCoordinatorKey() else {
            throw NodeError(.invalidArgument, "no coordinator key is pinned: run `townbench-node configure --dir \(directory.path) --coordinator-key HEX` with the key `townbench-coordinator init` printed")
        }
        return key
    }

    /// A note verifier from its text form, refused unless its key is the pinned coordinator key.
    func pinnedVerifier(_ encoded: String, pinned: Ed25519.PublicKey) throws(LogCheckFailure) -> SignedNote.Verifier {
        guard let verifier = Self.noteVerifier(encoded) else {
            throw LogCheckFailure("bad_signature", "bad signature: the coordinator's note verifier key \"\(encoded)\" is not <name>+<key id hex>+<base64(0x01 ‖ key)> with a matching key id")
        }
        guard verifier.publicKey == pinned else {
            throw LogCheckFailure("bad_signature", "bad signature: the checkpoint is signed with key \(verifier.publicKey.keyID), not the pinned coordinator key \(pinned.keyID); do not trust it and ask the coordinator's operator")
        }
        return verifier
    }

    /// Parses a note verifier key `<name>+<key id hex>+<base64(0x01 ‖ key)>` (nil if malformed,
    /// weak, or its key id does not match).
    static func noteVerifier(_ encoded: String) -> SignedNote.Verifier? {
        try? SignedNote.Verifier(encoded: encoded)
    }

    /// The tenant's log origin must be `<coordinator>/townbench/<tenant>`.
    func isOwnTenantOrigin(_ origin: String) -> Bool {
        let suffix = "/townbench/\(settings.tenant)"
        return origin.hasSuffix(suffix) && origin.count > suffix.count
    }

    /// Opens a signed checkpoint note: the signature first (`bad_signature`), then the origin (`wrong_origin`).
    func openNote(_ note: String, verifier: SignedNote.Verifier, origin: String, what: String) throws(LogCheckFailure) -> Checkpoint {
        do throws(FederationError) { _ = try SignedNote.open(note, verifiers: [verifier]) } catch {
            throw LogCheckFailure("bad_signature", "bad signature: \(what) does not verify with the pinned coordinator key (\(error.message))")
        }
        do throws(FederationError) { return try TransparencyLog.openCheckpoint(note, verifier: verifier, origin: origin) } catch {
            throw LogCheckFailure("wrong_origin", "wrong origin: \(what) is not for this tenant's log \(origin) (\(error.message))")
        }
    }

    /// A stored checkpoint, re-opened with the pinned key (a tampered store is caught here).
    func reopen(_ stored: StoredCheckpoint, pinned: Ed25519.PublicKey) throws(LogCheckFailure) -> (Checkpoint, SignedNote.Verifier) {
        let verifier = try pinnedVerifier(stored.verifierKey, pinned: pinned)
        return (try openNote(stored.note, verifier: verifier, origin: stored.origin, what: "the stored checkpoint of size \(stored.treeSize)"), verifier)
    }

    // MARK: Fetching proofs

    /// Fetches the signed checkpoint of the log (its current size, or `treeSize`); nil on 404.
    func fetchCheckpoint(_ coordinator: URL, treeSize: UInt64? = nil) throws -> TransparencyLog.SignedCheckpoint? {
        let answer = try coordinatorGET(coordinator, "log/checkpoint", query: treeSize.map { [("treeSize", String($0))] } ?? [])
        if answer.status == 404 && treeSize != nil { return nil }
        return try decode(TransparencyLog.SignedCheckpoint.self, answer, what: "the log checkpoint")
    }

    /// Fetches and verifies that `new` extends `old` (a failure says "history was rewritten" or "split view").
    func checkConsistency(_ coordinator: URL, from old: Checkpoint, to new: Checkpoint, oldName: String, newName: String) throws -> LogCheckFailure? {
        if new.size < old.size {
            return LogCheckFailure("history_rewritten", "history was rewritten: the log shrank from size \(old.size) (\(oldName)) to \(new.size) (\(newName))")
        }
        if new.size == old.size {
            guard new.rootHash == old.rootHash else {
                return LogCheckFailure("split_view", "split view: two different roots for tree size \(new.size): \(Base64.encode(old.rootHash)) (\(oldName)) and \(Base64.encode(new.rootHash)) (\(newName)); the coordinator shows different logs")
            }
            return nil
        }
        var proof = TransparencyLog.ConsistencyProof(size1: old.size, size2: new.size, proof: [])
        if old.size > 0 {
            let answer = try coordinatorGET(coordinator, "log/consistency", query: [("from", String(old.size)), ("to", String(new.size))])
            proof = try decode(TransparencyLog.ConsistencyProof.self, answer, what: "the consistency proof \(old.size)→\(new.size)")
        }
        do throws(FederationError) { try TransparencyLog.verifyConsistency(from: old, to: new, proof: proof) } catch {
            let detail = error.message.hasSuffix(".") ? String(error.message.dropLast()) : error.message
            return LogCheckFailure("history_rewritten", "history was rewritten: the log of size \(new.size) (\(newName)) does not extend the one of size \(old.size) (\(oldName)): \(detail)")
        }
        return nil
    }

    func decode<T: Decodable>(_ type: T.Type, _ answer: HTTPAnswer, what: String) throws -> T {
        guard answer.status == 200 else {
            throw NodeError(.io, "the coordinator answered \(answer.status) for \(what): \(String(decoding: answer.body.prefix(300), as: UTF8.self)). Check --coordinator, the town token and that the coordinator serves the log routes (Federation/PROTOCOL.md §8.1)")
        }
        do { return try JSONDecoder().decode(type, from: Data(answer.body)) } catch {
            throw NodeError(.badInput, "the coordinator's answer for \(what) is not the protocol's JSON: \(error)")
        }
    }

    /// Acknowledged submissions of this tenant: id, when acknowledged and the exact bytes sent.
    func acknowledgedSubmissions() throws -> [(id: String, acknowledgedAt: String, envelope: [UInt8])] {
        try db.query("""
            SELECT submission_id, coalesce(done_at, created_at), envelope FROM outbox
            WHERE state = 'acknowledged' AND tenant = ? ORDER BY sequence
            """, [.text(settings.tenant)]).map { (try $0.string(0), try $0.string(1), try $0.bytes(2)) }
    }

    // MARK: verify

    /// Verifies the coordinator's log for this town (`townbench-node verify`, PROTOCOL.md §8.3):
    /// the latest checkpoint's signature (pinned key) and origin; consistency from the last stored
    /// checkpoint; the inclusion of every acknowledged submission's exact bytes; and that the
    /// report for `reportPeriod` (default: the stored report's, else the last acknowledged week)
    /// names a log state consistent with it. Stores the checkpoint (and the report) only when
    /// everything passed. Throws only when it could not check (no key, coordinator unreachable).
    public func verifyLog(coordinator: URL, reportPeriod: (from: String, to: String)? = nil, now: Date = Date()) throws -> LogVerification {
        var result = LogVerification()
        let pinned = try requirePinnedKey()
        let stored = try latestCheckpoint()
        var previous: Checkpoint?
        if let stored {
            result.previousTreeSize = stored.treeSize
            do throws(LogCheckFailure) { previous = try reopen(stored, pinned: pinned).0 } catch {
                result.failures.append(.init(reason: error.reason, message: error.message))
                return result
            }
        }

        // Read before the checkpoint is fetched: a push running meanwhile cannot add a submission
        // acknowledged after the checkpoint was signed.
        let acknowledged = try acknowledgedSubmissions()

        // 1. The latest checkpoint: pinned key, signature, origin.
        guard let answer = try fetchCheckpoint(coordinator) else { throw NodeError(.io, "the coordinator has no log checkpoint") }
        let checkpoint: Checkpoint
        let verifier: SignedNote.Verifier
        do throws(LogCheckFailure) {
            verifier = try pinnedVerifier(answer.verifierKey, pinned: pinned)
            guard isOwnTenantOrigin(answer.origin) else {
                throw LogCheckFailure("wrong_origin", "wrong origin: the checkpoint is for log \"\(answer.origin)\", not one ending in /townbench/\(settings.tenant)")
            }
            if let stored, stored.origin != answer.origin {
                throw LogCheckFailure("wrong_origin", "wrong origin: the checkpoint is for log \"\(answer.origin)\", the stored one for \"\(stored.origin)\"")
            }
            checkpoint = try openNote(answer.note, verifier: verifier, origin: answer.origin, what: "the checkpoint of size \(answer.treeSize)")
        } catch {
            result.failures.append(.init(reason: error.reason, message: error.message))
            return result
        }
        result.origin = checkpoint.origin
        result.treeSize = checkpoint.size
        result.rootHash = Base64.encode(checkpoint.rootHash)
        if answer.treeSize != checkpoint.size || Base64.decode(answer.rootHash) != checkpoint.rootHash {
            result.failures.append(.init(reason: "bad_signature", message: "bad signature: the checkpoint's size and root (\(answer.treeSize), \(answer.rootHash)) are not the ones its signed note states (\(checkpoint.size), \(Base64.encode(checkpoint.rootHash)))"))
        }

        // 2. Consistency with the last stored checkpoint.
        if let previous, let failure = try checkConsistency(coordinator, from: previous, to: checkpoint,
                                                             oldName: "stored", newName: "served now") {
            result.failures.append(.init(reason: failure.reason, message: failure.message))
        }

        // 3. Every acknowledged submission, by its exact bytes.
        for submission in acknowledged {
            result.submissionsChecked += 1
            let missing = LogVerification.Failure(reason: "missing_submission", message: "missing submission \(submission.id): acknowledged on \(submission.acknowledgedAt) but not in the log of size \(checkpoint.size) (the coordinator dropped it)")
            guard checkpoint.size > 0 else {
                result.failures.append(missing)
                continue
            }
            let answer = try coordinatorGET(coordinator, "log/inclusion", query: [("submission", submission.id), ("treeSize", String(checkpoint.size))])
            // 404: not in the log; 400: "appended at or after treeSize", though it was acknowledged
            // before this checkpoint was fetched. Either way the signed log lacks it.
            if answer.status == 404 || answer.status == 400 {
                result.failures.append(missing)
                continue
            }
            let proof = try decode(TransparencyLog.InclusionProof.self, answer, what: "the inclusion proof of submission \(submission.id)")
            guard Base64.decode(proof.leafHash) == Merkle.leafHash(submission.envelope) else {
                result.failures.append(.init(reason: "altered_submission", message: "altered: the log's leaf \(proof.leafIndex) is not the bytes this node sent for submission \(submission.id) (the stored envelope was altered or replaced)"))
                continue
            }
            do throws(FederationError) {
                try TransparencyLog.verifyInclusion(of: submission.envelope, proof: proof, in: checkpoint)
                result.submissionsIncluded += 1
            } catch {
                result.failures.append(.init(reason: "not_included", message: "submission \(submission.id) is not in the signed log of size \(checkpoint.size): \(error.message)"))
            }
        }

        // 4. The report names a log state consistent with this checkpoint.
        var report: (StoredReport, from: String, to: String)?
        if let period = try reportPeriod ?? defaultReportPeriod() {
            if let fetched = try checkReport(coordinator, period: period, checkpoint: checkpoint, verifier: verifier, into: &result) {
                report = (fetched, period.from, period.to)
            }
        } else {
            result.report = "no report for the period: nothing was acknowledged and no report is stored yet"
        }

        // 5. Only a checkpoint that passed everything is kept.
        if result.passed {
            try db.transaction {
                try storeCheckpoint(StoredCheckpoint(origin: checkpoint.origin, treeSize: checkpoint.size,
                                                     rootHash: Base64.encode(checkpoint.rootHash), note: answer.note,
                                                     verifierKey: verifier.encoded, verifiedAt: Timestamp.format(now)))
                if let report { try keepReport(report.0, from: report.from, to: report.to) }
            }
            result.stored = true
        }
        return result
    }

    /// The period of the latest stored report, else of the latest acknowledged submission.
    func defaultReportPeriod() throws -> (from: String, to: String)? {
        if let row = try db.queryFirst("SELECT period_from, period_to FROM reports ORDER BY id DESC LIMIT 1") {
            return (try row.string(0), try row.string(1))
        }
        if let row = try db.queryFirst("""
            SELECT period_from, period_to FROM outbox WHERE state = 'acknowledged' AND tenant = ? ORDER BY sequence DESC LIMIT 1
            """, [.text(settings.tenant)]) {
            return (DayNumber(try row.int(0)).description, DayNumber(try row.int(1)).description)
        }
        return nil
    }

    /// Fetches the report of `period`, checks its signature and that its `figures.checkpoint`
    /// names a state consistent with `checkpoint`. Records the outcome in `result`; returns the
    /// report when it passed (to be stored with the checkpoint).
    func checkReport(_ coordinator: URL, period: (from: String, to: String), checkpoint: Checkpoint,
                     verifier: SignedNote.Verifier, into result: inout LogVerification) throws -> StoredReport? {
        let name = "the report of \(period.from)–\(period.to)"
        let report: StoredReport
        do {
            guard let fetched = try downloadReport(from: period.from, to: period.to, coordinator: coordinator) else {
                result.report = "no report for the period \(period.from)–\(period.to) (the coordinator has none): not checked"
                return nil
            }
            report = fetched
        } catch let error as NodeError where error.code == .badInput {
            result.report = "FAILED"
            result.failures.append(.init(reason: "bad_signature", message: "bad signature: \(error.message)"))
            return nil
        }
        func fail(_ reason: String, _ message: String) -> StoredReport? {
            result.report = "FAILED"
            result.failures.append(.init(reason: reason, message: message))
            return nil
        }
        let decoded: NetworkReport
        do {
            decoded = try JSONDecoder().decode(NetworkReport.self, from: Data(report.payload))
        } catch {
            return fail("bad_report", "the signed report of \(period.from)–\(period.to) is not a network report (\(error)); ask the coordinator's operator")
        }
        guard let named = decoded.figures.checkpoint else {
            result.report = "no report for the period \(period.from)–\(period.to) that names a log state (its figures carry no checkpoint): not checked"
            return nil
        }
        guard named.origin == checkpoint.origin else {
            return fail("bad_report", "\(name) names log \"\(named.origin)\", not \"\(checkpoint.origin)\"")
        }
        guard let namedRoot = Base64.decode(named.rootHash), namedRoot.count == 32 else {
            return fail("bad_report", "\(name) names a root hash that is not 32 bytes of base64: \"\(named.rootHash)\"")
        }
        if named.treeSize == checkpoint.size {
            guard namedRoot == checkpoint.rootHash else {
                return fail("split_view", "split view: \(name) names root \(named.rootHash) at size \(named.treeSize), the signed checkpoint has \(Base64.encode(checkpoint.rootHash))")
            }
        } else {
            // Another size: its own signed checkpoint, then a consistency proof between the two.
            guard let answer = try fetchCheckpoint(coordinator, treeSize: named.treeSize) else {
                return fail("bad_report", "\(name) names tree size \(named.treeSize), but the coordinator has no signed checkpoint of that size")
            }
            let other: Checkpoint
            do throws(LogCheckFailure) {
                other = try openNote(answer.note, verifier: verifier, origin: checkpoint.origin, what: "the checkpoint of size \(named.treeSize) that \(name) names")
            } catch {
                return fail(error.reason, error.message)
            }
            guard other.size == named.treeSize, other.rootHash == namedRoot else {
                return fail("split_view", "split view: \(name) names root \(named.rootHash) at size \(named.treeSize), the coordinator's signed checkpoint of that size has \(Base64.encode(other.rootHash))")
            }
            let (small, large) = other.size < checkpoint.size ? (other, checkpoint) : (checkpoint, other)
            if let failure = try checkConsistency(coordinator, from: small, to: large, oldName: "size \(small.size)", newName: "size \(large.size)") {
                return fail(failure.reason, "\(failure.message) (checking \(name))")
            }
        }
        result.report = "\(name) is signed and names size \(named.treeSize)\(named.treeSize == checkpoint.size ? " (the verified checkpoint)" : ", consistent with the verified checkpoint")"
        return report
    }

    // MARK: checkpoint compare

    /// The outcome of `checkpoint compare`.
    public struct CheckpointComparison: Codable, Sendable, Equatable {
        public var ownTreeSize: UInt64
        public var ownRootHash: String
        public var otherTreeSize: UInt64
        public var otherRootHash: String
        public var consistent: Bool
        public var message: String
    }

    /// Compares another town's checkpoint note (same tenant) with the latest stored one
    /// (`townbench-node checkpoint compare`): its signature (pinned key) and origin; equal sizes
    /// need equal roots (else a split view); otherwise the coordinator must prove the smaller is a
    /// prefix of the larger. Throws a `verification_failed` error for a split view or a bad note.
    public func compareCheckpoint(note: String, coordinator: () throws -> URL) throws -> CheckpointComparison {
        guard let stored = try latestCheckpoint() else {
            throw NodeError(.noCheckpoint, "this node has no verified checkpoint to compare with: run `townbench-node verify --dir \(directory.path)` first")
        }
        let pinned = try requirePinnedKey()
        let own: Checkpoint, other: Checkpoint
        do throws(LogCheckFailure) {
            let (opened, verifier) = try reopen(stored, pinned: pinned)
            own = opened
            other = try openNote(note, verifier: verifier, origin: stored.origin, what: "the other town's checkpoint")
        } catch {
            throw NodeError(.verificationFailed, error.message)
        }
        var comparison = CheckpointComparison(ownTreeSize: own.size, ownRootHash: Base64.encode(own.rootHash),
                                              otherTreeSize: other.size, otherRootHash: Base64.encode(other.rootHash),
                                              consistent: false, message: "")
        let (small, large) = own.size <= other.size ? (own, other) : (other, own)
        let names = { (c: Checkpoint) in c.size == own.size && c.rootHash == own.rootHash ? "this node's" : "the other town's" }
        if small.size == large.size {
            guard small.rootHash == large.rootHash else {
                throw NodeError(.verificationFailed, "split view: two different roots for tree size \(own.size): \(Base64.encode(own.rootHash)) (this node's) and \(Base64.encode(other.rootHash)) (the other town's); the coordinator showed the two towns different logs")
            }
        } else {
            var proof = TransparencyLog.ConsistencyProof(size1: 0, size2: large.size, proof: [])  // the empty log: its root is checked
            if small.size > 0 {
                let answer = try coordinatorGET(try coordinator(), "log/consistency", query: [("from", String(small.size)), ("to", String(large.size))])
                proof = try decode(TransparencyLog.ConsistencyProof.self, answer, what: "the consistency proof \(small.size)→\(large.size)")
            }
            do throws(FederationError) { try TransparencyLog.verifyConsistency(from: small, to: large, proof: proof) } catch {
                throw NodeError(.verificationFailed, "split view or rewritten history: the coordinator cannot prove that \(names(small)) log of size \(small.size) is a prefix of \(names(large)) log of size \(large.size): \(error.message)")
            }
        }
        comparison.consistent = true
        comparison.message = small.size == large.size
            ? "consistent: both checkpoints have size \(own.size) and root \(Base64.encode(own.rootHash))"
            : "consistent: the log of size \(small.size) (\(names(small))) is a prefix of the log of size \(large.size) (\(names(large))), proved by the coordinator's consistency proof"
        return comparison
    }
}

/// One failed log check: a stable reason code and a sentence for the admin.
struct LogCheckFailure: Error {
    var reason: String
    var message: String
    init(_ reason: String, _ message: String) {
        self.reason = reason
        self.message = message
    }
}
