// A response as the application builds it, plus the JSON error body every refusal uses.
public import Foundation

/// One HTTP response: status, headers and body bytes.
///
/// Why: handlers return plain values, so the server can measure, log and count a response
/// before libmicrohttpd copies it onto the wire, and tests can inspect it in-process.
public struct HTTPResponse: Sendable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// `application/json` with the given bytes, sent as they are (sign the bytes you send).
    public static func json(status: HTTPStatus = .ok, bytes: [UInt8], headers: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        var headers = headers
        headers["Content-Type"] = "application/json"
        return HTTPResponse(status: status, headers: headers, body: bytes)
    }

    /// `application/json` with the given data.
    public static func json(status: HTTPStatus = .ok, data: Data, headers: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        json(status: status, bytes: [UInt8](data), headers: headers)
    }

    /// `application/json` encoding `value` (keys sorted, so the bytes are stable).
    public static func json<T: Encodable>(status: HTTPStatus = .ok, _ value: T, encoder: JSONEncoder? = nil,
                                          headers: HTTPHeaders = HTTPHeaders()) throws -> HTTPResponse {
        let encoder = encoder ?? {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return encoder
        }()
        return json(status: status, data: try encoder.encode(value), headers: headers)
    }

    /// `text/plain; charset=utf-8`.
    public static func text(_ text: String, status: HTTPStatus = .ok, contentType: String = "text/plain; charset=utf-8") -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": contentType], body: Array(text.utf8))
    }

    /// `text/html; charset=utf-8`.
    public static func html(_ html: String, status: HTTPStatus = .ok) -> HTTPResponse {
        text(html, status: status, contentType: "text/html; charset=utf-8")
    }

    /// The JSON error body every refusal uses: `{"error":{"reason":"…","status":404}}`.
    public static func error(status: HTTPStatus, reason: String, headers: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        json(status: status, bytes: errorBody(status: status, reason: reason), headers: headers)
    }

    static func errorBody(status: HTTPStatus, reason: String) -> [UInt8] {
        struct Body: Encodable {
            struct Inner: Encodable {
                var status: Int
                var reason: String
            }
            var error: Inner
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a struct of an Int and a String cannot fail; the fallback is for form's sake.
        let data = (try? encoder.encode(Body(error: .init(status: status.rawValue, reason: reason))))
            ?? Data(#"{"error":{"reason":"error","status":\#(status.rawValue)}}"#.utf8)
        return [UInt8](data)
    }
}

/// An error that knows which HTTP answer it deserves.
///
/// Why: handlers throw domain errors ("signature does not verify"); conforming them to this
/// protocol turns them into a 4xx with a reason the client can act on. Any other error becomes a
/// 500 with a generic reason, and its details go only to the access log, never to the client.
public protocol HTTPResponseError: Error {
    /// The status to answer with.
    var status: HTTPStatus { get }
    /// A sentence for the client: what was wrong and what to do. No secrets.
    var reason: String { get }
    /// Extra headers (e.g. `Retry-After`); empty by default.
    var headers: HTTPHeaders { get }
    /// The whole response; by default ``HTTPResponse/error(status:reason:headers:)`` of the
    /// above. Implement it to send a richer body (e.g. with a machine-readable code).
    var response: HTTPResponse { get }
}

extension HTTPResponseError {
    public var headers: HTTPHeaders { HTTPHeaders() }
    public var response: HTTPResponse { .error(status: status, reason: reason, headers: headers) }
}
