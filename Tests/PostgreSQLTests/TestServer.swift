// The throwaway server started by deploy/postgres-test-server.sh, and one fresh schema per test.
import Foundation
import PostgreSQL
import Testing

/// `TOWNBENCH_TEST_POSTGRES_URL`, set by `eval "$(deploy/postgres-test-server.sh start)"` (CI always
/// sets it). Without it the PostgreSQL tests are skipped with ``skipComment``.
enum TestServer {
    static let url: String? = ProcessInfo.processInfo.environment["TOWNBENCH_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    static var isAvailable: Bool { url != nil }
    static let skipComment: Comment = """
        TOWNBENCH_TEST_POSTGRES_URL is not set, so no PostgreSQL server to test against: run \
        `eval "$(deploy/postgres-test-server.sh start)"` first (deploy/check.sh does)
        """

    /// `url` with `search_path` set to `schema` for every connection made from it.
    static func url(_ base: String, schema: String) -> String {
        base + (base.contains("?") ? "&" : "?") + "options=-csearch_path%3D\(schema)"
    }

    /// Runs `body` with a URL whose connections live in a new, empty schema; drops it afterwards.
    static func withSchema<T>(_ body: (_ url: String) throws -> T) throws -> T {
        let base = try #require(url, skipComment)
        let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let admin = try PostgresConnection(url: base)
        // DDL cannot take parameters; `schema` is ours (t_ + hex), never data.
        try admin.execute("CREATE SCHEMA \(schema)")
        defer {
            try? admin.execute("DROP SCHEMA \(schema) CASCADE")
            admin.close()
        }
        return try body(Self.url(base, schema: schema))
    }
}
