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

/// What one `push` did for one network; `error` says why the network failed as a whole (its
/// coordinator refused the exchange, or it is not configured), if it did.
public struct NetworkPushSummary: Codable, Sendable {
    public var network: String
    public var coordinator: String?
    public var summary: PushSummary
    /// Why the network failed as a whole (`failure`'s message), for `--json`.
    public var error: String?
    /// The error itself (not in the JSON).
    public var failure: NodeError? = nil

    enum CodingKeys: String, CodingKey { case network, coordinator, summary, error }

    init(network: String, coordinator: String?, summary: PushSummary, failure: NodeError? = nil) {
        self.network = network
        self.coordinator = coordinator
        self.summary = summary
        self.error = failure?.message
        self.failure = failure
    }

    /// Whether everything of this network was queued and delivered.
    public var isComplete: Bool {
        error == nil && summary.pending == 0 && summary.unconfirmed == 0 && summary.unqueued.isEmpty
    }
}

extension NodeStore {
    /// Pushes to every network of `networks` (default: all), each to its own coordinator: queues
    /// what is new or corrected for each (its own privacy policy, its own sequence), then sends
    /// each network's outbox. A network that fails (coordinator unreachable, answer refused, not
    /// configured) is reported in its summary and never stops the others.
    public func push(networks: [Network]? = nil, coordinator given: URL? = nil, options: PushOptions = PushOptions(),
                     log: (String) -> Void = { _ in }) throws -> [NetworkPushSummary] {
        let networks = try networks ?? self.networks()
        if given != nil && networks.count != 1 {
            throw NodeError(.invalidArgument, "a coordinator URL is one network's, but the push is for \(networks.count) networks", remedy: .nameNetwork)
        }
        var results: [NetworkPushSummary] = []
        var clients: [String: CoordinatorClient] = [:]
        for network in networks {
            do {
                clients[network.name] = try client(for: network, coordinator: given)
            } catch let error as NodeError {
                results.append(NetworkPushSummary(network: network.name, coordinator: nil, summary: PushSummary(), failure: error))
            }
        }
        let ready = try self.networks().filter { clients[$0.name] != nil }
        var queued: [OutboxEntry] = []
        var unqueued: [UnqueuedWeek] = []
        if !options.sendOnly {
            (queued, unqueued) = try queueSubmissionsReporting(networks: ready)
            for week in unqueued { log(week.description) }
        }
        for network in ready {
            guard let client = clients[network.name] else { continue }
            let prefix = networks.count > 1 ? "network \(network.name): " : ""
            var result = NetworkPushSummary(network: network.name, coordinator: client.baseURL.absoluteString, summary: PushSummary())
            result.summary.queued = queued.filter { $0.network == network.name }.count
            result.summary.unqueued = unqueued
            do {
                try send(network: network, client: client, options: options, into: &result.summary) { log(prefix + $0) }
            } catch let error as NodeError {
                result.error = error.message
                result.failure = error
                log(prefix + error.message)
            }
            results.append(result)
        }
        return results.sorted { $0.network < $1.network }
    }

    /// Pushes the default network to `coordinator` (see ``push(networks:coordinator:options:log:)``);
    /// a network-wide failure is thrown.
    public func push(to coordinator: URL, options: PushOptions = PushOptions(),
                     log: (String) -> Void = { _ in }) throws -> PushSummary {
        let result = try push(networks: [try defaultNetwork()], coordinator: coordinator, options: options, log: log)
        guard let first = result.first else { return PushSummary() }
        if let failure = first.failure { throw failure }
        return first.summary
    }

    /// Sends every queued submission of `network`, oldest first, to its coordinator. An
    /// acknowledged (202, or 200 for a retry) submission is marked done once its receipt names its
    /// id and the SHA-256 of the bytes sent (otherwise it stays queued, counted as unconfirmed); a
    /// 4xx refusal is marked refused with its reason; a network error, 408, 429 or 5xx is retried
    /// with exponential backoff honouring `Retry-After`. Since every submission is in the outbox
    /// before it is sent and a resent submission is an idempotent success, a crash at any moment
    /// loses nothing and duplicates nothing.
    func send(network: Network, client: CoordinatorClient, options: PushOptions, into summary: inout PushSummary,
              log: (String) -> Void) throws {
        for entry in try outbox(network: network.name) where entry.state == "queued" {
            let body = try envelopeBytes(sequence: entry.sequence, network: network.name)
            var delay = options.initialDelay
            var attempt = 0
            var done = false
            while !done && attempt < options.maximumAttempts {
                attempt += 1
                let response: HTTPPostResult
                do {
                    response = try client.submit(body, timeout: options.timeout)
                } catch {
                    try recordAttempt(entry, state: "queued", error: "\(error)", receipt: nil)
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
                        try recordAttempt(entry, state: "queued", error: "HTTP \(response.status) but \(problem)", receipt: nil)
                        summary.unconfirmed += 1
                        log("submission \(entry.sequence) (\(entry.periodFrom)–\(entry.periodTo)): not counted as acknowledged: \(problem)")
                    } else {
                        try recordAttempt(entry, state: "acknowledged", error: nil, receipt: response.bodyText)
                        summary.acknowledged += 1
                        log("submission \(entry.sequence) (\(entry.periodFrom)–\(entry.periodTo)): acknowledged (\(response.status))")
                    }
                case 408, 429, 500...599:
                    let wait = response.retryAfter.map { Duration.seconds($0) } ?? delay
                    try recordAttempt(entry, state: "queued", error: "HTTP \(response.status): \(response.bodyText)", receipt: nil)
                    log("submission \(entry.sequence): coordinator answered \(response.status); retrying in \(wait)")
                    Thread.sleep(forTimeInterval: min(wait, options.maximumDelay).seconds)
                    delay = min(delay * 2, options.maximumDelay)
                default:
                    try recordAttempt(entry, state: "refused", error: "HTTP \(response.status): \(response.bodyText)", receipt: nil)
                    summary.refused += 1
                    log("submission \(entry.sequence) (\(entry.periodFrom)–\(entry.periodTo)): refused (\(response.status)) \(response.bodyText)")
                    done = true
                }
            }
            if !done {
                summary.pending += 1
                // The coordinator is unreachable: later entries would fail the same way.
                summary.pending += try outbox(network: network.name).filter { $0.state == "queued" && $0.sequence > entry.sequence }.count
                break
            }
        }
    }
}

/// The answer to one POST.
struct HTTPPostResult: Sendable {
    var status: Int
    var bodyText: String
    /// Seconds from a `Retry-After` header, if any.
    var retryAfter: Int?
}

extension Duration {
    var seconds: TimeInterval { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
