import Foundation
internal import Federation
internal import Storage

/// Imports the JSON that Telraam's `POST /v1/reports/traffic` returns: `{"report": [ … ]}` with
/// one object per segment and hour.
///
/// Telraam's counts are floats already scaled up for the camera's downtime (count × uptime is
/// what the camera saw), so they are stored as given, with the row's `uptime` kept beside them for
/// the per-vendor validity rule (a Telraam hour is valid at uptime ≥ 0.5: the camera sees only daylight, typically 70–75 % of the time). A row's `segment_id` names the sensor: the sensor
/// whose id is `telraam-<segment_id>` or just `<segment_id>`. Directional splits (`_lft`, `_rgt`)
/// are stored when both are present (their sum is the total); otherwise the total is.
struct TelraamImporter {
    let session: ImportSession
    /// Larger files are refused: Telraam returns at most 3 months per call (about 2,200 rows a segment).
    static let maximumFileSize = 256 << 20

    private static let modes: [(field: String, measure: Measure)] = [
        ("pedestrian", .pedestrians), ("bike", .bikes), ("car", .cars), ("heavy", .heavy),
    ]

    func run(_ summary: inout ImportSummary) throws {
        try session.loadCatalogue()
        let fileAt = session.location(line: 1, column: nil)
        let data = try InputFile.read(session.path, limit: Self.maximumFileSize) { size in
            NodeError(.badInput, "the file is \(size >> 20) MiB; a Telraam report is at most a few MiB. Split the request into periods of at most 3 months", at: fileAt)
        }
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: data) } catch {
            throw NodeError(.badInput, "not valid JSON: \(Self.position(of: error, in: data)). Save the API response unchanged", at: fileAt)
        }
        guard let root = json as? [String: Any], let report = root["report"] as? [Any] else {
            throw NodeError(.badInput, "expected a Telraam traffic report: an object with a \"report\" array", at: fileAt)
        }
        let db = session.db
        let insert = try db.prepare("""
            INSERT INTO counts (sensor_id, start, measure, direction, minutes, count, uptime, import_id)
            VALUES (?, ?, ?, ?, 60, ?, ?, ?) ON CONFLICT DO NOTHING
            """)
        let lookup = try db.prepare("SELECT count, uptime, import_id FROM counts WHERE sensor_id = ? AND start = ? AND measure = ? AND direction = ?")
        let update = try db.prepare("UPDATE counts SET count = ?, uptime = ?, minutes = 60, import_id = ? WHERE sensor_id = ? AND start = ? AND measure = ? AND direction = ?")

        for (index, element) in report.enumerated() {
            let path = "report[\(index)]"
            let at = NodeError.Location(file: session.fileName, line: Self.line(ofElement: index, in: data), column: nil)
            func fail(_ message: String) -> NodeError { NodeError(.badInput, "\(path): \(message)", at: at) }
            guard let row = element as? [String: Any] else { throw fail("expected an object") }
            summary.rowsRead += 1
            guard let interval = row["interval"] as? String else { throw fail("missing \"interval\"") }
            guard interval == "hourly" else {
                throw fail("interval is \"\(interval)\"; request hourly data (\"level\": \"segments\", \"format\": \"per-hour\")")
            }
            guard let segment = (row["segment_id"] as? NSNumber)?.int64Value else { throw fail("missing or non-numeric \"segment_id\"") }
            guard let sensor = session.sensorsByName["telraam-\(segment)"] ?? session.sensorsByName["\(segment)"] else {
                throw fail("unknown Telraam segment \(segment); declare a sensor named telraam-\(segment) with `townbench-node sensors import`")
            }
            guard let dateText = row["date"] as? String else { throw fail("missing \"date\"") }
            let written: WrittenTimestamp = try dateText.withUTF8Buffer { bytes in
                switch parseTimestamp(bytes) {
                case .success(let value): value
                case .failure(let error): throw fail("date '\(dateText)' \(error.reason)")
                }
            }
            guard let offset = written.offset else { throw fail("date '\(dateText)' has no UTC offset; Telraam dates end in Z") }
            let start = written.naive - Int64(offset)
            guard start % 3600 == 0 else { throw fail("date '\(dateText)' is not the start of an hour") }
            guard let uptime = (row["uptime"] as? NSNumber)?.doubleValue, uptime.isFinite, (0...1).contains(uptime) else {
                throw fail("\"uptime\" must be a number from 0 to 1")
            }
            for (field, measure) in Self.modes {
                func number(_ key: String) throws -> Double? {
                    guard let value = row[key], !(value is NSNull) else { return nil }
                    guard let n = (value as? NSNumber)?.doubleValue,
                          AggregateLimits.countProblem(n, bound: AggregateLimits.maximumSensorDayCount) == nil else {
                        throw fail("\"\(key)\" must be a number ≥ 0 and at most \(Int(AggregateLimits.maximumSensorDayCount)) (the most a sensor can count in a day), is \(value)")
                    }
                    return n
                }
                let total = try number(field)
                let left = try number(field + "_lft"), right = try number(field + "_rgt")
                var slices: [(Direction, Double)] = []
                if let left, let right { slices = [(.left, left), (.right, right)] } else if let total { slices = [(.all, total)] }
                for (direction, count) in slices {
                    try insert.bind([.integer(sensor.id), .integer(start), .int(measure.rawValue), .int(direction.rawValue),
                                     .real(count), .real(uptime), .integer(session.importID)])
                    try insert.step()
                    if db.changes == 1 {
                        try session.checkDirectionMix(sensor: sensor, start: start, measure: measure.rawValue, direction: direction.rawValue,
                                                      at: at, row: path)
                        summary.rowsInserted += 1
                        try session.accumulate(sensor: sensor.id, start: start, minutes: 60, measure: measure.rawValue,
                                               direction: direction.rawValue, count: count, uptime: uptime)
                        continue
                    }
                    try lookup.bind([.integer(sensor.id), .integer(start), .int(measure.rawValue), .int(direction.rawValue)])
                    guard try lookup.step() else { throw NodeError(.io, "a stored row vanished during the import; retry") }
                    let (oldCount, oldUptime, oldImport) = (lookup.double(at: 0), lookup.isNull(at: 1) ? nil : lookup.double(at: 1), lookup.int64(at: 2))
                    try lookup.reset()
                    if oldImport == session.importID {
                        throw fail("duplicate row: segment \(segment) at \(dateText) appears twice in this file")
                    }
                    if oldCount == count && oldUptime == uptime { summary.rowsUnchanged += 1; continue }
                    guard session.options.replace else {
                        throw NodeError(.conflict, "\(path): segment \(segment) at \(dateText), \(measure) \(direction.description): this file says \(count) (uptime \(uptime)), the store has \(oldCount) (uptime \(oldUptime.map { "\($0)" } ?? "none")) from an earlier import. Use --replace to overwrite stored values", at: at)
                    }
                    try update.bind([.real(count), .real(uptime), .integer(session.importID), .integer(sensor.id), .integer(start),
                                     .int(measure.rawValue), .int(direction.rawValue)])
                    try update.step()
                    try session.accumulate(sensor: sensor.id, start: start, minutes: 60, measure: measure.rawValue,
                                           direction: direction.rawValue, count: oldCount, uptime: oldUptime, sign: -1)
                    try session.accumulate(sensor: sensor.id, start: start, minutes: 60, measure: measure.rawValue,
                                           direction: direction.rawValue, count: count, uptime: uptime)
                    summary.rowsReplaced += 1
                }
            }
        }
    }

    /// The 1-based line on which the `index`-th element of the "report" array starts (for messages).
    static func line(ofElement index: Int, in data: Data) -> Int {
        // Count top-level objects inside the report array by brace depth; cheap for report-sized files.
        var line = 1, depth = 0, seen = -1, inString = false, escaped = false, inReport = false
        let key = Array("\"report\"".utf8)
        var matched = 0
        for byte in data {
            if byte == 10 { line += 1 }
            if inString {
                if escaped { escaped = false } else if byte == 92 { escaped = true } else if byte == 34 { inString = false }
                if !inReport { matched = (matched < key.count && byte == key[matched]) ? matched + 1 : 0 }
                continue
            }
            if byte == 34 { inString = true; if !inReport { matched = byte == key[0] ? 1 : 0 }; continue }
            if !inReport {
                if matched == key.count && byte == 91 { inReport = true; depth = 0 }
                continue
            }
            if byte == 123 {
                if depth == 0 { seen += 1; if seen == index { return line } }
                depth += 1
            } else if byte == 125 { depth -= 1 }
        }
        return line
    }

    /// Foundation's parse error, with the line and column when it reports a byte offset.
    static func position(of error: any Error, in data: Data) -> String {
        let info = (error as NSError).userInfo
        if let offset = info["NSJSONSerializationErrorIndex"] as? Int, offset <= data.count {
            let prefix = data.prefix(offset)
            let line = prefix.reduce(1) { $1 == 10 ? $0 + 1 : $0 }
            let column = offset - (prefix.lastIndex(of: 10).map { $0 + 1 } ?? 0) + 1
            return "error at line \(line), column \(column)"
        }
        return (info[NSDebugDescriptionErrorKey] as? String) ?? "\(error)"
    }
}
