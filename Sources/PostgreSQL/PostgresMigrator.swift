/// Numbered schema migrations for PostgreSQL, applied in order, each in its own transaction.
///
/// Why: an operator upgrades TownBench and restarts; the schema must follow by itself, exactly
/// once, even when several coordinator processes start at the same moment on one database. So the
/// whole run holds a session-level advisory lock (`pg_advisory_lock`), the applied numbers are
/// kept in `schema_migrations` (in the connection's `search_path`), and a database holding a number
/// this build does not know was migrated by a newer TownBench: it is refused, not guessed at.
/// https://www.postgresql.org/docs/15/explicit-locking.html#ADVISORY-LOCKS
public struct PostgresMigrator: Sendable {
    /// One step of the schema: a number (never reused, never renumbered), a name and its SQL
    /// (several statements allowed; no parameters).
    public struct Migration: Sendable {
        public let number: Int
        public let name: String
        public let sql: String
        public init(_ number: Int, _ name: String, _ sql: String) {
            self.number = number
            self.name = name
            self.sql = sql
        }
    }

    public let migrations: [Migration]
    /// The advisory lock key that serialises migrations on one database.
    public let lockKey: Int64

    public init(_ migrations: [Migration], lockKey: Int64 = 0x746F_776E_6265_6E63) {
        precondition(migrations.map(\.number) == migrations.map(\.number).sorted()
                     && Set(migrations.map(\.number)).count == migrations.count,
                     "migrations must have increasing, unique numbers")
        self.migrations = migrations
        self.lockKey = lockKey
    }

    /// Applies every migration not yet applied. Returns the numbers it applied (empty when none).
    @discardableResult
    public func migrate(_ connection: PostgresConnection) throws -> [Int] {
        try connection.query("SELECT pg_advisory_lock($1)", [.integer(lockKey)])
        defer { _ = try? connection.query("SELECT pg_advisory_unlock($1)", [.integer(lockKey)]) }
        try connection.execute("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                number BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
            """)
        let rows = try connection.query("SELECT number FROM schema_migrations")
        let applied = Set(try rows.map { try $0.int(0) })
        let known = Set(migrations.map(\.number))
        if let unknown = applied.subtracting(known).max() {
            throw PostgresError(code: .schemaTooNew,
                                message: "the database has schema migration \(unknown), which this build does not know: it was written by a newer TownBench",
                                target: connection.target)
        }
        var done: [Int] = []
        for migration in migrations where !applied.contains(migration.number) {
            try connection.transaction {
                try connection.execute(migration.sql)
                try connection.run("INSERT INTO schema_migrations (number, name) VALUES ($1, $2)",
                                   [.int(migration.number), .text(migration.name)])
            }
            done.append(migration.number)
        }
        return done
    }
}
