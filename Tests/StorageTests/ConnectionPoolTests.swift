import Foundation
import Storage
import Synchronization
import TestSupport
import Testing

@Suite struct ConnectionPoolTests {
    private func database(_ dir: URL) throws -> String {
        let path = dir.appendingPathComponent("t.sqlite").path
        let db = try Connection(path: path)
        try db.execute("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1)")
        try db.close()
        return path
    }

    /// Waits (up to a generous limit, only so that a broken pool fails rather than hangs) until `condition` holds.
    private func eventually(_ condition: () -> Bool) -> Bool {
        let limit = Date().addingTimeInterval(20)
        while !condition() {
            if Date() > limit { return false }
            usleep(1000)
        }
        return true
    }

    @Test func moreReadersThanTheBoundWaitAndNeverOpenMore() throws {
        try withTemporaryDirectory { dir in
            let bound = 2, extra = 3
            let pool = ConnectionPool(path: try database(dir), maximumReaders: bound)
            let inside = Atomic(0), mostInside = Atomic(0), failures = Atomic(0)
            let gate = DispatchSemaphore(value: 0)
            let group = DispatchGroup()
            for _ in 0..<(bound + extra) {
                group.enter()
                Thread.detachNewThread {
                    defer { group.leave() }
                    do {
                        try pool.withConnection { connection in
                            let now = inside.add(1, ordering: .sequentiallyConsistent).newValue
                            mostInside.max(now, ordering: .sequentiallyConsistent)
                            _ = try connection.queryFirst("SELECT count(*) FROM t")
                            gate.wait()
                            inside.subtract(1, ordering: .sequentiallyConsistent)
                        }
                    } catch {
                        failures.add(1, ordering: .sequentiallyConsistent)
                    }
                }
            }
            // `bound` readers hold a connection; the others wait for one instead of opening their own.
            let settled = eventually {
                pool.statistics == .init(open: bound, checkedOut: bound, waiting: extra)
            }
            #expect(settled, "statistics: \(pool.statistics)")
            for _ in 0..<(bound + extra) { gate.signal() }
            group.wait()
            #expect(failures.load(ordering: .sequentiallyConsistent) == 0)
            #expect(mostInside.load(ordering: .sequentiallyConsistent) <= bound)
            #expect(pool.statistics == .init(open: bound, checkedOut: 0, waiting: 0))
            try pool.close()
        }
    }

    @Test func closeClosesEveryConnectionAndRefusesNewReaders() throws {
        try withTemporaryDirectory { dir in
            let pool = ConnectionPool(path: try database(dir), maximumReaders: 3)
            var lent: [Connection] = []
            try pool.withConnection { first in
                try pool.withConnection { second in
                    #expect(first !== second)
                    lent = [first, second]
                }
            }
            #expect(pool.statistics.open == 2)
            try pool.close()
            #expect(pool.statistics.open == 0)
            #expect(lent.count == 2 && lent.allSatisfy { $0.isClosed })
            let error = try #require(throws: StorageError.self) { try pool.withConnection { _ in } }
            #expect(error.code == .closed)
            try pool.close()  // twice is harmless
        }
    }
}
