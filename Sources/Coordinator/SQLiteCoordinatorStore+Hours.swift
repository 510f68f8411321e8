import Federation
import Indicators
import Storage

// The SQLite store's hourly zone rows (issue 20): table `zone_hours` (migration 6), written with
// the other extracted aggregates in the submission's transaction and read in the network
// inputs' snapshot, current cells only (supersession per zone, day and measure).
extension SQLiteCoordinatorStore {
    /// Migration 6's SQL.
    static let zoneHoursMigrationSQL = """
        -- Issue 20: each zone's 24 hourly values per day and measure (text: comma-separated, empty =
        -- no value) and the zone's open hours that day (24 characters 0/1, NULL without hours).
        CREATE TABLE zone_hours (
            submission_row INTEGER NOT NULL REFERENCES submissions(row_id), tenant_id TEXT NOT NULL,
            town_id TEXT NOT NULL, zone_id TEXT NOT NULL, day INTEGER NOT NULL, measure TEXT NOT NULL,
            hours TEXT NOT NULL, open_hours TEXT,
            PRIMARY KEY (submission_row, zone_id, day, measure)) STRICT, WITHOUT ROWID;
        -- One row once the submissions accepted before this migration have their hours (at open).
        CREATE TABLE zone_hours_backfilled (done INTEGER NOT NULL) STRICT;
        """

    /// Extracts the hours of the submissions accepted before migration 6, once (in one
    /// transaction at open): the store's figures must equal those replayed from the log.
    static func backfillZoneHours(_ connection: Connection) throws {
        try backfillOnce(connection, marker: "zone_hours_backfilled") { payload, row, tenant, box in
            try extractHours(payload, row: row, tenant: tenant, box: box)
        }
    }

    /// Inserts `payload`'s hourly rows under submission `row` (in the caller's transaction).
    static func extractHours(_ payload: AggregatePayload, row: Int64, tenant: String, box: ConnectionBox) throws {
        let rows = PayloadRows.zoneHours(payload)
        guard !rows.isEmpty else { return }
        let insert = try box.statement("""
            INSERT OR IGNORE INTO zone_hours (submission_row, tenant_id, town_id, zone_id, day, measure, hours, open_hours)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for r in rows {
            try insert.bind([.integer(row), .text(tenant), .text(r.townID), .text(r.zoneID), .int(r.day), .text(r.measure),
                             .text(ZoneHourStorage.hoursText(r.hours)), .optional(ZoneHourStorage.openText(r.openHours))])
            while try insert.step() {}
            try insert.reset()
        }
    }

    /// The current hourly rows of `measure` over `days` (inside the caller's read snapshot).
    static func zoneHours(measure: String, days: ClosedRange<Int>, _ scope: TenantScope, _ box: ConnectionBox) throws -> [ZoneHourRow] {
        try box.rows("""
            SELECT h.town_id, h.zone_id, z.zone_kind, h.day, h.hours, h.open_hours
            FROM current_cells c
            JOIN zone_hours h ON h.submission_row = c.submission_row AND h.zone_id = c.zone_id AND h.day = c.day AND h.measure = c.measure
            JOIN zone_days z ON z.submission_row = c.submission_row AND z.zone_id = c.zone_id AND z.day = c.day
            WHERE c.tenant_id = ? AND c.measure = ? AND c.day BETWEEN ? AND ?
            ORDER BY h.town_id, h.zone_id, h.day
            """, [.text(scope.tenantID), .text(measure), .int(days.lowerBound), .int(days.upperBound)]).map { row in
            ZoneHourRow(townID: try row.string(0), zoneID: try row.string(1), zoneKind: try row.string(2), day: try row.int(3),
                        measure: measure, hours: try ZoneHourStorage.hours(try row.string(4)),
                        openHours: ZoneHourStorage.open(try row.optionalString(5)))
        }
    }
}
