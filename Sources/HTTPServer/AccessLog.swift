// One structured line per request, to a sink the application chooses.
import Foundation

/// What the server knows about one finished request.
///
/// Why: operators grep access logs and feed them to tools; a value with named fields lets the
/// application choose the format, and ``logfmt`` gives a stable `key=value` line by default.
public struct AccessLogEntry: Sendable {
    /// How the exchange ended.
    public enum Outcome: String, Sendable {
        /// The response was sent.
        case completed
        /// The connection failed or the server gave up on the request (e.g. body too large mid-stream).
        case error
        /// The client was too slow: the idle timeout, the head deadline or the minimum body
        /// rate cut it off.
        case timeout
        /// The client closed the connection before the exchange finished.
        case clientAbort = "client-abort"
        /// The server shut down while the request was open.
        case shutdown
    }

    public var method: String
    /// The path as sent (percent-encoded, without query).
    public var path: String
    /// The matched route pattern, or nil when no route matched (404/405) or none was reached.
    public var route: String?
    /// The status sent, or nil if the exchange ended before a response was queued.
    public var status: Int?
    /// From the first byte of the request handed to the server to the end of the exchange.
    public var duration: Duration
    public var bytesIn: Int
    public var bytesOut: Int
    public var remoteAddress: String?
    public var outcome: Outcome
    /// An error the client did not see (a 500's cause). For the log only.
    public var error: String?

    public init(method: String, path: String, route: String? = nil, status: Int? = nil, duration: Duration,
                bytesIn: Int = 0, bytesOut: Int = 0, remoteAddress: String? = nil, outcome: Outcome = .completed,
                error: String? = nil) {
        self.method = method
        self.path = path
        self.route = route
        self.status = status
        self.duration = duration
        self.bytesIn = bytesIn
        self.bytesOut = bytesOut
        self.remoteAddress = remoteAddress
        self.outcome = outcome
        self.error = error
    }

    /// `method=GET path=/healthz route=/healthz status=200 duration_ms=0.153 bytes_in=0 bytes_out=3 remote=127.0.0.1 outcome=completed`
    public var logfmt: String {
        var fields: [(String, String)] = [("method", method), ("path", path), ("route", route ?? "-"),
                                          ("status", status.map(String.init) ?? "-"),
                                          ("duration_ms", Self.milliseconds(duration)),
                                          ("bytes_in", String(bytesIn)), ("bytes_out", String(bytesOut)),
                                          ("remote", remoteAddress ?? "-"), ("outcome", outcome.rawValue)]
        if let error { fields.append(("error", error)) }
        return fields.map { "\($0.0)=\(Self.quoted($0.1))" }.joined(separator: " ")
    }

    static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let micros = seconds * 1_000_000 + attoseconds / 1_000_000_000_000
        let whole = micros / 1000, fraction = micros % 1000
        let padded = String(fraction)
        return "\(whole).\(String(repeating: "0", count: 3 - padded.count))\(padded)"
    }

    static func quoted(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.contains { $0 == " " || $0 == "\"" || $0 == "=" || $0 == "\\" || $0.isNewline }
        guard needsQuotes else { return value }
        var out = "\""
        for character in value {
            switch character {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.append(character)
            }
        }
        return out + "\""
    }
}

/// Where the server writes its access log.
///
/// Why: a library logs through what it is given (as swift-log recommends); the `serve` command
/// passes stderr (journald collects it), tests pass a closure that collects entries.
public struct AccessLog: Sendable {
    let sink: @Sendable (AccessLogEntry) -> Void

    public init(_ sink: @escaping @Sendable (AccessLogEntry) -> Void) { self.sink = sink }

    /// One `logfmt` line per request on standard error.
    public static let standardError = AccessLog { entry in
        FileHandle.standardError.write(Data((entry.logfmt + "\n").utf8))
    }

    /// No access log.
    public static let disabled = AccessLog { _ in }

    func record(_ entry: AccessLogEntry) { sink(entry) }
}
