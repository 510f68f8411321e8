public import Foundation

/// Ed25519 signatures (RFC 8032, https://www.rfc-editor.org/rfc/rfc8032) for towns' aggregates,
/// enrolment requests, key rotations and coordinator checkpoints.
///
/// Why a namespace of our own: node and coordinator must agree on one algorithm that nothing in a
/// message can choose, and neither should see an OpenSSL handle. The OpenSSL backend is in
/// `Ed25519+OpenSSL.swift`; this file is the public face. A bad signature is `false`, not an error.
public enum Ed25519 {
    /// A town's (or coordinator's) signing key.
    ///
    /// Why a final class: it owns an OpenSSL key handle that is created once and freed in `deinit`,
    /// and node code shares one key between threads. It is `Sendable` because the handle is
    /// immutable after `init` and each signature uses its own OpenSSL context.
    public final class PrivateKey: Sendable {
        let key: EVPKey
        /// The matching public key.
        public let publicKey: PublicKey

        /// A fresh key from 32 bytes of OpenSSL's CSPRNG (`RAND_bytes`).
        public convenience init() throws(FederationError) {
            try self.init(seed: try OpenSSLBackend.randomBytes(count: 32))
        }

        /// The key with this 32-byte RFC 8032 secret seed (what the node stores in its key file).
        public init(seed: some Collection<UInt8>) throws(FederationError) {
            key = try EVPKey.privateKey(seed: Array(seed))
            publicKey = try PublicKey(rawRepresentation: try key.rawPublicKey())
        }

        /// The 32-byte seed. Secret: store it with owner-only permissions, never log it.
        public func seed() throws(FederationError) -> [UInt8] { try key.rawPrivateKey() }

        /// The 64-byte signature of `message` (deterministic: same key and message, same bytes).
        public func signature(for message: some ContiguousBytes) throws(FederationError) -> [UInt8] {
            do {
                return try message.withUnsafeBytes { buffer in try key.sign(buffer) }
            } catch let error as FederationError {
                throw error
            } catch {
                throw FederationError(code: .openSSL, message: "Signing failed: \(error)")
            }
        }
    }

    /// A 32-byte Ed25519 public key, with its OpenSSL handle cached for fast verification.
    ///
    /// Why a struct over a class: public keys are values (compared and stored by their bytes);
    /// the cached handle is an implementation detail shared between copies.
    public struct PublicKey: Sendable, Hashable, CustomStringConvertible {
        /// The 32-byte RFC 8032 encoding.
        public let rawRepresentation: [UInt8]
        let key: EVPKey

        /// A public key from its 32 bytes. Throws `invalid_key` for a wrong length. Does NOT refuse
        /// weak keys: call ``weakness`` (or ``KeyRegistry`` enrolment does) before trusting one.
        public init(rawRepresentation: some Collection<UInt8>) throws(FederationError) {
            self.rawRepresentation = Array(rawRepresentation)
            key = try EVPKey.publicKey(self.rawRepresentation)
        }

        /// Whether `signature` is a valid signature of `message` under this key (OpenSSL's
        /// RFC 8032 verification; a wrong-length signature is simply invalid).
        public func isValidSignature(_ signature: some ContiguousBytes, for message: some ContiguousBytes) -> Bool {
            signature.withUnsafeBytes { sig in
                message.withUnsafeBytes { msg in key.verify(signature: sig, message: msg) }
            }
        }

        /// The protocol's key id: lowercase hex of the first 16 bytes of SHA-256(raw public key).
        public var keyID: String { Hex.encode(SHA256.hash(rawRepresentation).prefix(16)) }

        /// Lowercase hex of the 32 bytes.
        public var description: String { Hex.encode(rawRepresentation) }

        public static func == (a: PublicKey, b: PublicKey) -> Bool { a.rawRepresentation == b.rawRepresentation }
        public func hash(into hasher: inout Hasher) { hasher.combine(rawRepresentation) }
    }
}
