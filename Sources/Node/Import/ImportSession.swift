import Foundation
internal import Indicators
internal import Storage

/// The input formats `townbench-node import` reads (documented in README, "Data formats").
public enum ImportFormat: String, CaseIterable, Sendable {
    case counts, telraam, spending, events
    case schoolHolidays = "school-holidays"
    case openingHours = "opening-hours"
    // Issue 19: parking occupancy, visitor origin, dwell time (ParkingAndVisitorsImport.swift).
    case parking, parkingDatex = "parking-datex", visitorOrigin = "visitor-origin", dwellTime = "dwell-time"
    // Issue 18: calendars and weather are data (WeatherAndHolidaysImport.swift).
    case publicHolidays = "public-holidays", weather
}

/// What an import did, for the admin and for tests.
public struct ImportSummary: Sendable, Equatable, Codable {
    public var format: String
    public var file: String
    public var rowsRead = 0
    /// New rows stored.
    public var rowsInserted = 0
    /// Rows identical to stored ones (a re-import): nothing changed.
    public var rowsUnchanged = 0
    /// Rows that replaced a stored value (only with `--replace`).
    public var rowsReplaced = 0
    /// Rows refused and written to the rejects file (only with `--rejects`).
    public var rowsRejected: Int?
    /// What was detected about the file (separator, byte order mark, layout, sheet), in words.
    public var detected: String?
}

/// Options shared by every import.
public struct ImportOptions: Sendable {
    /// Overwrite stored rows whose values differ, instead of failing.
    public var replace = false
    /// Show progress on stderr (the CLI sets it only when stderr is a terminal).
    public var showsProgress = false
    /// Longest CSV line accepted.
    public var maximumLineLength = 1 << 20
    /// The CSV separator (`--delimiter`); nil: decided from the header line.
    public var delimiter: UInt8?
    /// How numbers are written (`--decimal`, `--thousands`).
    public var numbers = NumberFormat()
    /// Long (one row per sensor and interval) or wide (a time column and one column per sensor);
    /// nil: decided from the header. Counts only.
    public var layout: TableLayout?
    /// Wide layout: the minutes each row covers (`--minutes`) and the measure (`--measure`;
    /// default from the sensors' kind).
    public var intervalMinutes: Int?
    public var measure: Measure?
    /// XLSX: the sheet to read (`--sheet`); nil: the first.
    public var sheet: String?
    /// Write refused rows here and import the rest (`--rejects`); nil: all or nothing.
    public var rejectsPath: String?
    public init(replace: Bool = false, showsProgress: Bool = false) {
        self.replace = replace
        self.showsProgress = showsProgress
    }
}

extension NodeStore {
    /// Imports one file, all or nothing: on any error the store is exactly as it was.
    public func importFile(_ path: String, format: ImportFormat, options: ImportOptions = .init()) throws -> ImportSummary {
        try InputFile.check(path)
        try options.check(path: path, format: format)
        var summary = ImportSummary(format: format.rawValue, file: (path as NSString).lastPathComponent)
        let rejects = try options.rejectsPath.map { try RejectsWriter(path: $0) }
        defer { rejects?.discard() }
        try db.transaction {
            try db.run("INSERT INTO imports (format, file, imported_at) VALUES (?, ?, datetime('now'))",
                       [.text(format.rawValue), .text(path)])
            let session = ImportSession(store: self, importID: db.lastInsertRowID, path: path, options: options)
            session.rejects = rejects
            switch format {
            case .counts: try CountsImporter(session: session).run(&summary)
            case .telraam: try TelraamImporter(session: session).run(&summary)
            case .spending: try SpendingImporter(session: session).run(&summary)
            case .events: try EventsImporter(session: session).run(&summary)
            case .schoolHolidays: try SchoolHolidaysImporter(session: session).run(&summary)
            case .openingHours: try OpeningHoursImporter(session: session).run(&summary)
            case .parking: try ParkingCSVImporter(session: session).run(&summary)
            case .parkingDatex: try ParkingDatexImporter(session: session).run(&summary)
            case .visitorOrigin: try VisitorOriginImporter(session: session).run(&summary)
            case .dwellTime: try DwellTimeImporter(session: session).run(&summary)
            case .publicHolidays: try PublicHolidaysImporter(session: session).run(&summary)
            case .weather: try WeatherImporter(session: session).run(&summary)
            }
            try session.flushSums()
            try db.run("UPDATE imports SET rows_read = ?, rows_inserted = ?, rows_unchanged = ?, rows_replaced = ? WHERE id = ?",
                       [.int(summary.rowsRead), .int(summary.rowsInserted), .int(summary.rowsUnchanged),
                        .int(summary.rowsReplaced), .integer(session.importID)])
            session.progress.finish()
            summary.detected = session.detected.isEmpty ? nil : session.detected.joined(separator: ", ")
            if let rejects { summary.rowsRejected = rejects.count }
        }
        try rejects?.commit()
        return summary
    }
}

/// A sensor as importers need it.
struct SensorRef {
    var id: Int64
    var name: String
    var kind: SensorKind
    var vendor: String
}

/// State shared by the importers during one import transaction: the import id, the town's
/// clock, the sensor catalogue and the running daily/hourly sums.
final class ImportSession {
    let store: NodeStore
    let importID: Int64
    let path: String
    let fileName: String
    let options: ImportOptions
    let clock: LocalClock
    let progress: ProgressReporter
    private(set) var sensorsByName: [String: SensorRef] = [:]
    private(set) var zonesByName: [String: Int64] = [:]
    /// Where refused rows go (`--rejects`); nil: the first bad row fails the import.
    var rejects: RejectsWriter?
    /// What was detected about the file, in words, for the summary.
    var detected: [String] = []
    /// How numbers are written: the options', with `.` for an XLSX file's number cells.
    lazy var numbers = options.numbers
    /// The input's separator, to quote a refused row in the rejects file as it was written.
    var rejectSeparator = UInt8(ascii: ",")

    init(store: NodeStore, importID: Int64, path: String, options: ImportOptions) {
        self.store = store
        self.importID = importID
        self.path = path
        self.fileName = (path as NSString).lastPathComponent
        self.options = options
        self.clock = LocalClock(timeZone: store.timeZone)
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? nil
        self.progress = ProgressReporter(label: "importing \((path as NSString).lastPathComponent)",
                                         totalBytes: size ?? 0, isEnabled: options.showsProgress)
    }

    var db: Connection { store.db }

    func loadCatalogue() throws {
        sensorsByName = [:]
        for row in try db.query("SELECT id, name, kind, vendor FROM sensors") {
            let name = try row.string(1)
            sensorsByName[name] = SensorRef(id: try row.int64(0), name: name,
                                            kind: SensorKind(rawValue: try row.string(2)) ?? .pedestrian,
                                            vendor: try row.string(3))
        }
        zonesByName = [:]
        for row in try db.query("SELECT id, name FROM zones") { zonesByName[try row.string(1)] = try row.int64(0) }
    }

    func location(line: Int, column: Int?) -> NodeError.Location {
        .init(file: fileName, line: line, column: column)
    }

    /// Resolves a written timestamp to an instant. Without an offset it is local time in the
    /// town's zone: a time in the skipped spring hour is an error; a time in the repeated autumn
    /// hour means its first occurrence (summer time), unless the same key was already seen in this
    /// file at that time, which then means the second occurrence (winter time). So a vendor file
    /// that lists the repeated hour twice, in order, imports correctly.
    func instant(of written: WrittenTimestamp, repeatKey: AmbiguityKey?, at location: NodeError.Location) throws -> Int64 {
        if let offset = written.offset { return written.naive - Int64(offset) }
        switch clock.resolve(naive: written.naive) {
        case .unique(let t): return t
        case .nonexistent:
            throw NodeError(.badInput, "this local time does not exist in \(store.settings.timeZone) (clocks go forward that night); write the timestamp with its UTC offset, or leave the row out (a vendor file that lists the skipped hour, often as zeros, imports with --rejects FILE setting those rows aside)", at: location)
        case .ambiguous(let first, let second):
            guard let repeatKey else { return first }
            if seenAmbiguous.insert(AmbiguityKey(sensor: repeatKey.sensor, naive: written.naive, measure: repeatKey.measure, direction: repeatKey.direction)).inserted {
                return first
            }
            return second
        }
    }
    struct AmbiguityKey: Hashable { var sensor: Int64; var naive: Int64; var measure: Int; var direction: Int }
    private var seenAmbiguous: Set<AmbiguityKey> = []

    private lazy var mixLookup = try? db.prepare("""
        SELECT direction, import_id FROM counts WHERE sensor_id = ? AND start = ? AND measure = ? AND (direction = 0) != (? = 0) LIMIT 1
        """)
    private lazy var formsLookup = try? db.prepare("""
        SELECT coalesce(max(direction = 0), 0), coalesce(max(direction != 0), 0) FROM daily WHERE sensor_id = ? AND measure = ?
        """)
    struct FormKey: Hashable { var sensor: Int64; var measure: Int }
    /// Per sensor and measure, the forms seen in the store or in this file: bit 0 the whole flow,
    /// bit 1 direction slices. Only where both occur can one interval hold both.
    private var forms: [FormKey: UInt8] = [:]

    /// Refuses a row that mixes the whole flow (no direction) with direction slices for the same
    /// sensor, interval start and measure: a sensor's total is the sum of its rows, so both would
    /// be counted twice. Call it after inserting the row (it looks for the other form). Costs one
    /// lookup per sensor and measure, plus one per row only where both forms occur.
    func checkDirectionMix(sensor: SensorRef, start: Int64, measure: Int, direction: Int, at location: NodeError.Location,
                           row: String? = nil) throws {
        guard let mixLookup, let formsLookup else {
            throw NodeError(.io, "cannot prepare the direction check; the store may be damaged")
        }
        let key = FormKey(sensor: sensor.id, measure: measure)
        var seen: UInt8
        if let known = forms[key] {
            seen = known
        } else {
            try formsLookup.bind([.integer(sensor.id), .int(measure)])
            seen = 0
            if try formsLookup.step() {
                seen = (formsLookup.int64(at: 0) != 0 ? 1 : 0) | (formsLookup.int64(at: 1) != 0 ? 2 : 0)
            }
            try formsLookup.reset()
        }
        seen |= direction == Direction.all.rawValue ? 1 : 2
        forms[key] = seen
        guard seen == 3 else { return }
        try mixLookup.bind([.integer(sensor.id), .integer(start), .int(measure), .int(direction)])
        defer { try? mixLookup.reset() }
        guard try mixLookup.step() else { return }
        let other = Direction(rawValue: Int(mixLookup.int64(at: 0))).map { $0 == .all ? "the whole flow (no direction)" : "direction '\($0)'" } ?? "another direction"
        let this = direction == Direction.all.rawValue ? "the whole flow (no direction)" : "direction '\(Direction(rawValue: direction).map(\.description) ?? "?")'"
        let source = mixLookup.int64(at: 1) == importID ? "this file" : "the store (an earlier import)"
        let measureName = Measure(rawValue: measure).map(\.description) ?? "\(measure)"
        throw NodeError(.badInput, "\(row.map { $0 + ": " } ?? "")sensor '\(sensor.name)', start \(clock.described(start)), measure \(measureName): this row is \(this) but \(source) has \(other) for the same interval; a sensor's total is the sum of its rows, so send either the whole flow or its direction slices, not both. Remove one form from the file\(source == "this file" ? "" : ", or import this interval in the form stored before")", at: location)
    }

    // MARK: Running sums

    struct DailyKey: Hashable { var sensor: Int64; var day: Int; var measure: Int; var direction: Int }
    struct DailySums { var total = 0.0; var validTotal = 0.0; var covered = 0; var uptimeMinutes = 0.0; var validHours = 0; var intervals = 0 }
    struct HourlyKey: Hashable { var sensor: Int64; var day: Int; var measure: Int; var hour: Int }
    private var daily: [DailyKey: DailySums] = [:]
    private var hourly: [HourlyKey: Double] = [:]
    /// Flush the running sums to the store beyond this many entries, keeping memory flat.
    private let flushThreshold = 100_000

    /// Adds (or, with `sign` -1, removes) one interval row's contribution to the daily and hourly sums.
    func accumulate(sensor: Int64, start: Int64, minutes: Int, measure: Int, direction: Int, count: Double,
                    uptime: Double?, sign: Double = 1, countsInterval: Bool = true) throws {
        let (day, hour) = clock.local(start)
        let dailyKey = DailyKey(sensor: sensor, day: day.rawValue, measure: measure, direction: direction)
        let s = Int(sign)
        daily[dailyKey, default: DailySums()].total += sign * count
        if (uptime ?? 1) >= ValidityRule.telraamHourMinimumUptime { daily[dailyKey]!.validTotal += sign * count }
        daily[dailyKey]!.covered += s * minutes
        daily[dailyKey]!.uptimeMinutes += sign * Double(minutes) * (uptime ?? 1)
        if let uptime, minutes == 60, uptime >= ValidityRule.telraamHourMinimumUptime { daily[dailyKey]!.validHours += s }
        if countsInterval { daily[dailyKey]!.intervals += s }
        if minutes <= 60 {
            hourly[HourlyKey(sensor: sensor, day: day.rawValue, measure: measure, hour: hour), default: 0] += sign * count
        }
        if daily.count + hourly.count > flushThreshold { try flushSums() }
    }

    private lazy var dailyUpsert = try? db.prepare("""
        INSERT INTO daily (sensor_id, day, measure, direction, total, covered_minutes, uptime_minutes, valid_hours, intervals, valid_total)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT DO UPDATE SET total = total + excluded.total, valid_total = valid_total + excluded.valid_total, covered_minutes = covered_minutes + excluded.covered_minutes,
            uptime_minutes = uptime_minutes + excluded.uptime_minutes, valid_hours = valid_hours + excluded.valid_hours,
            intervals = intervals + excluded.intervals
        """)
    private lazy var hourlyUpsert = try? db.prepare("""
        INSERT INTO hourly (sensor_id, day, measure, hour, total) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT DO UPDATE SET total = total + excluded.total
        """)

    /// Writes the running sums into the `daily` and `hourly` tables (adding to what is there).
    func flushSums() throws {
        guard !daily.isEmpty || !hourly.isEmpty else { return }
        guard let dailyUpsert, let hourlyUpsert else {
            throw NodeError(.io, "cannot prepare the daily sums statements; the store may be damaged")
        }
        for (key, sums) in daily.sorted(by: { ($0.key.sensor, $0.key.day, $0.key.measure, $0.key.direction) < ($1.key.sensor, $1.key.day, $1.key.measure, $1.key.direction) }) {
            try dailyUpsert.reset()
            try dailyUpsert.bind(key.sensor, at: 1)
            try dailyUpsert.bind(Int64(key.day), at: 2)
            try dailyUpsert.bind(Int64(key.measure), at: 3)
            try dailyUpsert.bind(Int64(key.direction), at: 4)
            try dailyUpsert.bind(sums.total, at: 5)
            try dailyUpsert.bind(Int64(sums.covered), at: 6)
            try dailyUpsert.bind(sums.uptimeMinutes, at: 7)
            try dailyUpsert.bind(Int64(sums.validHours), at: 8)
            try dailyUpsert.bind(Int64(sums.intervals), at: 9)
            try dailyUpsert.bind(sums.validTotal, at: 10)
            try dailyUpsert.step()
        }
        for (key, total) in hourly.sorted(by: { ($0.key.sensor, $0.key.day, $0.key.measure, $0.key.hour) < ($1.key.sensor, $1.key.day, $1.key.measure, $1.key.hour) }) {
            try hourlyUpsert.reset()
            try hourlyUpsert.bind(key.sensor, at: 1)
            try hourlyUpsert.bind(Int64(key.day), at: 2)
            try hourlyUpsert.bind(Int64(key.measure), at: 3)
            try hourlyUpsert.bind(Int64(key.hour), at: 4)
            try hourlyUpsert.bind(total, at: 5)
            try hourlyUpsert.step()
        }
        daily.removeAll(keepingCapacity: true)
        hourly.removeAll(keepingCapacity: true)
    }
}

/// Progress on stderr for long imports, only when stderr is a terminal, at most 4 times a second.
final class ProgressReporter {
    let label: String
    let totalBytes: Int64
    let isEnabled: Bool
    /// Bytes of the input read so far (set by the reader).
    var bytesRead: Int64 = 0
    private var lastPrint = Date.distantPast
    private var printed = false

    init(label: String, totalBytes: Int64, isEnabled: Bool) {
        self.label = label
        self.totalBytes = totalBytes
        self.isEnabled = isEnabled
    }

    func update(bytes: Int64, rows: Int) {
        guard isEnabled else { return }
        let now = Date()
        guard now.timeIntervalSince(lastPrint) >= 0.25 else { return }
        lastPrint = now
        printed = true
        let percent = totalBytes > 0 ? " \(min(100, bytes * 100 / totalBytes))%" : ""
        FileHandle.standardError.write(Data("\r\(label):\(percent) \(rows) rows".utf8))
    }

    func finish() {
        if printed { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
