internal import CSQLite


/// SQLite's `SQLITE_TRANSIENT` (`(sqlite3_destructor_type)-1`): a macro with a cast that does not
/// import into Swift, so we build it. It tells SQLite to copy bound bytes before returning.
let sqliteTransient = unsafeBitCast(Int(-1), to: sqlite3_destructor_type.self)

/// How durable a commit must be before it returns.
public enum Durability: Sendable {
    /// `synchronous=NORMAL` in WAL mode: a commit survives a process crash, and the database stays
    /// consistent after power loss but may lose the last transactions. Fine for re-importable data.
    case normal
    /// `synchronous=FULL`: a commit that returned survives power loss. For acknowledged submissions.
    case full
}

/// One connection to an SQLite database file, in WAL mode with a busy timeout.
///
/// Why a class of our own rather than raw `sqlite3*`: it owns the handle (closing it exactly
/// once), turns every status into a ``StorageError`` naming the file and statement, and keeps C
/// types out of the public API. A connection is used by one thread at a time (it is not
/// `Sendable`); share work across threads with one connection each, or behind a `Mutex`.
public final class Connection {
    private var handle: OpaquePointer?
    /// The database file, as given to `init`.
    public let path: String

    /// Opens (creating if needed) the database at `path`.
    /// - Parameters:
    ///   - readOnly: open without write access (and never create).
    ///   - busyTimeout: how long to wait for another writer before failing with `.busy`.
    public init(path: String, readOnly: Bool = false, durability: Durability = .normal,
                busyTimeout: Duration = .seconds(5)) throws {
        self.path = path
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE))
            | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        let status = sqlite3_open_v2(path, &db, flags, nil)
        handle = db
        if status != SQLITE_OK {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(db)
            handle = nil
            throw StorageError(code: .init(sqliteCode: status), message: message, path: path)
        }
        let milliseconds = busyTimeout.components.seconds * 1000 + busyTimeout.components.attoseconds / 1_000_000_000_000_000
        sqlite3_busy_timeout(db, Int32(clamping: milliseconds))
        if !readOnly {
            try execute("PRAGMA journal_mode=WAL")
        }
        try execute("PRAGMA synchronous=\(durability == .full ? "FULL" : "NORMAL")")
        try execute("PRAGMA foreign_keys=ON")
    }

    deinit {
        // Last resort for a connection nobody closed: close_v2 never fails, it defers the close
        // until the last statement is finalised. Call `close()` to hear about failures.
        cachedStatements.values.forEach { sqlite3_finalize($0.handle) }
        if let handle { sqlite3_close_v2(handle) }
    }

    /// Prepared statements owned by this connection, by SQL (see ``cachedStatement(_:)``), with
    /// their result column names read once.
    private var cachedStatements: [String: (handle: OpaquePointer, columns: [String])] = [:]

    /// Whether ``close()`` has succeeded.
    public var isClosed: Bool { handle == nil }

    /// Closes the connection now and reports SQLite's status; later use is a programming error.
    /// Closing twice is harmless.
    ///
    /// The statements this connection owns (``cachedStatement(_:)``) are finalised first. Any other
    /// ``Statement`` still alive keeps the connection open: `sqlite3_close` then fails, and this
    /// throws `.busy` naming those statements, leaving the connection open and usable (release
    /// them and close again). We use `sqlite3_close`, not `_v2`, so that such a leak is an error
    /// rather than a silently deferred close; `deinit` still closes quietly as a last resort.
    public func close() throws {
        guard let handle else { return }
        for statement in cachedStatements.values { sqlite3_finalize(statement.handle) }
        cachedStatements = [:]
        let status = sqlite3_close(handle)
        if status == SQLITE_OK {
            self.handle = nil
            return
        }
        var open: [String] = []
        var statement = sqlite3_next_stmt(handle, nil)
        while let current = statement {
            open.append(sqlite3_sql(current).map { String(cString: $0) } ?? "?")
            statement = sqlite3_next_stmt(handle, current)
        }
        let message = open.isEmpty
            ? String(cString: sqlite3_errmsg(handle))
            : "cannot close: \(open.count) statement(s) still in use (\(open.map { "`\($0)`" }.joined(separator: ", "))); release them first"
        throw StorageError(code: .init(sqliteCode: status), message: message, path: path)
    }

    /// The raw handle, for this module's statements only.
    var rawHandle: OpaquePointer {
        guard let handle else { preconditionFailure("use of a closed Connection (\(path))") }
        return handle
    }

    /// Turns a SQLite status into an error (or nothing for OK/ROW/DONE): the one path from a C
    /// status to ``StorageError``.
    @discardableResult
    func check(_ status: Int32, sql: String? = nil) throws -> Int32 {
        switch status {
        case SQLITE_OK, SQLITE_ROW, SQLITE_DONE: return status
        case SQLITE_MISUSE: preconditionFailure("SQLite misuse (our bug) in \(sql ?? "?")")
        default:
            throw StorageError(code: .init(sqliteCode: sqlite3_extended_errcode(rawHandle)),
                               message: String(cString: sqlite3_errmsg(rawHandle)), sql: sql, path: path)
        }
    }

    /// Executes one or more SQL statements that bind nothing and return no rows we need.
    public func execute(_ sql: String) throws {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(rawHandle, sql, nil, nil, &errorMessage)
        if status != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(rawHandle))
            sqlite3_free(errorMessage)
            throw StorageError(code: .init(sqliteCode: sqlite3_extended_errcode(rawHandle)), message: message,
                               sql: sql, path: path)
        }
    }

    /// Compiles a statement for repeated use (bind, step, reset).
    public func prepare(_ sql: String) throws -> Statement {
        try Statement(connection: self, sql: sql)
    }

    /// Runs a statement with the given bindings and returns every row.
    public func query(_ sql: String, _ bindings: [SQLValue] = []) throws -> [Row] {
        let statement = try prepare(sql)
        try statement.bind(bindings)
        var rows: [Row] = []
        while try statement.step() { rows.append(statement.row()) }
        return rows
    }

    /// Runs a statement with the given bindings and returns the first row, if any.
    public func queryFirst(_ sql: String, _ bindings: [SQLValue] = []) throws -> Row? {
        let statement = try prepare(sql)
        try statement.bind(bindings)
        return try statement.step() ? statement.row() : nil
    }

    /// Runs a statement that returns no rows (INSERT, UPDATE, DDL) with the given bindings.
    public func run(_ sql: String, _ bindings: [SQLValue] = []) throws {
        let statement = try prepare(sql)
        try statement.bind(bindings)
        while try statement.step() {}
    }

    /// Rows changed by the most recent INSERT, UPDATE or DELETE on this connection.
    public var changes: Int { Int(sqlite3_changes(rawHandle)) }

    /// The rowid of the most recent successful INSERT on this connection.
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(rawHandle) }

    /// A statement prepared once and owned by this connection: the next call with the same SQL
    /// returns the same compiled statement, reset (bind every parameter again: earlier bindings
    /// are kept). It is valid until the connection closes, which finalises it; use it and let it go.
    public func cachedStatement(_ sql: String) throws -> Statement {
        if let cached = cachedStatements[sql] {
            sqlite3_reset(cached.handle)
            return Statement(connection: self, sql: sql, borrowing: cached.handle, columns: cached.columns)
        }
        let handle = try Statement.compile(sql, on: self)
        let columns = Statement.columnNames(handle)
        cachedStatements[sql] = (handle, columns)
        return Statement(connection: self, sql: sql, borrowing: handle, columns: columns)
    }

    /// How a transaction takes its locks (https://www.sqlite.org/lang_transaction.html).
    public enum TransactionKind: String, Sendable {
        /// Takes no lock until the first statement: a read-only transaction is a snapshot of the
        /// database as of its first read (in WAL mode it never blocks or waits for the writer).
        case deferred = "DEFERRED"
        /// Takes the write lock up front, so two writers wait for each other (busy timeout) instead
        /// of failing half-way with SQLITE_BUSY when a reader upgrades to a writer.
        case immediate = "IMMEDIATE"
        /// Like `.immediate`; outside WAL mode it also keeps readers out.
        case exclusive = "EXCLUSIVE"
    }

    /// Runs `body` inside `BEGIN <kind> … COMMIT`; rolls back if it throws, and rethrows.
    /// A failing COMMIT is thrown too (after a rollback): nothing is ever silently uncommitted.
    @discardableResult
    public func transaction<T>(_ kind: TransactionKind = .immediate, _ body: () throws -> T) throws -> T {
        try execute("BEGIN \(kind.rawValue)")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            // A failed ROLLBACK (it only fails if the transaction is already gone) must not hide the cause.
            // (Written as do/catch: `try? execute("ROLLBACK")` here was observed not to run it under Swift 6.3.)
            if sqlite3_get_autocommit(rawHandle) == 0 {
                do { try execute("ROLLBACK") } catch {}
            }
            throw error
        }
    }

    /// Runs `body` in a deferred transaction: every read in it sees one snapshot of the database
    /// (several queries that must agree, such as a log head and the rows under it). Rolls back if
    /// `body` throws; a failing COMMIT is an error, not swallowed. It does not forbid writes (a
    /// write upgrades the lock and may then fail with `.busy`): use ``transaction(_:_:)`` to write.
    public func read<T>(_ body: () throws -> T) throws -> T {
        try transaction(.deferred, body)
    }
}
