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
    public static let reportPayloadType = "application/vnd.townbench.report.v1+json"

    public let store: any CoordinatorStore
    public let signingKey: Ed25519.PrivateKey
    public let metrics: Metrics
    public let writer: SubmissionWriter
    public let router: Router
    let clock: @Sendable () -> Date

    static let submissionsMetric = "townbench_coordinator_submissions_total"
    static let batchesMetric = "townbench_coordinator_commit_batches_total"
    static let batchedMetric = "townbench_coordinator_committed_submissions_total"

    /// - Parameter clock: the coordinator's clock (tests pin it to the vectors' `now`).
    public init(store: any CoordinatorStore, signingKey: Ed25519.PrivateKey, metrics: Metrics = Metrics(),
                clock: @escaping @Sendable () -> Date = Date.init, maximumQueue: Int = 4096) {
        self.store = store
        self.signingKey = signingKey
        self.metrics = metrics
        self.clock = clock
        metrics.describeCounter(Self.submissionsMetric, help: "Submissions answered, by outcome (accepted, duplicate, refused) and refusal reason.")
        metrics.describeCounter(Self.batchesMetric, help: "Group-commit transactions committed.")
        metrics.describeCounter(Self.batchedMetric, help: "Submissions written by group-commit transactions.")
        writer = SubmissionWriter(store: store, clock: clock, maximumQueue: maximumQueue, onBatch: { n in
            metrics.increment(Self.batchesMetric)
            metrics.increment(Self.batchedMetric, by: UInt64(n))
        })
        let api = API(store: store, key: signingKey, metrics: metrics, writer: writer, clock: clock)
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

/// The network report a node fetches, signed by the coordinator as a DSSE envelope.
///
/// Why: a town keeps what the coordinator told it, with proof of origin, and can render it
/// offline; the payload is RFC 8785 canonical JSON of this value (payloadType
/// ``CoordinatorService/reportPayloadType``), `figures` as the requesting principal may see them.
/// A node compares `figures.towns[its own].footfall` (a `FootfallIndex.Result`) with its own.
public struct NetworkReport: Sendable, Codable, Equatable {
    public var reportVersion: Int
    public var tenantId: String
    public var period: DayPeriod
    public var generatedAt: String
    /// Who the report was cut for: role and town (a town sees anonymised peers per policy).
    public var audience: [String: String]
    public var figures: NetworkFigures
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
    let store: any CoordinatorStore
    let key: Ed25519.PrivateKey
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
        let store = store, clock = clock
        return API.contract { request, parameters in
            let principal = try BearerToken.authenticate(header: request.headers["Authorization"], store: store, now: clock())
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
        router.get("/v1/tenants/{tenant}/report", tags: API.tags(all), handler: data(all) { [self] request, _, principal in
            let figures = try figures(request, principal)
            var audience = ["role": principal.role.rawValue]
            if let town = principal.townID { audience["town"] = town }
            let report = NetworkReport(reportVersion: 1, tenantId: principal.tenantID, period: figures.period,
                                       generatedAt: Timestamp.format(clock()), audience: audience, figures: figures)
            let envelope = try Envelope.sign(payload: try CanonicalJSON.encode(report), payloadType: CoordinatorService.reportPayloadType,
                                             with: key)
            return HTTPResponse.json(bytes: envelope.serialized())
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

    func figures(_ request: HTTPRequest, _ principal: Principal) throws -> NetworkFigures {
        let period = try DayPeriod.parse(period: request.query["period"], from: request.query["from"], to: request.query["to"]).get()
        var lag = FootfallIndex.defaultLag
        if let text = request.query["lag"] {
            guard let value = Int(text), value == 7 || value == 364 else {
                throw CoordinatorError(.invalidArgument, "lag must be 364 (year on year) or 7 (week on week).")
            }
            lag = value
        }
        guard let tenant = try store.tenant(principal.scope) else { throw CoordinatorError(.notFound, "No such tenant.") }
        let figures = try NetworkIndicators.compute(principal.scope, store: store, period: period, lag: lag)
        return NetworkIndicators.view(figures, for: principal, naming: tenant.peerNaming)
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
