internal import Federation
public import Foundation

/// Where log verification reads a coordinator's log: checkpoints, proofs and reports.
///
/// Why a protocol: ``LogVerifier`` checks what it is given and nothing else, so tests feed it
/// checkpoints and proofs directly (a forked or rolled-back log) without a store or a server.
protocol LogSource {
    /// The signed checkpoint at the log's current size (`treeSize` nil) or at `treeSize`; nil when
    /// the coordinator has none of that size (404).
    func checkpoint(treeSize: UInt64?) throws -> TransparencyLog.SignedCheckpoint?
    /// The proof that the log of size `from` is a prefix of the one of size `to`.
    func consistencyProof(from: UInt64, to: UInt64) throws -> TransparencyLog.ConsistencyProof
    /// The inclusion proof of a submission in the log of `treeSize`; nil when the log lacks it.
    func inclusionProof(submission: String, treeSize: UInt64) throws -> TransparencyLog.InclusionProof?
    /// The signed network report envelope of a period; nil when there is none (404).
    func report(from: String, to: String) throws -> [UInt8]?
}

/// The node's client of one coordinator, for one tenant: push, reports, checkpoints and proofs
/// (`Federation/PROTOCOL.md` §8.1, §9), over the node's one HTTP client (`httpRequest`).
///
/// Why its own type: the store keeps data; this type only speaks HTTP, so one node can hold a
/// client per network, and verification can be given any ``LogSource``.
public struct CoordinatorClient: Sendable, LogSource {
    public let baseURL: URL
    public let tenant: String
    /// The town token's file (read at each authenticated request, never logged).
    let tokenFile: URL
    /// The network's local name and the node's directory, for messages.
    let network: String
    let directory: String
    var timeout: TimeInterval = 60

    init(baseURL: URL, tenant: String, tokenFile: URL, network: String, directory: String) {
        self.baseURL = baseURL
        self.tenant = tenant
        self.tokenFile = tokenFile
        self.network = network
        self.directory = directory
    }

    /// POSTs one signed submission envelope (no token: the signature authenticates it).
    func submit(_ body: [UInt8], timeout: TimeInterval) throws -> HTTPPostResult {
        let url = baseURL.appendingPathComponent("v1/tenants/\(tenant)/submissions")
        let response = try httpRequest(url, method: "POST", body: body, bearer: nil, timeout: timeout, limit: ResponseLimit.receipt)
        return HTTPPostResult(status: response.status, bodyText: String(decoding: response.body, as: UTF8.self), retryAfter: response.retryAfter)
    }

    func report(from: String, to: String) throws -> [UInt8]? {
        let response = try get("report", query: [("from", from), ("to", to)], limit: ResponseLimit.report)
        if response.status == 404 { return nil }
        guard response.status == 200 else {
            throw NodeError(.io, "the coordinator of network '\(network)' answered \(response.status) for the report: \(String(decoding: response.body.prefix(300), as: UTF8.self))")
        }
        return response.body
    }

    func checkpoint(treeSize: UInt64?) throws -> TransparencyLog.SignedCheckpoint? {
        let answer = try get("log/checkpoint", query: treeSize.map { [("treeSize", String($0))] } ?? [])
        if answer.status == 404 && treeSize != nil { return nil }
        return try decode(TransparencyLog.SignedCheckpoint.self, answer, what: "the log checkpoint")
    }

    func consistencyProof(from: UInt64, to: UInt64) throws -> TransparencyLog.ConsistencyProof {
        let answer = try get("log/consistency", query: [("from", String(from)), ("to", String(to))])
        return try decode(TransparencyLog.ConsistencyProof.self, answer, what: "the consistency proof \(from)→\(to)")
    }

    func inclusionProof(submission: String, treeSize: UInt64) throws -> TransparencyLog.InclusionProof? {
        let answer = try get("log/inclusion", query: [("submission", submission), ("treeSize", String(treeSize))])
        // 404: not in the log; 400: "appended at or after treeSize", though it was acknowledged
        // before this checkpoint was fetched. Either way the signed log lacks it.
        if answer.status == 404 || answer.status == 400 { return nil }
        return try decode(TransparencyLog.InclusionProof.self, answer, what: "the inclusion proof of submission \(submission)")
    }

    /// A GET of `{coordinator}/v1/tenants/{tenant}/{path}` with the town's bearer token, reading
    /// at most `limit` bytes of the answer.
    func get(_ path: String, query: [(String, String)] = [], limit: Int = ResponseLimit.logProof) throws -> HTTPAnswer {
        var components = URLComponents(url: baseURL.appendingPathComponent("v1/tenants/\(tenant)/\(path)"), resolvingAgainstBaseURL: false)
        if !query.isEmpty { components?.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        guard let url = components?.url else { throw NodeError(.invalidArgument, "cannot build a URL for \(path) from \(baseURL)") }
        return try httpRequest(url, method: "GET", body: nil, bearer: try token(), timeout: timeout, limit: limit)
    }

    /// The town token of this network.
    func token() throws -> String {
        guard let text = try? String(contentsOf: tokenFile, encoding: .utf8) else {
            throw NodeError(.invalidArgument, "no town token is saved for network '\(network)'",
                            remedy: .configure(directory: directory, network: network, settings: [.token]))
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func decode<T: Decodable>(_ type: T.Type, _ answer: HTTPAnswer, what: String) throws -> T {
        guard answer.status == 200 else {
            throw NodeError(.io, "the coordinator answered \(answer.status) for \(what): \(String(decoding: answer.body.prefix(300), as: UTF8.self)). Check --coordinator, the town token and that the coordinator serves the log routes (Federation/PROTOCOL.md §8.1)")
        }
        do { return try JSONDecoder().decode(type, from: Data(answer.body)) } catch {
            throw NodeError(.badInput, "the coordinator's answer for \(what) is not the protocol's JSON: \(error)")
        }
    }
}
