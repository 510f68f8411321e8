// `townbench-node fetch telraam`: reads the Telraam API (POST /v1/reports/traffic, hourly, UTC)
// incrementally from the last hour the node has per segment, in requests of at most 90 days, and
// imports each answer with the Telraam importer (so the API and a saved file give the same rows).
public import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
internal import Indicators

/// How `fetchTelraam` runs; the defaults are the real API's pace.
public struct TelraamFetchOptions: Sendable {
    /// Segment ids to fetch; empty means every sensor named `telraam-<id>`.
    public var segments: [Int64] = []
    /// Where a segment without any stored hour starts (UTC epoch seconds); default 90 days before `now`.
    public var firstStart: Int64?
    /// The present (UTC epoch seconds): only hours that ended before it are requested.
    public var now: Int64 = Int64(Date().timeIntervalSince1970)
    /// Attempts per request when Telraam answers 429 or 5xx or cannot be reached.
    public var maximumAttempts = 6
    /// The longest wait honoured from a Retry-After (or reached by the backoff), in seconds.
    public var maximumWait = 120.0
    /// Pause between two requests (Telraam asks clients to pace about one request a second per key).
    public var pause = 1.0
    /// Waits (tests record the waits instead of sleeping).
    public var sleep: @Sendable (Double) -> Void = { Thread.sleep(forTimeInterval: $0) }
    /// Where the fetched answers are kept before they are imported (default `DIR/fetched/telraam/`).
    public var keepDirectory: URL?
    /// Hours before the last stored one that are asked for again. Why: a Telraam device uploads
    /// late, so an hour first served with low uptime is often completed later; the revised hour
    /// replaces the stored one (the API is the source of truth for its own data).
    public var revisionHours: Int64 = 72
    /// Kept answers older than this many days are deleted after a fetch (they are imported; the
    /// folder must not grow for ever).
    public var keepDays = 30
    public init() {}
}

/// What one fetch did, per segment.
public struct TelraamFetchSummary: Sendable, Codable, Equatable {
    public struct Segment: Sendable, Codable, Equatable {
        public var segment: Int64
        /// The requested range (UTC, ISO 8601; end excluded), or nil when the node was up to date.
        public var from: String?
        public var to: String?
        public var requests = 0
        public var rowsRead = 0
        public var rowsInserted = 0
        public var rowsUnchanged = 0
        /// Hours Telraam revised since the last fetch, replaced.
        public var rowsReplaced = 0
    }
    public var segments: [Segment] = []
    /// Answers 429/5xx/unreachable that were retried after a wait.
    public var retries = 0
    public init() {}
}

extension NodeStore {
    /// The real API; `configure --telraam-url` changes it (tests use a local fake).
    public static let defaultTelraamURL = URL(string: "https://telraam-api.net/v1/")!
    /// Telraam's limit for hourly data per request.
    static let telraamMaximumSpan: Int64 = 90 * 86_400

    static func telraamKeyURL(in directory: URL) -> URL { keysURL(in: directory).appendingPathComponent("telraam.key") }

    /// Stores the Telraam API key like the town token: `DIR/keys/telraam.key`, mode 0600.
    public func saveTelraamKey(_ key: String) throws {
        let trimmed = key.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.allSatisfy({ $0.isASCII && !$0.isWhitespace && !$0.isNewline }) else {
            throw NodeError(.invalidArgument, "the Telraam key file must hold the API key alone on one line (printable ASCII, no spaces); copy it from your Telraam account page")
        }
        let url = Self.telraamKeyURL(in: directory)
        try? FileManager.default.removeItem(at: url)
        try NodeStore.writeSecret(trimmed + "\n", to: url)
    }

    /// Whether a Telraam key is stored (the systemd unit skips the fetch without one).
    public var hasTelraamKey: Bool { FileManager.default.fileExists(atPath: Self.telraamKeyURL(in: directory).path) }

    func telraamKey() throws -> String {
        guard let text = try? String(contentsOf: Self.telraamKeyURL(in: directory), encoding: .utf8) else {
            throw NodeError(.invalidArgument, "no Telraam API key: put the key of your Telraam account in a file and run `townbench-node configure --dir \(directory.path) --telraam-key-file FILE`")
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The Telraam API base URL (setting `telraam_url`, default the real API).
    public func telraamURL() throws -> URL {
        guard let text = try setting("telraam_url") else { return Self.defaultTelraamURL }
        guard let url = URL(string: text) else {
            throw NodeError(.invalidArgument, "the stored Telraam URL '\(text)' is not a URL; set it again with `configure --telraam-url URL`")
        }
        return url
    }

    /// Fetches every new complete hour of each segment and imports it (one transaction per
    /// request: what was fetched before a failure stays imported, and the next run goes on from there).
    public func fetchTelraam(options: TelraamFetchOptions = .init(), log: (String) -> Void = { _ in }) throws -> TelraamFetchSummary {
        let key = try telraamKey()
        let base = try telraamURL()
        var segments = options.segments
        if segments.isEmpty {
            segments = try db.query("SELECT name FROM sensors WHERE name LIKE 'telraam-%' ORDER BY name").compactMap {
                Int64(try $0.string(0).dropFirst("telraam-".count))
            }
            guard !segments.isEmpty else {
                throw NodeError(.invalidArgument, "no Telraam segment to fetch: declare a sensor named telraam-<segment id> with `townbench-node sensors import`, or give --segment ID")
            }
        }
        let end = options.now - options.now % 3600   // hours that ended before now; end excluded
        let keep = options.keepDirectory ?? directory.appendingPathComponent("fetched/telraam", isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: keep, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw NodeError(.io, "cannot create \(keep.path): \(error.localizedDescription)")
        }
        var summary = TelraamFetchSummary()
        var requestsMade = 0
        for segment in segments {
            guard let sensor = try db.queryFirst("SELECT id FROM sensors WHERE name = ? OR name = ?",
                                                 [.text("telraam-\(segment)"), .text("\(segment)")])?.int64(0) else {
                throw NodeError(.invalidArgument, "unknown Telraam segment \(segment); declare a sensor named telraam-\(segment) with `townbench-node sensors import`")
            }
            var done = TelraamFetchSummary.Segment(segment: segment)
            let last = try db.queryFirst("SELECT max(start) FROM counts WHERE sensor_id = ?", [.integer(sensor)])
            let lastStart = try last?.optionalInt64(0)
            // From the hour after the last stored one, minus the hours Telraam may still revise.
            var start = lastStart.map { $0 + 3600 - 3600 * max(0, options.revisionHours) }
                ?? (options.firstStart ?? (end - Self.telraamMaximumSpan))
            start -= ((start % 3600) + 3600) % 3600
            if start < end {
                done.from = Self.telraamTime(start, iso: true)
                done.to = Self.telraamTime(end, iso: true)
            }
            while start < end {
                let chunkEnd = min(end, start + Self.telraamMaximumSpan)
                if requestsMade > 0 { options.sleep(options.pause) }
                requestsMade += 1
                let body = try telraamRequest(base: base, key: key, segment: segment, from: start, to: chunkEnd,
                                              options: options, retries: &summary.retries, log: log)
                done.requests += 1
                let file = keep.appendingPathComponent("segment-\(segment)-\(Self.telraamTime(start, iso: true)).json")
                do { try Data(body).write(to: file) } catch {
                    throw NodeError(.io, "cannot write \(file.path): \(error.localizedDescription)")
                }
                let imported = try importFile(file.path, format: .telraam, options: ImportOptions(replace: true))
                done.rowsRead += imported.rowsRead
                done.rowsInserted += imported.rowsInserted
                done.rowsUnchanged += imported.rowsUnchanged
                done.rowsReplaced += imported.rowsReplaced
                log("telraam segment \(segment): \(Self.telraamTime(start, iso: true)) – \(Self.telraamTime(chunkEnd, iso: true)): \(imported.rowsRead) rows, \(imported.rowsInserted) new, \(imported.rowsReplaced) revised")
                start = chunkEnd
            }
            summary.segments.append(done)
        }
        pruneKeptAnswers(in: keep, olderThanDays: options.keepDays, now: options.now)
        return summary
    }

    /// Deletes kept answers last written more than `days` days before `now` (best effort: a file
    /// that cannot be deleted is left for the next run).
    func pruneKeptAnswers(in folder: URL, olderThanDays days: Int, now: Int64) {
        let limit = Date(timeIntervalSince1970: TimeInterval(now - Int64(max(0, days)) * 86_400))
        let files = (try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: [.contentModificationDateKey])) ?? []
        for file in files where file.lastPathComponent.hasPrefix("segment-") && file.pathExtension == "json" {
            if let written = try? file.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate, written < limit {
                try? FileManager.default.removeItem(at: file)
            }
        }
    }

    /// One request, retried after 429, 5xx or a network failure (Retry-After honoured up to
    /// `maximumWait`, else 1, 2, 4 … seconds); other answers are final.
    private func telraamRequest(base: URL, key: String, segment: Int64, from: Int64, to: Int64,
                                options: TelraamFetchOptions, retries: inout Int, log: (String) -> Void) throws -> [UInt8] {
        let url = base.appendingPathComponent("reports/traffic")
        let body: [String: String] = ["level": "segments", "format": "per-hour", "id": String(segment),
                                      "time_start": Self.telraamTime(from), "time_end": Self.telraamTime(to)]
        let bytes = try [UInt8](JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]))
        var attempt = 0
        while true {
            attempt += 1
            var waitHint: Int? = nil
            var problem = ""
            let exchanged: Result<HTTPAnswer, any Error> = Result { try telraamExchange(url, body: bytes, key: key) }
            switch exchanged {
            case .failure(let error):
                guard let error = error as? NodeError, error.code == .io else { throw error }
                problem = error.message
            case .success(let answer):
                switch answer.status {
                case 200..<300: return answer.body
                case 429, 500..<600:
                    waitHint = answer.retryAfter
                    problem = "answered \(answer.status)"
                case 401, 403:
                    throw NodeError(.invalidArgument, "Telraam refused the API key (\(answer.status)) for segment \(segment): check the key in your Telraam account and store it again with `configure --telraam-key-file FILE`")
                default:
                    let text = String(decoding: answer.body.prefix(300), as: UTF8.self)
                    throw NodeError(.badInput, "Telraam answered \(answer.status) for segment \(segment) (\(Self.telraamTime(from)) – \(Self.telraamTime(to))): \(text). Check the segment id on telraam.net")
                }
            }
            guard attempt < options.maximumAttempts else {
                throw NodeError(.io, "Telraam \(problem) \(attempt) times for segment \(segment); the hours fetched so far are imported: run fetch again later")
            }
            let backoff = min(options.maximumWait, pow(2, Double(attempt - 1)))
            let wait = waitHint.map { min(options.maximumWait, Double(max(0, $0))) } ?? backoff
            log("telraam segment \(segment): \(problem); retrying in \(Int(wait.rounded(.up))) s")
            retries += 1
            options.sleep(wait)
        }
    }

    /// One POST with the `X-Api-Key` header, through the node's bounded client (`BoundedExchange`:
    /// no redirect followed, at most 64 MiB read; a 90-day hourly report is a few MiB).
    private func telraamExchange(_ url: URL, body: [UInt8], key: String) throws -> HTTPAnswer {
        do {
            return try httpRequest(url, method: "POST", body: body, bearer: nil, headers: ["X-Api-Key": key], timeout: 120, limit: 64 << 20)
        } catch let error as NodeError where error.code == .answerRefused {
            throw NodeError(.answerRefused, "the Telraam API at \(url.absoluteString) redirected or answered more than 64 MiB; check `configure --telraam-url` (default \(Self.defaultTelraamURL.absoluteString))")
        }
    }

    /// `2025-06-01 07:00:00Z` as Telraam's requests take it, or ISO 8601 `2025-06-01T07:00:00Z`.
    static func telraamTime(_ epoch: Int64, iso: Bool = false) -> String {
        let (days, seconds) = epoch.quotientAndRemainderFloored(dividingBy: 86_400)
        let day = DayNumber(Int(days))
        let h = seconds / 3600, m = seconds % 3600 / 60, s = seconds % 60
        return "\(day)\(iso ? "T" : " ")\(pad(h)):\(pad(m)):\(pad(s))Z"
    }

    private static func pad(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
}

extension Int64 {
    /// Floored division (the remainder is never negative), for instants before 1970.
    func quotientAndRemainderFloored(dividingBy divisor: Int64) -> (Int64, Int64) {
        let r = ((self % divisor) + divisor) % divisor
        return ((self - r) / divisor, r)
    }
}
