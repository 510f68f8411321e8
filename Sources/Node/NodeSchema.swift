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
        .init(5, "parking_origin_dwell", """
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
    ])
}
