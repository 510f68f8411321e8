import Dispatch
import Synchronization

/// A bounded pool of read-only connections to one database file, shared by threads.
///
/// WAL readers never block the writer, so each concurrent reader gets a connection of its own; but
/// each costs a file descriptor and a page cache, so at most `maximumReaders` are ever open: a
/// thread asking for one more waits until another comes back. ``close()`` closes them all.
public final class ConnectionPool: Sendable {
    /// An idle connection in the pool. `@unchecked Sendable` because `Connection` is not: a lease
    /// is only touched by the one thread that took it out of `state` (under its `Mutex`) until it
    /// puts it back, so no connection is ever used by two threads at once.
    private final class Lease: @unchecked Sendable {
        let connection: Connection
        init(_ connection: Connection) { self.connection = connection }
    }

    private struct State {
        var idle: [Lease] = []
        var open = 0
        var checkedOut = 0
        var waiting = 0
        var closed = false
    }

    /// What the pool holds right now (for diagnostics and tests).
    public struct Statistics: Sendable, Equatable {
        /// Connections open, idle or lent.
        public var open: Int
        /// Connections lent to a thread.
        public var checkedOut: Int
        /// Threads waiting for a connection.
        public var waiting: Int

        public init(open: Int, checkedOut: Int, waiting: Int) {
            self.open = open
            self.checkedOut = checkedOut
            self.waiting = waiting
        }
    }

    /// The database file.
    public let path: String
    /// The most connections ever open at once.
    public let maximumReaders: Int
    private let state = Mutex(State())
    /// One permit per connection that may be lent.
    private let permits: DispatchSemaphore

    /// A pool of up to `maximumReaders` (at least 1) read-only connections to `path`, opened on demand.
    public init(path: String, maximumReaders: Int) {
        self.path = path
        self.maximumReaders = max(1, maximumReaders)
        permits = DispatchSemaphore(value: self.maximumReaders)
    }

    public var statistics: Statistics {
        state.withLock { Statistics(open: $0.open, checkedOut: $0.checkedOut, waiting: $0.waiting) }
    }

    /// Runs `body` with a connection of its own, waiting for one if `maximumReaders` are lent.
    /// Throws `.closed` once the pool is closed.
    public func withConnection<T>(_ body: (Connection) throws -> T) throws -> T {
        state.withLock { $0.waiting += 1 }
        permits.wait()
        let lease: Lease?
        do {
            lease = try state.withLock { state -> Lease? in
                state.waiting -= 1
                guard !state.closed else {
                    throw StorageError(code: .closed, message: "the reader pool is closed (the store was closed); open the store again", path: path)
                }
                state.checkedOut += 1
                return state.idle.popLast()
            }
        } catch {
            permits.signal()
            throw error
        }
        let leased: Lease
        if let lease {
            leased = lease
        } else {
            do {
                leased = Lease(try Connection(path: path, readOnly: true))
                state.withLock { $0.open += 1 }
            } catch {
                state.withLock { $0.checkedOut -= 1 }
                permits.signal()
                throw error
            }
        }
        defer {
            state.withLock {
                $0.checkedOut -= 1
                $0.idle.append(leased)
            }
            permits.signal()
        }
        return try body(leased.connection)
    }

    /// Closes every connection and refuses new checkouts. Waits for lent connections to come back
    /// (so call it when no thread will read again, never from inside ``withConnection(_:)``).
    /// Throws the first close failure after trying them all. Closing twice is harmless.
    public func close() throws {
        state.withLock { $0.closed = true }
        for _ in 0..<maximumReaders { permits.wait() }
        defer { for _ in 0..<maximumReaders { permits.signal() } }
        let idle = state.withLock { state -> [Lease] in
            let idle = state.idle
            state.idle = []
            state.open -= idle.count
            return idle
        }
        var firstError: (any Error)?
        for lease in idle {
            do { try lease.connection.close() } catch { firstError = firstError ?? error }
        }
        if let firstError { throw firstError }
    }
}
