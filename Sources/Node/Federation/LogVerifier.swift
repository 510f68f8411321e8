import Foundation
internal import Federation

/// An acknowledged submission, as `verify` checks it: its id, when it was acknowledged, the exact bytes sent.
struct AcknowledgedSubmission: Sendable {
    var id: String
    var acknowledgedAt: String
    var envelope: [UInt8]
}

/// Checks a coordinator's transparency log for one tenant (`Federation/PROTOCOL.md` §8.3) with
/// the pinned coordinator key, reading only from its ``LogSource``.
///
/// Why apart from the store: the checks are the security of the federation, so they must be
/// testable by feeding checkpoints and proofs directly (an honest, a forked, a rolled-back log);
/// the store only supplies the last verified checkpoint and the outbox, and keeps what passed.
struct LogVerifier {
    /// The coordinator's report-signing key pinned for the network.
    let pinned: Ed25519.PublicKey
    /// The tenant whose log this is: its origin must end in `/townbench/<tenant>`.
    let tenant: String
    let source: any LogSource

    /// What passed every check and should be kept: the checkpoint and the report checked with it.
    struct Accepted {
        var checkpoint: StoredCheckpoint
        var report: (report: StoredReport, from: String, to: String)?
    }

    /// Verifies the log against `stored` (the last verified checkpoint): the latest checkpoint's
    /// signature and origin, consistency, the inclusion of every `acknowledged` submission's exact
    /// bytes, and that the report of `reportPeriod` names a consistent log state. Returns every
    /// failure, and what to keep when nothing failed. Throws only when it could not check.
    func verify(stored: StoredCheckpoint?, acknowledged: [AcknowledgedSubmission],
                reportPeriod: (from: String, to: String)?, now: Date = Date()) throws -> (LogVerification, Accepted?) {
        var result = LogVerification()
        var previous: Checkpoint?
        if let stored {
            result.previousTreeSize = stored.treeSize
            do throws(LogCheckFailure) { previous = try reopen(stored).0 } catch {
                result.failures.append(.init(reason: error.reason, message: error.message))
                return (result, nil)
            }
        }

        // 1. The latest checkpoint: pinned key, signature, origin.
        guard let answer = try source.checkpoint(treeSize: nil) else { throw NodeError(.io, "the coordinator has no log checkpoint") }
        let checkpoint: Checkpoint
        let verifier: SignedNote.Verifier
        do throws(LogCheckFailure) {
            verifier = try pinnedVerifier(answer.verifierKey)
            guard isOwnTenantOrigin(answer.origin) else {
                throw LogCheckFailure("wrong_origin", "wrong origin: the checkpoint is for log \"\(answer.origin)\", not one ending in /townbench/\(tenant)")
            }
            if let stored, stored.origin != answer.origin {
                throw LogCheckFailure("wrong_origin", "wrong origin: the checkpoint is for log \"\(answer.origin)\", the stored one for \"\(stored.origin)\"")
            }
            checkpoint = try openNote(answer.note, verifier: verifier, origin: answer.origin, what: "the checkpoint of size \(answer.treeSize)")
        } catch {
            result.failures.append(.init(reason: error.reason, message: error.message))
            return (result, nil)
        }
        result.origin = checkpoint.origin
        result.treeSize = checkpoint.size
        result.rootHash = Base64.encode(checkpoint.rootHash)
        if answer.treeSize != checkpoint.size || Base64.decode(answer.rootHash) != checkpoint.rootHash {
            result.failures.append(.init(reason: "bad_signature", message: "bad signature: the checkpoint's size and root (\(answer.treeSize), \(answer.rootHash)) are not the ones its signed note states (\(checkpoint.size), \(Base64.encode(checkpoint.rootHash)))"))
        }

        // 2. Consistency with the last stored checkpoint.
        if let previous, let failure = try checkConsistency(from: previous, to: checkpoint, oldName: "stored", newName: "served now") {
            result.failures.append(.init(reason: failure.reason, message: failure.message))
        }

        // 3. Every acknowledged submission, by its exact bytes.
        for submission in acknowledged {
            result.submissionsChecked += 1
            let missing = LogVerification.Failure(reason: "missing_submission", message: "missing submission \(submission.id): acknowledged on \(submission.acknowledgedAt) but not in the log of size \(checkpoint.size) (the coordinator dropped it)")
            guard checkpoint.size > 0, let proof = try source.inclusionProof(submission: submission.id, treeSize: checkpoint.size) else {
                result.failures.append(missing)
                continue
            }
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
        if let period = reportPeriod {
            if let fetched = try checkReport(period: period, checkpoint: checkpoint, verifier: verifier, into: &result) {
                report = (fetched, period.from, period.to)
            }
        } else {
            result.report = "no report for the period: nothing was acknowledged and no report is stored yet"
        }

        // 5. Only a checkpoint that passed everything is kept.
        guard result.passed else { return (result, nil) }
        let keep = StoredCheckpoint(origin: checkpoint.origin, treeSize: checkpoint.size, rootHash: Base64.encode(checkpoint.rootHash),
                                    note: answer.note, verifierKey: verifier.encoded, verifiedAt: Timestamp.format(now))
        return (result, Accepted(checkpoint: keep, report: report))
    }

    /// Compares another town's checkpoint note (same tenant) with `stored`: its signature (pinned
    /// key) and origin; equal sizes need equal roots (else a split view); otherwise the coordinator
    /// must prove the smaller is a prefix of the larger. Throws `verification_failed` for a split
    /// view or a bad note.
    func compare(stored: StoredCheckpoint, note: String) throws -> CheckpointComparison {
        let own: Checkpoint, other: Checkpoint
        do throws(LogCheckFailure) {
            let (opened, verifier) = try reopen(stored)
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
            if small.size > 0 { proof = try source.consistencyProof(from: small.size, to: large.size) }
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

    // MARK: Keys and notes

    /// Verifies a report envelope with `pinned`; returns the payload bytes.
    static func verifyReport(_ bytes: [UInt8], pinned key: Ed25519.PublicKey) throws -> [UInt8] {
        let result = Envelope.verify(bytes, expectedType: NetworkReport.payloadType) { keyID in keyID == key.keyID ? key : nil }
        switch result {
        case .success(let verified): return verified.envelope.payload
        case .failure(let refusal):
            throw NodeError(.badInput, "the coordinator's report does not verify with the pinned key \(key.keyID): \(refusal). Do not trust it; ask the coordinator's operator")
        }
    }

    /// A note verifier from its text form, refused unless its key is the pinned coordinator key.
    func pinnedVerifier(_ encoded: String) throws(LogCheckFailure) -> SignedNote.Verifier {
        guard let verifier = try? SignedNote.Verifier(encoded: encoded) else {
            throw LogCheckFailure("bad_signature", "bad signature: the coordinator's note verifier key \"\(encoded)\" is not <name>+<key id hex>+<base64(0x01 ‖ key)> with a matching key id")
        }
        guard verifier.publicKey == pinned else {
            throw LogCheckFailure("bad_signature", "bad signature: the checkpoint is signed with key \(verifier.publicKey.keyID), not the pinned coordinator key \(pinned.keyID); do not trust it and ask the coordinator's operator")
        }
        return verifier
    }

    /// The tenant's log origin must be `<coordinator>/townbench/<tenant>`.
    func isOwnTenantOrigin(_ origin: String) -> Bool {
        let suffix = "/townbench/\(tenant)"
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
    func reopen(_ stored: StoredCheckpoint) throws(LogCheckFailure) -> (Checkpoint, SignedNote.Verifier) {
        let verifier = try pinnedVerifier(stored.verifierKey)
        return (try openNote(stored.note, verifier: verifier, origin: stored.origin, what: "the stored checkpoint of size \(stored.treeSize)"), verifier)
    }

    // MARK: Proofs

    /// Verifies that `new` extends `old` (a failure says "history was rewritten" or "split view").
    func checkConsistency(from old: Checkpoint, to new: Checkpoint, oldName: String, newName: String) throws -> LogCheckFailure? {
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
        if old.size > 0 { proof = try source.consistencyProof(from: old.size, to: new.size) }
        do throws(FederationError) { try TransparencyLog.verifyConsistency(from: old, to: new, proof: proof) } catch {
            let detail = error.message.hasSuffix(".") ? String(error.message.dropLast()) : error.message
            return LogCheckFailure("history_rewritten", "history was rewritten: the log of size \(new.size) (\(newName)) does not extend the one of size \(old.size) (\(oldName)): \(detail)")
        }
        return nil
    }

    /// Fetches the report of `period`, checks its signature and that its `figures.checkpoint`
    /// names a state consistent with `checkpoint`. Records the outcome in `result`; returns the
    /// report when it passed (to be stored with the checkpoint).
    func checkReport(period: (from: String, to: String), checkpoint: Checkpoint,
                     verifier: SignedNote.Verifier, into result: inout LogVerification) throws -> StoredReport? {
        let name = "the report of \(period.from)–\(period.to)"
        func fail(_ reason: String, _ message: String) -> StoredReport? {
            result.report = "FAILED"
            result.failures.append(.init(reason: reason, message: message))
            return nil
        }
        guard let envelope = try source.report(from: period.from, to: period.to) else {
            result.report = "no report for the period \(period.from)–\(period.to) (the coordinator has none): not checked"
            return nil
        }
        let report: StoredReport
        do {
            report = StoredReport(fetchedAt: Timestamp.format(Date()), envelope: envelope, payload: try Self.verifyReport(envelope, pinned: pinned))
        } catch let error as NodeError where error.code == .badInput {
            return fail("bad_signature", "bad signature: \(error.message)")
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
            guard let answer = try source.checkpoint(treeSize: named.treeSize) else {
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
            if let failure = try checkConsistency(from: small, to: large, oldName: "size \(small.size)", newName: "size \(large.size)") {
                return fail(failure.reason, "\(failure.message) (checking \(name))")
            }
        }
        result.report = "\(name) is signed and names size \(named.treeSize)\(named.treeSize == checkpoint.size ? " (the verified checkpoint)" : ", consistent with the verified checkpoint")"
        return report
    }
}

/// The outcome of `checkpoint compare`.
public struct CheckpointComparison: Codable, Sendable, Equatable {
    public var ownTreeSize: UInt64
    public var ownRootHash: String
    public var otherTreeSize: UInt64
    public var otherRootHash: String
    public var consistent: Bool
    public var message: String
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
