internal import Federation
internal import Indicators
internal import Storage

/// Imports the `counts` CSV or XLSX: long (`sensor,start,minutes,measure,count[,direction]`) or
/// wide (a time column, then one column per declared sensor; `--minutes`, `--measure`).
///
/// The hot path: one streaming pass over bytes, one prepared INSERT per row (keys are small
/// integers), the daily and hourly sums kept in memory and flushed in sorted batches.
struct CountsImporter {
    let session: ImportSession

    static let longRequired = ["sensor", "start", "minutes", "measure", "count"]
    /// Names a wide file's time column may have (English and Dutch spreadsheet headers).
    static let timeColumnNames: Set<String> = ["start", "time", "timestamp", "datetime", "tijd", "tijdstip", "datum", "date"]

    func run(_ summary: inout ImportSummary) throws {
        try session.loadCatalogue()
        let writer = try CountsWriter(session: session)
        let measureNames = Measure.allCases.map { (Array($0.description.utf8), $0.rawValue) }
        let directionNames = Direction.allCases.map { (Array($0.description.utf8), $0.rawValue) }
        var header: CSVHeader?
        var wide: WideHeader?
        var lastSensorName: [UInt8] = []
        var lastSensor: SensorRef?

        try session.forEachRecord { record in
            let line = record.line
            let at = { (column: Int?) in session.location(line: line, column: column) }
            if header == nil && wide == nil {
                switch try layout(of: record, at: at) {
                case .long:
                    header = try CSVHeader(record, required: Self.longRequired, optional: ["direction"], at: at)
                    if !session.detected.isEmpty { session.detected.append("long layout") }
                case .wide:
                    let parsed = try WideHeader(record, session: session, at: at)
                    wide = parsed
                    session.detected.append("wide layout: time column '\(parsed.timeName)', \(parsed.sensors.count) sensor column(s), \(parsed.minutes) min, \(parsed.measureText)")
                }
                return
            }
            summary.rowsRead += 1
            if summary.rowsRead & 0x3FFF == 0 { session.progress.update(bytes: session.progress.bytesRead, rows: summary.rowsRead) }
            if let wide {
                return try importWide(record, wide, writer: writer, at: at, &summary)
            }
            guard let columns = header else { return }
            try session.row(record) {
                try columns.checkFieldCount(record, at: at)
                // sensor
                let sensorField = columns.required("sensor")
                let sensor: SensorRef = try record.withField(sensorField) { bytes in
                    if let lastSensor, bytes.equals(lastSensorName) { return lastSensor }
                    guard let name = String(validating: bytes, as: UTF8.self) else {
                        throw NodeError(.badInput, "the sensor is not valid UTF-8; save the file as UTF-8", at: at(record.column(sensorField)))
                    }
                    guard let found = session.sensorsByName[name] else {
                        throw NodeError(.badInput, "unknown sensor '\(name)'; declare it first with `townbench-node sensors import`", at: at(record.column(sensorField)))
                    }
                    lastSensorName = Array(bytes)
                    lastSensor = found
                    return found
                }
                // measure, direction
                let measureField = columns.required("measure")
                let measure: Int = try record.withField(measureField) { bytes in
                    guard let match = measureNames.first(where: { bytes.equals($0.0) }) else {
                        throw NodeError(.badInput, "unknown measure '\(String(decoding: bytes, as: UTF8.self))'; use one of: \(Measure.namesList)", at: at(record.column(measureField)))
                    }
                    return match.1
                }
                var direction = 0
                if let directionField = columns["direction"] {
                    direction = try record.withField(directionField) { bytes in
                        guard let match = directionNames.first(where: { bytes.equals($0.0) }) else {
                            throw NodeError(.badInput, "unknown direction '\(String(decoding: bytes, as: UTF8.self))'; use one of: \(Direction.namesList)", at: at(record.column(directionField)))
                        }
                        return match.1
                    }
                }
                // minutes, count
                let minutesField = columns.required("minutes")
                let minutes: Int64 = try record.withField(minutesField) { bytes in
                    guard let value = ByteNumber.nonNegativeInteger(bytes), value >= 1, value <= 1440 else {
                        throw NodeError(.badInput, "minutes '\(String(decoding: bytes, as: UTF8.self))' must be a whole number from 1 to 1440", at: at(record.column(minutesField)))
                    }
                    return value
                }
                let countField = columns.required("count")
                let count = try record.withField(countField) { try writer.count($0, at: at(record.column(countField))) }
                // start
                let startField = columns.required("start")
                let written: WrittenTimestamp = try record.withField(startField) { bytes in
                    switch parseTimestamp(bytes) {
                    case .success(let value): return value
                    case .failure(let error):
                        throw NodeError(.badInput, "start '\(String(decoding: bytes, as: UTF8.self))' \(error.reason)", at: at(record.column(startField)))
                    }
                }
                let start = try session.instant(of: written, repeatKey: .init(sensor: sensor.id, naive: 0, measure: measure, direction: direction),
                                                at: at(record.column(startField)))
                try writer.store(sensor: sensor, start: start, minutes: minutes, measure: measure, direction: direction, count: count,
                                 at: at, sensorColumn: record.column(sensorField), countColumn: record.column(countField),
                                 directionColumn: columns["direction"].map { record.column($0) }, &summary)
            }
        }
        if header == nil && wide == nil {
            throw NodeError(.badInput, "the file is empty: expected a header line `sensor,start,minutes,measure,count[,direction]` (long) or a time column and one column per sensor (wide)",
                            at: session.location(line: 1, column: nil))
        }
    }

    /// The layout the admin chose, or the one the header shows: long when it names the long
    /// columns, wide when its first column is a time and the others are declared sensors.
    private func layout(of record: CSVReader.Record, at: (Int?) -> NodeError.Location) throws -> TableLayout {
        if let chosen = session.options.layout { return chosen }
        let names = (0..<record.count).map { (record.string($0) ?? "").trimmingSpaces }
        if names.contains(where: { $0.lowercased() == "sensor" }) { return .long }
        if let first = names.first, Self.timeColumnNames.contains(first.lowercased()), names.count > 1,
           names.dropFirst().allSatisfy({ session.sensorsByName[$0] != nil }) {
            return .wide
        }
        throw NodeError(.badInput, "the header is neither the long layout `sensor,start,minutes,measure,count[,direction]` nor a wide one (a time column named start, time, tijdstip or datum, then one column per declared sensor). Fix the header, or pass --layout long|wide to get the exact problem", at: at(1))
    }

    /// One line of a wide file: every non-empty sensor cell is a count row. An empty cell is a
    /// missing reading (nothing is stored), never a zero.
    private func importWide(_ record: CSVReader.Record, _ wide: WideHeader, writer: CountsWriter, at: @escaping (Int?) -> NodeError.Location,
                            _ summary: inout ImportSummary) throws {
        var written: WrittenTimestamp?
        try session.row(record) {
            guard record.count <= wide.fieldCount else {
                throw NodeError(.badInput, "expected \(wide.fieldCount) fields as in the header, found \(record.count)", at: at(nil))
            }
            let parsed = try record.withField(0) { bytes in
                switch parseTimestamp(bytes) {
                case .success(let value): return value
                case .failure(let error):
                    throw NodeError(.badInput, "\(wide.timeName) '\(String(decoding: bytes, as: UTF8.self))' \(error.reason)", at: at(record.column(0)))
                }
            }
            // A local time that does not exist (the spring DST night) refuses the line once, not
            // once per cell; a repeated autumn hour is still resolved per sensor below.
            _ = try session.instant(of: parsed, repeatKey: nil, at: at(record.column(0)))
            written = parsed
        }
        guard let written else { return }
        for (index, sensor) in wide.sensors where index < record.count && !record.isEmpty(index) {
            let column = record.column(index)
            try session.row(record, column: column) {
                let measure = try wide.measure ?? WideHeader.defaultMeasure(for: sensor, at: at(column))
                let count = try record.withField(index) { try writer.count($0, at: at(column)) }
                let start = try session.instant(of: written, repeatKey: .init(sensor: sensor.id, naive: 0, measure: measure.rawValue, direction: 0),
                                                at: at(record.column(0)))
                try writer.store(sensor: sensor, start: start, minutes: Int64(wide.minutes), measure: measure.rawValue, direction: 0,
                                 count: count, at: at, sensorColumn: column, countColumn: column, directionColumn: nil, &summary)
            }
        }
    }
}

/// A wide counts header: the time column first, then one declared sensor per column.
struct WideHeader {
    var timeName: String
    var sensors: [(Int, SensorRef)] = []
    var fieldCount: Int
    var minutes: Int
    var measure: Measure?

    var measureText: String { measure.map { "measure \($0)" } ?? "measure from each sensor's kind" }

    init(_ record: CSVReader.Record, session: ImportSession, at: (Int?) -> NodeError.Location) throws {
        fieldCount = record.count
        timeName = (record.string(0) ?? "").trimmingSpaces
        guard CountsImporter.timeColumnNames.contains(timeName.lowercased()) else {
            throw NodeError(.badInput, "a wide file's first column is its time, named one of \(CountsImporter.timeColumnNames.sorted().joined(separator: ", ")); found '\(timeName)'", at: at(record.column(0)))
        }
        var seen: Set<String> = []
        for i in 1..<max(1, record.count) {
            guard let name = record.string(i)?.trimmingSpaces else {
                throw NodeError(.badInput, "the header is not valid UTF-8; save the file as UTF-8", at: at(record.column(i)))
            }
            guard let sensor = session.sensorsByName[name] else {
                throw NodeError(.badInput, "column '\(name)' is not a declared sensor: in a wide file every column after the time is a sensor; declare it with `townbench-node sensors import` or remove the column", at: at(record.column(i)))
            }
            guard seen.insert(name).inserted else {
                throw NodeError(.badInput, "sensor column '\(name)' appears twice", at: at(record.column(i)))
            }
            sensors.append((i, sensor))
        }
        guard !sensors.isEmpty else {
            throw NodeError(.badInput, "a wide file needs at least one sensor column after the time column", at: at(nil))
        }
        guard let minutes = session.options.intervalMinutes else {
            throw NodeError(.invalidArgument, "a wide file has no minutes column: pass --minutes N, the interval each line covers (e.g. 15 or 60)")
        }
        self.minutes = minutes
        measure = session.options.measure
    }

    /// The measure a sensor's kind implies when `--measure` is not given.
    static func defaultMeasure(for sensor: SensorRef, at location: NodeError.Location) throws -> Measure {
        switch sensor.kind {
        case .pedestrian: return .pedestrians
        case .entries: return .entries
        default:
            throw NodeError(.badInput, "sensor '\(sensor.name)' is a \(sensor.kind.rawValue) sensor, which counts several measures: pass --measure (one of \(Measure.namesList))", at: location)
        }
    }
}

/// Stores count rows for both layouts: insert, or compare with and replace a stored row.
final class CountsWriter {
    let session: ImportSession
    let insert, lookup, update: Statement

    init(session: ImportSession) throws {
        self.session = session
        let db = session.db
        insert = try db.prepare("""
            INSERT INTO counts (sensor_id, start, measure, direction, minutes, count, uptime, import_id)
            VALUES (?, ?, ?, ?, ?, ?, NULL, ?) ON CONFLICT DO NOTHING
            """)
        lookup = try db.prepare("SELECT minutes, count, import_id FROM counts WHERE sensor_id = ? AND start = ? AND measure = ? AND direction = ?")
        update = try db.prepare("UPDATE counts SET minutes = ?, count = ?, uptime = NULL, import_id = ? WHERE sensor_id = ? AND start = ? AND measure = ? AND direction = ?")
    }

    /// A count: a whole number, plain digits on the fast path, else as `--decimal`/`--thousands` say.
    func count(_ bytes: UnsafeBufferPointer<UInt8>, at location: @autoclosure () -> NodeError.Location) throws -> Int64 {
        let limit = Int(AggregateLimits.maximumSensorDayCount)
        var text: Substring { String(decoding: bytes, as: UTF8.self).prefix(40) }
        let value: Int64
        if let plain = ByteNumber.nonNegativeInteger(bytes) {
            value = plain
        } else {
            switch session.numbers.scaled(bytes, maxDecimals: 0) {
            case .success(let parsed): value = parsed
            case .failure(let problem):
                // Only a number with a mark or separator gets the number format's reason.
                let written = bytes.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "'") }
                let reason = written ? "\(problem.reason) (it must be a whole number from 0 to \(limit))"
                    : "must be a whole number from 0 to \(limit) (the most a sensor can count in a day)"
                throw NodeError(.badInput, "count '\(text)' \(reason)", at: location())
            }
        }
        guard Double(value) <= AggregateLimits.maximumSensorDayCount else {
            throw NodeError(.badInput, "count '\(text)' must be a whole number from 0 to \(limit) (the most a sensor can count in a day)", at: location())
        }
        return value
    }

    func store(sensor: SensorRef, start: Int64, minutes: Int64, measure: Int, direction: Int, count: Int64,
               at: (Int?) -> NodeError.Location, sensorColumn: Int, countColumn: Int, directionColumn: Int?,
               _ summary: inout ImportSummary) throws {
        let db = session.db
        try insert.reset()
        try insert.bind(sensor.id, at: 1)
        try insert.bind(start, at: 2)
        try insert.bind(Int64(measure), at: 3)
        try insert.bind(Int64(direction), at: 4)
        try insert.bind(minutes, at: 5)
        try insert.bind(Double(count), at: 6)
        try insert.bind(session.importID, at: 7)
        try insert.step()
        if db.changes == 1 {
            try session.checkDirectionMix(sensor: sensor, start: start, measure: measure, direction: direction,
                                          at: at(directionColumn))
            summary.rowsInserted += 1
            try session.accumulate(sensor: sensor.id, start: start, minutes: Int(minutes), measure: measure,
                                   direction: direction, count: Double(count), uptime: nil)
            return
        }
        let measureName = Measure(rawValue: measure).map(\.description) ?? "\(measure)"
        // The key is stored already: the same row again, a duplicate in this file, or a conflict.
        try lookup.bind([.integer(sensor.id), .integer(start), .int(measure), .int(direction)])
        guard try lookup.step() else { throw NodeError(.io, "a stored row vanished during the import; retry") }
        let (oldMinutes, oldCount, oldImport) = (lookup.int64(at: 0), lookup.double(at: 1), lookup.int64(at: 2))
        try lookup.reset()
        if oldImport == session.importID {
            throw NodeError(.badInput, "duplicate row: sensor '\(sensor.name)', start \(session.clock.described(start)), measure \(measureName) already appeared earlier in this file", at: at(sensorColumn))
        }
        if oldMinutes == minutes && oldCount == Double(count) {
            summary.rowsUnchanged += 1
            return
        }
        guard session.options.replace else {
            throw NodeError(.conflict, "sensor '\(sensor.name)', start \(session.clock.described(start)), measure \(measureName): this file says \(count) over \(minutes) min, the store has \(oldCount.compact) over \(oldMinutes) min from an earlier import. Use --replace to overwrite stored values", at: at(countColumn))
        }
        try update.bind([.integer(minutes), .real(Double(count)), .integer(session.importID), .integer(sensor.id),
                         .integer(start), .int(measure), .int(direction)])
        try update.step()
        try session.accumulate(sensor: sensor.id, start: start, minutes: Int(oldMinutes), measure: measure,
                               direction: direction, count: oldCount, uptime: nil, sign: -1)
        try session.accumulate(sensor: sensor.id, start: start, minutes: Int(minutes), measure: measure,
                               direction: direction, count: Double(count), uptime: nil)
        summary.rowsReplaced += 1
    }
}

extension Int64 {
    /// The instant as `YYYY-MM-DDThh:mm:ssZ`, for messages.
    var utcString: String {
        let day = self >= 0 ? self / 86_400 : (self - 86_399) / 86_400
        let seconds = self - day * 86_400
        func pad(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(Indicators.DayNumber(Int(day)))T\(pad(seconds / 3600)):\(pad(seconds / 60 % 60)):\(pad(seconds % 60))Z"
    }
}

extension Double {
    /// The number without a trailing `.0` when it is whole, for messages.
    var compact: String {
        self == rounded() && abs(self) < 1e15 ? String(Int64(self)) : String(self)
    }
}
