// Issue 17 on each store (the PostgreSQL packed series of migration 9 as much as SQLite's): a
// generated network committed straight through `store.commit` gives the same panels and figures
// from the packed series as from the rows.
@testable import Coordinator
import Federation
import Foundation
import Indicators
import PostgreSQL
import Testing
import TestSupport

@Suite("Packed series on a generated network: rows and packed agree, each store")
struct PackedSeriesGeneratedTests {
    static let tenant = NetworkSeriesTests.tenant

    /// Deterministic noise in 0..<m for case `n` (the same network every run; change the mixing
    /// constant to try another).
    static func noise(_ n: Int, _ m: Int) -> Int {
        var z = UInt64(truncatingIfNeeded: n) &* 0x9E37_79B9_7F4A_7C15 &+ 0x2545_F491_4F6C_DD1D
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(m))
    }

    static let vendors = ["crowdscan", "telraam", "counter", "citymesh"]

    /// One submission of `town` over `days` (consecutive day numbers); case `n` decides which zones
    /// and sensors report, suppressed totals, coverage (valid or not), sensor 4's vendor kind (it
    /// changes between submissions), cells without sensors, events, holidays.
    static func payload(_ tenant: String, town: String, key: Ed25519.PrivateKey, sequence: Int, days: ClosedRange<Int>, n: Int) throws
        -> [UInt8] {
        var zones: [String: [AggregatePayload.Day]] = [:]
        for day in days {
            let c = n * 10_000 + day * 131
            for zone in ["centrum", "station"] where zone == "centrum" || noise(c + 1, 3) == 0 {
                let z = zone == "centrum" ? 0 : 500
                var sensors: [AggregatePayload.SensorDay] = []
                for s in 0..<5 where noise(c + z + 10 + s, 5) != 0 {
                    let suppressed = noise(c + z + 20 + s, 7) == 0
                    let covered = noise(c + z + 30 + s, 4) == 0 ? noise(c + z + 40 + s, 1441) : 1440
                    let vendor = s == 4 && noise(n, 2) == 0 ? "telraam" : vendors[s % vendors.count]
                    sensors.append(.init(sensor: sensorID("\(town)/\(zone)/\(s)"), vendorKind: vendor,
                                         total: suppressed ? nil : Double(200 + noise(c + z + 60 + s, 3000)), suppressed: suppressed,
                                         coveredMinutes: covered, expectedMinutes: 1440,
                                         uptimeMinutes: covered - noise(c + z + 70 + s, min(covered, 120) + 1), validHours: covered / 60))
                }
                if noise(c + z + 80, 20) == 0 { sensors = [] }  // a cell whose sensors all went (a correction empties it)
                let events: [AggregatePayload.Event] = noise(c + z + 90, 9) == 0 ? [.init(eventId: "e\(noise(c + 91, 3))", kind: "event")] : []
                zones[zone, default: []].append(.init(
                    date: CalendarDay.string(fromDayNumber: day),
                    flags: .init(publicHoliday: noise(c + z + 92, 30) == 0, schoolHoliday: noise(c + z + 93, 6) == 0, events: events),
                    measures: [.init(measure: NetworkIndicators.footfallMeasure, sensors: sensors,
                                     total: sensors.compactMap(\.total).reduce(0, +))]))
            }
        }
        let payload = AggregatePayload(
            tenantId: tenant, townId: town, keyId: key.publicKey.keyID, submissionId: try SubmissionID.random(), sequence: sequence,
            createdAt: Timestamp.format(Date()),
            period: .init(from: CalendarDay.string(fromDayNumber: days.lowerBound), to: CalendarDay.string(fromDayNumber: days.upperBound)),
            timeZone: "Europe/Brussels", privacy: .standard,
            zones: zones.keys.sorted().map { AggregatePayload.Zone(zoneId: $0, zoneKind: "core_shopping_street", days: zones[$0] ?? []) })
        return try payload.signedEnvelope(with: key).serialized()
    }

    /// Each town of tenant A: the two autumns the month and its lag read (in chunks), then windows
    /// anywhere in two years, many of them over days already sent (corrections); one town of tenant
    /// B on the same days. Committed in batches of 1–6 in an interleaved order, so a batch may
    /// hold two submissions of one cell; some submissions are sent twice (replays).
    static func build(_ fixture: BackendFixture) throws {
        let first = try #require(CalendarDay.dayNumber("2024-11-01")), last = try #require(CalendarDay.dayNumber("2026-11-30"))
        var windows: [(tenant: String, town: String, days: ClosedRange<Int>)] = []
        for town in Fixture.townsA + ["ronse"] {
            let tenant = town == "ronse" ? Fixture.tenantB : Self.tenant
            for autumn in ["2025-10-20", "2026-10-20"] {
                let start = try #require(CalendarDay.dayNumber(autumn))
                for chunk in 0..<3 { windows.append((tenant, town, (start + 14 * chunk)...(start + 14 * chunk + 13))) }
            }
        }
        for n in 0..<60 {
            let town = (Fixture.townsA + ["ronse"])[noise(n, 4)]
            let start = noise(n + 7, 3) == 0 ? try #require(CalendarDay.dayNumber("2026-10-25")) + noise(n + 8, 36)
                : first + noise(n + 9, last - first)
            windows.append((town == "ronse" ? Fixture.tenantB : Self.tenant, town, start...min(last, start + noise(n + 10, 14))))
        }
        var sequences: [String: Int] = [:]
        var pending: [VerifiedSubmission] = []
        for (n, window) in windows.enumerated() {
            sequences[window.town, default: 0] += 1
            let key = try #require(fixture.keys["\(window.tenant)/\(window.town)"])
            let body = try payload(window.tenant, town: window.town, key: key, sequence: sequences[window.town] ?? 0, days: window.days, n: n)
            let scope = TenantScope.administrative(window.tenant)
            let decision = try SubmissionCheck.check(body, policy: TenantSubmissionPolicy(tenantID: window.tenant), now: Date(),
                                                     keys: { try fixture.store.keyRecord(id: $0, scope) },
                                                     state: { _, _ in TownSubmissionState() })
            guard case .accepted(let accepted) = decision else {
                Issue.record("the generated submission \(n) was refused: \(decision)")
                return
            }
            pending.append(VerifiedSubmission(scope: scope, accepted: accepted, body: body))
        }
        var n = 0
        var stored = 0
        while !pending.isEmpty {
            let size = min(pending.count, 1 + noise(n + 3, 6))
            var batch = Array(pending.prefix(size))
            pending.removeFirst(size)
            if noise(n + 4, 4) == 0 { batch.append(batch[0]) }  // a replay in the same batch
            for outcome in try fixture.store.commit(batch, at: Date(), signer: nil) {
                switch outcome {
                case .stored: stored += 1
                case .duplicate: break
                case .refused(let refusal): Issue.record("refused: \(refusal)")
                }
            }
            n += 1
        }
        #expect(stored == windows.count)
    }

    @Test("figures and panels agree for every period: corrections across and inside batches, emptied cells, vendor kinds, coverage",
          arguments: StoreBackend.available)
    func generatedNetwork(_ backend: StoreBackend) throws {
        let fixture = try BackendFixture(backend)
        try Self.build(fixture)
        let figures = try NetworkIndicators.compute(.administrative(Self.tenant), store: fixture.store, origin: "o",
                                                    period: NetworkSeriesTests.periods[0])
        #expect(figures.footfall.towns >= 2)  // not degenerate: the month has indices
        try NetworkSeriesTests.expectAgreement(fixture.store)
        if backend == .postgres {
            let store = try PostgresSeriesCells.repack(fixture.storage)
            defer { BackendStore.close(store) }
            try NetworkSeriesTests.expectAgreement(store)
        }
    }
}

/// A PostgreSQL test store's packed cells, read behind the store.
enum PostgresSeriesCells {
    /// Every tenant's cells: "tenant measure day town zone row" → its sensors, each as its
    /// (tenant, measure, town, zone, sensor, vendor kind) and the hex of its bytes after the number,
    /// sorted: equal for equal contents whatever the sensor numbers and the order within a cell.
    static func read(_ storage: BackendStore) throws -> [String: [String]] {
        let db = try PostgresConnection(url: try PostgresTestServer.url(schema: try #require(storage.schema)))
        defer { db.close() }
        var out: [String: [String]] = [:]
        for tenant in [Fixture.tenantA, Fixture.tenantB] {
            try db.query("SELECT set_config('townbench.tenant', $1, false)", [.text(tenant)])
            var sensors: [Int64: String] = [:]
            for row in try db.query("SELECT sensor_no, measure, town_id, zone_id, sensor, vendor_kind FROM series_sensors") {
                sensors[try row.int64(0)] = try (1...5).map { try row.string($0) }.joined(separator: " ")
            }
            for row in try db.query("SELECT measure, day, town_id, zone_id, submission_row, sensors FROM series_cells") {
                let key = try "\(tenant) " + (0...4).map { try row.string($0) }.joined(separator: " ")
                let bytes = try row.bytes(5)
                #expect(bytes.count % 33 == 0, "\(key): PostgreSQL's cells are never wide")
                out[key] = try stride(from: 0, to: bytes.count, by: 33).map { at in
                    let number = bytes[at..<(at + 8)].reversed().reduce(Int64(0)) { $0 << 8 | Int64($1) }
                    return "\(try #require(sensors[number], "\(key): sensor \(number)")) \(Hex.encode(Array(bytes[(at + 8)..<min(bytes.count, at + 33)])))"
                }.sorted()
            }
        }
        return out
    }

    /// Takes the store back to before migration 9 (its tables gone, as a store of the previous
    /// release), opens it again (the migration packs the stored rows) and expects the very cells
    /// the commits had written. Returns the reopened store (close it).
    static func repack(_ storage: BackendStore) throws -> any CoordinatorStore {
        let written = try read(storage)
        #expect(!written.isEmpty)
        try storage.executeBehindTheStore("DROP TABLE series_cells; DROP TABLE series_sensors; DELETE FROM schema_migrations WHERE number = 9")
        let store = try storage.reopen()
        #expect(try read(storage) == written)
        return store
    }
}
