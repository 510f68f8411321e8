public import Federation
public import Foundation
import Indicators
import Storage
import Synchronization

/// One SQLite connection plus its prepared statements, used by one thread at a time.
///
/// `@unchecked Sendable` because `Connection` and `Statement` are non-Sendable classes: a box is
/// only ever used by the thread that holds it, either under the writer's `Mutex` or after taking
/// it out of ``ConnectionPool``'s idle list (under its `Mutex`) until it is put back.
final class ConnectionBox: @unchecked Sendable {
    let connection: Connection
    private var statements: [String: Statement] = [:]

    init(_ connection: Connection) { self.connection = connection }

    func statement(_ sql: String) throws -> Statement {
        if let cached = statements[sql] { return cached }
        let statement = try connection.prepare(sql)
        statements[sql] = statement
        return statement
    }

    func rows(_ sql: String, _ bindings: [SQLValue] = []) throws -> [Row] {
        let statement = try statement(sql)
        try statement.bind(bindings)
        var rows: [Row] = []
        while try statement.step() { rows.append(statement.row()) }
        try statement.reset()
        return rows
    }

    func run(_ sql: String, _ bindings: [SQLValue] = []) throws {
        let statement = try statement(sql)
        try statement.bind(bindings)
        while try statement.step() {}
        try statement.reset()
    }
}

/// Read connections handed out one per thread (WAL readers do not block the writer).
final class ConnectionPool: Sendable {
    private let idle = Mutex<[ConnectionBox]>([])
    let path: String
    init(path: String) { self.path = path }

    func with<T>(_ body: (ConnectionBox) throws -> T) throws -> T {
        let box: ConnectionBox
        if let reused = idle.withLock({ $0.popLast() }) {
            box = reused
        } else {
            box = ConnectionBox(try Connection(path: path, readOnly: true))
        }
        defer { idle.withLock { $0.append(box) } }
        return try body(box)
    }
}

/// The SQLite implementation of ``CoordinatorStore``: one file in WAL mode, one writer connection
/// with `synchronous=FULL` (a returned COMMIT survives power loss), a pool of read connections.
///
/// Why SQLite by default: a coordinator for one province is one process and one file that an
/// operator can back up with `sqlite3 .backup`; ``CoordinatorStore`` leaves room for PostgreSQL.
/// Schema: `schema` below; every table has `tenant_id`, every query binds it from the scope.
public final class SQLiteCoordinatorStore: CoordinatorStore {
    public let path: String
    private let writer: Mutex<Void> = Mutex(())
    private let writerBox: ConnectionBox
    private let readers: ConnectionPool
    /// Parsed public keys by their raw bytes (immutable facts; status is always read from the store).
    private let publicKeys = Mutex<[[UInt8]: Ed25519.PublicKey]>([:])

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
    ])

    /// Opens (creating and migrating if needed) the store at `path`.
    public init(path: String) throws {
        self.path = path
        let connection: Connection
        do {
            connection = try Connection(path: path, durability: .full, busyTimeout: .seconds(10))
            try SQLiteCoordinatorStore.migrations.migrate(connection)
        } catch {
            throw CoordinatorError.storage(error, "opening \(path)")
        }
        writerBox = ConnectionBox(connection)
        readers = ConnectionPool(path: path)
    }

    /// Closes the writer connection (readers close when the store is released).
    public func close() {
        writer.withLock { _ in writerBox.connection.close() }
    }

    private func write<T>(_ what: String, _ body: (ConnectionBox) throws -> T) throws -> T {
        do {
            return try writer.withLock { _ in try body(writerBox) }
        } catch {
            throw CoordinatorError.storage(error, what)
        }
    }

    private func read<T>(_ what: String, _ body: (ConnectionBox) throws -> T) throws -> T {
        do {
            return try readers.with(body)
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
        guard Identifier.isValid(tenant.id) else {
            throw CoordinatorError(.invalidArgument, "'\(tenant.id)' is not a valid tenant id; use [a-z0-9][a-z0-9._-]{0,63}.")
        }
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
            throw CoordinatorError(.alreadyExists, "Tenant \(tenant.id) exists already; change it with `tenant policy`.")
        } catch {
            throw CoordinatorError.storage(error, "adding tenant \(tenant.id)")
        }
    }

    public func tenant(_ scope: TenantScope) throws -> Tenant? {
        try read("reading tenant \(scope.tenantID)") { box in
            guard let row = try box.rows("""
                SELECT name, peer_naming, min_store_entries, min_spending_buyers, max_age_days FROM tenants WHERE tenant_id = ?
                """, [.text(scope.tenantID)]).first else { return nil }
            return Tenant(id: scope.tenantID, name: try row.string(0),
                          peerNaming: PeerNaming(rawValue: try row.string(1)) ?? .anonymised,
                          privacy: PrivacyPolicy(minimumStoreEntries: try row.int(2), minimumSpendingBuyers: try row.int(3)),
                          maximumAgeDays: try row.int(4))
        }
    }

    public func updateTenant(_ tenant: Tenant, _ scope: TenantScope) throws {
        try write("updating tenant \(scope.tenantID)") { box in
            try box.run("""
                UPDATE tenants SET name = ?, peer_naming = ?, min_store_entries = ?, min_spending_buyers = ?, max_age_days = ?
                WHERE tenant_id = ?
                """, [.text(tenant.name), .text(tenant.peerNaming.rawValue), .int(tenant.privacy.minimumStoreEntries),
                      .int(tenant.privacy.minimumSpendingBuyers), .int(tenant.maximumAgeDays), .text(scope.tenantID)])
            guard box.connection.changes == 1 else {
                throw CoordinatorError(.notFound, "Tenant \(scope.tenantID) does not exist; add it with `tenant add`.")
            }
        }
    }

    public func addTown(_ town: Town, _ scope: TenantScope) throws {
        guard Identifier.isValid(town.id) else {
            throw CoordinatorError(.invalidArgument, "'\(town.id)' is not a valid town id; use [a-z0-9][a-z0-9._-]{0,63}.")
        }
        try write("adding town \(town.id)") { box in
            try box.run("INSERT INTO towns (tenant_id, town_id, name, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                        [.text(scope.tenantID), .text(town.id), .text(town.name), .text(Timestamp.format(Date()))])
        }
    }

    public func towns(_ scope: TenantScope) throws -> [Town] {
        try read("listing towns") { box in
            try box.rows("SELECT town_id, name FROM towns WHERE tenant_id = ? ORDER BY town_id", [.text(scope.tenantID)])
                .map { Town(id: try $0.string(0), name: try $0.string(1)) }
        }
    }

    // MARK: Keys

    private static let keyColumns = "key_id, town_id, public_key, enrolled_at, status, status_at, successor"

    private func keyRecord(_ row: Row, tenantID: String) throws -> KeyRecord {
        let raw = try row.bytes(2)
        let key: Ed25519.PublicKey
        if let cached = publicKeys.withLock({ $0[raw] }) {
            key = cached
        } else {
            key = try Ed25519.PublicKey(rawRepresentation: raw)
            publicKeys.withLock { $0[raw] = key }
        }
        let status = StoredKeyStatus(state: try row.string(4), at: try row.optionalString(5), successor: try row.optionalString(6)).status
        return KeyRecord(keyID: try row.string(0), publicKey: key, tenantID: tenantID, townID: try row.string(1),
                         enrolledAt: Timestamp.parse(try row.string(3)) ?? .distantPast, status: status)
    }

    private static func statusColumns(_ status: KeyRecord.Status) -> [SQLValue] {
        let stored = StoredKeyStatus(status)
        return [.text(stored.state), stored.at.map { .text($0) } ?? .null, stored.successor.map { .text($0) } ?? .null]
    }

    public func enrol(_ record: KeyRecord, _ scope: TenantScope) throws {
        guard record.tenantID == scope.tenantID else {
            throw CoordinatorError(.invalidArgument, "The key is for tenant \(record.tenantID), not \(scope.tenantID).")
        }
        do {
            try writer.withLock { _ in
                try writerBox.run("""
                    INSERT INTO keys (tenant_id, key_id, town_id, public_key, enrolled_at, status, status_at, successor)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, [.text(scope.tenantID), .text(record.keyID), .text(record.townID), .blob(record.publicKey.rawRepresentation),
                          .text(Timestamp.format(record.enrolledAt))] + Self.statusColumns(record.status))
            }
        } catch where Self.isConstraint(error) {
            throw CoordinatorError(.alreadyExists, "Key \(record.keyID) is already enrolled in tenant \(scope.tenantID), or town \(record.townID) is not in it. A town enrols a new key with a new request.")
        } catch {
            throw CoordinatorError.storage(error, "enrolling key \(record.keyID)")
        }
    }

    public func keyRecord(id keyID: String, _ scope: TenantScope) throws -> KeyRecord? {
        try read("reading key \(keyID)") { box in
            try box.rows("SELECT \(Self.keyColumns) FROM keys WHERE tenant_id = ? AND key_id = ?",
                         [.text(scope.tenantID), .text(keyID)]).first.map { try keyRecord($0, tenantID: scope.tenantID) }
        }
    }

    public func updateKey(_ record: KeyRecord, _ scope: TenantScope) throws {
        try write("updating key \(record.keyID)") { box in
            try box.run("UPDATE keys SET status = ?, status_at = ?, successor = ? WHERE tenant_id = ? AND key_id = ?",
                        Self.statusColumns(record.status) + [.text(scope.tenantID), .text(record.keyID)])
            guard box.connection.changes == 1 else {
                throw CoordinatorError(.notFound, "No key \(record.keyID) in tenant \(scope.tenantID).")
            }
        }
    }

    public func rotate(_ old: KeyRecord, to new: KeyRecord, _ scope: TenantScope) throws {
        do {
            try writer.withLock { _ in
                try writerBox.connection.transaction {
                    try writerBox.run("UPDATE keys SET status = ?, status_at = ?, successor = ? WHERE tenant_id = ? AND key_id = ? AND status = 'active'",
                                      Self.statusColumns(old.status) + [.text(scope.tenantID), .text(old.keyID)])
                    guard writerBox.connection.changes == 1 else {
                        throw CoordinatorError(refusal: Refusal(.retiredKey, "key \(old.keyID) was already rotated or revoked"))
                    }
                    try writerBox.run("""
                        INSERT INTO keys (tenant_id, key_id, town_id, public_key, enrolled_at, status, status_at, successor)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """, [.text(scope.tenantID), .text(new.keyID), .text(new.townID), .blob(new.publicKey.rawRepresentation),
                              .text(Timestamp.format(new.enrolledAt))] + Self.statusColumns(new.status))
                }
            }
        } catch let error as CoordinatorError {
            throw error
        } catch where Self.isConstraint(error) {
            throw CoordinatorError(.alreadyExists, "Key \(new.keyID) is already enrolled in tenant \(scope.tenantID). Rotate to a new key.")
        } catch {
            throw CoordinatorError.storage(error, "rotating key \(old.keyID)")
        }
    }

    public func keys(town townID: String, _ scope: TenantScope) throws -> [KeyRecord] {
        try read("listing keys") { box in
            try box.rows("SELECT \(Self.keyColumns) FROM keys WHERE tenant_id = ? AND town_id = ? ORDER BY enrolled_at",
                         [.text(scope.tenantID), .text(townID)]).map { try keyRecord($0, tenantID: scope.tenantID) }
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
            guard let row = try box.rows("""
                SELECT token_hash, token_id, role, tenant_id, town_id, created_at, expires_at, revoked_at FROM tokens WHERE token_hash = ?
                """, [.blob(hash)]).first, let role = Role(rawValue: try row.string(2)) else { return nil }
            return TokenRecord(id: try row.string(1), hash: try row.bytes(0), role: role, tenantID: try row.string(3),
                               townID: try row.optionalString(4), createdAt: Timestamp.parse(try row.string(5)) ?? .distantPast,
                               expiresAt: Timestamp.parse(try row.string(6)) ?? .distantPast,
                               revokedAt: try row.optionalString(7).flatMap(Timestamp.parse))
        }
    }

    public func revokeToken(id: String, at: Date) throws {
        try write("revoking token \(id)") { box in
            try box.run("UPDATE tokens SET revoked_at = coalesce(revoked_at, ?) WHERE token_id = ?",
                        [.text(Timestamp.format(at)), .text(id)])
            guard box.connection.changes == 1 else {
                throw CoordinatorError(.notFound, "No token with id \(id). `token issue` printed the id beside the token.")
            }
        }
    }

    // MARK: Submissions

    private static let existingSQL = """
        SELECT payload_digest, envelope_digest, accepted_at FROM submissions WHERE tenant_id = ? AND town_id = ? AND submission_id = ?
        """
    private static let lastSequenceSQL = "SELECT max(sequence) FROM submissions WHERE tenant_id = ? AND town_id = ?"

    public func submissionState(town townID: String, submissionID: String, _ scope: TenantScope) throws -> TownSubmissionState {
        try read("reading the submission state") { box in
            // One statement for both questions (the hot path: every submission asks them).
            guard let row = try box.rows("""
                SELECT (SELECT max(sequence) FROM submissions WHERE tenant_id = ?1 AND town_id = ?2),
                       (SELECT payload_digest FROM submissions WHERE tenant_id = ?1 AND town_id = ?2 AND submission_id = ?3)
                """, [.text(scope.tenantID), .text(townID), .text(submissionID)]).first else { return TownSubmissionState() }
            let digest = try row.bytes(1)
            return TownSubmissionState(lastSequence: try row.optionalInt64(0).map(Int.init), existingPayloadDigest: digest.isEmpty ? nil : digest)
        }
    }

    static func receipt(submissionID: String, envelopeDigest: [UInt8], acceptedAt: String) -> Receipt {
        Receipt(submissionId: submissionID, digest: "sha256:" + Hex.encode(envelopeDigest), acceptedAt: acceptedAt)
    }

    public func commit(_ batch: [VerifiedSubmission], at now: Date) throws -> [CommitOutcome] {
        let acceptedAt = Timestamp.format(now)
        return try write("storing \(batch.count) submissions") { box in
            try box.connection.transaction {
                var outcomes: [CommitOutcome] = []
                outcomes.reserveCapacity(batch.count)
                for item in batch {
                    outcomes.append(try store(item, acceptedAt: acceptedAt, box: box))
                }
                return outcomes
            }
        }
    }

    private func store(_ item: VerifiedSubmission, acceptedAt: String, box: ConnectionBox) throws -> CommitOutcome {
        let payload = item.accepted.payload
        let tenant = item.scope.tenantID
        let town = payload.townId
        // Re-check inside the transaction: the worker's check read an older snapshot.
        if let row = try box.rows(Self.existingSQL, [.text(tenant), .text(town), .text(payload.submissionId)]).first {
            let receipt = Self.receipt(submissionID: payload.submissionId, envelopeDigest: try row.bytes(1),
                                       acceptedAt: try row.string(2))
            if SecureRandom.constantTimeEqual(try row.bytes(0), item.accepted.payloadDigest) { return .duplicate(receipt) }
            return .refused(Refusal(.replayDifferentBytes, "submission \(payload.submissionId) was accepted before with other bytes"))
        }
        if let last = try box.rows(Self.lastSequenceSQL, [.text(tenant), .text(town)]).first.flatMap({ try $0.optionalInt64(0) }),
           payload.sequence <= Int(last) {
            return .refused(Refusal(.sequenceNotIncreasing, "sequence \(payload.sequence) is not greater than the last accepted \(last)"))
        }
        try box.run("""
            INSERT INTO submissions (tenant_id, town_id, submission_id, sequence, key_id, created_at, accepted_at,
                period_from, period_to, payload_digest, envelope_digest, envelope)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [.text(tenant), .text(town), .text(payload.submissionId), .int(payload.sequence), .text(item.accepted.keyID),
                  .text(payload.createdAt), .text(acceptedAt), .text(payload.period.from), .text(payload.period.to),
                  .blob(item.accepted.payloadDigest), .blob(item.accepted.envelopeDigest), .blob(item.body)])
        let row = box.connection.lastInsertRowID
        // Issue 9: append the transparency-log leaf for `row` here, in this transaction.
        try extract(payload, row: row, tenant: tenant, box: box)
        return .stored(Self.receipt(submissionID: payload.submissionId, envelopeDigest: item.accepted.envelopeDigest,
                                    acceptedAt: acceptedAt))
    }

    private func extract(_ payload: AggregatePayload, row: Int64, tenant: String, box: ConnectionBox) throws {
        let town = payload.townId
        let cell = try box.statement("""
            INSERT INTO current_cells (tenant_id, town_id, zone_id, day, measure, submission_row) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT DO UPDATE SET submission_row = excluded.submission_row WHERE excluded.submission_row > current_cells.submission_row
            """)
        func markCurrent(zone: String, day: Int, measure: String) throws {
            try cell.bind([.text(tenant), .text(town), .text(zone), .int(day), .text(measure), .integer(row)])
            while try cell.step() {}
            try cell.reset()
        }
        for zone in payload.zones {
            for day in zone.days {
                guard let dayNumber = try? DayNumber(iso: day.date).rawValue else { continue }  // validated by the check
                let events = day.flags.events.isEmpty
                    ? "[]" : String(decoding: (try? CanonicalJSON.encode(day.flags.events)) ?? Array("[]".utf8), as: UTF8.self)
                try box.run("""
                    INSERT INTO zone_days (submission_row, tenant_id, town_id, zone_id, zone_kind, day, public_holiday, school_holiday, events)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, [.integer(row), .text(tenant), .text(town), .text(zone.zoneId), .text(zone.zoneKind), .int(dayNumber),
                          .int(day.flags.publicHoliday ? 1 : 0), .int(day.flags.schoolHoliday ? 1 : 0), .text(events)])
                try markCurrent(zone: zone.zoneId, day: dayNumber, measure: "")
                for measure in day.measures {
                    for sensor in measure.sensors {
                        try box.run("""
                            INSERT OR IGNORE INTO sensor_days (submission_row, tenant_id, town_id, zone_id, day, measure, sensor, vendor_kind,
                                total, covered, expected, uptime, valid_hours)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                            """, [.integer(row), .text(tenant), .text(town), .text(zone.zoneId), .int(dayNumber), .text(measure.measure),
                                  .text(sensor.sensor), .text(sensor.vendorKind), sensor.suppressed ? .null : .optional(sensor.total),
                                  .int(sensor.coveredMinutes), .int(sensor.expectedMinutes), .int(sensor.uptimeMinutes),
                                  .int(sensor.validHours)])
                    }
                    try markCurrent(zone: zone.zoneId, day: dayNumber, measure: measure.measure)
                }
                for pair in day.conversions {
                    try box.run("""
                        INSERT OR IGNORE INTO conversion_days (submission_row, tenant_id, town_id, zone_id, day, door, street, entries, passers_by)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, [.integer(row), .text(tenant), .text(town), .text(zone.zoneId), .int(dayNumber), .text(pair.door),
                              .text(pair.street), pair.suppressed ? .null : .optional(pair.entries),
                              pair.suppressed ? .null : .optional(pair.passersBy)])
                }
            }
        }
    }

    public func receipt(town townID: String, submissionID: String, _ scope: TenantScope) throws -> Receipt? {
        try read("reading a receipt") { box in
            try box.rows(Self.existingSQL, [.text(scope.tenantID), .text(townID), .text(submissionID)]).first.map {
                Self.receipt(submissionID: submissionID, envelopeDigest: try $0.bytes(1), acceptedAt: try $0.string(2))
            }
        }
    }

    public func submissions(town townID: String, _ scope: TenantScope) throws -> [SubmissionSummary] {
        try read("listing submissions") { box in
            try box.rows("""
                SELECT submission_id, sequence, key_id, period_from, period_to, envelope_digest, accepted_at
                FROM submissions WHERE tenant_id = ? AND town_id = ? ORDER BY sequence
                """, [.text(scope.tenantID), .text(townID)]).map { row in
                SubmissionSummary(townId: townID, sequence: try row.int(1), keyId: try row.string(2),
                                  periodFrom: try row.string(3), periodTo: try row.string(4),
                                  receipt: Self.receipt(submissionID: try row.string(0), envelopeDigest: try row.bytes(5),
                                                        acceptedAt: try row.string(6)))
            }
        }
    }

    public func envelope(town townID: String, submissionID: String, _ scope: TenantScope) throws -> [UInt8]? {
        try read("reading an envelope") { box in
            try box.rows("SELECT envelope FROM submissions WHERE tenant_id = ? AND town_id = ? AND submission_id = ?",
                         [.text(scope.tenantID), .text(townID), .text(submissionID)]).first.map { try $0.bytes(0) }
        }
    }

    public func submissionCount(_ scope: TenantScope) throws -> Int {
        try read("counting submissions") { box in
            try box.rows("SELECT count(*) FROM submissions WHERE tenant_id = ?", [.text(scope.tenantID)]).first?.int(0) ?? 0
        }
    }

    // MARK: Aggregates

    public func sensorDays(measure: String, days: ClosedRange<Int>, _ scope: TenantScope) throws -> [SensorDayRow] {
        try read("reading sensor days") { box in
            try box.rows("""
                SELECT s.town_id, s.zone_id, z.zone_kind, s.day, s.sensor, s.vendor_kind, s.total, s.covered, s.expected, s.uptime, s.valid_hours
                FROM current_cells c
                JOIN sensor_days s ON s.submission_row = c.submission_row AND s.zone_id = c.zone_id AND s.day = c.day AND s.measure = c.measure
                JOIN zone_days z ON z.submission_row = c.submission_row AND z.zone_id = c.zone_id AND z.day = c.day
                WHERE c.tenant_id = ? AND c.measure = ? AND c.day BETWEEN ? AND ?
                ORDER BY s.town_id, s.zone_id, s.sensor, s.day
                """, [.text(scope.tenantID), .text(measure), .int(days.lowerBound), .int(days.upperBound)]).map { row in
                SensorDayRow(townID: try row.string(0), zoneID: try row.string(1), zoneKind: try row.string(2), day: try row.int(3),
                             measure: measure, sensor: try row.string(4), vendorKind: try row.string(5),
                             total: try row.optionalDouble(6), coveredMinutes: try row.int(7), expectedMinutes: try row.int(8),
                             uptimeMinutes: try row.int(9), validHours: try row.int(10))
            }
        }
    }

    public func zoneDays(days: ClosedRange<Int>, _ scope: TenantScope) throws -> [ZoneDayRow] {
        try read("reading zone days") { box in
            try box.rows("""
                SELECT z.town_id, z.zone_id, z.zone_kind, z.day, z.public_holiday, z.school_holiday, z.events
                FROM current_cells c JOIN zone_days z ON z.submission_row = c.submission_row AND z.zone_id = c.zone_id AND z.day = c.day
                WHERE c.tenant_id = ? AND c.measure = '' AND c.day BETWEEN ? AND ?
                ORDER BY z.town_id, z.zone_id, z.day
                """, [.text(scope.tenantID), .int(days.lowerBound), .int(days.upperBound)]).map { row in
                let events = (try? JSONDecoder().decode([AggregatePayload.Event].self, from: Data(try row.string(6).utf8))) ?? []
                return ZoneDayRow(townID: try row.string(0), zoneID: try row.string(1), zoneKind: try row.string(2), day: try row.int(3),
                                  publicHoliday: try row.int(4) != 0, schoolHoliday: try row.int(5) != 0, events: events)
            }
        }
    }

    public func conversionDays(days: ClosedRange<Int>, _ scope: TenantScope) throws -> [ConversionDayRow] {
        try read("reading conversion days") { box in
            try box.rows("""
                SELECT v.town_id, v.zone_id, z.zone_kind, v.day, v.door, v.street, v.entries, v.passers_by
                FROM current_cells c
                JOIN conversion_days v ON v.submission_row = c.submission_row AND v.zone_id = c.zone_id AND v.day = c.day
                JOIN zone_days z ON z.submission_row = c.submission_row AND z.zone_id = c.zone_id AND z.day = c.day
                WHERE c.tenant_id = ? AND c.measure = '' AND c.day BETWEEN ? AND ?
                ORDER BY v.town_id, v.zone_id, v.door, v.day
                """, [.text(scope.tenantID), .int(days.lowerBound), .int(days.upperBound)]).map { row in
                ConversionDayRow(townID: try row.string(0), zoneID: try row.string(1), zoneKind: try row.string(2), day: try row.int(3),
                                 door: try row.string(4), street: try row.string(5), entries: try row.optionalDouble(6),
                                 passersBy: try row.optionalDouble(7))
            }
        }
    }
}
