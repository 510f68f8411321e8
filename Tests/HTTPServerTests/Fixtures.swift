// A test application: a router with echo, failing and slow routes, and helpers to run it live.
import Foundation
import HTTPServer
import Synchronization

struct Conflict: HTTPResponseError {
    var status: HTTPStatus { .conflict }
    var reason: String { "Sequence 7 was already used by another submission. Use the next sequence number." }
}

struct SecretFailure: Error, CustomStringConvertible {
    var description: String { "database password is hunter2" }
}

/// Collects access-log entries from the server's threads.
final class LogCollector: Sendable {
    private let entries = Mutex<[AccessLogEntry]>([])
    var accessLog: AccessLog { AccessLog { entry in self.entries.withLock { $0.append(entry) } } }
    var all: [AccessLogEntry] { entries.withLock { $0 } }

    /// Waits up to `seconds` for an entry matching `predicate` (logging happens after the response is sent).
    func waitFor(seconds: Double = 3, _ predicate: (AccessLogEntry) -> Bool) -> AccessLogEntry? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let entry = all.first(where: predicate) { return entry }
            usleep(10_000)
        }
        return nil
    }
}

struct Echo: Codable, Equatable {
    var tenant: String
    var town: String
    var query: [[String]]
    var contentType: String?
}

func makeRouter(metrics: Metrics) -> Router {
    var router = Router()
    router.get("/healthz", tags: ["public"]) { _, _ in .text("ok\n") }
    router.get("/metrics", tags: ["public"]) { _, _ in metrics.response() }
    router.get("/v1/tenants/{tenant}/towns/{town}/comparison", tags: ["data"]) { request, parameters in
        try .json(Echo(tenant: try parameters.require("tenant"), town: try parameters.require("town"),
                       query: request.query.items.map { [$0.name, $0.value] },
                       contentType: request.headers["content-TYPE"]))
    }
    router.post("/v1/tenants/{tenant}/submissions", tags: ["data"]) { request, parameters in
        let body = try request.requireBody()
        metrics.increment("townbench_submissions_total", labels: ["outcome": "accepted"])
        return try .json(status: .accepted, ["tenant": try parameters.require("tenant"), "bytes": String(body.count)])
    }
    router.post("/echo") { request, _ in
        HTTPResponse(status: .ok, headers: ["Content-Type": "application/octet-stream"], body: request.body)
    }
    router.get("/own-policy") { _, _ in
        HTTPResponse(status: .ok, headers: ["Content-Security-Policy": "default-src 'self'"], body: [])
    }
    router.get("/fail/known") { _, _ in throw Conflict() }
    router.get("/fail/unknown") { _, _ in throw SecretFailure() }
    router.get("/slow") { _, _ in
        usleep(300_000)
        return .text("done")
    }
    return router
}

/// Starts the test application on an ephemeral port, runs `body`, shuts down.
func withLiveServer<T>(_ configuration: HTTPServer.Configuration = HTTPServer.Configuration(threadPoolSize: 4),
                       _ body: (HTTPServer, Metrics, LogCollector) async throws -> T) async throws -> T {
    let metrics = Metrics()
    let log = LogCollector()
    let server = HTTPServer(configuration: configuration, router: makeRouter(metrics: metrics), metrics: metrics,
                            accessLog: log.accessLog)
    try server.start()
    defer { server.shutdown(gracePeriod: .seconds(1)) }
    return try await body(server, metrics, log)
}

func url(_ server: HTTPServer, _ target: String) -> URL {
    URL(string: "http://127.0.0.1:\(server.port)\(target)")!
}

/// Deterministic pseudo-random bytes (xorshift), so a corrupted or reordered body shows.
func patternBytes(count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
    var state = seed
    var out = [UInt8](repeating: 0, count: count)
    for index in 0..<count {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        out[index] = UInt8(truncatingIfNeeded: state)
    }
    return out
}

/// The error object of a JSON error body.
func errorObject(_ body: [UInt8]) -> (status: Int, reason: String)? {
    guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
          let error = object["error"] as? [String: Any],
          let status = error["status"] as? Int, let reason = error["reason"] as? String
    else { return nil }
    return (status, reason)
}
