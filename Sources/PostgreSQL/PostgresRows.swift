internal import CLibPQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The rows a query returned, read in place from libpq's result (values are parsed on access).
///
/// Why not `[[String?]]`: a network-indicator query returns hundreds of thousands of cells; reading
/// integers and doubles straight from libpq's buffer avoids a `String` per cell. The result is
/// freed (`PQclear`) exactly once, when the last reference goes. Not `Sendable`: read it on the
/// thread that ran the query, then keep your own values.
public final class PostgresRows: RandomAccessCollection {
    private let result: OpaquePointer
    /// The server as `user@host:port/database`, for errors.
    let target: String
    let sql: String
    public let count: Int
    public let columnCount: Int
    /// Rows changed by an INSERT/UPDATE/DELETE (`PQcmdTuples`), else 0.
    public let affectedRows: Int
    /// The result's column names, in order (read once: rows look columns up by name).
    public let columnNames: [String]

    init(result: OpaquePointer, target: String, sql: String) {
        self.result = result
        self.target = target
        self.sql = sql
        count = Int(PQntuples(result))
        columnCount = Int(PQnfields(result))
        affectedRows = Int(String(cString: PQcmdTuples(result))) ?? 0
        columnNames = (0..<Int32(columnCount)).map { String(cString: PQfname(result, $0)) }
    }

    deinit { PQclear(result) }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }
    public subscript(position: Int) -> PostgresRow { PostgresRow(rows: self, index: position) }

    /// The name of a column.
    public func columnName(_ column: Int) -> String { columnNames[column] }

    func isNull(_ row: Int, _ column: Int) -> Bool { PQgetisnull(result, Int32(row), Int32(column)) != 0 }
    func typeOID(_ column: Int) -> UInt32 { PQftype(result, Int32(column)) }
    func value(_ row: Int, _ column: Int) -> UnsafeMutablePointer<CChar> { PQgetvalue(result, Int32(row), Int32(column)) }
    func length(_ row: Int, _ column: Int) -> Int { Int(PQgetlength(result, Int32(row), Int32(column))) }
    /// Whether the column came in binary form (``PostgresConnection/query(_:_:binaryResults:)``).
    func isBinary(_ column: Int) -> Bool { PQfformat(result, Int32(column)) == 1 }

    /// A binary value's bytes, in place (valid while the result lives).
    func raw(_ row: Int, _ column: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: UnsafeRawPointer(value(row, column)), count: length(row, column))
    }
}

/// One row of ``PostgresRows``; typed accessors by column index (0-based).
///
/// Each accessor checks the column's PostgreSQL type and throws ``PostgresError/Code/typeMismatch``
/// (naming the column and the SQL) rather than guessing; the `optional…` forms return nil for NULL,
/// the others throw on NULL.
public struct PostgresRow {
    let rows: PostgresRows
    let index: Int

    private func mismatch(_ column: Int, _ wanted: String) -> PostgresError {
        let found = rows.isNull(index, column) ? "NULL" : "a value of type OID \(rows.typeOID(column))"
        return PostgresError(code: .typeMismatch,
                             message: "column \(column) (\(rows.columnName(column))) holds \(found), not \(wanted)",
                             sql: rows.sql, target: rows.target)
    }

    private func checkColumn(_ column: Int) {
        precondition(column >= 0 && column < rows.columnCount, "column \(column) out of range in `\(rows.sql)` (our bug)")
    }

    public func isNull(_ column: Int) -> Bool {
        checkColumn(column)
        return rows.isNull(index, column)
    }

    /// Any column in PostgreSQL's text form.
    public func optionalString(_ column: Int) -> String? {
        checkColumn(column)
        if rows.isNull(index, column) { return nil }
        return String(cString: rows.value(index, column))
    }

    public func string(_ column: Int) throws -> String {
        guard let value = optionalString(column) else { throw mismatch(column, "text") }
        return value
    }

    /// `int2`, `int4`, `int8` (OIDs 21, 23, 20).
    public func optionalInt64(_ column: Int) throws -> Int64? {
        checkColumn(column)
        if rows.isNull(index, column) { return nil }
        guard [20, 21, 23].contains(rows.typeOID(column)) else { throw mismatch(column, "an integer") }
        if rows.isBinary(column) {
            // Network byte order, 2, 4 or 8 bytes by type.
            let bytes = rows.raw(index, column)
            var value: Int64 = 0
            for byte in bytes { value = value << 8 | Int64(byte) }
            switch bytes.count {
            case 2: return Int64(Int16(truncatingIfNeeded: value))
            case 4: return Int64(Int32(truncatingIfNeeded: value))
            case 8: return value
            default: throw mismatch(column, "an integer")
            }
        }
        let text = rows.value(index, column)
        errno = 0
        var end: UnsafeMutablePointer<CChar>?
        let value = strtoll(text, &end, 10)
        guard errno == 0, let end, end.pointee == 0, end != text else { throw mismatch(column, "an integer") }
        return Int64(value)
    }

    public func int64(_ column: Int) throws -> Int64 {
        guard let value = try optionalInt64(column) else { throw mismatch(column, "an integer") }
        return value
    }

    public func optionalInt(_ column: Int) throws -> Int? { try optionalInt64(column).map { Int($0) } }
    public func int(_ column: Int) throws -> Int { Int(try int64(column)) }

    /// `float4`, `float8`, `numeric` and the integer types.
    public func optionalDouble(_ column: Int) throws -> Double? {
        checkColumn(column)
        if rows.isNull(index, column) { return nil }
        guard [700, 701, 1700, 20, 21, 23].contains(rows.typeOID(column)) else { throw mismatch(column, "a number") }
        if rows.isBinary(column) {
            let bytes = rows.raw(index, column)
            switch (rows.typeOID(column), bytes.count) {
            case (701, 8): return Double(bitPattern: bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
            case (700, 4): return Double(Float(bitPattern: bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }))
            case (20, _), (21, _), (23, _): return try optionalInt64(column).map(Double.init)
            default: throw mismatch(column, "a number in a binary form this reader knows (not numeric)")
            }
        }
        let text = rows.value(index, column)
        var end: UnsafeMutablePointer<CChar>?
        let value = strtod(text, &end)
        guard let end, end.pointee == 0, end != text else { throw mismatch(column, "a number") }
        return value
    }

    public func double(_ column: Int) throws -> Double {
        guard let value = try optionalDouble(column) else { throw mismatch(column, "a number") }
        return value
    }

    /// `bool` (OID 16).
    public func optionalBool(_ column: Int) throws -> Bool? {
        checkColumn(column)
        if rows.isNull(index, column) { return nil }
        guard rows.typeOID(column) == 16 else { throw mismatch(column, "a boolean") }
        if rows.isBinary(column) { return rows.raw(index, column).first == 1 }
        return rows.value(index, column).pointee == CChar(UInt8(ascii: "t"))
    }

    public func bool(_ column: Int) throws -> Bool {
        guard let value = try optionalBool(column) else { throw mismatch(column, "a boolean") }
        return value
    }

    /// `bytea` (OID 17), decoded from its hex text form (`\x…`, the server default since 9.0).
    public func optionalBytes(_ column: Int) throws -> [UInt8]? {
        checkColumn(column)
        if rows.isNull(index, column) { return nil }
        guard rows.typeOID(column) == 17 else { throw mismatch(column, "bytea") }
        if rows.isBinary(column) { return Array(rows.raw(index, column)) }
        let length = rows.length(index, column)
        let text = UnsafeRawPointer(rows.value(index, column)).assumingMemoryBound(to: UInt8.self)
        guard length >= 2, text[0] == UInt8(ascii: "\\"), text[1] == UInt8(ascii: "x"), length % 2 == 0 else {
            throw mismatch(column, "bytea in hex form (set bytea_output = 'hex')")
        }
        var bytes = [UInt8]()
        bytes.reserveCapacity((length - 2) / 2)
        var i = 2
        while i < length {
            guard let high = Self.nibble(text[i]), let low = Self.nibble(text[i + 1]) else { throw mismatch(column, "bytea") }
            bytes.append(high << 4 | low)
            i += 2
        }
        return bytes
    }

    public func bytes(_ column: Int) throws -> [UInt8] {
        guard let value = try optionalBytes(column) else { throw mismatch(column, "bytea") }
        return value
    }

    /// A `bytea` column's bytes, without a copy when it came in binary form (the bulk read of
    /// packed series); NULL throws.
    public func withBytes<R>(_ column: Int, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        checkColumn(column)
        guard rows.typeOID(column) == 17, !rows.isNull(index, column) else { throw mismatch(column, "bytea") }
        if rows.isBinary(column) { return try body(rows.raw(index, column)) }
        return try bytes(column).withUnsafeBytes(body)
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
