import Foundation
internal import Storage

/// A counts file's shape: one row per sensor and interval (`long`), or a time column and one
/// column per sensor (`wide`, as spreadsheet exports of one vendor portal often are).
public enum TableLayout: String, Sendable, CaseIterable {
    case long, wide
}

extension ImportOptions {
    /// Refuses option combinations that cannot apply to the file, before anything is read.
    func check(path: String, format: ImportFormat) throws {
        if let rejectsPath, URL(fileURLWithPath: rejectsPath).standardizedFileURL == URL(fileURLWithPath: path).standardizedFileURL {
            throw NodeError(.invalidArgument, "--rejects \(rejectsPath) is the input file itself; name another file for the refused rows")
        }
        if format == .telraam {
            let tableOnly = [("--rejects", rejectsPath != nil), ("--delimiter", delimiter != nil), ("--sheet", sheet != nil),
                             ("--layout", layout != nil), ("--decimal/--thousands", numbers != NumberFormat())]
            if let (name, _) = tableOnly.first(where: { $0.1 }) {
                throw NodeError(.invalidArgument, "\(name) applies to CSV and XLSX files; --format telraam reads Telraam's JSON, all or nothing. Drop \(name)")
            }
        }
        if format != .counts {
            let countsOnly = [("--layout", layout != nil), ("--minutes", intervalMinutes != nil), ("--measure", measure != nil)]
            if let (name, _) = countsOnly.first(where: { $0.1 }) {
                throw NodeError(.invalidArgument, "\(name) applies to --format counts only; drop it for --format \(format.rawValue)")
            }
        }
    }
}

/// The refused rows of an import (`--rejects FILE`): a CSV `line,column,reason,row`, written to a
/// temporary file beside FILE and renamed over it only when the import committed, so FILE always
/// matches what the store holds.
final class RejectsWriter {
    let path: String
    private let temporaryPath: String
    private let handle: FileHandle
    private(set) var count = 0
    private var committed = false

    init(path: String) throws {
        self.path = path
        temporaryPath = path + ".partial"
        guard FileManager.default.createFile(atPath: temporaryPath, contents: Data("line,column,reason,row\n".utf8)),
              let handle = FileHandle(forWritingAtPath: temporaryPath) else {
            throw NodeError(.io, "cannot write the rejects file \(temporaryPath): check that its directory exists and is writable, or name another --rejects file")
        }
        self.handle = handle
        handle.seekToEndOfFile()
    }

    func write(line: Int, column: Int?, reason: String, row: String) throws {
        count += 1
        let fields = [String(line), column.map(String.init) ?? "", reason, row].map { field in
            field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
        }
        do { try handle.write(contentsOf: Data((fields.joined(separator: ",") + "\n").utf8)) } catch {
            throw NodeError(.io, "cannot write the rejects file \(temporaryPath): \(error.localizedDescription). Free disk space and import again")
        }
    }

    /// Moves the finished file into place (after the import committed).
    func commit() throws {
        try? handle.close()
        // rename(2): atomic, and replaces an older rejects file.
        guard rename(temporaryPath, path) == 0 else {
            throw NodeError(.io, "the import was stored, but the rejects could not be moved to \(path): \(String(cString: strerror(errno))). They are in \(temporaryPath)")
        }
        committed = true
    }

    /// Removes the temporary file unless it was committed.
    func discard() {
        guard !committed else { return }
        try? handle.close()
        try? FileManager.default.removeItem(atPath: temporaryPath)
    }
}

extension ImportSession {
    /// Reads the input's records: an XLSX workbook's sheet (recognised by its ZIP signature) or a
    /// CSV file, noting what was detected for the summary.
    func forEachRecord(maximumRecordLength: Int? = nil, _ body: (inout CSVReader.Record) throws -> Void) throws {
        if try XLSXReader.isZip(path) {
            if let delimiter = options.delimiter {
                throw NodeError(.invalidArgument, "--delimiter \(NumberFormat.name(delimiter)) is for CSV files; \(fileName) is an XLSX workbook (its cells need no separator). Drop --delimiter")
            }
            var reader = try XLSXReader(path: path, sheet: options.sheet)
            // Number cells are written with `.` unless --decimal says otherwise.
            if numbers.decimalMark == nil { numbers.decimalMark = UInt8(ascii: ".") }
            reader.decimalMark = numbers.decimalMark ?? UInt8(ascii: ".")
            detected.append("XLSX sheet '\(reader.sheetName)'\(options.sheet == nil ? " (the first; --sheet picks another)" : "")")
            rejectSeparator = UInt8(ascii: ",")
            return try reader.forEachRecord(body)
        }
        if let sheet = options.sheet {
            throw NodeError(.invalidArgument, "--sheet \(sheet) is for XLSX workbooks; \(fileName) is not one (no ZIP signature). Drop --sheet")
        }
        var reader = CSVReader(path: path)
        reader.maximumRecordLength = maximumRecordLength ?? options.maximumLineLength
        reader.separator = options.delimiter
        reader.progress = { [progress] in progress.bytesRead = $0 }
        let chosen = options.delimiter != nil
        reader.detected = { [weak self] separator, byteOrderMark in
            guard let self else { return }
            rejectSeparator = separator
            // The plain case (commas, no byte order mark, long layout) goes unmentioned.
            if separator != UInt8(ascii: ",") {
                detected.append("\(NumberFormat.name(separator))-separated\(chosen ? "" : " (from the header line; --delimiter sets it)")")
            }
            if byteOrderMark { detected.append("UTF-8 byte order mark skipped") }
        }
        try reader.forEachRecord(body)
    }

    /// Runs one data row's work. Without `--rejects`, an error fails the import; with it, a bad
    /// row (bad data or a conflict) is undone to a savepoint, written to the rejects file with
    /// its line, column and reason, and the import goes on. Other errors still fail the import.
    func row(_ record: CSVReader.Record, column: Int? = nil, _ body: () throws -> Void) throws {
        guard let rejects else { return try body() }
        try db.run("SAVEPOINT import_row")
        do {
            try body()
            try db.run("RELEASE import_row")
        } catch let error as NodeError where error.code == .badInput || error.code == .conflict {
            try db.run("ROLLBACK TO import_row")
            try db.run("RELEASE import_row")
            try rejects.write(line: error.location?.line ?? record.line, column: error.location?.column ?? column,
                              reason: error.message, row: record.csvLine(separator: rejectSeparator))
        }
    }
}
