internal import Federation
public import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// What one `push` did.
public struct PushSummary: Codable, Sendable, Equatable {
    public var queued = 0
    public var acknowledged = 0
    public var refused = 0
    /// Entries still queued because the coordinator could not be reached (retry later).
    public var pending = 0
    /// Entries the coordinator answered with a receipt for other bytes or another id: still
    /// queued, with the reason in the outbox (check the coordinator URL and any proxy in between).
    public var unconfirmed = 0
    /// Weeks that could not be queued (the protocol refuses their figures), each with its reason;
    /// the other weeks were queued and sent.
    public var unqueued: [UnqueuedWeek] = []
}

/// How `push` retries.
public struct PushOptions: Sendable {
    /// Attempts per submission in one run before giving up for now (it stays queued).
    public var maximumAttempts = 6
    /// First backoff; doubled after each failure, at most `maximumDelay`. `Retry-After` wins.
    public var initialDelay: Duration = .milliseconds(500)
    public var maximumDelay: Duration = .seconds(30)
    public var timeout: TimeInterval = 30
    /// Queue nothing new, only send what is queued.
    public var sendOnly = false
    public init() {}
}

extension NodeStore {
    /// Queues new or corrected submissions, then sends every queued one, oldest first, to
    /// `coordinator` (e.g. `https://coordinator.example/`). An acknowledged (202, or 200 for a
    /// retry) submission is marked done once its receipt names its id and the SHA-256 of the
    /// bytes sent (otherwise it stays queued, counted as unconfirmed); a 4xx refusal is marked refused with its reason; a
    /// network error, 408, 429 or 5xx is retried with exponential backoff honouring `Retry-After`.
    /// Since every submission is in the outbox before it is sent and a resent submission is
    /// an idempotent success, a crash at any moment loses nothing and duplicates nothing.
    public func push(to coordinator: URL, options: PushOptions = PushOptions(),
                     log: (String) -> Void = { _ in }) throws -> PushSummary {
        var summary = PushSummary()
        if !options.sendOnly {
            let outcome = try queueSubmissionsReporting()
            summary.queued = outcome.queued.count
            summary.unqueued = outcome.unqueued
            for week in outcome.unqueued { log(week.description) }
        }
        let endpoint = coordinator.appendingPathComponent("v1/tenants/\(settings.tenant)/submissions")
        for entry in try outbox() where entry.state == "queued" {
            let body = try envelopeBytes(sequence: entry.sequence)
            var delay = options.initialDelay
            var attempt = 0
            var done = false
            while !done && attempt < options.maximumAttempts {
                attempt += 1
                let response: HTTPPostResult
                do {
                    response = try httpPost(endpoint, body: body, timeout: options.timeout)
                } catch {
                    try recordAttempt(sequence: entry.sequence, state: "queued", error: "\(error)", receipt: nil)
                    // A redirect or an oversized answer is the coordinator's configuration: retrying changes nothing.
                    if case NodeError.Code.answerRefused = error { throw error }
                    log("submission \(entry.sequence) (\(entry.periodFrom)–\(entry.periodTo)): \(error); retrying in \(delay)")
                    Thread.sleep(forTimeInterval: delay.seconds)
                    delay = min(delay * 2, options.maximumDelay)
                    continue
                }
                switch response.status {
                case 200, 201, 202:
                    done = true
                    if let problem = Receipt.problem(answer: Array(response.bodyText.utf8), envelope: body,
                                                     submissionID: entry.submissionId) {
                        try recordAttempt(sequence: entry.sequence, state: "queued", error: "HTTP \(response.status) but \(problem)", receipt: nil)
                        summary.unconfirmed += 1
                        log("submission \(entry.sequence) (\(entry.periodFrom)–\(entry.periodTo)): not counted as acknowledged: \(problem)")
                    } else {
                        try recordAttempt(sequence: entry.sequence, state: "acknowledged", error: nil, receipt: response.bodyText)
                        summary.acknowledged += 1
                        log("submission \(entry.sequence) (\(entry.periodFrom)–\(entry.periodTo)): acknowledged (\(response.status))")
                    }
                case 408, 429, 500...599:
                    let wait = response.retryAfter.map { Duration.seconds($0) } ?? delay
                    try recordAttempt(sequence: entry.sequence, state: "queued", error: "HTTP \(response.status): \(response.bodyText)", receipt: nil)
                    log("submission \(entry.sequence): coordinator answered \(response.status); retrying in \(wait)")
                    Thread.sleep(forTimeInterval: min(wait, options.maximumDelay).seconds)
                    delay = min(delay * 2, options.maximumDelay)
                default:
                    try recordAttempt(sequence: entry.sequence, state: "refused", error: "HTTP \(response.status): \(response.bodyText)", receipt: nil)
                    summary.refused += 1
                    log("submission \(entry.sequence) (\(entry.periodFrom)–\(entry.periodTo)): refused (\(response.status)) \(response.bodyText)")
                    done = true
                }
            }
            if !done {
                summary.pending += 1
                // The coordinator is unreachable: later entries would fail the same way.
                summary.pending += try outbox().filter { $0.state == "queued" && $0.sequence > entry.sequence }.count
                break
            }
        }
        return summary
    }
}

/// The answer to one POST.
struct HTTPPostResult: Sendable {
    var status: Int
    var bodyText: String
    /// Seconds from a `Retry-After` header, if any.
    var retryAfter: Int?
}

/// POSTs bytes with URLSession and waits for the answer (the CLI is synchronous).
func httpPost(_ url: URL, body: [UInt8], timeout: TimeInterval) throws -> HTTPPostResult {
    let response = try httpRequest(url, method: "POST", body: body, bearer: nil, timeout: timeout, limit: ResponseLimit.receipt)
    return HTTPPostResult(status: response.status, bodyText: String(decoding: response.body, as: UTF8.self), retryAfter: response.retryAfter)
}

extension Duration {
    var seconds: TimeInterval { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
