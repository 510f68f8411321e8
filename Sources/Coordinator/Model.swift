public import Federation
public import Foundation

/// What a bearer token lets its holder do.
///
/// Why: three kinds of people and dashboards talk to a coordinator; the role decides which routes
/// they may call, the tenant (and town) which rows they may read.
public enum Role: String, Sendable, Codable, CaseIterable {
    /// A town of a tenant: its own figures and the peer figures the tenant's policy allows.
    case town
    /// A regional coordinator of a tenant: every town of that tenant.
    case coordinator
    /// An administrator of a tenant: like a coordinator, plus administrative routes.
    case admin
    /// An independent auditor of a tenant: the transparency log's checkpoints and proofs for any
    /// submission, and the signed report, to check what the coordinator published (issue 9).
    case auditor
}

/// The authenticated caller of a request.
///
/// Why: the tenant of every query comes from here (from the token's stored record), never from
/// anything the client sends, so the data-access layer cannot be steered into another tenant.
public struct Principal: Sendable, Hashable {
    public var role: Role
    public var tenantID: String
    /// The town of a `town` principal; nil for the other roles.
    public var townID: String?
    public var tokenID: String

    public init(role: Role, tenantID: String, townID: String?, tokenID: String) {
        self.role = role
        self.tenantID = tenantID
        self.townID = townID
        self.tokenID = tokenID
    }

    /// The scope every query of this principal runs in.
    public var scope: TenantScope { TenantScope(tenantID: tenantID) }
}

/// The tenant every store call is confined to.
///
/// Why a type of its own rather than a string: each method of ``CoordinatorStore`` takes one, and
/// the only ways to get one are from an authenticated ``Principal``, from the tenant a
/// submission was posted to (whose signature is then checked against that tenant's keys only), or
/// explicitly as an administrator on the coordinator's own machine (the CLI).
public struct TenantScope: Sendable, Hashable {
    public let tenantID: String
    init(tenantID: String) { self.tenantID = tenantID }

    /// The scope of the admin CLI, which runs on the coordinator's machine with file access.
    public static func administrative(_ tenantID: String) -> TenantScope { TenantScope(tenantID: tenantID) }
    /// The scope of a submission posted to `/v1/tenants/{tenant}/submissions`.
    static func submission(_ tenantID: String) -> TenantScope { TenantScope(tenantID: tenantID) }
}

/// How a tenant shows peers to its towns.
///
/// Why: some networks agree to compare by name, others only anonymously (issue 5, "tenant policy").
public enum PeerNaming: String, Sendable, Codable, CaseIterable {
    case named, anonymised
}

/// A regional network and its policy.
///
/// Why: everything a tenant decides (privacy minimums, acceptance window, peer naming) is data,
/// so two networks on one coordinator can differ without a code change.
public struct Tenant: Sendable, Hashable, Codable {
    public var id: String
    public var name: String
    public var peerNaming: PeerNaming
    public var privacy: PrivacyPolicy
    /// Submissions created longer ago than this many days are refused (`too_old`).
    public var maximumAgeDays: Int

    public init(id: String, name: String, peerNaming: PeerNaming = .anonymised, privacy: PrivacyPolicy = .standard,
                maximumAgeDays: Int = 400) {
        self.id = id
        self.name = name
        self.peerNaming = peerNaming
        self.privacy = privacy
        self.maximumAgeDays = maximumAgeDays
    }

    /// The Federation policy the submission check applies.
    public var submissionPolicy: TenantSubmissionPolicy {
        TenantSubmissionPolicy(tenantID: id, privacy: privacy, maximumAge: TimeInterval(maximumAgeDays) * 86400)
    }
}

/// A town enrolled in a tenant.
public struct Town: Sendable, Hashable, Codable {
    public var id: String
    public var name: String
    public init(id: String, name: String) {
        self.id = id
        self.name = name
    }
}

/// A browser session of the report pages, as stored: never its id, only the id's SHA-256.
///
/// Why stored: a restart must not log everyone out; why hashed: a copy of the store (a backup)
/// must not hold live session ids. The session lives as long as its token is valid and at
/// most until `expiresAt`.
public struct SessionRecord: Sendable, Hashable {
    /// SHA-256 of the session id (the cookie's value).
    public var idHash: [UInt8]
    /// SHA-256 of the token that logged in; the session dies with that token.
    public var tokenHash: [UInt8]
    /// The token's tenant (row-level security keys every row by tenant).
    public var tenantID: String
    public var createdAt: Date
    public var expiresAt: Date
}

/// A stored bearer token: only its SHA-256 is kept.
///
/// Why: a leaked database must not leak usable tokens; expiry and revocation bound a lost one.
public struct TokenRecord: Sendable, Hashable {
    /// A short public id (hex) to name the token in `token revoke` and in logs.
    public var id: String
    /// SHA-256 of the token's text.
    public var hash: [UInt8]
    public var role: Role
    public var tenantID: String
    public var townID: String?
    public var createdAt: Date
    public var expiresAt: Date
    public var revokedAt: Date?
}

/// A stored submission as listed to its town or the tenant's coordinator.
public struct SubmissionSummary: Sendable, Hashable, Codable {
    public var townId: String
    public var sequence: Int
    public var keyId: String
    public var periodFrom: String
    public var periodTo: String
    public var receipt: Receipt
}

/// A submission that passed every check on a worker thread, waiting for the writer.
public struct VerifiedSubmission: Sendable {
    public var scope: TenantScope
    public var accepted: AcceptedSubmission
    /// The exact request body.
    public var body: [UInt8]
    /// Its transparency-log leaf hash, SHA-256(0x00 ‖ body): computed here, on the request's
    /// worker thread, so the one writer thread does not.
    public var leafHash: [UInt8]
    public init(scope: TenantScope, accepted: AcceptedSubmission, body: [UInt8]) {
        self.scope = scope
        self.accepted = accepted
        self.body = body
        leafHash = Merkle.leafHash(body)
    }
}

/// What the writer's transaction decided for one verified submission.
public enum CommitOutcome: Sendable, Hashable {
    /// Stored now (answer 202).
    case stored(Receipt)
    /// Stored before with the same payload bytes (answer 200, nothing written).
    case duplicate(Receipt)
    /// Lost a race inside the transaction (same id other bytes, or sequence taken).
    case refused(Refusal)
}

/// One sensor's current figures for one local day (after supersession), for indicators.
public struct SensorDayRow: Sendable, Hashable {
    public var townID: String
    public var zoneID: String
    public var zoneKind: String
    public var day: Int
    public var measure: String
    public var sensor: String
    public var vendorKind: String
    /// nil when suppressed.
    public var total: Double?
    public var coveredMinutes: Int
    public var expectedMinutes: Int
    public var uptimeMinutes: Int
    public var validHours: Int
}

/// One zone's current flags for one local day.
public struct ZoneDayRow: Sendable, Hashable {
    public var townID: String
    public var zoneID: String
    public var zoneKind: String
    public var day: Int
    public var publicHoliday: Bool
    public var schoolHoliday: Bool
    public var events: [AggregatePayload.Event]

    /// Whether the network figures read this zone day: the ones with events (uplift baselines),
    /// a school holiday (the day shape's day types) or a public holiday (event-uplift v2 uses the
    /// town's own calendar). Both stores' packed reads select exactly these.
    public var isReadByNetworkFigures: Bool { !events.isEmpty || schoolHoliday || publicHoliday }
}

/// One door/street pair's current sums for one local day.
public struct ConversionDayRow: Sendable, Hashable {
    public var townID: String
    public var zoneID: String
    public var zoneKind: String
    public var day: Int
    public var door: String
    public var street: String
    /// nil when suppressed.
    public var entries: Double?
    public var passersBy: Double?
}

/// How a key's status is stored: a state word plus the instant and successor it may carry.
///
/// Why one place: the SQLite and PostgreSQL stores keep the same three columns and must read
/// back exactly what either wrote.
struct StoredKeyStatus {
    var state: String
    var at: String?
    var successor: String?

    init(_ status: KeyRecord.Status) {
        switch status {
        case .active: (state, at, successor) = ("active", nil, nil)
        case .retired(let when, let next): (state, at, successor) = ("retired", Timestamp.format(when), next)
        case .revoked(let when): (state, at, successor) = ("revoked", Timestamp.format(when), nil)
        }
    }

    /// The three column values (state, instant, successor), as one backend binds them.
    func columns<Value>(_ bind: (String?) -> Value) -> [Value] { [bind(state), bind(at), bind(successor)] }

    init(state: String, at: String?, successor: String?) {
        self.state = state
        self.at = at
        self.successor = successor
    }

    /// The status read back; a state or instant that does not decode is corrupt data (an error),
    /// never `active`: a revoked key must not come back to life.
    func status() throws -> KeyRecord.Status {
        switch state {
        case "active": return .active
        case "retired":
            guard let successor else { throw StoredValue.corrupt("keys.successor", "NULL", "is missing for a retired key") }
            return .retired(at: try StoredValue.date(at ?? "", "keys.status_at"), successor: successor)
        case "revoked": return .revoked(at: try StoredValue.date(at ?? "", "keys.status_at"))
        default: throw StoredValue.corrupt("keys.status", state, "is not active, retired or revoked")
        }
    }
}
