// Two real `townbench-coordinator serve` processes on one PostgreSQL database. Runs once `serve`
// accepts `--database postgres://…` (the coordinator CLI's option; see CoordinatorDatabase.open);
// until then it is skipped with a message saying so, and PostgresConcurrencyTests covers the same
// race with two stores in one process.
@testable import Coordinator
import Dispatch
import Federation
import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Whether the built `townbench-coordinator serve` documents `--database`.
enum ServeDatabaseOption {
    static let isAvailable: Bool = {
        guard let help = try? runProcess(Repository.executable("townbench-coordinator"), ["serve", "--help"]) else { return false }
        return help.stdout.contains("--database")
    }()
}

@Suite("Two coordinator processes on one PostgreSQL database",
       .enabled(if: PostgresTestServer.isAvailable, PostgresTestServer.skipComment),
       .enabled(if: ServeDatabaseOption.isAvailable,
                "townbench-coordinator serve has no --database option yet: the two-process race runs at store level (PostgresConcurrencyTests)"))
struct PostgresProcessTests {
    static let binary = Repository.executable("townbench-coordinator")
    static let tenant = Fixture.tenantA

    /// Starts `serve --database url` with its own directory (for its signing key); returns it and its port.
    static func serve(_ dir: URL, database: String) throws -> (Process, UInt16) {
        let coordinator = try CoordinatorDirectory.create(at: dir)
        let (process, port, _) = try ProcessTests.start(["serve", "--dir", coordinator.url.path, "--database", database, "--port", "0", "--quiet"])
        return (process, port)
    }

    @Test("submissions of one town with one sequence, spread over two processes: exactly one wins; then sequences in order")
    func race() throws {
        let storage = try BackendStore(.postgres)
        let schema = try #require(storage.schema)
        let store = storage.store
        let scope = TenantScope.administrative(Self.tenant)
        try store.addTenant(Tenant(id: Self.tenant, name: "DAKS"))
        try store.addTown(Town(id: "veurne", name: "Veurne"), scope)
        let key = try Ed25519.PrivateKey()
        try store.enrol(KeyRecord(keyID: key.publicKey.keyID, publicKey: key.publicKey, tenantID: Self.tenant, townID: "veurne",
                                  enrolledAt: Date(timeIntervalSince1970: 0)), scope)
        // The processes find the tables through the URL's search_path.
        let url = try PostgresTestServer.url(schema: schema)
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("townbench-pgproc-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let (one, portOne) = try Self.serve(base.appendingPathComponent("one"), database: url)
        defer { one.terminate(); one.waitUntilExit() }
        let (two, portTwo) = try Self.serve(base.appendingPathComponent("two"), database: url)
        defer { two.terminate(); two.waitUntilExit() }
        let ports = [portOne, portTwo]

        for round in 1...5 {
            let bodies = try (0..<8).map { i in
                try envelope(tenant: Self.tenant, town: "veurne", key: key, sequence: round,
                             days: [DayData(date: "2026-11-02", sensors: [("a", Double(100 * round + i))])])
            }
            let statuses = LockedArray<Int>()
            DispatchQueue.concurrentPerform(iterations: bodies.count) { i in
                let port = ports[i % 2]
                statuses.append((try? http(port, "POST", "/v1/tenants/\(Self.tenant)/submissions", body: bodies[i]).status) ?? -1)
            }
            #expect(statuses.values.filter { $0 == 202 }.count == 1, "round \(round): \(statuses.values)")
            #expect(statuses.values.filter { $0 == 409 }.count == 7, "round \(round): \(statuses.values)")
        }
        #expect(try store.submissions(town: "veurne", scope).map(\.sequence) == [1, 2, 3, 4, 5])
    }
}
