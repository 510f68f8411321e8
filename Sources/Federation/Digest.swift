public import Foundation

/// SHA-256 (FIPS 180-4) over OpenSSL, for key ids, submission digests and Merkle hashing.
///
/// Why here: both sides must hash with the same primitive and neither may hand-write crypto.
public enum SHA256 {
    /// The 32-byte digest of `data`.
    public static func hash(_ data: some ContiguousBytes) -> [UInt8] {
        data.withUnsafeBytes { OpenSSLBackend.sha256($0) }
    }
}

/// HMAC-SHA256 (RFC 2104) over OpenSSL, used for pseudonymous sensor ids.
///
/// Why: a keyed hash with a per-town secret salt lets the coordinator match a sensor across
/// periods without being able to recover (or dictionary-attack) the vendor's device id.
public enum HMACSHA256 {
    /// The 32-byte MAC of `data` under `key`.
    public static func authenticationCode(for data: some ContiguousBytes, key: some Collection<UInt8>)
        throws(FederationError) -> [UInt8]
    {
        let key = Array(key)
        do {
            return try data.withUnsafeBytes { buffer in try OpenSSLBackend.hmacSHA256(key: key, data: buffer) }
        } catch let error as FederationError {
            throw error
        } catch {
            throw FederationError(code: .openSSL, message: "HMAC failed: \(error)")
        }
    }
}

/// Cryptographically secure random bytes and a constant-time compare.
///
/// Why: submission ids, key seeds and salts must come from OpenSSL's CSPRNG, and secret-dependent
/// comparisons (digests of stored submissions) must not leak timing.
public enum SecureRandom {
    /// `count` bytes from `RAND_bytes`.
    public static func bytes(count: Int) throws(FederationError) -> [UInt8] {
        try OpenSSLBackend.randomBytes(count: count)
    }

    /// Constant-time equality (`CRYPTO_memcmp`); different lengths are unequal.
    public static func constantTimeEqual(_ a: some ContiguousBytes, _ b: some ContiguousBytes) -> Bool {
        a.withUnsafeBytes { x in b.withUnsafeBytes { y in OpenSSLBackend.constantTimeEqual(x, y) } }
    }
}

/// Lowercase hex and unpadded base64url, the two byte encodings the protocol uses in JSON.
///
/// Why: ids on the wire are text; a strict decoder (exact length, lowercase only) keeps every id
/// with exactly one spelling, so the same id can never appear twice under two spellings.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// Lowercase hex of `bytes`.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Bytes of lowercase hex text; `nil` for odd length, uppercase or any other character.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            default: return nil
            }
        }
        var out = [UInt8]()
        out.reserveCapacity(utf8.count / 2)
        var i = 0
        while i < utf8.count {
            guard let hi = value(utf8[i]), let lo = value(utf8[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}

/// Standard base64 (RFC 4648 section 4, with padding), strict: the DSSE `payload` and `sig` fields.
public enum Base64 {
    /// Padded standard base64 of `bytes`.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String { Data(bytes).base64EncodedString() }

    /// Bytes of padded standard base64; `nil` for anything else, including whitespace, missing
    /// padding or non-zero trailing bits (so each byte string has exactly one accepted spelling).
    public static func decode(_ text: String) -> [UInt8]? {
        guard text.utf8.count % 4 == 0, let data = Data(base64Encoded: text) else { return nil }
        let bytes = [UInt8](data)
        // Re-encoding must give the same text: refuses non-zero pad bits and any leniency.
        guard Data(bytes).base64EncodedString() == text else { return nil }
        return bytes
    }
}
