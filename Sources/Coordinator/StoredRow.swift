// One row-decoding surface for both coordinator stores (issue 21): every record is read back
// from its named columns once, here, whichever database the row came from.
import Federation
import Foundation
import PostgreSQL
import Storage

/// A row a coordinator store reads back: the same accessors by position and by column name.
///
/// Why: the SQLite and PostgreSQL stores select the same columns for the same records; decoding
/// each record once over this protocol (as GRDB's `Row`) means the two cannot decode it two
/// ways, and a name survives a reordered SELECT. A value of the wrong type is the database
/// module's typed error naming the column; the stores report it as a `storage` error.
protocol StoredRow {
    /// The position of the column called `name`; throws naming it if the row has none.
    func index(of name: String) throws -> Int
    func string(_ column: Int) throws -> String
    func optionalString(_ column: Int) throws -> String?
    func int64(_ column: Int) throws -> Int64
    func optionalInt64(_ column: Int) throws -> Int64?
    func optionalDouble(_ column: Int) throws -> Double?
    func bytes(_ column: Int) throws -> [UInt8]
    func optionalBytes(_ column: Int) throws -> [UInt8]?
    /// A yes/no column: SQLite's INTEGER 0/1, PostgreSQL's `boolean`.
    func flag(_ column: Int) throws -> Bool
}

extension StoredRow {
    func string(_ name: String) throws -> String { try string(index(of: name)) }
    func optionalString(_ name: String) throws -> String? { try optionalString(index(of: name)) }
    func int64(_ name: String) throws -> Int64 { try int64(index(of: name)) }
    func optionalInt64(_ name: String) throws -> Int64? { try optionalInt64(index(of: name)) }
    func optionalDouble(_ name: String) throws -> Double? { try optionalDouble(index(of: name)) }
    func bytes(_ name: String) throws -> [UInt8] { try bytes(index(of: name)) }
    func optionalBytes(_ name: String) throws -> [UInt8]? { try optionalBytes(index(of: name)) }
    func flag(_ name: String) throws -> Bool { try flag(index(of: name)) }

    /// An integer column as `Int`; a value that does not fit is corrupt data.
    func int(_ column: Int) throws -> Int {
        let value = try int64(column)
        guard let int = Int(exactly: value) else { throw StoredValue.corrupt("column \(column)", String(value), "does not fit an Int") }
        return int
    }
    func int(_ name: String) throws -> Int { try int(index(of: name)) }

    /// A count or position (tree sizes, leaf indices): a negative value is corrupt data, not a trap.
    func uint64(_ name: String) throws -> UInt64 {
        let value = try int64(name)
        guard let count = UInt64(exactly: value) else { throw StoredValue.corrupt(name, String(value), "is negative") }
        return count
    }

    /// A timestamp column of `table`, written with `Timestamp.format`.
    func date(_ name: String, of table: String) throws -> Date {
        try StoredValue.date(try string(name), "\(table).\(name)")
    }

    /// A nullable timestamp column of `table`: NULL is nil, anything else must parse.
    func optionalDate(_ name: String, of table: String) throws -> Date? {
        try StoredValue.date(try optionalString(name), "\(table).\(name)")
    }
}

extension Row: StoredRow {
    func optionalBytes(_ column: Int) throws -> [UInt8]? {
        if case .null = self[column] { return nil }
        return try bytes(column)
    }
    func flag(_ column: Int) throws -> Bool { try int64(column) != 0 }
}

extension PostgresRow: StoredRow {
    func flag(_ column: Int) throws -> Bool { try bool(column) }
}

/// The current row of a stepped SQLite statement, read in place (no ``Row`` copy per row).
///
/// Why: the network computation reads millions of sensor days (issue 17); only for STRICT
/// tables, whose column types SQLite enforces on every write.
struct StatementRow: StoredRow {
    let statement: Statement

    func index(of name: String) throws -> Int {
        guard let index = statement.columnNames.firstIndex(of: name) else {
            throw StorageError(code: .noSuchColumn, message: "the result has no column \(name); select it, or fix the name", path: "")
        }
        return index
    }
    func string(_ column: Int) throws -> String { statement.string(at: Int32(column)) }
    func optionalString(_ column: Int) throws -> String? { statement.isNull(at: Int32(column)) ? nil : try string(column) }
    func int64(_ column: Int) throws -> Int64 { statement.int64(at: Int32(column)) }
    func optionalInt64(_ column: Int) throws -> Int64? { statement.isNull(at: Int32(column)) ? nil : try int64(column) }
    func optionalDouble(_ column: Int) throws -> Double? { statement.isNull(at: Int32(column)) ? nil : statement.double(at: Int32(column)) }
    func bytes(_ column: Int) throws -> [UInt8] {
        throw StorageError(code: .typeMismatch, message: "column \(column) is read in place only for text and numbers", path: "")
    }
    func optionalBytes(_ column: Int) throws -> [UInt8]? { try bytes(column) }
    func flag(_ column: Int) throws -> Bool { try int64(column) != 0 }
}
