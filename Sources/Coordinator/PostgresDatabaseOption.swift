/// Chooses the coordinator's store from a `--database` value (or a config key): a PostgreSQL URL
/// selects ``PostgresCoordinatorStore``, anything else (or nothing) the directory's SQLite file.
///
/// Why here: the CLI's `serve` and admin commands, the benchmarks and the tests all open a store
/// from the same kind of value; one function keeps them choosing the same way.
public enum CoordinatorDatabase {
    /// Whether `value` is a PostgreSQL URL (`postgres://…` or `postgresql://…`).
    public static func isPostgres(_ value: String) -> Bool {
        value.hasPrefix("postgres://") || value.hasPrefix("postgresql://")
    }

    /// The store named by `database`: a PostgreSQL URL, or nil for `directory`'s SQLite file.
    /// A PostgreSQL store is migrated on open; the role must not be a superuser or `BYPASSRLS`.
    public static func open(_ database: String?, directory: CoordinatorDirectory, schema: String? = nil)
        throws -> any CoordinatorStore
    {
        guard let database else { return try directory.openStore() }
        guard isPostgres(database) else {
            throw CoordinatorError(.invalidArgument, "The database must be a postgres:// or postgresql:// URL (or none, for the directory's SQLite file).")
        }
        return try PostgresCoordinatorStore(url: database, schema: schema)
    }
}
