internal import Foundation

/// A streaming CSV reader over raw bytes (RFC 4180 quoting, `,` or `;` separated, LF or CRLF).
///
/// Why our own: imports must keep memory flat for multi-gigabyte files and report a line and
/// column for every bad value. The reader holds one fixed-size read buffer and one record at a
/// time; a record longer than ``maximumRecordLength`` is refused before it is buffered whole.
struct CSVReader {
    /// The fields of one record, as byte ranges into a buffer reused for the next record.
    struct Record {
        fileprivate(set) var bytes: [UInt8] = []
        fileprivate(set) var fieldStarts: [Int] = []
        fileprivate(set) var fieldEnds: [Int] = []
        fileprivate(set) var fieldColumns: [Int] = []
        /// 1-based line where the record starts.
        fileprivate(set) var line = 0

        var count: Int { fieldStarts.count }

        /// Calls `body` with field `index`'s bytes (unquoted and unescaped).
        @inline(__always)
        func withField<T>(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T {
            try bytes.withUnsafeBufferPointer { buffer in
                try body(UnsafeBufferPointer(rebasing: buffer[fieldStarts[index]..<fieldEnds[index]]))
            }
        }

        /// Field `index` as a string, or nil if it is not valid UTF-8.
        func string(_ index: Int) -> String? {
            withField(index) { String(validating: $0, as: UTF8.self) }
        }

        /// 1-based column of field `index`.
        func column(_ index: Int) -> Int { fieldColumns[index] }

        /// Whether the field is empty.
        func isEmpty(_ index: Int) -> Bool { fieldStarts[index] == fieldEnds[index] }

        /// Adds a field (for record sources other than CSV text, e.g. an XLSX sheet's row).
        mutating func append(_ field: some Collection<UInt8>, column: Int) {
            fieldStarts.append(bytes.count)
            bytes.append(contentsOf: field)
            fieldEnds.append(bytes.count)
            fieldColumns.append(column)
        }

        /// The record's fields as one CSV line (RFC 4180 quoting), to quote a refused row.
        func csvLine(separator: UInt8) -> String {
            (0..<count).map { i in
                let text = withField(i) { String(decoding: $0, as: UTF8.self) }
                let needsQuotes = text.utf8.contains { $0 == separator || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13 }
                return needsQuotes ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
            }.joined(separator: String(UnicodeScalar(separator)))
        }

        mutating func clear(line: Int) {
            bytes.removeAll(keepingCapacity: true)
            fieldStarts.removeAll(keepingCapacity: true)
            fieldEnds.removeAll(keepingCapacity: true)
            fieldColumns.removeAll(keepingCapacity: true)
            self.line = line
        }
    }

    let path: String
    let displayName: String
    /// Longest record accepted, in bytes; longer input is an error, never buffered whole.
    var maximumRecordLength = 1 << 20
    /// Called with the number of bytes read so far (for progress on long imports).
    var progress: ((Int64) -> Void)?
    /// The separator the admin chose (`--delimiter`); nil: decided from the first line.
    var separator: UInt8?
    /// Called once, before the first record, with the separator in use and whether a UTF-8 byte
    /// order mark was skipped (for the "detected" line of the import summary).
    var detected: ((_ separator: UInt8, _ byteOrderMark: Bool) -> Void)?

    init(path: String) {
        self.path = path
        self.displayName = (path as NSString).lastPathComponent
    }

    /// Reads the file, calling `body` for each record (the header included, as line 1).
    /// Empty lines are skipped. The separator is `;` if the first line has a `;` and no `,`.
    func forEachRecord(_ body: (inout Record) throws -> Void) throws {
        let fd = try InputFile.open(path)
        defer { close(fd) }
        let chunkSize = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }

        var record = Record()
        var separator = UInt8(ascii: ",")
        var line = 1, column = 1
        var inQuotes = false, afterQuote = false, fieldOpen = false
        var recordStartLine = 1
        var pendingCR = false
        var isFirstChunk = true
        var totalRead: Int64 = 0
        record.clear(line: 1)

        func location(_ col: Int?) -> NodeError.Location { .init(file: displayName, line: line, column: col) }

        func startField() {
            record.fieldStarts.append(record.bytes.count)
            record.fieldColumns.append(column)
            fieldOpen = true
        }
        func endField() {
            if !fieldOpen { startField() }
            record.fieldEnds.append(record.bytes.count)
            fieldOpen = false
            afterQuote = false
        }
        func endRecord() throws {
            let isBlank = record.fieldStarts.isEmpty && !fieldOpen
            if !isBlank {
                endField()
                try body(&record)
            }
            line += 1
            column = 1
            recordStartLine = line
            record.clear(line: line)
        }

        while true {
            let n = read(fd, buffer.baseAddress, chunkSize)
            if n < 0 {
                if errno == EINTR { continue }
                throw NodeError(.io, "cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            totalRead += Int64(n)
            progress?(totalRead)
            var first = 0
            if isFirstChunk {
                isFirstChunk = false
                // Skip a UTF-8 byte order mark, which spreadsheet exports add.
                if n >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF { first = 3 }
                if let chosen = self.separator {
                    separator = chosen
                } else {
                    // The separator is `;` if the first line has a `;` and no `,` (spreadsheets set to Dutch).
                    var sawComma = false, sawSemicolon = false
                    for i in first..<n {
                        if buffer[i] == UInt8(ascii: "\n") { break }
                        if buffer[i] == UInt8(ascii: ",") { sawComma = true }
                        if buffer[i] == UInt8(ascii: ";") { sawSemicolon = true }
                    }
                    if sawSemicolon && !sawComma { separator = UInt8(ascii: ";") }
                }
                detected?(separator, first == 3)
            }
            for i in first..<n {
                let byte = buffer[i]
                if pendingCR {
                    pendingCR = false
                    if byte != UInt8(ascii: "\n") {
                        throw NodeError(.badInput, "carriage return without a line feed; use LF or CRLF line endings", at: location(column))
                    }
                }
                if byte == UInt8(ascii: "\r") && !inQuotes { pendingCR = true; continue }
                try consume(byte)
            }
        }
        if inQuotes {
            line = recordStartLine
            throw NodeError(.badInput, "a quoted field is never closed (missing \")", at: location(nil))
        }
        if !record.fieldStarts.isEmpty || fieldOpen { try endRecord() }

        func consume(_ byte: UInt8) throws {
            let sep = separator
            if inQuotes {
                if byte == UInt8(ascii: "\"") {
                    inQuotes = false
                    afterQuote = true
                } else {
                    if byte == UInt8(ascii: "\n") {
                        throw NodeError(.badInput, "a quoted field spans lines; values must fit on one line", at: location(column))
                    }
                    record.bytes.append(byte)
                }
                column += 1
            } else if byte == sep {
                endField()
                column += 1
            } else if byte == UInt8(ascii: "\n") {
                try endRecord()
                return
            } else if byte == UInt8(ascii: "\"") {
                if afterQuote {
                    // "" inside a quoted field: a literal quote.
                    record.bytes.append(byte)
                    inQuotes = true
                    afterQuote = false
                } else if !fieldOpen {
                    startField()
                    inQuotes = true
                } else {
                    throw NodeError(.badInput, "a quote inside an unquoted field; quote the whole field and double inner quotes", at: location(column))
                }
                column += 1
            } else {
                if afterQuote {
                    throw NodeError(.badInput, "text after a closing quote; quote the whole field", at: location(column))
                }
                if !fieldOpen { startField() }
                record.bytes.append(byte)
                column += 1
            }
            if record.bytes.count > maximumRecordLength {
                throw NodeError(.badInput, "line is longer than \(maximumRecordLength) bytes: this is not a CSV file of the expected kind", at: location(nil))
            }
        }
    }
}
