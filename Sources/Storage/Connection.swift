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
        if let handle { sqlite3_close_v2(handle) }
    }

    /// Closes the connection now; later use is a programming error. Closing twice is harmless.
    public func close() {
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
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

    /// Runs `body` inside `BEGIN IMMEDIATE … COMMIT`; rolls back if it throws, and rethrows.
    ///
    /// IMMEDIATE takes the write lock up front, so two writers wait for each other (busy timeout)
    /// instead of failing half-way with SQLITE_BUSY on upgrade.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            // A failed ROLLBACK (it only fails if the transaction is already gone) must not hide the cause.
            // (Written as do/catch: `try? execute("ROLLBACK")` here was observed not to run it under Swift 6.3.)
            do { try execute("ROLLBACK") } catch {}
            throw error
        }
    }
}
