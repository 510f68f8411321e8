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

    static func run(cache: URL, towns: Int, weeks: Int) throws {
        let directory = cache.appendingPathComponent("towns-\(towns)-weeks-\(weeks)", isDirectory: true)
        if !FileManager.default.fileExists(atPath: directory.appendingPathComponent("complete").path) {
            try? FileManager.default.removeItem(at: directory)
            try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
            let started = Date()
            try build(directory, towns: towns, weeks: weeks)
            guard FileManager.default.createFile(atPath: directory.appendingPathComponent("complete").path, contents: Data()) else {
                fatalError("cannot mark \(directory.path) complete")  // a benchmark's own scratch directory
            }
            print(String(format: "build_%d_towns_%d_weeks_s %.1f", towns, weeks, Date().timeIntervalSince(started)))
        }
        let dir = try CoordinatorDirectory.open(directory)
        let store = try dir.openStore()
        defer { try? store.close() }  // a benchmark: its numbers are printed already
        let scope = TenantScope.administrative(benchTenant)
        let origin = try dir.checkpointSigner().origin(benchTenant)
        let month = try DayPeriod.parse(period: "2026-10", from: nil, to: nil).get()
        let year = try DayPeriod(from: "2025-11-01", to: "2026-10-31")
        for (name, period) in [("month", month), ("year", year)] {
            let clock = ContinuousClock()
            var figures: NetworkFigures?
            let elapsed = try clock.measure {
                figures = try NetworkIndicators.compute(scope, store: store, origin: origin, period: period)
            }
            // The store read alone (the rest of the time above is the computation).
            let load = NetworkIndicators.loadDays(period, lag: FootfallIndex.defaultLag)
            var rows = 0
            let read = try clock.measure {
                rows = try store.networkInputs(measure: NetworkIndicators.footfallMeasure, days: load.days,
                                               conversionDays: load.conversionDays, scope).sensorDays.count
            }
            print(String(format: "indicators_%d_towns_%@_read_s %.3f (%d sensor days)", towns, name,
                         Double(read.components.seconds) + Double(read.components.attoseconds) / 1e18, rows))
            let events = figures?.towns.reduce(0) { $0 + ($1.events?.count ?? 0) } ?? 0
            print(String(format: "indicators_%d_towns_%@_s %.3f (%d towns with an index, %d events; maxrss %.0f MiB)", towns, name,
                         Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
                         figures?.footfall.towns ?? 0, events, maxRSSMiB()))
            if name == "month" { try regionPage(store, origin: origin, period: period, towns: towns, name: name) }
        }
    }

    /// The region page (coordinator's view): its inputs (two figure sets and the weekly series) and the model.
    static func regionPage(_ store: SQLiteCoordinatorStore, origin: String, period: DayPeriod, towns: Int, name: String) throws {
        let clock = ContinuousClock()
        var rows = 0
        let elapsed = try clock.measure {
            let inputs = try ReportPages.inputs(.administrative(benchTenant), store: store, origin: origin, period: period)
            rows = ReportPages.region(inputs).towns.count
        }
        print(String(format: "region_page_%d_towns_%@_s %.3f (%d towns; maxrss %.0f MiB)", towns, name,
                     Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, rows, maxRSSMiB()))
    }

    static func maxRSSMiB() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    static func build(_ directory: URL, towns: Int, weeks: Int) throws {
        let (dir, store, keys) = try benchNetwork(at: directory, towns: towns)
        defer { try? store.close() }
        let scope = TenantScope.administrative(benchTenant)
        let policy = TenantSubmissionPolicy(tenantID: benchTenant)
        let signer = try dir.checkpointSigner()
        let created = Timestamp.format(Date())
        let monday = (CalendarDay.dayNumber(lastMonday) ?? 0) - 7 * (weeks - 1)
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
            for outcome in try store.commit(batch, at: Date(), signer: signer) {
                guard case .stored = outcome else { fatalError("the benchmark's submission was not stored: \(outcome)") }
            }
        }
    }
}
