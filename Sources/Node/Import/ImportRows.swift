internal import Foundation
internal import Storage

extension NodeStore {
    /// A declaration import (sensors, parking sites): the file checked, then `body` in one
    /// transaction with a session whose catalogue is loaded; all or nothing.
    func importDeclarations(_ path: String, format: String, options: ImportOptions,
                            _ body: (ImportSession, inout ImportSummary) throws -> Void) throws -> ImportSummary {
        try InputFile.check(path)
        var summary = ImportSummary(format: format, file: (path as NSString).lastPathComponent)
        try db.transaction {
            let session = ImportSession(store: self, importID: 0, path: path, options: options)
            try session.loadCatalogue()
            try body(session, &summary)
        }
        return summary
    }
}

extension ImportSession {
    /// Each data row of the file (CSV or XLSX) under a header with these columns: the one loop the
    /// table importers share, so every format gets the same header check, XLSX, separators and
    /// `--rejects` (a row's bad data or conflict refuses the import, or with `--rejects` sets that
    /// row aside). `body` gets the row's fields, its location maker and the summary.
    func forEachRow(required: [String], optional: [String] = [], summary: inout ImportSummary,
                    _ body: (FieldReader, (Int?) -> NodeError.Location, inout ImportSummary) throws -> Void) throws {
        var header: CSVHeader?
        try forEachRecord { record in
            let line = record.line
            let at = { (column: Int?) in self.location(line: line, column: column) }
            guard let columns = header else {
                header = try CSVHeader(record, required: required, optional: optional, at: at)
                return
            }
            summary.rowsRead += 1
            try row(record) {
                try columns.checkFieldCount(record, at: at)
                try body(try FieldReader(record: record, header: columns, at: at), at, &summary)
            }
        }
        if header == nil { throw NodeError(.badInput, "the file is empty: expected a header line", at: location(line: 1, column: nil)) }
    }

    /// Each row of a declaration file (sensors, parking sites): CSV only, and every row must pass
    /// (no `--rejects`: the readings of a declaration set aside would have no home). `headerHint`
    /// follows "expected a header line" in the empty-file error.
    func forEachDeclaration(required: [String], optional: [String], headerHint: String = "", summary: inout ImportSummary,
                            _ body: (FieldReader, (Int?) -> NodeError.Location, inout ImportSummary) throws -> Void) throws {
        var header: CSVHeader?
        try CSVReader(path: path).forEachRecord { record in
            let line = record.line
            let at = { (column: Int?) in self.location(line: line, column: column) }
            guard let columns = header else {
                header = try CSVHeader(record, required: required, optional: optional, at: at)
                return
            }
            try columns.checkFieldCount(record, at: at)
            summary.rowsRead += 1
            try body(try FieldReader(record: record, header: columns, at: at), at, &summary)
        }
        if header == nil { throw NodeError(.badInput, "the file is empty: expected a header line\(headerHint)", at: location(line: 1, column: nil)) }
    }

    /// The zone a row's `zone` column names, or an error saying where zones come from.
    func zone(_ fields: FieldReader, at: (Int?) -> NodeError.Location) throws -> (name: String, id: Int64) {
        let name = try fields.text("zone")
        guard let zone = zonesByName[name] else {
            throw NodeError(.badInput, "unknown zone '\(name)'; zones come from `townbench-node sensors import`", at: at(fields.column("zone")))
        }
        return (name, zone)
    }

    /// Stores one row by key: new → inserted; identical → unchanged; seen earlier in this import →
    /// duplicate; stored with other values → conflict unless `--replace`.
    func upsert(table: String, key: [(String, SQLValue)], values: [(String, SQLValue)], what: String,
                at location: NodeError.Location, summary: inout ImportSummary) throws {
        let whereClause = key.map { "\($0.0) = ?" }.joined(separator: " AND ")
        let columns = values.map(\.0).joined(separator: ", ")
        if let old = try db.queryFirst("SELECT \(columns), import_id FROM \(table) WHERE \(whereClause)", key.map(\.1)) {
            if try old.int64(values.count) == importID {
                throw NodeError(.badInput, "duplicate row: \(what) appears twice in this file", at: location)
            }
            if Array(old.values.prefix(values.count)) == values.map(\.1) { summary.rowsUnchanged += 1; return }
            guard options.replace else {
                func show(_ v: [SQLValue]) -> String { zip(values.map(\.0), v).map { "\($0) \(Self.describe($1))" }.joined(separator: ", ") }
                throw NodeError(.conflict, "\(what): this file says \(show(values.map(\.1))), the store has \(show(Array(old.values.prefix(values.count)))) from an earlier import. Use --replace to overwrite stored values", at: location)
            }
            try db.run("UPDATE \(table) SET \(values.map { "\($0.0) = ?" }.joined(separator: ", ")), import_id = ? WHERE \(whereClause)",
                       values.map(\.1) + [.integer(importID)] + key.map(\.1))
            summary.rowsReplaced += 1
            return
        }
        let all = key + values
        try db.run("INSERT INTO \(table) (\(all.map(\.0).joined(separator: ", ")), import_id) VALUES (\(Array(repeating: "?", count: all.count + 1).joined(separator: ", ")))",
                   all.map(\.1) + [.integer(importID)])
        summary.rowsInserted += 1
    }

    static func describe(_ value: SQLValue) -> String {
        switch value {
        case .null: "none"
        case .integer(let n): "\(n)"
        case .real(let x): "\(x)"
        case .text(let t): t
        default: "\(value)"
        }
    }
}
