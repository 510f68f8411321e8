import Foundation
import PostgreSQL
import Testing

@Suite("PostgresConnection against a real server", .enabled(if: TestServer.isAvailable, TestServer.skipComment))
struct PostgresConnectionTests {
    @Test("parameters of every kind round-trip to the values sent")
    func roundTrip() throws {
        try TestServer.withSchema { url in
            let db = try PostgresConnection(url: url)
            defer { db.close() }
            let text = "Sint-Gillis-Waas \"ré\" \\ ' ; DROP TABLE x; -- 🚲"
            let bytes: [UInt8] = [0x00, 0xFF, 0x5C, 0x78, 0x27, 0x00]
            let rows = try db.query("SELECT $1::text, $2::int8, $3::int8, $4::float8, $5::bool, $6::bytea, $7::text, $8::float8, $9::float8",
                                    [.text(text), .integer(Int64.max), .integer(Int64.min), .double(0.1), .bool(true), .bytes(bytes),
                                     .null, .double(-1.5e300), .double(.infinity)])
            #expect(rows.count == 1)
            let row = rows[0]
            #expect(try row.string(0) == text)
            #expect(try row.int64(1) == Int64.max)
            #expect(try row.int64(2) == Int64.min)
            #expect(try row.double(3) == 0.1)
            #expect(try row.bool(4) == true)
            #expect(try row.bytes(5) == bytes)
            #expect(row.isNull(6))
            #expect(row.optionalString(6) == nil)
            #expect(try row.double(7) == -1.5e300)
            #expect(try row.double(8) == .infinity)
            // What the server computed from the values, not only what it echoed: length in characters, octets.
            let lengths = try db.query("SELECT char_length($1::text), octet_length($2::bytea)", [.text(text), .bytes(bytes)])
            #expect(try lengths[0].int(0) == text.count)
            #expect(try lengths[0].int(1) == 6)
        }
    }

    @Test("array parameters keep quotes, backslashes, commas, braces, the word NULL and real NULLs apart")
    func arrays() throws {
        try TestServer.withSchema { url in
            let db = try PostgresConnection(url: url)
            defer { db.close() }
            let texts: [String?] = ["a\"b", "c\\d", "e,f", "{g}", "NULL", nil, "", " spaced "]
            let rows = try db.query("SELECT t, i, d FROM unnest($1::text[], $2::int8[], $3::float8[]) WITH ORDINALITY AS u(t, i, d, n) ORDER BY n",
                                    [.textArray(texts), .integerArray([1, nil, -3, 4, 5, 6, 7, 8]),
                                     .doubleArray([0.5, 1, nil, 2.25, -0.125, 1e-9, 3, 4])])
            #expect(rows.count == 8)
            #expect(rows.map { $0.optionalString(0) } == texts)
            #expect(try rows.map { try $0.optionalInt64(1) } == [1, nil, -3, 4, 5, 6, 7, 8])
            #expect(try rows.map { try $0.optionalDouble(2) } == [0.5, 1, nil, 2.25, -0.125, 1e-9, 3, 4])
        }
    }

    @Test("a unique violation carries SQLSTATE 23505, the constraint and the SQL, and hides the values")
    func uniqueViolation() throws {
        try TestServer.withSchema { url in
            let db = try PostgresConnection(url: url)
            defer { db.close() }
            try db.execute("CREATE TABLE towns (id TEXT PRIMARY KEY, name TEXT NOT NULL)")
            let insert = "INSERT INTO towns (id, name) VALUES ($1, $2)"
            try db.run(insert, [.text("veurne"), .text("Veurne")])
            let error = try #require(throws: PostgresError.self) { try db.run(insert, [.text("veurne"), .text("secret-name")]) }
            #expect(error.code == .uniqueViolation)
            #expect(error.code.sqlState == "23505")
            #expect(error.constraint == "towns_pkey")
            #expect(error.sql == insert)
            #expect(error.detail?.contains("veurne") == true)
            #expect(error.description.contains("SQLSTATE 23505"))
            #expect(error.description.contains(insert))
            #expect(!error.description.contains("veurne"))
            #expect(PostgresError.Code.uniqueViolation ~= error)
            #expect(PostgresError.Code.integrityConstraintViolation ~= error)
            #expect(!(PostgresError.Code.foreignKeyViolation ~= error))
            // The connection is usable afterwards (not inside a failed transaction).
            #expect(try db.query("SELECT count(*) FROM towns")[0].int(0) == 1)
        }
    }

    @Test("syntax errors, unknown tables and NOT NULL each get their own SQLSTATE")
    func otherErrors() throws {
        try TestServer.withSchema { url in
            let db = try PostgresConnection(url: url)
            defer { db.close() }
            #expect(throws: PostgresError.self) { try db.query("SELEC 1") }
            do { try db.query("SELEC 1") } catch let error as PostgresError { #expect(error.code == .syntaxError) }
            do { try db.query("SELECT * FROM no_such_table") } catch let error as PostgresError { #expect(error.code == .undefinedTable) }
            try db.execute("CREATE TABLE t (v TEXT NOT NULL)")
            do {
                try db.run("INSERT INTO t (v) VALUES ($1)", [.null])
                Issue.record("NULL into NOT NULL was accepted")
            } catch let error as PostgresError {
                #expect(error.code == .notNullViolation)
            }
        }
    }

    @Test("binary results read as the text form does: integers of each width, doubles, booleans, bytea in place, text")
    func binaryResults() throws {
        try TestServer.withSchema { url in
            let db = try PostgresConnection(url: url)
            defer { db.close() }
            let bytes: [UInt8] = [0x00, 0xFF, 0x5C, 0x78, 0x01]
            let sql = "SELECT $1::int2, $2::int4, $3::int8, $4::float8, $5::float4, $6::bool, $7::bytea, $8::text, NULL::int4, ''::bytea"
            let parameters: [PostgresValue] = [.integer(-12_345), .integer(-2_000_000_000), .integer(Int64.min + 1), .double(-0.1),
                                               .double(0.5), .bool(true), .bytes(bytes), .text("Ieper 🚲")]
            for row in [try db.query(sql, parameters)[0], try db.query(sql, parameters, binaryResults: true)[0]] {
                #expect(try row.int64(0) == -12_345)
                #expect(try row.int64(1) == -2_000_000_000)
                #expect(try row.int64(2) == Int64.min + 1)
                #expect(try row.double(3) == -0.1)
                #expect(try row.double(4) == 0.5)
                #expect(try row.double(1) == -2e9)
                #expect(try row.bool(5) == true)
                #expect(try row.bytes(6) == bytes)
                #expect(try row.withBytes(6) { Array($0) } == bytes)
                #expect(try row.withBytes(9) { $0.count } == 0)
                #expect(try row.string(7) == "Ieper 🚲")
                #expect(try row.optionalInt64(8) == nil)
                #expect(throws: PostgresError.self) { try row.withBytes(8) { $0.count } }
                #expect(throws: PostgresError.self) { try row.withBytes(7) { $0.count } }
            }
        }
    }

    @Test("reading a column as the wrong type throws typeMismatch naming the column")
    func typeMismatch() throws {
        try TestServer.withSchema { url in
            let db = try PostgresConnection(url: url)
            defer { db.close() }
            let row = try db.query("SELECT 'abc'::text AS label, NULL::int8 AS missing")[0]
            let error = try #require(throws: PostgresError.self) { try row.int(0) }
            #expect(error.code == .typeMismatch)
            #expect(error.message.contains("label"))
            #expect(try row.optionalInt(1) == nil)
            #expect(throws: PostgresError.self) { try row.int(1) }
            #expect(throws: PostgresError.self) { try row.bytes(0) }
        }
    }

    @Test("a refused connection names the server without the password and says what to do")
    func connectionFailure() throws {
        let base = try #require(TestServer.url, TestServer.skipComment)
        let components = try #require(URLComponents(string: base))
        let password = try #require(components.password)
        var wrongPort = components
        wrongPort.port = 1  // nothing listens on port 1
        let error = try #require(throws: PostgresError.self) { try PostgresConnection(url: try #require(wrongPort.string)) }
        #expect(error.code == .connectionFailure)
        #expect(PostgresError.Code.connectionException ~= error)
        #expect(!error.description.contains(password))
        #expect(error.description.contains("127.0.0.1:1"))
        #expect(error.description.contains("Check that the PostgreSQL server is running"))

        var wrongPassword = components
        wrongPassword.password = "not-" + password
        let denied = try #require(throws: PostgresError.self) { try PostgresConnection(url: try #require(wrongPassword.string)) }
        #expect(denied.code == .invalidPassword)
        #expect(!denied.description.contains(password))
        #expect(denied.description.contains("password"))
    }

    @Test("transaction: commits on return, rolls back on throw, refuses to report a failed transaction as committed")
    func transactions() throws {
        struct Boom: Error {}
        try TestServer.withSchema { url in
            let db = try PostgresConnection(url: url)
            defer { db.close() }
            try db.execute("CREATE TABLE t (v BIGINT PRIMARY KEY)")
            let returned = try db.transaction {
                try db.run("INSERT INTO t VALUES ($1)", [.int(1)])
                return 42
            }
            #expect(returned == 42)
            #expect(throws: Boom.self) {
                try db.transaction {
                    try db.run("INSERT INTO t VALUES ($1)", [.int(2)])
                    throw Boom()
                }
            }
            // A failed statement whose error the body swallowed: COMMIT must not pretend.
            let error = try #require(throws: PostgresError.self) {
                try db.transaction {
                    try db.run("INSERT INTO t VALUES ($1)", [.int(3)])
                    _ = try? db.run("INSERT INTO t VALUES ($1)", [.int(1)])  // duplicate: aborts the transaction
                }
            }
            #expect(error.code == .inFailedTransaction)
            #expect(!db.isInTransaction)
            let values = try db.query("SELECT v FROM t ORDER BY v").map { try $0.int(0) }
            #expect(values == [1])
        }
    }

    @Test("the same statement runs many times through one prepared statement; hundreds of distinct ones still work")
    func preparedStatements() throws {
        try TestServer.withSchema { url in
            let db = try PostgresConnection(url: url)
            defer { db.close() }
            var sum = 0
            for i in 1...300 { sum += try db.query("SELECT $1::int8 * 2", [.int(i)])[0].int(0) }
            #expect(sum == 300 * 301)  // 2 × (1 + … + 300)
            for i in 1...300 {
                // 300 distinct SQL texts: beyond the cache they run unnamed.
                #expect(try db.query("SELECT $1::int8 + \(i)", [.int(1)])[0].int(0) == i + 1)
            }
            let prepared = try db.query("SELECT count(*) FROM pg_prepared_statements")[0].int(0)
            #expect(prepared == 256)
        }
    }

    @Test("pipeline: statements run in order in one round trip and return their rows in order")
    func pipeline() throws {
        try TestServer.withSchema { url in
            let db = try PostgresConnection(url: url)
            defer { db.close() }
            try db.execute("CREATE TABLE t (v BIGINT PRIMARY KEY)")
            let results = try db.pipeline([
                ("INSERT INTO t VALUES ($1) RETURNING v * 10", [.int(1)]),
                ("INSERT INTO t VALUES ($1) RETURNING v * 10", [.int(2)]),
                ("SELECT count(*), sum(v)::int8 FROM t", []),
                ("SELECT $1::text || '!'", [.text("Menen")]),
            ])
            #expect(results.count == 4)
            #expect(try results[0][0].int(0) == 10)
            #expect(try results[1][0].int(0) == 20)
            #expect(try results[2][0].int(0) == 2)  // the third statement saw the two inserts before it
            #expect(try results[2][0].int(1) == 3)
            #expect(try results[3][0].string(0) == "Menen!")
            #expect(try db.pipeline([]).isEmpty)
            // Back in normal mode.
            #expect(try db.query("SELECT count(*) FROM t")[0].int(0) == 2)
        }
    }

    @Test("pipeline: a failing statement throws its SQLSTATE, the rest are skipped, the pipeline's implicit transaction is undone")
    func pipelineError() throws {
        try TestServer.withSchema { url in
            let db = try PostgresConnection(url: url)
            defer { db.close() }
            try db.execute("CREATE TABLE t (v BIGINT PRIMARY KEY)")
            try db.run("INSERT INTO t VALUES ($1)", [.int(1)])
            let error = try #require(throws: PostgresError.self) {
                try db.pipeline([
                    ("INSERT INTO t VALUES ($1)", [.int(2)]),
                    ("INSERT INTO t VALUES ($1)", [.int(1)]),  // duplicate
                    ("INSERT INTO t VALUES ($1)", [.int(3)]),
                ])
            }
            #expect(error.code == .uniqueViolation)
            #expect(try db.query("SELECT v FROM t ORDER BY v").map { try $0.int(0) } == [1])
            // Inside an explicit transaction the failure fails the transaction, which is rolled back.
            #expect(throws: PostgresError.self) {
                try db.transaction {
                    try db.run("INSERT INTO t VALUES ($1)", [.int(4)])
                    _ = try db.pipeline([("INSERT INTO t VALUES ($1)", [.int(1)])])
                }
            }
            #expect(!db.isInTransaction)
            #expect(try db.query("SELECT v FROM t ORDER BY v").map { try $0.int(0) } == [1])
        }
    }
}
