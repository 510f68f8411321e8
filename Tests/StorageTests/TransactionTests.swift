import Foundation
import Storage
import TestSupport
import Testing

@Suite struct TransactionTests {
    /// Two connections to one file that fail at once (no busy wait) when the other holds the write lock.
    private func twoConnections(_ dir: URL) throws -> (Connection, Connection) {
        let path = dir.appendingPathComponent("t.sqlite").path
        let first = try Connection(path: path, busyTimeout: .zero)
        try first.execute("CREATE TABLE t (x INTEGER)")
        return (first, try Connection(path: path, busyTimeout: .zero))
    }

    @Test func deferredLeavesTheWriteLockFreeWhileImmediateAndExclusiveTakeIt() throws {
        try withTemporaryDirectory { dir in
            let (first, second) = try twoConnections(dir)
            try first.transaction(.deferred) {
                try second.transaction { try second.run("INSERT INTO t VALUES (1)") }
            }
            for kind in [Connection.TransactionKind.immediate, .exclusive] {
                try first.transaction(kind) {
                    #expect(throws: StorageError.self) { try second.transaction { try second.run("INSERT INTO t VALUES (2)") } }
                }
            }
            #expect(try first.queryFirst("SELECT count(*) FROM t")?.int(0) == 1)
        }
    }

    @Test func readSeesOneSnapshot() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("t.sqlite").path
            let writer = try Connection(path: path)
            try writer.execute("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1)")
            let reader = try Connection(path: path, readOnly: true)
            let (before, after) = try reader.read {
                let before = try reader.queryFirst("SELECT count(*) FROM t")?.int(0)
                try writer.run("INSERT INTO t VALUES (2)")
                return (before, try reader.queryFirst("SELECT count(*) FROM t")?.int(0))
            }
            #expect(before == 1)
            #expect(after == 1)
            #expect(try reader.queryFirst("SELECT count(*) FROM t")?.int(0) == 2)
        }
    }

    @Test func readReportsAFailedCommit() throws {
        try withTemporaryDirectory { dir in
            let db = try Connection(path: dir.appendingPathComponent("t.sqlite").path)
            // The body ends the transaction itself, so read's own COMMIT fails: that must be an error.
            let error = try #require(throws: StorageError.self) {
                try db.read { try db.execute("COMMIT") }
            }
            #expect(error.description.contains("COMMIT"))
        }
    }

    @Test func readRollsBackWhenBodyThrows() throws {
        struct Boom: Error {}
        try withTemporaryDirectory { dir in
            let db = try Connection(path: dir.appendingPathComponent("t.sqlite").path)
            try db.execute("CREATE TABLE t (x INTEGER)")
            // Written as do/catch around a closure returning a value: with `#expect(throws:)` around a
            // closure that always throws, Swift 6.3 was observed to run that closure again later
            // (as the body of the next `transaction` call in this function).
            var caught: (any Error)?
            do {
                _ = try db.read { () throws -> Int in
                    try db.run("INSERT INTO t VALUES (1)")
                    if db.changes == 1 { throw Boom() }
                    return 0
                }
            } catch {
                caught = error
            }
            #expect(caught is Boom)
            #expect(try db.queryFirst("SELECT count(*) FROM t")?.int(0) == 0)
            try db.transaction { try db.run("INSERT INTO t VALUES (2)") }  // no transaction was left open
            #expect(try db.queryFirst("SELECT count(*) FROM t")?.int(0) == 1)
        }
    }
}
