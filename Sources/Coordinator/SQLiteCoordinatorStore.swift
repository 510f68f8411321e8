public import Federation
public import Foundation
import Indicators
import Storage
import Synchronization

/// One SQLite connection (and the statements it caches), used by one thread at a time.
///
/// `@unchecked Sendable` because `Connection` and `Statement` are non-Sendable classes: a box is
/// only ever used by the thread that holds it, either under the writer's `Mutex` or for the span
/// of a ``Storage/ConnectionPool`` checkout (which lends a connection to one thread at a time).
final class ConnectionBox: @unchecked Sendable {
    let connection: Connection

    init(_ connection: Connection) { self.connection = connection }

    func statement(_ sql: String) throws -> Statement { try connection.cachedStatement(sql) }

    func rows(_ sql: String, _ bindings: [SQLValue] = []) throws -> [Row] {
        let statement = try statement(sql)
        try statement.bind(bindings)
        var rows: [Row] = []
        while try statement.step() { rows.append(statement.row()) }
        try statement.reset()
        return rows
    }

    /// Each row transformed as it is read, from the statement's columns: no ``Row`` per row and no
    /// array of every row beside the result (millions of sensor days at scale; issue 17). Only for
    /// STRICT tables, whose column types SQLite enforces on every write.
    func mapRows<T>(_ sql: String, _ bindings: [SQLValue] = [], _ transform: (Statement) throws -> T) throws -> [T] {
        let statement = try statement(sql)
        try statement.bind(bindings)
        var result: [T] = []
        while try statement.step() { result.append(try transform(statement)) }
        try statement.reset()
        return result
    }

    func run(_ sql: String, _ bindings: [SQLValue] = []) throws {
        let statement = try statement(sql)
        try statement.bind(bindings)
        while try statement.step() {}
        try statement.reset()
    }
}

/// The SQLite implementation of ``CoordinatorStore``: one file in WAL mode, one writer connection
/// with `synchronous=FULL` (a returned COMMIT survives power loss), a bounded pool of read connections.
///
/// Why SQLite by default: a coordinator for one province is one process and one file that an
/// operator can back up with `sqlite3 .backup`; ``CoordinatorStore`` leaves room for PostgreSQL.
/// Schema: `schema` below; every table has `tenant_id`, every query binds it from the scope.
public final class SQLiteCoordinatorStore: CoordinatorStore {
    public let path: String
    private let writer: Mutex<Void> = Mutex(())
    private let writerBox: ConnectionBox
    private let readers: ConnectionPool
    private let publicKeys = PublicKeyCache()

    static let migrations = Migrator([
        .init(1, "coordinator schema v1", """
            CREATE TABLE tenants (
                tenant_id TEXT PRIMARY KEY, name TEXT NOT NULL, peer_naming TEXT NOT NULL,
                min_store_entries INTEGER NOT NULL, min_spending_buyers INTEGER NOT NULL,
                max_age_days INTEGER NOT NULL, created_at TEXT NOT NULL) STRICT;
            CREATE TABLE towns (
                tenant_id TEXT NOT NULL REFERENCES tenants(tenant_id), town_id TEXT NOT NULL, name TEXT NOT NULL,
                created_at TEXT NOT NULL, PRIMARY KEY (tenant_id, town_id)) STRICT;
            CREATE TABLE keys (
                tenant_id TEXT NOT NULL, key_id TEXT NOT NULL, town_id TEXT NOT NULL, public_key BLOB NOT NULL,
                enrolled_at TEXT NOT NULL, status TEXT NOT NULL, status_at TEXT, successor TEXT,
                PRIMARY KEY (tenant_id, key_id), FOREIGN KEY (tenant_id, town_id) REFERENCES towns) STRICT;
            CREATE TABLE tokens (
                token_hash BLOB PRIMARY KEY, token_id TEXT NOT NULL UNIQUE, role TEXT NOT NULL,
                tenant_id TEXT NOT NULL REFERENCES tenants(tenant_id), town_id TEXT,
                created_at TEXT NOT NULL, expires_at TEXT NOT NULL, revoked_at TEXT) STRICT;
            -- Append-only. row_id is the acceptance order (the transparency-log leaf index, issue 9).
            CREATE TABLE submissions (
                row_id INTEGER PRIMARY KEY AUTOINCREMENT, tenant_id TEXT NOT NULL, town_id TEXT NOT NULL,
                submission_id TEXT NOT NULL, sequence INTEGER NOT NULL, key_id TEXT NOT NULL,
                created_at TEXT NOT NULL, accepted_at TEXT NOT NULL, period_from TEXT NOT NULL, period_to TEXT NOT NULL,
                payload_digest BLOB NOT NULL, envelope_digest BLOB NOT NULL, envelope BLOB NOT NULL,
                UNIQUE (tenant_id, town_id, submission_id), UNIQUE (tenant_id, town_id, sequence)) STRICT;
            -- Extracted aggregates, append-only, keyed by the submission row they came from.
            CREATE TABLE sensor_days (
                submission_row INTEGER NOT NULL REFERENCES submissions(row_id), tenant_id TEXT NOT NULL,
                town_id TEXT NOT NULL, zone_id TEXT NOT NULL, day INTEGER NOT NULL, measure TEXT NOT NULL,
                sensor TEXT NOT NULL, vendor_kind TEXT NOT NULL, total REAL, covered INTEGER NOT NULL,
                expected INTEGER NOT NULL, uptime INTEGER NOT NULL, valid_hours INTEGER NOT NULL,
                PRIMARY KEY (submission_row, zone_id, day, measure, sensor)) STRICT, WITHOUT ROWID;
            CREATE TABLE zone_days (
                submission_row INTEGER NOT NULL REFERENCES submissions(row_id), tenant_id TEXT NOT NULL,
                town_id TEXT NOT NULL, zone_id TEXT NOT NULL, zone_kind TEXT NOT NULL, day INTEGER NOT NULL,
                public_holiday INTEGER NOT NULL, school_holiday INTEGER NOT NULL, events TEXT NOT NULL,
                PRIMARY KEY (submission_row, zone_id, day)) STRICT, WITHOUT ROWID;
            CREATE TABLE conversion_days (
                submission_row INTEGER NOT NULL REFERENCES submissions(row_id), tenant_id TEXT NOT NULL,
                town_id TEXT NOT NULL, zone_id TEXT NOT NULL, day INTEGER NOT NULL, door TEXT NOT NULL,
                street TEXT NOT NULL, entries REAL, passers_by REAL,
                PRIMARY KEY (submission_row, zone_id, day, door, street)) STRICT, WITHOUT ROWID;
            -- Supersession: for each (tenant, town, zone, day, measure) cell the submission that is
            -- current (highest sequence). measure '' is the zone-day record (flags, conversions).
            CREATE TABLE current_cells (
                tenant_id TEXT NOT NULL, town_id TEXT NOT NULL, zone_id TEXT NOT NULL, day INTEGER NOT NULL,
                measure TEXT NOT NULL, submission_row INTEGER NOT NULL,
                PRIMARY KEY (tenant_id, measure, day, town_id, zone_id)) STRICT, WITHOUT ROWID;
            """),
        .init(2, "transparency log", """
            -- Issue 9: each tenant's append-only Merkle log (PROTOCOL.md §8). A submission's leaf index
            -- is its position in its tenant's log; leaves are the exact envelope bytes.
            ALTER TABLE submissions ADD COLUMN leaf_index INTEGER;
            CREATE UNIQUE INDEX submissions_by_leaf ON submissions (tenant_id, leaf_index);
            -- Every complete subtree hash: (level 0, i) is leaf i; proofs read O(log n) of these.
            CREATE TABLE log_nodes (
                tenant_id TEXT NOT NULL, level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL,
                PRIMARY KEY (tenant_id, level, idx)) STRICT, WITHOUT ROWID;
            CREATE INDEX log_leaves_by_hash ON log_nodes (tenant_id, hash) WHERE level = 0;
            -- The right edge (MerkleFrontier) of each tenant's tree: appends read one row.
            CREATE TABLE log_heads (tenant_id TEXT PRIMARY KEY, size INTEGER NOT NULL, frontier BLOB NOT NULL) STRICT;
            CREATE TABLE checkpoints (
                tenant_id TEXT NOT NULL, tree_size INTEGER NOT NULL, root_hash BLOB NOT NULL, origin TEXT NOT NULL,
                note TEXT NOT NULL, verifier_key TEXT NOT NULL, signed_at TEXT NOT NULL,
                PRIMARY KEY (tenant_id, tree_size)) STRICT;
            CREATE TABLE published_reports (
                tenant_id TEXT NOT NULL, tree_size INTEGER NOT NULL, period_from TEXT NOT NULL, period_to TEXT NOT NULL,
                lag INTEGER NOT NULL, audience TEXT NOT NULL, envelope BLOB NOT NULL, published_at TEXT NOT NULL,
                PRIMARY KEY (tenant_id, tree_size, period_from, period_to, lag, audience)) STRICT;
            -- Append-only, enforced: nothing of the log, its checkpoints or published reports is changed or removed.
            CREATE TRIGGER log_nodes_append_only BEFORE UPDATE ON log_nodes BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
            CREATE TRIGGER log_nodes_no_delete BEFORE DELETE ON log_nodes BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
            CREATE TRIGGER checkpoints_append_only BEFORE UPDATE ON checkpoints BEGIN SELECT RAISE(ABORT, 'checkpoints are kept'); END;
            CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints BEGIN SELECT RAISE(ABORT, 'checkpoints are kept'); END;
            CREATE TRIGGER reports_append_only BEFORE UPDATE ON published_reports BEGIN SELECT RAISE(ABORT, 'published reports are kept'); END;
            CREATE TRIGGER reports_no_delete BEFORE DELETE ON published_reports BEGIN SELECT RAISE(ABORT, 'published reports are kept'); END;
            CREATE TRIGGER log_heads_no_delete BEFORE DELETE ON log_heads BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
            CREATE TRIGGER log_heads_grow_only BEFORE UPDATE ON log_heads WHEN new.size < old.size
                BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
            CREATE TRIGGER submissions_no_delete BEFORE DELETE ON submissions BEGIN SELECT RAISE(ABORT, 'submissions are kept'); END;
            CREATE TRIGGER submissions_envelope_kept BEFORE UPDATE OF envelope, leaf_index ON submissions
                WHEN old.leaf_index IS NOT NULL BEGIN SELECT RAISE(ABORT, 'a logged submission is kept as accepted'); END;
            """),
        .init(3, "log leaves found by scan", """
            -- A random-keyed index on leaf hashes cost every submission a page write; a lookup by
            -- leaf hash (an auditor's occasional question) scans the tenant's leaves instead.
            DROP INDEX log_leaves_by_hash;
            """),
        .init(4, "browser sessions", """
            -- The report pages' sessions (issue 16): only the SHA-256 of a session id is kept, with the
            -- token that logged in; at most a few per token (the oldest go first), dropped on expiry.
            CREATE TABLE sessions (
                session_hash BLOB PRIMARY KEY, token_hash BLOB NOT NULL, tenant_id TEXT NOT NULL,
                created_at TEXT NOT NULL, expires_at TEXT NOT NULL) STRICT;
            CREATE INDEX sessions_by_token ON sessions (token_hash);
            """),
        .init(5, "peer groups", peerGroupsSchema),
        .init(6, "zone hours", SQLiteCoordinatorStore.zoneHoursMigrationSQL),
        .init(7, "packed series", seriesMigrationSQL),
        .init(8, "zone lots", SQLiteCoordinatorStore.zoneLotsMigrationSQL),
    ])

    /// Opens (creating and migrating if needed) the store at `path`.
    /// - Parameter maximumReaders: at most this many read connections open at once (a reader beyond
    ///   them waits for one; reads take milliseconds).
    public init(path: String, maximumReaders: Int = 16) throws {
        self.path = path
        let connection: Connection
        do {
            connection = try Connection(path: path, durability: .full, busyTimeout: .seconds(10))
            try SQLiteCoordinatorStore.migrations.migrate(connection)
            try Self.logUnloggedSubmissions(connection)
            try Self.backfillZoneHours(connection)
            try Self.packExistingCells(connection)
            try Self.backfillZoneLots(connection)
        } catch {
            throw CoordinatorError.storage(error, "opening \(path)")
        }
        writerBox = ConnectionBox(connection)
        readers = ConnectionPool(path: path, maximumReaders: maximumReaders)
    }

    /// Closes the read connections (waiting for lent ones to come back) and the writer; throws
    /// the first failure after closing everything it can.
    public func close() throws {
        var failure: (any Error)?
        do { try readers.close() } catch { failure = error }
        do { try writer.withLock { _ in try writerBox.connection.close() } } catch { failure = failure ?? error }
        if let failure { throw CoordinatorError.storage(failure, "closing \(path)") }
    }

    /// Runs `body` on the writer connection (one writer at a time); any error becomes a `storage`
    /// error about `what`, except a ``CoordinatorError`` the body threw. For extension files too.
    func write<T>(_ what: String, _ body: (ConnectionBox) throws -> T) throws -> T {
        do {
            return try writer.withLock { _ in try body(writerBox) }
        } catch {
            throw CoordinatorError.storage(error, what)
        }
    }

    /// Runs `body` on a pooled read connection; errors as ``write(_:_:)``.
    func read<T>(_ what: String, _ body: (ConnectionBox) throws -> T) throws -> T {
        do {
            return try readers.withConnection { try body(ConnectionBox($0)) }
        } catch {
            throw CoordinatorError.storage(error, what)
        }
    }

    private static func isConstraint(_ error: any Error) -> Bool {
        if case StorageError.Code.constraint = error { return true }
        return false
    }

    // MARK: Tenants and towns

    public func addTenant(_ tenant: Tenant) throws {
        try StoreError.checkIdentifier(tenant.id, "tenant")
        do {
            try writer.withLock { _ in
                try writerBox.run("""
                    INSERT INTO tenants (tenant_id, name, peer_naming, min_store_entries, min_spending_buyers, max_age_days, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, [.text(tenant.id), .text(tenant.name), .text(tenant.peerNaming.rawValue),
                          .int(tenant.privacy.minimumStoreEntries), .int(tenant.privacy.minimumSpendingBuyers),
                          .int(tenant.maximumAgeDays), .text(Timestamp.format(Date()))])
            }
        } catch where Self.isConstraint(error) {
            throw StoreError.tenantExists(tenant.id)
        } catch {
            throw CoordinatorError.storage(error, "adding tenant \(tenant.id)")
        }
    }

    public func tenant(_ scope: TenantScope) throws -> Tenant? {
        try read("reading tenant \(scope.tenantID)") { box in
            try box.rows("SELECT \(Tenant.storedColumns) FROM tenants WHERE tenant_id = ?", [.text(scope.tenantID)]).first
                .map { try Tenant(stored: $0, id: scope.tenantID) }
        }
    }

    public func updateTenant(_ tenant: Tenant, _ scope: TenantScope) throws {
        try write("updating tenant \(scope.tenantID)") { box in
            try box.run("""
                UPDATE tenants SET name = ?, peer_naming = ?, min_store_entries = ?, min_spending_buyers = ?, max_age_days = ?
                WHERE tenant_id = ?
                """, [.text(tenant.name), .text(tenant.peerNaming.rawValue), .int(tenant.privacy.minimumStoreEntries),
                      .int(tenant.privacy.minimumSpendingBuyers), .int(tenant.maximumAgeDays), .text(scope.tenantID)])
            guard box.connection.changes == 1 else { throw StoreError.noTenant(scope.tenantID) }
        }
    }

    public func addTown(_ town: Town, _ scope: TenantScope) throws {
        try StoreError.checkIdentifier(town.id, "town")
        try write("adding town \(town.id)") { box in
            try box.run("INSERT INTO towns (tenant_id, town_id, name, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                        [.text(scope.tenantID), .text(town.id), .text(town.name), .text(Timestamp.format(Date()))])
        }
    }

    public func towns(_ scope: TenantScope) throws -> [Town] {
        try read("listing towns") { box in
            try box.rows("SELECT \(Town.storedColumns) FROM towns WHERE tenant_id = ? ORDER BY town_id", [.text(scope.tenantID)])
                .map(Town.init(stored:))
        }
    }

    // MARK: Keys

    public func enrol(_ record: KeyRecord, _ scope: TenantScope) throws {
        try StoreError.checkTenant(of: record, scope)
        do {
            try writer.withLock { _ in
                try writerBox.run("""
                    INSERT INTO keys (tenant_id, key_id, town_id, public_key, enrolled_at, status, status_at, successor)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, [.text(scope.tenantID), .text(record.keyID), .text(record.townID), .blob(record.publicKey.rawRepresentation),
                          .text(Timestamp.format(record.enrolledAt))] + StoredKeyStatus(record.status).columns { .optional($0) })
            }
        } catch where Self.isConstraint(error) {
            throw StoreError.keyExists(record, scope)
        } catch {
            throw CoordinatorError.storage(error, "enrolling key \(record.keyID)")
        }
    }

    public func keyRecord(id keyID: String, _ scope: TenantScope) throws -> KeyRecord? {
        try read("reading key \(keyID)") { box in
            try box.rows("SELECT \(PublicKeyCache.columns) FROM keys WHERE tenant_id = ? AND key_id = ?",
                         [.text(scope.tenantID), .text(keyID)]).first.map { try publicKeys.keyRecord($0, tenantID: scope.tenantID) }
        }
    }

    public func updateKey(_ record: KeyRecord, _ scope: TenantScope) throws {
        try write("updating key \(record.keyID)") { box in
            try box.run("UPDATE keys SET status = ?, status_at = ?, successor = ? WHERE tenant_id = ? AND key_id = ?",
                        StoredKeyStatus(record.status).columns { .optional($0) } + [.text(scope.tenantID), .text(record.keyID)])
            guard box.connection.changes == 1 else { throw StoreError.noKey(record.keyID, scope) }
        }
    }

    public func rotate(_ old: KeyRecord, to new: KeyRecord, _ scope: TenantScope) throws {
        do {
            try writer.withLock { _ in
                try writerBox.connection.transaction {
                    try writerBox.run("UPDATE keys SET status = ?, status_at = ?, successor = ? WHERE tenant_id = ? AND key_id = ? AND status = 'active'",
                                      StoredKeyStatus(old.status).columns { .optional($0) } + [.text(scope.tenantID), .text(old.keyID)])
                    guard writerBox.connection.changes == 1 else { throw StoreError.alreadyRotated(old.keyID) }
                    try writerBox.run("""
                        INSERT INTO keys (tenant_id, key_id, town_id, public_key, enrolled_at, status, status_at, successor)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """, [.text(scope.tenantID), .text(new.keyID), .text(new.townID), .blob(new.publicKey.rawRepresentation),
                              .text(Timestamp.format(new.enrolledAt))] + StoredKeyStatus(new.status).columns { .optional($0) })
                }
            }
        } catch let error as CoordinatorError {
            throw error
        } catch where Self.isConstraint(error) {
            throw StoreError.rotatedKeyExists(new, scope)
        } catch {
            throw CoordinatorError.storage(error, "rotating key \(old.keyID)")
        }
    }

    public func keys(town townID: String, _ scope: TenantScope) throws -> [KeyRecord] {
        try read("listing keys") { box in
            try box.rows("SELECT \(PublicKeyCache.columns) FROM keys WHERE tenant_id = ? AND town_id = ? ORDER BY enrolled_at",
                         [.text(scope.tenantID), .text(townID)]).map { try publicKeys.keyRecord($0, tenantID: scope.tenantID) }
        }
    }

    // MARK: Tokens

    public func addToken(_ token: TokenRecord) throws {
        try write("issuing a token") { box in
            try box.run("""
                INSERT INTO tokens (token_hash, token_id, role, tenant_id, town_id, created_at, expires_at, revoked_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, NULL)
                """, [.blob(token.hash), .text(token.id), .text(token.role.rawValue), .text(token.tenantID),
                      .optional(token.townID), .text(Timestamp.format(token.createdAt)), .text(Timestamp.format(token.expiresAt))])
        }
    }

    public func token(hash: [UInt8]) throws -> TokenRecord? {
        try read("checking a token") { box in
            try box.rows("SELECT \(TokenRecord.storedColumns) FROM tokens WHERE token_hash = ?", [.blob(hash)]).first
                .map(TokenRecord.init(stored:))
        }
    }

    public func revokeToken(id: String, at: Date) throws {
        try write("revoking token \(id)") { box in
            try box.run("UPDATE tokens SET revoked_at = coalesce(revoked_at, ?) WHERE token_id = ?",
                        [.text(Timestamp.format(at)), .text(id)])
            guard box.connection.changes == 1 else { throw StoreError.noToken(id) }
        }
    }

    // MARK: Browser sessions

    public func addSession(_ session: SessionRecord, keepingAtMost perToken: Int, now: Date) throws {
        try write("storing a session") { box in
            try box.connection.transaction {
                try box.run("DELETE FROM sessions WHERE token_hash = ? AND expires_at <= ?",
                            [.blob(session.tokenHash), .text(Timestamp.format(now))])
                // Insertion order (rowid) is age: keep the newest perToken - 1, then add this one.
                try box.run("""
                    DELETE FROM sessions WHERE token_hash = ?1 AND rowid NOT IN
                        (SELECT rowid FROM sessions WHERE token_hash = ?1 ORDER BY rowid DESC LIMIT ?2)
                    """, [.blob(session.tokenHash), .int(max(0, perToken - 1))])
                try box.run("""
                    INSERT INTO sessions (session_hash, token_hash, tenant_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)
                    """, [.blob(session.idHash), .blob(session.tokenHash), .text(session.tenantID),
                          .text(Timestamp.format(session.createdAt)), .text(Timestamp.format(session.expiresAt))])
            }
        }
    }

    public func session(idHash: [UInt8], now: Date) throws -> SessionRecord? {
        let found = try read("reading a session") { box -> SessionRecord? in
            try box.rows("SELECT \(SessionRecord.storedColumns) FROM sessions WHERE session_hash = ?", [.blob(idHash)]).first
                .map { try SessionRecord(stored: $0, idHash: idHash) }
        }
        guard let found, found.expiresAt > now else {
            if found != nil { try removeSession(idHash: idHash) }
            return nil
        }
        return found
    }

    public func removeSession(idHash: [UInt8]) throws {
        try write("ending a session") { box in try box.run("DELETE FROM sessions WHERE session_hash = ?", [.blob(idHash)]) }
    }

    // MARK: Submissions

    /// The town's last sequence and, if stored, the submission with this id (one statement: the
    /// hot path asks it for every submission, and the commit again inside its transaction).
    private static let stateSQL = """
        SELECT (SELECT max(sequence) FROM submissions WHERE tenant_id = ?1 AND town_id = ?2) AS last_sequence,
               s.payload_digest, s.envelope_digest, s.accepted_at
        FROM (SELECT 1) AS one
        LEFT JOIN submissions s ON s.tenant_id = ?1 AND s.town_id = ?2 AND s.submission_id = ?3
        """

    private static func state(tenant: String, town: String, submissionID: String, _ box: ConnectionBox) throws -> StoredSubmissionState {
        guard let row = try box.rows(stateSQL, [.text(tenant), .text(town), .text(submissionID)]).first else {
            throw CoordinatorError(.storage, "Reading the submission state of town \(town) in tenant \(tenant) returned no row.")
        }
        return try StoredSubmissionState(stored: row, submissionID: submissionID)
    }

    public func submissionState(town townID: String, submissionID: String, _ scope: TenantScope) throws -> TownSubmissionState {
        try read("reading the submission state") { box in
            try Self.state(tenant: scope.tenantID, town: townID, submissionID: submissionID, box).state
        }
    }

    public func commit(_ batch: [VerifiedSubmission], at now: Date, signer: CheckpointSigner?) throws -> [CommitOutcome] {
        let acceptedAt = Timestamp.format(now)
        return try write("storing \(batch.count) submissions") { box in
            try box.connection.transaction {
                var outcomes: [CommitOutcome] = []
                outcomes.reserveCapacity(batch.count)
                var logs = LogAppender()
                for item in batch {
                    outcomes.append(try store(item, acceptedAt: acceptedAt, box: box, logs: &logs))
                }
                try logs.finish(box, signer: signer, at: acceptedAt)
                return outcomes
            }
        }
    }

    /// Appends to tenants' logs within one write transaction: each touched tenant's frontier is
    /// read once and extended in memory (``TenantLogAppend``); the completed node rows, the new
    /// heads and the checkpoints are written at the end, the rows in multi-row INSERTs (the
    /// writer thread is the submission path's one serial part, so its per-leaf work is kept small).
    struct LogAppender {
        var logs: [String: TenantLogAppend] = [:]

        /// Appends a leaf hash to `tenant`'s log; returns its leaf index.
        mutating func append(leafHash: [UInt8], tenant: String, box: ConnectionBox) throws -> UInt64 {
            var log = try logs[tenant] ?? TenantLogAppend(tenant: tenant, frontier: SQLiteCoordinatorStore.frontier(tenant, box))
            let index = try log.append(leafHash: leafHash)
            logs[tenant] = log
            return index
        }

        /// Node rows per INSERT statement.
        static let rowsPerInsert = 64

        /// Writes the node rows, the new heads and, with a signer, each head's checkpoint.
        func finish(_ box: ConnectionBox, signer: CheckpointSigner?, at: String) throws {
            let nodes = logs.values.flatMap { log in log.nodes.map { (tenant: log.tenant, node: $0) } }
            var start = 0
            while start < nodes.count {
                let chunk = nodes[start..<min(start + Self.rowsPerInsert, nodes.count)]
                let insert = try box.statement("INSERT INTO log_nodes (tenant_id, level, idx, hash) VALUES "
                    + Array(repeating: "(?, ?, ?, ?)", count: chunk.count).joined(separator: ", "))
                var values: [SQLValue] = []
                values.reserveCapacity(4 * chunk.count)
                for (tenant, node) in chunk {
                    values += [.text(tenant), .int(node.level), .integer(Int64(node.index)), .blob(node.hash)]
                }
                try insert.bind(values)
                while try insert.step() {}
                try insert.reset()
                start += chunk.count
            }
            for (tenant, log) in logs {
                try box.run("""
                    INSERT INTO log_heads (tenant_id, size, frontier) VALUES (?, ?, ?)
                    ON CONFLICT DO UPDATE SET size = excluded.size, frontier = excluded.frontier
                    """, [.text(tenant), .integer(Int64(log.frontier.size)), .blob(log.frontier.encoded)])
                if let signer {
                    try SQLiteCoordinatorStore.insertCheckpoint(
                        try signer.sign(tenantID: tenant, size: log.frontier.size, root: log.frontier.rootHash), tenant: tenant, at: at, box)
                }
            }
        }
    }

    static func frontier(_ tenant: String, _ box: ConnectionBox) throws -> MerkleFrontier {
        try MerkleFrontier(stored: try box.rows("SELECT \(MerkleFrontier.storedColumns) FROM log_heads WHERE tenant_id = ?", [.text(tenant)]).first,
                           tenant: tenant)
    }

    static func insertCheckpoint(_ c: TransparencyLog.SignedCheckpoint, tenant: String, at: String, _ box: ConnectionBox) throws {
        try box.run("""
            INSERT INTO checkpoints (tenant_id, tree_size, root_hash, origin, note, verifier_key, signed_at)
            VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
            """, [.text(tenant), .integer(Int64(c.treeSize)), .blob(Base64.decode(c.rootHash) ?? []), .text(c.origin), .text(c.note),
                  .text(c.verifierKey), .text(at)])
    }

    /// Appends submissions stored before the log existed (schema v1) to their tenants' logs, in
    /// acceptance order, once, in one transaction. Their checkpoints are signed on demand.
    static func logUnloggedSubmissions(_ connection: Connection) throws {
        let box = ConnectionBox(connection)
        let rows = try box.rows("SELECT row_id, tenant_id, envelope FROM submissions WHERE leaf_index IS NULL ORDER BY row_id")
        guard !rows.isEmpty else { return }
        try connection.transaction {
            var logs = LogAppender()
            for row in rows {
                let index = try logs.append(leafHash: Merkle.leafHash(try row.bytes("envelope")), tenant: try row.string("tenant_id"), box: box)
                try box.run("UPDATE submissions SET leaf_index = ? WHERE row_id = ?",
                            [.integer(Int64(index)), .integer(try row.int64("row_id"))])
            }
            try logs.finish(box, signer: nil, at: Timestamp.format(Date()))
        }
    }

    private func store(_ item: VerifiedSubmission, acceptedAt: String, box: ConnectionBox,
                       logs: inout LogAppender) throws -> CommitOutcome {
        let payload = item.accepted.payload
        let tenant = item.scope.tenantID
        let town = payload.townId
        // Re-check inside the transaction: the worker's check read an older snapshot.
        let stored = try Self.state(tenant: tenant, town: town, submissionID: payload.submissionId, box)
        if let verdict = stored.verdict(item) { return verdict }
        // The log leaf goes in with the row, in this transaction: never one without the other.
        let leaf = try logs.append(leafHash: item.leafHash, tenant: tenant, box: box)
        try box.run("""
            INSERT INTO submissions (tenant_id, town_id, submission_id, sequence, key_id, created_at, accepted_at,
                period_from, period_to, payload_digest, envelope_digest, envelope, leaf_index)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [.text(tenant), .text(town), .text(payload.submissionId), .int(payload.sequence), .text(item.accepted.keyID),
                  .text(payload.createdAt), .text(acceptedAt), .text(payload.period.from), .text(payload.period.to),
                  .blob(item.accepted.payloadDigest), .blob(item.accepted.envelopeDigest), .blob(item.body), .integer(Int64(leaf))])
        let row = box.connection.lastInsertRowID
        try extract(payload, row: row, tenant: tenant, box: box)
        try Self.extractHours(payload, row: row, tenant: tenant, box: box)
        try Self.extractLots(payload, row: row, tenant: tenant, box: box)
        return .stored(Receipt(submissionId: payload.submissionId, envelopeDigest: item.accepted.envelopeDigest,
                                    acceptedAt: acceptedAt))
    }

    private func extract(_ payload: AggregatePayload, row: Int64, tenant: String, box: ConnectionBox) throws {
        let town = payload.townId
        let rows = PayloadRows(payload)
        func run(_ statement: Statement, _ values: [SQLValue]) throws {
            try statement.bind(values)
            while try statement.step() {}
            try statement.reset()
        }
        let zoneDay = try box.statement("""
            INSERT OR IGNORE INTO zone_days (submission_row, tenant_id, town_id, zone_id, zone_kind, day, public_holiday, school_holiday, events)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for z in rows.zoneDays {
            try run(zoneDay, [.integer(row), .text(tenant), .text(town), .text(z.zoneID), .text(z.zoneKind), .int(z.day),
                              .int(z.publicHoliday ? 1 : 0), .int(z.schoolHoliday ? 1 : 0), .text(PayloadRows.eventsText(z.events))])
        }
        let sensorDay = try box.statement("""
            INSERT OR IGNORE INTO sensor_days (submission_row, tenant_id, town_id, zone_id, day, measure, sensor, vendor_kind,
                total, covered, expected, uptime, valid_hours)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for r in rows.sensorDays {
            try run(sensorDay, [.integer(row), .text(tenant), .text(town), .text(r.zoneID), .int(r.day), .text(r.measure),
                                .text(r.sensor), .text(r.vendorKind), .optional(r.total), .int(r.coveredMinutes),
                                .int(r.expectedMinutes), .int(r.uptimeMinutes), .int(r.validHours)])
        }
        let conversion = try box.statement("""
            INSERT OR IGNORE INTO conversion_days (submission_row, tenant_id, town_id, zone_id, day, door, street, entries, passers_by)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for c in rows.conversions {
            try run(conversion, [.integer(row), .text(tenant), .text(town), .text(c.zoneID), .int(c.day), .text(c.door),
                                 .text(c.street), .optional(c.entries), .optional(c.passersBy)])
        }
        let cell = try box.statement("""
            INSERT INTO current_cells (tenant_id, town_id, zone_id, day, measure, submission_row) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT DO UPDATE SET submission_row = excluded.submission_row WHERE excluded.submission_row > current_cells.submission_row
            """)
        for c in rows.cells {
            try run(cell, [.text(tenant), .text(town), .text(c.zone), .int(c.day), .text(c.measure), .integer(row)])
        }
        try Self.packCells(rows, row: row, tenant: tenant, town: town, box: box)
    }

    public func receipt(town townID: String, submissionID: String, _ scope: TenantScope) throws -> Receipt? {
        try read("reading a receipt") { box in
            try box.rows("SELECT \(Receipt.storedColumns) FROM submissions WHERE tenant_id = ? AND town_id = ? AND submission_id = ?",
                         [.text(scope.tenantID), .text(townID), .text(submissionID)]).first
                .map { try Receipt(stored: $0, submissionID: submissionID) }
        }
    }

    public func submissions(town townID: String, _ scope: TenantScope) throws -> [SubmissionSummary] {
        try read("listing submissions") { box in
            try box.rows("""
                SELECT \(SubmissionSummary.storedColumns) FROM submissions WHERE tenant_id = ? AND town_id = ? ORDER BY sequence
                """, [.text(scope.tenantID), .text(townID)]).map { try SubmissionSummary(stored: $0, townID: townID) }
        }
    }

    public func envelope(town townID: String, submissionID: String, _ scope: TenantScope) throws -> [UInt8]? {
        try read("reading an envelope") { box in
            try box.rows("SELECT envelope FROM submissions WHERE tenant_id = ? AND town_id = ? AND submission_id = ?",
                         [.text(scope.tenantID), .text(townID), .text(submissionID)]).first.map { try $0.bytes("envelope") }
        }
    }

    public func submissionCount(_ scope: TenantScope) throws -> Int {
        try read("counting submissions") { box in
            try box.rows("SELECT count(*) AS n FROM submissions WHERE tenant_id = ?", [.text(scope.tenantID)]).first?.int("n") ?? 0
        }
    }

    // MARK: Transparency log

    public func logHead(_ scope: TenantScope) throws -> LogHead {
        try read("reading the log head") { box in
            let frontier = try Self.frontier(scope.tenantID, box)
            return LogHead(size: frontier.size, rootHash: frontier.rootHash)
        }
    }

    public func logNodes(_ coordinates: [LogNodeCoordinate], _ scope: TenantScope) throws -> [LogNodeCoordinate: [UInt8]] {
        try read("reading log nodes") { box in
            var out: [LogNodeCoordinate: [UInt8]] = [:]
            for c in Set(coordinates) {
                if let row = try box.rows("SELECT hash FROM log_nodes WHERE tenant_id = ? AND level = ? AND idx = ?",
                                          [.text(scope.tenantID), .int(c.level), .integer(Int64(c.index))]).first {
                    out[c] = try row.bytes("hash")
                }
            }
            return out
        }
    }

    public func storedCheckpoint(treeSize: UInt64?, _ scope: TenantScope) throws -> TransparencyLog.SignedCheckpoint? {
        try read("reading a checkpoint") { box in
            let rows = if let treeSize {
                try box.rows("SELECT \(TransparencyLog.SignedCheckpoint.storedColumns) FROM checkpoints WHERE tenant_id = ? AND tree_size = ?",
                             [.text(scope.tenantID), .integer(try StoreError.logSize(treeSize))])
            } else {
                try box.rows("SELECT \(TransparencyLog.SignedCheckpoint.storedColumns) FROM checkpoints WHERE tenant_id = ? ORDER BY tree_size DESC LIMIT 1",
                             [.text(scope.tenantID)])
            }
            return try rows.first.map(TransparencyLog.SignedCheckpoint.init(stored:))
        }
    }

    public func storeCheckpoint(_ checkpoint: TransparencyLog.SignedCheckpoint, _ scope: TenantScope) throws
        -> TransparencyLog.SignedCheckpoint {
        try write("storing a checkpoint") { box in
            try Self.insertCheckpoint(checkpoint, tenant: scope.tenantID, at: Timestamp.format(Date()), box)
            guard let row = try box.rows("SELECT \(TransparencyLog.SignedCheckpoint.storedColumns) FROM checkpoints WHERE tenant_id = ? AND tree_size = ?",
                                         [.text(scope.tenantID), .integer(Int64(checkpoint.treeSize))]).first else {
                throw StoreError.missingAfterWrite("checkpoint of size \(checkpoint.treeSize)", scope)
            }
            return try TransparencyLog.SignedCheckpoint(stored: row)
        }
    }

    public func logEntry(town townID: String, submissionID: String, _ scope: TenantScope) throws -> LogEntry? {
        try read("reading a log entry") { box in
            try box.rows("""
                SELECT \(LogEntry.storedColumns) FROM submissions
                WHERE tenant_id = ? AND town_id = ? AND submission_id = ? AND leaf_index IS NOT NULL
                """, [.text(scope.tenantID), .text(townID), .text(submissionID)]).first.map(LogEntry.init(stored:))
        }
    }

    public func logEntry(leafHash: [UInt8], _ scope: TenantScope) throws -> LogEntry? {
        try read("reading a log entry") { box in
            try box.rows("""
                SELECT \(LogEntry.storedColumns) FROM submissions
                WHERE tenant_id = ?1 AND leaf_index = (SELECT idx FROM log_nodes WHERE tenant_id = ?1 AND level = 0 AND hash = ?2 LIMIT 1)
                """, [.text(scope.tenantID), .blob(leafHash)]).first.map(LogEntry.init(stored:))
        }
    }

    public func logEntries(_ range: Range<UInt64>, _ scope: TenantScope) throws -> [LogEntry] {
        try read("reading log entries") { box in
            try box.rows("""
                SELECT \(LogEntry.storedColumns) FROM submissions WHERE tenant_id = ? AND leaf_index >= ? AND leaf_index < ? ORDER BY leaf_index
                """, [.text(scope.tenantID), .integer(try StoreError.logSize(range.lowerBound)), .integer(try StoreError.logSize(range.upperBound))]).map(LogEntry.init(stored:))
        }
    }

    public func networkInputs(measure: String, days: ClosedRange<Int>, conversionDays: ClosedRange<Int>, _ scope: TenantScope) throws
        -> NetworkInputs {
        try read("reading network inputs") { box in
            // One read transaction: the head and the rows come from the same WAL snapshot.
            try box.connection.read {
                let frontier = try Self.frontier(scope.tenantID, box)
                return NetworkInputs(head: LogHead(size: frontier.size, rootHash: frontier.rootHash),
                                     sensorDays: try Self.sensorDays(measure: measure, days: days, scope, box, ordered: false),
                                     zoneDays: try Self.zoneDays(days: days, scope, box),
                                     conversions: try Self.conversionDays(days: conversionDays, scope, box),
                                     zoneHours: try Self.zoneHours(measure: DayShapeNetwork.measure,
                                                                    days: DayShapeNetwork.hourDays(days: days, conversionDays: conversionDays),
                                                                    scope, box),
                                     zoneLots: try Self.zoneLots(days: conversionDays, scope, box))
            }
        }
    }

    private static let reportKeySQL = "tenant_id = ? AND tree_size = ? AND period_from = ? AND period_to = ? AND lag = ? AND audience = ?"

    private static func reportKeyValues(_ key: PublishedReportKey, _ scope: TenantScope) -> [SQLValue] {
        [.text(scope.tenantID), .integer(Int64(key.treeSize)), .text(key.period.from), .text(key.period.to), .int(key.lag),
         .text(key.audience)]
    }

    public func publishedReport(_ key: PublishedReportKey, _ scope: TenantScope) throws -> PublishedReport? {
        try read("reading a published report") { box in
            try box.rows("SELECT envelope FROM published_reports WHERE \(Self.reportKeySQL)", Self.reportKeyValues(key, scope)).first
                .map { PublishedReport(key: key, envelope: try $0.bytes("envelope")) }
        }
    }

    public func publish(_ report: PublishedReport, _ scope: TenantScope) throws -> PublishedReport {
        try write("publishing a report") { box in
            try box.run("""
                INSERT INTO published_reports (tenant_id, tree_size, period_from, period_to, lag, audience, envelope, published_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                """, Self.reportKeyValues(report.key, scope) + [.blob(report.envelope), .text(Timestamp.format(Date()))])
            guard let row = try box.rows("SELECT envelope FROM published_reports WHERE \(Self.reportKeySQL)",
                                         Self.reportKeyValues(report.key, scope)).first else {
                throw StoreError.missingAfterWrite("report of tree size \(report.key.treeSize)", scope)
            }
            return PublishedReport(key: report.key, envelope: try row.bytes("envelope"))
        }
    }

    public func publishedReports(treeSize: UInt64, _ scope: TenantScope) throws -> [PublishedReport] {
        try read("listing published reports") { box in
            try box.rows("""
                SELECT \(PublishedReport.storedColumns) FROM published_reports WHERE tenant_id = ? AND tree_size = ?
                ORDER BY period_from, period_to, lag, audience
                """, [.text(scope.tenantID), .integer(try StoreError.logSize(treeSize))]).map { try PublishedReport(stored: $0, treeSize: treeSize) }
        }
    }

    // MARK: Aggregates

    public func sensorDays(measure: String, days: ClosedRange<Int>, _ scope: TenantScope) throws -> [SensorDayRow] {
        try read("reading sensor days") { box in try Self.sensorDays(measure: measure, days: days, scope, box) }
    }

    /// - Parameter ordered: false for the network computation, which does not depend on the rows'
    ///   order: sorting millions of rows was half the read (issue 17).
    private static func sensorDays(measure: String, days: ClosedRange<Int>, _ scope: TenantScope, _ box: ConnectionBox,
                                   ordered: Bool = true) throws -> [SensorDayRow] {
        var decoder = SensorDayDecoder(measure: measure)
        return try box.mapRows("""
            SELECT \(SensorDayDecoder.storedColumns)
            FROM current_cells c
            JOIN sensor_days s ON s.submission_row = c.submission_row AND s.zone_id = c.zone_id AND s.day = c.day AND s.measure = c.measure
            JOIN zone_days z ON z.submission_row = c.submission_row AND z.zone_id = c.zone_id AND z.day = c.day
            WHERE c.tenant_id = ? AND c.measure = ? AND c.day BETWEEN ? AND ?
            \(ordered ? "ORDER BY s.town_id, s.zone_id, s.sensor, s.day" : "")
            """, [.text(scope.tenantID), .text(measure), .int(days.lowerBound), .int(days.upperBound)]) {
            try decoder.decode(StatementRow(statement: $0))
        }
    }

    public func zoneDays(days: ClosedRange<Int>, _ scope: TenantScope) throws -> [ZoneDayRow] {
        try read("reading zone days") { box in try Self.zoneDays(days: days, scope, box) }
    }

    private static func zoneDays(days: ClosedRange<Int>, _ scope: TenantScope, _ box: ConnectionBox) throws -> [ZoneDayRow] {
        try box.rows("""
            SELECT \(ZoneDayRow.storedColumns)
            FROM current_cells c JOIN zone_days z ON z.submission_row = c.submission_row AND z.zone_id = c.zone_id AND z.day = c.day
            WHERE c.tenant_id = ? AND c.measure = '' AND c.day BETWEEN ? AND ?
            ORDER BY z.town_id, z.zone_id, z.day
            """, [.text(scope.tenantID), .int(days.lowerBound), .int(days.upperBound)]).map(ZoneDayRow.init(stored:))
    }

    public func conversionDays(days: ClosedRange<Int>, _ scope: TenantScope) throws -> [ConversionDayRow] {
        try read("reading conversion days") { box in try Self.conversionDays(days: days, scope, box) }
    }

    static func conversionDays(days: ClosedRange<Int>, _ scope: TenantScope, _ box: ConnectionBox) throws -> [ConversionDayRow] {
        try box.rows("""
            SELECT \(ConversionDayRow.storedColumns)
            FROM current_cells c
            JOIN conversion_days v ON v.submission_row = c.submission_row AND v.zone_id = c.zone_id AND v.day = c.day
            JOIN zone_days z ON z.submission_row = c.submission_row AND z.zone_id = c.zone_id AND z.day = c.day
            WHERE c.tenant_id = ? AND c.measure = '' AND c.day BETWEEN ? AND ?
            ORDER BY v.town_id, v.zone_id, v.door, v.day
            """, [.text(scope.tenantID), .int(days.lowerBound), .int(days.upperBound)]).map(ConversionDayRow.init(stored:))
    }
}
