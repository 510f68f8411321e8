import Federation
import Indicators
import Storage

// The SQLite store's zone-day lots (issue 19): table `zone_lots` (migration 8), written with the
// other extracted aggregates in the submission's transaction and read in the network inputs'
// snapshot, current zone days only (supersession per zone and day, the cell of measure "").
extension SQLiteCoordinatorStore {
    /// Migration 8's SQL.
    static let zoneLotsMigrationSQL = """
        -- Issue 19: a zone day's parking, visitor origin and dwell members as the payload carried
        -- them (JSON text, ZoneLotStorage), for the zone days that have any.
        CREATE TABLE zone_lots (
            submission_row INTEGER NOT NULL REFERENCES submissions(row_id), tenant_id TEXT NOT NULL,
            town_id TEXT NOT NULL, zone_id TEXT NOT NULL, day INTEGER NOT NULL, lots TEXT NOT NULL,
            PRIMARY KEY (submission_row, zone_id, day)) STRICT, WITHOUT ROWID;
        -- One row once the submissions accepted before this migration have their lots (at open).
        CREATE TABLE zone_lots_backfilled (done INTEGER NOT NULL) STRICT;
        """

    /// Extracts the lots of the submissions accepted before migration 8, once (in one transaction
    /// at open): the store's figures must equal those replayed from the log.
    static func backfillZoneLots(_ connection: Connection) throws {
        try backfillOnce(connection, marker: "zone_lots_backfilled") { payload, row, tenant, box in
            try extractLots(payload, row: row, tenant: tenant, box: box)
        }
    }

    /// Inserts `payload`'s lot rows under submission `row` (in the caller's transaction).
    static func extractLots(_ payload: AggregatePayload, row: Int64, tenant: String, box: ConnectionBox) throws {
        let rows = PayloadRows.zoneLots(payload)
        guard !rows.isEmpty else { return }
        let insert = try box.statement("""
            INSERT OR IGNORE INTO zone_lots (submission_row, tenant_id, town_id, zone_id, day, lots) VALUES (?, ?, ?, ?, ?, ?)
            """)
        for r in rows {
            try insert.bind([.integer(row), .text(tenant), .text(r.townID), .text(r.zoneID), .int(r.day), .text(ZoneLotStorage.text(r))])
            while try insert.step() {}
            try insert.reset()
        }
    }

    /// The current lot rows over `days` (inside the caller's read snapshot).
    static func zoneLots(days: ClosedRange<Int>, _ scope: TenantScope, _ box: ConnectionBox) throws -> [ZoneLotRow] {
        try box.rows("""
            SELECT l.town_id, l.zone_id, z.zone_kind, l.day, l.lots
            FROM current_cells c
            JOIN zone_lots l ON l.submission_row = c.submission_row AND l.zone_id = c.zone_id AND l.day = c.day
            JOIN zone_days z ON z.submission_row = c.submission_row AND z.zone_id = c.zone_id AND z.day = c.day
            WHERE c.tenant_id = ? AND c.measure = '' AND c.day BETWEEN ? AND ?
            ORDER BY l.town_id, l.zone_id, l.day
            """, [.text(scope.tenantID), .int(days.lowerBound), .int(days.upperBound)]).map { row in
            try ZoneLotStorage.row(townID: try row.string(0), zoneID: try row.string(1), zoneKind: try row.string(2), day: try row.int(3),
                                   text: try row.string(4))
        }
    }
}
