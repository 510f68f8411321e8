internal import Federation
internal import Indicators
internal import Storage

/// Imports the long `counts` CSV: `sensor,start,minutes,measure,count[,direction]`.
///
/// The hot path: one streaming pass over bytes, one prepared INSERT per row (keys are small
/// integers), the daily and hourly sums kept in memory and flushed in sorted batches.
struct CountsImporter {
    let session: ImportSession

    func run(_ summary: inout ImportSummary) throws {
        try session.loadCatalogue()
        var reader = CSVReader(path: session.path)
        reader.maximumRecordLength = session.options.maximumLineLength
        let db = session.db
        let insert = try db.prepare("""
            INSERT INTO counts (sensor_id, start, measure, direction, minutes, count, uptime, import_id)
            VALUES (?, ?, ?, ?, ?, ?, NULL, ?) ON CONFLICT DO NOTHING
            """)
        let lookup = try db.prepare("SELECT minutes, count, import_id FROM counts WHERE sensor_id = ? AND start = ? AND measure = ? AND direction = ?")
        let update = try db.prepare("UPDATE counts SET minutes = ?, count = ?, uptime = NULL, import_id = ? WHERE sensor_id = ? AND start = ? AND measure = ? AND direction = ?")
        let measureNames = Measure.allCases.map { (Array($0.description.utf8), $0.rawValue) }
        let directionNames = Direction.allCases.map { (Array($0.description.utf8), $0.rawValue) }
        var header: CSVHeader?
        var lastSensorName: [UInt8] = []
        var lastSensor: SensorRef?
        var bytesRead: Int64 = 0
        reader.progress = { bytesRead = $0 }

        try reader.forEachRecord { record in
            let line = record.line
            let at = { (column: Int?) in session.location(line: line, column: column) }
            guard let columns = header else {
                header = try CSVHeader(record, required: ["sensor", "start", "minutes", "measure", "count"],
                                       optional: ["direction"], at: at)
                return
            }
            try columns.checkFieldCount(record, at: at)
            summary.rowsRead += 1
            if summary.rowsRead & 0x3FFF == 0 { session.progress.update(bytes: bytesRead, rows: summary.rowsRead) }

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
            let count: Int64 = try record.withField(countField) { bytes in
                guard let value = ByteNumber.nonNegativeInteger(bytes), Double(value) <= AggregateLimits.maximumSensorDayCount else {
                    throw NodeError(.badInput, "count '\(String(decoding: bytes, as: UTF8.self).prefix(40))' must be a whole number from 0 to \(Int(AggregateLimits.maximumSensorDayCount)) (the most a sensor can count in a day)", at: at(record.column(countField)))
                }
                return value
            }
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
                                              at: at(columns["direction"].map { record.column($0) }))
                summary.rowsInserted += 1
                try session.accumulate(sensor: sensor.id, start: start, minutes: Int(minutes), measure: measure,
                                       direction: direction, count: Double(count), uptime: nil)
                return
            }
            // The key is stored already: the same row again, a duplicate in this file, or a conflict.
            try lookup.bind([.integer(sensor.id), .integer(start), .int(measure), .int(direction)])
            guard try lookup.step() else { throw NodeError(.io, "a stored row vanished during the import; retry") }
            let (oldMinutes, oldCount, oldImport) = (lookup.int64(at: 0), lookup.double(at: 1), lookup.int64(at: 2))
            try lookup.reset()
            if oldImport == session.importID {
                throw NodeError(.badInput, "duplicate row: sensor '\(sensor.name)', start \(start.utcString), measure \(Measure(rawValue: measure)!) already appeared earlier in this file", at: at(record.column(sensorField)))
            }
            if oldMinutes == minutes && oldCount == Double(count) {
                summary.rowsUnchanged += 1
                return
            }
            guard session.options.replace else {
                throw NodeError(.conflict, "sensor '\(sensor.name)', start \(start.utcString), measure \(Measure(rawValue: measure)!): this file says \(count) over \(minutes) min, the store has \(oldCount.compact) over \(oldMinutes) min from an earlier import. Use --replace to overwrite stored values", at: at(record.column(countField)))
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
        if header == nil {
            throw NodeError(.badInput, "the file is empty: expected a header line `sensor,start,minutes,measure,count[,direction]`",
                            at: session.location(line: 1, column: nil))
        }
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
