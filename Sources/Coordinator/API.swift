import Federation
import Foundation
import HTTPServer

/// The coordinator's HTTP API over one store, registered per resource (public, submissions,
/// figures and reports, the log, the report pages), each in its own file.
///
/// Why groups: every route is registered in a ``RouteGroup`` whose tags and middleware (who is
/// admitted) are declared once, so a route's tags (read by the route-matrix tests) and the roles
/// its handler admits cannot drift apart.
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

    /// Runs `body` so a ``CoordinatorError`` becomes the contract's JSON error body.
    static func contract(_ body: () throws -> HTTPResponse) throws -> HTTPResponse {
        do {
            return try body()
        } catch let error as CoordinatorError {
            if error.status.isServerError { throw error }  // 500s: generic body, details to the log
            return error.jsonResponse
        }
    }

    /// A `data` route: authenticates, requires the path's tenant to be the principal's (else 404,
    /// the same answer as for a tenant that does not exist), and the role to be admitted.

    /// The middleware of a `data` group: authenticates, requires the path's tenant to be the
    /// principal's (else 404, the same answer as for a tenant that does not exist), admits
    /// `roles` only, and answers errors with the contract's JSON body.
    func data(_ roles: Set<Role>) -> RouteGroup<Principal>.Middleware {
        let store = store, clock = clock, throttle = throttle
        return { request, parameters, next in
            try API.contract {
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
                return try next(principal)
            }
        }
    }

    /// The tags of a `data` group admitting `roles`.
    static func tags(_ roles: Set<Role>) -> Set<String> { Set(["data"] + roles.map { "role:\($0.rawValue)" }) }

    /// Who may read what: towns see their own town's figures, the regional roles every town's,
    /// and an auditor the tenant's reports and log (not the figures).
    static let allRoles: Set<Role> = [.town, .coordinator, .admin]
    static let regionalRoles: Set<Role> = [.coordinator, .admin]
    static let readerRoles: Set<Role> = [.town, .coordinator, .admin, .auditor]

    func makeRouter() -> Router {
        var router = Router()
        registerPublicRoutes(on: &router)
        registerSubmissionRoutes(on: &router)
        registerFigureRoutes(on: &router)
        registerCalibrationRoutes(on: &router)
        registerLogRoutes(on: &router)
        CoordinatorService.registerPageRoutes(on: &router, api: self)  // the report pages (PageRoutes.swift)
        return router
    }

    /// `public`: health, metrics and the coordinator's key, for anyone.
    func registerPublicRoutes(on router: inout Router) {
        let metrics = metrics, key = key
        router.group(tags: ["public"]) { group in
            group.get("/healthz") { _, _, _ in try API.json(["status": "ok"]) }
            group.get("/metrics") { _, _, _ in metrics.response() }
            group.get("/v1/coordinator-key") { _, _, _ in try API.json(CoordinatorService.keyDocument(key.publicKey)) }
        }
    }
}
