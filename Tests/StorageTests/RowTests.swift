import Foundation
import Storage
import TestSupport
import Testing

@Suite struct RowTests {
    @Test func readsColumnsByName() throws {
        try withTemporaryDirectory { dir in
            let db = try Connection(path: dir.appendingPathComponent("t.sqlite").path)
            try db.execute("CREATE TABLE t (tenant_id TEXT, n INTEGER, r REAL, b BLOB, missing TEXT)")
            try db.run("INSERT INTO t VALUES ('a', 42, 2.5, x'00ff', NULL)")
            let row = try #require(try db.queryFirst("SELECT r, n AS count, tenant_id, b, missing FROM t"))
            #expect(row.columns == ["r", "count", "tenant_id", "b", "missing"])
            #expect(row["tenant_id"] == .text("a"))
            #expect(row["n"] == nil)  // selected as `count`
            #expect(try row.string("tenant_id") == "a")
            #expect(try row.int("count") == 42)
            #expect(try row.int64("count") == 42)
            #expect(try row.double("r") == 2.5)
            #expect(try row.double("count") == 42)
            #expect(try row.bytes("b") == [0, 255])
            #expect(try row.optionalString("missing") == nil)
            #expect(try row.optionalInt64("missing") == nil)
            #expect(try row.optionalDouble("r") == 2.5)
            #expect(try row.string(2) == "a")  // positions still work
        }
    }

    @Test func aMissingOrMistypedColumnIsANamedError() throws {
        try withTemporaryDirectory { dir in
            let db = try Connection(path: dir.appendingPathComponent("t.sqlite").path)
            let row = try #require(try db.queryFirst("SELECT 1 AS tenant_id, 'x' AS town_id"))
            let missing = try #require(throws: StorageError.self) { try row.string("token_id") }
            #expect(missing.code == .noSuchColumn)
            #expect(missing.description.contains("token_id"))
            #expect(missing.description.contains("tenant_id, town_id"))
            let mistyped = try #require(throws: StorageError.self) { try row.string("tenant_id") }
            #expect(mistyped.code == .typeMismatch)
            #expect(mistyped.description.contains("column tenant_id"))
            #expect(mistyped.description.contains("expected text"))
            let positional = try #require(throws: StorageError.self) { try row.int(1) }
            #expect(positional.description.contains("column town_id"))
        }
    }
}
