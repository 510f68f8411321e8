public import Federation
import Foundation
internal import Storage

/// The network report the coordinator signs for this town, as kept by the node.
public struct StoredReport: Sendable {
    public var fetchedAt: String
    public var envelope: [UInt8]
    /// The verified payload (canonical JSON).
    public var payload: [UInt8]
}

extension NodeStore {
    /// The coordinator key `hex` names, or an error saying why it cannot be pinned (checked before
    /// `configure` writes anything).
    public static func coordinatorKey(_ hex: String) throws -> Ed25519.PublicKey {
        guard let bytes = Hex.decode(hex), bytes.count == 32 else {
            throw NodeError(.invalidArgument, "the coordinator key must be 64 hex characters, as `townbench-coordinator init` printed it")
        }
        let key = try Ed25519.PublicKey(rawRepresentation: bytes)
        if key.weakness != nil { throw NodeError(.invalidArgument, "that coordinator key is a weak (small-order or non-canonical) key; refuse it") }
        return key
    }

    /// Fetches `network`'s report for a period with the town's token, verifies the coordinator's
    /// signature with the network's pinned key, and keeps it. Nothing unverified is stored.
    @discardableResult
    public func fetchReport(from: String, to: String, network: Network, client: CoordinatorClient) throws -> StoredReport {
        let pinned = try pinnedKey(of: network)
        guard let envelope = try client.report(from: from, to: to) else {
            throw NodeError(.io, "the coordinator of network '\(network.name)' answered 404 for the report of \(from)–\(to): it has no report for that period")
        }
        let report = StoredReport(fetchedAt: Timestamp.format(Date()), envelope: envelope,
                                  payload: try LogVerifier.verifyReport(envelope, pinned: pinned))
        return try keepReport(report, from: from, to: to, network: network)
    }

    /// Stores a report of `network` whose signature verified.
    @discardableResult
    func keepReport(_ report: StoredReport, from: String, to: String, network: Network) throws -> StoredReport {
        try db.run("INSERT INTO reports (network, fetched_at, period_from, period_to, key_id, envelope) VALUES (?, ?, ?, ?, ?, ?)",
                   [.text(network.name), .text(report.fetchedAt), .text(from), .text(to), .text(try pinnedKey(of: network).keyID),
                    .blob(report.envelope)])
        return report
    }

    /// The latest stored report of `network` (default: ``defaultNetwork()``), re-verified now with
    /// its pinned key (a tampered store is caught here too).
    public func latestReport(network: Network? = nil) throws -> StoredReport? {
        let network = try network ?? defaultNetwork()
        guard let row = try db.queryFirst("SELECT fetched_at, envelope FROM reports WHERE network = ? ORDER BY id DESC LIMIT 1",
                                          [.text(network.name)]) else { return nil }
        let envelope = try row.bytes("envelope")
        return StoredReport(fetchedAt: try row.string("fetched_at"), envelope: envelope,
                            payload: try LogVerifier.verifyReport(envelope, pinned: try pinnedKey(of: network)))
    }
}
