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
enum PostgresCoordinatorSchema {
    static let tenantTables = ["tenants", "towns", "keys", "tokens", "submissions", "sensor_days", "zone_days",
                               "conversion_days", "current_cells"]

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
    ])
}
