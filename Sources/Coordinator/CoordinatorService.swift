public import Federation
public import Foundation
public import HTTPServer
import Indicators
import Synchronization

/// The coordinator's HTTP service: the store, the writer thread, the signing key and the metrics
/// behind one ``router`` (its routes: ``API``, by resource in the `API+…` files).
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
