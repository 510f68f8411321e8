/// Named access to a ``PostgresRow``: the same accessors as by position, by the column's name in
/// the SELECT (as Storage's `Row` and GRDB's `Row`), so a reordered SELECT cannot shift values.
extension PostgresRow {
    /// The position of the column called `name`; throws ``PostgresError/Code/noSuchColumn`` naming it.
    public func index(of name: String) throws -> Int {
        guard let column = rows.columnNames.firstIndex(of: name) else {
            throw PostgresError(code: .noSuchColumn,
                                message: "the result has no column \(name) (it has \(rows.columnNames.joined(separator: ", "))); select it, or fix the name",
                                sql: rows.sql, target: rows.target)
        }
        return column
    }

    public func isNull(_ name: String) throws -> Bool { isNull(try index(of: name)) }
    public func optionalString(_ name: String) throws -> String? { optionalString(try index(of: name)) }
    public func string(_ name: String) throws -> String { try string(index(of: name)) }
    public func optionalInt64(_ name: String) throws -> Int64? { try optionalInt64(index(of: name)) }
    public func int64(_ name: String) throws -> Int64 { try int64(index(of: name)) }
    public func optionalDouble(_ name: String) throws -> Double? { try optionalDouble(index(of: name)) }
    public func double(_ name: String) throws -> Double { try double(index(of: name)) }
    public func optionalBool(_ name: String) throws -> Bool? { try optionalBool(index(of: name)) }
    public func bool(_ name: String) throws -> Bool { try bool(index(of: name)) }
    public func optionalBytes(_ name: String) throws -> [UInt8]? { try optionalBytes(index(of: name)) }
    public func bytes(_ name: String) throws -> [UInt8] { try bytes(index(of: name)) }
}
