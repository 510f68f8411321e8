public import Federation
public import Foundation
import Indicators
import PostgreSQL
import Synchronization

/// The PostgreSQL implementation of ``CoordinatorStore``, for networks that outgrow one SQLite
/// file: a province or all of Flanders on one database, or several coordinator processes behind
/// one proxy (issue 7).
///
/// Why it looks as it does:
/// - **Two nets for tenants.** Every query binds the tenant of its ``TenantScope``, and every
///   transaction first sets `townbench.tenant` (transaction-local), on which the row-level security
///   policies of ``PostgresCoordinatorSchema`` admit rows. The store refuses to connect as a role
///   that bypasses those policies (superuser or `BYPASSRLS`).
/// - **Durability.** ``commit(_:at:signer:)`` is one transaction; it returns after COMMIT, which with
///   PostgreSQL's default `synchronous_commit=on` is flushed to the WAL on disk.
/// - **Several processes.** ``commit(_:at:signer:)`` locks the rows of the batch's towns
///   (`SELECT … FOR UPDATE`, in one global order so two writers cannot deadlock) before it re-checks
///   replay and sequence, so two coordinators never both accept a sequence number of one town, nor
///   a lower one after a higher; the `UNIQUE (tenant_id, town_id, sequence)` key backs that up
///   (`ON CONFLICT DO NOTHING`, then re-read).
/// - **The transparency log** (issue 9, PROTOCOL.md §8). In the same transaction, after the town
///   locks, the tenant's `log_heads` row is locked (`FOR UPDATE`), so the appends of every process
///   sharing the database are serialised per tenant: each inserted submission takes leaf index
///   `max + 1` under that lock (contiguous, no gap when an insert is refused), its exact body is
///   appended to the ``MerkleFrontier`` read from the head, and the completed node rows, the new
///   head and (with a signer) the signed checkpoint go in before COMMIT. Lock order is the same
///   everywhere (tenants sorted, then towns sorted, then the head), so writers cannot deadlock.
/// - **Round trips.** A tenant's part of a batch is two pipelines: locks and inserts, then the
///   aggregates (one `INSERT … SELECT FROM unnest($1::…[], …)` per table, not one per row) and the
///   log rows. A log read (head, proof nodes, entries) is one pipeline: the tenant setting and the
///   query in one implicit transaction. Statements are prepared once per connection.
public final class PostgresCoordinatorStore: CoordinatorStore {
    /// The server, as `user@host:port/database` (no password).
    public let target: String
    /// The schema holding the tables (nil: the role's default `search_path`).
    public let schema: String?
    /// Reads and administrative writes, from many threads.
    private let pool: PostgresPool
    /// The submission writer's connection (``commit(_:at:signer:)`` is called from one thread at a time).
    private let writerPool: PostgresPool
    /// Parsed public keys by their raw bytes (immutable facts; status is always read from the store).
    private let publicKeys = Mutex<[[UInt8]: Ed25519.PublicKey]>([:])

    /// Connects, checks the role, creates `schema` if needed and migrates.
    /// - Parameters:
    ///   - url: a libpq URL, e.g. `postgresql://townbench:…@db.example:5432/townbench`.
    ///   - schema: a schema to keep the tables in (`[a-z_][a-z0-9_]*`), e.g. one per coordinator
    ///     on a shared database; nil uses the role's `search_path`.
    ///   - maximumConnections: at most this many reading connections (plus one for the writer).
    public init(url: String, schema: String? = nil, maximumConnections: Int = 16) throws {
        if let schema, !Self.isPlainIdentifier(schema) {
            throw CoordinatorError(.invalidArgument, "'\(schema)' is not a usable schema name; use lower-case letters, digits and _ (not first), at most 63.")
        }
        self.schema = schema
        let setup: @Sendable (PostgresConnection) throws -> Void = { connection in
            if let schema {
                try connection.query("SELECT set_config('search_path', $1, false)", [.text(schema)])
            }
        }
        pool = PostgresPool(url: url, maximumConnections: max(1, maximumConnections), setup: setup)
        writerPool = PostgresPool(url: url, maximumConnections: 1, setup: setup)
        do {
            target = try writerPool.withConnection { connection in
                let role = try connection.query(
                    "SELECT current_user::text, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
                guard let row = role.first else {
                    throw CoordinatorError(.storage, "Cannot read the database role of \(connection.target).")
                }
                if try row.bool(1) || row.bool(2) {
                    throw CoordinatorError(.invalidArgument, """
                        \(connection.target): role \(try row.string(0)) is a superuser or has BYPASSRLS, so PostgreSQL would \
                        not enforce tenant isolation. Connect as an ordinary role (CREATE ROLE … LOGIN NOSUPERUSER NOBYPASSRLS).
                        """)
                }
                if let schema {
                    // DDL takes no parameters; `schema` was checked to be a plain identifier above.
                    try connection.execute("CREATE SCHEMA IF NOT EXISTS \(schema)")
                }
                try PostgresCoordinatorSchema.migrator.migrate(connection)
                try Self.logUnloggedSubmissions(connection)
                return connection.target
            }
        } catch let error as CoordinatorError {
            pool.close()
            writerPool.close()
            throw error
        } catch {
            pool.close()
            writerPool.close()
            throw CoordinatorError(.storage, "The coordinator's PostgreSQL store could not be opened: \(error)")
        }
    }

    /// Closes every connection (lent ones when they come back).
    public func close() {
        pool.close()
        writerPool.close()
    }

    static func isPlainIdentifier(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...63).contains(bytes.count), let first = bytes.first, first == UInt8(ascii: "_") || (97...122).contains(first)
        else { return false }
        return bytes.allSatisfy { $0 == UInt8(ascii: "_") || (97...122).contains($0) || (48...57).contains($0) }
    }

    // MARK: Transactions in a tenant

    private static let setTenantSQL = "SELECT set_config('townbench.tenant', $1, true)"

    /// Runs `body` in a transaction whose `townbench.tenant` is `tenantID` (row-level security's key).
    /// `mapping` may turn a server error into a specific ``CoordinatorError`` (e.g. a unique key into `already_exists`).
    @discardableResult
    private func inTenant<T>(_ tenantID: String, _ what: String,
                             mapping: (PostgresError) -> CoordinatorError? = { _ in nil },
                             _ body: (PostgresConnection) throws -> T) throws -> T {
        do {
            return try pool.withConnection { db in
                try db.transaction {
                    try db.query(Self.setTenantSQL, [.text(tenantID)])
                    return try body(db)
                }
            }
        } catch let error as CoordinatorError {
            throw error
        } catch let error as PostgresError {
            throw mapping(error) ?? Self.storageError(error, what)
        } catch {
            throw Self.storageError(error, what)
        }
    }

    static func storageError(_ error: any Error, _ what: String) -> CoordinatorError {
        CoordinatorError(.storage, "The coordinator's PostgreSQL store failed while \(what): \(error)")
    }

    /// Runs `statements` after setting `tenantID`, in one pipeline: one round trip and one
    /// implicit transaction (everything up to a pipeline's sync is one), so the transaction-local
    /// tenant setting holds for them and ends with them. For reads; returns the statements' rows.
    private func read(_ tenantID: String, _ what: String, _ statements: [(sql: String, parameters: [PostgresValue])]) throws
        -> [PostgresRows] {
        do {
            return try pool.withConnection { db in
                Array(try db.pipeline([(Self.setTenantSQL, [.text(tenantID)])] + statements).dropFirst())
            }
        } catch let error as CoordinatorError {
            throw error
        } catch {
            throw Self.storageError(error, what)
        }
    }

    /// ``read(_:_:_:)`` of one statement.
    private func read(_ tenantID: String, _ what: String, _ sql: String, _ parameters: [PostgresValue]) throws -> PostgresRows {
        try read(tenantID, what, [(sql, parameters)])[0]
    }

    // MARK: Tenants and towns

    public func addTenant(_ tenant: Tenant) throws {
        guard Identifier.isValid(tenant.id) else {
            throw CoordinatorError(.invalidArgument, "'\(tenant.id)' is not a valid tenant id; use [a-z0-9][a-z0-9._-]{0,63}.")
        }
        let exists = CoordinatorError(.alreadyExists, "Tenant \(tenant.id) exists already; change it with `tenant policy`.")
        try inTenant(tenant.id, "adding tenant \(tenant.id)", mapping: { $0.code == .uniqueViolation ? exists : nil }) { db in
                try db.run("""
                    INSERT INTO tenants (tenant_id, name, peer_naming, min_store_entries, min_spending_buyers, max_age_days, created_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7)
                    """, [.text(tenant.id), .text(tenant.name), .text(tenant.peerNaming.rawValue),
                          .int(tenant.privacy.minimumStoreEntries), .int(tenant.privacy.minimumSpendingBuyers),
                          .int(tenant.maximumAgeDays), .text(Timestamp.format(Date()))])
        }
    }

    public func tenant(_ scope: TenantScope) throws -> Tenant? {
        try inTenant(scope.tenantID, "reading tenant \(scope.tenantID)") { db in
            guard let row = try db.query("""
                SELECT name, peer_naming, min_store_entries, min_spending_buyers, max_age_days FROM tenants WHERE tenant_id = $1
                """, [.text(scope.tenantID)]).first else { return nil }
            return Tenant(id: scope.tenantID, name: try row.string(0),
                          peerNaming: PeerNaming(rawValue: try row.string(1)) ?? .anonymised,
                          privacy: PrivacyPolicy(minimumStoreEntries: try row.int(2), minimumSpendingBuyers: try row.int(3)),
                          maximumAgeDays: try row.int(4))
        }
    }

    public func updateTenant(_ tenant: Tenant, _ scope: TenantScope) throws {
        try inTenant(scope.tenantID, "updating tenant \(scope.tenantID)") { db in
            let changed = try db.run("""
                UPDATE tenants SET name = $1, peer_naming = $2, min_store_entries = $3, min_spending_buyers = $4, max_age_days = $5
                WHERE tenant_id = $6
                """, [.text(tenant.name), .text(tenant.peerNaming.rawValue), .int(tenant.privacy.minimumStoreEntries),
                      .int(tenant.privacy.minimumSpendingBuyers), .int(tenant.maximumAgeDays), .text(scope.tenantID)])
            guard changed == 1 else {
                throw CoordinatorError(.notFound, "Tenant \(scope.tenantID) does not exist; add it with `tenant add`.")
            }
        }
    }

    public func addTown(_ town: Town, _ scope: TenantScope) throws {
        guard Identifier.isValid(town.id) else {
            throw CoordinatorError(.invalidArgument, "'\(town.id)' is not a valid town id; use [a-z0-9][a-z0-9._-]{0,63}.")
        }
        try inTenant(scope.tenantID, "adding town \(town.id)") { db in
            try db.run("INSERT INTO towns (tenant_id, town_id, name, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                       [.text(scope.tenantID), .text(town.id), .text(town.name), .text(Timestamp.format(Date()))])
        }
    }

    public func towns(_ scope: TenantScope) throws -> [Town] {
        try inTenant(scope.tenantID, "listing towns") { db in
            try db.query("SELECT town_id, name FROM towns WHERE tenant_id = $1 ORDER BY town_id", [.text(scope.tenantID)])
                .map { Town(id: try $0.string(0), name: try $0.string(1)) }
        }
    }

    // MARK: Keys

    private static let keyColumns = "key_id, town_id, public_key, enrolled_at, status, status_at, successor"

    private func keyRecord(_ row: PostgresRow, tenantID: String) throws -> KeyRecord {
        let raw = try row.bytes(2)
        let key: Ed25519.PublicKey
        if let cached = publicKeys.withLock({ $0[raw] }) {
            key = cached
        } else {
            key = try Ed25519.PublicKey(rawRepresentation: raw)
            publicKeys.withLock { $0[raw] = key }
        }
        let status = try StoredKeyStatus(state: try row.string(4), at: row.optionalString(5), successor: row.optionalString(6)).status()
        return KeyRecord(keyID: try row.string(0), publicKey: key, tenantID: tenantID, townID: try row.string(1),
                         enrolledAt: try StoredValue.date(row.string(3), "keys.enrolled_at"), status: status)
    }

    private static func statusColumns(_ status: KeyRecord.Status) -> [PostgresValue] {
        let stored = StoredKeyStatus(status)
        return [.text(stored.state), stored.at.map { .text($0) } ?? .null, stored.successor.map { .text($0) } ?? .null]
    }

    public func enrol(_ record: KeyRecord, _ scope: TenantScope) throws {
        guard record.tenantID == scope.tenantID else {
            throw CoordinatorError(.invalidArgument, "The key is for tenant \(record.tenantID), not \(scope.tenantID).")
        }
        let exists = CoordinatorError(.alreadyExists, "Key \(record.keyID) is already enrolled in tenant \(scope.tenantID), or town \(record.townID) is not in it. A town enrols a new key with a new request.")
        try inTenant(scope.tenantID, "enrolling key \(record.keyID)",
                     mapping: { PostgresError.Code.integrityConstraintViolation ~= $0 ? exists : nil }) { db in
                try db.run("""
                    INSERT INTO keys (tenant_id, key_id, town_id, public_key, enrolled_at, status, status_at, successor)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                    """, [.text(scope.tenantID), .text(record.keyID), .text(record.townID), .bytes(record.publicKey.rawRepresentation),
                          .text(Timestamp.format(record.enrolledAt))] + Self.statusColumns(record.status))
        }
    }

    public func keyRecord(id keyID: String, _ scope: TenantScope) throws -> KeyRecord? {
        try inTenant(scope.tenantID, "reading key \(keyID)") { db in
            try db.query("SELECT \(Self.keyColumns) FROM keys WHERE tenant_id = $1 AND key_id = $2",
                         [.text(scope.tenantID), .text(keyID)]).first.map { try keyRecord($0, tenantID: scope.tenantID) }
        }
    }

    public func updateKey(_ record: KeyRecord, _ scope: TenantScope) throws {
        try inTenant(scope.tenantID, "updating key \(record.keyID)") { db in
            let changed = try db.run("UPDATE keys SET status = $1, status_at = $2, successor = $3 WHERE tenant_id = $4 AND key_id = $5",
                                     Self.statusColumns(record.status) + [.text(scope.tenantID), .text(record.keyID)])
            guard changed == 1 else {
                throw CoordinatorError(.notFound, "No key \(record.keyID) in tenant \(scope.tenantID).")
            }
        }
    }

    /// Retires `old` (only if still active) and enrols `new`, in one transaction.
    public func rotate(_ old: KeyRecord, to new: KeyRecord, _ scope: TenantScope) throws {
        let exists = CoordinatorError(.alreadyExists, "Key \(new.keyID) is already enrolled in tenant \(scope.tenantID). Rotate to a new key.")
        try inTenant(scope.tenantID, "rotating key \(old.keyID)",
                     mapping: { PostgresError.Code.integrityConstraintViolation ~= $0 ? exists : nil }) { db in
            let changed = try db.run("""
                UPDATE keys SET status = $1, status_at = $2, successor = $3 WHERE tenant_id = $4 AND key_id = $5 AND status = 'active'
                """, Self.statusColumns(old.status) + [.text(scope.tenantID), .text(old.keyID)])
            guard changed == 1 else {
                throw CoordinatorError(refusal: Refusal(.retiredKey, "key \(old.keyID) was already rotated or revoked"))
            }
            try db.run("""
                INSERT INTO keys (tenant_id, key_id, town_id, public_key, enrolled_at, status, status_at, successor)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                """, [.text(scope.tenantID), .text(new.keyID), .text(new.townID), .bytes(new.publicKey.rawRepresentation),
                      .text(Timestamp.format(new.enrolledAt))] + Self.statusColumns(new.status))
        }
    }

    public func keys(town townID: String, _ scope: TenantScope) throws -> [KeyRecord] {
        try inTenant(scope.tenantID, "listing keys") { db in
            try db.query("SELECT \(Self.keyColumns) FROM keys WHERE tenant_id = $1 AND town_id = $2 ORDER BY enrolled_at, key_id",
                         [.text(scope.tenantID), .text(townID)]).map { try keyRecord($0, tenantID: scope.tenantID) }
        }
    }

    // MARK: Tokens

    public func addToken(_ token: TokenRecord) throws {
        try inTenant(token.tenantID, "issuing a token") { db in
            try db.run("""
                INSERT INTO tokens (token_hash, token_id, role, tenant_id, town_id, created_at, expires_at, revoked_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)
                """, [.bytes(token.hash), .text(token.id), .text(token.role.rawValue), .text(token.tenantID),
                      .optional(token.townID), .text(Timestamp.format(token.createdAt)), .text(Timestamp.format(token.expiresAt))])
        }
    }

    /// Runs `body` in a transaction with no tenant, where a row-level policy admits only the
    /// token named by `setting` = `value` (its hash or its id).
    private func inToken<T>(_ setting: String, _ value: String, _ what: String, _ body: (PostgresConnection) throws -> T) throws -> T {
        do {
            return try pool.withConnection { db in
                try db.transaction {
                    try db.query("SELECT set_config($1, $2, true)", [.text(setting), .text(value)])
                    return try body(db)
                }
            }
        } catch let error as CoordinatorError {
            throw error
        } catch {
            throw Self.storageError(error, what)
        }
    }

    public func token(hash: [UInt8]) throws -> TokenRecord? {
        try inToken("townbench.token_hash", Hex.encode(hash), "checking a token") { db in
            guard let row = try db.query("""
                SELECT token_hash, token_id, role, tenant_id, town_id, created_at, expires_at, revoked_at FROM tokens WHERE token_hash = $1
                """, [.bytes(hash)]).first, let role = Role(rawValue: try row.string(2)) else { return nil }
            return TokenRecord(id: try row.string(1), hash: try row.bytes(0), role: role, tenantID: try row.string(3),
                               townID: row.optionalString(4), createdAt: try StoredValue.date(row.string(5), "tokens.created_at"),
                               expiresAt: try StoredValue.date(row.string(6), "tokens.expires_at"),
                               revokedAt: try StoredValue.date(row.optionalString(7), "tokens.revoked_at"))
        }
    }

    public func revokeToken(id: String, at: Date) throws {
        try inToken("townbench.token_id", id, "revoking token \(id)") { db in
            let changed = try db.run("UPDATE tokens SET revoked_at = coalesce(revoked_at, $1) WHERE token_id = $2",
                                     [.text(Timestamp.format(at)), .text(id)])
            guard changed == 1 else {
                throw CoordinatorError(.notFound, "No token with id \(id). `token issue` printed the id beside the token.")
            }
        }
    }

    // MARK: Browser sessions

    public func addSession(_ session: SessionRecord, keepingAtMost perToken: Int, now: Date) throws {
        try inTenant(session.tenantID, "storing a session") { db in
            try db.run("DELETE FROM sessions WHERE token_hash = $1 AND expires_at <= $2",
                       [.bytes(session.tokenHash), .text(Timestamp.format(now))])
            // Insertion order (id) is age: keep the newest perToken - 1, then add this one.
            try db.run("""
                DELETE FROM sessions WHERE token_hash = $1 AND id NOT IN
                    (SELECT id FROM sessions WHERE token_hash = $1 ORDER BY id DESC LIMIT $2)
                """, [.bytes(session.tokenHash), .int(max(0, perToken - 1))])
            try db.run("""
                INSERT INTO sessions (session_hash, token_hash, tenant_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)
                """, [.bytes(session.idHash), .bytes(session.tokenHash), .text(session.tenantID),
                      .text(Timestamp.format(session.createdAt)), .text(Timestamp.format(session.expiresAt))])
        }
    }

    public func session(idHash: [UInt8], now: Date) throws -> SessionRecord? {
        try inToken("townbench.session_hash", Hex.encode(idHash), "reading a session") { db in
            guard let row = try db.query("""
                SELECT token_hash, tenant_id, created_at, expires_at FROM sessions WHERE session_hash = $1
                """, [.bytes(idHash)]).first else { return nil }
            let found = SessionRecord(idHash: idHash, tokenHash: try row.bytes(0), tenantID: try row.string(1),
                                      createdAt: try StoredValue.date(row.string(2), "sessions.created_at"),
                                      expiresAt: try StoredValue.date(row.string(3), "sessions.expires_at"))
            guard found.expiresAt > now else {
                try db.run("DELETE FROM sessions WHERE session_hash = $1", [.bytes(idHash)])
                return nil
            }
            return found
        }
    }

    public func removeSession(idHash: [UInt8]) throws {
        _ = try inToken("townbench.session_hash", Hex.encode(idHash), "ending a session") { db in
            try db.run("DELETE FROM sessions WHERE session_hash = $1", [.bytes(idHash)])
        }
    }

    // MARK: Submissions

    /// The town's last sequence and, if stored, the submission with this id (one round trip).
    private static let stateSQL = """
        SELECT (SELECT max(sequence) FROM submissions WHERE tenant_id = $1 AND town_id = $2),
               s.payload_digest, s.envelope_digest, s.accepted_at
        FROM (SELECT 1) AS one
        LEFT JOIN submissions s ON s.tenant_id = $1 AND s.town_id = $2 AND s.submission_id = $3
        """

    private struct StoredState {
        var lastSequence: Int?
        /// payload digest, envelope digest, accepted at
        var existing: (payload: [UInt8], envelope: [UInt8], acceptedAt: String)?
    }

    private static func state(_ db: PostgresConnection, tenant: String, town: String, submissionID: String) throws -> StoredState {
        try state(try db.query(stateSQL, [.text(tenant), .text(town), .text(submissionID)]))
    }

    private static func state(_ rows: PostgresRows) throws -> StoredState {
        let row = rows[0]
        var state = StoredState(lastSequence: try row.optionalInt(0))
        if let payload = try row.optionalBytes(1) {
            state.existing = (payload, try row.bytes(2), try row.string(3))
        }
        return state
    }

    /// Every submission's check asks this: one round trip (``read(_:_:_:_:)``).
    public func submissionState(town townID: String, submissionID: String, _ scope: TenantScope) throws -> TownSubmissionState {
        let state = try Self.state(try read(scope.tenantID, "reading the submission state", Self.stateSQL,
                                            [.text(scope.tenantID), .text(townID), .text(submissionID)]))
        return TownSubmissionState(lastSequence: state.lastSequence, existingPayloadDigest: state.existing?.payload)
    }

    public func commit(_ batch: [VerifiedSubmission], at now: Date, signer: CheckpointSigner?) throws -> [CommitOutcome] {
        let acceptedAt = Timestamp.format(now)
        var outcomes = [CommitOutcome?](repeating: nil, count: batch.count)
        // One tenant at a time (row-level security admits one tenant per setting), tenants in a
        // fixed order, arrival order within a tenant.
        let byTenant = Dictionary(grouping: batch.indices, by: { batch[$0].scope.tenantID })
        do {
            try writerPool.withConnection { db in
                try db.transaction {
                    for tenant in byTenant.keys.sorted() {
                        let indices = byTenant[tenant] ?? []
                        // One round trip: the tenant setting, the town locks (serialising with other
                        // writers per town, in one order everywhere: no deadlock), the log head's lock
                        // (serialising the tenant's appends; taken after the towns by every writer),
                        // then each submission's re-check-and-insert, in arrival order, each taking
                        // the next leaf index if it goes in.
                        let towns = Set(indices.map { batch[$0].accepted.payload.townId }).sorted()
                        var statements: [(sql: String, parameters: [PostgresValue])] = [
                            (Self.setTenantSQL, [.text(tenant)]),
                            ("""
                            SELECT town_id FROM towns WHERE tenant_id = $1 AND town_id = ANY($2::text[]) ORDER BY town_id FOR UPDATE
                            """, [.text(tenant), .textArray(towns)]),
                            (Self.createHeadSQL, [.text(tenant)]),
                            (Self.lockHeadSQL, [.text(tenant)]),
                        ]
                        let firstInsert = statements.count
                        statements += indices.map { (Self.insertSQL, Self.insertParameters(batch[$0], acceptedAt: acceptedAt)) }
                        let results = try db.pipeline(statements)
                        var log = try LogAppender(tenant: tenant, head: results[firstInsert - 1])
                        var aggregates = AggregateColumns(tenant: tenant)
                        for (k, i) in indices.enumerated() {
                            let inserted = try results[firstInsert + k].first.map { (row: try $0.int64(0), leaf: try $0.int64(1)) }
                            if let inserted {
                                // The log leaf went in with the row, in this transaction: never one without the other.
                                try log.append(leafHash: batch[i].leafHash, expectedIndex: inserted.leaf)
                                aggregates.add(batch[i].accepted.payload, row: inserted.row)
                            }
                            outcomes[i] = try finish(batch[i], inserted: inserted != nil, acceptedAt: acceptedAt, db: db)
                        }
                        // One more round trip: the aggregates, the log's nodes and head, the checkpoint.
                        try db.pipeline(aggregates.statements() + log.statements(signer: signer, at: acceptedAt))
                    }
                }
            }
        } catch let error as CoordinatorError {
            throw error
        } catch {
            throw Self.storageError(error, "storing \(batch.count) submissions")
        }
        return outcomes.map { $0 ?? .refused(Refusal(.malformedEnvelope, "not stored")) }
    }

    /// Re-checks (the worker's check read an older snapshot) and inserts one submission in one
    /// statement: the row goes in only if its id is new and its sequence above the town's last.
    /// The town's row is locked by then, so no other writer can change either meanwhile. The row
    /// takes the next leaf index of its tenant's log: the head row is locked too, so no other
    /// writer appends meanwhile, and an insert that does not happen takes no index (no gaps).
    private static let insertSQL = """
        WITH last AS (SELECT max(sequence) AS sequence FROM submissions WHERE tenant_id = $1 AND town_id = $2)
        INSERT INTO submissions (tenant_id, town_id, submission_id, sequence, key_id, created_at, accepted_at,
            period_from, period_to, payload_digest, envelope_digest, envelope, leaf_index)
        SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
               (SELECT coalesce(max(leaf_index) + 1, 0) FROM submissions WHERE tenant_id = $1)
        FROM last
        WHERE (last.sequence IS NULL OR last.sequence < $4)
          AND NOT EXISTS (SELECT 1 FROM submissions WHERE tenant_id = $1 AND town_id = $2 AND submission_id = $3)
        ON CONFLICT DO NOTHING RETURNING row_id, leaf_index
        """

    private static func insertParameters(_ item: VerifiedSubmission, acceptedAt: String) -> [PostgresValue] {
        let payload = item.accepted.payload
        return [.text(item.scope.tenantID), .text(payload.townId), .text(payload.submissionId), .int(payload.sequence),
                .text(item.accepted.keyID), .text(payload.createdAt), .text(acceptedAt), .text(payload.period.from),
                .text(payload.period.to), .bytes(item.accepted.payloadDigest), .bytes(item.accepted.envelopeDigest), .bytes(item.body)]
    }

    /// The outcome of one submission after its insert statement ran (inside the batch's transaction).
    private func finish(_ item: VerifiedSubmission, inserted: Bool, acceptedAt: String, db: PostgresConnection) throws -> CommitOutcome {
        let payload = item.accepted.payload
        guard inserted else {
            // Not inserted: a replay, a sequence not above the last, or (for a town without a
            // towns row, which is not locked) a concurrent writer that took the id or sequence.
            let state = try Self.state(db, tenant: item.scope.tenantID, town: payload.townId, submissionID: payload.submissionId)
            if let existing = state.existing {
                let receipt = Receipt(submissionId: payload.submissionId, envelopeDigest: existing.envelope,
                                           acceptedAt: existing.acceptedAt)
                if SecureRandom.constantTimeEqual(existing.payload, item.accepted.payloadDigest) { return .duplicate(receipt) }
                return .refused(Refusal(.replayDifferentBytes, "submission \(payload.submissionId) was accepted before with other bytes"))
            }
            if let last = state.lastSequence, payload.sequence <= last {
                return .refused(Refusal(.sequenceNotIncreasing, "sequence \(payload.sequence) is not greater than the last accepted \(last)"))
            }
            return .refused(Refusal(.sequenceNotIncreasing, "sequence \(payload.sequence) was taken by a concurrent submission"))
        }
        return .stored(Receipt(submissionId: payload.submissionId, envelopeDigest: item.accepted.envelopeDigest,
                                    acceptedAt: acceptedAt))
    }

    // MARK: Appending to the log

    /// Makes sure the tenant has a head row to lock (the empty log) without touching an existing one.
    private static let createHeadSQL = """
        INSERT INTO log_heads (tenant_id, size, frontier) VALUES ($1, 0, '\\x'::bytea) ON CONFLICT (tenant_id) DO NOTHING
        """
    /// Locks the tenant's head row until COMMIT and reads the newest committed frontier (a waiting
    /// `FOR UPDATE` re-reads the row its holder committed).
    private static let lockHeadSQL = "SELECT size, frontier FROM log_heads WHERE tenant_id = $1 FOR UPDATE"

    /// A tenant's log during one transaction that holds its head row locked: the frontier read
    /// from the head, extended in memory, and the rows that makes, written with one pipeline.
    ///
    /// Why batch the rows: a batch of n leaves completes about 4n/3 stored node rows
    /// (``LogNodeStorage``); one `unnest` insert carries them all (the hashes as one `bytea` of
    /// 32-byte slices), not a statement per row.
    struct LogAppender {
        let tenant: String
        private(set) var frontier: MerkleFrontier
        private var levels: [Int64?] = []
        private var indices: [Int64?] = []
        /// The node hashes in `levels`/`indices` order, 32 bytes each.
        private var hashes: [UInt8] = []
        private var appended = 0

        /// From the locked head row (`size`, `frontier`).
        init(tenant: String, head: PostgresRows) throws {
            self.tenant = tenant
            guard let row = head.first else {
                throw CoordinatorError(.storage, "The log head of tenant \(tenant) could not be read or created; check the database role's rights on log_heads.")
            }
            let size = try row.int64(0)
            do {
                frontier = try MerkleFrontier(size: UInt64(size), encoded: try row.bytes(1))
            } catch let error as FederationError {
                throw CoordinatorError(.storage, "The log head of tenant \(tenant) is damaged (\(error.message)). Restore the database from a backup.")
            }
        }

        /// Appends the leaf hash of an envelope as the next leaf, which the database gave `expectedIndex`.
        mutating func append(leafHash: [UInt8], expectedIndex: Int64? = nil) throws {
            if let expectedIndex, expectedIndex != Int64(frontier.size) {
                throw CoordinatorError(.storage, "The log of tenant \(tenant) would get leaf \(expectedIndex) where \(frontier.size) is next: its head and its submissions disagree. Nothing was stored; restore the database from a backup.")
            }
            for node in frontier.append(leafHash: leafHash) where LogNodeStorage.isStored(level: node.level) {
                levels.append(Int64(node.level))
                indices.append(Int64(node.index))
                hashes += node.hash
            }
            appended += 1
        }

        /// The node rows, the new head and (with a signer) the checkpoint of the new head; none
        /// when nothing was appended (a batch of duplicates changes no log).
        func statements(signer: CheckpointSigner?, at signedAt: String) throws -> [(sql: String, parameters: [PostgresValue])] {
            guard appended > 0 else { return [] }
            var out: [(sql: String, parameters: [PostgresValue])] = [
                ("""
                INSERT INTO log_nodes (tenant_id, level, idx, hash)
                SELECT $1, l, i, substring($4::bytea FROM ((n - 1) * 32 + 1)::int FOR 32)
                FROM unnest($2::int8[], $3::int8[]) WITH ORDINALITY AS u(l, i, n)
                """, [.text(tenant), .integerArray(levels), .integerArray(indices), .bytes(hashes)]),
                ("UPDATE log_heads SET size = $2, frontier = $3 WHERE tenant_id = $1",
                 [.text(tenant), .integer(Int64(frontier.size)), .bytes(frontier.encoded)]),
            ]
            if let signer {
                let checkpoint = try signer.sign(tenantID: tenant, size: frontier.size, root: frontier.rootHash)
                out.append((PostgresCoordinatorStore.insertCheckpointSQL,
                            PostgresCoordinatorStore.checkpointValues(checkpoint, tenant: tenant, at: signedAt)))
            }
            return out
        }
    }

    /// Appends the submissions that are in no log yet (stored before migration 3, or by an older
    /// coordinator still running) to their tenants' logs, in acceptance order (`row_id`), once.
    /// Their checkpoints are signed on demand.
    ///
    /// Why here and so: the store's role is bound by row-level security, and no tenant is set
    /// when a store opens, so the tenants with such rows are found under the narrow
    /// `unlogged_for_backfill` policy (only rows without a leaf index, only for reading). Each
    /// tenant is then appended in transactions of at most 1,000 rows under its head lock, so
    /// two processes opening at once append each row once, and memory stays bounded.
    static func logUnloggedSubmissions(_ db: PostgresConnection) throws {
        let tenants = try db.transaction {
            try db.query("SELECT set_config($1, 'on', true)", [.text(PostgresCoordinatorSchema.backfillSetting)])
            return try db.query("SELECT DISTINCT tenant_id FROM submissions WHERE leaf_index IS NULL ORDER BY tenant_id")
                .map { try $0.string(0) }
        }
        for tenant in tenants {
            while true {
                let appended = try db.transaction {
                    let results = try db.pipeline([
                        (setTenantSQL, [.text(tenant)]),
                        (createHeadSQL, [.text(tenant)]),
                        (lockHeadSQL, [.text(tenant)]),
                        ("SELECT coalesce(max(leaf_index) + 1, 0) FROM submissions WHERE tenant_id = $1", [.text(tenant)]),
                        ("""
                        SELECT row_id, envelope FROM submissions WHERE tenant_id = $1 AND leaf_index IS NULL ORDER BY row_id LIMIT 1000
                        """, [.text(tenant)]),
                    ])
                    var log = try LogAppender(tenant: tenant, head: results[2])
                    let next = try results[3][0].int64(0)
                    guard next == Int64(log.frontier.size) else {
                        throw CoordinatorError(.storage, "The log of tenant \(tenant) has \(log.frontier.size) leaves in its head but \(next) in its submissions. Restore the database from a backup.")
                    }
                    var rows: [Int64?] = []
                    var leaves: [Int64?] = []
                    for row in results[4] {
                        rows.append(try row.int64(0))
                        leaves.append(Int64(log.frontier.size))
                        try log.append(leafHash: Merkle.leafHash(try row.bytes(1)))
                    }
                    guard !rows.isEmpty else { return 0 }
                    let updated = try db.pipeline([
                        ("""
                        UPDATE submissions s SET leaf_index = u.leaf FROM unnest($2::int8[], $3::int8[]) AS u(row_id, leaf)
                        WHERE s.tenant_id = $1 AND s.row_id = u.row_id AND s.leaf_index IS NULL
                        """, [.text(tenant), .integerArray(rows), .integerArray(leaves)]),
                    ] + log.statements(signer: nil, at: Timestamp.format(Date())))
                    guard updated[0].affectedRows == rows.count else {
                        throw CoordinatorError(.storage, "Appending \(rows.count) earlier submissions to the log of tenant \(tenant) placed \(updated[0].affectedRows): another process changed them meanwhile. Open the store again.")
                    }
                    return rows.count
                }
                if appended < 1000 { break }
            }
        }
    }

    public func receipt(town townID: String, submissionID: String, _ scope: TenantScope) throws -> Receipt? {
        try read(scope.tenantID, "reading a receipt",
                 "SELECT envelope_digest, accepted_at FROM submissions WHERE tenant_id = $1 AND town_id = $2 AND submission_id = $3",
                 [.text(scope.tenantID), .text(townID), .text(submissionID)]).first.map {
            Receipt(submissionId: submissionID, envelopeDigest: try $0.bytes(0), acceptedAt: try $0.string(1))
        }
    }

    public func submissions(town townID: String, _ scope: TenantScope) throws -> [SubmissionSummary] {
        try inTenant(scope.tenantID, "listing submissions") { db in
            try db.query("""
                SELECT submission_id, sequence, key_id, period_from, period_to, envelope_digest, accepted_at
                FROM submissions WHERE tenant_id = $1 AND town_id = $2 ORDER BY sequence
                """, [.text(scope.tenantID), .text(townID)]).map { row in
                SubmissionSummary(townId: townID, sequence: try row.int(1), keyId: try row.string(2),
                                  periodFrom: try row.string(3), periodTo: try row.string(4),
                                  receipt: Receipt(submissionId: try row.string(0), envelopeDigest: try row.bytes(5),
                                                        acceptedAt: try row.string(6)))
            }
        }
    }

    public func envelope(town townID: String, submissionID: String, _ scope: TenantScope) throws -> [UInt8]? {
        try read(scope.tenantID, "reading an envelope",
                 "SELECT envelope FROM submissions WHERE tenant_id = $1 AND town_id = $2 AND submission_id = $3",
                 [.text(scope.tenantID), .text(townID), .text(submissionID)]).first.map { try $0.bytes(0) }
    }

    public func submissionCount(_ scope: TenantScope) throws -> Int {
        try read(scope.tenantID, "counting submissions", "SELECT count(*) FROM submissions WHERE tenant_id = $1",
                 [.text(scope.tenantID)]).first?.int(0) ?? 0
    }

    // MARK: Aggregates

    /// The current sensor days of a measure ($2) over days $3…$4, in the order the computation expects.
    private static let sensorDaysSQL = """
        SELECT s.town_id, s.zone_id, z.zone_kind, s.day, s.sensor, s.vendor_kind, s.total, s.covered, s.expected, s.uptime, s.valid_hours
        FROM current_cells c
        JOIN sensor_days s ON s.submission_row = c.submission_row AND s.zone_id = c.zone_id AND s.day = c.day AND s.measure = c.measure
        JOIN zone_days z ON z.submission_row = c.submission_row AND z.zone_id = c.zone_id AND z.day = c.day
        WHERE c.tenant_id = $1 AND c.measure = $2 AND c.day BETWEEN $3 AND $4
        ORDER BY s.town_id, s.zone_id, s.sensor, s.day
        """

    private static func sensorDaysStatement(measure: String, days: ClosedRange<Int>, _ scope: TenantScope)
        -> (sql: String, parameters: [PostgresValue]) {
        (sensorDaysSQL, [.text(scope.tenantID), .text(measure), .int(days.lowerBound), .int(days.upperBound)])
    }

    private static func sensorDays(_ rows: PostgresRows, measure: String) throws -> [SensorDayRow] {
        try rows.map { row in
            SensorDayRow(townID: try row.string(0), zoneID: try row.string(1), zoneKind: try row.string(2), day: try row.int(3),
                         measure: measure, sensor: try row.string(4), vendorKind: try row.string(5),
                         total: try row.optionalDouble(6), coveredMinutes: try row.int(7), expectedMinutes: try row.int(8),
                         uptimeMinutes: try row.int(9), validHours: try row.int(10))
        }
    }

    private static let zoneDaysSQL = """
        SELECT z.town_id, z.zone_id, z.zone_kind, z.day, z.public_holiday, z.school_holiday, z.events
        FROM current_cells c JOIN zone_days z ON z.submission_row = c.submission_row AND z.zone_id = c.zone_id AND z.day = c.day
        WHERE c.tenant_id = $1 AND c.measure = '' AND c.day BETWEEN $2 AND $3
        ORDER BY z.town_id, z.zone_id, z.day
        """

    private static func zoneDaysStatement(days: ClosedRange<Int>, _ scope: TenantScope) -> (sql: String, parameters: [PostgresValue]) {
        (zoneDaysSQL, [.text(scope.tenantID), .int(days.lowerBound), .int(days.upperBound)])
    }

    private static func zoneDays(_ rows: PostgresRows) throws -> [ZoneDayRow] {
        try rows.map { row in
            let text = try row.string(6)
            let events = try StoredValue.events(text, "zone_days.events")
            return ZoneDayRow(townID: try row.string(0), zoneID: try row.string(1), zoneKind: try row.string(2), day: try row.int(3),
                              publicHoliday: try row.bool(4), schoolHoliday: try row.bool(5), events: events)
        }
    }

    private static let conversionDaysSQL = """
        SELECT v.town_id, v.zone_id, z.zone_kind, v.day, v.door, v.street, v.entries, v.passers_by
        FROM current_cells c
        JOIN conversion_days v ON v.submission_row = c.submission_row AND v.zone_id = c.zone_id AND v.day = c.day
        JOIN zone_days z ON z.submission_row = c.submission_row AND z.zone_id = c.zone_id AND z.day = c.day
        WHERE c.tenant_id = $1 AND c.measure = '' AND c.day BETWEEN $2 AND $3
        ORDER BY v.town_id, v.zone_id, v.door, v.day
        """

    private static func conversionDaysStatement(days: ClosedRange<Int>, _ scope: TenantScope)
        -> (sql: String, parameters: [PostgresValue]) {
        (conversionDaysSQL, [.text(scope.tenantID), .int(days.lowerBound), .int(days.upperBound)])
    }

    private static func conversionDays(_ rows: PostgresRows) throws -> [ConversionDayRow] {
        try rows.map { row in
            ConversionDayRow(townID: try row.string(0), zoneID: try row.string(1), zoneKind: try row.string(2), day: try row.int(3),
                             door: try row.string(4), street: try row.string(5), entries: try row.optionalDouble(6),
                             passersBy: try row.optionalDouble(7))
        }
    }

    public func sensorDays(measure: String, days: ClosedRange<Int>, _ scope: TenantScope) throws -> [SensorDayRow] {
        let statement = Self.sensorDaysStatement(measure: measure, days: days, scope)
        return try Self.sensorDays(try read(scope.tenantID, "reading sensor days", statement.sql, statement.parameters), measure: measure)
    }

    public func zoneDays(days: ClosedRange<Int>, _ scope: TenantScope) throws -> [ZoneDayRow] {
        let statement = Self.zoneDaysStatement(days: days, scope)
        return try Self.zoneDays(try read(scope.tenantID, "reading zone days", statement.sql, statement.parameters))
    }

    public func conversionDays(days: ClosedRange<Int>, _ scope: TenantScope) throws -> [ConversionDayRow] {
        let statement = Self.conversionDaysStatement(days: days, scope)
        return try Self.conversionDays(try read(scope.tenantID, "reading conversion days", statement.sql, statement.parameters))
    }

    // MARK: Transparency log

    private static let headSQL = "SELECT size, frontier FROM log_heads WHERE tenant_id = $1"

    private static func head(_ rows: PostgresRows, tenant: String) throws -> LogHead {
        guard let row = rows.first else { return .empty }
        do {
            let frontier = try MerkleFrontier(size: UInt64(try row.int64(0)), encoded: try row.bytes(1))
            return LogHead(size: frontier.size, rootHash: frontier.rootHash)
        } catch let error as FederationError {
            throw CoordinatorError(.storage, "The log head of tenant \(tenant) is damaged (\(error.message)). Restore the database from a backup.")
        }
    }

    public func logHead(_ scope: TenantScope) throws -> LogHead {
        try Self.head(try read(scope.tenantID, "reading the log head", Self.headSQL, [.text(scope.tenantID)]), tenant: scope.tenantID)
    }

    /// One query for every coordinate (two arrays joined to the primary key), so a proof costs
    /// one round trip whatever its length.
    public func logNodes(_ coordinates: [LogNodeCoordinate], _ scope: TenantScope) throws -> [LogNodeCoordinate: [UInt8]] {
        let wanted = Array(Set(coordinates))
        guard !wanted.isEmpty else { return [:] }
        let rows = try read(scope.tenantID, "reading log nodes", """
            SELECT n.level, n.idx, n.hash FROM unnest($2::int8[], $3::int8[]) AS u(l, i)
            JOIN log_nodes n ON n.tenant_id = $1 AND n.level = u.l AND n.idx = u.i
            """, [.text(scope.tenantID), .integerArray(wanted.map { Int64($0.level) }), .integerArray(wanted.map { Int64($0.index) })])
        var out: [LogNodeCoordinate: [UInt8]] = [:]
        for row in rows {
            out[LogNodeCoordinate(level: try row.int(0), index: UInt64(try row.int64(1)))] = try row.bytes(2)
        }
        return out
    }

    private static let checkpointColumns = "tree_size, root_hash, origin, note, verifier_key"

    static let insertCheckpointSQL = """
        INSERT INTO checkpoints (tenant_id, tree_size, root_hash, origin, note, verifier_key, signed_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant_id, tree_size) DO NOTHING
        """

    static func checkpointValues(_ c: TransparencyLog.SignedCheckpoint, tenant: String, at: String) -> [PostgresValue] {
        [.text(tenant), .integer(Int64(c.treeSize)), .bytes(Base64.decode(c.rootHash) ?? []), .text(c.origin), .text(c.note),
         .text(c.verifierKey), .text(at)]
    }

    private static func checkpoint(_ row: PostgresRow) throws -> TransparencyLog.SignedCheckpoint {
        TransparencyLog.SignedCheckpoint(origin: try row.string(2), treeSize: UInt64(try row.int64(0)), rootHash: try row.bytes(1),
                                         note: try row.string(3), verifierKey: try row.string(4))
    }

    public func storedCheckpoint(treeSize: UInt64?, _ scope: TenantScope) throws -> TransparencyLog.SignedCheckpoint? {
        let rows = if let treeSize {
            try read(scope.tenantID, "reading a checkpoint",
                     "SELECT \(Self.checkpointColumns) FROM checkpoints WHERE tenant_id = $1 AND tree_size = $2",
                     [.text(scope.tenantID), .integer(Int64(treeSize))])
        } else {
            try read(scope.tenantID, "reading the latest checkpoint",
                     "SELECT \(Self.checkpointColumns) FROM checkpoints WHERE tenant_id = $1 ORDER BY tree_size DESC LIMIT 1",
                     [.text(scope.tenantID)])
        }
        return try rows.first.map(Self.checkpoint)
    }

    /// Insert-unless-present and read back in one round trip. The read is a statement of its own
    /// (its own snapshot), so when another process stored this size meanwhile, its row is read.
    public func storeCheckpoint(_ checkpoint: TransparencyLog.SignedCheckpoint, _ scope: TenantScope) throws
        -> TransparencyLog.SignedCheckpoint {
        let results = try read(scope.tenantID, "storing checkpoint \(checkpoint.treeSize)", [
            (Self.insertCheckpointSQL, Self.checkpointValues(checkpoint, tenant: scope.tenantID, at: Timestamp.format(Date()))),
            ("SELECT \(Self.checkpointColumns) FROM checkpoints WHERE tenant_id = $1 AND tree_size = $2",
             [.text(scope.tenantID), .integer(Int64(checkpoint.treeSize))]),
        ])
        guard let row = results[1].first else {
            throw CoordinatorError(.storage, "The checkpoint of size \(checkpoint.treeSize) just stored for tenant \(scope.tenantID) is missing.")
        }
        return try Self.checkpoint(row)
    }

    private static let entryColumns = "leaf_index, town_id, submission_id, envelope"

    private static func entry(_ row: PostgresRow) throws -> LogEntry {
        LogEntry(leafIndex: UInt64(try row.int64(0)), townID: try row.string(1), submissionID: try row.string(2),
                 envelope: try row.bytes(3))
    }

    public func logEntry(town townID: String, submissionID: String, _ scope: TenantScope) throws -> LogEntry? {
        try read(scope.tenantID, "reading a log entry", """
            SELECT \(Self.entryColumns) FROM submissions
            WHERE tenant_id = $1 AND town_id = $2 AND submission_id = $3 AND leaf_index IS NOT NULL
            """, [.text(scope.tenantID), .text(townID), .text(submissionID)]).first.map(Self.entry)
    }

    public func logEntry(leafHash: [UInt8], _ scope: TenantScope) throws -> LogEntry? {
        try read(scope.tenantID, "reading a log entry", """
            SELECT \(Self.entryColumns) FROM submissions
            WHERE tenant_id = $1
              AND leaf_index = (SELECT idx FROM log_nodes WHERE tenant_id = $1 AND level = 0 AND hash = $2 ORDER BY idx LIMIT 1)
            """, [.text(scope.tenantID), .bytes(leafHash)]).first.map(Self.entry)
    }

    public func logEntries(_ range: Range<UInt64>, _ scope: TenantScope) throws -> [LogEntry] {
        try read(scope.tenantID, "reading log entries", """
            SELECT \(Self.entryColumns) FROM submissions WHERE tenant_id = $1 AND leaf_index >= $2 AND leaf_index < $3
            ORDER BY leaf_index
            """, [.text(scope.tenantID), .integer(Int64(range.lowerBound)), .integer(Int64(range.upperBound))]).map(Self.entry)
    }

    /// The head and the three aggregate reads in one read-only `REPEATABLE READ` transaction (one
    /// snapshot: a batch committed meanwhile is in all of them or in none), sent as one pipeline.
    public func networkInputs(measure: String, days: ClosedRange<Int>, conversionDays: ClosedRange<Int>, _ scope: TenantScope) throws
        -> NetworkInputs {
        let tenant = scope.tenantID
        do {
            return try pool.withConnection { db in
                let results = try db.pipeline([
                    ("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", []),
                    (Self.setTenantSQL, [.text(tenant)]),
                    (Self.headSQL, [.text(tenant)]),
                    Self.sensorDaysStatement(measure: measure, days: days, scope),
                    Self.zoneDaysStatement(days: days, scope),
                    Self.conversionDaysStatement(days: conversionDays, scope),
                    PostgresZoneHours.select(measure: DayShapeNetwork.measure,
                                             days: DayShapeNetwork.hourDays(days: days, conversionDays: conversionDays), tenant: tenant),
                    ("COMMIT", []),
                ])
                return NetworkInputs(head: try Self.head(results[2], tenant: tenant),
                                     sensorDays: try Self.sensorDays(results[3], measure: measure),
                                     zoneDays: try Self.zoneDays(results[4]), conversions: try Self.conversionDays(results[5]),
                                     zoneHours: try PostgresZoneHours.rows(results[6], measure: DayShapeNetwork.measure))
            }
        } catch let error as CoordinatorError {
            throw error
        } catch {
            throw Self.storageError(error, "reading network inputs")
        }
    }

    private static let reportKeySQL = """
        tenant_id = $1 AND tree_size = $2 AND period_from = $3 AND period_to = $4 AND lag = $5 AND audience = $6
        """

    private static func reportKeyValues(_ key: PublishedReportKey, _ scope: TenantScope) -> [PostgresValue] {
        [.text(scope.tenantID), .integer(Int64(key.treeSize)), .text(key.period.from), .text(key.period.to), .int(key.lag),
         .text(key.audience)]
    }

    public func publishedReport(_ key: PublishedReportKey, _ scope: TenantScope) throws -> PublishedReport? {
        try read(scope.tenantID, "reading a published report", "SELECT envelope FROM published_reports WHERE \(Self.reportKeySQL)",
                 Self.reportKeyValues(key, scope)).first.map { PublishedReport(key: key, envelope: try $0.bytes(0)) }
    }

    /// Insert-unless-published and read back in one round trip (as ``storeCheckpoint(_:_:)``): two
    /// processes answering the same question at once serve the same stored bytes.
    public func publish(_ report: PublishedReport, _ scope: TenantScope) throws -> PublishedReport {
        let results = try read(scope.tenantID, "publishing a report", [
            ("""
            INSERT INTO published_reports (tenant_id, tree_size, period_from, period_to, lag, audience, envelope, published_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING
            """, Self.reportKeyValues(report.key, scope) + [.bytes(report.envelope), .text(Timestamp.format(Date()))]),
            ("SELECT envelope FROM published_reports WHERE \(Self.reportKeySQL)", Self.reportKeyValues(report.key, scope)),
        ])
        guard let row = results[1].first else {
            throw CoordinatorError(.storage, "The report just published for tenant \(scope.tenantID) at tree size \(report.key.treeSize) is missing.")
        }
        return PublishedReport(key: report.key, envelope: try row.bytes(0))
    }

    public func publishedReports(treeSize: UInt64, _ scope: TenantScope) throws -> [PublishedReport] {
        try read(scope.tenantID, "listing published reports", """
            SELECT period_from, period_to, lag, audience, envelope FROM published_reports WHERE tenant_id = $1 AND tree_size = $2
            ORDER BY period_from, period_to, lag, audience
            """, [.text(scope.tenantID), .integer(Int64(treeSize))]).map { row in
            PublishedReport(key: PublishedReportKey(treeSize: treeSize, period: try DayPeriod(storedFrom: try row.string(0), to: try row.string(1)),
                                                    lag: try row.int(2), audience: try row.string(3)),
                            envelope: try row.bytes(4))
        }
    }
}

/// The aggregates of one tenant's part of a batch, column by column, inserted with one
/// `unnest` statement per table.
private struct AggregateColumns {
    let tenant: String
    var zoneRow: [Int64?] = [], zoneTown: [String?] = [], zoneID: [String?] = [], zoneKind: [String?] = []
    var zoneDay: [Int64?] = [], zonePublicHoliday: [Bool?] = [], zoneSchoolHoliday: [Bool?] = [], zoneEvents: [String?] = []
    var sensorRow: [Int64?] = [], sensorTown: [String?] = [], sensorZone: [String?] = [], sensorDay: [Int64?] = []
    var sensorMeasure: [String?] = [], sensorID: [String?] = [], sensorVendor: [String?] = [], sensorTotal: [Double?] = []
    var sensorCovered: [Int64?] = [], sensorExpected: [Int64?] = [], sensorUptime: [Int64?] = [], sensorValidHours: [Int64?] = []
    var conversionRow: [Int64?] = [], conversionTown: [String?] = [], conversionZone: [String?] = [], conversionDay: [Int64?] = []
    var conversionDoor: [String?] = [], conversionStreet: [String?] = [], conversionEntries: [Double?] = []
    var conversionPassersBy: [Double?] = []
    /// (town, zone, day, measure) → the newest submission row of this batch for that cell.
    var cells: [CellKey: Int64] = [:]
    /// The hourly zone rows (issue 20), by submission row.
    var hours: [(row: Int64, hours: ZoneHourRow)] = []

    struct CellKey: Hashable {
        var town: String, zone: String, day: Int, measure: String
    }

    init(tenant: String) { self.tenant = tenant }

    /// Adds the rows `payload` contributes (read by ``PayloadRows``, as the SQLite store and
    /// ``LogReplay`` read them) under submission `row`.
    mutating func add(_ payload: AggregatePayload, row: Int64) {
        let rows = PayloadRows(payload)
        hours += PayloadRows.zoneHours(payload).map { (row, $0) }
        for z in rows.zoneDays {
            zoneRow.append(row); zoneTown.append(z.townID); zoneID.append(z.zoneID); zoneKind.append(z.zoneKind)
            zoneDay.append(Int64(z.day)); zonePublicHoliday.append(z.publicHoliday); zoneSchoolHoliday.append(z.schoolHoliday)
            zoneEvents.append(PayloadRows.eventsText(z.events))
        }
        for r in rows.sensorDays {
            sensorRow.append(row); sensorTown.append(r.townID); sensorZone.append(r.zoneID); sensorDay.append(Int64(r.day))
            sensorMeasure.append(r.measure); sensorID.append(r.sensor); sensorVendor.append(r.vendorKind); sensorTotal.append(r.total)
            sensorCovered.append(Int64(r.coveredMinutes)); sensorExpected.append(Int64(r.expectedMinutes))
            sensorUptime.append(Int64(r.uptimeMinutes)); sensorValidHours.append(Int64(r.validHours))
        }
        for c in rows.conversions {
            conversionRow.append(row); conversionTown.append(c.townID); conversionZone.append(c.zoneID); conversionDay.append(Int64(c.day))
            conversionDoor.append(c.door); conversionStreet.append(c.street); conversionEntries.append(c.entries)
            conversionPassersBy.append(c.passersBy)
        }
        for cell in rows.cells {
            let key = CellKey(town: payload.townId, zone: cell.zone, day: cell.day, measure: cell.measure)
            cells[key] = max(cells[key] ?? row, row)
        }
    }

    /// One `unnest` insert per table that has rows, for one pipeline.
    func statements() -> [(sql: String, parameters: [PostgresValue])] {
        let tenantColumn = PostgresValue.text(tenant)
        var out: [(sql: String, parameters: [PostgresValue])] = []
        if !zoneRow.isEmpty {
            out.append(("""
                INSERT INTO zone_days (submission_row, tenant_id, town_id, zone_id, zone_kind, day, public_holiday, school_holiday, events)
                SELECT r, $1, t, z, k, d, p, s, e
                FROM unnest($2::int8[], $3::text[], $4::text[], $5::text[], $6::int8[], $7::bool[], $8::bool[], $9::text[])
                    AS u(r, t, z, k, d, p, s, e)
                ON CONFLICT DO NOTHING
                """, [tenantColumn, .integerArray(zoneRow), .textArray(zoneTown), .textArray(zoneID), .textArray(zoneKind),
                      .integerArray(zoneDay), .boolArray(zonePublicHoliday), .boolArray(zoneSchoolHoliday), .textArray(zoneEvents)]))
        }
        if !sensorRow.isEmpty {
            out.append(("""
                INSERT INTO sensor_days (submission_row, tenant_id, town_id, zone_id, day, measure, sensor, vendor_kind,
                    total, covered, expected, uptime, valid_hours)
                SELECT r, $1, t, z, d, m, s, v, x, c, e, u, h
                FROM unnest($2::int8[], $3::text[], $4::text[], $5::int8[], $6::text[], $7::text[], $8::text[], $9::float8[],
                            $10::int8[], $11::int8[], $12::int8[], $13::int8[]) AS u(r, t, z, d, m, s, v, x, c, e, u, h)
                ON CONFLICT DO NOTHING
                """, [tenantColumn, .integerArray(sensorRow), .textArray(sensorTown), .textArray(sensorZone), .integerArray(sensorDay),
                      .textArray(sensorMeasure), .textArray(sensorID), .textArray(sensorVendor), .doubleArray(sensorTotal),
                      .integerArray(sensorCovered), .integerArray(sensorExpected), .integerArray(sensorUptime),
                      .integerArray(sensorValidHours)]))
        }
        if !conversionRow.isEmpty {
            out.append(("""
                INSERT INTO conversion_days (submission_row, tenant_id, town_id, zone_id, day, door, street, entries, passers_by)
                SELECT r, $1, t, z, d, o, s, e, p
                FROM unnest($2::int8[], $3::text[], $4::text[], $5::int8[], $6::text[], $7::text[], $8::float8[], $9::float8[])
                    AS u(r, t, z, d, o, s, e, p)
                ON CONFLICT DO NOTHING
                """, [tenantColumn, .integerArray(conversionRow), .textArray(conversionTown), .textArray(conversionZone),
                      .integerArray(conversionDay), .textArray(conversionDoor), .textArray(conversionStreet),
                      .doubleArray(conversionEntries), .doubleArray(conversionPassersBy)]))
        }
        out += PostgresZoneHours.statements(tenant: tenant, hours)
        if !cells.isEmpty {
            let keys = Array(cells.keys)
            out.append(("""
                INSERT INTO current_cells (tenant_id, town_id, zone_id, day, measure, submission_row)
                SELECT $1, t, z, d, m, r FROM unnest($2::text[], $3::text[], $4::int8[], $5::text[], $6::int8[]) AS u(t, z, d, m, r)
                ON CONFLICT (tenant_id, measure, day, town_id, zone_id) DO UPDATE SET submission_row = excluded.submission_row
                WHERE excluded.submission_row > current_cells.submission_row
                """, [tenantColumn, .textArray(keys.map(\.town)), .textArray(keys.map(\.zone)),
                      .integerArray(keys.map { Int64($0.day) }), .textArray(keys.map(\.measure)),
                      .integerArray(keys.map { cells[$0] })]))
        }
        return out
    }
}
