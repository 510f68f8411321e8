import Foundation
import Storage
import TestSupport
import Testing

@Suite struct CloseTests {
    @Test func closeReportsStatementsStillInUseAndKeepsTheConnectionOpen() throws {
        try withTemporaryDirectory { dir in
            let db = try Connection(path: dir.appendingPathComponent("t.sqlite").path)
            var statement: Statement? = try db.prepare("SELECT 41 + 1")
            let error = try #require(throws: StorageError.self) { try db.close() }
            #expect(error.code == .busy)
            #expect(error.description.contains("SELECT 41 + 1"))
            #expect(!db.isClosed)
            #expect(try db.queryFirst("SELECT 1")?.int(0) == 1)
            #expect(try statement?.step() == true)
            statement = nil
            try db.close()
            #expect(db.isClosed)
            try db.close()  // twice is harmless
        }
    }

    @Test func closeFinalisesTheConnectionsOwnStatements() throws {
        try withTemporaryDirectory { dir in
            let db = try Connection(path: dir.appendingPathComponent("t.sqlite").path)
            let cached = try db.cachedStatement("SELECT 7")
            #expect(try cached.step())
            #expect(cached.int64(at: 0) == 7)
            #expect(try db.cachedStatement("SELECT 7").step())  // the same compiled statement, reused
            try db.close()
            #expect(db.isClosed)
        }
    }
}
