internal import CLibPQ

/// One connection to a PostgreSQL server (libpq's `PGconn`), used by one thread at a time.
///
/// Why a class of our own rather than raw `PGconn*`: it owns the handle and finishes it exactly
/// once (``close()`` or `deinit`), sends SQL with parameters only (``query(_:_:)`` prepares each
/// statement once per connection and reuses it), and turns every libpq status into a
/// ``PostgresError`` that carries the SQLSTATE, the server's message and the SQL. It is not
/// `Sendable`: share work across threads with a ``PostgresPool``.
/// libpq: https://www.postgresql.org/docs/15/libpq-exec.html
public final class PostgresConnection {
    private var handle: OpaquePointer?
    /// The server as `user@host:port/database` (no password), for messages.
    public let target: String
    /// Statement names by SQL (`PQprepare`d on this connection).
    private var prepared: [String: String] = [:]
    /// Statements beyond this many are run unnamed instead of prepared, so dynamic SQL cannot grow the cache.
    private let maximumPrepared = 256

    /// Connects with a libpq connection string or URL (`postgresql://user:password@host:port/db?…`).
    /// https://www.postgresql.org/docs/15/libpq-connect.html#LIBPQ-CONNSTRING
    public init(url: String) throws {
        guard let connection = PQconnectdb(url) else {
            throw PostgresError(code: .invalidConfiguration, message: "libpq could not allocate a connection",
                                target: Self.redacted(url))
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = Self.trimmed(String(cString: PQerrorMessage(connection)))
            PQfinish(connection)
            let code: PostgresError.Code = message.contains("password authentication failed")
                ? .invalidPassword : message.contains("does not exist") && message.contains("database") ? .invalidCatalogName
                : message.contains("invalid") && message.contains("URI") ? .invalidConfiguration : .connectionFailure
            throw PostgresError(code: code, message: message, target: Self.redacted(url))
        }
        handle = connection
        let user = String(cString: PQuser(connection))
        let host = String(cString: PQhost(connection))
        let port = String(cString: PQport(connection))
        let database = String(cString: PQdb(connection))
        target = "\(user)@\(host):\(port)/\(database)"
        // Notices (e.g. "relation already exists, skipping") would go to stderr; drop them.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
    }

    deinit {
        if let handle { PQfinish(handle) }
    }

    /// Closes the connection now; later use is a programming error. Closing twice is harmless.
    public func close() {
        if let handle { PQfinish(handle) }
        handle = nil
    }

    /// Whether the connection is closed or broken (a pool discards it rather than reusing it).
    public var isBroken: Bool {
        guard let handle else { return true }
        return PQstatus(handle) != CONNECTION_OK
    }

    /// Whether a transaction is open (or failed and not yet rolled back) on this connection.
    public var isInTransaction: Bool {
        guard let handle else { return false }
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE
    }

    /// The server's process id for this connection (`pg_backend_pid()`), e.g. to tell connections apart.
    public var backendPID: Int { Int(PQbackendPID(rawHandle)) }

    private var rawHandle: OpaquePointer {
        guard let handle else { preconditionFailure("use of a closed PostgresConnection (\(target))") }
        return handle
    }

    // MARK: Statements

    /// Runs one or more SQL statements without parameters (simple query protocol): DDL,
    /// migrations, `BEGIN`/`COMMIT`. Never build SQL from data: use ``query(_:_:)`` for values.
    public func execute(_ sql: String) throws {
        _ = try check(PQexec(rawHandle, sql), sql: sql)
    }

    /// Runs one statement with `$1…$n` parameters and returns its rows (empty for commands).
    ///
    /// The statement is prepared on this connection the first time it is seen (types taken from
    /// this call's values; NULL lets the server infer) and reused afterwards. `binaryResults`
    /// asks for every column in PostgreSQL's binary form: for bulk `bytea` reads (half the bytes of
    /// the hex text form, read in place by ``PostgresRow/withBytes(_:_:)``); the row accessors
    /// read either form.
    @discardableResult
    public func query(_ sql: String, _ parameters: [PostgresValue] = [], binaryResults: Bool = false) throws -> PostgresRows {
        let name = try preparedName(sql, parameters)
        let resultFormat: Int32 = binaryResults ? 1 : 0
        let result = withParameters(parameters) { count, types, values, lengths, formats in
            if let name { return PQexecPrepared(rawHandle, name, count, values, lengths, formats, resultFormat) }
            return PQexecParams(rawHandle, sql, count, types, values, lengths, formats, resultFormat)
        }
        return PostgresRows(result: try check(result, sql: sql), target: target, sql: sql)
    }

    /// The name `sql` is prepared under on this connection (preparing it now if needed), or nil
    /// when the cache is full and it should run unnamed.
    private func preparedName(_ sql: String, _ parameters: [PostgresValue]) throws -> String? {
        if let name = prepared[sql] { return name }
        guard prepared.count < maximumPrepared else { return nil }
        let name = "tb\(prepared.count + 1)"
        let types = parameters.map(\.typeOID)
        PQclear(try check(PQprepare(rawHandle, name, sql, Int32(parameters.count), types), sql: sql))
        prepared[sql] = name
        return name
    }

    /// Runs several statements in one round trip (libpq pipeline mode) and returns their rows in
    /// order. They run one after another on the server, as if sent one by one, but the client does
    /// not wait between them. If one fails, the rest are skipped by the server and its error is
    /// thrown; inside a transaction, that transaction is then failed (roll it back).
    /// https://www.postgresql.org/docs/15/libpq-pipeline-mode.html
    @discardableResult
    public func pipeline(_ statements: [(sql: String, parameters: [PostgresValue])]) throws -> [PostgresRows] {
        if statements.isEmpty { return [] }
        let names = try statements.map { try preparedName($0.sql, $0.parameters) }
        guard PQenterPipelineMode(rawHandle) == 1 else {
            throw PostgresError(code: .connectionException, message: Self.trimmed(String(cString: PQerrorMessage(rawHandle))),
                                sql: statements[0].sql, target: target)
        }
        defer { leavePipelineMode() }
        for (statement, name) in zip(statements, names) {
            let sent = withParameters(statement.parameters) { count, types, values, lengths, formats in
                if let name { return PQsendQueryPrepared(rawHandle, name, count, values, lengths, formats, 0) }
                return PQsendQueryParams(rawHandle, statement.sql, count, types, values, lengths, formats, 0)
            }
            guard sent == 1 else {
                throw PostgresError(code: .connectionFailure, message: Self.trimmed(String(cString: PQerrorMessage(rawHandle))),
                                    sql: statement.sql, target: target)
            }
        }
        guard PQpipelineSync(rawHandle) == 1 else {
            throw PostgresError(code: .connectionFailure, message: Self.trimmed(String(cString: PQerrorMessage(rawHandle))),
                                sql: statements[0].sql, target: target)
        }
        var results: [PostgresRows] = []
        var firstError: (any Error)?
        for statement in statements {
            // Each statement's results end with a NULL.
            var last: OpaquePointer?
            while let result = PQgetResult(rawHandle) {
                if let last { PQclear(last) }
                last = result
            }
            guard let result = last else {
                firstError = firstError ?? PostgresError(code: .connectionFailure, message: "no result for a pipelined statement",
                                                         sql: statement.sql, target: target)
                continue
            }
            if PQresultStatus(result) == PGRES_PIPELINE_ABORTED {
                PQclear(result)
                continue
            }
            do {
                results.append(PostgresRows(result: try check(result, sql: statement.sql), target: target, sql: statement.sql))
            } catch {
                firstError = firstError ?? error
            }
        }
        if let firstError { throw firstError }
        return results
    }

    /// Reads the pipeline's sync result (and anything left) and returns to normal mode.
    private func leavePipelineMode() {
        guard let handle else { return }
        for _ in 0..<2 {
            while let result = PQgetResult(handle) {
                let isSync = PQresultStatus(result) == PGRES_PIPELINE_SYNC
                PQclear(result)
                if isSync { break }
            }
            if PQexitPipelineMode(handle) == 1 { return }
        }
    }

    /// Runs one statement with parameters and returns how many rows it changed.
    @discardableResult
    public func run(_ sql: String, _ parameters: [PostgresValue] = []) throws -> Int {
        try query(sql, parameters).affectedRows
    }

    /// Lays the parameters out in one buffer and hands libpq stable C pointers into it.
    private func withParameters<R>(
        _ parameters: [PostgresValue],
        _ body: (Int32, [UInt32], [UnsafePointer<CChar>?], [Int32], [Int32]) -> R
    ) -> R {
        var buffer: [UInt8] = []
        var offsets: [Int?] = []
        var lengths: [Int32] = []
        offsets.reserveCapacity(parameters.count)
        for parameter in parameters {
            let start = buffer.count
            if parameter.encode(into: &buffer) {
                offsets.append(start)
                lengths.append(Int32(clamping: buffer.count - start))
            } else {
                offsets.append(nil)
                lengths.append(0)
            }
        }
        if buffer.isEmpty { buffer.append(0) }
        let types = parameters.map(\.typeOID)
        let formats = parameters.map(\.format)
        return buffer.withUnsafeBufferPointer { raw in
            // Not empty (a NUL was appended above), so the base address exists.
            let base = UnsafeRawPointer(raw.baseAddress!).assumingMemoryBound(to: CChar.self)
            let values = offsets.map { $0.map { base + $0 } }
            return body(Int32(parameters.count), types, values, lengths, formats)
        }
    }

    /// The one path from a libpq result status to ``PostgresError``: returns the result when it
    /// succeeded, else frees it and throws with SQLSTATE, message, detail, hint and the SQL.
    private func check(_ result: OpaquePointer?, sql: String) throws -> OpaquePointer {
        guard let result else {
            // No result at all: out of memory or the connection is gone.
            throw PostgresError(code: .connectionFailure, message: Self.trimmed(String(cString: PQerrorMessage(rawHandle))),
                                sql: sql, target: target)
        }
        let status = PQresultStatus(result)
        if status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY {
            return result
        }
        defer { PQclear(result) }
        func field(_ code: UInt8) -> String? {
            PQresultErrorField(result, Int32(code)).map { String(cString: $0) }
        }
        // PG_DIAG_* are character-literal macros that Swift does not import: 'C' SQLSTATE,
        // 'M' primary message, 'D' detail, 'H' hint, 'n' constraint name.
        let sqlState = field(UInt8(ascii: "C"))
        let message = field(UInt8(ascii: "M")) ?? Self.trimmed(String(cString: PQresultErrorMessage(result)))
        let code: PostgresError.Code
        if let sqlState {
            code = PostgresError.Code(sqlState)
        } else {
            code = isBroken ? .connectionFailure : .connectionException
        }
        throw PostgresError(code: code, message: message, detail: field(UInt8(ascii: "D")), hint: field(UInt8(ascii: "H")),
                            constraint: field(UInt8(ascii: "n")), sql: sql, target: target)
    }

    // MARK: Transactions

    /// How concurrent transactions see each other. https://www.postgresql.org/docs/15/transaction-iso.html
    public enum IsolationLevel: String, Sendable {
        case readCommitted = "READ COMMITTED"
        case repeatableRead = "REPEATABLE READ"
        case serializable = "SERIALIZABLE"
    }

    /// Runs `body` in a transaction: COMMIT when it returns, ROLLBACK when it throws (its error is
    /// kept). A transaction the server aborted is rolled back and reported, never reported as
    /// committed. With `synchronous_commit=on` (the default) a returned COMMIT is durable.
    public func transaction<T>(_ isolation: IsolationLevel = .readCommitted, _ body: () throws -> T) throws -> T {
        try execute(isolation == .readCommitted ? "BEGIN" : "BEGIN ISOLATION LEVEL \(isolation.rawValue)")
        let value: T
        do {
            value = try body()
        } catch {
            rollbackQuietly()
            throw error
        }
        if PQtransactionStatus(rawHandle) == PQTRANS_INERROR {
            rollbackQuietly()
            throw PostgresError(code: .inFailedTransaction,
                                message: "a statement of the transaction failed and its error was not passed on; rolled back",
                                sql: "COMMIT", target: target)
        }
        let commit = try check(PQexec(rawHandle, "COMMIT"), sql: "COMMIT")
        let tag = String(cString: PQcmdStatus(commit))
        PQclear(commit)
        guard tag == "COMMIT" else {
            throw PostgresError(code: .transactionRollback, message: "the server rolled the transaction back (\(tag))",
                                sql: "COMMIT", target: target)
        }
        return value
    }

    /// ROLLBACK if a transaction is open, ignoring failure (the connection may be gone).
    func rollbackQuietly() {
        guard handle != nil, isInTransaction else { return }
        if let result = PQexec(rawHandle, "ROLLBACK") { PQclear(result) }
    }

    // MARK: Helpers

    private static func trimmed(_ text: String) -> String {
        var text = Substring(text)
        while let last = text.last, last.isWhitespace { text = text.dropLast() }
        return String(text)
    }

    /// A connection URL or keyword string with its password removed, for messages.
    static func redacted(_ url: String) -> String {
        if let scheme = url.firstRange(of: "://") {
            let rest = url[scheme.upperBound...]
            let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
            let authority = rest[..<authorityEnd]
            var result = String(url[..<scheme.upperBound])
            if let at = authority.lastIndex(of: "@") {
                let userInfo = authority[..<at]
                let user = userInfo.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
                result += user + "@" + authority[authority.index(after: at)...]
            } else {
                result += authority
            }
            let tail = rest[authorityEnd...]
            return result + tail.prefix(while: { $0 != "?" })
        }
        // key=value form: drop any password=… word.
        return url.split(separator: " ").filter { !$0.hasPrefix("password=") }.joined(separator: " ")
    }
}
