import Coordinator
import Foundation
import Storage
import TestSupport
import Testing

@Suite struct SQLiteStoreTests {
    @Test func closeClosesTheReadersToo() throws {
        try withTemporaryDirectory { dir in
            let store = try SQLiteCoordinatorStore(path: dir.appendingPathComponent("coordinator.sqlite").path, maximumReaders: 2)
            try store.addTenant(Tenant(id: "daks", name: "DAKS"))
            #expect(try store.tenant(.administrative("daks"))?.name == "DAKS")  // opens a reader
            try store.close()
            // Before, readers stayed open until the store was released, and this read still worked.
            let error = try #require(throws: CoordinatorError.self) { try store.tenant(.administrative("daks")) }
            #expect(error.code == .storage)
            #expect("\(error)".contains("closed"))
        }
    }
}
