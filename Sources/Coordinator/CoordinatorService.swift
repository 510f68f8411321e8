public import Federation
public import Foundation
public import HTTPServer
import Indicators
import Synchronization

/// The coordinator's HTTP API: routes, authentication, tenant scoping, the submission path and
/// the signed report, over one ``CoordinatorStore``.
///
/// Why one type: it owns the pieces that must agree (store, writer thread, signing key, metrics,
/// clock) and exposes the ``router`` whose route table the tests walk. Route tags say who may
/// call a route: `public` (no token), `submission` (authenticated by the envelope's signature),
/// `data` (a bearer token of the path's tenant) plus `role:town`, `role:coordinator`,
/// `role:admin` for the roles it admits. Contract: `Federation/openapi.yaml`.
public final class CoordinatorService: Sendable {

    public let store: any CoordinatorStore
    public let signingKey: Ed25519.PrivateKey
    /// Signs the tenants' log checkpoints (same key as reports, named by the coordinator's name).
    public let checkpointSigner: CheckpointSigner
    public let metrics: Metrics
    public let writer: SubmissionWriter
    public let router: Router
    let clock: @Sendable () -> Date

    static let submissionsMetric = "townbench_coordinator_submissions_total"
    static let batchesMetric = "townbench_coordinator_commit_batches_total"
    static let batchedMetric = "townbench_coordinator_committed_submissions_total"
    static let figuresMetric = "townbench_coordinator_network_figures_total"

    /// The name checkpoints carry when the operator chose none (`init --name`).
    public static let defaultName = "townbench-coordinator"

    /// - Parameter name: the coordinator's name, which the tenants' log origins start with.
    /// - Parameter clock: the coordinator's clock (tests pin it to the vectors' `now`).
    public init(store: any CoordinatorStore, signingKey: Ed25519.PrivateKey, name: String = defaultName, metrics: Metrics = Metrics(),
                clock: @escaping @Sendable () -> Date = Date.init, maximumQueue: Int = 4096) throws {
        self.store = store
        self.signingKey = signingKey
        let signer = try CheckpointSigner(name: name, key: signingKey)
        checkpointSigner = signer
        self.metrics = metrics
        self.clock = clock
        metrics.describeCounter(Self.submissionsMetric, help: "Submissions answered, by outcome (accepted, duplicate, refused) and refusal reason.")
        metrics.describeCounter(Self.batchesMetric, help: "Group-commit transactions committed.")
        metrics.describeCounter(Self.batchedMetric, help: "Submissions written by group-commit transactions.")
        metrics.describeCounter(Self.figuresMetric, help: "Network figures asked for, by source: computed, or cached at the same log size.")
        writer = SubmissionWriter(store: store, signer: signer, clock: clock, maximumQueue: maximumQueue, onBatch: { n in
            metrics.increment(Self.batchesMetric)
            metrics.increment(Self.batchedMetric, by: UInt64(n))
        })
        let api = API(store: store, key: signingKey, signer: signer, metrics: metrics, writer: writer, clock: clock)
        router = api.makeRouter()
    }

    /// An HTTP server for this service's router (start it, then `runUntilTerminated()`).
    public func makeServer(configuration: HTTPServer.Configuration, accessLog: AccessLog = .standardError) -> HTTPServer {
        HTTPServer(configuration: configuration, router: router, metrics: metrics, accessLog: accessLog)
    }

    /// Stops the writer after storing what is queued (call after the server stopped).
    public func stop() { writer.stop() }

    /// The public key document of `GET /v1/coordinator-key` (nodes pin it).
    public static func keyDocument(_ key: Ed25519.PublicKey) -> [String: String] {
        ["algorithm": "ed25519", "keyId": key.keyID, "publicKey": Hex.encode(key.rawRepresentation)]
    }
}

extension NetworkReport {
    /// Who a report is cut for: role, the town for a town, and how its peers are named.
    public static func audience(for principal: Principal, naming: PeerNaming) -> [String: String] {
        var audience = ["role": principal.role.rawValue]
        if let town = principal.townID {
            audience["town"] = town
            audience["peers"] = naming.rawValue
        }
        return audience
    }

    /// The stored form of an audience (canonical JSON), part of a published report's key.
    public static func audienceKey(_ audience: [String: String]) -> String {
        String(decoding: (try? CanonicalJSON.encode(audience)) ?? [], as: UTF8.self)
    }

    /// The principal a stored audience describes, and the peer naming its figures were cut with.
    static func viewer(_ audience: [String: String], tenantID: String) throws -> (Principal, PeerNaming) {
        guard let role = audience["role"].flatMap(Role.init(rawValue:)) else {
            throw CoordinatorError(.storage, "A published report has an unknown audience \(audience).")
        }
        return (Principal(role: role, tenantID: tenantID, townID: audience["town"], tokenID: ""),
                audience["peers"].flatMap(PeerNaming.init(rawValue:)) ?? .anonymised)
    }

    /// The signed envelope of the report on `figures` (already viewed for `audience`).
    /// Ed25519 is deterministic, so the same inputs give the same bytes.
    static func signed(figures: NetworkFigures, audience: [String: String], generatedAt: String, signingKey: Ed25519.PrivateKey)
        throws -> [UInt8] {
        let report = NetworkReport(reportVersion: 1, tenantId: figures.tenantId, period: figures.period, generatedAt: generatedAt,
                                   audience: audience, figures: figures)
        return try Envelope.sign(payload: try CanonicalJSON.encode(report), payloadType: NetworkReport.payloadType,
                                 with: signingKey).serialized()
    }
}

/// Tenants' submission policies, re-read from the store at most once a second.
///
/// Why: every submission needs its tenant's policy; reading it once per request was one of four
/// queries on the hot path. A policy changed with `tenant policy` applies within a second.
final class PolicyCache: Sendable {
    private let entries = Mutex<[String: (policy: TenantSubmissionPolicy, read: Date)]>([:])

    func policy(_ scope: TenantScope, store: any CoordinatorStore, now: Date) throws -> TenantSubmissionPolicy {
        if let entry = entries.withLock({ $0[scope.tenantID] }), abs(now.timeIntervalSince(entry.read)) < 1 { return entry.policy }
        let policy = try store.tenant(scope)?.submissionPolicy ?? TenantSubmissionPolicy(tenantID: scope.tenantID)
        entries.withLock { $0[scope.tenantID] = (policy, now) }
        return policy
    }
}

struct API: Sendable {
    let policies = PolicyCache()
    let figuresCache = FiguresCache()
    /// Limits failed token checks on the API and the pages (one per service).
    let throttle = AuthThrottle()
    let reportBudget = ReportBudget()
    let store: any CoordinatorStore
    let key: Ed25519.PrivateKey
    let signer: CheckpointSigner
    let metrics: Metrics
    let writer: SubmissionWriter
    let clock: @Sendable () -> Date

    static func json<T: Encodable>(_ value: T, status: HTTPStatus = .ok) throws -> HTTPResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return HTTPResponse.json(status: status, data: try encoder.encode(value))
    }

    /// Wraps a handler so a ``CoordinatorError`` becomes the contract's JSON error body.
    static func contract(_ handler: @escaping RouteHandler) -> RouteHandler {
        { request, parameters in
            do {
                return try handler(request, parameters)
            } catch let error as CoordinatorError {
                if error.status.isServerError { throw error }  // 500s: generic body, details to the log
                return error.jsonResponse
            }
        }
    }

    /// A `data` route: authenticates, requires the path's tenant to be the principal's (else 404,
    /// the same answer as for a tenant that does not exist), and the role to be admitted.
    func data(_ roles: Set<Role>, _ handler: @escaping @Sendable (HTTPRequest, RouteParameters, Principal) throws -> HTTPResponse)
        -> RouteHandler {
        let store = store, clock = clock, throttle = throttle
        return API.contract { request, parameters in
            let header = request.headers["Authorization"]
            let principal = try throttle.authenticate(request, token: BearerToken.presented(header)) {
                try BearerToken.authenticate(header: header, store: store, now: clock())
            }
            guard try parameters.require("tenant") == principal.tenantID else {
                throw CoordinatorError(.notFound, "No such tenant, or not yours. Check the URL and your token.")
            }
            guard roles.contains(principal.role) else {
                throw CoordinatorError(.forbidden, "A \(principal.role.rawValue) token may not use this route; use a token of role \(roles.map(\.rawValue).sorted().joined(separator: " or ")).")
            }
            return try handler(request, parameters, principal)
        }
    }

    static func tags(_ roles: Set<Role>) -> Set<String> { Set(["data"] + roles.map { "role:\($0.rawValue)" }) }

    func makeRouter() -> Router {
        var router = Router()
        let all: Set<Role> = [.town, .coordinator, .admin]
        let regional: Set<Role> = [.coordinator, .admin]
        let metrics = metrics, key = key
        router.get("/healthz", tags: ["public"]) { _, _ in try API.json(["status": "ok"]) }
        router.get("/metrics", tags: ["public"]) { _, _ in metrics.response() }
        router.get("/v1/coordinator-key", tags: ["public"]) { _, _ in try API.json(CoordinatorService.keyDocument(key.publicKey)) }
        router.post("/v1/tenants/{tenant}/submissions", tags: ["submission"], handler: API.contract { [self] request, parameters in
            try submit(request, parameters)
        })
        router.post("/v1/tenants/{tenant}/key-rotations", tags: ["submission"], handler: API.contract { [self] request, parameters in
            try rotate(request, parameters)
        })
        router.get("/v1/tenants/{tenant}/towns", tags: API.tags(regional), handler: data(regional) { [self] _, _, principal in
            try API.json(["towns": try store.towns(principal.scope)])
        })
        router.get("/v1/tenants/{tenant}/towns/{town}/submissions", tags: API.tags(all), handler: data(all) { [self] _, parameters, principal in
            let town = try visibleTown(parameters, principal)
            return try API.json(["submissions": try store.submissions(town: town, principal.scope)])
        })
        router.get("/v1/tenants/{tenant}/indicators", tags: API.tags(all), handler: data(all) { [self] request, _, principal in
            let figures = try figures(request, principal)
            if let indicator = request.query["indicator"] {
                guard figures.indicators[indicator] != nil else {
                    throw CoordinatorError(.invalidArgument, "Unknown indicator '\(indicator)'; use one of \(figures.indicators.keys.sorted().joined(separator: ", ")).")
                }
            }
            return try API.json(figures)
        })
        router.get("/v1/tenants/{tenant}/towns/{town}/comparison", tags: API.tags(all), handler: data(all) { [self] request, parameters, principal in
            let town = try visibleTown(parameters, principal)
            let figures = try figures(request, principal)
            guard let own = figures.towns.first(where: { $0.town == town }) else {
                throw CoordinatorError(.notFound, "No such town in this tenant.")
            }
            struct Comparison: Encodable {
                var town: NetworkFigures.TownFigures
                var network: NetworkFigures.Footfall
                var peers: [NetworkFigures.TownFigures]
                var conversionByZoneKind: [NetworkFigures.ZoneKindConversion]
                var period: DayPeriod
            }
            return try API.json(Comparison(town: own, network: figures.footfall,
                                           peers: figures.towns.filter { $0.town != town }.map {
                                               var peer = $0
                                               peer.footfall = nil
                                               peer.events = nil
                                               peer.conversion = nil
                                               return peer
                                           }, conversionByZoneKind: figures.conversionByZoneKind, period: figures.period))
        })
        let readers: Set<Role> = [.town, .coordinator, .admin, .auditor]
        router.get("/v1/tenants/{tenant}/report", tags: API.tags(readers), handler: data(readers) { [self] request, _, principal in
            HTTPResponse.json(bytes: try report(request, principal))
        })
        router.get("/v1/tenants/{tenant}/log/checkpoint", tags: API.tags(readers), handler: data(readers) { [self] request, _, principal in
            let size = try API.treeSize(request.query["treeSize"], name: "treeSize")
            if let size, try store.storedCheckpoint(treeSize: size, principal.scope) == nil, size != (try store.logHead(principal.scope).size) {
                throw CoordinatorError(.notFound, "No checkpoint was signed at tree size \(size). Ask for the latest one without treeSize.")
            }
            return try API.json(try store.checkpoint(treeSize: size, signer: signer, principal.scope))
        })
        router.get("/v1/tenants/{tenant}/log/inclusion", tags: API.tags(readers), handler: data(readers) { [self] request, _, principal in
            try API.json(try inclusion(request, principal))
        })
        router.get("/v1/tenants/{tenant}/log/consistency", tags: API.tags(readers), handler: data(readers) { [self] request, _, principal in
            let head = try store.logHead(principal.scope)
            guard let from = try API.treeSize(request.query["from"], name: "from") else {
                throw CoordinatorError(.invalidArgument, "Give from=N (the tree size you hold) and optionally to=M (default: the current size).")
            }
            let to = try API.treeSize(request.query["to"], name: "to") ?? head.size
            guard from > 0, from <= to, to <= head.size else {
                throw CoordinatorError(.invalidArgument, "Need 0 < from ≤ to ≤ \(head.size) (the log's size); got from=\(from), to=\(to).")
            }
            return try API.json(try store.consistencyProof(from: from, to: to, principal.scope))
        })
        CoordinatorService.registerPageRoutes(on: &router, api: self)  // the report pages (PageRoutes.swift)
        return router
    }

    /// `{town}` of the path if the principal may see it: a town only itself; others any town of the tenant.
    func visibleTown(_ parameters: RouteParameters, _ principal: Principal) throws -> String {
        let town = try parameters.require("town")
        if principal.role == .town, principal.townID != town {
            throw CoordinatorError(.notFound, "No such town in this tenant.")
        }
        guard try store.towns(principal.scope).contains(where: { $0.id == town }) else {
            throw CoordinatorError(.notFound, "No such town in this tenant.")
        }
        return town
    }

    static func treeSize(_ text: String?, name: String) throws -> UInt64? {
        guard let text else { return nil }
        // At most Int64.max: the stores keep sizes as signed 64-bit integers.
        guard let value = UInt64(text), value <= UInt64(Int64.max) else {
            throw CoordinatorError(.invalidArgument, "\(name) must be a log size (digits only, at most \(Int64.max), e.g. 1024), not '\(text)'.")
        }
        return value
    }

    /// The inclusion proof of one submission (`submission` + `town`, or `leafHash`) at `treeSize`
    /// (default: the current size). A town may only ask about its own submissions: any other
    /// answers 404, exactly as a submission that is not in the log.
    func inclusion(_ request: HTTPRequest, _ principal: Principal) throws -> TransparencyLog.InclusionProof {
        let notFound = CoordinatorError(.notFound, "That submission is not in this tenant's log (or not yours).")
        let entry: LogEntry?
        if let submission = request.query["submission"] {
            let town: String
            if principal.role == .town, let own = principal.townID {
                guard request.query["town"] == nil || request.query["town"] == own else { throw notFound }
                town = own
            } else {
                guard let given = request.query["town"] else {
                    throw CoordinatorError(.invalidArgument, "Give town=TOWN_ID with submission=ID (submission ids are unique per town).")
                }
                town = given
            }
            entry = try store.logEntry(town: town, submissionID: submission, principal.scope)
        } else if let text = request.query["leafHash"] {
            guard let hash = Base64.decode(text), hash.count == 32 else {
                throw CoordinatorError(.invalidArgument, "leafHash must be the base64 of a 32-byte SHA-256 leaf hash.")
            }
            entry = try store.logEntry(leafHash: hash, principal.scope)
        } else {
            throw CoordinatorError(.invalidArgument, "Give submission=ID (and town=TOWN_ID unless you are the town) or leafHash=BASE64.")
        }
        guard let entry, principal.role != .town || entry.townID == principal.townID else { throw notFound }
        let head = try store.logHead(principal.scope)
        let size = try API.treeSize(request.query["treeSize"], name: "treeSize") ?? head.size
        guard size <= head.size else {
            throw CoordinatorError(.invalidArgument, "The log has \(head.size) entries; there is no tree of size \(size).")
        }
        guard entry.leafIndex < size else {
            throw CoordinatorError(.invalidArgument, "That submission is leaf \(entry.leafIndex), appended after tree size \(size); ask for a larger treeSize.")
        }
        return try store.inclusionProof(of: entry, treeSize: size, principal.scope)
    }

    /// The signed report for this principal's question, published at the snapshot's log size:
    /// the first answer is stored and every later ask of the same question at the same size gets
    /// the same bytes (`report recompute` checks them against the log). A new question draws on the
    /// token's ``ReportBudget`` (a 429 when it is spent), so no token can fill the store.
    func report(_ request: HTTPRequest, _ principal: Principal) throws -> [UInt8] {
        let (period, lag) = try API.question(request)
        guard let tenant = try store.tenant(principal.scope) else { throw CoordinatorError(.notFound, "No such tenant.") }
        // Not from ``FiguresCache``: a new report is computed from the store's rows as they are now, so
        // that `report recompute` can catch rows altered behind the log's back (LogTests).
        let figures = try NetworkIndicators.compute(principal.scope, store: store, origin: signer.origin(principal.tenantID),
                                                    period: period, lag: lag)
        let audience = NetworkReport.audience(for: principal, naming: tenant.peerNaming)
        let key = PublishedReportKey(treeSize: figures.checkpoint?.treeSize ?? 0, period: period, lag: lag,
                                     audience: NetworkReport.audienceKey(audience))
        if let published = try store.publishedReport(key, principal.scope) { return published.envelope }
        if let wait = reportBudget.take(principal.tokenID) {
            throw CoordinatorError(.tooManyRequests, "This token has asked for \(ReportBudget.capacity) new reports in a short time (each is signed and kept for good; then one more per \(Int(ReportBudget.interval)) s). A question already answered at this log size is free: ask it again. Retry after \(wait) s.",
                                   headers: ["Retry-After": String(wait)])
        }
        // The checkpoint the report names is signed and kept before the report is.
        _ = try store.checkpoint(treeSize: key.treeSize, signer: signer, principal.scope)
        let envelope = try NetworkReport.signed(figures: NetworkIndicators.view(figures, for: principal, naming: tenant.peerNaming),
                                                audience: audience, generatedAt: Timestamp.format(clock()), signingKey: self.key)
        return try store.publish(PublishedReport(key: key, envelope: envelope), principal.scope).envelope
    }

    /// The period and lag of an indicators or report request.
    static func question(_ request: HTTPRequest) throws -> (DayPeriod, Int) {
        let period = try DayPeriod.parse(period: request.query["period"], from: request.query["from"], to: request.query["to"]).get()
        var lag = FootfallIndex.defaultLag
        if let text = request.query["lag"] {
            guard let value = Int(text), value == 7 || value == 364 else {
                throw CoordinatorError(.invalidArgument, "lag must be 364 (year on year) or 7 (week on week).")
            }
            lag = value
        }
        return (period, lag)
    }

    func figures(_ request: HTTPRequest, _ principal: Principal) throws -> NetworkFigures {
        let (period, lag) = try API.question(request)
        guard let tenant = try store.tenant(principal.scope) else { throw CoordinatorError(.notFound, "No such tenant.") }
        let figures = try networkFigures(principal.scope, period: period, lag: lag)
        return NetworkIndicators.view(figures, for: principal, naming: tenant.peerNaming)
    }

    /// The tenant's figures for a period at the log's current size, from ``FiguresCache`` when
    /// they were computed at that size already (the log head is one small read).
    func networkFigures(_ scope: TenantScope, period: DayPeriod, lag: Int) throws -> NetworkFigures {
        let origin = signer.origin(scope.tenantID)
        var key = FiguresCache.Key(tenantID: scope.tenantID, origin: origin, from: period.from, to: period.to, lag: lag,
                                   treeSize: try store.logHead(scope).size)
        if let cached = figuresCache.figures(key) {
            metrics.increment(CoordinatorService.figuresMetric, labels: ["source": "cached"])
            return cached
        }
        let figures = try NetworkIndicators.compute(scope, store: store, origin: origin, period: period, lag: lag)
        metrics.increment(CoordinatorService.figuresMetric, labels: ["source": "computed"])
        // The snapshot computed from may be newer than the head read above: key it by its own size.
        key.treeSize = figures.checkpoint?.treeSize ?? key.treeSize
        figuresCache.store(figures, key)
        return figures
    }

    // MARK: Submissions

    func submit(_ request: HTTPRequest, _ parameters: RouteParameters) throws -> HTTPResponse {
        let tenantID = try parameters.require("tenant")
        let scope = TenantScope.submission(tenantID)
        // An unknown tenant has no keys: its submissions are refused `unknown_key` like any other.
        let policy = try policies.policy(scope, store: store, now: clock())
        var town: String?
        let body = request.body
        let decision = try SubmissionCheck.check(body, policy: policy, now: clock(),
                                                 keys: { try store.keyRecord(id: $0, scope) },
                                                 state: { townID, submissionID in
                                                     town = townID
                                                     return try store.submissionState(town: townID, submissionID: submissionID, scope)
                                                 })
        switch decision {
        case .refused(let refusal):
            return refused(refusal)
        case .duplicate(let submissionID):
            guard let town, let receipt = try store.receipt(town: town, submissionID: submissionID, scope) else {
                throw CoordinatorError(.storage, "A duplicate's receipt is missing.")
            }
            return try answer(receipt, status: .ok, outcome: "duplicate")
        case .accepted(let accepted):
            switch try writer.submit(VerifiedSubmission(scope: scope, accepted: accepted, body: body)) {
            case .stored(let receipt): return try answer(receipt, status: .accepted, outcome: "accepted")
            case .duplicate(let receipt): return try answer(receipt, status: .ok, outcome: "duplicate")
            case .refused(let refusal): return refused(refusal)
            }
        }
    }

    /// A key rotation statement (PROTOCOL.md §1.2), authenticated by the old key's signature.
    func rotate(_ request: HTTPRequest, _ parameters: RouteParameters) throws -> HTTPResponse {
        let tenantID = try parameters.require("tenant")
        let scope = TenantScope.submission(tenantID)
        var lookupError: (any Error)?
        let verified = KeyRotationStatement.verify(request.body, tenantId: tenantID) { keyID in
            do { return try store.keyRecord(id: keyID, scope) } catch {
                lookupError = error
                return nil
            }
        }
        if let lookupError { throw lookupError }
        switch verified {
        case .failure(let refusal):
            throw CoordinatorError(refusal: refusal)
        case .success(let (statement, newKey)):
            guard let old = try store.keyRecord(id: statement.oldKeyId, scope) else {
                throw CoordinatorError(refusal: Refusal(.unknownKey, "no enrolled key has id \(statement.oldKeyId)"))
            }
            let (retired, active) = old.rotated(to: newKey, at: clock())
            try store.rotate(retired, to: active, scope)
            return try API.json(["keyId": active.keyID, "retiredKeyId": retired.keyID, "townId": active.townID], status: .created)
        }
    }

    func answer(_ receipt: Receipt, status: HTTPStatus, outcome: String) throws -> HTTPResponse {
        metrics.increment(CoordinatorService.submissionsMetric, labels: ["outcome": outcome])
        // Built directly (the hot path; JSONEncoder cost ~3 % of a submission's CPU in a profile).
        let body = JSONValue.object(["receipt": .object([
            "submissionId": .string(receipt.submissionId), "digest": .string(receipt.digest),
            "acceptedAt": .string(receipt.acceptedAt),
        ])])
        return HTTPResponse.json(status: status, bytes: try CanonicalJSON.serialize(body))
    }

    func refused(_ refusal: Refusal) -> HTTPResponse {
        metrics.increment(CoordinatorService.submissionsMetric, labels: ["outcome": "refused", "reason": refusal.reason.code])
        return CoordinatorError(refusal: refusal).jsonResponse
    }
}
