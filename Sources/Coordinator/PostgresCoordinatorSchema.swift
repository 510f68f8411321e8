import PostgreSQL

/// The coordinator's PostgreSQL schema: numbered migrations, the tables (1) and row-level
/// security (2).
///
/// Why a second net under the data-access layer: every query of ``PostgresCoordinatorStore`` binds
/// the tenant from its ``TenantScope``, but one forgotten `WHERE tenant_id = $1` would show a
/// town another network's figures. Migration 2 makes the server refuse that too: each table has
/// `ENABLE` and `FORCE ROW LEVEL SECURITY` (FORCE subjects the tables' owner, which is the role
/// the coordinator connects as) and a policy that admits only rows whose `tenant_id` equals the
/// transaction's `townbench.tenant` setting, which the store sets with `set_config(…, true)`
/// (transaction-local) at the start of every transaction. Without the setting no row is visible
/// and none can be written. Tokens are also reachable by their hash (authentication: the token
/// *defines* the tenant) and by their id (revocation by the operator), each only when the
/// transaction names that exact hash or id. Superusers and `BYPASSRLS` roles ignore all of this,
/// so the store refuses to run as one.
/// https://www.postgresql.org/docs/15/ddl-rowsecurity.html
///
/// Migration 3 adds each tenant's transparency log (issue 9, PROTOCOL.md §8): the same tenant
/// policy on its four tables, and append-only guards (triggers, which bind the tables' owner
/// too, unlike `REVOKE`) mirroring the SQLite store's. Migration 4 drops the index on leaf hashes
/// (see ``LogNodeStorage`` for what the log's rows cost the submission path).
enum PostgresCoordinatorSchema {
    /// The tables of migrations 1 and 2. Migration 2's SQL is generated from this list, so it
    /// must never change: new tables go in a list of their own (``logTables``).
    static let tenantTables = ["tenants", "towns", "keys", "tokens", "submissions", "sensor_days", "zone_days",
                               "conversion_days", "current_cells"]
    /// The transparency log's tables (migration 3).
    static let logTables = ["log_nodes", "log_heads", "checkpoints", "published_reports"]
    /// The report pages' sessions (migration 5).
    static let sessionTables = ["sessions"]
    /// Every table that holds a tenant's rows, each under row-level security.
    static var allTenantTables: [String] { tenantTables + logTables + sessionTables + peerGroupTables + PostgresZoneHours.tables
        + PostgresZoneLots.tables + PostgresSeries.tables }

    /// The session setting under which opening a store may see, across tenants, only the
    /// submissions that are not in a log yet (see migration 3 and `logUnloggedSubmissions`).
    static let backfillSetting = "townbench.log_backfill"

    /// ENABLE and FORCE row-level security on `table` with the tenant policy of migration 2.
    private static func tenantPolicy(_ table: String) -> String {
        """
        ALTER TABLE \(table) ENABLE ROW LEVEL SECURITY;
        ALTER TABLE \(table) FORCE ROW LEVEL SECURITY;
        CREATE POLICY tenant_isolation ON \(table)
            USING (tenant_id = current_setting('townbench.tenant', true))
            WITH CHECK (tenant_id = current_setting('townbench.tenant', true));
        """
    }

    static let migrator = PostgresMigrator([
        .init(1, "coordinator schema v1", """
            CREATE TABLE tenants (
                tenant_id TEXT PRIMARY KEY, name TEXT NOT NULL, peer_naming TEXT NOT NULL,
                min_store_entries BIGINT NOT NULL, min_spending_buyers BIGINT NOT NULL,
                max_age_days BIGINT NOT NULL, created_at TEXT NOT NULL);
            CREATE TABLE towns (
                tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id), town_id TEXT NOT NULL, name TEXT NOT NULL,
                created_at TEXT NOT NULL, PRIMARY KEY (tenant_id, town_id));
            CREATE TABLE keys (
                tenant_id TEXT NOT NULL, key_id TEXT NOT NULL, town_id TEXT NOT NULL, public_key BYTEA NOT NULL,
                enrolled_at TEXT NOT NULL, status TEXT NOT NULL, status_at TEXT, successor TEXT,
                PRIMARY KEY (tenant_id, key_id), FOREIGN KEY (tenant_id, town_id) REFERENCES towns);
            CREATE TABLE tokens (
                token_hash BYTEA PRIMARY KEY, token_id TEXT NOT NULL UNIQUE, role TEXT NOT NULL,
                tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id), town_id TEXT,
                created_at TEXT NOT NULL, expires_at TEXT NOT NULL, revoked_at TEXT);
            -- Append-only. row_id is the acceptance order (the transparency-log leaf index, issue 9).
            -- The two UNIQUE keys are the last word when two coordinator processes race.
            CREATE TABLE submissions (
                row_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, tenant_id TEXT NOT NULL, town_id TEXT NOT NULL,
                submission_id TEXT NOT NULL, sequence BIGINT NOT NULL, key_id TEXT NOT NULL,
                created_at TEXT NOT NULL, accepted_at TEXT NOT NULL, period_from TEXT NOT NULL, period_to TEXT NOT NULL,
                payload_digest BYTEA NOT NULL, envelope_digest BYTEA NOT NULL, envelope BYTEA NOT NULL,
                UNIQUE (tenant_id, town_id, submission_id), UNIQUE (tenant_id, town_id, sequence));
            -- Extracted aggregates, append-only, keyed by the submission row they came from.
            CREATE TABLE sensor_days (
                submission_row BIGINT NOT NULL REFERENCES submissions (row_id), tenant_id TEXT NOT NULL,
                town_id TEXT NOT NULL, zone_id TEXT NOT NULL, day INTEGER NOT NULL, measure TEXT NOT NULL,
                sensor TEXT NOT NULL, vendor_kind TEXT NOT NULL, total DOUBLE PRECISION, covered INTEGER NOT NULL,
                expected INTEGER NOT NULL, uptime INTEGER NOT NULL, valid_hours INTEGER NOT NULL,
                PRIMARY KEY (submission_row, zone_id, day, measure, sensor));
            CREATE TABLE zone_days (
                submission_row BIGINT NOT NULL REFERENCES submissions (row_id), tenant_id TEXT NOT NULL,
                town_id TEXT NOT NULL, zone_id TEXT NOT NULL, zone_kind TEXT NOT NULL, day INTEGER NOT NULL,
                public_holiday BOOLEAN NOT NULL, school_holiday BOOLEAN NOT NULL, events TEXT NOT NULL,
                PRIMARY KEY (submission_row, zone_id, day));
            CREATE TABLE conversion_days (
                submission_row BIGINT NOT NULL REFERENCES submissions (row_id), tenant_id TEXT NOT NULL,
                town_id TEXT NOT NULL, zone_id TEXT NOT NULL, day INTEGER NOT NULL, door TEXT NOT NULL,
                street TEXT NOT NULL, entries DOUBLE PRECISION, passers_by DOUBLE PRECISION,
                PRIMARY KEY (submission_row, zone_id, day, door, street));
            -- Supersession: for each (tenant, town, zone, day, measure) cell the submission that is
            -- current (highest sequence). measure '' is the zone-day record (flags, conversions).
            CREATE TABLE current_cells (
                tenant_id TEXT NOT NULL, town_id TEXT NOT NULL, zone_id TEXT NOT NULL, day INTEGER NOT NULL,
                measure TEXT NOT NULL, submission_row BIGINT NOT NULL,
                PRIMARY KEY (tenant_id, measure, day, town_id, zone_id));
            """),
        .init(2, "row-level security by tenant", tenantTables.map { table in
            """
            ALTER TABLE \(table) ENABLE ROW LEVEL SECURITY;
            ALTER TABLE \(table) FORCE ROW LEVEL SECURITY;
            CREATE POLICY tenant_isolation ON \(table)
                USING (tenant_id = current_setting('townbench.tenant', true))
                WITH CHECK (tenant_id = current_setting('townbench.tenant', true));
            """
        }.joined(separator: "\n") + """

            -- Authentication: a token row is readable by whoever presents its hash.
            CREATE POLICY token_by_hash ON tokens FOR SELECT
                USING (token_hash = decode(nullif(current_setting('townbench.token_hash', true), ''), 'hex'));
            -- Revocation by the operator: readable and updatable by its id, without moving it to another tenant.
            CREATE POLICY token_by_id_read ON tokens FOR SELECT
                USING (token_id = current_setting('townbench.token_id', true));
            CREATE POLICY token_by_id_revoke ON tokens FOR UPDATE
                USING (token_id = current_setting('townbench.token_id', true))
                WITH CHECK (token_id = current_setting('townbench.token_id', true));
            """),
        .init(3, "transparency log", """
            -- Issue 9: each tenant's append-only Merkle log (PROTOCOL.md §8). A submission's leaf index is
            -- its position in its tenant's log (leaves are the exact envelope bytes); row_id stays the
            -- acceptance order within a town, leaf_index is the order of the tenant's log.
            ALTER TABLE submissions ADD COLUMN leaf_index BIGINT CHECK (leaf_index >= 0);
            ALTER TABLE submissions ADD CONSTRAINT submissions_leaf_index UNIQUE (tenant_id, leaf_index);
            -- Submissions stored before this migration (or by an older coordinator still running):
            -- found through this small index when a store opens, and appended to their logs then.
            CREATE INDEX submissions_unlogged ON submissions (tenant_id, row_id) WHERE leaf_index IS NULL;
            -- Every complete subtree hash: (level 0, i) is leaf i; a proof reads O(log n) of these.
            CREATE TABLE log_nodes (
                tenant_id TEXT NOT NULL, level INTEGER NOT NULL CHECK (level BETWEEN 0 AND 63),
                idx BIGINT NOT NULL CHECK (idx >= 0), hash BYTEA NOT NULL CHECK (octet_length(hash) = 32),
                PRIMARY KEY (tenant_id, level, idx));
            CREATE INDEX log_leaves_by_hash ON log_nodes (tenant_id, hash) WHERE level = 0;
            -- The right edge (MerkleFrontier) of each tenant's tree: an append reads and locks one row,
            -- which serialises the appends of every coordinator process sharing the database.
            CREATE TABLE log_heads (
                tenant_id TEXT PRIMARY KEY, size BIGINT NOT NULL CHECK (size >= 0), frontier BYTEA NOT NULL);
            CREATE TABLE checkpoints (
                tenant_id TEXT NOT NULL, tree_size BIGINT NOT NULL CHECK (tree_size >= 0), root_hash BYTEA NOT NULL,
                origin TEXT NOT NULL, note TEXT NOT NULL, verifier_key TEXT NOT NULL, signed_at TEXT NOT NULL,
                PRIMARY KEY (tenant_id, tree_size));
            CREATE TABLE published_reports (
                tenant_id TEXT NOT NULL, tree_size BIGINT NOT NULL, period_from TEXT NOT NULL, period_to TEXT NOT NULL,
                lag BIGINT NOT NULL, audience TEXT NOT NULL, envelope BYTEA NOT NULL, published_at TEXT NOT NULL,
                PRIMARY KEY (tenant_id, tree_size, period_from, period_to, lag, audience));
            """ + logTables.map(tenantPolicy).joined(separator: "\n") + """

            -- Opening a store appends pre-log submissions to their tenants' logs; it must find which
            -- tenants have any, though no tenant is set then. This admits, for reading only and only
            -- under that explicit setting, the rows that are in no log yet (none, once appended).
            CREATE POLICY unlogged_for_backfill ON submissions FOR SELECT
                USING (leaf_index IS NULL AND current_setting('\(backfillSetting)', true) = 'on');

            -- Append-only, enforced on the server for every role that row-level security binds: nothing
            -- of a log, its checkpoints or published reports is changed or removed, a head never
            -- shrinks, and a logged submission keeps its bytes and its place. TRUNCATE ignores
            -- row-level security, so it is refused too.
            CREATE OR REPLACE FUNCTION townbench_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
            END
            $$;
            CREATE TRIGGER log_nodes_append_only BEFORE UPDATE OR DELETE ON log_nodes
                FOR EACH ROW EXECUTE FUNCTION townbench_refuse_change('the log is append-only');
            CREATE TRIGGER checkpoints_kept BEFORE UPDATE OR DELETE ON checkpoints
                FOR EACH ROW EXECUTE FUNCTION townbench_refuse_change('checkpoints are kept');
            CREATE TRIGGER reports_kept BEFORE UPDATE OR DELETE ON published_reports
                FOR EACH ROW EXECUTE FUNCTION townbench_refuse_change('published reports are kept');
            CREATE TRIGGER log_heads_kept BEFORE DELETE ON log_heads
                FOR EACH ROW EXECUTE FUNCTION townbench_refuse_change('a log head is kept');
            CREATE TRIGGER log_heads_grow_only BEFORE UPDATE ON log_heads
                FOR EACH ROW WHEN (NEW.size < OLD.size OR NEW.tenant_id <> OLD.tenant_id)
                EXECUTE FUNCTION townbench_refuse_change('a log never shrinks');
            CREATE TRIGGER submissions_kept BEFORE DELETE ON submissions
                FOR EACH ROW EXECUTE FUNCTION townbench_refuse_change('submissions are kept');
            CREATE TRIGGER submissions_logged_kept BEFORE UPDATE ON submissions
                FOR EACH ROW WHEN (OLD.leaf_index IS NOT NULL AND (NEW.envelope IS DISTINCT FROM OLD.envelope
                    OR NEW.leaf_index IS DISTINCT FROM OLD.leaf_index OR NEW.tenant_id IS DISTINCT FROM OLD.tenant_id))
                EXECUTE FUNCTION townbench_refuse_change('a logged submission is kept as accepted');
            """ + ["log_nodes", "log_heads", "checkpoints", "published_reports", "submissions"].map { table in
                """

                CREATE TRIGGER \(table)_no_truncate BEFORE TRUNCATE ON \(table)
                    FOR EACH STATEMENT EXECUTE FUNCTION townbench_refuse_change('\(table) cannot be truncated: it is append-only');
                """
            }.joined()),
        .init(4, "log leaves found by scan", """
            -- A random-keyed index on leaf hashes cost every submission a page write; a lookup by
            -- leaf hash (an auditor's occasional question) scans the tenant's leaves instead.
            DROP INDEX log_leaves_by_hash;
            """),
        .init(5, "browser sessions", """
            -- The report pages' sessions (issue 16): only the SHA-256 of a session id is kept, with the
            -- token that logged in; at most a few per token (the oldest go first), dropped on expiry.
            -- `id` is the insertion order, so "oldest" is exact within one second too.
            CREATE TABLE sessions (
                session_hash BYTEA PRIMARY KEY, id BIGSERIAL NOT NULL, token_hash BYTEA NOT NULL,
                tenant_id TEXT NOT NULL REFERENCES tenants(tenant_id),
                created_at TEXT NOT NULL, expires_at TEXT NOT NULL);
            CREATE INDEX sessions_by_token ON sessions (token_hash, id);
            """ + sessionTables.map(tenantPolicy).joined(separator: "\n") + """

            -- A browser presents only the session id: its row is readable and removable by whoever
            -- names its hash (as a token's row by the token's hash), never movable to another tenant.
            CREATE POLICY session_by_hash_read ON sessions FOR SELECT
                USING (session_hash = decode(nullif(current_setting('townbench.session_hash', true), ''), 'hex'));
            CREATE POLICY session_by_hash_delete ON sessions FOR DELETE
                USING (session_hash = decode(nullif(current_setting('townbench.session_hash', true), ''), 'hex'));
            """),
        .init(6, "peer groups", peerGroupsSchema + peerGroupTables.map(tenantPolicy).joined(separator: "\n")),
        .init(7, "zone hours", PostgresZoneHours.migrationSQL + PostgresZoneHours.tables.map(tenantPolicy).joined(separator: "\n")),
        .init(8, "zone lots", PostgresZoneLots.migrationSQL + PostgresZoneLots.tables.map(tenantPolicy).joined(separator: "\n")),
        .init(9, "packed series", PostgresSeries.migrationSQL + PostgresSeries.tables.map(tenantPolicy).joined(separator: "\n")),
    ])
}
