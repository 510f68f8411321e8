/// The one error type of the `Federation` module.
///
/// Why: node and coordinator both call this module and must be able to tell a bad key file from a
/// malformed payload from an OpenSSL failure without parsing strings. Each error carries a stable
/// ``code`` (a struct over an internal enum, so cases can be added without breaking callers), a
/// ``message`` that names the object and says what to do, and for OpenSSL failures the library's
/// own `ERR_get_error` text in ``cause``. Descriptions never contain key material.
public struct FederationError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A stable, growable error code. Compare with `==` or match with `~=`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Base: String, Sendable {
            case openSSL = "openssl"
            case invalidKey = "invalid_key"
            case weakKey = "weak_key"
            case invalidEncoding = "invalid_encoding"
            case invalidPayload = "invalid_payload"
            case invalidArgument = "invalid_argument"
            case privacyViolation = "privacy_violation"
            case invalidProof = "invalid_proof"
        }
        let base: Base
        /// OpenSSL reported a failure; ``FederationError/cause`` holds its error string.
        public static let openSSL = Code(base: .openSSL)
        /// Key bytes have the wrong length or OpenSSL refused them.
        public static let invalidKey = Code(base: .invalidKey)
        /// A public key is a small-order point or a non-canonical encoding (see ``Ed25519/PublicKey/weakness``).
        public static let weakKey = Code(base: .weakKey)
        /// Hex, base64 or JSON text could not be decoded.
        public static let invalidEncoding = Code(base: .invalidEncoding)
        /// A payload is well-formed JSON but breaks a rule of the protocol (field missing, value out of range).
        public static let invalidPayload = Code(base: .invalidPayload)
        /// A caller passed a value the function cannot use (e.g. an empty salt).
        public static let invalidArgument = Code(base: .invalidArgument)
        /// A payload shows a cell that its privacy policy says must be suppressed.
        public static let privacyViolation = Code(base: .privacyViolation)
        /// A Merkle proof or checkpoint does not verify.
        public static let invalidProof = Code(base: .invalidProof)
        /// The stable string form, e.g. `weak_key`.
        public var description: String { base.rawValue }

        /// Lets `catch FederationError.Code.weakKey` match any error with that code.
        public static func ~= (code: Code, error: any Error) -> Bool {
            (error as? FederationError)?.code == code
        }
    }

    /// What kind of failure this is.
    public var code: Code
    /// What went wrong, naming the object, and how to remedy it.
    public var message: String
    /// The underlying library's error text (OpenSSL `ERR_error_string_n`), if any.
    public var cause: String?

    public init(code: Code, message: String, cause: String? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        if let cause { return "\(message) (\(cause))" }
        return message
    }
}
