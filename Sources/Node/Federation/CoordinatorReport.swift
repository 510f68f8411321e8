public import Federation
public import Foundation
internal import Storage

/// The network report the coordinator signs for this town, as kept by the node.
public struct StoredReport: Sendable {
    public var fetchedAt: String
    public var envelope: [UInt8]
    /// The verified payload (canonical JSON).
    public var payload: [UInt8]
}

extension NodeStore {
    /// The coordinator's report-signing key, pinned on this node (hex), if any.
    public func pinnedCoordinatorKey() throws -> Ed25519.PublicKey? {
        guard let hex = try setting("coordinator_key"), let bytes = Hex.decode(hex) else { return nil }
        return try Ed25519.PublicKey(rawRepresentation: bytes)
    }

    /// Pins the coordinator's report-signing key (the operator's `townbench-coordinator init` prints it).
    public func pinCoordinatorKey(_ hex: String) throws -> Ed25519.PublicKey {
        let key = try NodeStore.coordinatorKey(hex)
        try setSetting("coordinator_key", Hex.encode(key.rawRepresentation))
        return key
    }

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

    /// Stores the bearer token the coordinator issued for this town (in `keys/coordinator.token`, mode 0600).
    public func saveToken(_ token: String) throws {
        let url = NodeStore.keysURL(in: directory).appendingPathComponent("coordinator.token")
        try? FileManager.default.removeItem(at: url)
        try NodeStore.writeSecret(token.trimmingCharacters(in: .whitespacesAndNewlines) + "\n", to: url)
    }

    func token() throws -> String {
        let url = NodeStore.keysURL(in: directory).appendingPathComponent("coordinator.token")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw NodeError(.invalidArgument, "no coordinator token: ask the coordinator's operator for a town token and run `townbench-node configure --dir \(directory.path) --token-file FILE`")
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Verifies a report envelope with the pinned coordinator key; returns the payload bytes.
    public func verifyReport(_ bytes: [UInt8]) throws -> [UInt8] {
        guard let key = try pinnedCoordinatorKey() else {
            throw NodeError(.invalidArgument, "no coordinator key is pinned: run `townbench-node configure --coordinator-key HEX` with the key `townbench-coordinator init` printed")
        }
        let result = Envelope.verify(bytes, expectedType: NetworkReport.payloadType) { keyID in keyID == key.keyID ? key : nil }
        switch result {
        case .success(let verified): return verified.envelope.payload
        case .failure(let refusal):
            throw NodeError(.badInput, "the coordinator's report does not verify with the pinned key \(key.keyID): \(refusal). Do not trust it; ask the coordinator's operator")
        }
    }

    /// Fetches the network report for a period with the town's token, verifies the coordinator's
    /// signature, and keeps it. Nothing unverified is stored.
    @discardableResult
    public func fetchReport(from: String, to: String, coordinator: URL) throws -> StoredReport {
        guard let report = try downloadReport(from: from, to: to, coordinator: coordinator) else {
            throw NodeError(.io, "the coordinator answered 404 for the report of \(from)–\(to): it has no report for that period")
        }
        return try keepReport(report, from: from, to: to)
    }

    /// Fetches and verifies (pinned key) the network report for a period without storing it;
    /// nil when the coordinator has none (404). `verify` uses this so that it stores the report
    /// only together with a checkpoint that passed every check.
    func downloadReport(from: String, to: String, coordinator: URL) throws -> StoredReport? {
        let response = try coordinatorGET(coordinator, "report", query: [("from", from), ("to", to)], limit: ResponseLimit.report)
        if response.status == 404 { return nil }
        guard response.status == 200 else {
            throw NodeError(.io, "the coordinator answered \(response.status) for the report: \(String(decoding: response.body, as: UTF8.self))")
        }
        return StoredReport(fetchedAt: Timestamp.format(Date()), envelope: response.body, payload: try verifyReport(response.body))
    }

    /// Stores a report whose signature verified.
    @discardableResult
    func keepReport(_ report: StoredReport, from: String, to: String) throws -> StoredReport {
        try db.run("INSERT INTO reports (fetched_at, period_from, period_to, key_id, envelope) VALUES (?, ?, ?, ?, ?)",
                   [.text(report.fetchedAt), .text(from), .text(to), .text(try pinnedCoordinatorKey()?.keyID ?? ""), .blob(report.envelope)])
        return report
    }

    /// A GET of `{coordinator}/v1/tenants/{tenant}/{path}` with the town's bearer token, reading
    /// at most `limit` bytes of the answer.
    func coordinatorGET(_ coordinator: URL, _ path: String, query: [(String, String)] = [],
                        limit: Int = ResponseLimit.logProof) throws -> HTTPAnswer {
        var components = URLComponents(url: coordinator.appendingPathComponent("v1/tenants/\(settings.tenant)/\(path)"), resolvingAgainstBaseURL: false)
        if !query.isEmpty { components?.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        guard let url = components?.url else { throw NodeError(.invalidArgument, "cannot build a URL for \(path) from \(coordinator)") }
        return try httpRequest(url, method: "GET", body: nil, bearer: try token(), timeout: 60, limit: limit)
    }

    /// The latest stored report, re-verified now (a tampered store is caught here too).
    public func latestReport() throws -> StoredReport? {
        guard let row = try db.queryFirst("SELECT fetched_at, envelope FROM reports ORDER BY id DESC LIMIT 1") else { return nil }
        let envelope = try row.bytes(1)
        return StoredReport(fetchedAt: try row.string(0), envelope: envelope, payload: try verifyReport(envelope))
    }
}
