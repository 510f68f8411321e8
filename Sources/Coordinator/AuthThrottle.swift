// Rate limits on failed authentication: per client address and per token prefix.
import Foundation
import HTTPServer

/// Limits FAILED bearer-token checks (API, page requests and the login form), per client address
/// and per token prefix, with token buckets; a throttled client is answered 429 with
/// `Retry-After` before its credential is looked at.
///
/// Why: without it a client could try about 3,900 tokens a second, each one a hash and a store
/// query (issue 16, finding 13). Tokens hold 256 random bits, so guessing cannot succeed; the
/// limits keep guessing from costing the coordinator and turn an attack into a visible stream
/// of 429s.
/// - **Only failures count.** A principal whose token is valid is never slowed by its own
///   requests, however many. A request without any credential is not a guess and is not counted.
/// - **A throttled address is refused even with a correct token** (429, credential not checked):
///   checking it would tell a guesser which guess was right, which is what the limit prevents.
///   The cost: a valid client sharing an address with a guesser waits `Retry-After` seconds.
/// - **Per token prefix** (the first ``prefixLength`` characters): a guesser spread over many
///   addresses who works on one known beginning of a token is limited too.
/// - **The client address** is ``HTTPRequest/clientAddress``: the peer, or behind the loopback
///   reverse proxy the address it appended to `X-Forwarded-For`; an IPv6 client counts by /64.
/// - **Memory is bounded**: each table holds at most ``capacity`` keys, and a bucket that has
///   refilled is forgotten. When the address table is full of active buckets, new addresses share
///   one overflow bucket (``overflowLimit``), so a flood from ever-new addresses is still limited
///   as a whole; honest clients outside the table may then see 429 until the flood ebbs. When the
///   prefix table is full, new prefixes are not limited (every random guess is a new prefix; the
///   address limit still holds), so such a flood cannot lock out honest tokens.
/// Session cookies are not counted: a session id is 256 random bits checked in memory, and after
/// a restart every browser's old cookie fails once.
final class AuthThrottle: Sendable {
    /// 20 failures at once per address, then one every 2 s.
    static let addressLimit = RateLimit(burst: 20, perSecond: 0.5)
    /// 10 failures at once per token prefix, then one every 10 s.
    static let prefixLimit = RateLimit(burst: 10, perSecond: 0.1)
    /// Shared by all addresses that find the address table full: 200 at once, then 5 a second.
    static let overflowLimit = RateLimit(burst: 200, perSecond: 5)
    /// Keys kept per table.
    static let defaultCapacity = 10_000
    /// How many leading characters of a presented token name its bucket.
    static let prefixLength = 8

    private let addresses: RateLimiter
    private let prefixes: RateLimiter

    init(addressLimit: RateLimit = AuthThrottle.addressLimit, prefixLimit: RateLimit = AuthThrottle.prefixLimit,
         overflowLimit: RateLimit = AuthThrottle.overflowLimit, capacity: Int = AuthThrottle.defaultCapacity,
         clock: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        addresses = RateLimiter(limit: addressLimit, overflowLimit: overflowLimit, capacity: capacity, clock: clock)
        // No overflow bucket for prefixes: every random guess is a new prefix (see above).
        prefixes = RateLimiter(limit: prefixLimit, capacity: capacity, clock: clock)
    }

    /// Runs `check` (a credential check) unless the request's address or token prefix is
    /// throttled, and counts it as a failure if it throws ``CoordinatorError/Code/unauthorized``
    /// for a credential that was presented. Throws ``CoordinatorError/Code/tooManyRequests`` when
    /// throttled.
    func authenticate<T>(_ request: HTTPRequest, token: String?, _ check: () throws -> T) throws -> T {
        let address = request.clientAddress.map(IPAddress.clientKey)
        let prefix = token.map { String($0.prefix(Self.prefixLength)) }
        let wait = max(address.map(addresses.wait) ?? 0, prefix.map(prefixes.wait) ?? 0)
        if wait > 0 {
            throw CoordinatorError(.tooManyRequests,
                                   "Too many failed authentication attempts from this address or for this token. Wait \(wait) s, then check the token you send.",
                                   headers: ["Retry-After": String(wait)])
        }
        do {
            return try check()
        } catch let error as CoordinatorError where error.code == .unauthorized && token != nil {
            if let address { addresses.record(address) }
            if let prefix { prefixes.record(prefix) }
            throw error
        }
    }

    /// Keys held (both tables, overflow excluded), for tests of the bound.
    var trackedKeys: Int { addresses.trackedKeys + prefixes.trackedKeys }
}
