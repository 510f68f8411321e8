import Federation
import Foundation
import HTTPServer
import Synchronization

/// A real HTTP server (libmicrohttpd, through HTTPServer) that accepts submissions by the
/// protocol's own checks (`SubmissionCheck`) and keeps what it accepted in memory, with knobs to
/// misbehave: answer 503 a few times, or hold a request until the test releases it.
/// It lets the node's push be tested against the wire contract without the coordinator service.
///
/// It also serves the tenant's transparency log (`Federation/PROTOCOL.md` §8.1: checkpoint,
/// inclusion, consistency) from a `MerkleTree` over the envelopes it accepted, signs checkpoints
/// and a network report with its report key, and can be made malicious (``Malice``) to test that
/// `townbench-node verify` and `checkpoint compare` catch each threat of issue 9.
final class TestCoordinator: Sendable {
    /// The note key name; checkpoints' origin is `test-coordinator/townbench/<tenant>`.
    static let name = "test-coordinator"

    /// Ways to lie about the log.
    enum Malice: Sendable, Equatable {
        /// Leave a submission out of the log (the tree is rebuilt without it).
        case dropSubmission(String)
        /// Serve a submission's stored envelope altered (its leaf hash changes).
        case alterEnvelope(String)
        /// Rewrite the leaf at this index and sign the tree that results.
        case rewriteLeaf(Int)
        /// Show `town` a different tree of the same size: the first leaf of another town is forged.
        case splitView(town: String)
        /// Serve a checkpoint note whose text was changed after signing.
        case badSignature
    }

    /// What the report route answers.
    enum ReportMode: Sendable, Equatable {
        /// Names the log's current state.
        case current
        /// Names the (honest) state at this earlier size.
        case size(UInt64)
        /// Names the current size with a root the log never had.
        case forgedRoot
        /// A signed payload that is not a network report.
        case notAReport
        /// 404: no report for the period.
        case none
    }

    /// One leaf of the log: whose it is and the exact bytes.
    struct LogEntry: Sendable {
        var submissionId: String
        var town: String
        var bytes: [UInt8]
    }

    struct State {
        var log: [LogEntry] = []
        var malice: Malice? = nil
        var report: ReportMode = .current
        var accepted: [String: [UInt8]] = [:]          // submission id → payload digest
        var acceptedOrder: [String] = []
        var payloads: [String: AggregatePayload] = [:]
        var lastSequence: [String: Int] = [:]
        var requests = 0
        var unavailableAnswers = 0                      // answer 503 (Retry-After: 1) this many times
        var holdFrom: Int? = nil                        // hold the n-th request (1-based) and later ones
        var receiptForOtherBytes = false                // acknowledge with the digest of bytes it was not sent
    }

    let state = Mutex(State())
    let released = DispatchSemaphore(value: 0)
    let held = DispatchSemaphore(value: 0)
    let keys: [KeyRecord]
    var key: KeyRecord { keys[0] }
    let tenant: String
    /// Signs checkpoints (as a C2SP note) and reports (as DSSE); nodes pin its public key.
    let reportKey: Ed25519.PrivateKey
    let signer: SignedNote.Signer
    private(set) nonisolated(unsafe) var server: HTTPServer! // set once in init, read-only after

    convenience init(key: KeyRecord) throws {
        try self.init(keys: [key])
    }

    /// A coordinator of the tenant of `keys` that accepts submissions signed by any of them.
    init(keys: [KeyRecord]) throws {
        self.keys = keys
        let tenant = keys[0].tenantID
        self.tenant = tenant
        reportKey = try Ed25519.PrivateKey()
        signer = try SignedNote.Signer(name: Self.name, key: reportKey)
        var router = Router()
        router.post("/v1/tenants/{tenant}/submissions") { [unowned self] request, parameters in
            let number = self.state.withLock { state -> Int in state.requests += 1; return state.requests }
            if let holdFrom = self.state.withLock({ $0.holdFrom }), number >= holdFrom {
                self.held.signal()
                self.released.wait()
            }
            if self.state.withLock({ state -> Bool in
                guard state.unavailableAnswers > 0 else { return false }
                state.unavailableAnswers -= 1
                return true
            }) {
                return .error(status: 503, reason: "busy", headers: ["Retry-After": "1"])
            }
            guard parameters["tenant"] == tenant else { return .error(status: 404, reason: "no such tenant") }
            let decision = SubmissionCheck.check(
                request.body, policy: TenantSubmissionPolicy(tenantID: tenant), now: Date(),
                keys: { id in self.keys.first { $0.keyID == id } },
                state: { town, id in
                    self.state.withLock { TownSubmissionState(lastSequence: $0.lastSequence[town], existingPayloadDigest: $0.accepted[id]) }
                })
            switch decision {
            case .accepted(let submission):
                self.state.withLock { state in
                    state.accepted[submission.payload.submissionId] = submission.payloadDigest
                    state.acceptedOrder.append(submission.payload.submissionId)
                    state.payloads[submission.payload.submissionId] = submission.payload
                    state.lastSequence[submission.payload.townId] = submission.payload.sequence
                    state.log.append(LogEntry(submissionId: submission.payload.submissionId, town: submission.payload.townId,
                                              bytes: request.body))
                }
                return try self.receiptAnswer(status: 202, submissionID: submission.payload.submissionId, body: request.body)
            case .duplicate(let id):
                return try self.receiptAnswer(status: 200, submissionID: id, body: request.body)
            case .refused(let refusal):
                return .json(status: 409, bytes: Array("{\"error\":{\"status\":409,\"code\":\"\(refusal.reason)\",\"reason\":\"refused\"}}".utf8))
            }
        }
        registerLogRoutes(on: &router)
        server = HTTPServer(configuration: .init(port: 0, threadPoolSize: 4), router: router, accessLog: AccessLog { _ in })
        try server.start()
    }

    var url: URL { URL(string: "http://127.0.0.1:\(server.port)/")! }

    func stop() {
        // Release anything held so the server can stop.
        for _ in 0..<8 { released.signal() }
        server.shutdown(gracePeriod: .seconds(1))
    }
}

// MARK: The transparency log and the signed report

extension TestCoordinator {
    var origin: String { "\(Self.name)/townbench/\(tenant)" }

    /// The bearer token the coordinator issued to `town`.
    static func token(for town: String) -> String { "token-\(town)" }

    /// Puts another town's leaf in the log (its bytes are not checked: towns only check their own).
    func appendForeign(town: String, bytes: [UInt8]) {
        state.withLock { $0.log.append(LogEntry(submissionId: "foreign-\($0.log.count)", town: town, bytes: bytes)) }
    }

    /// The log as shown to `town`, after any malice.
    func view(for town: String) -> [LogEntry] {
        var (log, malice) = state.withLock { ($0.log, $0.malice) }
        switch malice {
        case .dropSubmission(let id)?:
            log.removeAll { $0.submissionId == id }
        case .alterEnvelope(let id)?:
            if let index = log.firstIndex(where: { $0.submissionId == id }) { log[index].bytes += Array(" ".utf8) }
        case .rewriteLeaf(let index)? where index < log.count:
            log[index].bytes = Array("rewritten \(index)".utf8)
        case .splitView(let victim)? where victim == town:
            if let index = log.firstIndex(where: { $0.town != victim }) { log[index].bytes = Array("forged for \(victim)".utf8) }
        default:
            break
        }
        return log
    }

    static func tree(_ log: [LogEntry]) -> MerkleTree {
        var tree = MerkleTree()
        for entry in log { tree.append(entry: entry.bytes) }
        return tree
    }

    /// The signed `LogCheckpoint` JSON of `tree` at `size`.
    func checkpointJSON(_ tree: MerkleTree, size: UInt64) throws -> [UInt8] {
        let checkpoint = Checkpoint(origin: origin, size: size, rootHash: tree.rootHash(treeSize: size))
        var note = try SignedNote.sign(text: checkpoint.text, signers: [signer])
        if state.withLock({ $0.malice }) == .badSignature {
            note = note.replacingOccurrences(of: "\n\(size)\n", with: "\n\(size + 1)\n")
        }
        let body: [String: String] = ["origin": origin, "rootHash": Base64.encode(checkpoint.rootHash), "note": note,
                                      "verifierKey": signer.verifier.encoded]
        var object: [String: Any] = body
        object["treeSize"] = size
        return Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }

    /// The network report for a period, signed as the real coordinator signs it (DSSE, report key),
    /// its `figures.checkpoint` naming a log state as `state.report` says.
    func reportEnvelope(town: String, from: String, to: String, tree: MerkleTree) throws -> [UInt8]? {
        let mode = state.withLock { $0.report }
        var size = tree.size, root = tree.rootHash()
        switch mode {
        case .none: return nil
        case .current: break
        case .size(let earlier):
            size = earlier
            root = tree.rootHash(treeSize: earlier)
        case .forgedRoot: root = Merkle.leafHash(Array("forged".utf8))
        case .notAReport:
            return try Envelope.sign(payload: Array(#"{"figures":{}}"#.utf8), payloadType: NetworkReport.payloadType, with: reportKey).serialized()
        }
        let period = try DayPeriod(from: from, to: to)
        let figures = NetworkFigures(
            tenantId: tenant, period: period, indicators: [:], minimumTowns: 3,
            footfall: .init(towns: 0, pooledPublication: "too_few_contributors"), towns: [], conversionByZoneKind: [],
            checkpoint: .init(origin: origin, treeSize: size, rootHash: Base64.encode(root)))
        let report = NetworkReport(reportVersion: 1, tenantId: tenant, period: period, generatedAt: Timestamp.format(Date()),
                                   audience: ["role": "town", "town": town], figures: figures)
        return try Envelope.sign(payload: try CanonicalJSON.encode(report), payloadType: NetworkReport.payloadType, with: reportKey).serialized()
    }

    /// The town whose token the request carries, or nil.
    func town(of request: HTTPRequest) -> String? {
        guard let header = request.headers["Authorization"], header.hasPrefix("Bearer ") else { return nil }
        let token = String(header.dropFirst(7))
        return keys.first { Self.token(for: $0.townID) == token }?.townID
    }

    /// A size query parameter: `value` when absent, nil when not a number.
    static func size(_ request: HTTPRequest, _ name: String, default value: UInt64) -> UInt64? {
        guard let text = request.query[name] else { return value }
        return UInt64(text)
    }

    /// A submission answer with its receipt, as the coordinator writes it (or, with
    /// `receiptForOtherBytes`, naming the digest of bytes it was not sent).
    func receiptAnswer(status: HTTPStatus, submissionID: String, body: [UInt8]) throws -> HTTPResponse {
        let lie = state.withLock { $0.receiptForOtherBytes }
        let receipt = Receipt(submissionId: submissionID, envelopeDigest: SHA256.hash(lie ? body + [0x0a] : body),
                              acceptedAt: Timestamp.format(Date()))
        return try .json(status: status, ["receipt": receipt])
    }

    func registerLogRoutes(on router: inout Router) {
        let tenant = self.tenant
        /// Checks the tenant and the token, then answers from the log as this town sees it.
        func route(_ path: String, _ answer: @escaping @Sendable (TestCoordinator, HTTPRequest, String, MerkleTree, [LogEntry]) throws -> HTTPResponse) {
            router.get("/v1/tenants/{tenant}/\(path)") { [unowned self] request, parameters in
                guard parameters["tenant"] == tenant else { return .error(status: 404, reason: "no such tenant") }
                guard let town = self.town(of: request) else { return .error(status: 401, reason: "a town token is required") }
                let log = self.view(for: town)
                return try answer(self, request, town, Self.tree(log), log)
            }
        }
        route("log/checkpoint") { coordinator, request, _, tree, _ in
            guard let size = Self.size(request, "treeSize", default: tree.size) else { return .error(status: 400, reason: "bad treeSize") }
            guard size <= tree.size else { return .error(status: 404, reason: "no checkpoint of that size") }
            return .json(bytes: try coordinator.checkpointJSON(tree, size: size))
        }
        route("log/inclusion") { _, request, town, tree, log in
            guard let size = Self.size(request, "treeSize", default: tree.size), size <= tree.size else {
                return .error(status: 400, reason: "treeSize is larger than the log")
            }
            guard let id = request.query["submission"],
                  let index = log.firstIndex(where: { $0.submissionId == id && $0.town == town }) else {
                return .error(status: 404, reason: "not in the log")
            }
            guard UInt64(index) < size else { return .error(status: 400, reason: "appended at or after treeSize") }
            let proof = TransparencyLog.InclusionProof(leafIndex: UInt64(index), treeSize: size, leafHash: Merkle.leafHash(log[index].bytes),
                                                       proof: try tree.inclusionProof(leafIndex: UInt64(index), treeSize: size))
            return try .json(proof)
        }
        route("log/consistency") { _, request, _, tree, _ in
            guard let from = Self.size(request, "from", default: 0), let to = Self.size(request, "to", default: tree.size),
                  from > 0, from <= to, to <= tree.size else {
                return .error(status: 400, reason: "need 0 < from ≤ to ≤ size")
            }
            return try .json(TransparencyLog.ConsistencyProof(size1: from, size2: to, proof: try tree.consistencyProof(from: from, to: to)))
        }
        route("report") { coordinator, request, town, tree, _ in
            guard let from = request.query["from"], let to = request.query["to"] else { return .error(status: 400, reason: "from and to") }
            guard let envelope = try coordinator.reportEnvelope(town: town, from: from, to: to, tree: tree) else {
                return .error(status: 404, reason: "no report for that period")
            }
            return .json(bytes: envelope)
        }
    }
}
