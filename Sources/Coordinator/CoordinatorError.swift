public import Federation
public import HTTPServer

/// The one error type of the `Coordinator` module.
///
/// Why: the HTTP layer, the admin CLI and the tests must tell "not found" from "refused
/// submission" from "the store failed" without parsing strings. Each error has a stable ``code``
/// (a struct, so codes can be added), an HTTP ``status`` (it is an ``HTTPResponseError``), and a
/// ``message`` that names the object and says what to do. Refused submissions carry the
/// Federation ``Refusal`` and use its protocol code (`bad_signature`, …) on the wire.
public struct CoordinatorError: Error, HTTPResponseError, CustomStringConvertible, Sendable {
    /// A stable, growable error code. Match with `~=`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        init(_ rawValue: String) { self.rawValue = rawValue }
        /// No such object in the caller's tenant (also for objects of other tenants: no existence leak).
        public static let notFound = Code("not_found")
        /// No valid bearer token.
        public static let unauthorized = Code("unauthorized")
        /// The principal's role may not use this route.
        public static let forbidden = Code("forbidden")
        /// A parameter or argument is invalid.
        public static let invalidArgument = Code("invalid_argument")
        /// The object exists already (tenant, town, key id).
        public static let alreadyExists = Code("already_exists")
        /// A submission was refused; ``CoordinatorError/refusal`` holds the protocol reason.
        public static let refused = Code("refused")
        /// Too many failed authentication attempts from this address or for this token, or too many
        /// new reports asked by one token (429 with `Retry-After`).
        public static let tooManyRequests = Code("too_many_requests")
        /// The submission writer is saturated or stopping; retry after a pause.
        public static let overloaded = Code("overloaded")
        /// The store failed (I/O, disk full, corrupt file).
        public static let storage = Code("storage")
        /// The coordinator directory is missing, incomplete or already initialised.
        public static let directory = Code("directory")
        public var description: String { rawValue }
        public static func ~= (code: Code, error: any Error) -> Bool { (error as? CoordinatorError)?.code == code }
    }

    public var code: Code
    public var message: String
    /// The protocol refusal, for ``Code/refused``.
    public var refusal: Refusal?
    public var status: HTTPStatus
    public var headers: HTTPHeaders

    public init(_ code: Code, _ message: String, status: HTTPStatus? = nil, headers: HTTPHeaders = HTTPHeaders()) {
        self.code = code
        self.message = message
        self.headers = headers
        self.status = status ?? CoordinatorError.defaultStatus(code)
    }

    /// A refused submission: status from ``SubmissionStatus/status(for:)``, wire code from the refusal.
    public init(refusal: Refusal) {
        self.init(.refused, refusal.detail, status: SubmissionStatus.status(for: refusal.reason))
        self.refusal = refusal
    }

    static func defaultStatus(_ code: Code) -> HTTPStatus {
        switch code {
        case .notFound: .notFound
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .invalidArgument: .badRequest
        case .alreadyExists: .conflict
        case .overloaded: .serviceUnavailable
        case .tooManyRequests: .tooManyRequests
        default: .internalServerError
        }
    }

    /// The code on the wire: the refusal's protocol code for refusals, else ``code``.
    public var wireCode: String { refusal?.reason.code ?? code.rawValue }
    public var reason: String { message }
    public var description: String { refusal.map { "\($0.reason.code): \($0.detail)" } ?? message }

    /// The JSON error body of the contract: `{"error":{"code":…,"reason":…,"status":…}}`.
    public var jsonResponse: HTTPResponse {
        HTTPResponse.json(status: status, bytes: CoordinatorError.body(status: status, code: wireCode, reason: message),
                          headers: headers)
    }

    static func body(status: HTTPStatus, code: String, reason: String) -> [UInt8] {
        let value = JSONValue.object(["error": .object([
            "status": .number(Double(status.rawValue)), "code": .string(code), "reason": .string(reason),
        ])])
        return (try? CanonicalJSON.serialize(value)) ?? Array(#"{"error":{"code":"internal","status":500}}"#.utf8)
    }

    /// Wraps any store failure (never shown to clients: 500 with a generic reason over HTTP).
    static func storage(_ error: any Error, _ what: String) -> CoordinatorError {
        if let error = error as? CoordinatorError { return error }
        return CoordinatorError(.storage, "The coordinator store failed while \(what): \(error). Check the disk and the file's permissions, then retry.")
    }
}

/// The HTTP status of each submission refusal code (documented in `Federation/openapi.yaml`).
///
/// Why one table: the node decides from the status whether to retry (5xx, 503) or to give up and
/// show the reason (4xx); the mapping must not drift between handler, docs and tests.
public enum SubmissionStatus {
    public static func status(for reason: RefusalReason) -> HTTPStatus {
        switch reason.code {
        case "malformed_envelope": .badRequest
        case "bad_payload_type": .unsupportedMediaType
        case "truncated_signature", "bad_signature", "unknown_key", "weak_key", "revoked_key", "retired_key",
             "key_mismatch", "bad_proof_of_possession":
            .forbidden
        case "wrong_tenant", "wrong_town": .forbidden
        case "replay_different_bytes", "sequence_not_increasing": .conflict
        case "malformed_payload", "created_in_future", "too_old", "privacy_violation": .unprocessableContent
        default: .badRequest
        }
    }
}
