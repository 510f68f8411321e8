import Dispatch
import Synchronization

/// A bounded set of ``PostgresConnection``s shared by many threads.
///
/// Why: a coordinator answers on several HTTP worker threads and writes on one writer thread; each
/// needs a connection of its own for the duration of a unit of work, and a PostgreSQL server
/// allows only so many (`max_connections`). ``withConnection(_:)`` lends one (opening it on demand,
/// waiting when all are lent), runs `setup` once on each new connection, and takes it back. A
/// connection that broke, or that a body left inside a transaction it could not roll back, is
/// closed rather than lent again.
public final class PostgresPool: Sendable {
    /// Owns one connection while it sits idle in the pool.
    ///
    /// `@unchecked Sendable` because `PostgresConnection` is a non-Sendable class: a box is only
    /// touched by the thread that took it out of `state` (under its `Mutex`) until it puts it back,
    /// so no two threads ever use one connection at the same time.
    private final class Box: @unchecked Sendable {
        let connection: PostgresConnection
        init(_ connection: PostgresConnection) { self.connection = connection }
    }

    private struct State {
        var idle: [Box] = []
        var isClosed = false
    }

    private let url: String
    private let setup: @Sendable (PostgresConnection) throws -> Void
    private let state = Mutex(State())
    /// One permit per connection that may exist.
    private let permits: DispatchSemaphore
    public let maximumConnections: Int

    /// - Parameters:
    ///   - url: a libpq URL or connection string.
    ///   - maximumConnections: at most this many connections exist at once; callers wait for one.
    ///   - setup: run once on each new connection (e.g. `SET search_path`), before it is lent.
    public init(url: String, maximumConnections: Int = 8,
                setup: @escaping @Sendable (PostgresConnection) throws -> Void = { _ in }) {
        precondition(maximumConnections > 0, "a pool needs at least one connection")
        self.url = url
        self.setup = setup
        self.maximumConnections = maximumConnections
        permits = DispatchSemaphore(value: maximumConnections)
    }

    /// Lends a connection to `body` and takes it back afterwards (also when `body` throws).
    @discardableResult
    public func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        permits.wait()
        defer { permits.signal() }
        let reused: Box? = try state.withLock { state in
            if state.isClosed {
                throw PostgresError(code: .poolClosed, message: "the connection pool was closed", target: PostgresConnection.redacted(url))
            }
            return state.idle.popLast()
        }
        let box: Box
        if let reused {
            box = reused
        } else {
            let connection = try PostgresConnection(url: url)
            do {
                try setup(connection)
            } catch {
                connection.close()
                throw error
            }
            box = Box(connection)
        }
        defer { giveBack(box) }
        return try body(box.connection)
    }

    private func giveBack(_ box: Box) {
        let connection = box.connection
        if connection.isInTransaction { connection.rollbackQuietly() }
        if connection.isBroken || connection.isInTransaction {
            connection.close()
            return
        }
        let keep = state.withLock { state in
            if state.isClosed { return false }
            state.idle.append(box)
            return true
        }
        if !keep { connection.close() }
    }

    /// Closes the idle connections now and every lent one when it comes back. Later calls throw `poolClosed`.
    public func close() {
        let idle = state.withLock { state in
            state.isClosed = true
            defer { state.idle.removeAll() }
            return state.idle
        }
        for box in idle { box.connection.close() }
    }

    /// Connections currently idle (for tests and metrics).
    public var idleCount: Int { state.withLock { $0.idle.count } }
}
