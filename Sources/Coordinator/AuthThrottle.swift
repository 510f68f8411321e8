// Rate limits on failed authentication: per client address and per token prefix.
import Foundation
import HTTPServer
import Synchronization

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
    /// A token bucket's size and refill rate.
    struct Limit: Sendable {
        /// Failures allowed at once.
        var burst: Double
        /// Failures allowed per second after that.
        var perSecond: Double
    }

    /// 20 failures at once per address, then one every 2 s.
    static let addressLimit = Limit(burst: 20, perSecond: 0.5)
    /// 10 failures at once per token prefix, then one every 10 s.
    static let prefixLimit = Limit(burst: 10, perSecond: 0.1)
    /// Shared by all addresses that find the address table full: 200 at once, then 5 a second.
    static let overflowLimit = Limit(burst: 200, perSecond: 5)
    /// Keys kept per table.
    static let defaultCapacity = 10_000
    /// How many leading characters of a presented token name its bucket.
    static let prefixLength = 8

    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private struct Table {
        let limit: Limit
        /// The shared bucket's limit for keys that find the table full; nil: such keys are free.
        let overflowLimit: Limit?
        var buckets: [String: Bucket] = [:]
        var overflow: Bucket?
        var lastSweep: ContinuousClock.Instant?

        /// Tokens in `key`'s bucket now (a missing bucket is full).
        /// Tokens left for `key` now (a missing bucket is full), and the limit that refills them.
        func tokens(_ key: String, capacity: Int, now: ContinuousClock.Instant) -> (Double, Limit) {
            if let bucket = buckets[key] { return (refilled(bucket, now: now), limit) }
            if buckets.count >= capacity, let overflowLimit, let overflow {
                return (refilled(overflow, now: now, limit: overflowLimit), overflowLimit)
            }
            return (limit.burst, limit)
        }

        func refilled(_ bucket: Bucket, now: ContinuousClock.Instant, limit: Limit? = nil) -> Double {
            let limit = limit ?? self.limit
            let (seconds, attoseconds) = (now - bucket.updated).components
            let elapsed = Double(seconds) + Double(attoseconds) / 1e18
            return min(limit.burst, bucket.tokens + max(0, elapsed) * limit.perSecond)
        }

        mutating func consume(_ key: String, capacity: Int, now: ContinuousClock.Instant) {
            if let bucket = buckets[key] {
                buckets[key] = Bucket(tokens: refilled(bucket, now: now) - 1, updated: now)
                return
            }
            if buckets.count >= capacity, lastSweep.map({ now - $0 >= .seconds(1) }) ?? true {
                lastSweep = now
                buckets = buckets.filter { refilled($0.value, now: now) < limit.burst }
            }
            if buckets.count < capacity {
                buckets[key] = Bucket(tokens: limit.burst - 1, updated: now)
            } else if let overflowLimit {
                let current = overflow.map { refilled($0, now: now, limit: overflowLimit) } ?? overflowLimit.burst
                overflow = Bucket(tokens: current - 1, updated: now)
            }
        }
    }

    private let addresses: Mutex<Table>
    private let prefixes: Mutex<Table>
    private let capacity: Int
    private let clock: @Sendable () -> ContinuousClock.Instant

    init(addressLimit: Limit = AuthThrottle.addressLimit, prefixLimit: Limit = AuthThrottle.prefixLimit,
         overflowLimit: Limit = AuthThrottle.overflowLimit, capacity: Int = AuthThrottle.defaultCapacity,
         clock: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        addresses = Mutex(Table(limit: addressLimit, overflowLimit: overflowLimit))
        prefixes = Mutex(Table(limit: prefixLimit, overflowLimit: nil))
        self.capacity = capacity
        self.clock = clock
    }

    /// Runs `check` (a credential check) unless the request's address or token prefix is
    /// throttled, and counts it as a failure if it throws ``CoordinatorError/Code/unauthorized``
    /// for a credential that was presented. Throws ``CoordinatorError/Code/tooManyRequests`` when
    /// throttled.
    func authenticate<T>(_ request: HTTPRequest, token: String?, _ check: () throws -> T) throws -> T {
        let address = request.clientAddress.map(IPAddress.clientKey)
        let prefix = token.map { String($0.prefix(Self.prefixLength)) }
        let now = clock()
        let wait = max(address.map { delay(addresses, $0, now) } ?? 0, prefix.map { delay(prefixes, $0, now) } ?? 0)
        if wait > 0 {
            throw CoordinatorError(.tooManyRequests,
                                   "Too many failed authentication attempts from this address or for this token. Wait \(wait) s, then check the token you send.",
                                   headers: ["Retry-After": String(wait)])
        }
        do {
            return try check()
        } catch let error as CoordinatorError where error.code == .unauthorized && token != nil {
            if let address { addresses.withLock { $0.consume(address, capacity: capacity, now: now) } }
            if let prefix { prefixes.withLock { $0.consume(prefix, capacity: capacity, now: now) } }
            throw error
        }
    }

    /// Whole seconds until `key` may fail once more (0: now).
    private func delay(_ table: borrowing Mutex<Table>, _ key: String, _ now: ContinuousClock.Instant) -> Int {
        table.withLock { table in
            let (tokens, limit) = table.tokens(key, capacity: capacity, now: now)
            guard tokens < 1 else { return 0 }
            guard limit.perSecond > 0 else { return 3600 }
            return max(1, Int(min(3600, ((1 - tokens) / limit.perSecond).rounded(.up))))
        }
    }

    /// Keys held (both tables, overflow excluded), for tests of the bound.
    var trackedKeys: Int { addresses.withLock { $0.buckets.count } + prefixes.withLock { $0.buckets.count } }
}
