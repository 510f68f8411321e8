// Token buckets per key in a bounded table: the coordinator's one rate-limit mechanism.
import Synchronization

/// A token bucket's size and refill rate.
struct RateLimit: Sendable {
    /// Events allowed at once.
    var burst: Double
    /// Events allowed per second after that.
    var perSecond: Double
}

/// Token buckets per key (a client address, a token prefix, a token id), in a table of at most
/// `capacity` keys.
///
/// Why bounded: the keys come from outside (addresses, presented tokens), so an unbounded table
/// is a memory leak an attacker controls. A bucket that has refilled is forgotten (a full bucket
/// is the same as none). When the table is full of active buckets, new keys share one overflow
/// bucket (`overflowLimit`), so a flood of ever-new keys is still limited as a whole; without an
/// overflow limit, such keys are not limited at all (right where every attacker's guess is a new
/// key and limiting them all together would lock out honest ones).
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private struct Table {
        let limit: RateLimit
        let overflowLimit: RateLimit?
        let capacity: Int
        var buckets: [String: Bucket] = [:]
        var overflow: Bucket?
        var lastSweep: ContinuousClock.Instant?

        /// Tokens left for `key` now (a missing bucket is full), and the limit that refills them.
        func tokens(_ key: String, now: ContinuousClock.Instant) -> (Double, RateLimit) {
            if let bucket = buckets[key] { return (refilled(bucket, now: now, limit: limit), limit) }
            if buckets.count >= capacity, let overflowLimit, let overflow {
                return (refilled(overflow, now: now, limit: overflowLimit), overflowLimit)
            }
            return (limit.burst, limit)
        }

        func refilled(_ bucket: Bucket, now: ContinuousClock.Instant, limit: RateLimit) -> Double {
            let (seconds, attoseconds) = (now - bucket.updated).components
            let elapsed = Double(seconds) + Double(attoseconds) / 1e18
            return min(limit.burst, bucket.tokens + max(0, elapsed) * limit.perSecond)
        }

        mutating func consume(_ key: String, now: ContinuousClock.Instant) {
            if let bucket = buckets[key] {
                buckets[key] = Bucket(tokens: refilled(bucket, now: now, limit: limit) - 1, updated: now)
                return
            }
            if buckets.count >= capacity, lastSweep.map({ now - $0 >= .seconds(1) }) ?? true {
                lastSweep = now
                buckets = buckets.filter { refilled($0.value, now: now, limit: limit) < limit.burst }
            }
            if buckets.count < capacity {
                buckets[key] = Bucket(tokens: limit.burst - 1, updated: now)
            } else if let overflowLimit {
                let current = overflow.map { refilled($0, now: now, limit: overflowLimit) } ?? overflowLimit.burst
                overflow = Bucket(tokens: current - 1, updated: now)
            }
        }

        /// Whole seconds until `key` has one token (0: now), at most an hour.
        func wait(_ key: String, now: ContinuousClock.Instant) -> Int {
            let (tokens, limit) = tokens(key, now: now)
            guard tokens < 1 else { return 0 }
            guard limit.perSecond > 0 else { return 3600 }
            return max(1, Int(min(3600, ((1 - tokens) / limit.perSecond).rounded(.up))))
        }
    }

    private let table: Mutex<Table>
    private let clock: @Sendable () -> ContinuousClock.Instant

    init(limit: RateLimit, overflowLimit: RateLimit? = nil, capacity: Int,
         clock: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        table = Mutex(Table(limit: limit, overflowLimit: overflowLimit, capacity: capacity))
        self.clock = clock
    }

    /// Whole seconds until `key` may have one more event (0: now); takes nothing.
    func wait(_ key: String) -> Int {
        let now = clock()
        return table.withLock { $0.wait(key, now: now) }
    }

    /// Counts one event for `key`, whether or not it had a token left (a failure already happened).
    func record(_ key: String) {
        let now = clock()
        table.withLock { $0.consume(key, now: now) }
    }

    /// Takes one token for `key` if it has one: 0 when granted, else the whole seconds to wait.
    func take(_ key: String) -> Int {
        let now = clock()
        return table.withLock { table in
            let wait = table.wait(key, now: now)
            if wait == 0 { table.consume(key, now: now) }
            return wait
        }
    }

    /// Keys held (the overflow bucket excluded), for tests of the bound.
    var trackedKeys: Int { table.withLock { $0.buckets.count } }
}
