// The one error type of the HTTPServer module.

/// An error from the HTTP server: a failed start, or a request the server or a handler refuses.
///
/// Why: one error type per module. Its ``code`` can grow without breaking `switch`es, its
/// ``description`` says what went wrong and what to do. Codes that describe a bad request
/// (``Code/bodyRequired``, ``Code/invalidBody``, …) map to a 4xx through ``HTTPResponseError``,
/// so a handler can simply `throw` them.
public struct HTTPServerError: Error, HTTPResponseError, CustomStringConvertible, Sendable {
    /// What kind of failure this is. A struct over an internal enum, so cases can be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Value: Hashable, Sendable {
            case invalidConfiguration, startFailed, bodyRequired, invalidBody, payloadTooLarge,
                 missingParameter, invalidParameter, notFound, methodNotAllowed
        }
        let value: Value

        /// A configuration value is out of range or the host is not an IP address.
        public static let invalidConfiguration = Code(value: .invalidConfiguration)
        /// libmicrohttpd could not start (port in use, no permission, out of file descriptors).
        public static let startFailed = Code(value: .startFailed)
        /// A route needs a body and the request had none (400).
        public static let bodyRequired = Code(value: .bodyRequired)
        /// The body could not be decoded (400).
        public static let invalidBody = Code(value: .invalidBody)
        /// The body is larger than the server accepts (413).
        public static let payloadTooLarge = Code(value: .payloadTooLarge)
        /// A required query parameter is missing (400).
        public static let missingParameter = Code(value: .missingParameter)
        /// A query or path parameter has an invalid value (400).
        public static let invalidParameter = Code(value: .invalidParameter)
        /// No route matches the path (404).
        public static let notFound = Code(value: .notFound)
        /// A route matches the path but not the method (405).
        public static let methodNotAllowed = Code(value: .methodNotAllowed)

        public var description: String { "\(value)" }

        /// Lets `catch HTTPServerError.Code.startFailed` match any error with this code.
        public static func ~= (code: Code, error: any Error) -> Bool {
            (error as? HTTPServerError)?.code == code
        }
    }

    public let code: Code
    public let message: String
    /// For ``Code/startFailed``: the `errno` observed, if any.
    public let errno: Int32?

    public init(_ code: Code, _ message: String, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.errno = errno
    }

    public var description: String { message }

    public var status: HTTPStatus {
        switch code.value {
        case .bodyRequired, .invalidBody, .missingParameter, .invalidParameter: .badRequest
        case .payloadTooLarge: .payloadTooLarge
        case .notFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .invalidConfiguration, .startFailed: .internalServerError
        }
    }

    public var reason: String {
        status.isServerError ? "internal server error" : message
    }

}

extension QueryParameters {
    /// The value of `name`, or a 400 (``HTTPServerError/Code/missingParameter``) naming it.
    public func require(_ name: String) throws(HTTPServerError) -> String {
        guard let value = self[name], !value.isEmpty else {
            throw HTTPServerError(.missingParameter, "The query parameter '\(name)' is required. Add ?\(name)=… to the URL.")
        }
        return value
    }
}
