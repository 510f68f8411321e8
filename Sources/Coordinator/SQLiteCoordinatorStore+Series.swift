import Federation
import Foundation
import Indicators
import Storage

/// Packed series (issue 17): one `series_cells` row per current (tenant, measure, day, town, zone)
/// cell holding all its sensors as numbers, written at commit in the commit's transaction with the
/// same supersession rule as `current_cells` (the higher submission row wins); sensors are integer
/// ids into `series_sensors`. The network read is one range scan of cells plus the tenant's sensor
/// list, instead of a three-way join returning a row with five strings per sensor-day.
///
/// A cell's blob: per sensor, little-endian: sensor id (Int64), flags (UInt8: 1 = total present,
/// 2 = wide), total (Float64, 0 if absent), then covered, expected, uptime and valid hours as Int32
/// (Int64 when wide: a value stored before the intake bounds that does not fit 32 bits).
enum PackedCell {
    static let hasTotal: UInt8 = 1
    static let wide: UInt8 = 2

    struct Entry {
        var sensorNo: Int64
        var total: Double?
        var covered: Int
        var expected: Int
        var uptime: Int
        var validHours: Int
    }

    static func encode(_ entries: [Entry]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(entries.count * 33)
        func append<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
        }
        for e in entries {
            let narrow = [e.covered, e.expected, e.uptime, e.validHours].allSatisfy { Int32(exactly: $0) != nil }
            append(e.sensorNo)
            out.append((e.total == nil ? 0 : hasTotal) | (narrow ? 0 : wide))
            append((e.total ?? 0).bitPattern)
            for value in [e.covered, e.expected, e.uptime, e.validHours] {
                if narrow, let small = Int32(exactly: value) { append(small) } else { append(Int64(value)) }
            }
        }
        return out
    }

    /// Calls `body` for each entry; a blob that does not parse is a damaged store.
    static func decode(_ bytes: UnsafeRawBufferPointer, _ body: (Entry) throws -> Void) throws {
        var offset = 0
        func read<T: FixedWidthInteger>(_: T.Type) throws -> T {
            guard offset + MemoryLayout<T>.size <= bytes.count else {
                throw CoordinatorError(.storage, "A packed series cell ends early; the store is damaged. Restore it from a backup.")
            }
            let value = T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
            offset += MemoryLayout<T>.size
            return value
        }
        while offset < bytes.count {
            let sensorNo = try read(Int64.self)
            let flags = try read(UInt8.self)
            let total = Double(bitPattern: try read(UInt64.self))
            var ints = [0, 0, 0, 0]
            for i in 0..<4 {
                if flags & wide != 0 {
                    guard let value = Int(exactly: try read(Int64.self)) else {
                        throw CoordinatorError(.storage, "A packed series value does not fit an Int; the store is damaged.")
                    }
                    ints[i] = value
                } else {
                    ints[i] = Int(try read(Int32.self))
                }
            }
            try body(Entry(sensorNo: sensorNo, total: flags & hasTotal != 0 ? total : nil, covered: ints[0], expected: ints[1],
                           uptime: ints[2], validHours: ints[3]))
        }
    }
}

extension SQLiteCoordinatorStore {
    /// The schema of the packed series; the backfill of existing rows runs at open (``packExistingCells(_:)``).
    static let seriesMigrationSQL = """
        -- Issue 17: a number per sensor, and one packed row per current sensor cell (see PackedCell).
        CREATE TABLE series_sensors (
            sensor_no INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL, measure TEXT NOT NULL, town_id TEXT NOT NULL,
            zone_id TEXT NOT NULL, sensor TEXT NOT NULL, vendor_kind TEXT NOT NULL,
            UNIQUE (tenant_id, measure, town_id, zone_id, sensor, vendor_kind)) STRICT;
        CREATE TABLE series_cells (
            tenant_id TEXT NOT NULL, measure TEXT NOT NULL, day INTEGER NOT NULL, town_id TEXT NOT NULL, zone_id TEXT NOT NULL,
            submission_row INTEGER NOT NULL, sensors BLOB NOT NULL,
            PRIMARY KEY (tenant_id, measure, day, town_id, zone_id)) STRICT, WITHOUT ROWID;
        -- Present until the cells of the rows stored before this migration are packed (at the next open).
        CREATE TABLE series_backfill (pending INTEGER PRIMARY KEY) STRICT;
        INSERT INTO series_backfill VALUES (1);
        """

    private static let sensorNoInsertSQL = """
        INSERT INTO series_sensors (tenant_id, measure, town_id, zone_id, sensor, vendor_kind) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT DO NOTHING
        """
    private static let sensorNoSQL = """
        SELECT sensor_no FROM series_sensors
        WHERE tenant_id = ? AND measure = ? AND town_id = ? AND zone_id = ? AND sensor = ? AND vendor_kind = ?
        """
    private static let cellSQL = """
        INSERT INTO series_cells (tenant_id, measure, day, town_id, zone_id, submission_row, sensors) VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT DO UPDATE SET submission_row = excluded.submission_row, sensors = excluded.sensors
        WHERE excluded.submission_row > series_cells.submission_row
        """

    /// Writes a stored submission's sensor cells (inside the commit's transaction).
    static func packCells(_ rows: PayloadRows, row: Int64, tenant: String, town: String, box: ConnectionBox) throws {
        struct SensorKey: Hashable {
            var measure, zone, sensor, vendorKind: String
        }
        var numbers: [SensorKey: Int64] = [:]
        func number(_ key: SensorKey) throws -> Int64 {
            if let known = numbers[key] { return known }
            let values: [SQLValue] = [.text(tenant), .text(key.measure), .text(town), .text(key.zone), .text(key.sensor), .text(key.vendorKind)]
            try box.run(sensorNoInsertSQL, values)
            guard let no = try box.rows(sensorNoSQL, values).first.map({ try $0.int64(0) }) else {
                throw CoordinatorError(.storage, "The sensor number just stored for \(key.sensor) is missing.")
            }
            numbers[key] = no
            return no
        }
        var cells: [PayloadRows.Cell: [PackedCell.Entry]] = [:]
        for cell in rows.cells where !cell.measure.isEmpty { cells[cell] = [] }
        for r in rows.sensorDays {
            let no = try number(SensorKey(measure: r.measure, zone: r.zoneID, sensor: r.sensor, vendorKind: r.vendorKind))
            cells[PayloadRows.Cell(zone: r.zoneID, day: r.day, measure: r.measure), default: []].append(
                PackedCell.Entry(sensorNo: no, total: r.total, covered: r.coveredMinutes, expected: r.expectedMinutes,
                                 uptime: r.uptimeMinutes, validHours: r.validHours))
        }
        for (cell, entries) in cells {
            try box.run(cellSQL, [.text(tenant), .text(cell.measure), .int(cell.day), .text(town), .text(cell.zone), .integer(row),
                                  .blob(PackedCell.encode(entries))])
        }
    }

    /// Packs the current cells of rows stored before the series existed, once, in one transaction.
    static func packExistingCells(_ connection: Connection) throws {
        let box = ConnectionBox(connection)
        guard !(try box.rows("SELECT pending FROM series_backfill")).isEmpty else { return }
        try connection.transaction {
            try box.run("""
                INSERT INTO series_sensors (tenant_id, measure, town_id, zone_id, sensor, vendor_kind)
                SELECT DISTINCT tenant_id, measure, town_id, zone_id, sensor, vendor_kind FROM sensor_days WHERE true
                ON CONFLICT DO NOTHING
                """)
            let select = try box.statement("""
                SELECT c.tenant_id, c.measure, c.day, c.town_id, c.zone_id, c.submission_row, d.sensor_no,
                    s.total, s.covered, s.expected, s.uptime, s.valid_hours
                FROM current_cells c
                JOIN zone_days z ON z.submission_row = c.submission_row AND z.zone_id = c.zone_id AND z.day = c.day
                LEFT JOIN sensor_days s ON s.submission_row = c.submission_row AND s.zone_id = c.zone_id AND s.day = c.day
                    AND s.measure = c.measure
                LEFT JOIN series_sensors d ON d.tenant_id = c.tenant_id AND d.measure = c.measure AND d.town_id = c.town_id
                    AND d.zone_id = s.zone_id AND d.sensor = s.sensor AND d.vendor_kind = s.vendor_kind
                WHERE c.measure <> ''
                ORDER BY c.tenant_id, c.measure, c.day, c.town_id, c.zone_id
                """)
            struct CellKey: Equatable {
                var tenant, measure: String
                var day: Int64
                var town, zone: String
                var row: Int64
            }
            var current: CellKey?
            var entries: [PackedCell.Entry] = []
            func flush() throws {
                guard let key = current else { return }
                try box.run(cellSQL, [.text(key.tenant), .text(key.measure), .integer(key.day), .text(key.town), .text(key.zone),
                                      .integer(key.row), .blob(PackedCell.encode(entries))])
                entries.removeAll(keepingCapacity: true)
            }
            while try select.step() {
                let key = CellKey(tenant: select.string(at: 0), measure: select.string(at: 1), day: select.int64(at: 2),
                                  town: select.string(at: 3), zone: select.string(at: 4), row: select.int64(at: 5))
                if key != current {
                    try flush()
                    current = key
                }
                guard !select.isNull(at: 6) else { continue }  // a cell without sensors
                func int(_ column: Int32) throws -> Int {
                    guard let value = Int(exactly: select.int64(at: column)) else {
                        throw CoordinatorError(.storage, "A stored sensor day's column \(column) does not fit an Int; the store is damaged.")
                    }
                    return value
                }
                entries.append(PackedCell.Entry(sensorNo: select.int64(at: 6), total: select.isNull(at: 7) ? nil : select.double(at: 7),
                                                covered: try int(8), expected: try int(9), uptime: try int(10), validHours: try int(11)))
            }
            try select.reset()
            try flush()
            try box.run("DELETE FROM series_backfill")
        }
    }

    /// The network read from the packed series: one snapshot with the log head.
    public func networkSeries(measure: String, days: ClosedRange<Int>, conversionDays: ClosedRange<Int>, _ scope: TenantScope) throws
        -> NetworkSeries {
        try read("reading network series") { box in
            try box.connection.read {
                let frontier = try Self.frontier(scope.tenantID, box)
                var builder = SeriesBuilder(days: DayNumber(days.lowerBound)...DayNumber(days.upperBound))
                // The tenant's sensors of this measure, resolved once each (a few per town).
                var handles: [Int64: SeriesBuilder.Handle] = [:]
                let sensors = try box.statement("""
                    SELECT sensor_no, town_id, zone_id, sensor, vendor_kind FROM series_sensors WHERE tenant_id = ? AND measure = ?
                    """)
                try sensors.bind([.text(scope.tenantID), .text(measure)])
                while try sensors.step() {
                    handles[sensors.int64(at: 0)] = builder.sensor(town: sensors.string(at: 1), zone: sensors.string(at: 2),
                                                                    sensor: sensors.string(at: 3), vendorKind: sensors.string(at: 4))
                }
                try sensors.reset()
                let cells = try box.statement("""
                    SELECT day, sensors FROM series_cells WHERE tenant_id = ? AND measure = ? AND day BETWEEN ? AND ?
                    """)
                try cells.bind([.text(scope.tenantID), .text(measure), .int(days.lowerBound), .int(days.upperBound)])
                while try cells.step() {
                    guard let day = Int(exactly: cells.int64(at: 0)) else {
                        throw CoordinatorError(.storage, "A packed series cell's day does not fit an Int; the store is damaged.")
                    }
                    try cells.withBlob(at: 1) { bytes in
                        try PackedCell.decode(bytes) { e in
                            guard let handle = handles[e.sensorNo] else {
                                throw CoordinatorError(.storage, "A packed series cell names sensor \(e.sensorNo), which is not stored; the store is damaged.")
                            }
                            builder.add(handle, day: day, total: e.total, covered: e.covered, expected: e.expected, uptime: e.uptime,
                                        validHours: e.validHours)
                        }
                    }
                }
                try cells.reset()
                // Only zone days with events: the computation uses no other (and most days have none).
                let events = try box.rows("""
                    SELECT z.town_id, z.zone_id, z.zone_kind, z.day, z.public_holiday, z.school_holiday, z.events
                    FROM current_cells c JOIN zone_days z ON z.submission_row = c.submission_row AND z.zone_id = c.zone_id AND z.day = c.day
                    WHERE c.tenant_id = ? AND c.measure = '' AND c.day BETWEEN ? AND ? AND z.events <> '[]'
                    ORDER BY z.town_id, z.zone_id, z.day
                    """, [.text(scope.tenantID), .int(days.lowerBound), .int(days.upperBound)]).map { row in
                    ZoneDayRow(townID: try row.string(0), zoneID: try row.string(1), zoneKind: try row.string(2), day: try row.int(3),
                               publicHoliday: try row.int(4) != 0, schoolHoliday: try row.int(5) != 0,
                               events: try StoredValue.events(row.string(6), "zone_days.events"))
                }
                return NetworkSeries(head: LogHead(size: frontier.size, rootHash: frontier.rootHash),
                                     days: builder.days, towns: try builder.build(), eventDays: events,
                                     conversions: try Self.conversionDays(days: conversionDays, scope, box))
            }
        }
    }
}
