import Federation
import PostgreSQL

// The PostgreSQL store's zone-day lots (issue 19): table `zone_lots` (migration 8, under the
// tenant policy), inserted with one `unnest` statement in the batch's aggregate pipeline and read
// in the network inputs' snapshot (current zone days only), as the SQLite store does.
enum PostgresZoneLots {
    /// The tables of migration 8.
    static let tables = ["zone_lots"]

    /// Migration 8's table and backfill (the tenant policy is added by the schema).
    static let migrationSQL = """
        -- Issue 19: a zone day's parking, visitor origin and dwell members as the payload carried
        -- them (JSON text, ZoneLotStorage), for the zone days that have any.
        CREATE TABLE zone_lots (
            submission_row BIGINT NOT NULL REFERENCES submissions(row_id), tenant_id TEXT NOT NULL REFERENCES tenants(tenant_id),
            town_id TEXT NOT NULL, zone_id TEXT NOT NULL, day BIGINT NOT NULL, lots TEXT NOT NULL,
            PRIMARY KEY (submission_row, zone_id, day));
        -- Submissions accepted before this migration: their lots, read from the stored envelopes
        -- (the payload is base64 JSON inside the envelope). The owner reads every tenant's
        -- submissions for this one statement only. An envelope that does not parse (only a damaged
        -- store has one) contributes nothing.
        CREATE OR REPLACE FUNCTION pg_temp.townbench_lots_payload(envelope BYTEA) RETURNS JSONB LANGUAGE plpgsql AS $f$
        BEGIN
            RETURN convert_from(decode(convert_from(envelope, 'UTF8')::jsonb->>'payload', 'base64'), 'UTF8')::jsonb;
        EXCEPTION WHEN others THEN
            RETURN NULL;
        END $f$;
        CREATE OR REPLACE FUNCTION pg_temp.townbench_lots_array(value JSONB) RETURNS JSONB LANGUAGE sql IMMUTABLE AS $f$
            SELECT CASE WHEN jsonb_typeof(value) = 'array' THEN value END
        $f$;
        ALTER TABLE submissions NO FORCE ROW LEVEL SECURITY;
        INSERT INTO zone_lots (submission_row, tenant_id, town_id, zone_id, day, lots)
        SELECT s.row_id, s.tenant_id, s.town_id, z.value->>'zoneId', (d.value->>'date')::date - DATE '1970-01-01',
               jsonb_strip_nulls(jsonb_build_object('parking', d.value->'parking', 'visitorOrigin', d.value->'visitorOrigin',
                                                    'dwell', d.value->'dwell'))::text
        FROM submissions s
        CROSS JOIN LATERAL (SELECT pg_temp.townbench_lots_payload(s.envelope) AS p) e
        CROSS JOIN LATERAL jsonb_array_elements(pg_temp.townbench_lots_array(e.p->'zones')) AS z(value)
        CROSS JOIN LATERAL jsonb_array_elements(pg_temp.townbench_lots_array(z.value->'days')) AS d(value)
        WHERE jsonb_typeof(d.value->'parking') = 'array' OR jsonb_typeof(d.value->'visitorOrigin') = 'object'
           OR jsonb_typeof(d.value->'dwell') = 'array'
        ON CONFLICT DO NOTHING;
        ALTER TABLE submissions FORCE ROW LEVEL SECURITY;

        """

    /// One insert for the batch's lot rows (`row` = submission row), or none.
    static func statements(tenant: String, _ rows: [(row: Int64, lots: ZoneLotRow)]) -> [(sql: String, parameters: [PostgresValue])] {
        guard !rows.isEmpty else { return [] }
        return [("""
            INSERT INTO zone_lots (submission_row, tenant_id, town_id, zone_id, day, lots)
            SELECT r, $1, t, z, d, l
            FROM unnest($2::int8[], $3::text[], $4::text[], $5::int8[], $6::text[]) AS u(r, t, z, d, l)
            ON CONFLICT DO NOTHING
            """, [.text(tenant), .integerArray(rows.map(\.row)), .textArray(rows.map(\.lots.townID)), .textArray(rows.map(\.lots.zoneID)),
                  .integerArray(rows.map { Int64($0.lots.day) }), .textArray(rows.map { ZoneLotStorage.text($0.lots) })])]
    }

    /// The current lot rows over days $2…$3.
    static let selectSQL = """
        SELECT l.town_id, l.zone_id, z.zone_kind, l.day, l.lots
        FROM current_cells c
        JOIN zone_lots l ON l.submission_row = c.submission_row AND l.zone_id = c.zone_id AND l.day = c.day
        JOIN zone_days z ON z.submission_row = c.submission_row AND z.zone_id = c.zone_id AND z.day = c.day
        WHERE c.tenant_id = $1 AND c.measure = '' AND c.day BETWEEN $2 AND $3
        ORDER BY l.town_id COLLATE "C", l.zone_id COLLATE "C", l.day
        """

    static func select(days: ClosedRange<Int>, tenant: String) -> (sql: String, parameters: [PostgresValue]) {
        (selectSQL, [.text(tenant), .int(days.lowerBound), .int(days.upperBound)])
    }

    static func rows(_ rows: PostgresRows) throws -> [ZoneLotRow] {
        try rows.map { row in
            try ZoneLotStorage.row(townID: try row.string(0), zoneID: try row.string(1), zoneKind: try row.string(2), day: try row.int(3),
                                   text: try row.string(4))
        }
    }
}
