import Federation
public import Foundation

/// Bearer tokens: 32 random bytes shown once as unpadded base64url, stored as SHA-256.
///
/// Why: dashboards and people need a simple credential; storing only the hash means a copy of the
/// database grants nothing, and the hash of a 256-bit secret is compared in constant time.
public enum BearerToken {
    /// A new token for `role` in `tenantID` (and `townID` for towns) valid until `expiresAt`.
    /// Returns the secret text (print it once) and the record to store.
    public static func issue(role: Role, tenantID: String, townID: String?, expiresAt: Date,
                             now: Date = Date()) throws -> (token: String, record: TokenRecord) {
        let secret = try SecureRandom.bytes(count: 32)
        let text = base64URL(secret)
        let id = Hex.encode(try SecureRandom.bytes(count: 6))
        let record = TokenRecord(id: id, hash: SHA256.hash(Array(text.utf8)), role: role, tenantID: tenantID, townID: townID,
                                 createdAt: now, expiresAt: expiresAt)
        return (text, record)
    }

    /// Unpadded base64url (RFC 4648 §5).
    public static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The principal of an `Authorization` header value, or an `unauthorized` error naming the fix.
    public static func authenticate(header: String?, store: any CoordinatorStore, now: Date) throws -> Principal {
        guard let header, header.count > 7, header.prefix(7).lowercased() == "bearer " else {
            throw unauthorized("Send `Authorization: Bearer <token>`; `townbench-coordinator token issue` creates one.")
        }
        let text = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
        guard text.utf8.count == 43 else { throw unauthorized("The bearer token is not valid. Ask the coordinator's admin for a new one.") }
        let hash = SHA256.hash(Array(text.utf8))
        guard let record = try store.token(hash: hash), SecureRandom.constantTimeEqual(record.hash, hash) else {
            throw unauthorized("The bearer token is not valid. Ask the coordinator's admin for a new one.")
        }
        if record.revokedAt.map({ $0 <= now }) ?? false {
            throw unauthorized("The bearer token was revoked. Ask the coordinator's admin for a new one.")
        }
        guard record.expiresAt > now else {
            throw unauthorized("The bearer token expired at \(Timestamp.format(record.expiresAt)). Ask for a new one.")
        }
        return Principal(role: record.role, tenantID: record.tenantID, townID: record.townID, tokenID: record.id)
    }

    static func unauthorized(_ message: String) -> CoordinatorError {
        CoordinatorError(.unauthorized, message, headers: ["WWW-Authenticate": "Bearer realm=\"townbench\""])
    }

    /// The latest expiry the store can write: a protocol timestamp has a 4-digit year.
    public static let latestExpiry = Timestamp.parse("9999-12-31T23:59:59Z") ?? .distantFuture

    /// Parses `--expires`: an RFC 3339 UTC time, or a duration `90d`, `12h`, `30m`, ending at
    /// ``latestExpiry`` at the latest (nil beyond it, as for any other bad spelling).
    public static func expiry(_ text: String, now: Date = Date()) -> Date? {
        if let date = Timestamp.parse(text) { return date }
        guard let unit = text.last, let n = Int(text.dropLast()), n > 0 else { return nil }
        let unitSeconds: Double
        switch unit {
        case "d": unitSeconds = 86400
        case "h": unitSeconds = 3600
        case "m": unitSeconds = 60
        default: return nil
        }
        let date = now.addingTimeInterval(Double(n) * unitSeconds)
        return date <= latestExpiry ? date : nil
    }
}
