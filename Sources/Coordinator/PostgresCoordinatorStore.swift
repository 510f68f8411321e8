public import Federation
public import Foundation
import Indicators
import PostgreSQL

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
/// - **Round trips.** A tenant's part of a batch is two pipelines: locks, inserts and the packed
///   series' sensor numbers, then the aggregates (one `INSERT … SELECT FROM unnest($1::…[], …)` per
///   table, not one per row; the packed cells of ``PostgresSeries`` with them) and the log rows. A log read (head, proof nodes, entries) is one pipeline: the tenant setting and the
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
    private let publicKeys = PublicKeyCache()

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
                    "SELECT current_user::text AS role, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
                guard let row = role.first else {
                    throw CoordinatorError(.storage, "Cannot read the database role of \(connection.target).")
                }
                if try row.bool("rolsuper") || row.bool("rolbypassrls") {
                    throw CoordinatorError(.invalidArgument, """
                        \(connection.target): role \(try row.string("role")) is a superuser or has BYPASSRLS, so PostgreSQL would \
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
    /// `mapping` may turn a server error into a specific ``CoordinatorError`` (e.g. a unique key into `already_exists`);
    /// `isolation` `.repeatableRead` gives several reads one snapshot.
    @discardableResult
    func inTenant<T>(_ tenantID: String, _ what: String, isolation: PostgresConnection.IsolationLevel = .readCommitted,
                             mapping: (PostgresError) -> CoordinatorError? = { _ in nil },
                             _ body: (PostgresConnection) throws -> T) throws -> T {
        do {
            return try pool.withConnection { db in
                try db.transaction(isolation) {
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
    func read(_ tenantID: String, _ what: String, _ statements: [(sql: String, parameters: [PostgresValue])]) throws
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
    func read(_ tenantID: String, _ what: String, _ sql: String, _ parameters: [PostgresValue]) throws -> PostgresRows {
        try read(tenantID, what, [(sql, parameters)])[0]
    }

    // MARK: Tenants and towns

    public func addTenant(_ tenant: Tenant) throws {
        try StoreError.checkIdentifier(tenant.id, "tenant")
        let exists = StoreError.tenantExists(tenant.id)
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
            try db.query("SELECT \(Tenant.storedColumns) FROM tenants WHERE tenant_id = $1", [.text(scope.tenantID)]).first
                .map { try Tenant(stored: $0, id: scope.tenantID) }
        }
    }

    public func updateTenant(_ tenant: Tenant, _ scope: TenantScope) throws {
        try inTenant(scope.tenantID, "updating tenant \(scope.tenantID)") { db in
            let changed = try db.run("""
                UPDATE tenants SET name = $1, peer_naming = $2, min_store_entries = $3, min_spending_buyers = $4, max_age_days = $5
                WHERE tenant_id = $6
                """, [.text(tenant.name), .text(tenant.peerNaming.rawValue), .int(tenant.privacy.minimumStoreEntries),
                      .int(tenant.privacy.minimumSpendingBuyers), .int(tenant.maximumAgeDays), .text(scope.tenantID)])
            guard changed == 1 else { throw StoreError.noTenant(scope.tenantID) }
        }
    }

    public func addTown(_ town: Town, _ scope: TenantScope) throws {
        try StoreError.checkIdentifier(town.id, "town")
        try inTenant(scope.tenantID, "adding town \(town.id)") { db in
            try db.run("INSERT INTO towns (tenant_id, town_id, name, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                       [.text(scope.tenantID), .text(town.id), .text(town.name), .text(Timestamp.format(Date()))])
        }
    }

    public func towns(_ scope: TenantScope) throws -> [Town] {
        try inTenant(scope.tenantID, "listing towns") { db in
            try db.query("SELECT \(Town.storedColumns) FROM towns WHERE tenant_id = $1 ORDER BY town_id", [.text(scope.tenantID)])
                .map(Town.init(stored:))
        }
    }

    // MARK: Keys

    public func enrol(_ record: KeyRecord, _ scope: TenantScope) throws {
        try StoreError.checkTenant(of: record, scope)
        let exists = StoreError.keyExists(record, scope)
        try inTenant(scope.tenantID, "enrolling key \(record.keyID)",
                     mapping: { PostgresError.Code.integrityConstraintViolation ~= $0 ? exists : nil }) { db in
                try db.run("""
                    INSERT INTO keys (tenant_id, key_id, town_id, public_key, enrolled_at, status, status_at, successor)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                    """, [.text(scope.tenantID), .text(record.keyID), .text(record.townID), .bytes(record.publicKey.rawRepresentation),
                          .text(Timestamp.format(record.enrolledAt))] + StoredKeyStatus(record.status).columns { .optional($0) })
        }
    }

    public func keyRecord(id keyID: String, _ scope: TenantScope) throws -> KeyRecord? {
        try inTenant(scope.tenantID, "reading key \(keyID)") { db in
            try db.query("SELECT \(PublicKeyCache.columns) FROM keys WHERE tenant_id = $1 AND key_id = $2",
                         [.text(scope.tenantID), .text(keyID)]).first.map { try publicKeys.keyRecord($0, tenantID: scope.tenantID) }
        }
    }

    public func updateKey(_ record: KeyRecord, _ scope: TenantScope) throws {
        try inTenant(scope.tenantID, "updating key \(record.keyID)") { db in
            let changed = try db.run("UPDATE keys SET status = $1, status_at = $2, successor = $3 WHERE tenant_id = $4 AND key_id = $5",
                                     StoredKeyStatus(record.status).columns { .optional($0) } + [.text(scope.tenantID), .text(record.keyID)])
            guard changed == 1 else { throw StoreError.noKey(record.keyID, scope) }
        }
    }

    /// Retires `old` (only if still active) and enrols `new`, in one transaction.
    public func rotate(_ old: KeyRecord, to new: KeyRecord, _ scope: TenantScope) throws {
        let exists = StoreError.rotatedKeyExists(new, scope)
        try inTenant(scope.tenantID, "rotating key \(old.keyID)",
                     mapping: { PostgresError.Code.integrityConstraintViolation ~= $0 ? exists : nil }) { db in
            let changed = try db.run("""
                UPDATE keys SET status = $1, status_at = $2, successor = $3 WHERE tenant_id = $4 AND key_id = $5 AND status = 'active'
                """, StoredKeyStatus(old.status).columns { .optional($0) } + [.text(scope.tenantID), .text(old.keyID)])
            guard changed == 1 else { throw StoreError.alreadyRotated(old.keyID) }
            try db.run("""
                INSERT INTO keys (tenant_id, key_id, town_id, public_key, enrolled_at, status, status_at, successor)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                """, [.text(scope.tenantID), .text(new.keyID), .text(new.townID), .bytes(new.publicKey.rawRepresentation),
                      .text(Timestamp.format(new.enrolledAt))] + StoredKeyStatus(new.status).columns { .optional($0) })
        }
    }

    public func keys(town townID: String, _ scope: TenantScope) throws -> [KeyRecord] {
        try inTenant(scope.tenantID, "listing keys") { db in
            try db.query("SELECT \(PublicKeyCache.columns) FROM keys WHERE tenant_id = $1 AND town_id = $2 ORDER BY enrolled_at, key_id",
                         [.text(scope.tenantID), .text(townID)]).map { try publicKeys.keyRecord($0, tenantID: scope.tenantID) }
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
            try db.query("SELECT \(TokenRecord.storedColumns) FROM tokens WHERE token_hash = $1", [.bytes(hash)]).first
                .map(TokenRecord.init(stored:))
        }
    }

    public func revokeToken(id: String, at: Date) throws {
        try inToken("townbench.token_id", id, "revoking token \(id)") { db in
            let changed = try db.run("UPDATE tokens SET revoked_at = coalesce(revoked_at, $1) WHERE token_id = $2",
                                     [.text(Timestamp.format(at)), .text(id)])
            guard changed == 1 else { throw StoreError.noToken(id) }
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
            guard let row = try db.query("SELECT \(SessionRecord.storedColumns) FROM sessions WHERE session_hash = $1", [.bytes(idHash)]).first
            else { return nil }
            let found = try SessionRecord(stored: row, idHash: idHash)
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
        SELECT (SELECT max(sequence) FROM submissions WHERE tenant_id = $1 AND town_id = $2) AS last_sequence,
               s.payload_digest, s.envelope_digest, s.accepted_at
        FROM (SELECT 1) AS one
        LEFT JOIN submissions s ON s.tenant_id = $1 AND s.town_id = $2 AND s.submission_id = $3
        """

    private static func state(_ rows: PostgresRows, submissionID: String) throws -> StoredSubmissionState {
        guard let row = rows.first else {
            throw CoordinatorError(.storage, "Reading the submission state of \(submissionID) returned no row.")
        }
        return try StoredSubmissionState(stored: row, submissionID: submissionID)
    }

    /// Every submission's check asks this: one round trip (``read(_:_:_:_:)``).
    public func submissionState(town townID: String, submissionID: String, _ scope: TenantScope) throws -> TownSubmissionState {
        try Self.state(try read(scope.tenantID, "reading the submission state", Self.stateSQL,
                                [.text(scope.tenantID), .text(townID), .text(submissionID)]), submissionID: submissionID).state
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
                        // Then the packed series' sensor numbers (issue 17) of every submission's sensors.
                        let payloadRows = indices.map { PayloadRows(batch[$0].accepted.payload) }
                        var sensorKeys = Set<PostgresSeries.SensorKey>()
                        for rows in payloadRows {
                            for r in rows.sensorDays {
                                sensorKeys.insert(.init(measure: r.measure, town: r.townID, zone: r.zoneID, sensor: r.sensor,
                                                        vendorKind: r.vendorKind))
                            }
                        }
                        statements += PostgresSeries.numberStatements(tenant: tenant, Array(sensorKeys))
                        let results = try db.pipeline(statements)
                        var log = try Self.lockedLog(tenant, head: results[firstInsert - 1])
                        let numbers = sensorKeys.isEmpty ? [:] : try PostgresSeries.numbers(results[firstInsert + indices.count + 1])
                        var aggregates = AggregateColumns(tenant: tenant, sensorNumbers: numbers)
                        for (k, i) in indices.enumerated() {
                            let inserted = try results[firstInsert + k].first.map { (row: try $0.int64("row_id"), leaf: try $0.int64("leaf_index")) }
                            if let inserted {
                                // The log leaf went in with the row, in this transaction: never one without the other.
                                try log.append(leafHash: batch[i].leafHash, expectedIndex: inserted.leaf)
                                try aggregates.add(batch[i].accepted.payload, rows: payloadRows[k], row: inserted.row)
                            }
                            outcomes[i] = try finish(batch[i], inserted: inserted != nil, acceptedAt: acceptedAt, db: db)
                        }
                        // One more round trip: the aggregates, the log's nodes and head, the checkpoint.
                        try db.pipeline(aggregates.statements() + Self.logStatements(log, signer: signer, at: acceptedAt))
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
            let stored = try Self.state(try db.query(Self.stateSQL, [.text(item.scope.tenantID), .text(payload.townId),
                                                                      .text(payload.submissionId)]),
                                        submissionID: payload.submissionId)
            return stored.verdict(item)
                ?? .refused(Refusal(.sequenceNotIncreasing, "sequence \(payload.sequence) was taken by a concurrent submission"))
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
    /// from the locked head row (``lockHeadSQL``), extended in memory by ``TenantLogAppend``.
    static func lockedLog(_ tenant: String, head: PostgresRows) throws -> TenantLogAppend {
        guard let row = head.first else {
            throw CoordinatorError(.storage, "The log head of tenant \(tenant) could not be read or created; check the database role's rights on log_heads.")
        }
        return TenantLogAppend(tenant: tenant, frontier: try MerkleFrontier(stored: row, tenant: tenant))
    }

    /// The node rows, the new head and (with a signer) the checkpoint of the new head; none when
    /// nothing was appended (a batch of duplicates changes no log).
    ///
    /// Why batch the rows: a batch of n leaves completes about 4n/3 stored node rows
    /// (``LogNodeStorage``); one `unnest` insert carries them all (the hashes as one `bytea` of
    /// 32-byte slices), not a statement per row.
    static func logStatements(_ log: TenantLogAppend, signer: CheckpointSigner?, at signedAt: String) throws
        -> [(sql: String, parameters: [PostgresValue])] {
        guard log.appended > 0 else { return [] }
        let tenant = log.tenant, frontier = log.frontier
        var out: [(sql: String, parameters: [PostgresValue])] = [
            ("""
            INSERT INTO log_nodes (tenant_id, level, idx, hash)
            SELECT $1, l, i, substring($4::bytea FROM ((n - 1) * 32 + 1)::int FOR 32)
            FROM unnest($2::int8[], $3::int8[]) WITH ORDINALITY AS u(l, i, n)
            """, [.text(tenant), .integerArray(log.nodes.map { Int64($0.level) }), .integerArray(log.nodes.map { Int64($0.index) }),
                  .bytes(log.nodes.flatMap(\.hash))]),
            ("UPDATE log_heads SET size = $2, frontier = $3 WHERE tenant_id = $1",
             [.text(tenant), .integer(Int64(frontier.size)), .bytes(frontier.encoded)]),
        ]
        if let signer {
            let checkpoint = try signer.sign(tenantID: tenant, size: frontier.size, root: frontier.rootHash)
            out.append((insertCheckpointSQL, checkpointValues(checkpoint, tenant: tenant, at: signedAt)))
        }
        return out
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
                .map { try $0.string("tenant_id") }
        }
        for tenant in tenants {
            while true {
                let appended = try db.transaction {
                    let results = try db.pipeline([
                        (setTenantSQL, [.text(tenant)]),
                        (createHeadSQL, [.text(tenant)]),
                        (lockHeadSQL, [.text(tenant)]),
                        ("SELECT coalesce(max(leaf_index) + 1, 0) AS next FROM submissions WHERE tenant_id = $1", [.text(tenant)]),
                        ("""
                        SELECT row_id, envelope FROM submissions WHERE tenant_id = $1 AND leaf_index IS NULL ORDER BY row_id LIMIT 1000
                        """, [.text(tenant)]),
                    ])
                    var log = try lockedLog(tenant, head: results[2])
                    guard let next = try results[3].first?.int64("next") else {
                        throw CoordinatorError(.storage, "The next leaf index of tenant \(tenant) could not be read.")
                    }
                    guard next == Int64(log.frontier.size) else {
                        throw CoordinatorError(.storage, "The log of tenant \(tenant) has \(log.frontier.size) leaves in its head but \(next) in its submissions. Restore the database from a backup.")
                    }
                    var rows: [Int64?] = []
                    var leaves: [Int64?] = []
                    for row in results[4] {
                        rows.append(try row.int64("row_id"))
                        leaves.append(Int64(log.frontier.size))
                        try log.append(leafHash: Merkle.leafHash(try row.bytes("envelope")))
                    }
                    guard !rows.isEmpty else { return 0 }
                    let updated = try db.pipeline([
                        ("""
                        UPDATE submissions s SET leaf_index = u.leaf FROM unnest($2::int8[], $3::int8[]) AS u(row_id, leaf)
                        WHERE s.tenant_id = $1 AND s.row_id = u.row_id AND s.leaf_index IS NULL
                        """, [.text(tenant), .integerArray(rows), .integerArray(leaves)]),
                    ] + logStatements(log, signer: nil, at: Timestamp.format(Date())))
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
                 "SELECT \(Receipt.storedColumns) FROM submissions WHERE tenant_id = $1 AND town_id = $2 AND submission_id = $3",
                 [.text(scope.tenantID), .text(townID), .text(submissionID)]).first
            .map { try Receipt(stored: $0, submissionID: submissionID) }
    }

    public func submissions(town townID: String, _ scope: TenantScope) throws -> [SubmissionSummary] {
        try inTenant(scope.tenantID, "listing submissions") { db in
            try db.query("""
                SELECT \(SubmissionSummary.storedColumns) FROM submissions WHERE tenant_id = $1 AND town_id = $2 ORDER BY sequence
                """, [.text(scope.tenantID), .text(townID)]).map { try SubmissionSummary(stored: $0, townID: townID) }
        }
    }

    public func envelope(town townID: String, submissionID: String, _ scope: TenantScope) throws -> [UInt8]? {
        try read(scope.tenantID, "reading an envelope",
                 "SELECT envelope FROM submissions WHERE tenant_id = $1 AND town_id = $2 AND submission_id = $3",
                 [.text(scope.tenantID), .text(townID), .text(submissionID)]).first.map { try $0.bytes("envelope") }
    }

    public func submissionCount(_ scope: TenantScope) throws -> Int {
        try read(scope.tenantID, "counting submissions", "SELECT count(*) AS n FROM submissions WHERE tenant_id = $1",
                 [.text(scope.tenantID)]).first?.int("n") ?? 0
    }

    // MARK: Aggregates

    /// The current sensor days of a measure ($2) over days $3…$4, in the order the computation expects.
    private static let sensorDaysSQL = """
        SELECT \(SensorDayDecoder.storedColumns)
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
        var decoder = SensorDayDecoder(measure: measure)
        return try rows.map { try decoder.decode($0) }
    }

    private static let zoneDaysSQL = """
        SELECT \(ZoneDayRow.storedColumns)
        FROM current_cells c JOIN zone_days z ON z.submission_row = c.submission_row AND z.zone_id = c.zone_id AND z.day = c.day
        WHERE c.tenant_id = $1 AND c.measure = '' AND c.day BETWEEN $2 AND $3
        ORDER BY z.town_id, z.zone_id, z.day
        """

    private static func zoneDaysStatement(days: ClosedRange<Int>, _ scope: TenantScope) -> (sql: String, parameters: [PostgresValue]) {
        (zoneDaysSQL, [.text(scope.tenantID), .int(days.lowerBound), .int(days.upperBound)])
    }

    /// ``zoneDaysSQL``'s zone days that carry events or a holiday (the packed series' read; ``ZoneDayRow/isReadByNetworkFigures``).
    static let eventDaysSQL = """
        SELECT \(ZoneDayRow.storedColumns)
        FROM current_cells c JOIN zone_days z ON z.submission_row = c.submission_row AND z.zone_id = c.zone_id AND z.day = c.day
        WHERE c.tenant_id = $1 AND c.measure = '' AND c.day BETWEEN $2 AND $3 AND (z.events <> '[]' OR z.school_holiday OR z.public_holiday)
        ORDER BY z.town_id, z.zone_id, z.day
        """

    static func zoneDays(_ rows: PostgresRows) throws -> [ZoneDayRow] {
        try rows.map(ZoneDayRow.init(stored:))
    }

    private static let conversionDaysSQL = """
        SELECT \(ConversionDayRow.storedColumns)
        FROM current_cells c
        JOIN conversion_days v ON v.submission_row = c.submission_row AND v.zone_id = c.zone_id AND v.day = c.day
        JOIN zone_days z ON z.submission_row = c.submission_row AND z.zone_id = c.zone_id AND z.day = c.day
        WHERE c.tenant_id = $1 AND c.measure = '' AND c.day BETWEEN $2 AND $3
        ORDER BY v.town_id, v.zone_id, v.door, v.day
        """

    static func conversionDaysStatement(days: ClosedRange<Int>, _ scope: TenantScope)
        -> (sql: String, parameters: [PostgresValue]) {
        (conversionDaysSQL, [.text(scope.tenantID), .int(days.lowerBound), .int(days.upperBound)])
    }

    static func conversionDays(_ rows: PostgresRows) throws -> [ConversionDayRow] {
        try rows.map(ConversionDayRow.init(stored:))
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

    static let headSQL = "SELECT \(MerkleFrontier.storedColumns) FROM log_heads WHERE tenant_id = $1"

    static func head(_ rows: PostgresRows, tenant: String) throws -> LogHead {
        let frontier = try MerkleFrontier(stored: rows.first, tenant: tenant)
        return LogHead(size: frontier.size, rootHash: frontier.rootHash)
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
            out[LogNodeCoordinate(level: try row.int("level"), index: try row.uint64("idx"))] = try row.bytes("hash")
        }
        return out
    }

    static let insertCheckpointSQL = """
        INSERT INTO checkpoints (tenant_id, tree_size, root_hash, origin, note, verifier_key, signed_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant_id, tree_size) DO NOTHING
        """

    static func checkpointValues(_ c: TransparencyLog.SignedCheckpoint, tenant: String, at: String) -> [PostgresValue] {
        [.text(tenant), .integer(Int64(c.treeSize)), .bytes(Base64.decode(c.rootHash) ?? []), .text(c.origin), .text(c.note),
         .text(c.verifierKey), .text(at)]
    }

    public func storedCheckpoint(treeSize: UInt64?, _ scope: TenantScope) throws -> TransparencyLog.SignedCheckpoint? {
        let rows = if let treeSize {
            try read(scope.tenantID, "reading a checkpoint",
                     "SELECT \(TransparencyLog.SignedCheckpoint.storedColumns) FROM checkpoints WHERE tenant_id = $1 AND tree_size = $2",
                     [.text(scope.tenantID), .integer(try StoreError.logSize(treeSize))])
        } else {
            try read(scope.tenantID, "reading the latest checkpoint",
                     "SELECT \(TransparencyLog.SignedCheckpoint.storedColumns) FROM checkpoints WHERE tenant_id = $1 ORDER BY tree_size DESC LIMIT 1",
                     [.text(scope.tenantID)])
        }
        return try rows.first.map(TransparencyLog.SignedCheckpoint.init(stored:))
    }

    /// Insert-unless-present and read back in one round trip. The read is a statement of its own
    /// (its own snapshot), so when another process stored this size meanwhile, its row is read.
    public func storeCheckpoint(_ checkpoint: TransparencyLog.SignedCheckpoint, _ scope: TenantScope) throws
        -> TransparencyLog.SignedCheckpoint {
        let results = try read(scope.tenantID, "storing checkpoint \(checkpoint.treeSize)", [
            (Self.insertCheckpointSQL, Self.checkpointValues(checkpoint, tenant: scope.tenantID, at: Timestamp.format(Date()))),
            ("SELECT \(TransparencyLog.SignedCheckpoint.storedColumns) FROM checkpoints WHERE tenant_id = $1 AND tree_size = $2",
             [.text(scope.tenantID), .integer(Int64(checkpoint.treeSize))]),
        ])
        guard let row = results[1].first else {
            throw StoreError.missingAfterWrite("checkpoint of size \(checkpoint.treeSize)", scope)
        }
        return try TransparencyLog.SignedCheckpoint(stored: row)
    }

    public func logEntry(town townID: String, submissionID: String, _ scope: TenantScope) throws -> LogEntry? {
        try read(scope.tenantID, "reading a log entry", """
            SELECT \(LogEntry.storedColumns) FROM submissions
            WHERE tenant_id = $1 AND town_id = $2 AND submission_id = $3 AND leaf_index IS NOT NULL
            """, [.text(scope.tenantID), .text(townID), .text(submissionID)]).first.map(LogEntry.init(stored:))
    }

    public func logEntry(leafHash: [UInt8], _ scope: TenantScope) throws -> LogEntry? {
        try read(scope.tenantID, "reading a log entry", """
            SELECT \(LogEntry.storedColumns) FROM submissions
            WHERE tenant_id = $1
              AND leaf_index = (SELECT idx FROM log_nodes WHERE tenant_id = $1 AND level = 0 AND hash = $2 ORDER BY idx LIMIT 1)
            """, [.text(scope.tenantID), .bytes(leafHash)]).first.map(LogEntry.init(stored:))
    }

    public func logEntries(_ range: Range<UInt64>, _ scope: TenantScope) throws -> [LogEntry] {
        try read(scope.tenantID, "reading log entries", """
            SELECT \(LogEntry.storedColumns) FROM submissions WHERE tenant_id = $1 AND leaf_index >= $2 AND leaf_index < $3
            ORDER BY leaf_index
            """, [.text(scope.tenantID), .integer(try StoreError.logSize(range.lowerBound)), .integer(try StoreError.logSize(range.upperBound))]).map(LogEntry.init(stored:))
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
                    PostgresZoneLots.select(days: conversionDays, tenant: tenant),
                    ("COMMIT", []),
                ])
                return NetworkInputs(head: try Self.head(results[2], tenant: tenant),
                                     sensorDays: try Self.sensorDays(results[3], measure: measure),
                                     zoneDays: try Self.zoneDays(results[4]), conversions: try Self.conversionDays(results[5]),
                                     zoneHours: try PostgresZoneHours.rows(results[6], measure: DayShapeNetwork.measure),
                                     zoneLots: try PostgresZoneLots.rows(results[7]))
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
                 Self.reportKeyValues(key, scope)).first.map { PublishedReport(key: key, envelope: try $0.bytes("envelope")) }
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
            throw StoreError.missingAfterWrite("report of tree size \(report.key.treeSize)", scope)
        }
        return PublishedReport(key: report.key, envelope: try row.bytes("envelope"))
    }

    public func publishedReports(treeSize: UInt64, _ scope: TenantScope) throws -> [PublishedReport] {
        try read(scope.tenantID, "listing published reports", """
            SELECT \(PublishedReport.storedColumns) FROM published_reports WHERE tenant_id = $1 AND tree_size = $2
            ORDER BY period_from, period_to, lag, audience
            """, [.text(scope.tenantID), .integer(try StoreError.logSize(treeSize))]).map { try PublishedReport(stored: $0, treeSize: treeSize) }
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
    /// The packed series' numbers of the batch's sensors.
    let sensorNumbers: [PostgresSeries.SensorKey: Int64]
    /// Sensor cells (measure not empty) → the newest submission row's sensors (the packed series).
    var series: [CellKey: (row: Int64, entries: [PackedCell.Entry])] = [:]
    /// The hourly zone rows (issue 20), by submission row.
    var hours: [(row: Int64, hours: ZoneHourRow)] = []
    /// The zone-day lots (issue 19), by submission row.
    var lots: [(row: Int64, lots: ZoneLotRow)] = []

    typealias CellKey = PostgresCellKey

    init(tenant: String, sensorNumbers: [PostgresSeries.SensorKey: Int64]) {
        self.tenant = tenant
        self.sensorNumbers = sensorNumbers
    }

    /// Adds the rows `payload` contributes (`rows`: read by ``PayloadRows``, as the SQLite store
    /// and ``LogReplay`` read them) under submission `row`.
    mutating func add(_ payload: AggregatePayload, rows: PayloadRows, row: Int64) throws {
        hours += PayloadRows.zoneHours(payload).map { (row, $0) }
        lots += PayloadRows.zoneLots(payload).map { (row, $0) }
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
            if !cell.measure.isEmpty, series[key].map({ $0.row < row }) ?? true { series[key] = (row, []) }
        }
        for r in rows.sensorDays {
            let key = CellKey(town: r.townID, zone: r.zoneID, day: r.day, measure: r.measure)
            guard series[key]?.row == row else { continue }  // a later submission of this batch replaced the cell
            guard let number = sensorNumbers[.init(measure: r.measure, town: r.townID, zone: r.zoneID, sensor: r.sensor,
                                                   vendorKind: r.vendorKind)] else {
                throw CoordinatorError(.storage, "The packed series number of sensor \(r.sensor) of \(r.townID) was not stored; the commit is rolled back. Retry it.")
            }
            series[key]?.entries.append(PackedCell.Entry(sensorNo: number, total: r.total, covered: r.coveredMinutes,
                                                         expected: r.expectedMinutes, uptime: r.uptimeMinutes, validHours: r.validHours))
        }
    }

    /// `INSERT INTO table (tenant_id, columns…) SELECT $1, … FROM unnest($2, …)`: one statement
    /// for every row of the batch, each column one array parameter; nil for no rows.
    private func unnest(_ table: String, rows: Int, _ columns: KeyValuePairs<String, PostgresValue>)
        -> (sql: String, parameters: [PostgresValue])? {
        guard rows > 0 else { return nil }
        func elementType(_ array: PostgresValue) -> String {
            switch array {
            case .integerArray: "int8"
            case .doubleArray: "float8"
            case .boolArray: "bool"
            default: "text"
            }
        }
        let names = columns.map(\.key)
        let arrays = columns.enumerated().map { "$\($0.offset + 2)::\(elementType($0.element.value))[]" }
        let aliases = columns.indices.map { "c\($0)" }
        return ("""
            INSERT INTO \(table) (tenant_id, \(names.joined(separator: ", ")))
            SELECT $1, \(aliases.joined(separator: ", ")) FROM unnest(\(arrays.joined(separator: ", "))) AS u(\(aliases.joined(separator: ", ")))
            ON CONFLICT DO NOTHING
            """, [.text(tenant)] + columns.map(\.value))
    }

    /// One `unnest` insert per table that has rows, for one pipeline.
    func statements() -> [(sql: String, parameters: [PostgresValue])] {
        let tenantColumn = PostgresValue.text(tenant)
        var out = [
            unnest("zone_days", rows: zoneRow.count, [
                "submission_row": .integerArray(zoneRow), "town_id": .textArray(zoneTown),
                "zone_id": .textArray(zoneID), "zone_kind": .textArray(zoneKind), "day": .integerArray(zoneDay),
                "public_holiday": .boolArray(zonePublicHoliday), "school_holiday": .boolArray(zoneSchoolHoliday),
                "events": .textArray(zoneEvents),
            ]),
            unnest("sensor_days", rows: sensorRow.count, [
                "submission_row": .integerArray(sensorRow), "town_id": .textArray(sensorTown),
                "zone_id": .textArray(sensorZone), "day": .integerArray(sensorDay),
                "measure": .textArray(sensorMeasure), "sensor": .textArray(sensorID),
                "vendor_kind": .textArray(sensorVendor), "total": .doubleArray(sensorTotal),
                "covered": .integerArray(sensorCovered), "expected": .integerArray(sensorExpected),
                "uptime": .integerArray(sensorUptime), "valid_hours": .integerArray(sensorValidHours),
            ]),
            unnest("conversion_days", rows: conversionRow.count, [
                "submission_row": .integerArray(conversionRow), "town_id": .textArray(conversionTown),
                "zone_id": .textArray(conversionZone), "day": .integerArray(conversionDay),
                "door": .textArray(conversionDoor), "street": .textArray(conversionStreet),
                "entries": .doubleArray(conversionEntries), "passers_by": .doubleArray(conversionPassersBy),
            ]),
        ].compactMap { $0 }
        out += PostgresZoneHours.statements(tenant: tenant, hours)
        out += PostgresZoneLots.statements(tenant: tenant, lots)
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
        if let packed = PostgresSeries.cellStatement(tenant: tenant, series) { out.append(packed) }
        return out
    }
}
