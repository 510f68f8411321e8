// PostgreSQL vs SQLite on the submission path (moved here from the test suite's PostgresBenchmark):
// a fresh store of TOWNS towns, each town's 3 years to 2026-11-29 (1,096 days × 2 sensors) in 28-day submissions
// committed in batches of 64, then 1-day submissions (the node's daily push) one per commit and 64
// per commit. Signed and checked before the clock starts; Ed25519 and HTTP are excluded (they cost
// the same on both backends). Every commit appends to the log and signs a checkpoint, as the
// service's writer does. The network-indicator side is `--indicators … sqlite|postgres`.
import Coordinator
import Federation
import Foundation
import Indicators

enum StoreComparison {
    static func run(towns: Int, backend: IndicatorsBenchmark.Backend) throws {
        let dayCount = 1096
        let perSubmission = 28
        let sensors = 2
        let first = try DayNumber(iso: "2026-11-29") - (dayCount - 1)  // measured days only: none in the future
        let now = Date()
        let signer = try CheckpointSigner(name: "bench.example", key: try Ed25519.PrivateKey())
        let names = (0..<towns).map { String(format: "town-%03d", $0) }
        let keys = try names.map { _ in try Ed25519.PrivateKey() }
        let records = zip(names, keys).map { name, key in
            KeyRecord(keyID: key.publicKey.keyID, publicKey: key.publicKey, tenantID: benchTenant, townID: name, enrolledAt: .distantPast)
        }
        func verified(_ t: Int, sequence: Int, first: DayNumber, count: Int) throws -> VerifiedSubmission {
            let days = (0..<count).map { d in
                let values = (0..<sensors).map { s in
                    AggregatePayload.SensorDay(sensor: Hex.encode(SHA256.hash(Array("\(names[t])/\(s)".utf8)).prefix(16)), vendorKind: "crowdscan",
                                               total: Double(1000 + t % 256 + s * 10 + (first.rawValue + d) % 97),
                                               coveredMinutes: 1440, expectedMinutes: 1440, uptimeMinutes: 1440, validHours: 24)
                }
                return AggregatePayload.Day(date: (first + d).description, flags: .init(publicHoliday: false, schoolHoliday: false, events: []),
                                            measures: [.init(measure: "pedestrians", sensors: values,
                                                             total: values.reduce(0) { $0 + ($1.total ?? 0) })])
            }
            let payload = AggregatePayload(
                tenantId: benchTenant, townId: names[t], keyId: keys[t].publicKey.keyID, submissionId: try SubmissionID.random(),
                sequence: sequence, createdAt: Timestamp.format(now),
                period: .init(from: first.description, to: (first + count - 1).description), timeZone: "Europe/Brussels",
                privacy: .standard, zones: [.init(zoneId: "centrum", zoneKind: "core_shopping_street", days: days)])
            let bytes = try payload.signedEnvelope(with: keys[t]).serialized()
            let decision = SubmissionCheck.check(bytes, policy: TenantSubmissionPolicy(tenantID: benchTenant), now: now,
                                                 keys: { $0 == records[t].keyID ? records[t] : nil }, state: { _, _ in TownSubmissionState() })
            guard case .accepted(let accepted) = decision else {
                throw CoordinatorError(.invalidArgument, "benchmark submission refused: \(decision)")
            }
            return VerifiedSubmission(scope: .administrative(benchTenant), accepted: accepted, body: bytes)
        }
        let chunks = (dayCount + perSubmission - 1) / perSubmission
        var bulk: [VerifiedSubmission] = []
        for c in 0..<chunks {
            for t in 0..<towns {
                bulk.append(try verified(t, sequence: c + 1, first: first + c * perSubmission,
                                         count: min(perSubmission, dayCount - c * perSubmission)))
            }
        }
        var single: [VerifiedSubmission] = []
        for round in 0..<4 {
            for t in 0..<towns { single.append(try verified(t, sequence: chunks + 1 + round, first: first + dayCount - 1, count: 1)) }
        }
        let sensorDays = towns * dayCount * sensors

        let store: any CoordinatorStore
        var scratch: URL?
        switch backend {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tb-store-comparison-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            scratch = directory
            store = try SQLiteCoordinatorStore(path: directory.appendingPathComponent("coordinator.sqlite").path)
        case .postgres:
            let environment = ProcessInfo.processInfo.environment
            guard let url = environment["TOWNBENCH_BENCH_POSTGRES_URL"] ?? environment["TOWNBENCH_TEST_POSTGRES_URL"] else {
                throw CoordinatorError(.invalidArgument, "Set TOWNBENCH_BENCH_POSTGRES_URL (or start deploy/postgres-test-server.sh).")
            }
            store = try PostgresCoordinatorStore(url: url, schema: "bench_commit_\(Int(now.timeIntervalSince1970))", maximumConnections: 4)
        }
        defer {
            try? store.close()
            if let scratch { try? FileManager.default.removeItem(at: scratch) }
        }
        let scope = TenantScope.administrative(benchTenant)
        try store.addTenant(Tenant(id: benchTenant, name: "Benchmark"))
        for (name, record) in zip(names, records) {
            try store.addTown(Town(id: name, name: name), scope)
            try store.enrol(record, scope)
        }
        let clock = ContinuousClock()
        var stored = 0
        let bulkTime = IndicatorsBenchmark.seconds(try clock.measure {
            var i = 0
            while i < bulk.count {
                stored += try store.commit(Array(bulk[i..<min(i + 64, bulk.count)]), at: now, signer: signer)
                    .filter { if case .stored = $0 { true } else { false } }.count
                i += 64
            }
        })
        let half = single.count / 2
        let oneByOne = IndicatorsBenchmark.seconds(try clock.measure {
            for item in single[..<half] { _ = try store.commit([item], at: now, signer: signer) }
        })
        let grouped = IndicatorsBenchmark.seconds(try clock.measure {
            var i = half
            while i < single.count {
                _ = try store.commit(Array(single[i..<min(i + 64, single.count)]), at: now, signer: signer)
                i += 64
            }
        })
        guard stored == bulk.count, try store.submissionCount(scope) == bulk.count + single.count else {
            throw CoordinatorError(.storage, "The benchmark's submissions were not all stored.")
        }
        print(String(format: "| %@ | %.0f subm/s = %.0f sensor-days/s (%.1f s) | %.0f /s | %.0f /s |", backend.rawValue,
                     Double(bulk.count) / bulkTime, Double(sensorDays) / bulkTime, bulkTime, Double(half) / oneByOne,
                     Double(single.count - half) / grouped))
    }
}
