/// Numbered schema migrations, applied in order, each in its own transaction.
///
/// The applied numbers are kept in `schema_migrations`. A database that holds a number this build
/// does not know was migrated by a newer TownBench: opening it is refused rather than guessed at.
public struct Migrator: Sendable {
    /// One step of the schema: a number (never reused, never renumbered) and its SQL.
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

    public init(_ migrations: [Migration]) {
        precondition(migrations.map(\.number) == migrations.map(\.number).sorted()
                     && Set(migrations.map(\.number)).count == migrations.count,
                     "migrations must have increasing, unique numbers")
        self.migrations = migrations
    }

    /// Applies every migration not yet applied. Returns the numbers it applied.
    @discardableResult
    public func migrate(_ connection: Connection) throws -> [Int] {
        try connection.execute("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)
            """)
        let applied = Set(try connection.query("SELECT number FROM schema_migrations").map { try $0.int(0) })
        let known = Set(migrations.map(\.number))
        if let unknown = applied.subtracting(known).max() {
            throw StorageError(code: .schemaTooNew,
                               message: "the database has schema migration \(unknown), which this build does not know: it was written by a newer TownBench. Upgrade TownBench",
                               path: connection.path)
        }
        var done: [Int] = []
        for migration in migrations where !applied.contains(migration.number) {
            try connection.transaction {
                try connection.execute(migration.sql)
                try connection.run("INSERT INTO schema_migrations (number, name, applied_at) VALUES (?, ?, datetime('now'))",
                                   [.int(migration.number), .text(migration.name)])
            }
            done.append(migration.number)
        }
        return done
    }
}
