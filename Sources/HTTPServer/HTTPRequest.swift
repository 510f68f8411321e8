// A request as the application sees it: everything read, decoded and immutable.
public import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One HTTP request, fully received, handed to a route handler.
///
/// Why: handlers run synchronously on a server worker thread and must not touch
/// libmicrohttpd's connection (it is only valid inside the C callback); so the server copies
/// the method, path, query, headers, body and peer address into this value first.
public struct HTTPRequest: Sendable {
    /// The request method.
    public var method: HTTPMethod
    /// The path as sent, still percent-encoded, without the query (e.g. `/v1/tenants/daks/report`).
    public var path: String
    /// The path's segments, each percent-decoded (`/a/b%2Fc` gives `["a", "b/c"]`).
    public var pathSegments: [String]
    /// Query parameters, decoded.
    public var query: QueryParameters
    /// Header fields, case-insensitive.
    public var headers: HTTPHeaders
    /// The body bytes (empty when the client sent none).
    public var body: [UInt8]
    /// The peer's address (`127.0.0.1`, `::1`), if known. Behind a reverse proxy this is the proxy.
    public var remoteAddress: String?
    /// The protocol version the client spoke (`HTTP/1.1`).
    public var version: String

    public init(method: HTTPMethod, path: String, query: QueryParameters = QueryParameters(),
                headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [], remoteAddress: String? = nil,
                version: String = "HTTP/1.1") {
        self.method = method
        self.path = path
        self.pathSegments = HTTPRequest.segments(of: path)
        self.query = query
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
        self.version = version
    }

    /// Builds a request from a target such as `/v1/x?from=2026-01-01` (used by in-process tests).
    public init(method: HTTPMethod, target: String, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        self.init(method: method, path: String(parts[0]),
                  query: parts.count > 1 ? QueryParameters(parsing: parts[1]) : QueryParameters(),
                  headers: headers, body: body)
    }

    /// The client's address: the peer's, or, when the peer is loopback (the reverse proxy on the
    /// same machine, `deploy/nginx`), the last address in `X-Forwarded-For` — the one the proxy
    /// appended (`$proxy_add_x_forwarded_for`); earlier entries come from the client and are
    /// ignored. A non-loopback peer's `X-Forwarded-For` is never trusted: anyone could send one.
    /// Falls back to the peer when the header is absent or its last entry is not an IP address.
    public var clientAddress: String? {
        guard let peer = remoteAddress else { return nil }
        guard ConnectionWatch.isLoopback(peer),
              let last = headers.values(for: "X-Forwarded-For").last?.split(separator: ",").last
        else { return peer }
        let forwarded = last.trimmingCharacters(in: .whitespaces)
        return IPAddress.isNumeric(forwarded) ? forwarded : peer
    }

    /// The body as `Data`.
    public var bodyData: Data { Data(body) }

    /// The body, or a 400 error (``HTTPServerError/Code/bodyRequired``) if the client sent none.
    ///
    /// The pattern for routes that need a body: `let bytes = try request.requireBody()`.
    public func requireBody() throws(HTTPServerError) -> [UInt8] {
        guard !body.isEmpty else {
            throw HTTPServerError(.bodyRequired,
                                  "\(method) \(path) needs a request body, but none was sent. Send the JSON document in the body.")
        }
        return body
    }

    /// Decodes the body as JSON, or throws a 400 (``HTTPServerError/Code/invalidBody``) whose
    /// reason names the offending key, or ``HTTPServerError/Code/bodyRequired`` if the body is empty.
    public func decodeJSON<T: Decodable>(_ type: T.Type, decoder: JSONDecoder = JSONDecoder()) throws(HTTPServerError) -> T {
        let bytes = try requireBody()
        do {
            return try decoder.decode(T.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw HTTPServerError(.invalidBody, "The request body is not the expected JSON: \(Self.describe(error))")
        } catch {
            throw HTTPServerError(.invalidBody, "The request body is not valid JSON. Send a UTF-8 JSON document.")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.isEmpty ? "the top level" : "'" + keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
                .joined(separator: ".") + "'"
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "key '\(key.stringValue)' is missing at \(path(context.codingPath))."
        case .typeMismatch(_, let context):
            return "\(path(context.codingPath)) has the wrong type."
        case .valueNotFound(_, let context):
            return "\(path(context.codingPath)) is null but a value is required."
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty
                ? "it is not valid UTF-8 JSON." : "\(path(context.codingPath)) is invalid."
        @unknown default:
            return "it could not be decoded."
        }
    }

    static func segments(of path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
            .map { PercentDecoding.decode($0, plusAsSpace: false) }
    }
}
