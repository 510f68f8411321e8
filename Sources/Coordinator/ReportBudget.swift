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
    static let interval: Double = 120
    /// Tokens tracked at most (tokens are issued by an operator, so there are few).
    static let tracked = 1024

    private let limiter = RateLimiter(limit: RateLimit(burst: Double(capacity), perSecond: 1 / interval),
                                      capacity: tracked)

    /// Takes one report from `token`'s bucket: nil when granted, else the whole seconds to wait.
    func take(_ token: String) -> Int? {
        let wait = limiter.take(token)
        return wait == 0 ? nil : wait
    }
}
