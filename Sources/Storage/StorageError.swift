/// Why a storage operation failed: SQLite's extended result code, its message and the SQL.
///
/// One path leads from a SQLite status to this error (`Connection.check`), so every failure
/// names the database file, the statement and what to do. Bound values are never included:
/// they may be private.
public struct StorageError: Error, CustomStringConvertible, Sendable {
    /// A stable classification that callers can match with `~=`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// SQLite's extended result code (https://www.sqlite.org/rescode.html).
        public let sqliteCode: Int32
        public init(sqliteCode: Int32) { self.sqliteCode = sqliteCode }

        /// The primary result code (the low byte of the extended one).
        public var primary: Int32 { sqliteCode & 0xFF }

        public static let busy = Code(sqliteCode: 5)
        public static let locked = Code(sqliteCode: 6)
        public static let readonly = Code(sqliteCode: 8)
        public static let corrupt = Code(sqliteCode: 11)
        public static let cantOpen = Code(sqliteCode: 14)
        public static let constraint = Code(sqliteCode: 19)
        public static let notADatabase = Code(sqliteCode: 26)
        /// Not from SQLite: the database was migrated by a newer TownBench.
        public static let schemaTooNew = Code(sqliteCode: -1)
        /// Not from SQLite: a value read from the database had an unexpected type.
        public static let typeMismatch = Code(sqliteCode: -2)
        /// Not from SQLite: a row was asked for a column its statement does not select.
        public static let noSuchColumn = Code(sqliteCode: -3)
        /// Not from SQLite: the connection pool was closed.
        public static let closed = Code(sqliteCode: -4)

        public var description: String { "SQLite \(sqliteCode)" }

        /// Matches on the primary code, so `.constraint` matches every constraint failure.
        public static func ~= (pattern: Code, error: any Error) -> Bool {
            guard let error = error as? StorageError else { return false }
            return pattern.sqliteCode < 0 ? error.code == pattern : error.code.primary == pattern.primary
        }
    }

    public let code: Code
    /// SQLite's own message (`sqlite3_errmsg`) or ours.
    public let message: String
    /// The statement being executed, if any.
    public let sql: String?
    /// The database file.
    public let path: String

    public init(code: Code, message: String, sql: String? = nil, path: String) {
        self.code = code
        self.message = message
        self.sql = sql
        self.path = path
    }

    public var description: String {
        var text = "\(path): \(message) (\(code))"
        switch code.primary {
        case 5, 6: text += ". Another process is using the database: stop it and retry"
        case 8: text += ". The database is read-only: check the file's permissions"
        case 11, 26: text += ". The file is damaged or not a TownBench database: restore it from a backup"
        case 14: text += ". Check that the directory exists and is writable"
        case 13: text += ". The disk is full: free space and retry"
        default: break
        }
        if let sql { text += " - while executing `\(sql)`" }
        return text
    }
}
