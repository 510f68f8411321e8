// Counters and a latency histogram, rendered in the Prometheus text format.
import Foundation
import Synchronization

/// A thread-safe metrics registry: requests by route and status, a latency histogram per
/// route, and counters the application defines, rendered for `GET /metrics`.
///
/// Why: the coordinator must expose request rates, latencies and submissions accepted/refused
/// by reason ([Prometheus text format 0.0.4](https://prometheus.io/docs/instrumenting/exposition_formats/))
/// without a metrics package. Worker threads update it concurrently, so state sits behind a
/// `Mutex`. The route label is the *pattern* (or `unmatched`), never the raw path, so a client
/// cannot grow the series without bound.
public final class Metrics: Sendable {
    struct RequestKey: Hashable, Comparable {
        var method: String
        var route: String
        var status: Int
        static func < (a: RequestKey, b: RequestKey) -> Bool {
            (a.route, a.method, a.status) < (b.route, b.method, b.status)
        }
    }

    struct Histogram {
        var buckets: [UInt64]
        var sum: Double = 0
        var count: UInt64 = 0
    }

    struct Counter {
        var help: String
        var values: [[String: String]: UInt64] = [:]
    }

    struct State {
        var requests: [RequestKey: UInt64] = [:]
        var latency: [String: Histogram] = [:]
        var counters: [String: Counter] = [:]
    }

    /// The metric name prefix (`townbench` gives `townbench_http_requests_total`).
    public let namespace: String
    /// Upper bounds (seconds) of the latency histogram's buckets, ascending.
    public let latencyBuckets: [Double]
    private let state = Mutex(State())

    public init(namespace: String = "townbench",
                latencyBuckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]) {
        precondition(Metrics.isValidName(namespace), "Invalid metric namespace \(namespace)")
        precondition(!latencyBuckets.isEmpty && zip(latencyBuckets, latencyBuckets.dropFirst()).allSatisfy { $0 < $1 },
                     "Latency buckets must be ascending")
        self.namespace = namespace
        self.latencyBuckets = latencyBuckets
    }

    /// Counts one answered request and observes its latency. The server calls this; call it
    /// yourself only when routing requests without ``HTTPServer``.
    public func recordRequest(method: HTTPMethod, route: String?, status: HTTPStatus, duration: Duration) {
        let route = route ?? "unmatched"
        let (seconds, attoseconds) = duration.components
        let value = Double(seconds) + Double(attoseconds) / 1e18
        let bucketCount = latencyBuckets.count
        let index = latencyBuckets.firstIndex { value <= $0 } ?? bucketCount
        state.withLock { state in
            state.requests[RequestKey(method: method.rawValue, route: route, status: status.rawValue), default: 0] += 1
            var histogram = state.latency[route] ?? Histogram(buckets: Array(repeating: 0, count: bucketCount + 1))
            histogram.buckets[index] += 1
            histogram.sum += value
            histogram.count += 1
            state.latency[route] = histogram
        }
    }

    /// Declares an application counter with its help text (optional; an undeclared counter
    /// gets a generic help line). `name` is used as given, e.g. `townbench_submissions_total`.
    public func describeCounter(_ name: String, help: String) {
        precondition(Metrics.isValidName(name), "Invalid metric name \(name)")
        state.withLock { state in
            state.counters[name, default: Counter(help: help)].help = help
        }
    }

    /// Adds `amount` to an application counter with the given labels, e.g.
    /// `increment("townbench_submissions_total", labels: ["outcome": "refused", "reason": "bad-signature"])`.
    public func increment(_ name: String, labels: [String: String] = [:], by amount: UInt64 = 1) {
        precondition(Metrics.isValidName(name), "Invalid metric name \(name)")
        precondition(labels.keys.allSatisfy { Metrics.isValidName($0) && !$0.contains(":") }, "Invalid label name in \(labels)")
        state.withLock { state in
            state.counters[name, default: Counter(help: "Application counter \(name).")].values[labels, default: 0] += amount
        }
    }

    /// The current value of an application counter (0 if never incremented).
    public func value(of name: String, labels: [String: String] = [:]) -> UInt64 {
        state.withLock { $0.counters[name]?.values[labels] ?? 0 }
    }

    /// How many requests with this route pattern (nil = unmatched) and status were recorded.
    public func requestCount(method: HTTPMethod, route: String?, status: HTTPStatus) -> UInt64 {
        state.withLock {
            $0.requests[RequestKey(method: method.rawValue, route: route ?? "unmatched", status: status.rawValue)] ?? 0
        }
    }

    /// The Prometheus text exposition (format 0.0.4) of every metric, sorted for stable output.
    public func render() -> String {
        let snapshot = state.withLock { $0 }
        var out = ""
        let requests = "\(namespace)_http_requests_total"
        out += "# HELP \(requests) HTTP requests answered, by method, route pattern and status.\n"
        out += "# TYPE \(requests) counter\n"
        for (key, count) in snapshot.requests.sorted(by: { $0.key < $1.key }) {
            out += "\(requests)\(Metrics.labels(["method": key.method, "route": key.route, "status": String(key.status)])) \(count)\n"
        }
        let latency = "\(namespace)_http_request_duration_seconds"
        out += "# HELP \(latency) Time from request to response, by route pattern.\n"
        out += "# TYPE \(latency) histogram\n"
        for (route, histogram) in snapshot.latency.sorted(by: { $0.key < $1.key }) {
            var cumulative: UInt64 = 0
            for (index, bound) in latencyBuckets.enumerated() {
                cumulative += histogram.buckets[index]
                out += "\(latency)_bucket\(Metrics.labels(["route": route, "le": Metrics.format(bound)])) \(cumulative)\n"
            }
            out += "\(latency)_bucket\(Metrics.labels(["route": route, "le": "+Inf"])) \(histogram.count)\n"
            out += "\(latency)_sum\(Metrics.labels(["route": route])) \(Metrics.format(histogram.sum))\n"
            out += "\(latency)_count\(Metrics.labels(["route": route])) \(histogram.count)\n"
        }
        for (name, counter) in snapshot.counters.sorted(by: { $0.key < $1.key }) {
            out += "# HELP \(name) \(Metrics.escapeHelp(counter.help))\n"
            out += "# TYPE \(name) counter\n"
            let series = counter.values.map { (Metrics.labels($0.key), $0.value) }.sorted { $0.0 < $1.0 }
            for (labels, value) in series {
                out += "\(name)\(labels) \(value)\n"
            }
        }
        return out
    }

    /// `GET /metrics` as a response (`text/plain; version=0.0.4`).
    public func response() -> HTTPResponse {
        .text(render(), contentType: "text/plain; version=0.0.4; charset=utf-8")
    }

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { return false }
        return name.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":")
        }
    }

    /// `{a="1",b="x"}` with label names sorted and values escaped; empty for no labels.
    static func labels(_ labels: [String: String]) -> String {
        guard !labels.isEmpty else { return "" }
        let parts = labels.sorted { $0.key < $1.key }.map { key, value -> String in
            var escaped = ""
            for character in value {
                switch character {
                case "\\": escaped += "\\\\"
                case "\"": escaped += "\\\""
                case "\n": escaped += "\\n"
                default: escaped.append(character)
                }
            }
            return "\(key)=\"\(escaped)\""
        }
        return "{" + parts.joined(separator: ",") + "}"
    }

    static func escapeHelp(_ help: String) -> String {
        help.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    static func format(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
