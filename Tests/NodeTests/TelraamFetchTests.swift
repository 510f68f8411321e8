import Foundation
import HTTPServer
@testable import Node
import Synchronization
import TestSupport
import Testing

/// A local stand-in for the Telraam API: `POST /v1/reports/traffic` answers with the rows of the
/// repository's real response (`Tests/Vectors/telraam/`) that fall in the requested range, after
/// answering 429 as often as told. It records every request it was sent.
final class FakeTelraam: Sendable {
    struct Request: Sendable, Equatable {
        var key: String?
        var id: String
        var start: String
        var end: String
    }
    struct State {
        var requests: [Request] = []
        /// Answers to give before the real one: (status, Retry-After).
        var refusals: [(Int, String?)] = []
        /// When set, every row is served with its pedestrians × this and uptime 0.99: Telraam's
        /// revision of hours a device uploaded late.
        var revisedPedestrians: Double?
    }
    let state = Mutex(State())
    private(set) nonisolated(unsafe) var server: HTTPServer! // set once in init, read-only after
    var url: URL { URL(string: "http://127.0.0.1:\(server.port)/v1/")! }

    init() throws {
        let vector = try Data(contentsOf: Repository.vectors.appendingPathComponent("telraam/traffic-report-348917.json"))
        let rows = ((try JSONSerialization.jsonObject(with: vector) as? [String: Any])?["report"] as? [[String: Any]]) ?? []
        // (segment, date, the row's JSON) of each real row.
        let replay: [(String, String, String)] = try rows.map {
            ("\($0["segment_id"] ?? "")", $0["date"] as? String ?? "",
             String(decoding: try JSONSerialization.data(withJSONObject: $0), as: UTF8.self))
        }
        var router = Router()
        router.post("/v1/reports/traffic") { [unowned self] request, _ in
            let body = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: String] ?? [:]
            let seen = Request(key: request.headers["X-Api-Key"], id: body["id"] ?? "", start: body["time_start"] ?? "",
                               end: body["time_end"] ?? "")
            let refusal = self.state.withLock { state -> (Int, String?)? in
                state.requests.append(seen)
                return state.refusals.isEmpty ? nil : state.refusals.removeFirst()
            }
            if let (status, retryAfter) = refusal {
                return HTTPResponse(status: HTTPStatus(rawValue: status), headers: retryAfter.map { ["Retry-After": $0] } ?? [:],
                                    body: Array("{\"message\": \"slow down\"}".utf8))
            }
            guard seen.key == "secret-key" else { return .json(status: 403, bytes: Array("{\"message\": \"Forbidden\"}".utf8)) }
            // "2020-10-30 07:00:00Z" and the rows' "2020-10-30T07:00:00.000Z" compare in the same order once aligned.
            func instant(_ text: String) -> String { String(text.replacingOccurrences(of: " ", with: "T").prefix(19)) }
            let (from, to) = (instant(seen.start), instant(seen.end))
            let revision = self.state.withLock { $0.revisedPedestrians }
            let selected = replay.filter { segment, date, _ in
                segment == seen.id && instant(date) >= from && instant(date) < to
            }.map { _, _, json -> String in
                guard let revision, var row = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] else { return json }
                for key in ["pedestrian", "pedestrian_lft", "pedestrian_rgt"] {
                    if let value = row[key] as? Double { row[key] = (value * revision).rounded() }
                }
                row["uptime"] = 0.99
                guard let data = try? JSONSerialization.data(withJSONObject: row) else { return json }
                return String(decoding: data, as: UTF8.self)
            }
            return .json(bytes: Array("{\"status_code\": 200, \"message\": \"ok\", \"report\": [\(selected.joined(separator: ","))]}".utf8))
        }
        server = HTTPServer(configuration: .init(port: 0, threadPoolSize: 2), router: router, accessLog: AccessLog { _ in })
        try server.start()
    }

    deinit { server.shutdown(gracePeriod: .seconds(1)) }
}

@Suite struct TelraamFetchTests {
    /// A node whose Telraam key and API URL point at `fake`, with waits recorded instead of slept.
    static func node(_ dir: URL, fake: FakeTelraam) throws -> NodeFixture {
        let fixture = try NodeFixture(in: dir)
        try fixture.store.saveTelraamKey("secret-key\n")
        try fixture.store.setSetting("telraam_url", fake.url.absoluteString)
        return fixture
    }

    /// The waits fetch asked for (recorded instead of slept).
    final class Waits: Sendable {
        let list = Mutex<[Double]>([])
        func withLock<T>(_ body: (inout [Double]) -> T) -> T { list.withLock { body(&$0) } }
    }

    static func options(now: String, first: String? = nil, waits: Waits) -> TelraamFetchOptions {
        var options = TelraamFetchOptions()
        options.now = NodeFixture.epoch(now)
        options.firstStart = first.map(NodeFixture.epoch)
        options.sleep = { seconds in waits.withLock { $0.append(seconds) } }
        return options
    }

    /// A first fetch over five months is split into ≤ 90-day requests that tile the range; the
    /// real rows are imported with their uptime and directions; the next fetch starts at the hour
    /// after the last one stored.
    @Test func fetchesInNinetyDayRequestsThenIncrementally() throws {
        try withTemporaryDirectory { dir in
            let fake = try FakeTelraam()
            let fixture = try Self.node(dir, fake: fake)
            let waits = Waits()
            let summary = try fixture.store.fetchTelraam(options: Self.options(now: "2021-03-01T00:20:00Z", first: "2020-10-01T00:00:00Z", waits: waits))
            let requests = fake.state.withLock { $0.requests }
            #expect(requests.map(\.start) == ["2020-10-01 00:00:00Z", "2020-12-30 00:00:00Z"])
            #expect(requests.map(\.end) == ["2020-12-30 00:00:00Z", "2021-03-01 00:00:00Z"])
            #expect(requests.allSatisfy { $0.key == "secret-key" && $0.id == "348917" })
            #expect(summary.segments.first?.rowsRead == 2)
            #expect(summary.segments.first?.rowsInserted == 16)   // 2 hours × 4 modes × 2 directions
            #expect(waits.withLock { $0 } == [1.0])               // one pause between the two requests
            let uptimes = try fixture.query("SELECT DISTINCT uptime FROM counts ORDER BY uptime").map { try $0.double(0) }
            #expect(uptimes == [0.73, 0.7738888889])
            // The answers are kept beside the node, mode 0700 directory.
            let kept = try FileManager.default.contentsOfDirectory(atPath: fixture.store.directory.appendingPathComponent("fetched/telraam").path)
            #expect(kept.count == 2)

            // The next fetch starts 72 hours before the hour after the last stored one (08:00):
            // Telraam may still revise them.
            let next = try fixture.store.fetchTelraam(options: Self.options(now: "2021-03-02T10:05:00Z", waits: waits))
            let later = fake.state.withLock { Array($0.requests.dropFirst(2)) }
            #expect(later.map(\.start) == ["2020-10-27 09:00:00Z", "2021-01-25 09:00:00Z"])
            #expect(later.last?.end == "2021-03-02 10:00:00Z")
            #expect(next.segments.first?.rowsInserted == 0)
            #expect(next.segments.first?.rowsUnchanged == 16 && next.segments.first?.rowsReplaced == 0)
        }
    }

    /// An hour Telraam revised after it was fetched (a late upload: more pedestrians, higher
    /// uptime) replaces the stored one at the next fetch; kept answers older than 30 days go.
    @Test func revisedHoursReplaceTheStoredOnesAndOldAnswersArePruned() throws {
        try withTemporaryDirectory { dir in
            let fake = try FakeTelraam()
            let fixture = try Self.node(dir, fake: fake)
            let waits = Waits()
            _ = try fixture.store.fetchTelraam(options: Self.options(now: "2020-10-30T10:20:00Z", first: "2020-10-30T00:00:00Z", waits: waits))
            func pedestrians() throws -> [Double] {
                try fixture.query("SELECT sum(count) FROM counts WHERE measure = 1 GROUP BY start ORDER BY start").map { try $0.double(0) }
            }
            let before = try pedestrians()
            #expect(before.count == 2)
            let keep = fixture.store.directory.appendingPathComponent("fetched/telraam")
            let old = keep.appendingPathComponent("segment-348917-2020-01-01T00:00:00Z.json")
            try Data("{}".utf8).write(to: old)
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_570_000_000)], ofItemAtPath: old.path)

            fake.state.withLock { $0.revisedPedestrians = 2 }
            let revised = try fixture.store.fetchTelraam(options: Self.options(now: "2020-10-30T12:20:00Z", waits: waits))
            #expect(revised.segments.first?.rowsReplaced ?? 0 > 0, "\(revised)")
            let after = try pedestrians()
            #expect(after.count == 2 && zip(before, after).allSatisfy { $0.1 > $0.0 }, "\(before) → \(after)")
            let uptimes = try fixture.query("SELECT DISTINCT uptime FROM counts").map { try $0.double(0) }
            #expect(uptimes == [0.99])
            #expect(!FileManager.default.fileExists(atPath: old.path))
            #expect(try FileManager.default.contentsOfDirectory(atPath: keep.path).count == 2)
        }
    }

    /// 429s are retried after Retry-After (bounded), or after a doubling backoff without one; 5xx too.
    @Test func tooManyRequestsIsRetriedAfterRetryAfterOrBackoff() throws {
        try withTemporaryDirectory { dir in
            let fake = try FakeTelraam()
            fake.state.withLock { $0.refusals = [(429, "3"), (429, nil), (503, "100000")] }
            let fixture = try Self.node(dir, fake: fake)
            let waits = Waits()
            let summary = try fixture.store.fetchTelraam(options: Self.options(now: "2020-11-01T00:00:00Z", first: "2020-10-30T00:00:00Z", waits: waits))
            #expect(waits.withLock { $0 } == [3, 2, 120])
            #expect(summary.retries == 3)
            #expect(fake.state.withLock { $0.requests.count } == 4)
            #expect(summary.segments.first?.rowsInserted == 16)
        }
    }

    /// When Telraam keeps answering 429, fetch stops after the last attempt with an io error that
    /// says to run it again; the requests already answered stay imported.
    @Test func persistentRateLimitStopsWithWhatWasFetchedKept() throws {
        try withTemporaryDirectory { dir in
            let fake = try FakeTelraam()
            let fixture = try Self.node(dir, fake: fake)
            let waits = Waits()
            var options = Self.options(now: "2021-03-01T00:00:00Z", first: "2020-10-01T00:00:00Z", waits: waits)
            options.sleep = { seconds in
                waits.withLock { $0.append(seconds) }
                fake.state.withLock { $0.refusals = Array(repeating: (429, nil), count: 10) }   // after the first answer
            }
            let error = try #require(throws: NodeError.self) { try fixture.store.fetchTelraam(options: options) }
            #expect(error.code == .io)
            #expect(error.message.contains("answered 429 6 times") && error.message.contains("run fetch again later"), "\(error)")
            #expect(try fixture.query("SELECT count(*) FROM counts").first?.int(0) == 16)
            #expect(waits.withLock { $0 } == [1, 1, 2, 4, 8, 16])
        }
    }

    @Test func aRefusedKeyNamesTheRemedy() throws {
        try withTemporaryDirectory { dir in
            let fake = try FakeTelraam()
            let fixture = try Self.node(dir, fake: fake)
            try fixture.store.saveTelraamKey("wrong")
            let waits = Waits()
            let error = try #require(throws: NodeError.self) {
                try fixture.store.fetchTelraam(options: Self.options(now: "2020-11-01T00:00:00Z", waits: waits))
            }
            #expect(error.code == .invalidArgument && error.message.contains("--telraam-key-file"), "\(error)")
            let mode = try FileManager.default.attributesOfItem(atPath: NodeStore.telraamKeyURL(in: fixture.store.directory).path)[.posixPermissions] as? Int
            #expect(mode == 0o600)
        }
    }

    @Test func withoutAKeyOrSegmentTheErrorSaysWhatToDo() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            #expect(!fixture.store.hasTelraamKey)
            let error = try #require(throws: NodeError.self) { try fixture.store.fetchTelraam() }
            #expect(error.message.contains("configure --dir"), "\(error)")
            try fixture.store.saveTelraamKey("k")
            var options = TelraamFetchOptions()
            options.segments = [42]
            let unknown = try #require(throws: NodeError.self) { try fixture.store.fetchTelraam(options: options) }
            #expect(unknown.message.contains("telraam-42"), "\(unknown)")
        }
    }
}

/// The command line: `configure --telraam-key-file/--telraam-url`, then `fetch telraam` as the
/// systemd unit runs it.
@Suite struct TelraamFetchCommandLineTests {
    let node = Repository.executable("townbench-node")

    @Test func configureThenFetchAndIfConfiguredWithoutAKey() throws {
        try withTemporaryDirectory { dir in
            let fake = try FakeTelraam()
            let fixture = try NodeFixture(in: dir)
            let nodeDir = fixture.store.directory.path
            // No key yet: --if-configured does nothing and succeeds (towns without Telraam).
            let skipped = try runProcess(node, ["fetch", "telraam", "--dir", nodeDir, "--if-configured"])
            #expect(skipped.status == 0 && skipped.stdout.contains("no Telraam key configured"), "\(skipped.stderr)")
            #expect(fake.state.withLock { $0.requests.isEmpty })
            let keyFile = try fixture.write("telraam.key", "secret-key\n")
            let configured = try runProcess(node, ["configure", "--dir", nodeDir, "--telraam-key-file", keyFile,
                                                   "--telraam-url", fake.url.absoluteString])
            #expect(configured.status == 0, "\(configured.stderr)")
            // From yesterday (the real clock): one request, with the stored key, to the configured URL.
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withFullDate]
            let yesterday = formatter.string(from: Date().addingTimeInterval(-86_400))
            let fetched = try runProcess(node, ["fetch", "telraam", "--dir", nodeDir, "--segment", "348917",
                                                "--since", yesterday, "--if-configured", "--json"])
            #expect(fetched.status == 0, "\(fetched.stderr)")
            #expect(fetched.stdout.contains("\"requests\" : 1"), "\(fetched.stdout)")
            #expect(fake.state.withLock { $0.requests.map(\.key) } == ["secret-key"])
            let bad = try runProcess(node, ["fetch", "telraam", "--dir", nodeDir, "--segment", "abc"])
            #expect(bad.status == 64 && bad.stderr.contains("--segment 'abc'"), "\(bad.stderr)")
        }
    }
}
