// The OpenSSL 3 (libcrypto) backend of the module's crypto: Ed25519 through EVP, SHA-256,
// HMAC-SHA256, secure random bytes and a constant-time compare. Everything that touches a C
// handle lives in this file; the public API (Ed25519.swift, Digest.swift) only sees `EVPKey`.
// OpenSSL 3's Ed25519 is one-shot: EVP_DigestSign / EVP_DigestVerify over the whole message with
// a NULL digest (EVP_DigestSignUpdate fails). See https://www.openssl.org/docs/man3.0/man7/EVP_SIGNATURE-ED25519.html
import COpenSSL
import Foundation

/// The single path from OpenSSL's error queue to ``FederationError``: drains the thread's queue
/// (so a stale error never leaks into the next call) and keeps the first (root-cause) entry.
func openSSLError(_ what: String, code: FederationError.Code = .openSSL) -> FederationError {
    var first: String?
    while true {
        let e = ERR_get_error()
        if e == 0 { break }
        if first == nil {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(e, &buffer, buffer.count)
            first = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }
    return FederationError(code: code, message: what, cause: first ?? "OpenSSL gave no error detail")
}

/// Owns one `EVP_PKEY*` (an Ed25519 private or public key) and frees it in `deinit`.
///
/// `@unchecked Sendable` is safe because the handle is created once in `init`, never mutated
/// afterwards and only freed in `deinit`. OpenSSL 3 documents `EVP_PKEY` as safe for concurrent
/// read-only use by several threads; every sign/verify call below makes its own `EVP_MD_CTX`, so
/// no per-operation state is shared between threads.
final class EVPKey: @unchecked Sendable {
    let handle: OpaquePointer

    private init(handle: OpaquePointer) { self.handle = handle }
    deinit { EVP_PKEY_free(handle) }

    /// An Ed25519 private key from its 32-byte RFC 8032 seed.
    static func privateKey(seed: [UInt8]) throws(FederationError) -> EVPKey {
        guard seed.count == 32 else {
            throw FederationError(
                code: .invalidKey,
                message: "An Ed25519 private key seed must be 32 bytes, got \(seed.count). Check the key file.")
        }
        guard
            let pkey = seed.withUnsafeBufferPointer({
                EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil, $0.baseAddress, 32)
            })
        else {
            throw openSSLError("OpenSSL refused the Ed25519 private key seed.", code: .invalidKey)
        }
        return EVPKey(handle: pkey)
    }

    /// An Ed25519 public key from its 32-byte encoding. OpenSSL does not decode the point here;
    /// an undecodable point makes every verification fail.
    static func publicKey(_ bytes: [UInt8]) throws(FederationError) -> EVPKey {
        guard bytes.count == 32 else {
            throw FederationError(
                code: .invalidKey,
                message: "An Ed25519 public key must be 32 bytes, got \(bytes.count). Check the enrolled key.")
        }
        guard
            let pkey = bytes.withUnsafeBufferPointer({
                EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, $0.baseAddress, 32)
            })
        else {
            throw openSSLError("OpenSSL refused the Ed25519 public key bytes.", code: .invalidKey)
        }
        return EVPKey(handle: pkey)
    }

    /// The 32-byte public key of this (private or public) key.
    func rawPublicKey() throws(FederationError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length = 32
        guard EVP_PKEY_get_raw_public_key(handle, &out, &length) == 1, length == 32 else {
            throw openSSLError("OpenSSL could not export the Ed25519 public key.")
        }
        return out
    }

    /// The 32-byte seed of a private key.
    func rawPrivateKey() throws(FederationError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length = 32
        guard EVP_PKEY_get_raw_private_key(handle, &out, &length) == 1, length == 32 else {
            throw openSSLError("OpenSSL could not export the Ed25519 private key seed.")
        }
        return out
    }

    /// A 64-byte Ed25519 signature over `message` (deterministic, RFC 8032 section 5.1.6).
    func sign(_ message: UnsafeRawBufferPointer) throws(FederationError) -> [UInt8] {
        guard let ctx = EVP_MD_CTX_new() else { throw openSSLError("OpenSSL could not allocate a signing context.") }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestSignInit(ctx, nil, nil, nil, handle) == 1 else {
            throw openSSLError("OpenSSL could not start an Ed25519 signature.")
        }
        var signature = [UInt8](repeating: 0, count: 64)
        var length = 64
        let status = signature.withUnsafeMutableBufferPointer { sig in
            EVP_DigestSign(
                ctx, sig.baseAddress, &length,
                message.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count)
        }
        guard status == 1, length == 64 else { throw openSSLError("OpenSSL could not compute an Ed25519 signature.") }
        return signature
    }

    /// Whether `signature` is a valid Ed25519 signature of `message` under this key. Any failure
    /// (wrong length, undecodable point, non-canonical S, mismatch) is `false`; the error queue is
    /// cleared so it cannot pollute a later, unrelated error.
    func verify(signature: UnsafeRawBufferPointer, message: UnsafeRawBufferPointer) -> Bool {
        guard signature.count == 64 else { return false }
        guard let ctx = EVP_MD_CTX_new() else {
            ERR_clear_error()
            return false
        }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestVerifyInit(ctx, nil, nil, nil, handle) == 1 else {
            ERR_clear_error()
            return false
        }
        let status = EVP_DigestVerify(
            ctx, signature.baseAddress?.assumingMemoryBound(to: UInt8.self), 64,
            message.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count)
        if status != 1 { ERR_clear_error() }
        return status == 1
    }
}

enum OpenSSLBackend {
    /// `count` bytes from OpenSSL's CSPRNG (`RAND_bytes`).
    static func randomBytes(count: Int) throws(FederationError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        guard count == 0 || RAND_bytes(&out, Int32(count)) == 1 else {
            throw openSSLError("OpenSSL's random generator (RAND_bytes) failed; the system may lack entropy.")
        }
        return out
    }

    /// SHA-256 fetched from the default provider once. `EVP_sha256()` would make every
    /// `EVP_Digest` fetch it again (a locked lookup costing more than hashing a Merkle node).
    /// Safe to share between threads: a fetched `EVP_MD` is immutable and OpenSSL reference-counts
    /// it atomically; it is never freed (it lives as long as the process).
    nonisolated(unsafe) private static let sha256Digest: OpaquePointer? = EVP_MD_fetch(nil, "SHA256", nil)

    /// SHA-256 (FIPS 180-4) of `data` through `EVP_Digest`.
    static func sha256(_ data: UnsafeRawBufferPointer) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let status = EVP_Digest(data.baseAddress, data.count, &out, &length, sha256Digest ?? EVP_sha256(), nil)
        // SHA-256 over memory cannot fail short of OpenSSL being broken: that is our bug, so trap.
        precondition(status == 1 && length == 32, "EVP_Digest(SHA-256) failed: \(openSSLError("sha256"))")
        return out
    }

    /// HMAC-SHA256 (RFC 2104) through OpenSSL 3's one-shot `EVP_Q_mac`.
    static func hmacSHA256(key: [UInt8], data: UnsafeRawBufferPointer) throws(FederationError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length = 0
        let result = key.withUnsafeBytes { k in
            EVP_Q_mac(
                nil, "HMAC", nil, "SHA256", nil, k.baseAddress, k.count,
                data.baseAddress?.assumingMemoryBound(to: UInt8.self), data.count, &out, 32, &length)
        }
        guard result != nil, length == 32 else { throw openSSLError("OpenSSL could not compute HMAC-SHA256.") }
        return out
    }

    /// Constant-time equality of two byte strings of equal length (`CRYPTO_memcmp`); different
    /// lengths are unequal (length is not secret).
    static func constantTimeEqual(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        if a.count == 0 { return true }
        return CRYPTO_memcmp(a.baseAddress, b.baseAddress, a.count) == 0
    }
}
