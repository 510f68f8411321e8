internal import Storage

/// The node store's schema, as numbered migrations (never edit a released one; add a new one).
///
/// Key design for the import hot path (SQLite's B-tree work dominates bulk inserts, so keys stay small): interval rows are keyed by small integers
/// (sensor id, UTC epoch seconds, measure code, direction code) in a WITHOUT ROWID table; the
/// per-(sensor, local day) and per-(sensor, local day, hour) sums that the indicators need are kept
/// up to date in the same transaction, so no indicator rescans interval rows.
enum NodeSchema {
    static let migrator = Migrator([
        .init(1, "initial", """
            CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
            CREATE TABLE zones (
                id INTEGER PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                kind TEXT NOT NULL);
            CREATE TABLE sensors (
                id INTEGER PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                zone_id INTEGER NOT NULL REFERENCES zones(id),
                kind TEXT NOT NULL,
                vendor TEXT NOT NULL,
                paired_street_sensor TEXT,
                latitude REAL,
                longitude REAL,
                installed TEXT,
                removed TEXT);
            CREATE TABLE imports (
                id INTEGER PRIMARY KEY,
                format TEXT NOT NULL,
                file TEXT NOT NULL,
                imported_at TEXT NOT NULL,
                rows_read INTEGER NOT NULL DEFAULT 0,
                rows_inserted INTEGER NOT NULL DEFAULT 0,
                rows_unchanged INTEGER NOT NULL DEFAULT 0,
                rows_replaced INTEGER NOT NULL DEFAULT 0);
            -- One row per sensor, interval start (UTC epoch seconds), measure and direction.
            CREATE TABLE counts (
                sensor_id INTEGER NOT NULL,
                start INTEGER NOT NULL,
                measure INTEGER NOT NULL,
                direction INTEGER NOT NULL,
                minutes INTEGER NOT NULL,
                count REAL NOT NULL,
                uptime REAL,
                import_id INTEGER NOT NULL,
                PRIMARY KEY (sensor_id, start, measure, direction)) WITHOUT ROWID;
            -- Sums per sensor, local calendar day (days since 1970-01-01 in the town's zone), measure, direction.
            CREATE TABLE daily (
                sensor_id INTEGER NOT NULL,
                day INTEGER NOT NULL,
                measure INTEGER NOT NULL,
                direction INTEGER NOT NULL,
                total REAL NOT NULL,
                -- Σ counts of the intervals whose vendor uptime is ≥ 0.5 (all intervals for vendors
                -- without an uptime): the day's total the indicators use (Indicators/README.md).
                valid_total REAL NOT NULL,
                covered_minutes INTEGER NOT NULL,
                uptime_minutes REAL NOT NULL,
                valid_hours INTEGER NOT NULL,
                intervals INTEGER NOT NULL,
                PRIMARY KEY (sensor_id, day, measure, direction)) WITHOUT ROWID;
            -- Sums per sensor, local day, measure and local hour (0-23), all directions together;
            -- only from intervals of at most 60 minutes.
            CREATE TABLE hourly (
                sensor_id INTEGER NOT NULL,
                day INTEGER NOT NULL,
                measure INTEGER NOT NULL,
                hour INTEGER NOT NULL,
                total REAL NOT NULL,
                PRIMARY KEY (sensor_id, day, measure, hour)) WITHOUT ROWID;
            CREATE TABLE spending (
                zone_id INTEGER NOT NULL REFERENCES zones(id),
                start INTEGER NOT NULL,
                sector TEXT NOT NULL,
                minutes INTEGER NOT NULL,
                transactions INTEGER NOT NULL,
                buyers INTEGER NOT NULL,
                value_cents INTEGER NOT NULL,
                import_id INTEGER NOT NULL,
                PRIMARY KEY (zone_id, start, sector)) WITHOUT ROWID;
            CREATE TABLE events (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                zone_id INTEGER NOT NULL REFERENCES zones(id),
                start INTEGER NOT NULL,
                end INTEGER NOT NULL,
                kind TEXT NOT NULL,
                import_id INTEGER NOT NULL);
            CREATE TABLE school_holidays (
                first_day INTEGER NOT NULL,
                last_day INTEGER NOT NULL,
                name TEXT NOT NULL,
                PRIMARY KEY (first_day, last_day)) WITHOUT ROWID;
            """),
        .init(2, "outbox", """
            -- Signed submissions, written here before they are sent (nothing is lost in a crash; a
            -- resend of the same bytes is an idempotent success at the coordinator).
            CREATE TABLE outbox (
                sequence INTEGER PRIMARY KEY,
                submission_id TEXT NOT NULL UNIQUE,
                tenant TEXT NOT NULL,
                period_from INTEGER NOT NULL,
                period_to INTEGER NOT NULL,
                content_digest TEXT NOT NULL,
                envelope BLOB NOT NULL,
                created_at TEXT NOT NULL,
                state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'acknowledged', 'refused')),
                attempts INTEGER NOT NULL DEFAULT 0,
                last_error TEXT,
                receipt TEXT,
                done_at TEXT);
            CREATE INDEX outbox_period ON outbox (period_from, sequence);
            """),
        .init(3, "reports", """
            -- Network reports fetched from the coordinator, kept only after their signature verified
            -- with the pinned coordinator key: the exact envelope bytes, so they can be re-verified.
            CREATE TABLE reports (
                id INTEGER PRIMARY KEY,
                fetched_at TEXT NOT NULL,
                period_from TEXT NOT NULL,
                period_to TEXT NOT NULL,
                key_id TEXT NOT NULL,
                envelope BLOB NOT NULL);
            """),
        .init(4, "checkpoints", """
            -- Log checkpoints of the coordinator (Federation/PROTOCOL.md §8.3) that `verify` checked:
            -- signature with the pinned key, origin, consistency with the previous one, inclusion of
            -- every acknowledged submission. Kept, never replaced: the next verify proves consistency
            -- from the latest, and the exact signed note can be shown to another town.
            CREATE TABLE checkpoints (
                id INTEGER PRIMARY KEY,
                origin TEXT NOT NULL,
                tree_size INTEGER NOT NULL CHECK (tree_size >= 0),
                root_hash TEXT NOT NULL,
                note TEXT NOT NULL,
                verifier_key TEXT NOT NULL,
                verified_at TEXT NOT NULL,
                UNIQUE (origin, tree_size));
            """),
        .init(5, "networks", """
            -- The networks (tenants, on one or several coordinators) the node reports to, each with its
            -- own enrolment and privacy policy (Federation/PROTOCOL.md §10). The settings a
            -- single-network node kept in `meta` become the network `default`; its token file stays.
            CREATE TABLE networks (
                name TEXT PRIMARY KEY,
                tenant TEXT NOT NULL,
                coordinator_url TEXT,
                coordinator_key TEXT,
                -- Relative to the node's directory, mode 0600.
                token_file TEXT NOT NULL,
                min_store_entries INTEGER,
                min_spending_buyers INTEGER) WITHOUT ROWID;
            INSERT INTO networks (name, tenant, coordinator_url, coordinator_key, token_file, min_store_entries, min_spending_buyers)
                SELECT 'default', t.value,
                    (SELECT value FROM meta WHERE key = 'coordinator_url'),
                    (SELECT value FROM meta WHERE key = 'coordinator_key'),
                    'keys/coordinator.token',
                    (SELECT nullif(cast(value AS INTEGER), 0) FROM meta WHERE key = 'privacy_min_store_entries'),
                    (SELECT nullif(cast(value AS INTEGER), 0) FROM meta WHERE key = 'privacy_min_spending_buyers')
                FROM meta t WHERE t.key = 'tenant';
            DELETE FROM meta WHERE key IN ('coordinator_url', 'coordinator_key', 'privacy_min_store_entries', 'privacy_min_spending_buyers');
            -- One outbox per network: sequence numbers count per network.
            CREATE TABLE outbox_by_network (
                id INTEGER PRIMARY KEY,
                network TEXT NOT NULL,
                sequence INTEGER NOT NULL,
                submission_id TEXT NOT NULL UNIQUE,
                tenant TEXT NOT NULL,
                period_from INTEGER NOT NULL,
                period_to INTEGER NOT NULL,
                content_digest TEXT NOT NULL,
                envelope BLOB NOT NULL,
                created_at TEXT NOT NULL,
                state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'acknowledged', 'refused')),
                attempts INTEGER NOT NULL DEFAULT 0,
                last_error TEXT,
                receipt TEXT,
                done_at TEXT,
                UNIQUE (network, sequence));
            INSERT INTO outbox_by_network (id, network, sequence, submission_id, tenant, period_from, period_to, content_digest,
                                           envelope, created_at, state, attempts, last_error, receipt, done_at)
                SELECT sequence, 'default', sequence, submission_id, tenant, period_from, period_to, content_digest,
                       envelope, created_at, state, attempts, last_error, receipt, done_at FROM outbox;
            DROP TABLE outbox;
            ALTER TABLE outbox_by_network RENAME TO outbox;
            CREATE INDEX outbox_period ON outbox (network, period_from, sequence);
            ALTER TABLE reports ADD COLUMN network TEXT NOT NULL DEFAULT 'default';
            CREATE TABLE checkpoints_by_network (
                id INTEGER PRIMARY KEY,
                network TEXT NOT NULL,
                origin TEXT NOT NULL,
                tree_size INTEGER NOT NULL CHECK (tree_size >= 0),
                root_hash TEXT NOT NULL,
                note TEXT NOT NULL,
                verifier_key TEXT NOT NULL,
                verified_at TEXT NOT NULL,
                UNIQUE (network, origin, tree_size));
            INSERT INTO checkpoints_by_network (id, network, origin, tree_size, root_hash, note, verifier_key, verified_at)
                SELECT id, 'default', origin, tree_size, root_hash, note, verifier_key, verified_at FROM checkpoints;
            DROP TABLE checkpoints;
            ALTER TABLE checkpoints_by_network RENAME TO checkpoints;
            """),
        .init(6, "opening hours", """
            -- Shop opening hours per zone (issue 20; `import --format opening-hours`): a weekday's usual
            -- interval or an exception date's, in minutes after local midnight; opens/closes NULL = closed.
            CREATE TABLE opening_hours (
                zone_id INTEGER NOT NULL REFERENCES zones(id),
                weekday INTEGER CHECK (weekday BETWEEN 1 AND 7),
                day INTEGER,
                opens INTEGER CHECK (opens BETWEEN 0 AND 1440),
                closes INTEGER CHECK (closes BETWEEN 0 AND 1440),
                import_id INTEGER NOT NULL,
                CHECK ((weekday IS NULL) <> (day IS NULL)),
                CHECK ((opens IS NULL) = (closes IS NULL)));
            CREATE INDEX opening_hours_by_zone ON opening_hours (zone_id);
            """),
        .init(7, "parking_origin_dwell", """
            -- Parking sites, declared like sensors (`parking sites import`): a garage or an
            -- on-street zone in a zone, with its capacity and its DATEX II parkingRecord id.
            CREATE TABLE parking_sites (
                id INTEGER PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                zone_id INTEGER NOT NULL REFERENCES zones(id),
                kind TEXT NOT NULL CHECK (kind IN ('garage', 'on-street')),
                capacity INTEGER NOT NULL CHECK (capacity > 0),
                datex_reference TEXT UNIQUE);
            -- One reading per site and instant (UTC epoch seconds): occupied spaces out of capacity.
            CREATE TABLE parking_occupancy (
                site_id INTEGER NOT NULL REFERENCES parking_sites(id),
                time INTEGER NOT NULL,
                occupied INTEGER NOT NULL CHECK (occupied >= 0),
                capacity INTEGER NOT NULL CHECK (capacity > 0),
                import_id INTEGER NOT NULL,
                PRIMARY KEY (site_id, time)) WITHOUT ROWID;
            -- Visitors per zone, local day and origin class, as the wifi/camera vendors deliver them.
            CREATE TABLE visitor_origin (
                zone_id INTEGER NOT NULL REFERENCES zones(id),
                day INTEGER NOT NULL,
                origin TEXT NOT NULL,
                visitors INTEGER NOT NULL CHECK (visitors >= 0),
                import_id INTEGER NOT NULL,
                PRIMARY KEY (zone_id, day, origin)) WITHOUT ROWID;
            -- The dwell-time histogram per zone and local day: visitors who stayed [from, to) minutes
            -- (to NULL: open-ended).
            CREATE TABLE dwell_time (
                zone_id INTEGER NOT NULL REFERENCES zones(id),
                day INTEGER NOT NULL,
                from_minutes INTEGER NOT NULL CHECK (from_minutes >= 0),
                to_minutes INTEGER CHECK (to_minutes > from_minutes),
                visitors INTEGER NOT NULL CHECK (visitors >= 0),
                import_id INTEGER NOT NULL,
                PRIMARY KEY (zone_id, day, from_minutes)) WITHOUT ROWID;
            """),
        .init(8, "public holidays and weather", """
            -- The town's public holidays (issue 18; `import --format public-holidays`): for every year
            -- with a row here they replace the computed Belgian calendar.
            CREATE TABLE public_holidays (
                day INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                import_id INTEGER NOT NULL);
            -- The town's daily weather (`import --format weather`), shown beside events.
            CREATE TABLE weather (
                day INTEGER PRIMARY KEY,
                precipitation_hundredth_mm INTEGER NOT NULL CHECK (precipitation_hundredth_mm >= 0),
                mean_temperature_hundredth_c INTEGER NOT NULL,
                import_id INTEGER NOT NULL);
            """),
    ])
}
