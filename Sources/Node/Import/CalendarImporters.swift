internal import Federation
internal import Indicators
internal import Storage

/// Imports the town's card-spending CSV: `zone,start,minutes,sector,transactions,buyers,value_eur`.
/// Spending is per zone (not per sensor); `value_eur` has at most two decimals (`.` or `,`).
struct SpendingImporter {
    let session: ImportSession

    func run(_ summary: inout ImportSummary) throws {
        try session.loadCatalogue()
        let db = session.db
        let insert = try db.prepare("""
            INSERT INTO spending (zone_id, start, sector, minutes, transactions, buyers, value_cents, import_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
            """)
        let lookup = try db.prepare("SELECT minutes, transactions, buyers, value_cents, import_id FROM spending WHERE zone_id = ? AND start = ? AND sector = ?")
        let update = try db.prepare("UPDATE spending SET minutes = ?, transactions = ?, buyers = ?, value_cents = ?, import_id = ? WHERE zone_id = ? AND start = ? AND sector = ?")
        try session.forEachRow(required: ["zone", "start", "minutes", "sector", "transactions", "buyers", "value_eur"], summary: &summary) { fields, at, summary in
            let (zoneName, zone) = try session.zone(fields, at: at)
            let start = try session.instant(of: try fields.timestamp("start", allowDateOnly: true), repeatKey: nil, at: at(fields.column("start")))
            let minutes = try fields.integer("minutes", in: 1...(31 * 1440))
            let sector = try fields.identifier("sector", what: "a sector", example: "retail")
            let transactions = try fields.integer("transactions", in: 0...Int64(AggregateLimits.maximumTransactions))
            let buyers = try fields.integer("buyers", in: 0...Int64(AggregateLimits.maximumTransactions))
            guard buyers <= transactions else {
                throw NodeError(.badInput, "buyers (\(buyers)) exceed transactions (\(transactions)); every buyer makes at least one transaction", at: at(fields.column("buyers")))
            }
            let cents = try fields.decimal("value_eur", decimals: 2, numbers: session.numbers)
            guard cents <= Int64(AggregateLimits.maximumValueCents) else {
                throw NodeError(.badInput, "value_eur \(Double(cents) / 100) is above the plausible maximum €\(AggregateLimits.maximumValueCents / 100) per zone, day and sector; check the export", at: at(fields.column("value_eur")))
            }
            try insert.bind([.integer(zone), .integer(start), .text(sector), .integer(minutes), .integer(transactions),
                             .integer(buyers), .integer(cents), .integer(session.importID)])
            try insert.step()
            if db.changes == 1 { summary.rowsInserted += 1; return }
            try lookup.bind([.integer(zone), .integer(start), .text(sector)])
            guard try lookup.step() else { throw NodeError(.io, "a stored row vanished during the import; retry") }
            let old = (lookup.int64(at: 0), lookup.int64(at: 1), lookup.int64(at: 2), lookup.int64(at: 3))
            let oldImport = lookup.int64(at: 4)
            try lookup.reset()
            if oldImport == session.importID {
                throw NodeError(.badInput, "duplicate row: zone '\(zoneName)', start \(session.clock.described(start)), sector '\(sector)' already appeared earlier in this file", at: at(nil))
            }
            if old == (minutes, transactions, buyers, cents) { summary.rowsUnchanged += 1; return }
            guard session.options.replace else {
                throw NodeError(.conflict, "zone '\(zoneName)', start \(session.clock.described(start)), sector '\(sector)': this file says \(transactions) transactions, \(buyers) buyers, €\(Double(cents) / 100); the store has \(old.1), \(old.2), €\(Double(old.3) / 100) from an earlier import. Use --replace to overwrite stored values", at: at(nil))
            }
            try update.bind([.integer(minutes), .integer(transactions), .integer(buyers), .integer(cents), .integer(session.importID),
                             .integer(zone), .integer(start), .text(sector)])
            try update.step()
            summary.rowsReplaced += 1
        }
    }
}

/// Imports the town's event calendar: `id,name,zone,start,end,kind`. A bare date as `start` means
/// the start of that local day; as `end`, the end of that local day (so `2025-06-01,2025-06-01` is
/// one whole day).
struct EventsImporter {
    let session: ImportSession

    func run(_ summary: inout ImportSummary) throws {
        try session.loadCatalogue()
        let db = session.db
        var seen: Set<String> = []
        try session.forEachRow(required: ["id", "name", "zone", "start", "end", "kind"], summary: &summary) { fields, at, summary in
            let id = try fields.identifier("id", what: "an event id", example: "braderie-2025")
            guard seen.insert(id).inserted else {
                throw NodeError(.badInput, "duplicate event id '\(id)' in this file", at: at(fields.column("id")))
            }
            let name = try fields.text("name")
            let zone = try session.zone(fields, at: at).id
            let start = try session.instant(of: try fields.timestamp("start", allowDateOnly: true), repeatKey: nil, at: at(fields.column("start")))
            var endWritten = try fields.timestamp("end", allowDateOnly: true)
            if try fields.isDateOnly("end") { endWritten.naive += 86_400 }
            let end = try session.instant(of: endWritten, repeatKey: nil, at: at(fields.column("end")))
            guard end > start else {
                let zone = session.store.settings.timeZone
                let starts = session.clock.wallTime(start)
                let wholeDay = try fields.isDateOnly("end")
                let ends = wholeDay ? "with the whole day \(session.clock.local(end - 1).day)" : session.clock.wallTime(end)
                let what = end == start && !wholeDay ? "ends when it starts, so it lasts no time" : "ends before it starts"
                throw NodeError(.badInput, "the event \(what): it starts \(starts) and ends \(ends) (local time, \(zone)). Make end later than start", at: at(fields.column("end")))
            }
            let kindText = try fields.text("kind")
            guard let kind = EventKind(rawValue: kindText) else {
                throw NodeError(.badInput, "unknown event kind '\(kindText)'; use one of: \(EventKind.namesList)", at: at(fields.column("kind")))
            }
            let values: [SQLValue] = [.text(name), .integer(zone), .integer(start), .integer(end), .text(kind.rawValue)]
            if let old = try db.queryFirst("SELECT name, zone_id, start, end, kind FROM events WHERE id = ?", [.text(id)]) {
                if old.values == values { summary.rowsUnchanged += 1; return }
                guard session.options.replace else {
                    throw NodeError(.conflict, "event '\(id)' is stored with other details (name '\(try old.string(0))', \(session.clock.described(try old.int64(2))) – \(session.clock.described(try old.int64(3))), \(try old.string(4))); use --replace to overwrite it", at: at(fields.column("id")))
                }
                try db.run("UPDATE events SET name = ?, zone_id = ?, start = ?, end = ?, kind = ?, import_id = ? WHERE id = ?",
                           values + [.integer(session.importID), .text(id)])
                summary.rowsReplaced += 1
            } else {
                try db.run("INSERT INTO events (name, zone_id, start, end, kind, import_id, id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           values + [.integer(session.importID), .text(id)])
                summary.rowsInserted += 1
            }
        }
    }
}

/// Imports school holidays (they differ per community and year, so they are data, not code):
/// `name,first_day,last_day` with ISO dates, both inclusive.
struct SchoolHolidaysImporter {
    let session: ImportSession

    func run(_ summary: inout ImportSummary) throws {
        let db = session.db
        try session.forEachRow(required: ["name", "first_day", "last_day"], summary: &summary) { fields, at, summary in
            let name = try fields.text("name")
            let first = try fields.day("first_day"), last = try fields.day("last_day")
            guard last >= first else {
                throw NodeError(.badInput, "last_day is before first_day", at: at(fields.column("last_day")))
            }
            let key: [SQLValue] = [.int(first.rawValue), .int(last.rawValue)]
            if let old = try db.queryFirst("SELECT name FROM school_holidays WHERE first_day = ? AND last_day = ?", key) {
                if try old.string(0) == name { summary.rowsUnchanged += 1; return }
                guard session.options.replace else {
                    throw NodeError(.conflict, "the holiday \(first)–\(last) is stored as '\(try old.string(0))'; use --replace to rename it", at: at(nil))
                }
                try db.run("UPDATE school_holidays SET name = ? WHERE first_day = ? AND last_day = ?", [.text(name)] + key)
                summary.rowsReplaced += 1
            } else {
                try db.run("INSERT INTO school_holidays (first_day, last_day, name) VALUES (?, ?, ?)", key + [.text(name)])
                summary.rowsInserted += 1
            }
        }
    }
}

/// Typed access to a CSV record's fields by column name, each failure naming line and column.
/// For the small files (sensors, events, spending); the counts hot path reads bytes directly.
struct FieldReader {
    let record: CSVReader.Record
    let header: CSVHeader
    let at: (Int?) -> NodeError.Location

    init(record: CSVReader.Record, header: CSVHeader, at: @escaping (Int?) -> NodeError.Location) throws {
        self.record = record
        self.header = header
        self.at = at
    }

    func column(_ name: String) -> Int? { header[name].map { record.column($0) } }

    /// The field's text (trimmed), or nil when the column is absent or the field empty.
    func optionalText(_ name: String) throws -> String? {
        guard let index = header[name] else { return nil }
        guard let text = record.string(index) else {
            throw NodeError(.badInput, "\(name) is not valid UTF-8; save the file as UTF-8", at: at(record.column(index)))
        }
        let trimmed = text.trimmingSpaces
        return trimmed.isEmpty ? nil : trimmed
    }

    func text(_ name: String) throws -> String {
        guard let text = try optionalText(name) else {
            throw NodeError(.badInput, "\(name) is empty; it is required", at: at(column(name)))
        }
        return text
    }

    func integer(_ name: String, in range: ClosedRange<Int64> = 0...Int64(1e15)) throws -> Int64 {
        let text = try self.text(name)
        guard let value = text.withUTF8Buffer(ByteNumber.nonNegativeInteger), range.contains(value) else {
            throw NodeError(.badInput, "\(name) '\(text)' must be a whole number from \(range.lowerBound) to \(range.upperBound)", at: at(column(name)))
        }
        return value
    }

    /// A decimal as `numbers` says it is written (`--decimal`, `--thousands`; by default `.` or `,`).
    func decimal(_ name: String, decimals: Int, numbers: NumberFormat = NumberFormat()) throws -> Int64 {
        let text = try self.text(name)
        switch text.withUTF8Buffer({ numbers.scaled($0, maxDecimals: decimals) }) {
        case .success(let value): return value
        case .failure(let problem):
            throw NodeError(.badInput, "\(name) '\(text)' \(problem.reason) (it must be a number ≥ 0 with at most \(decimals) decimals, e.g. 1250.50)", at: at(column(name)))
        }
    }

    func optionalDouble(_ name: String, in range: ClosedRange<Double>) throws -> Double? {
        guard let text = try optionalText(name) else { return nil }
        guard let value = Double(text), range.contains(value) else {
            throw NodeError(.badInput, "\(name) '\(text)' must be a number from \(range.lowerBound) to \(range.upperBound)", at: at(column(name)))
        }
        return value
    }

    func timestamp(_ name: String, allowDateOnly: Bool = false) throws -> WrittenTimestamp {
        let text = try self.text(name)
        switch text.withUTF8Buffer({ parseTimestamp($0, allowDateOnly: allowDateOnly) }) {
        case .success(let value): return value
        case .failure(let error): throw NodeError(.badInput, "\(name) '\(text)' \(error.reason)", at: at(column(name)))
        }
    }

    /// The field as an id of the federation protocol (`Identifier`: sent to the coordinator).
    func identifier(_ name: String, what: String, example: String) throws -> String {
        let text = try self.text(name)
        guard Identifier.isValid(text) else {
            throw NodeError(.badInput, "\(name) '\(text.prefix(80))' is not valid as \(what): use 1–64 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit (e.g. \(example)); it is sent to the coordinator", at: at(column(name)))
        }
        return text
    }

    func isDateOnly(_ name: String) throws -> Bool { try text(name).utf8.count == 10 }

    func day(_ name: String) throws -> DayNumber {
        let text = try self.text(name)
        do { return try DayNumber(supported: text) } catch {
            throw NodeError(.badInput, "\(name) '\(text)' is not a supported date; write it as YYYY-MM-DD in the range \(DayNumber.supportedRangeText)", at: at(column(name)))
        }
    }

    func optionalDay(_ name: String) throws -> DayNumber? {
        guard try optionalText(name) != nil else { return nil }
        return try day(name)
    }
}
