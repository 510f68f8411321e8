import Foundation
import Synchronization

/// How many *new* reports each token may have the coordinator sign and store: a bucket of
/// ``capacity`` that refills one report per ``interval``.
///
/// Why: every report answered is kept for good (`published_reports`, append-only, so that
/// `report recompute` can check it), one per distinct question (period, lag, audience) and log
/// size. Without a budget one token could fill the disk by asking for endless periods. A question
/// already answered at the current log size costs nothing: it is served from the store.
final class ReportBudget: Sendable {
    /// New reports a token may publish at once.
    static let capacity = 30
    /// Seconds until one more may be published (30 an hour once the bucket is empty).
    static let interval: TimeInterval = 120
    /// Buckets kept before full ones are forgotten (a full bucket is the same as none).
    static let retained = 1024

    private struct Bucket {
        var available: Double
        var at: Date
    }

    private let buckets = Mutex<[String: Bucket]>([:])

    /// Takes one report from `token`'s bucket: nil when granted, else the whole seconds to wait.
    func take(_ token: String, now: Date) -> Int? {
        buckets.withLock { buckets in
            if buckets.count >= Self.retained {
                buckets = buckets.filter { Self.refilled($0.value, now: now) < Double(Self.capacity) }
            }
            var bucket = buckets[token] ?? Bucket(available: Double(Self.capacity), at: now)
            bucket.available = Self.refilled(bucket, now: now)
            bucket.at = now
            guard bucket.available >= 1 else {
                buckets[token] = bucket
                return max(1, Int(((1 - bucket.available) * Self.interval).rounded(.up)))
            }
            bucket.available -= 1
            buckets[token] = bucket
            return nil
        }
    }

    private static func refilled(_ bucket: Bucket, now: Date) -> Double {
        let elapsed = max(0, now.timeIntervalSince(bucket.at))
        return min(Double(capacity), bucket.available + elapsed / interval)
    }
}
