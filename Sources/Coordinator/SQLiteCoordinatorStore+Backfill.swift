import Federation
import Storage

extension SQLiteCoordinatorStore {
    /// Runs `extract` once over every stored submission's payload, in one transaction at open,
    /// then marks the one-row table `marker` done: how a migration that adds extracted rows
    /// (hours, lots) fills them for the submissions accepted before it.
    ///
    /// An envelope that does not parse (only a damaged store has one) contributes nothing;
    /// `report recompute` names such an entry.
    static func backfillOnce(_ connection: Connection, marker: String,
                             _ extract: (_ payload: AggregatePayload, _ row: Int64, _ tenant: String, ConnectionBox) throws -> Void) throws {
        let box = ConnectionBox(connection)
        guard try box.rows("SELECT done FROM \(marker)").isEmpty else { return }
        try connection.transaction {
            for row in try box.rows("SELECT row_id, tenant_id, envelope FROM submissions ORDER BY row_id") {
                guard let envelope = try? Envelope(parsing: try row.bytes("envelope")),
                      let payload = try? AggregatePayload(verifiedBytes: envelope.payload) else { continue }
                try extract(payload, try row.int64("row_id"), try row.string("tenant_id"), box)
            }
            try box.run("INSERT INTO \(marker) (done) VALUES (1)")
        }
    }
}
