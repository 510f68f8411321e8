internal import Foundation

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

    /// The zone a row's `zone` column names, or an error saying where zones come from.
    func zone(_ fields: FieldReader, at: (Int?) -> NodeError.Location) throws -> (name: String, id: Int64) {
        let name = try fields.text("zone")
        guard let zone = zonesByName[name] else {
            throw NodeError(.badInput, "unknown zone '\(name)'; zones come from `townbench-node sensors import`", at: at(fields.column("zone")))
        }
        return (name, zone)
    }
}
