@testable import Coordinator
import Federation
import Foundation
import HTTPServer
import Indicators
import Testing
import TestSupport

@Suite("Network indicators")
struct IndicatorTests {
    static let tenant = Fixture.tenantA
    static let period = "2026-11-02"
    static let baseline = "2025-11-03"  // 364 days earlier, same weekday

    static func submit(_ fixture: Fixture, _ town: String, sequence: Int, _ days: [DayData]) throws {
        let key = try #require(fixture.keys["\(tenant)/\(town)"])
        let response = try fixture.submit(tenant, try envelope(tenant: tenant, town: town, key: key, sequence: sequence, days: days))
        #expect(response.status == 202, "\(response.bodyText)")
    }

    static func figures(_ fixture: Fixture, _ query: String = "from=2026-11-02&to=2026-11-02") throws -> NetworkFigures {
        let response = try http(fixture.port, "GET", "/v1/tenants/\(tenant)/indicators?\(query)",
                                token: try fixture.token("\(tenant)/coordinator"))
        #expect(response.status == 200, "\(response.bodyText)")
        return try JSONDecoder().decode(NetworkFigures.self, from: Data(response.body))
    }

    @Test("town indices, median, pooled index, ranks and percentiles match hand-computed values")
    func footfall() throws {
        let fixture = try Fixture()
        // (current, baseline): oostkamp 120/100, veurne 90/100, diksmuide 150/100.
        for (town, current) in [("oostkamp", 120.0), ("veurne", 90.0), ("diksmuide", 150.0)] {
            try Self.submit(fixture, town, sequence: 1, [DayData(date: Self.baseline, sensors: [("a", 100)]),
                                                        DayData(date: Self.period, sensors: [("a", current)])])
        }
        let figures = try Self.figures(fixture)
        let byTown = Dictionary(uniqueKeysWithValues: figures.towns.map { ($0.town, $0) })
        #expect(byTown["oostkamp"]?.footfallIndex == 120)
        #expect(byTown["veurne"]?.footfallIndex == 90)
        #expect(byTown["diksmuide"]?.footfallIndex == 150)
        #expect(figures.footfall.medianIndex == 120)
        #expect(figures.footfall.pooledIndex == 120)  // 100 × 360 / 300; top two 270/360 = 75 % ≤ 85 %
        #expect(figures.footfall.pooledPublication == "publish")
        #expect(byTown["diksmuide"]?.rank == 1 && byTown["oostkamp"]?.rank == 2 && byTown["veurne"]?.rank == 3)
        #expect(byTown["diksmuide"]?.percentile == 100 && byTown["oostkamp"]?.percentile == 50 && byTown["veurne"]?.percentile == 0)
    }

    @Test("towns with equal indices share a rank; the percentile counts the towns strictly below")
    func tiedRanks() throws {
        let fixture = try Fixture()
        for (town, current) in [("oostkamp", 120.0), ("veurne", 120.0), ("diksmuide", 90.0)] {
            try Self.submit(fixture, town, sequence: 1, [DayData(date: Self.baseline, sensors: [("a", 100)]),
                                                        DayData(date: Self.period, sensors: [("a", current)])])
        }
        let byTown = Dictionary(uniqueKeysWithValues: try Self.figures(fixture).towns.map { ($0.town, $0) })
        #expect(byTown["oostkamp"]?.rank == 1 && byTown["veurne"]?.rank == 1 && byTown["diksmuide"]?.rank == 3)
        #expect(byTown["oostkamp"]?.percentile == 50 && byTown["veurne"]?.percentile == 50 && byTown["diksmuide"]?.percentile == 0)
    }

    @Test("a repeated question at the same log size is answered from the cache; a new submission is computed afresh")
    func figuresCache() throws {
        let fixture = try Fixture()
        for (town, current) in [("oostkamp", 120.0), ("veurne", 90.0), ("diksmuide", 150.0)] {
            try Self.submit(fixture, town, sequence: 1, [DayData(date: Self.baseline, sensors: [("a", 100)]),
                                                        DayData(date: Self.period, sensors: [("a", current)])])
        }
        func count(_ source: String) -> UInt64 {
            fixture.service.metrics.value(of: CoordinatorService.figuresMetric, labels: ["source": source])
        }
        let first = try Self.figures(fixture)
        let second = try Self.figures(fixture)
        #expect(first == second)
        #expect(count("computed") == 1 && count("cached") == 1)
        // Another period is another question.
        _ = try Self.figures(fixture, "from=2026-11-01&to=2026-11-02")
        #expect(count("computed") == 2)
        // A new accepted submission grows the log: the next answer is computed and shows it.
        try Self.submit(fixture, "veurne", sequence: 2, [DayData(date: Self.period, sensors: [("a", 60)])])
        let third = try Self.figures(fixture)
        #expect(count("computed") == 3 && count("cached") == 1)
        #expect(third.towns.first { $0.town == "veurne" }?.footfallIndex == 60)
        #expect((third.checkpoint?.treeSize ?? 0) > (first.checkpoint?.treeSize ?? 0))

        // Bounded: one entry more than the capacity drops the least recently used.
        let cache = FiguresCache()
        func key(_ i: Int) -> FiguresCache.Key {
            FiguresCache.Key(tenantID: Self.tenant, origin: "o", from: Self.period, to: Self.period, lag: 364, treeSize: UInt64(i))
        }
        for i in 0..<FiguresCache.capacity { cache.store(first, key(i)) }
        #expect(cache.figures(key(0)) == first)
        cache.store(first, key(FiguresCache.capacity))
        #expect(cache.figures(key(0)) != nil && cache.figures(key(1)) == nil && cache.figures(key(FiguresCache.capacity)) != nil)
    }

    @Test("with fewer than 3 towns there is no network figure and no rank")
    func minimumTowns() throws {
        let fixture = try Fixture()
        for town in ["oostkamp", "veurne"] {
            try Self.submit(fixture, town, sequence: 1, [DayData(date: Self.baseline, sensors: [("a", 100)]),
                                                        DayData(date: Self.period, sensors: [("a", 110)])])
        }
        let figures = try Self.figures(fixture)
        #expect(figures.footfall.towns == 2)
        #expect(figures.footfall.medianIndex == nil && figures.footfall.pooledIndex == nil)
        #expect(figures.footfall.pooledPublication == "too_few_contributors")
        #expect(figures.towns.allSatisfy { $0.rank == nil && $0.percentile == nil })
        #expect(figures.towns.first { $0.town == "oostkamp" }?.footfallIndex.map { abs($0 - 110) < 1e-9 } == true)
    }

    @Test("a town's index at the coordinator equals Indicators on the same daily data; corrections supersede")
    func sameAsNode() throws {
        let fixture = try Fixture()
        // Two sensors; b is new this year (no baseline: not like-for-like), a is invalid on one day.
        var days: [DayData] = []
        var counts: [String: [String: Double]] = ["a": [:], "b": [:]]
        for offset in 0..<7 {
            let base = try DayNumber(iso: "2025-11-03") + offset
            let now = base + 364
            let a0 = Double(1000 + 37 * offset), a1 = Double(1100 + 41 * offset)
            days.append(DayData(date: base.description, sensors: [("a", a0)]))
            days.append(DayData(date: now.description, sensors: [("a", offset == 3 ? nil : a1), ("b", 500)]))
            counts["a"]?[base.description] = a0
            if offset != 3 { counts["a"]?[now.description] = a1 }
            counts["b"]?[now.description] = 500
        }
        try Self.submit(fixture, "oostkamp", sequence: 1, days)
        let query = "from=2026-11-02&to=2026-11-08"
        let coordinator = try #require(try Self.figures(fixture, query).towns.first { $0.town == "oostkamp" })

        // The node's way: a DailyPanel from the same daily rows, FootfallIndex straight from Indicators.
        let first = try DayNumber(iso: "2025-11-03")
        let dayCount = 364 + 7
        var panel = try DailyPanel(firstDay: first, dayCount: dayCount, sensorCount: 2)
        for (row, sensor) in ["a", "b"].enumerated() {
            for (date, total) in counts[sensor] ?? [:] {
                try panel.set(sensor: row, day: try DayNumber(iso: date), total: total, isValid: true)
            }
        }
        let direct = try FootfallIndex.compute(panel: panel, period: try DayNumber(iso: "2026-11-02")...(try DayNumber(iso: "2026-11-08")))
        #expect(coordinator.footfallIndex == direct.value)
        #expect(coordinator.footfall == direct)
        // Hand check: 6 pairs of sensor a.
        let offsets: [Int] = [0, 1, 2, 4, 5, 6]
        var currentSum = 0.0, baselineSum = 0.0
        for o in offsets {
            currentSum += Double(1100 + 41 * o)
            baselineSum += Double(1000 + 37 * o)
        }
        let expected = 100 * currentSum / baselineSum
        #expect(abs((direct.value ?? 0) - expected) < 1e-9)
        #expect(direct.pairs == 6)

        // A correction (higher sequence) of one day supersedes that cell; both submissions are kept.
        try Self.submit(fixture, "oostkamp", sequence: 2, [DayData(date: "2026-11-05", sensors: [("a", 2000)])])
        let corrected = try #require(try Self.figures(fixture, query).towns.first { $0.town == "oostkamp" })
        #expect(corrected.footfall?.pairs == 7)
        #expect(try fixture.store.submissions(town: "oostkamp", .administrative(Self.tenant)).count == 2)
    }

    @Test("event uplift, raw and peer-adjusted against towns without an event that day")
    func eventUplift() throws {
        let fixture = try Fixture()
        try fixture.addTown("harelbeke", tenant: Self.tenant, key: try Ed25519.PrivateKey())
        let event = try DayNumber(iso: "2026-11-02")  // a Monday
        let mondays = (1...8).map { (event - 7 * $0).description }
        // Oostkamp: 100 on 8 earlier Mondays, 150 with the event. Peers: 100 before, 110/120/100 that day.
        try Self.submit(fixture, "oostkamp", sequence: 1, mondays.map { DayData(date: $0, sensors: [("a", 100)]) }
            + [DayData(date: event.description, sensors: [("a", 150)], events: [.init(eventId: "kermis", kind: "festival")])])
        for (town, value) in [("veurne", 110.0), ("diksmuide", 120.0), ("harelbeke", 100.0)] {
            try Self.submit(fixture, town, sequence: 1, mondays.map { DayData(date: $0, sensors: [("a", 100)]) }
                + [DayData(date: event.description, sensors: [("a", value)])])
        }
        let figures = try Self.figures(fixture)
        let uplift = try #require(figures.towns.first { $0.town == "oostkamp" }?.events?.first)
        #expect(uplift.eventId == "kermis")
        #expect(abs((uplift.uplift ?? 0) - 0.5) < 1e-12)
        #expect(uplift.peers == 3)
        #expect(abs((uplift.peerAdjusted ?? 0) - (1.5 / 1.1 - 1)) < 1e-12)
    }

    @Test("the report is a DSSE envelope signed by the coordinator key that GET /v1/coordinator-key publishes")
    func signedReport() throws {
        let fixture = try Fixture()
        let keyDocument = try http(fixture.port, "GET", "/v1/coordinator-key").json as? [String: String]
        let hex = try #require(keyDocument?["publicKey"])
        let raw = try #require(Hex.decode(hex))
        let key = try Ed25519.PublicKey(rawRepresentation: raw)
        let response = try http(fixture.port, "GET", "/v1/tenants/\(Self.tenant)/report?period=2026-11",
                                token: try fixture.token("\(Self.tenant)/town:veurne"))
        #expect(response.status == 200)
        let verified = Envelope.verify(response.body, expectedType: NetworkReport.payloadType) { id in
            id == key.keyID ? key : nil
        }
        let envelope = try verified.get().envelope
        let report = try JSONDecoder().decode(NetworkReport.self, from: Data(envelope.payload))
        #expect(report.tenantId == Self.tenant)
        #expect(report.period == DayPeriod(try DayNumber(iso: "2026-11-01")...(try DayNumber(iso: "2026-11-30"))))
        #expect(report.audience == ["role": "town", "town": "veurne", "peers": "anonymised"])
        // Tampering with one byte of the payload breaks the signature.
        var tampered = envelope
        tampered.payload[10] ^= 1
        #expect(!tampered.isValidSignature(try #require(tampered.signatures.first), by: key))
    }
}
