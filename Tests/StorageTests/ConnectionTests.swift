import Foundation
import Storage
import TestSupport
import Testing

@Suite struct ConnectionTests {
    @Test func roundTripsEveryValueType() throws {
        try withTemporaryDirectory { dir in
            let db = try Connection(path: dir.appendingPathComponent("t.sqlite").path)
            try db.execute("CREATE TABLE t (a, b, c, d, e)")
            try db.run("INSERT INTO t VALUES (?, ?, ?, ?, ?)", [.null, 42, 2.5, "héllo", .blob([0, 255, 7])])
            let row = try #require(try db.queryFirst("SELECT a, b, c, d, e FROM t"))
            #expect(row.values == [.null, .integer(42), .real(2.5), .text("héllo"), .blob([0, 255, 7])])
            #expect(try row.int(1) == 42)
            #expect(try row.double(1) == 42)
            #expect(throws: StorageError.self) { try row.string(1) }
        }
    }

    @Test func usesWriteAheadLog() throws {
        try withTemporaryDirectory { dir in
            let db = try Connection(path: dir.appendingPathComponent("t.sqlite").path, durability: .full)
            #expect(try db.queryFirst("PRAGMA journal_mode")?.string(0) == "wal")
            #expect(try db.queryFirst("PRAGMA synchronous")?.int(0) == 2)
        }
    }

    @Test func transactionRollsBackWhenBodyThrows() throws {
        struct Boom: Error {}
        try withTemporaryDirectory { dir in
            let db = try Connection(path: dir.appendingPathComponent("t.sqlite").path)
            try db.execute("CREATE TABLE t (x INTEGER)")
            var caught: (any Error)?
            do {
                try db.transaction {
                    try db.run("INSERT INTO t VALUES (1)")
                    throw Boom()
                }
            } catch {
                caught = error
            }
            #expect(caught is Boom)
            #expect(try db.queryFirst("SELECT count(*) FROM t")?.int(0) == 0)
            try db.transaction { try db.run("INSERT INTO t VALUES (2)") }
            #expect(try db.queryFirst("SELECT count(*) FROM t")?.int(0) == 1)
        }
    }

    @Test func errorNamesCodeMessageAndStatement() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("t.sqlite").path
            let db = try Connection(path: path)
            try db.execute("CREATE TABLE t (x INTEGER PRIMARY KEY)")
            try db.run("INSERT INTO t VALUES (1)")
            var matched = false
            do { try db.run("INSERT INTO t VALUES (1)") } catch StorageError.Code.constraint { matched = true }
            #expect(matched)
            let error = try #require(throws: StorageError.self) { try db.run("INSERT INTO t VALUES (1)") }
            #expect(error.code.primary == 19)
            #expect(error.description.contains("UNIQUE constraint failed: t.x"))
            #expect(error.description.contains("INSERT INTO t VALUES (1)"))
            #expect(error.description.contains(path))
        }
    }

    @Test func openingAMissingDirectoryFailsWithAdvice() throws {
        let error = try #require(throws: StorageError.self) {
            try Connection(path: "/nonexistent-dir-\(UUID().uuidString)/x.sqlite")
        }
        #expect(error.code == .cantOpen || error.code.primary == 14)
        #expect(error.description.contains("directory exists"))
    }

    @Test func preparedStatementIsReusable() throws {
        try withTemporaryDirectory { dir in
            let db = try Connection(path: dir.appendingPathComponent("t.sqlite").path)
            try db.execute("CREATE TABLE t (k TEXT, v REAL)")
            let insert = try db.prepare("INSERT INTO t VALUES (?, ?)")
            for i in 0..<100 {
                try insert.bind([.text("k\(i)"), .real(Double(i) / 2)])
                try insert.step()
            }
            let row = try #require(try db.queryFirst("SELECT count(*), sum(v) FROM t"))
            #expect(try row.int(0) == 100)
            #expect(try row.double(1) == 2475)
        }
    }
}

@Suite struct MigratorTests {
    let migrator = Migrator([
        .init(1, "create", "CREATE TABLE a (x INTEGER)"),
        .init(2, "add", "ALTER TABLE a ADD COLUMN y TEXT"),
    ])

    @Test func appliesEachMigrationOnce() throws {
        try withTemporaryDirectory { dir in
            let db = try Connection(path: dir.appendingPathComponent("t.sqlite").path)
            #expect(try migrator.migrate(db) == [1, 2])
            #expect(try migrator.migrate(db) == [])
            try db.run("INSERT INTO a (x, y) VALUES (1, 'z')")
        }
    }

    @Test func failedMigrationLeavesNothingBehind() throws {
        try withTemporaryDirectory { dir in
            let db = try Connection(path: dir.appendingPathComponent("t.sqlite").path)
            let broken = Migrator([.init(1, "create", "CREATE TABLE a (x INTEGER)"),
                                   .init(2, "bad", "CREATE TABLE b (x); SELECT nonsense FROM nowhere")])
            #expect(throws: StorageError.self) { try broken.migrate(db) }
            #expect(try db.query("SELECT number FROM schema_migrations").map { try $0.int(0) } == [1])
            #expect(try db.query("SELECT name FROM sqlite_master WHERE name = 'b'").isEmpty)
        }
    }

    @Test func refusesDatabaseFromNewerBuild() throws {
        try withTemporaryDirectory { dir in
            let db = try Connection(path: dir.appendingPathComponent("t.sqlite").path)
            let newer = Migrator(migrator.migrations + [.init(3, "future", "CREATE TABLE f (x)")])
            try newer.migrate(db)
            let error = try #require(throws: StorageError.self) { try migrator.migrate(db) }
            #expect(error.code == .schemaTooNew)
            #expect(error.description.contains("newer TownBench"))
        }
    }
}
