public import Federation
import Foundation
import Indicators

/// `townbench-coordinator report recompute`: re-derives every report published at a checkpoint
/// from the log's entries alone and compares it with the published bytes.
///
/// Why: a report names the log state it was computed from; if the store's aggregates, its
/// supersession or its code ever disagreed with the log, this finds it, byte for byte. The
/// comparison needs no trust in the store's derived tables: only the entries (checked against
/// the signed checkpoint's root) and the published question (period, lag, audience, time).
public enum ReportRecompute {
    /// One published report's verdict.
    public struct Verdict: Sendable, Codable, Equatable {
        public var period: DayPeriod
        public var lag: Int
        public var audience: String
        public var matches: Bool
        /// Empty when it matches; else what differed.
        public var difference: String
    }

    /// The checkpoint, then each report published at `treeSize`: equal or not.
    public static func run(_ scope: TenantScope, treeSize: UInt64, store: any CoordinatorStore, signer: CheckpointSigner,
                           signingKey: Ed25519.PrivateKey) throws -> (checkpoint: TransparencyLog.SignedCheckpoint, verdicts: [Verdict]) {
        guard let checkpoint = try store.storedCheckpoint(treeSize: treeSize, scope) else {
            throw CoordinatorError(.notFound, "Tenant \(scope.tenantID) has no checkpoint of size \(treeSize); only a stored checkpoint's reports can be recomputed.")
        }
        let opened: Checkpoint
        do {
            opened = try TransparencyLog.openCheckpoint(
                checkpoint.note, verifier: SignedNote.Verifier(name: signer.name, publicKey: signingKey.publicKey),
                origin: signer.origin(scope.tenantID))
        } catch {
            throw CoordinatorError(.storage, "The stored checkpoint of size \(treeSize) does not verify with this coordinator's key: \(error.message)")
        }
        let entries = try store.logEntries(0..<treeSize, scope)
        guard UInt64(entries.count) == treeSize else {
            throw CoordinatorError(.storage, "The log of tenant \(scope.tenantID) holds \(entries.count) of the checkpoint's \(treeSize) entries: entries were removed.")
        }
        var verdicts: [Verdict] = []
        for published in try store.publishedReports(treeSize: treeSize, scope) {
            verdicts.append(try verdict(published, entries: entries, root: opened.rootHash, scope: scope, signer: signer,
                                        signingKey: signingKey))
        }
        return (checkpoint, verdicts)
    }

    static func verdict(_ published: PublishedReport, entries: [LogEntry], root: [UInt8], scope: TenantScope,
                        signer: CheckpointSigner, signingKey: Ed25519.PrivateKey) throws -> Verdict {
        let key = published.key
        var verdict = Verdict(period: key.period, lag: key.lag, audience: key.audience, matches: false, difference: "")
        let stored: NetworkReport
        do {
            let envelope = try Envelope(parsing: published.envelope)
            stored = try JSONDecoder().decode(NetworkReport.self, from: Data(envelope.payload))
        } catch {
            verdict.difference = "the published report does not parse: \(error)"
            return verdict
        }
        let load = NetworkIndicators.loadDays(key.period, lag: key.lag)
        // event-uplift v2 reads 812 days before the period; a report published as v1 does not.
        let isV1 = (stored.figures.indicators[EventUplift.id] ?? EventUplift.version) < EventUpliftV2.version
        let days = isV1 ? load.days : NetworkIndicators.replayDays(key.period, lag: key.lag)
        let inputs = try LogReplay.inputs(entries: entries, root: root, measure: NetworkIndicators.footfallMeasure, days: days,
                                          conversionDays: load.conversionDays)
        var figures = try NetworkIndicators.compute(tenantID: scope.tenantID, inputs: inputs, origin: signer.origin(scope.tenantID),
                                                    period: key.period, lag: key.lag)
        // A report published before the day shape existed (issue 20) is recomputed without it.
        if stored.figures.indicators[DayShapeNetwork.catalogueID] == nil { figures = DayShapeNetwork.removed(from: figures) }
        // And one published before the coordinator computed the lots (issue 19) without them.
        if LotsNetwork.catalogue.keys.allSatisfy({ stored.figures.indicators[$0] == nil }) { figures = LotsNetwork.removed(from: figures) }
        // And one published before event-uplift v2 (issue 18) as v1: no v2 block, version 1.
        if isV1 { figures = NetworkEventsV2.removed(from: figures) }
        let (viewer, naming) = try NetworkReport.viewer(stored.audience, tenantID: scope.tenantID)
        let recomputed = try NetworkReport.signed(figures: NetworkIndicators.view(figures, for: viewer, naming: naming),
                                                  audience: stored.audience, generatedAt: stored.generatedAt, signingKey: signingKey)
        if recomputed == published.envelope {
            verdict.matches = true
        } else {
            verdict.difference = firstDifference(published.envelope, recomputed)
        }
        return verdict
    }

    /// Where two byte strings first differ, with some context of each.
    static func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> String {
        let i = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)
        func around(_ bytes: [UInt8]) -> String {
            String(decoding: bytes[max(0, i - 40)..<min(bytes.count, i + 40)], as: UTF8.self)
        }
        return "byte \(i) differs: published …\(around(a))… recomputed …\(around(b))…"
    }
}
