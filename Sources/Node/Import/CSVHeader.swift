/// The column positions of a CSV file's header, checked against what a format requires.
///
/// Columns may come in any order; an unknown or repeated column, or a missing required one, is an
/// error naming the expected header, so a wrong file is refused at line 1.
struct CSVHeader {
    private(set) var index: [String: Int] = [:]
    let fieldCount: Int

    init(_ record: CSVReader.Record, required: [String], optional: [String], at location: (Int?) -> NodeError.Location) throws {
        fieldCount = record.count
        let expected = "expected the header `\(required.joined(separator: ","))\(optional.map { "[,\($0)]" }.joined())`"
        for i in 0..<record.count {
            guard let raw = record.string(i) else {
                throw NodeError(.badInput, "the header is not valid UTF-8; save the file as UTF-8", at: location(record.column(i)))
            }
            let name = raw.trimmingSpaces.lowercased()
            guard required.contains(name) || optional.contains(name) else {
                throw NodeError(.badInput, "unknown column '\(raw)': \(expected)", at: location(record.column(i)))
            }
            guard index[name] == nil else {
                throw NodeError(.badInput, "column '\(name)' appears twice: \(expected)", at: location(record.column(i)))
            }
            index[name] = i
        }
        if let missing = required.first(where: { index[$0] == nil }) {
            throw NodeError(.badInput, "missing column '\(missing)': \(expected)", at: location(1))
        }
    }

    subscript(name: String) -> Int? { index[name] }

    /// The position of a required column (checked in `init`).
    func required(_ name: String) -> Int { index[name] ?? 0 }

    /// Throws unless the record has exactly as many fields as the header.
    func checkFieldCount(_ record: CSVReader.Record, at location: (Int?) -> NodeError.Location) throws {
        guard record.count == fieldCount else {
            throw NodeError(.badInput, "expected \(fieldCount) fields as in the header, found \(record.count)", at: location(nil))
        }
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { $0 != " " && $0 != "\t" }),
              let last = scalars.lastIndex(where: { $0 != " " && $0 != "\t" }) else { return "" }
        return String(scalars[first...last])
    }
}

/// Byte-level number parsing for the import hot path (no `String` per value).
enum ByteNumber {
    /// A whole number ≥ 0 written with digits only (at most 15 of them).
    static func nonNegativeInteger(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard !bytes.isEmpty, bytes.count <= 15 else { return nil }
        var value: Int64 = 0
        for b in bytes {
            guard b >= 48 && b <= 57 else { return nil }
            value = value * 10 + Int64(b - 48)
        }
        return value
    }
}

extension UnsafeBufferPointer<UInt8> {
    /// Whether the bytes equal the ASCII/UTF-8 bytes of `text`.
    func equals(_ text: [UInt8]) -> Bool {
        count == text.count && elementsEqual(text)
    }
}
