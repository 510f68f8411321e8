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
        INSERT INTO series_cells (tenant_id, measure, day, town_id, zone_id, submission_row, sensors)
        VALUES (?, ?, ?, ?, ?, ?, coalesce(?, x''))
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
    public func networkSeries(measure: String, days: ClosedRange<Int>, values: [ClosedRange<Int>]?, conversionDays: ClosedRange<Int>,
                              _ scope: TenantScope) throws -> NetworkSeries {
        try read("reading network series") { box in
            try box.connection.read {
                let frontier = try Self.frontier(scope.tenantID, box)
                // The tenant's sensors of this measure, resolved once each (a few per town).
                var sensors: [(no: Int64, town: String, zone: String, sensor: String, vendorKind: String)] = []
                let list = try box.statement("""
                    SELECT sensor_no, town_id, zone_id, sensor, vendor_kind FROM series_sensors WHERE tenant_id = ? AND measure = ?
                    """)
                try list.bind([.text(scope.tenantID), .text(measure)])
                while try list.step() {
                    sensors.append((list.int64(at: 0), list.string(at: 1), list.string(at: 2), list.string(at: 3), list.string(at: 4)))
                }
                try list.reset()
                var reader = PackedSeriesReader(days: DayNumber(days.lowerBound)...DayNumber(days.upperBound), sensors: sensors)
                let cells = try box.statement("""
                    SELECT day, sensors FROM series_cells WHERE tenant_id = ? AND measure = ? AND day BETWEEN ? AND ?
                    """)
                let ranges = (values ?? [days]).compactMap { r -> ClosedRange<Int>? in
                    let low = max(r.lowerBound, days.lowerBound), high = min(r.upperBound, days.upperBound)
                    return low <= high ? low...high : nil
                }
                for range in ranges {
                    try cells.bind([.text(scope.tenantID), .text(measure), .int(range.lowerBound), .int(range.upperBound)])
                    while try cells.step() {
                        guard let day = Int(exactly: cells.int64(at: 0)) else {
                            throw CoordinatorError(.storage, "A packed series cell's day does not fit an Int; the store is damaged.")
                        }
                        try cells.withBlob(at: 1) { try reader.add(day: day, $0) }
                    }
                    try cells.reset()
                }
                // The days between: only which towns have a sensor there (the rows would list them).
                if values != nil {
                    let towns = try box.statement("""
                        SELECT DISTINCT town_id FROM series_cells
                        WHERE tenant_id = ? AND measure = ? AND day BETWEEN ? AND ? AND length(sensors) > 0
                        """)
                    var from = days.lowerBound
                    for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) + [(days.upperBound + 1)...(days.upperBound + 1)] {
                        if from < range.lowerBound {
                            try towns.bind([.text(scope.tenantID), .text(measure), .int(from), .int(range.lowerBound - 1)])
                            while try towns.step() { reader.list(town: towns.string(at: 0)) }
                            try towns.reset()
                        }
                        from = max(from, range.upperBound + 1)
                    }
                }
                // Only zone days with events or a holiday: the computation uses no other (and most days
                // have none).
                let events = try box.rows("""
                    SELECT z.town_id, z.zone_id, z.zone_kind, z.day, z.public_holiday, z.school_holiday, z.events
                    FROM current_cells c JOIN zone_days z ON z.submission_row = c.submission_row AND z.zone_id = c.zone_id AND z.day = c.day
                    WHERE c.tenant_id = ? AND c.measure = '' AND c.day BETWEEN ? AND ? AND (z.events <> '[]' OR z.school_holiday <> 0 OR z.public_holiday <> 0)
                    ORDER BY z.town_id, z.zone_id, z.day
                    """, [.text(scope.tenantID), .int(days.lowerBound), .int(days.upperBound)]).map { row in
                    ZoneDayRow(townID: try row.string(0), zoneID: try row.string(1), zoneKind: try row.string(2), day: try row.int(3),
                               publicHoliday: try row.int(4) != 0, schoolHoliday: try row.int(5) != 0,
                               events: try StoredValue.events(row.string(6), "zone_days.events"))
                }
                return NetworkSeries(head: LogHead(size: frontier.size, rootHash: frontier.rootHash),
                                     days: reader.days, towns: try reader.build(), eventDays: events,
                                     conversions: try Self.conversionDays(days: conversionDays, scope, box),
                                     zoneHours: try Self.zoneHours(measure: DayShapeNetwork.measure,
                                                                   days: DayShapeNetwork.hourDays(days: days, conversionDays: conversionDays),
                                                                   scope, box),
                                     zoneLots: try Self.zoneLots(days: conversionDays, scope, box))
            }
        }
    }
}

/// Fills each town's panel straight from packed cells: one flat array of counts and validity for
/// every sensor of the tenant (rows of sensors absent from the loaded days are dropped at the end),
/// sensor numbers resolved through an array. Same rules as ``SeriesBuilder`` (and so as
/// ``NetworkIndicators/townPanel(_:days:)``); ``NetworkSeriesTests`` holds them equal.
struct PackedSeriesReader {
    private struct Slot {
        var town: Int32
        var row: Int32  // the town's key row in the flat arrays
        var kind: VendorKind
    }
    private struct Town {
        var id: String
        /// Has a sensor on a loaded day whose values were not read.
        var listed = false
        var keys: [(zone: String, sensor: String)] = []
        var keyIndex: [String: [String: Int]] = [:]
        var firstRow = 0
        var lastReported: Int?
    }
    let days: ClosedRange<DayNumber>
    private let dayCount: Int
    private var towns: [Town] = []
    private var townIndex: [String: Int] = [:]
    private var slots: [Slot] = []
    private var slotByNumber: [Int64: Int] = [:]
    private var direct: [Int32] = []
    private var directBase: Int64 = 0
    private var counts: [Double] = []
    private var validity: [Bool] = []
    private var present: [Bool] = []
    private var reported: [Bool] = []

    /// `sensors`: the tenant's (number, town, zone, sensor, vendor kind) of the measure.
    init(days: ClosedRange<DayNumber>, sensors: [(no: Int64, town: String, zone: String, sensor: String, vendorKind: String)]) {
        self.days = days
        dayCount = days.upperBound.rawValue - days.lowerBound.rawValue + 1
        var kinds: [String: VendorKind] = [:]
        var rowsPerTown: [Int] = []
        var pending: [(no: Int64, town: Int, key: Int, kind: VendorKind)] = []
        for s in sensors {
            let t: Int
            if let known = townIndex[s.town] { t = known } else {
                t = towns.count
                townIndex[s.town] = t
                towns.append(Town(id: s.town))
                rowsPerTown.append(0)
            }
            let k: Int
            if let known = towns[t].keyIndex[s.zone]?[s.sensor] { k = known } else {
                k = towns[t].keys.count
                towns[t].keyIndex[s.zone, default: [:]][s.sensor] = k
                towns[t].keys.append((s.zone, s.sensor))
                rowsPerTown[t] += 1
            }
            let kind: VendorKind
            if let known = kinds[s.vendorKind] { kind = known } else {
                kind = VendorKind(rawValue: s.vendorKind) ?? VendorKind(vendor: s.vendorKind)
                kinds[s.vendorKind] = kind
            }
            pending.append((s.no, t, k, kind))
        }
        var next = 0
        for t in towns.indices {
            towns[t].firstRow = next
            next += rowsPerTown[t]
        }
        for p in pending {
            slotByNumber[p.no] = slots.count
            slots.append(Slot(town: Int32(truncatingIfNeeded: p.town), row: Int32(truncatingIfNeeded: towns[p.town].firstRow + p.key),
                              kind: p.kind))
        }
        // Sensor numbers are a table's row ids: usually dense, then an array resolves them.
        if let low = sensors.map(\.no).min(), let high = sensors.map(\.no).max(), high - low < Int64(4 * sensors.count + 1024) {
            directBase = low
            direct = [Int32](repeating: -1, count: Int(high - low) + 1)
            for (no, slot) in slotByNumber { direct[Int(no - low)] = Int32(truncatingIfNeeded: slot) }
        }
        counts = [Double](repeating: 0, count: next * dayCount)
        validity = [Bool](repeating: false, count: next * dayCount)
        present = [Bool](repeating: false, count: next)
        reported = [Bool](repeating: false, count: next)
    }

    private func slot(_ no: Int64) -> Int? {
        if !direct.isEmpty {
            let i = no &- directBase
            guard i >= 0, i < Int64(direct.count) else { return nil }
            let s = direct[Int(i)]
            return s < 0 ? nil : Int(s)
        }
        return slotByNumber[no]
    }

    /// One cell's blob (see ``PackedCell``) on `day`: parsed in place (this loop is most of the read).
    mutating func add(day: Int, _ bytes: UnsafeRawBufferPointer) throws {
        let offset = day - days.lowerBound.rawValue
        let inRange = offset >= 0 && offset < dayCount
        let damaged = CoordinatorError(.storage, "A packed series cell does not parse; the store is damaged. Restore it from a backup.")
        var at = 0
        while at < bytes.count {
            guard at + 17 <= bytes.count else { throw damaged }
            let no = Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: Int64.self))
            let flags = bytes[at + 8]
            let total = Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at + 9, as: UInt64.self)))
            at += 17
            var covered = 0, expected = 0, uptime = 0, validHours = 0
            if flags & PackedCell.wide == 0 {
                guard at + 16 <= bytes.count else { throw damaged }
                covered = Int(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: Int32.self)))
                expected = Int(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: at + 4, as: Int32.self)))
                uptime = Int(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: at + 8, as: Int32.self)))
                validHours = Int(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: at + 12, as: Int32.self)))
                at += 16
            } else {
                guard at + 32 <= bytes.count else { throw damaged }
                func wide(_ i: Int) throws -> Int {
                    guard let value = Int(exactly: Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: at + 8 * i, as: Int64.self))) else {
                        throw damaged
                    }
                    return value
                }
                covered = try wide(0)
                expected = try wide(1)
                uptime = try wide(2)
                validHours = try wide(3)
                at += 32
            }
            guard let s = slot(no) else {
                throw CoordinatorError(.storage, "A packed series cell names sensor \(no), which is not stored; the store is damaged.")
            }
            let slot = slots[s]
            let row = Int(slot.row)
            present[row] = true
            guard flags & PackedCell.hasTotal != 0 else { continue }
            reported[row] = true
            let t = Int(slot.town)
            towns[t].lastReported = max(towns[t].lastReported ?? day, day)
            guard inRange, AggregateLimits.countProblem(total, bound: AggregateLimits.maximumSensorDayCount) == nil else { continue }
            let coverage = SensorDayCoverage(coveredMinutes: Double(covered), uptimeMinutes: Double(uptime), validHours: validHours,
                                             expectedMinutes: expected)
            counts[row * dayCount + offset] = total
            validity[row * dayCount + offset] = ValidityRule.v1.isValid(coverage, vendorKind: slot.kind)
        }
    }

    /// Lists `town` (as having data) even if no values of it were read.
    mutating func list(town id: String) {
        if let t = townIndex[id] { towns[t].listed = true }
    }

    func build() throws -> [String: TownSeries] {
        var out: [String: TownSeries] = [:]
        for town in towns {
            let rows = town.keys.indices.filter { present[town.firstRow + $0] }
            guard !rows.isEmpty || town.listed else { continue }
            let order = rows.sorted { (town.keys[$0].zone, town.keys[$0].sensor) < (town.keys[$1].zone, town.keys[$1].sensor) }
            var townCounts: [Double] = []
            var townValidity: [Bool] = []
            townCounts.reserveCapacity(order.count * dayCount)
            townValidity.reserveCapacity(order.count * dayCount)
            for k in order {
                let start = (town.firstRow + k) * dayCount
                townCounts.append(contentsOf: counts[start..<(start + dayCount)])
                townValidity.append(contentsOf: validity[start..<(start + dayCount)])
            }
            let panel = try DailyPanel(firstDay: days.lowerBound, dayCount: dayCount, sensorCount: order.count, counts: townCounts,
                                       validity: townValidity)
            let names = Set(town.keys.indices.filter { reported[town.firstRow + $0] }.map { town.keys[$0].sensor })
            out[town.id] = TownSeries(panel: panel, sensors: order.map { town.keys[$0] },
                                      lastReportedDay: town.lastReported.map(DayNumber.init), reportingSensors: names.count)
        }
        return out
    }
}
