/// A value bound to a `$n` parameter of a statement.
///
/// Why an enum of our own: statements take parameters only (never values spliced into SQL), and
/// each case knows its PostgreSQL type OID and wire form, so the server never has to guess
/// (`bytea` goes in binary, everything else in PostgreSQL's text format). The array cases exist
/// for bulk work: `INSERT … SELECT * FROM unnest($1::text[], $2::int8[])` stores many rows in one
/// round trip, still fully parameterised. https://www.postgresql.org/docs/15/arrays.html#ARRAYS-IO
public enum PostgresValue: Sendable, Hashable {
    case null
    case text(String)
    case integer(Int64)
    case double(Double)
    case bool(Bool)
    /// `bytea`, sent in binary.
    case bytes([UInt8])
    case textArray([String?])
    case integerArray([Int64?])
    case doubleArray([Double?])
    case boolArray([Bool?])

    /// An `Int` as `int8`.
    public static func int(_ value: Int) -> PostgresValue { .integer(Int64(value)) }

    /// `.null` for nil, else `.text`.
    public static func optional(_ value: String?) -> PostgresValue { value.map { .text($0) } ?? .null }
    /// `.null` for nil, else `.double`.
    public static func optional(_ value: Double?) -> PostgresValue { value.map { .double($0) } ?? .null }
    /// `.null` for nil, else `.integer`.
    public static func optional(_ value: Int?) -> PostgresValue { value.map { .int($0) } ?? .null }
    /// `.null` for nil, else `.bytes`.
    public static func optional(_ value: [UInt8]?) -> PostgresValue { value.map { .bytes($0) } ?? .null }

    /// The type OID sent with the parameter (0 lets the server infer it, for NULL).
    var typeOID: UInt32 {
        switch self {
        case .null: 0
        case .text: 25
        case .integer: 20
        case .double: 701
        case .bool: 16
        case .bytes: 17
        case .textArray: 1009
        case .integerArray: 1016
        case .doubleArray: 1022
        case .boolArray: 1000
        }
    }

    /// 1 (binary) for `bytea`, 0 (text) for the rest.
    var format: Int32 {
        if case .bytes = self { return 1 }
        return 0
    }

    /// Appends the wire form (text values NUL-terminated for libpq). Returns false for NULL.
    func encode(into buffer: inout [UInt8]) -> Bool {
        switch self {
        case .null: return false
        case .text(let string): buffer.append(contentsOf: string.utf8)
        case .integer(let value): buffer.append(contentsOf: String(value).utf8)
        case .double(let value): buffer.append(contentsOf: Self.doubleText(value).utf8)
        case .bool(let value): buffer.append(value ? UInt8(ascii: "t") : UInt8(ascii: "f"))
        case .bytes(let bytes): buffer.append(contentsOf: bytes)
        case .textArray(let values): Self.array(values, into: &buffer) { Self.quoted($0, into: &$1) }
        case .integerArray(let values): Self.array(values, into: &buffer) { $1.append(contentsOf: String($0).utf8) }
        case .doubleArray(let values): Self.array(values, into: &buffer) { $1.append(contentsOf: Self.doubleText($0).utf8) }
        case .boolArray(let values):
            Self.array(values, into: &buffer) { $1.append($0 ? UInt8(ascii: "t") : UInt8(ascii: "f")) }
        }
        if format == 0 { buffer.append(0) }
        return true
    }

    /// PostgreSQL's text form of a float8: Swift's shortest round-trip digits, and the special values.
    static func doubleText(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        return String(value)
    }

    private static func array<T>(_ values: [T?], into buffer: inout [UInt8], _ element: (T, inout [UInt8]) -> Void) {
        buffer.append(UInt8(ascii: "{"))
        for (i, value) in values.enumerated() {
            if i > 0 { buffer.append(UInt8(ascii: ",")) }
            if let value { element(value, &buffer) } else { buffer.append(contentsOf: "NULL".utf8) }
        }
        buffer.append(UInt8(ascii: "}"))
    }

    /// An array element in double quotes, with `"` and `\` backslash-escaped (so `NULL`, commas
    /// and braces inside a string stay data).
    private static func quoted(_ string: String, into buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { buffer.append(UInt8(ascii: "\\")) }
            buffer.append(byte)
        }
        buffer.append(UInt8(ascii: "\""))
    }
}
