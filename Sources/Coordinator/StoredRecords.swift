// The coordinator's records decoded from stored rows, once for both stores (see StoredRow.swift),
// with the checks and error messages the two stores share.
import Federation
import Foundation
import Indicators
import Synchronization

/// The refusals both stores give, worded once.
enum StoreError {
    /// Throws `invalid_argument` unless `id` is a usable tenant or town id.
    static func checkIdentifier(_ id: String, _ kind: String) throws {
        guard Identifier.isValid(id) else {
            throw CoordinatorError(.invalidArgument, "'\(id)' is not a valid \(kind) id; use [a-z0-9][a-z0-9._-]{0,63}.")
        }
    }

    /// Throws `invalid_argument` when a key record is for another tenant than the scope's.
    static func checkTenant(of record: KeyRecord, _ scope: TenantScope) throws {
        guard record.tenantID == scope.tenantID else {
            throw CoordinatorError(.invalidArgument, "The key is for tenant \(record.tenantID), not \(scope.tenantID).")
        }
    }

    static func tenantExists(_ id: String) -> CoordinatorError {
        CoordinatorError(.alreadyExists, "Tenant \(id) exists already; change it with `tenant policy`.")
    }
    static func noTenant(_ id: String) -> CoordinatorError {
        CoordinatorError(.notFound, "Tenant \(id) does not exist; add it with `tenant add`.")
    }
    static func keyExists(_ record: KeyRecord, _ scope: TenantScope) -> CoordinatorError {
        CoordinatorError(.alreadyExists, "Key \(record.keyID) is already enrolled in tenant \(scope.tenantID), or town \(record.townID) is not in it. A town enrols a new key with a new request.")
    }
    static func rotatedKeyExists(_ record: KeyRecord, _ scope: TenantScope) -> CoordinatorError {
        CoordinatorError(.alreadyExists, "Key \(record.keyID) is already enrolled in tenant \(scope.tenantID). Rotate to a new key.")
    }
    static func noKey(_ keyID: String, _ scope: TenantScope) -> CoordinatorError {
        CoordinatorError(.notFound, "No key \(keyID) in tenant \(scope.tenantID).")
    }
    static func alreadyRotated(_ keyID: String) -> CoordinatorError {
        CoordinatorError(refusal: Refusal(.retiredKey, "key \(keyID) was already rotated or revoked"))
    }
    static func noToken(_ id: String) -> CoordinatorError {
        CoordinatorError(.notFound, "No token with id \(id). `token issue` printed the id beside the token.")
    }
    /// A row a store wrote in this very transaction could not be read back.
    static func missingAfterWrite(_ what: String, _ scope: TenantScope) -> CoordinatorError {
        CoordinatorError(.storage, "The \(what) just stored for tenant \(scope.tenantID) is missing; check the database, then retry.")
    }
    /// A log size or leaf index as the stores keep it (a signed 64-bit integer); a larger one
    /// (from a request or the command line) is no size of any log, and must not trap.
    static func logSize(_ value: UInt64) throws -> Int64 {
        guard let size = Int64(exactly: value) else {
            throw CoordinatorError(.invalidArgument, "\(value) is beyond any log's size (at most \(Int64.max)); give a size the log has.")
        }
        return size
    }

    static func damagedHead(_ tenant: String, _ problem: String) -> CoordinatorError {
        CoordinatorError(.storage, "The log head of tenant \(tenant) is damaged (\(problem)). Restore the database from a backup.")
    }
}

/// Parsed public keys by their raw bytes, shared by a store's threads.
///
/// Why: parsing an Ed25519 key is the costly part of reading a key row, and keys are immutable
/// facts; a key's status is always read from the store, never cached.
final class PublicKeyCache: Sendable {
    /// The columns of a key row, by the names ``keyRecord(_:tenantID:)`` reads.
    static let columns = "key_id, town_id, public_key, enrolled_at, status, status_at, successor"
    private let keys = Mutex<[[UInt8]: Ed25519.PublicKey]>([:])

    /// The key record of a row selected with ``columns``.
    func keyRecord(_ row: some StoredRow, tenantID: String) throws -> KeyRecord {
        let raw = try row.bytes("public_key")
        let key: Ed25519.PublicKey
        if let cached = keys.withLock({ $0[raw] }) {
            key = cached
        } else {
            key = try Ed25519.PublicKey(rawRepresentation: raw)
            keys.withLock { $0[raw] = key }
        }
        let status = try StoredKeyStatus(state: try row.string("status"), at: try row.optionalString("status_at"),
                                         successor: try row.optionalString("successor")).status()
        return KeyRecord(keyID: try row.string("key_id"), publicKey: key, tenantID: tenantID, townID: try row.string("town_id"),
                         enrolledAt: try row.date("enrolled_at", of: "keys"), status: status)
    }
}

extension Tenant {
    /// The columns a store selects for it, by the names decoding reads.
    static let storedColumns = "name, peer_naming, min_store_entries, min_spending_buyers, max_age_days"

    /// From a row selected with ``storedColumns``.
    init(stored row: some StoredRow, id: String) throws {
        let naming = try row.string("peer_naming")
        guard let peerNaming = PeerNaming(rawValue: naming) else {
            throw StoredValue.corrupt("tenants.peer_naming", naming, "is no peer naming")
        }
        self.init(id: id, name: try row.string("name"), peerNaming: peerNaming,
                  privacy: PrivacyPolicy(minimumStoreEntries: try row.int("min_store_entries"),
                                         minimumSpendingBuyers: try row.int("min_spending_buyers")),
                  maximumAgeDays: try row.int("max_age_days"))
    }
}

extension Town {
    /// The columns a store selects for it, by the names decoding reads.
    static let storedColumns = "town_id, name"

    /// From a row selected with ``storedColumns``.
    init(stored row: some StoredRow) throws {
        self.init(id: try row.string("town_id"), name: try row.string("name"))
    }
}

extension TokenRecord {
    /// The columns a store selects for it, by the names decoding reads.
    static let storedColumns = "token_hash, token_id, role, tenant_id, town_id, created_at, expires_at, revoked_at"

    /// From a row selected with ``storedColumns``.
    init(stored row: some StoredRow) throws {
        let roleText = try row.string("role")
        guard let role = Role(rawValue: roleText) else { throw StoredValue.corrupt("tokens.role", roleText, "is no role") }
        self.init(id: try row.string("token_id"), hash: try row.bytes("token_hash"), role: role, tenantID: try row.string("tenant_id"),
                  townID: try row.optionalString("town_id"), createdAt: try row.date("created_at", of: "tokens"),
                  expiresAt: try row.date("expires_at", of: "tokens"), revokedAt: try row.optionalDate("revoked_at", of: "tokens"))
    }
}

extension SessionRecord {
    /// The columns a store selects for it, by the names decoding reads.
    static let storedColumns = "token_hash, tenant_id, created_at, expires_at"

    /// From a row selected with ``storedColumns``.
    init(stored row: some StoredRow, idHash: [UInt8]) throws {
        self.init(idHash: idHash, tokenHash: try row.bytes("token_hash"), tenantID: try row.string("tenant_id"),
                  createdAt: try row.date("created_at", of: "sessions"), expiresAt: try row.date("expires_at", of: "sessions"))
    }
}

extension Receipt {
    /// The columns a store selects for it, by the names decoding reads.
    static let storedColumns = "envelope_digest, accepted_at"

    /// From a row selected with ``storedColumns``.
    init(stored row: some StoredRow, submissionID: String) throws {
        self.init(submissionId: submissionID, envelopeDigest: try row.bytes("envelope_digest"), acceptedAt: try row.string("accepted_at"))
    }
}

extension SubmissionSummary {
    /// The columns a store selects for it, by the names decoding reads.
    static let storedColumns = "submission_id, sequence, key_id, period_from, period_to, envelope_digest, accepted_at"

    /// From a row selected with ``storedColumns``.
    init(stored row: some StoredRow, townID: String) throws {
        self.init(townId: townID, sequence: try row.int("sequence"), keyId: try row.string("key_id"),
                  periodFrom: try row.string("period_from"), periodTo: try row.string("period_to"),
                  receipt: try Receipt(stored: row, submissionID: try row.string("submission_id")))
    }
}

/// A town's stored state for one incoming submission: what ``SubmissionCheck`` asks, and the
/// receipt of the submission already stored under its id, if any.
struct StoredSubmissionState {
    var state: TownSubmissionState
    var receipt: Receipt?

    /// From a row with `last_sequence` and, NULL when the id is new, ``storedColumns`` and `payload_digest`.
    init(stored row: some StoredRow, submissionID: String) throws {
        let digest = try row.optionalBytes("payload_digest")
        state = TownSubmissionState(lastSequence: try row.optionalInt64("last_sequence").map { try Self.int($0) },
                                    existingPayloadDigest: digest)
        receipt = digest == nil ? nil : try Receipt(stored: row, submissionID: submissionID)
    }

    private static func int(_ value: Int64) throws -> Int {
        guard let int = Int(exactly: value) else { throw StoredValue.corrupt("submissions.sequence", String(value), "does not fit an Int") }
        return int
    }

    /// The store's verdict inside its write transaction: ``SubmissionCheck``'s replay and
    /// ordering rules on the state read there; nil when the submission may go in.
    func verdict(_ item: VerifiedSubmission) -> CommitOutcome? {
        let payload = item.accepted.payload
        switch SubmissionCheck.replay(state, submissionID: payload.submissionId, payloadDigest: item.accepted.payloadDigest) {
        case .new: break
        case .duplicate:
            if let receipt { return .duplicate(receipt) }
        case .refused(let refusal): return .refused(refusal)
        }
        return SubmissionCheck.ordering(state, sequence: payload.sequence).map { .refused($0) }
    }
}

extension TransparencyLog.SignedCheckpoint {
    /// The columns a store selects for it, by the names decoding reads.
    static let storedColumns = "tree_size, root_hash, origin, note, verifier_key"

    /// From a row selected with ``storedColumns``.
    init(stored row: some StoredRow) throws {
        self.init(origin: try row.string("origin"), treeSize: try row.uint64("tree_size"), rootHash: try row.bytes("root_hash"),
                  note: try row.string("note"), verifierKey: try row.string("verifier_key"))
    }
}

extension LogEntry {
    /// The columns a store selects for it, by the names decoding reads.
    static let storedColumns = "leaf_index, town_id, submission_id, envelope"

    /// From a row selected with ``storedColumns``.
    init(stored row: some StoredRow) throws {
        self.init(leafIndex: try row.uint64("leaf_index"), townID: try row.string("town_id"),
                  submissionID: try row.string("submission_id"), envelope: try row.bytes("envelope"))
    }
}

extension PublishedReport {
    /// The columns a store selects for it, by the names decoding reads.
    static let storedColumns = "period_from, period_to, lag, audience, envelope"

    /// From a row selected with ``storedColumns``.
    init(stored row: some StoredRow, treeSize: UInt64) throws {
        let period = try DayPeriod(storedFrom: try row.string("period_from"), to: try row.string("period_to"))
        self.init(key: PublishedReportKey(treeSize: treeSize, period: period, lag: try row.int("lag"), audience: try row.string("audience")),
                  envelope: try row.bytes("envelope"))
    }
}

extension MerkleFrontier {
    /// The columns a store selects for it, by the names decoding reads.
    static let storedColumns = "size, frontier"

    /// A tenant's log head from a row selected with ``storedColumns``; none is the empty log.
    init(stored row: (any StoredRow)?, tenant: String) throws {
        guard let row else {
            self.init()
            return
        }
        let size = try row.uint64("size")
        let encoded = try row.bytes("frontier")
        do {
            try self.init(size: size, encoded: encoded)
        } catch {
            throw StoreError.damagedHead(tenant, error.message)
        }
    }
}

extension ZoneDayRow {
    /// The columns a store selects for it, by the names decoding reads.
    static let storedColumns = "z.town_id, z.zone_id, z.zone_kind, z.day, z.public_holiday, z.school_holiday, z.events"

    /// From a row selected with ``storedColumns``.
    init(stored row: some StoredRow) throws {
        self.init(townID: try row.string("town_id"), zoneID: try row.string("zone_id"), zoneKind: try row.string("zone_kind"),
                  day: try row.int("day"), publicHoliday: try row.flag("public_holiday"), schoolHoliday: try row.flag("school_holiday"),
                  events: try StoredValue.events(try row.string("events"), "zone_days.events"))
    }
}

extension ConversionDayRow {
    /// The columns a store selects for it, by the names decoding reads.
    static let storedColumns = "v.town_id, v.zone_id, z.zone_kind, v.day, v.door, v.street, v.entries, v.passers_by"

    /// From a row selected with ``storedColumns``.
    init(stored row: some StoredRow) throws {
        self.init(townID: try row.string("town_id"), zoneID: try row.string("zone_id"), zoneKind: try row.string("zone_kind"),
                  day: try row.int("day"), door: try row.string("door"), street: try row.string("street"),
                  entries: try row.optionalDouble("entries"), passersBy: try row.optionalDouble("passers_by"))
    }
}

/// Sensor days from rows selected with ``storedColumns``: the columns are found by
/// name once per result, and the few sensor ids and zone kinds that recur on every day are kept
/// as one copy each (a network read holds millions of rows; issue 17).
struct SensorDayDecoder {
    /// The columns a store selects for it, by the names decoding reads.
    static let storedColumns = """
        s.town_id, s.zone_id, z.zone_kind, s.day, s.sensor, s.vendor_kind, s.total, s.covered, s.expected, s.uptime, s.valid_hours
        """
    let measure: String
    private var columns: [Int] = []
    private var strings: [String: String] = [:]
    private static let names = ["town_id", "zone_id", "zone_kind", "day", "sensor", "vendor_kind", "total", "covered", "expected",
                                "uptime", "valid_hours"]

    init(measure: String) { self.measure = measure }

    private mutating func interned(_ text: String) -> String {
        if let known = strings[text] { return known }
        strings[text] = text
        return text
    }

    mutating func decode(_ row: some StoredRow) throws -> SensorDayRow {
        if columns.isEmpty { columns = try Self.names.map { try row.index(of: $0) } }
        let c = columns
        return SensorDayRow(townID: try row.string(c[0]), zoneID: try row.string(c[1]), zoneKind: interned(try row.string(c[2])),
                            day: try row.int(c[3]), measure: measure, sensor: interned(try row.string(c[4])),
                            vendorKind: try row.string(c[5]), total: try row.optionalDouble(c[6]), coveredMinutes: try row.int(c[7]),
                            expectedMinutes: try row.int(c[8]), uptimeMinutes: try row.int(c[9]), validHours: try row.int(c[10]))
    }
}

/// One tenant's transparency log as one write transaction extends it: the frontier read from
/// the head, extended in memory, and the node rows that completes (written by the store at the end).
///
/// Why one type for both stores: the leaf index is the acceptance order, and which nodes are
/// stored is ``LogNodeStorage``'s rule; the stores differ only in how they write the rows.
struct TenantLogAppend {
    let tenant: String
    private(set) var frontier: MerkleFrontier
    /// The completed node rows to store, in append order.
    private(set) var nodes: [MerkleTree.StoredNode] = []
    /// How many leaves this transaction appended.
    private(set) var appended = 0

    init(tenant: String, frontier: MerkleFrontier) {
        self.tenant = tenant
        self.frontier = frontier
    }

    /// Appends a leaf hash as the next leaf; returns its index. `expectedIndex` is the index the
    /// database gave the row, which must be the next one.
    @discardableResult
    mutating func append(leafHash: [UInt8], expectedIndex: Int64? = nil) throws -> UInt64 {
        let index = frontier.size
        if let expectedIndex, expectedIndex != Int64(exactly: index) {
            throw CoordinatorError(.storage, "The log of tenant \(tenant) would get leaf \(expectedIndex) where \(index) is next: its head and its submissions disagree. Nothing was stored; restore the database from a backup.")
        }
        for node in frontier.append(leafHash: leafHash) where LogNodeStorage.isStored(level: node.level) {
            nodes.append(node)
        }
        appended += 1
        return index
    }
}
