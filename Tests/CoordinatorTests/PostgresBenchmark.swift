// Benchmark, not a test: PostgreSQL vs SQLite coordinator store, submissions per second and
// network-indicator time for 300 towns × 3 years of daily aggregates, in one run.
// Runs only with TOWNBENCH_BENCH_POSTGRES=1 (and the test server's URL); asserts no timings,
// only that both backends stored the same and computed the same figures (which name the same
// log state: the same leaves in the same order give the same root). Figures go to stdout
// and, by hand, to BENCHMARKS.md ("PostgreSQL vs SQLite (coordinator)"). Knobs:
// TOWNBENCH_BENCH_TOWNS (300), TOWNBENCH_BENCH_DAYS (1096), TOWNBENCH_BENCH_SENSORS (2).
@testable import Coordinator
import Dispatch
import Federation
import Foundation
import Indicators
import Testing
import TestSupport

@Suite("Benchmark: PostgreSQL vs SQLite (coordinator)",
       .enabled(if: PostgresTestServer.isAvailable && ProcessInfo.processInfo.environment["TOWNBENCH_BENCH_POSTGRES"] == "1",
                "a benchmark: set TOWNBENCH_BENCH_POSTGRES=1 (and start the PostgreSQL test server) to run it"))
struct PostgresBenchmark {
    static let tenant = "bench"
    static func knob(_ name: String, _ fallback: Int) -> Int {
        ProcessInfo.processInfo.environment[name].flatMap(Int.init) ?? fallback
    }

    static func elapsed(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// Signed and checked submissions, as the HTTP workers hand them to the writer.
    static func verified(town: String, key: Ed25519.PrivateKey, record: KeyRecord, sequence: Int, first: DayNumber, count: Int,
                         sensors: Int, now: Date) throws -> VerifiedSubmission {
        let days = (0..<count).map { d in
            DayData(date: (first + d).description,
                    sensors: (0..<sensors).map { s in ("s\(s)", Double(1000 + (town.hashValue & 0xff) + s * 10 + (first.rawValue + d) % 97)) })
        }
        let bytes = try makeEnvelope(tenant: tenant, town: town, key: key, sequence: sequence, days: days)
        let decision = SubmissionCheck.check(bytes, policy: TenantSubmissionPolicy(tenantID: tenant), now: now,
                                             keys: { $0 == record.keyID ? record : nil }, state: { _, _ in TownSubmissionState() })
        guard case .accepted(let accepted) = decision else {
            throw CoordinatorError(.invalidArgument, "benchmark submission refused: \(decision)")
        }
        return VerifiedSubmission(scope: .administrative(tenant), accepted: accepted, body: bytes)
    }

    @Test("300 towns × 3 years: bulk load, single submissions, network indicators")
    func run() throws {
        let towns = Self.knob("TOWNBENCH_BENCH_TOWNS", 300)
        let dayCount = Self.knob("TOWNBENCH_BENCH_DAYS", 1096)
        let sensors = Self.knob("TOWNBENCH_BENCH_SENSORS", 2)
        let perSubmission = 28
        let first = try DayNumber(iso: "2024-01-01")
        let now = Date()
        // Every commit appends to the tenant's transparency log and signs a checkpoint, as the
        // service's writer does, so the rates include the log (issue 9).
        let signer = try CheckpointSigner(name: "bench.example", key: try Ed25519.PrivateKey())
        let names = (0..<towns).map { String(format: "town-%03d", $0) }
        let keys = try names.map { _ in try Ed25519.PrivateKey() }
        let records = zip(names, keys).map { name, key in
            KeyRecord(keyID: key.publicKey.keyID, publicKey: key.publicKey, tenantID: Self.tenant, townID: name, enrolledAt: .distantPast)
        }

        // Bulk: each town's 3 years in 28-day submissions, round-robin over towns (sequences increase).
        var bulk: [VerifiedSubmission] = []
        let chunks = (dayCount + perSubmission - 1) / perSubmission
        let generation = try Self.elapsed {
            for c in 0..<chunks {
                for t in 0..<towns {
                    bulk.append(try Self.verified(town: names[t], key: keys[t], record: records[t], sequence: c + 1,
                                                  first: first + c * perSubmission, count: min(perSubmission, dayCount - c * perSubmission),
                                                  sensors: sensors, now: now))
                }
            }
        }
        // Live-like: one day per submission (the node's daily push), 4 per town.
        var single: [VerifiedSubmission] = []
        for round in 0..<4 {
            for t in 0..<towns {
                single.append(try Self.verified(town: names[t], key: keys[t], record: records[t], sequence: chunks + 1 + round,
                                                first: first + dayCount - 1, count: 1, sensors: sensors, now: now))
            }
        }
        let sensorDays = bulk.reduce(0) { $0 + $1.accepted.payload.zones.reduce(0) { $0 + $1.days.count * sensors } }
        print("bench: generated \(bulk.count) bulk submissions (\(sensorDays) sensor-days) and \(single.count) single-day ones in \(String(format: "%.1f", generation)) s")

        var figures: [StoreBackend: [NetworkFigures]] = [:]
        var lines: [String] = []
        for backend in [StoreBackend.sqlite, .postgres] {
            let storage = try BackendStore(backend)
            let store = storage.store
            let scope = TenantScope.administrative(Self.tenant)
            try store.addTenant(Tenant(id: Self.tenant, name: "Benchmark"))
            for (name, record) in zip(names, records) {
                try store.addTown(Town(id: name, name: name), scope)
                try store.enrol(record, scope)
            }
            var stored = 0
            let bulkTime = try Self.elapsed {
                var i = 0
                while i < bulk.count {
                    let batch = Array(bulk[i..<min(i + 64, bulk.count)])
                    stored += try store.commit(batch, at: now, signer: signer).filter { if case .stored = $0 { true } else { false } }.count
                    i += 64
                }
            }
            #expect(stored == bulk.count)
            let half = single.count / 2
            let oneByOne = try Self.elapsed {
                for item in single[..<half] { _ = try store.commit([item], at: now, signer: signer) }
            }
            let grouped = try Self.elapsed {
                var i = half
                while i < single.count {
                    _ = try store.commit(Array(single[i..<min(i + 64, single.count)]), at: now, signer: signer)
                    i += 64
                }
            }
            #expect(try store.submissionCount(scope) == bulk.count + single.count)

            let last = first + dayCount - 1
            var results: [NetworkFigures] = []
            var timings: [String] = []
            for (label, period) in [("month", DayPeriod((last - 29)...last)), ("year", DayPeriod((last - 364)...last))] {
                var best = Double.infinity
                var readBest = Double.infinity
                var rows = 0
                for _ in 0..<3 {
                    var result: NetworkFigures?
                    best = min(best, try Self.elapsed { result = try NetworkIndicators.compute(scope, store: store, origin: signer.origin(Self.tenant), period: period) })
                    if let result { results.append(result) }
                    let load = (period.range.lowerBound - 364).rawValue...period.range.upperBound.rawValue
                    readBest = min(readBest, try Self.elapsed { rows = try store.sensorDays(measure: "pedestrians", days: load, scope).count })
                }
                timings.append("\(label): \(String(format: "%.2f", best)) s (reading \(rows) sensor-days: \(String(format: "%.2f", readBest)) s)")
            }
            figures[backend] = results
            let line = "| \(backend.rawValue) | \(String(format: "%.0f", Double(bulk.count) / bulkTime)) subm/s, \(String(format: "%.0f", Double(sensorDays) / bulkTime)) sensor-days/s (\(String(format: "%.1f", bulkTime)) s) | \(String(format: "%.0f", Double(half) / oneByOne))/s | \(String(format: "%.0f", Double(single.count - half) / grouped))/s | \(timings.joined(separator: "; ")) |"
            print("bench: " + line)
            lines.append(line)
        }
        print("bench: | backend | bulk load (28-day submissions, batches of 64) | 1-day submissions, one per commit | 1-day submissions, 64 per commit | network indicators, best of 3 |")
        for line in lines { print("bench: " + line) }
        // Both backends computed the same figures from the same submissions.
        #expect(figures[.sqlite] == figures[.postgres])
    }
}
