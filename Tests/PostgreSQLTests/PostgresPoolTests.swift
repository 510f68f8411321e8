import Dispatch
import Foundation
import PostgreSQL
import Synchronization
import Testing

@Suite("PostgresPool and PostgresMigrator against a real server", .enabled(if: TestServer.isAvailable, TestServer.skipComment))
struct PostgresPoolTests {
    @Test("eight threads share at most two connections, and every insert lands once")
    func boundedSharing() throws {
        try TestServer.withSchema { url in
            let setupCount = Atomic<Int>(0)
            let pool = PostgresPool(url: url, maximumConnections: 2) { _ in setupCount.add(1, ordering: .relaxed) }
            defer { pool.close() }
            try pool.withConnection { try $0.execute("CREATE TABLE t (thread INT, i INT, pid INT)") }
            let failures = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 8) { thread in
                do {
                    for i in 0..<25 {
                        try pool.withConnection { db in
                            try db.run("INSERT INTO t VALUES ($1, $2, pg_backend_pid())", [.int(thread), .int(i)])
                        }
                    }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
            #expect(failures.withLock { $0 } == [])
            let (rows, distinctRows, pids) = try pool.withConnection { db in
                let counts = try db.query("SELECT count(*), count(DISTINCT (thread, i)), count(DISTINCT pid) FROM t")[0]
                return (try counts.int(0), try counts.int(1), try counts.int(2))
            }
            #expect(rows == 200)
            #expect(distinctRows == 200)
            #expect(pids <= 2)
            #expect(setupCount.load(ordering: .relaxed) <= 2)
        }
    }

    @Test("setup runs on each new connection (search_path); a connection left in a transaction is rolled back")
    func setupAndLeftoverTransaction() throws {
        try TestServer.withSchema { url in
            let pool = PostgresPool(url: url, maximumConnections: 1) { db in
                try db.query("SELECT set_config('application_name', $1, false)", [.text("townbench-test")])
            }
            defer { pool.close() }
            let name = try pool.withConnection { db in
                try db.query("SELECT current_setting('application_name')")[0].string(0)
            }
            #expect(name == "townbench-test")
            try pool.withConnection { db in
                try db.execute("CREATE TABLE t (v INT)")
                try db.execute("BEGIN")
                try db.run("INSERT INTO t VALUES ($1)", [.int(1)])
                // returned to the pool without COMMIT
            }
            let (inTransaction, count) = try pool.withConnection { db in
                (db.isInTransaction, try db.query("SELECT count(*) FROM t")[0].int(0))
            }
            #expect(!inTransaction)
            #expect(count == 0)
        }
    }

    @Test("a connection the server killed is discarded and the next caller gets a fresh one")
    func brokenConnection() throws {
        try TestServer.withSchema { url in
            let pool = PostgresPool(url: url, maximumConnections: 1)
            defer { pool.close() }
            let first = try pool.withConnection { $0.backendPID }
            let error = try #require(throws: PostgresError.self) {
                try pool.withConnection { db in try db.query("SELECT pg_terminate_backend(pg_backend_pid())") }
            }
            #expect(error.code.sqlClass == "57" || error.code.sqlClass == "08")
            #expect(pool.idleCount == 0)
            let second = try pool.withConnection { $0.backendPID }
            #expect(second != first)
        }
    }

    @Test("a closed pool refuses with poolClosed")
    func closedPool() throws {
        try TestServer.withSchema { url in
            let pool = PostgresPool(url: url)
            try pool.withConnection { _ in }
            pool.close()
            let error = try #require(throws: PostgresError.self) { try pool.withConnection { _ in } }
            #expect(error.code == .poolClosed)
        }
    }

    static let migrator = PostgresMigrator([
        .init(1, "towns", "CREATE TABLE towns (id TEXT PRIMARY KEY); INSERT INTO towns VALUES ('veurne');"),
        .init(2, "names", "ALTER TABLE towns ADD COLUMN name TEXT; UPDATE towns SET name = 'Veurne';"),
    ])

    @Test("migrations run once each, in order; a failing one leaves no trace")
    func migrations() throws {
        try TestServer.withSchema { url in
            let db = try PostgresConnection(url: url)
            defer { db.close() }
            #expect(try Self.migrator.migrate(db) == [1, 2])
            #expect(try Self.migrator.migrate(db) == [])
            #expect(try db.query("SELECT name FROM towns")[0].string(0) == "Veurne")
            let broken = PostgresMigrator(Self.migrator.migrations + [
                .init(3, "half", "CREATE TABLE half (v INT); SELECT no_such_function();"),
            ])
            #expect(throws: PostgresError.self) { try broken.migrate(db) }
            #expect(try db.query("SELECT count(*) FROM schema_migrations")[0].int(0) == 2)
            #expect(try db.query("SELECT to_regclass('half') IS NULL")[0].bool(0))
        }
    }

    @Test("a database migrated by a newer build is refused with schemaTooNew")
    func newerSchema() throws {
        try TestServer.withSchema { url in
            let db = try PostgresConnection(url: url)
            defer { db.close() }
            let newer = PostgresMigrator(Self.migrator.migrations + [.init(3, "future", "CREATE TABLE future (v INT)")])
            try newer.migrate(db)
            let error = try #require(throws: PostgresError.self) { try Self.migrator.migrate(db) }
            #expect(error.code == .schemaTooNew)
            #expect(error.description.contains("migration 3"))
            #expect(error.description.contains("Upgrade TownBench"))
        }
    }

    @Test("four connections migrating at once apply each migration exactly once")
    func concurrentMigrations() throws {
        try TestServer.withSchema { url in
            let applied = Mutex<[[Int]]>([])
            let failures = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 4) { _ in
                do {
                    let db = try PostgresConnection(url: url)
                    defer { db.close() }
                    let numbers = try Self.migrator.migrate(db)
                    applied.withLock { $0.append(numbers) }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
            #expect(failures.withLock { $0 } == [])
            #expect(applied.withLock { $0.flatMap { $0 }.sorted() } == [1, 2])
        }
    }
}
