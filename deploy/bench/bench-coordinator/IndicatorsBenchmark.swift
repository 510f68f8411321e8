// Network indicators at scale (issue 17): a tenant of N towns × W weeks of weekly signed
// submissions (one zone, 15 sensors, daily figures, an event every four weeks per town), committed
// through the store's real commit path, then `NetworkIndicators.compute` for a month and a year.
// The built store is kept in CACHE/towns-N-weeks-W (building is the slow part on 2 cores).
import Coordinator
import Federation
import Foundation
import Indicators

enum IndicatorsBenchmark {
    static let sensorsPerTown = 15
    /// The last week ends on Sunday 2026-11-29 (no future periods): 156 weeks start on 2023-12-04.
    static let lastMonday = "2026-11-23"

    enum Backend: String { case sqlite, postgres }

    /// Builds (once, cached) and measures one backend's network in this process, so the peak
    /// memory printed is this backend's. PostgreSQL: `TOWNBENCH_BENCH_POSTGRES_URL` (or the test
    /// server's `TOWNBENCH_TEST_POSTGRES_URL`); the built schema's name is kept in CACHE.
    static func run(cache: URL, towns: Int, weeks: Int, backend: Backend) throws {
        let name = "towns-\(towns)-weeks-\(weeks)"
        let directory = cache.appendingPathComponent(name, isDirectory: true)
        // The SQLite directory also holds the checkpoint key both backends sign with.
        if !FileManager.default.fileExists(atPath: directory.appendingPathComponent("complete").path) {
            try? FileManager.default.removeItem(at: directory)
            try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
            let (dir, store, keys) = try benchNetwork(at: directory, towns: towns)
            try build(store, signer: try dir.checkpointSigner(), keys: keys, towns: towns, weeks: weeks, label: "sqlite")
            try store.close()
            try markComplete(directory.appendingPathComponent("complete"), "")
        }
        let dir = try CoordinatorDirectory.open(directory)
        let origin = try dir.checkpointSigner().origin(benchTenant)
        let store: any CoordinatorStore
        switch backend {
        case .sqlite:
            store = try dir.openStore()
        case .postgres:
            let environment = ProcessInfo.processInfo.environment
            guard let url = environment["TOWNBENCH_BENCH_POSTGRES_URL"] ?? environment["TOWNBENCH_TEST_POSTGRES_URL"] else {
                throw CoordinatorError(.invalidArgument, "Set TOWNBENCH_BENCH_POSTGRES_URL (or start deploy/postgres-test-server.sh) for the PostgreSQL side.")
            }
            let marker = cache.appendingPathComponent("postgres-\(name)")
            // A schema named by the marker but not holding the whole network (another server, or a
            // throwaway test server since stopped) is built again.
            var cached: PostgresCoordinatorStore?
            if let schema = try? String(contentsOf: marker, encoding: .utf8), !schema.isEmpty {
                let store = try PostgresCoordinatorStore(url: url, schema: schema, maximumConnections: 4)
                if try store.submissionCount(.administrative(benchTenant)) == towns * weeks { cached = store } else { store.close() }
            }
            if let cached {
                store = cached
            } else {
                // A new schema per build: an interrupted build is left behind, never reused.
                let schema = "bench_\(towns)_\(weeks)_\(Int(Date().timeIntervalSince1970))"
                let pg = try PostgresCoordinatorStore(url: url, schema: schema, maximumConnections: 4)
                let scope = TenantScope.administrative(benchTenant)
                try pg.addTenant(Tenant(id: benchTenant, name: "Benchmark network"))
                var keys: [Ed25519.PrivateKey] = []
                for t in 0..<towns {
                    let key = try Ed25519.PrivateKey()
                    try pg.addTown(Town(id: "town-\(t)", name: "Town \(t)"), scope)
                    try pg.enrol(KeyRecord(keyID: key.publicKey.keyID, publicKey: key.publicKey, tenantID: benchTenant, townID: "town-\(t)",
                                           enrolledAt: Date()), scope)
                    keys.append(key)
                }
                try build(pg, signer: try dir.checkpointSigner(), keys: keys, towns: towns, weeks: weeks, label: "postgres")
                try markComplete(marker, schema)
                store = pg
            }
        }
        defer { try? store.close() }  // a benchmark: its numbers are printed already
        try measure(store, origin: origin, towns: towns, label: backend.rawValue)
    }

    static func markComplete(_ url: URL, _ text: String) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: Data(text.utf8)) else {
            throw CoordinatorError(.directory, "Cannot mark \(url.path) complete; check the cache folder is writable.")
        }
    }

    /// This process's CPU time (all threads), seconds. Why: on a shared machine the wall clock
    /// measures the other users' load as much as this code; the CPU time does not.
    static func cpuSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    /// Wall and CPU seconds of `body`.
    static func timed(_ body: () throws -> Void) rethrows -> (wall: Double, cpu: Double) {
        let clock = ContinuousClock()
        let cpu = cpuSeconds()
        let wall = try clock.measure(body)
        return (seconds(wall), cpuSeconds() - cpu)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// Month, year (best of 3 and the first, cold, run) and the region page; with
    /// TOWNBENCH_BENCH_ROWS=1 also the previous read path (a row per sensor-day) for comparison.
    static func measure(_ store: any CoordinatorStore, origin: String, towns: Int, label: String) throws {
        let scope = TenantScope.administrative(benchTenant)
        let month = try DayPeriod.parse(period: "2026-10", from: nil, to: nil).get()
        let year = try DayPeriod(from: "2025-11-01", to: "2026-10-31")
        let clock = ContinuousClock()
        var digests: [String] = []
        for (name, period) in [("month", month), ("year", year)] {
            var times: [(wall: Double, cpu: Double)] = []
            var figures: NetworkFigures?
            for _ in 0..<3 {
                times.append(try timed { figures = try NetworkIndicators.compute(scope, store: store, origin: origin, period: period) })
            }
            let load = NetworkIndicators.loadDays(period, lag: FootfallIndex.defaultLag)
            var cells = 0
            let read = try timed {
                cells = try store.networkSeries(measure: NetworkIndicators.footfallMeasure, days: load.days,
                                                values: NetworkIndicators.valueDays(period, lag: FootfallIndex.defaultLag),
                                                conversionDays: load.conversionDays, scope).towns.values.reduce(0) {
                    $0 + $1.panel.sensorCount * $1.panel.dayCount
                }
            }
            let events = figures?.towns.reduce(0) { $0 + ($1.events?.count ?? 0) } ?? 0
            let best = times.min { $0.wall < $1.wall } ?? (0, 0)
            print(String(format: "%@ %d towns %@: first %.3f s (CPU %.3f s), best of 3 %.3f s (CPU %.3f s); read alone %.3f s (CPU %.3f s, %d sensor-days in panels); %d towns with an index, %d events; maxrss %.0f MiB",
                         label, towns, name, times[0].wall, times[0].cpu, best.wall, best.cpu, read.wall, read.cpu, cells,
                         figures?.footfall.towns ?? 0, events, maxRSSMiB()))
            if ProcessInfo.processInfo.environment["TOWNBENCH_BENCH_ROWS"] == "1" {
                var old: NetworkFigures?
                let elapsed = seconds(try clock.measure {
                    // The rows over the days a replay reads (event-uplift v2's history included).
                    let inputs = try store.networkInputs(measure: NetworkIndicators.footfallMeasure,
                                                         days: NetworkIndicators.replayDays(period, lag: FootfallIndex.defaultLag),
                                                         conversionDays: load.conversionDays, scope)
                    old = try NetworkIndicators.compute(tenantID: benchTenant, inputs: inputs, origin: origin, period: period)
                })
                print(String(format: "%@ %d towns %@ by rows (the previous path): %.3f s, same figures: %@; maxrss %.0f MiB", label, towns,
                             name, elapsed, old == figures ? "yes" : "NO", maxRSSMiB()))
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            // Without the checkpoint: each backend's network was signed with its own random keys and ids.
            if var figures {
                figures.checkpoint = nil
                if let json = try? encoder.encode(figures) { digests.append(Hex.encode(SHA256.hash(Array(json))).prefix(16).description) }
            }
            if name == "month" {
                var times: [(wall: Double, cpu: Double)] = []
                var rows = 0
                for _ in 0..<3 {
                    times.append(try timed {
                        let inputs = try ReportPages.inputs(scope, store: store, origin: origin, period: period)
                        rows = ReportPages.region(inputs).towns.count
                    })
                }
                let best = times.min { $0.wall < $1.wall } ?? (0, 0)
                print(String(format: "%@ %d towns region page (month): first %.3f s (CPU %.3f s), best of 3 %.3f s (CPU %.3f s) (%d towns); maxrss %.0f MiB",
                             label, towns, times[0].wall, times[0].cpu, best.wall, best.cpu, rows, maxRSSMiB()))
            }
        }
        // Equal on both backends (and before and after a change) when the figures are.
        print("\(label) \(towns) towns figures digest (month, year): \(digests.joined(separator: " "))")
    }

    static func maxRSSMiB() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    /// Commits every town's weekly submissions, week by week, in batches of 64 (the writer's group
    /// commit), through `SubmissionCheck.check` and `store.commit`; prints the load rate.
    static func build(_ store: any CoordinatorStore, signer: CheckpointSigner, keys: [Ed25519.PrivateKey], towns: Int, weeks: Int,
                      label: String) throws {
        let scope = TenantScope.administrative(benchTenant)
        let policy = TenantSubmissionPolicy(tenantID: benchTenant)
        let created = Timestamp.format(Date())
        let monday = (CalendarDay.dayNumber(lastMonday) ?? 0) - 7 * (weeks - 1)
        let clock = ContinuousClock()
        var committing = Duration.zero
        let started = clock.now
        for week in 0..<weeks {
            var batch: [VerifiedSubmission] = []
            for t in 0..<towns {
                let town = "town-\(t)"
                let days = (0..<7).map { d -> AggregatePayload.Day in
                    let n = monday + 7 * week + d
                    let date = CalendarDay.string(fromDayNumber: n)
                    // Deterministic, town- and weekday-shaped figures.
                    let base = Double(800 + 37 * (t % 23) + (d >= 5 ? 400 : 0) + (n * 7919 + t * 104_729) % 97)
                    let sensors = (0..<sensorsPerTown).map { s in
                        AggregatePayload.SensorDay(sensor: Hex.encode(SHA256.hash(Array("\(town)/\(s)".utf8)).prefix(16)),
                                                   vendorKind: "crowdscan", total: base + Double(11 * s),
                                                   coveredMinutes: 1440, expectedMinutes: 1440, uptimeMinutes: 1440, validHours: 24)
                    }
                    // One event per town every four weeks, on a town-dependent day.
                    let events: [AggregatePayload.Event] = (week + t) % 4 == 0 && d == t % 7
                        ? [.init(eventId: "fest-\(week)", kind: "event")] : []
                    return .init(date: date, flags: .init(publicHoliday: false, schoolHoliday: false, events: events),
                                 measures: [.init(measure: "pedestrians", sensors: sensors,
                                                  total: sensors.reduce(0) { $0 + ($1.total ?? 0) })])
                }
                let payload = AggregatePayload(
                    tenantId: benchTenant, townId: town, keyId: keys[t].publicKey.keyID, submissionId: try SubmissionID.random(),
                    sequence: week + 1, createdAt: created,
                    period: .init(from: CalendarDay.string(fromDayNumber: monday + 7 * week),
                                  to: CalendarDay.string(fromDayNumber: monday + 7 * week + 6)),
                    timeZone: "Europe/Brussels", privacy: .standard,
                    zones: [.init(zoneId: "centrum", zoneKind: "core_shopping_street", days: days)])
                let body = try payload.signedEnvelope(with: keys[t]).serialized()
                let decision = try SubmissionCheck.check(body, policy: policy, now: Date(), keys: { try store.keyRecord(id: $0, scope) },
                                                         state: { _, _ in TownSubmissionState() })
                guard case .accepted(let accepted) = decision else { fatalError("the benchmark's envelope was refused: \(decision)") }
                batch.append(VerifiedSubmission(scope: scope, accepted: accepted, body: body))
            }
            var i = 0
            while i < batch.count {
                let part = Array(batch[i..<min(i + 64, batch.count)])
                var outcomes: [CommitOutcome] = []
                committing += try clock.measure { outcomes = try store.commit(part, at: Date(), signer: signer) }
                for outcome in outcomes {
                    guard case .stored = outcome else { fatalError("the benchmark's submission was not stored: \(outcome)") }
                }
                i += 64
            }
        }
        let commitSeconds = seconds(committing)
        let submissions = Double(towns * weeks)
        print(String(format: "%@ build %d towns × %d weeks: %.1f s in all; commit %.1f s = %.0f submissions/s = %.0f sensor-days/s (batches of 64)",
                     label, towns, weeks, seconds(clock.now - started), commitSeconds, submissions / commitSeconds,
                     submissions * 7 * Double(sensorsPerTown) / commitSeconds))
    }
}
