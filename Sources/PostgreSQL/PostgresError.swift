/// Why a PostgreSQL operation failed: the SQLSTATE, the server's message and the SQL.
///
/// Why one type: every libpq status reaches Swift through one path
/// (`PostgresConnection.check`), so each failure can be matched by its SQLSTATE
/// (`catch PostgresError.Code.uniqueViolation`), names the server and the statement, and says
/// what to do. Bound parameter values are never included (they may be private), and neither is
/// the server's `DETAIL` line, which can quote them: it is kept apart in ``detail``.
/// SQLSTATE list: https://www.postgresql.org/docs/15/errcodes-appendix.html
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    /// A SQLSTATE (five characters), or one of ours in class `TB`. Match with `~=`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The five-character SQLSTATE, e.g. `23505`.
        public let sqlState: String
        public init(_ sqlState: String) { self.sqlState = sqlState }

        /// The class: the first two characters (`23` integrity constraint violation).
        public var sqlClass: String { String(sqlState.prefix(2)) }

        public static let connectionException = Code("08000")
        public static let connectionFailure = Code("08006")
        public static let integrityConstraintViolation = Code("23000")
        public static let notNullViolation = Code("23502")
        public static let foreignKeyViolation = Code("23503")
        public static let uniqueViolation = Code("23505")
        public static let checkViolation = Code("23514")
        public static let invalidTransactionState = Code("25000")
        public static let inFailedTransaction = Code("25P02")
        public static let invalidAuthorization = Code("28000")
        public static let invalidPassword = Code("28P01")
        public static let transactionRollback = Code("40000")
        public static let serializationFailure = Code("40001")
        public static let deadlockDetected = Code("40P01")
        public static let syntaxError = Code("42601")
        /// Also row-level security: "new row violates row-level security policy".
        public static let insufficientPrivilege = Code("42501")
        public static let undefinedTable = Code("42P01")
        public static let undefinedObject = Code("42704")
        public static let invalidCatalogName = Code("3D000")
        public static let queryCanceled = Code("57014")
        public static let adminShutdown = Code("57P01")

        /// Not from the server: the database was migrated by a newer TownBench.
        public static let schemaTooNew = Code("TB001")
        /// Not from the server: a column did not hold the type asked for.
        public static let typeMismatch = Code("TB002")
        /// Not from the server: the pool was closed.
        public static let poolClosed = Code("TB003")
        /// Not from the server: the connection URL is unusable or libpq could not allocate.
        public static let invalidConfiguration = Code("TB004")
        /// Not from the server: a row was asked for a column its result does not have.
        public static let noSuchColumn = Code("TB005")

        public var description: String { "SQLSTATE \(sqlState)" }

        /// Matches the exact SQLSTATE, or, for a class code ending in `000` (`.integrityConstraintViolation`,
        /// `.connectionException`), every SQLSTATE of that class.
        public static func ~= (pattern: Code, error: any Error) -> Bool {
            guard let error = error as? PostgresError else { return false }
            if pattern.sqlState.hasSuffix("000"), !pattern.sqlState.hasPrefix("TB") {
                return error.code.sqlClass == pattern.sqlClass
            }
            return error.code == pattern
        }
    }

    public let code: Code
    /// The server's primary message (or libpq's, or ours).
    public let message: String
    /// The server's `DETAIL` line; may quote values, so never part of ``description``.
    public let detail: String?
    /// The server's `HINT` line.
    public let hint: String?
    /// The constraint that failed, for integrity violations.
    public let constraint: String?
    /// The statement being executed, if any.
    public let sql: String?
    /// The server as `user@host:port/database` (never the password).
    public let target: String

    public init(code: Code, message: String, detail: String? = nil, hint: String? = nil, constraint: String? = nil,
                sql: String? = nil, target: String) {
        self.code = code
        self.message = message
        self.detail = detail
        self.hint = hint
        self.constraint = constraint
        self.sql = sql
        self.target = target
    }

    /// What an operator should do about this class of error.
    var advice: String? {
        switch code.sqlClass {
        case "08": return "Check that the PostgreSQL server is running and reachable at the URL's host and port, then retry"
        case "28": return "Check the user name and password in the database URL"
        case "3D": return "Create the database (createdb) or fix its name in the URL"
        case "40": return "Another transaction conflicted with this one: retry"
        case "53": return "The server is out of resources (connections, memory or disk): check its logs and limits"
        case "57": return "The server stopped or cancelled the statement: retry when it is back"
        case "TB" where code == .schemaTooNew: return "Upgrade TownBench"
        default: break
        }
        if code == .insufficientPrivilege {
            return "The database role lacks a privilege, or a row-level security policy refused the row: check the role and the tenant"
        }
        return nil
    }

    public var description: String {
        var text = "PostgreSQL \(target): \(message) (\(code))"
        if let hint { text += ". Hint: \(hint)" }
        if let advice { text += ". \(advice)" }
        if let sql { text += " - while executing `\(sql)`" }
        return text
    }
}
