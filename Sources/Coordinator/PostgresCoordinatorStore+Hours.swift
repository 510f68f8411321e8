import Federation
import PostgreSQL

// The PostgreSQL store's hourly zone rows (issue 20): table `zone_hours` (migration 7, under the
// tenant policy), inserted with one `unnest` statement in the batch's aggregate pipeline and read
// in the network inputs' snapshot (current cells only), as the SQLite store does.
enum PostgresZoneHours {
    /// The tables of migration 7.
    static let tables = ["zone_hours"]

    /// Migration 6's table (the tenant policy is added by the schema).
    static let migrationSQL = """
        -- Issue 20: each zone's 24 hourly values per day and measure (text: comma-separated, empty =
        -- no value) and the zone's open hours that day (24 characters 0/1, NULL without hours).
        CREATE TABLE zone_hours (
            submission_row BIGINT NOT NULL REFERENCES submissions(row_id), tenant_id TEXT NOT NULL REFERENCES tenants(tenant_id),
            town_id TEXT NOT NULL, zone_id TEXT NOT NULL, day BIGINT NOT NULL, measure TEXT NOT NULL,
            hours TEXT NOT NULL, open_hours TEXT,
            PRIMARY KEY (submission_row, zone_id, day, measure));
        -- Submissions accepted before this migration: their hours, read from the stored envelopes
        -- (the payload is base64 JSON inside the envelope; none of them can carry opening hours).
        -- The owner reads every tenant's submissions for this one statement only.
        -- An envelope that does not parse (only a damaged store has one) contributes nothing.
        CREATE FUNCTION pg_temp.townbench_payload(envelope BYTEA) RETURNS JSONB LANGUAGE plpgsql AS $f$
        BEGIN
            RETURN convert_from(decode(convert_from(envelope, 'UTF8')::jsonb->>'payload', 'base64'), 'UTF8')::jsonb;
        EXCEPTION WHEN others THEN
            RETURN NULL;
        END $f$;
        CREATE FUNCTION pg_temp.townbench_array(value JSONB) RETURNS JSONB LANGUAGE sql IMMUTABLE AS $f$
            SELECT CASE WHEN jsonb_typeof(value) = 'array' THEN value END
        $f$;
        ALTER TABLE submissions NO FORCE ROW LEVEL SECURITY;
        INSERT INTO zone_hours (submission_row, tenant_id, town_id, zone_id, day, measure, hours, open_hours)
        SELECT s.row_id, s.tenant_id, s.town_id, z.value->>'zoneId', (d.value->>'date')::date - DATE '1970-01-01',
               m.value->>'measure',
               (SELECT string_agg(coalesce(h.value #>> '{}', ''), ',' ORDER BY h.n)
                FROM jsonb_array_elements(m.value->'hourly') WITH ORDINALITY AS h(value, n)),
               NULL
        FROM submissions s
        CROSS JOIN LATERAL (SELECT pg_temp.townbench_payload(s.envelope) AS p) e
        CROSS JOIN LATERAL jsonb_array_elements(pg_temp.townbench_array(e.p->'zones')) AS z(value)
        CROSS JOIN LATERAL jsonb_array_elements(pg_temp.townbench_array(z.value->'days')) AS d(value)
        CROSS JOIN LATERAL jsonb_array_elements(pg_temp.townbench_array(d.value->'measures')) AS m(value)
        WHERE jsonb_array_length(coalesce(pg_temp.townbench_array(m.value->'hourly'), '[]')) = 24
          AND jsonb_array_length(coalesce(pg_temp.townbench_array(m.value->'suppressedHours'), '[0]')) = 0
          AND EXISTS (SELECT 1 FROM jsonb_array_elements(pg_temp.townbench_array(m.value->'hourly')) AS x(value)
                      WHERE jsonb_typeof(x.value) = 'number')
        ON CONFLICT DO NOTHING;
        ALTER TABLE submissions FORCE ROW LEVEL SECURITY;

        """

    /// One insert for the batch's hourly rows (`row` = submission row), or none.
    static func statements(tenant: String, _ rows: [(row: Int64, hours: ZoneHourRow)]) -> [(sql: String, parameters: [PostgresValue])] {
        guard !rows.isEmpty else { return [] }
        return [("""
            INSERT INTO zone_hours (submission_row, tenant_id, town_id, zone_id, day, measure, hours, open_hours)
            SELECT r, $1, t, z, d, m, h, o
            FROM unnest($2::int8[], $3::text[], $4::text[], $5::int8[], $6::text[], $7::text[], $8::text[]) AS u(r, t, z, d, m, h, o)
            ON CONFLICT DO NOTHING
            """, [.text(tenant), .integerArray(rows.map(\.row)), .textArray(rows.map(\.hours.townID)), .textArray(rows.map(\.hours.zoneID)),
                  .integerArray(rows.map { Int64($0.hours.day) }), .textArray(rows.map(\.hours.measure)),
                  .textArray(rows.map { ZoneHourStorage.hoursText($0.hours.hours) }),
                  .textArray(rows.map { ZoneHourStorage.openText($0.hours.openHours) })])]
    }

    /// The current hourly rows of a measure ($2) over days $3…$4.
    static let selectSQL = """
        SELECT h.town_id, h.zone_id, z.zone_kind, h.day, h.hours, h.open_hours
        FROM current_cells c
        JOIN zone_hours h ON h.submission_row = c.submission_row AND h.zone_id = c.zone_id AND h.day = c.day AND h.measure = c.measure
        JOIN zone_days z ON z.submission_row = c.submission_row AND z.zone_id = c.zone_id AND z.day = c.day
        WHERE c.tenant_id = $1 AND c.measure = $2 AND c.day BETWEEN $3 AND $4
        ORDER BY h.town_id, h.zone_id, h.day
        """

    static func select(measure: String, days: ClosedRange<Int>, tenant: String) -> (sql: String, parameters: [PostgresValue]) {
        (selectSQL, [.text(tenant), .text(measure), .int(days.lowerBound), .int(days.upperBound)])
    }

    static func rows(_ rows: PostgresRows, measure: String) throws -> [ZoneHourRow] {
        try rows.map { row in
            ZoneHourRow(townID: try row.string(0), zoneID: try row.string(1), zoneKind: try row.string(2), day: try row.int(3),
                        measure: measure, hours: try ZoneHourStorage.hours(try row.string(4)),
                        openHours: ZoneHourStorage.open(row.optionalString(5)))
        }
    }
}
