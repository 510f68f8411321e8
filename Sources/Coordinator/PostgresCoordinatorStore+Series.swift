import Federation
import Indicators
import PostgreSQL

/// The PostgreSQL store's packed series (issue 17, migration 9): the SQLite store's layout and
/// bytes (``PackedCell``, read by the same ``PackedSeriesReader``), so both stores give the same
/// ``NetworkSeries`` by one decoder. `series_sensors` numbers each (tenant, measure, town, zone,
/// sensor, vendor kind); `series_cells` holds one row per current (tenant, measure, day, town, zone)
/// cell with all its sensors in one `bytea`, upserted in the commit's transaction with the
/// supersession rule of `current_cells` (the higher submission row wins; a correction replaces the
/// whole cell, so a dropped sensor is gone and a cell without sensors is an empty value).
///
/// Why not a row per sensor-day, as before: at 300 towns a year's read was 3.3 million rows of five
/// strings each (12.6 s); one row per cell, read in binary, is ~15 times fewer rows and no strings.
/// Why one row per cell rather than per (sensor, block of days): a correction then rewrites one
/// row, in SQL, without reading anything back; and the bytes are the SQLite store's.
enum PostgresSeries {
    /// The tables of migration 9 (under the tenant policy, added by the schema).
    static let tables = ["series_sensors", "series_cells"]

    /// Migration 9: the tables, and the cells of the rows stored before it, packed in SQL (the
    /// little-endian layout of ``PackedCell``; PostgreSQL's columns are 32-bit, so never wide).
    /// The owner reads every tenant's aggregates for these statements only (as migration 7).
    static let migrationSQL = """
        -- Issue 17: a number per sensor, and one packed row per current sensor cell (see PackedCell).
        CREATE TABLE series_sensors (
            sensor_no BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, tenant_id TEXT NOT NULL, measure TEXT NOT NULL,
            town_id TEXT NOT NULL, zone_id TEXT NOT NULL, sensor TEXT NOT NULL, vendor_kind TEXT NOT NULL,
            UNIQUE (tenant_id, measure, town_id, zone_id, sensor, vendor_kind));
        CREATE TABLE series_cells (
            tenant_id TEXT NOT NULL, measure TEXT NOT NULL, day INTEGER NOT NULL, town_id TEXT NOT NULL, zone_id TEXT NOT NULL,
            submission_row BIGINT NOT NULL, sensors BYTEA NOT NULL,
            PRIMARY KEY (tenant_id, measure, day, town_id, zone_id));
        CREATE OR REPLACE FUNCTION pg_temp.townbench_le8(v BIGINT) RETURNS BYTEA LANGUAGE sql IMMUTABLE STRICT AS $f$
            SELECT int8send(((v & 255) << 56) | (((v >> 8) & 255) << 48) | (((v >> 16) & 255) << 40) | (((v >> 24) & 255) << 32)
                | (((v >> 32) & 255) << 24) | (((v >> 40) & 255) << 16) | (((v >> 48) & 255) << 8) | ((v >> 56) & 255))
        $f$;
        CREATE OR REPLACE FUNCTION pg_temp.townbench_le4(v INTEGER) RETURNS BYTEA LANGUAGE sql IMMUTABLE STRICT AS $f$
            SELECT int4send(((v & 255) << 24) | (((v >> 8) & 255) << 16) | (((v >> 16) & 255) << 8) | ((v >> 24) & 255))
        $f$;
        -- One sensor of a cell: number, flags (1 = total present), total's bits, covered, expected, uptime, valid hours.
        CREATE OR REPLACE FUNCTION pg_temp.townbench_entry(n BIGINT, total DOUBLE PRECISION, covered INTEGER, expected INTEGER,
                                                           uptime INTEGER, valid INTEGER) RETURNS BYTEA LANGUAGE sql IMMUTABLE AS $f$
            SELECT pg_temp.townbench_le8(n) || CASE WHEN total IS NULL THEN '\\x00'::bytea ELSE '\\x01'::bytea END
                || pg_temp.townbench_le8(('x' || encode(float8send(coalesce(total, 0)), 'hex'))::bit(64)::bigint)
                || pg_temp.townbench_le4(covered) || pg_temp.townbench_le4(expected) || pg_temp.townbench_le4(uptime)
                || pg_temp.townbench_le4(valid)
        $f$;
        ALTER TABLE sensor_days NO FORCE ROW LEVEL SECURITY;
        ALTER TABLE zone_days NO FORCE ROW LEVEL SECURITY;
        ALTER TABLE current_cells NO FORCE ROW LEVEL SECURITY;
        INSERT INTO series_sensors (tenant_id, measure, town_id, zone_id, sensor, vendor_kind)
        SELECT DISTINCT tenant_id, measure, town_id, zone_id, sensor, vendor_kind FROM sensor_days ORDER BY 1, 2, 3, 4, 5, 6;
        INSERT INTO series_cells (tenant_id, measure, day, town_id, zone_id, submission_row, sensors)
        SELECT c.tenant_id, c.measure, c.day, c.town_id, c.zone_id, c.submission_row,
               coalesce(string_agg(pg_temp.townbench_entry(d.sensor_no, s.total, s.covered, s.expected, s.uptime, s.valid_hours),
                                   ''::bytea), ''::bytea)
        FROM current_cells c
        JOIN zone_days z ON z.submission_row = c.submission_row AND z.zone_id = c.zone_id AND z.day = c.day
        LEFT JOIN sensor_days s ON s.submission_row = c.submission_row AND s.zone_id = c.zone_id AND s.day = c.day
            AND s.measure = c.measure
        LEFT JOIN series_sensors d ON d.tenant_id = c.tenant_id AND d.measure = c.measure AND d.town_id = c.town_id
            AND d.zone_id = s.zone_id AND d.sensor = s.sensor AND d.vendor_kind = s.vendor_kind
        WHERE c.measure <> ''
        GROUP BY c.tenant_id, c.measure, c.day, c.town_id, c.zone_id, c.submission_row;
        ALTER TABLE sensor_days FORCE ROW LEVEL SECURITY;
        ALTER TABLE zone_days FORCE ROW LEVEL SECURITY;
        ALTER TABLE current_cells FORCE ROW LEVEL SECURITY;

        """

    /// A sensor as numbered in `series_sensors` (the tenant is the batch's).
    struct SensorKey: Hashable {
        var measure, town, zone, sensor, vendorKind: String
    }

    /// Numbers the batch's sensors (insert unless known, then read back: two statements, for the
    /// commit's first pipeline, after the town locks; a town's sensors are numbered under its lock).
    static func numberStatements(tenant: String, _ keys: [SensorKey]) -> [(sql: String, parameters: [PostgresValue])] {
        guard !keys.isEmpty else { return [] }
        let parameters: [PostgresValue] = [.text(tenant), .textArray(keys.map(\.measure)), .textArray(keys.map(\.town)),
                                           .textArray(keys.map(\.zone)), .textArray(keys.map(\.sensor)), .textArray(keys.map(\.vendorKind))]
        return [
            ("""
            INSERT INTO series_sensors (tenant_id, measure, town_id, zone_id, sensor, vendor_kind)
            SELECT $1, m, t, z, s, v FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS u(m, t, z, s, v)
            ON CONFLICT DO NOTHING
            """, parameters),
            ("""
            SELECT d.sensor_no, d.measure, d.town_id, d.zone_id, d.sensor, d.vendor_kind
            FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS u(m, t, z, s, v)
            JOIN series_sensors d ON d.tenant_id = $1 AND d.measure = u.m AND d.town_id = u.t AND d.zone_id = u.z
                AND d.sensor = u.s AND d.vendor_kind = u.v
            """, parameters),
        ]
    }

    /// The numbers read back by the second of ``numberStatements(tenant:_:)``.
    static func numbers(_ rows: PostgresRows) throws -> [SensorKey: Int64] {
        var out: [SensorKey: Int64] = [:]
        for row in rows {
            out[SensorKey(measure: try row.string(1), town: try row.string(2), zone: try row.string(3), sensor: try row.string(4),
                          vendorKind: try row.string(5))] = try row.int64(0)
        }
        return out
    }

    /// The batch's sensor cells (one per cell: the newest submission row's), one upsert.
    static func cellStatement(tenant: String, _ cells: [PostgresCellKey: (row: Int64, entries: [PackedCell.Entry])])
        -> (sql: String, parameters: [PostgresValue])? {
        guard !cells.isEmpty else { return nil }
        var towns: [String?] = [], zones: [String?] = [], days: [Int64?] = [], measures: [String?] = [], rows: [Int64?] = []
        var starts: [Int64?] = [], lengths: [Int64?] = []
        var bytes: [UInt8] = []
        for (key, cell) in cells {
            let packed = PackedCell.encode(cell.entries)
            towns.append(key.town); zones.append(key.zone); days.append(Int64(key.day)); measures.append(key.measure)
            rows.append(cell.row); starts.append(Int64(bytes.count + 1)); lengths.append(Int64(packed.count))
            bytes += packed
        }
        // All cells' bytes as one bytea, cut by offset and length (no bytea[] parameter needed).
        return ("""
            INSERT INTO series_cells (tenant_id, town_id, zone_id, day, measure, submission_row, sensors)
            SELECT $1, t, z, d, m, r, substring($7::bytea FROM o::int FOR l::int)
            FROM unnest($2::text[], $3::text[], $4::int8[], $5::text[], $6::int8[], $8::int8[], $9::int8[]) AS u(t, z, d, m, r, o, l)
            ON CONFLICT (tenant_id, measure, day, town_id, zone_id)
            DO UPDATE SET submission_row = excluded.submission_row, sensors = excluded.sensors
            WHERE excluded.submission_row > series_cells.submission_row
            """, [.text(tenant), .textArray(towns), .textArray(zones), .integerArray(days), .textArray(measures), .integerArray(rows),
                  .bytes(bytes), .integerArray(starts), .integerArray(lengths)])
    }

    /// Cells per query when reading: bounds the result libpq holds at once (about 15 kB per town and day).
    static let daysPerRead = 31
}

/// A (town, zone, day, measure) cell of one tenant's batch.
struct PostgresCellKey: Hashable {
    var town: String, zone: String, day: Int, measure: String
}

extension PostgresCoordinatorStore {
    /// The network read from the packed series: one `REPEATABLE READ` snapshot with the log head;
    /// the cells in binary form, a month per query, each cell parsed in place into the panels.
    public func networkSeries(measure: String, days: ClosedRange<Int>, values: [ClosedRange<Int>]?, conversionDays: ClosedRange<Int>,
                              _ scope: TenantScope) throws -> NetworkSeries {
        let tenant = scope.tenantID
        return try inTenant(tenant, "reading network series", isolation: .repeatableRead) { db in
            let first = try db.pipeline([
                ("SELECT set_config('transaction_read_only', 'on', true)", []),
                (Self.headSQL, [.text(tenant)]),
                ("SELECT sensor_no, town_id, zone_id, sensor, vendor_kind FROM series_sensors WHERE tenant_id = $1 AND measure = $2",
                 [.text(tenant), .text(measure)]),
            ])
            let head = try Self.head(first[1], tenant: tenant)
            let sensors = try first[2].map { row in
                (no: try row.int64(0), town: try row.string(1), zone: try row.string(2), sensor: try row.string(3),
                 vendorKind: try row.string(4))
            }
            var reader = PackedSeriesReader(days: DayNumber(days.lowerBound)...DayNumber(days.upperBound), sensors: sensors)
            let ranges = (values ?? [days]).compactMap { r -> ClosedRange<Int>? in
                let low = max(r.lowerBound, days.lowerBound), high = min(r.upperBound, days.upperBound)
                return low <= high ? low...high : nil
            }
            // Towns with a sensor in the cells read: listed already, so the days between need not be asked about them.
            var unseen = values == nil ? [] : Set(sensors.map(\.town))
            for range in ranges {
                for start in stride(from: range.lowerBound, through: range.upperBound, by: PostgresSeries.daysPerRead) {
                    let end = min(range.upperBound, start + PostgresSeries.daysPerRead - 1)
                    let cells = try db.query("""
                        SELECT day, sensors, town_id FROM series_cells WHERE tenant_id = $1 AND measure = $2 AND day BETWEEN $3 AND $4
                        """, [.text(tenant), .text(measure), .int(start), .int(end)], binaryResults: true)
                    for cell in cells {
                        let day = try cell.int(0)
                        let hasSensors = try cell.withBytes(1) { bytes in
                            try reader.add(day: day, bytes)
                            return !bytes.isEmpty
                        }
                        if hasSensors, !unseen.isEmpty { unseen.remove(try cell.string(2)) }
                    }
                }
            }
            // The days between: only which of the other towns have a sensor there (the rows would list them).
            if values != nil, !unseen.isEmpty {
                var from = days.lowerBound
                for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) + [(days.upperBound + 1)...(days.upperBound + 1)] {
                    if from < range.lowerBound {
                        for row in try db.query("""
                            SELECT DISTINCT town_id FROM series_cells
                            WHERE tenant_id = $1 AND measure = $2 AND day BETWEEN $3 AND $4 AND octet_length(sensors) > 0
                                AND town_id = ANY($5::text[])
                            """, [.text(tenant), .text(measure), .int(from), .int(range.lowerBound - 1), .textArray(unseen.sorted())]) {
                            reader.list(town: try row.string(0))
                        }
                    }
                    from = max(from, range.upperBound + 1)
                }
            }
            // Only zone days with events or a holiday: the computation uses no other.
            let hourDays = DayShapeNetwork.hourDays(days: days, conversionDays: conversionDays)
            let rest = try db.pipeline([
                (Self.eventDaysSQL, [.text(tenant), .int(days.lowerBound), .int(days.upperBound)]),
                Self.conversionDaysStatement(days: conversionDays, scope),
                PostgresZoneHours.select(measure: DayShapeNetwork.measure, days: hourDays, tenant: tenant),
                PostgresZoneLots.select(days: conversionDays, tenant: tenant),
            ])
            return NetworkSeries(head: head, days: reader.days, towns: try reader.build(),
                                 eventDays: try Self.zoneDays(rest[0]).filter(\.isReadByNetworkFigures),
                                 conversions: try Self.conversionDays(rest[1]),
                                 zoneHours: try PostgresZoneHours.rows(rest[2], measure: DayShapeNetwork.measure),
                                 zoneLots: try PostgresZoneLots.rows(rest[3]))
        }
    }
}
