// The PostgreSQL side of the coordinator tests: the throwaway server of
// deploy/postgres-test-server.sh, one schema per test, and a fixture over either backend.
@testable import Coordinator
import Federation
import Foundation
import HTTPServer
import PostgreSQL
import Storage
import Testing
import TestSupport

/// `TOWNBENCH_TEST_POSTGRES_URL` (CI always sets it). Without it the PostgreSQL suites are skipped
/// with ``skipComment`` and the parity tests run on SQLite only.
enum PostgresTestServer {
    static let url: String? = ProcessInfo.processInfo.environment["TOWNBENCH_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    static var isAvailable: Bool { url != nil }
    static let skipComment: Comment = """
        TOWNBENCH_TEST_POSTGRES_URL is not set, so no PostgreSQL server to test against: run \
        `eval "$(deploy/postgres-test-server.sh start)"` first (deploy/check.sh does)
        """

    static func newSchemaName() -> String {
        "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    }

    /// `url` with `search_path` = `schema`, for raw connections that bypass the store.
    static func url(schema: String) throws -> String {
        let base = try #require(url, skipComment)
        return base + (base.contains("?") ? "&" : "?") + "options=-csearch_path%3D\(schema)"
    }

    static func dropSchema(_ schema: String) {
        guard let url, let db = try? PostgresConnection(url: url) else { return }
        // DDL takes no parameters; the name is ours (t_ + hex).
        try? db.execute("DROP SCHEMA IF EXISTS \(schema) CASCADE")
        db.close()
    }
}

/// The two implementations of ``CoordinatorStore``; parity tests run on each available one.
enum StoreBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres
    static var available: [StoreBackend] { PostgresTestServer.isAvailable ? allCases : [.sqlite] }
    var testDescription: String { rawValue }
}

/// A store of either backend in its own place (temp directory or schema), removed on deinit.
final class BackendStore {
    let backend: StoreBackend
    let store: any CoordinatorStore
    private let directory: URL
    let schema: String?

    init(_ backend: StoreBackend) throws {
        self.backend = backend
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("townbench-pgtest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        switch backend {
        case .sqlite:
            schema = nil
            store = try SQLiteCoordinatorStore(path: directory.appendingPathComponent("coordinator.sqlite").path)
        case .postgres:
            let schema = PostgresTestServer.newSchemaName()
            self.schema = schema
            store = try PostgresCoordinatorStore(url: try #require(PostgresTestServer.url, PostgresTestServer.skipComment),
                                                 schema: schema, maximumConnections: 8)
        }
    }

    /// A second store on the same data (a restart, or a second coordinator process).
    func reopen() throws -> any CoordinatorStore {
        switch backend {
        case .sqlite: return try SQLiteCoordinatorStore(path: directory.appendingPathComponent("coordinator.sqlite").path)
        case .postgres: return try PostgresCoordinatorStore(url: try #require(PostgresTestServer.url), schema: schema, maximumConnections: 4)
        }
    }

    /// Runs SQL on the store's data behind its back (to corrupt it, as a hand edit or a bad
    /// restore would).
    func executeBehindTheStore(_ sql: String) throws {
        switch backend {
        case .sqlite:
            let connection = try Storage.Connection(path: directory.appendingPathComponent("coordinator.sqlite").path)
            try connection.execute(sql)
            try connection.close()
        case .postgres:
            let connection = try PostgresConnection(url: try PostgresTestServer.url(schema: try #require(schema)))
            defer { connection.close() }
            try connection.execute(sql)
        }
    }

    static func close(_ store: any CoordinatorStore) {
        #expect(throws: Never.self) { try store.close() }
    }

    deinit {
        Self.close(store)
        if let schema { PostgresTestServer.dropSchema(schema) }
        try? FileManager.default.removeItem(at: directory)
    }
}

/// ``Fixture`` over either backend: a live coordinator on port 0 with two tenants, towns, keys and tokens.
final class BackendFixture: LiveCoordinator {
    let storage: BackendStore
    var store: any CoordinatorStore { storage.store }
    var coordinatorStore: any CoordinatorStore { storage.store }
    let service: CoordinatorService
    let server: HTTPServer
    var keys: [String: Ed25519.PrivateKey] = [:]
    var tokens: [String: String] = [:]

    init(_ backend: StoreBackend, clock: Date? = nil, withTowns: Bool = true) throws {
        storage = try BackendStore(backend)
        let fixed = clock
        service = try CoordinatorService(store: storage.store, signingKey: try Ed25519.PrivateKey(), clock: { fixed ?? Date() })
        server = service.makeServer(configuration: .init(port: 0, threadPoolSize: 8), accessLog: .disabled)
        try seed(peerNaming: .anonymised, withTowns: withTowns)
        try server.start()
    }

    /// A signed envelope of `town` in `tenant`.
    func envelope(_ tenant: String, _ town: String, sequence: Int, _ days: [DayData], submissionID: String? = nil) throws -> [UInt8] {
        try makeEnvelope(tenant: tenant, town: town, key: try #require(keys["\(tenant)/\(town)"]), sequence: sequence,
                                       days: days, submissionID: submissionID)
    }

    deinit {
        server.shutdown(gracePeriod: .seconds(1))
        service.stop()
    }
}

/// The test target's `envelope(tenant:town:…)` under a name that a method called `envelope` does not shadow.
func makeEnvelope(tenant: String, town: String, key: Ed25519.PrivateKey, sequence: Int, days: [DayData],
                                submissionID: String? = nil) throws -> [UInt8] {
    try envelope(tenant: tenant, town: town, key: key, sequence: sequence, days: days, submissionID: submissionID)
}
