@testable import Coordinator
import Federation
import Foundation
import Indicators
import Testing
import TestSupport

/// Each town's calibration at the coordinator (issue 18): `GET /v1/tenants/{tenant}/calibration`
/// and ``NetworkCalibration``.
@Suite("Network calibration")
struct NetworkCalibrationTests {
    /// Tenant A's three fixture towns and two more: four peers for each.
    static let extraTowns = ["tielt", "lichtervelde"]
    /// 2023-03-01 … 2025-11-30: the period below and the ``NetworkCalibration/historyDays`` before it.
    static let firstDay = DayNumber(19_417)
    static let lastDay = DayNumber(20_422)
    static let question = "zone=centrum&from=2025-06-01&to=2025-11-30"

    /// A network whose answer is known: every town's daily count is its size × a weekly pattern ×
    /// a season × ONE weather factor per day shared by all towns (uniform ± 18 %, sd ≈ 10 %) × its
    /// own sensor noise (± 2 %, sd ≈ 1.2 %). The town's own v2 errs by the weather; the
    /// peer-adjusted form divides it out, so its errors are about the noise: an interval several
    /// times narrower.
    static func network(_ backend: StoreBackend) throws -> BackendFixture {
        let fixture = try BackendFixture(backend)
        for town in extraTowns { try fixture.addTown(town, tenant: Fixture.tenantA, key: try Ed25519.PrivateKey()) }
        let weekly = [1.0, 1.05, 1.1, 1.0, 1.2, 1.6, 0.5]
        var weatherNoise = SplitMixNoise(seed: 7)
        let weather = (firstDay...lastDay).map { _ in 0.82 + 0.36 * weatherNoise.next() }
        for (t, town) in (Fixture.townsA + extraTowns).enumerated() {
            let key = try #require(fixture.keys["\(Fixture.tenantA)/\(town)"])
            var noise = SplitMixNoise(seed: UInt64(100 + t))
            var sequence = 0
            // Weekly submissions would be ~145 requests a town; 60 days each keep the test quick.
            for chunk in stride(from: firstDay.rawValue, through: lastDay.rawValue, by: 60) {
                var days: [DayData] = []
                for d in chunk...min(chunk + 59, lastDay.rawValue) {
                    let day = DayNumber(d)
                    let season = 1 + 0.2 * sin(2 * Double.pi * Double(d) / 365.25)
                    let expected = Double(1000 * (t + 1)) * weekly[day.isoWeekday - 1] * season * weather[firstDay.distance(to: day)]
                    days.append(DayData(date: day.description, sensors: [
                        ("a", (expected * (0.98 + 0.04 * noise.next())).rounded()),
                        ("b", (expected * 0.5 * (0.98 + 0.04 * noise.next())).rounded()),
                    ]))
                    days.append(DayData(date: day.description, sensors: [("c", (expected * 0.3).rounded())], zone: "markt"))
                }
                sequence += 1
                let response = try fixture.submit(Fixture.tenantA, try envelope(tenant: Fixture.tenantA, town: town, key: key,
                                                                                 sequence: sequence, days: days))
                #expect(response.status == 202, "\(response.bodyText)")
            }
        }
        return fixture
    }

    static func ask(_ query: String) throws -> NetworkCalibration.Question {
        var items: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            items[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        return try NetworkCalibration.Question(town: items["town"], zone: items["zone"], period: items["period"], from: items["from"],
                                               to: items["to"], level: items["level"], now: Date())
    }

    static func all(_ form: NetworkCalibration.Result.Form) throws -> EventUpliftV2.Placebo.Row {
        try #require(form.rows.first { $0.dayClass == nil })
    }

    /// One network per backend (building it is most of the time), asked both ways.
    @Test("the answer on a known network, and the endpoint's roles, parameters and errors", arguments: StoreBackend.available)
    func network(_ backend: StoreBackend) throws {
        let fixture = try Self.network(backend)
        try knownAnswer(fixture)
        try endpoint(fixture)
    }

    /// With a shared weather shock, the peer-adjusted interval is narrow and detects +20 %; the town's own cannot.
    func knownAnswer(_ fixture: BackendFixture) throws {
        let result = try NetworkCalibration.compute(try Self.ask("town=oostkamp&" + Self.question), store: fixture.store,
                                                    .administrative(Fixture.tenantA))
        #expect(result.peerTowns == 4)
        #expect(result.from == "2025-06-01" && result.to == "2025-11-30" && result.level == 0.9 && result.injectedUplift == 0.2)
        let own = try Self.all(result.own), peer = try Self.all(result.peerAdjusted)
        // Every day of the period but its five public holidays (9 June, 21 July, 15 August, 1 and 11
        // November) has a value in both forms (four peers every day).
        #expect(own.days == 183 - 5 && peer.days == own.days)
        // Both intervals hold their level: about 10 % of ordinary days exclude 0.
        for row in [own, peer] { #expect((0.03...0.2).contains(try #require(row.falsePositiveRate)), "\(row)") }
        // The weather is in the town's own errors, not in the peer-adjusted ones.
        let ownSpread = try #require(result.own.errorSpread.absoluteError90)
        let peerSpread = try #require(result.peerAdjusted.errorSpread.absoluteError90)
        #expect(ownSpread > 0.1 && peerSpread < 0.05, "own \(ownSpread), peer-adjusted \(peerSpread)")
        let peerDetected = try #require(peer.detectionRate), peerDetectable = try #require(peer.minimumDetectableUplift)
        let ownDetected = try #require(own.detectionRate), ownDetectable = try #require(own.minimumDetectableUplift)
        #expect(peerDetected >= 0.95 && peerDetectable < 0.08, "peer-adjusted: \(peerDetected), \(peerDetectable)")
        #expect(ownDetected < 0.8 && ownDetectable > 0.12, "own: \(ownDetected), \(ownDetectable)")
        // The markt zone is calibrated on its own sensor.
        let markt = try NetworkCalibration.compute(try Self.ask("town=oostkamp&zone=markt&from=2025-06-01&to=2025-11-30"),
                                                   store: fixture.store, .administrative(Fixture.tenantA))
        #expect(try Self.all(markt.own).days == own.days)
    }

    /// The endpoint: regional roles read any town, a town only its own (403), bad parameters 400, unknown town or zone 404.
    func endpoint(_ fixture: BackendFixture) throws {
        let path = "/v1/tenants/\(Fixture.tenantA)/calibration?"
        let coordinator = try fixture.token("\(Fixture.tenantA)/coordinator")
        let oostkamp = try fixture.token("\(Fixture.tenantA)/town:oostkamp")

        let answer = try http(fixture.port, "GET", path + "town=veurne&" + Self.question, token: coordinator)
        #expect(answer.status == 200, "\(answer.bodyText)")
        let decoded = try JSONDecoder().decode(NetworkCalibration.Result.self, from: Data(answer.body))
        let direct = try NetworkCalibration.compute(try Self.ask("town=veurne&" + Self.question), store: fixture.store,
                                                    .administrative(Fixture.tenantA))
        #expect(decoded.own.rows == direct.own.rows && decoded.peerAdjusted.rows == direct.peerAdjusted.rows)
        #expect(decoded.town == "veurne" && decoded.peerTowns == 4)
        #expect(try http(fixture.port, "GET", path + "town=veurne&" + Self.question, token: fixture.token("\(Fixture.tenantA)/admin")).status == 200)

        // A town: its own (named or by default), never another's, whether that one exists or not.
        #expect(try http(fixture.port, "GET", path + Self.question, token: oostkamp).status == 200)
        #expect(try http(fixture.port, "GET", path + "town=oostkamp&" + Self.question, token: oostkamp).status == 200)
        for other in ["veurne", "no-such-town"] {
            let refused = try http(fixture.port, "GET", path + "town=\(other)&" + Self.question, token: oostkamp)
            #expect(refused.status == 403 && refused.errorCode == "forbidden", "\(other): \(refused.bodyText)")
        }
        // An auditor reads reports and the log, not figures; another tenant's coordinator learns nothing.
        #expect(try http(fixture.port, "GET", path + "town=veurne&" + Self.question, token: fixture.token("\(Fixture.tenantA)/auditor")).status == 403)
        #expect(try http(fixture.port, "GET", path + "town=veurne&" + Self.question, token: fixture.token("\(Fixture.tenantB)/coordinator")).status == 404)

        let bad = [
            "zone=centrum&from=2025-06-01&to=2025-11-30",  // no town (a regional token must name one)
            "town=veurne&from=2025-06-01&to=2025-11-30",  // no zone
            "town=veurne&zone=centrum&from=2025-06-01",  // from without to
            "town=veurne&zone=centrum&from=2025-11-30&to=2025-06-01",  // from after to
            "town=veurne&zone=centrum&from=2020-01-01&to=2025-11-30",  // more than 3 years
            "town=veurne&zone=centrum&from=2025-06-31&to=2025-11-30",  // not a day
            "town=veurne&" + Self.question + "&level=0.999",
            "town=veurne&" + Self.question + "&level=ninety",
        ]
        for query in bad {
            let response = try http(fixture.port, "GET", path + query, token: coordinator)
            #expect(response.status == 400 && response.errorCode == "invalid_argument", "\(query): \(response.status) \(response.bodyText)")
        }
        for query in ["town=no-such-town&" + Self.question, "town=veurne&zone=station&from=2025-06-01&to=2025-11-30"] {
            let response = try http(fixture.port, "GET", path + query, token: coordinator)
            #expect(response.status == 404 && response.errorCode == "not_found", "\(query): \(response.status) \(response.bodyText)")
        }
    }

    @Test("without a period: the last 12 complete months before today; a level outside 0.5–0.99 is refused")
    func defaultPeriod() throws {
        let now = try #require(Timestamp.parse("2026-12-02T06:45:00Z"))
        let question = try NetworkCalibration.Question(town: "t", zone: "z", period: nil, from: nil, to: nil, level: nil, now: now)
        #expect(question.period.from == "2025-12-01" && question.period.to == "2026-11-30" && question.level == 0.9)
        let january = try #require(Timestamp.parse("2027-01-01T00:00:00Z"))
        let previous = try NetworkCalibration.Question(town: "t", zone: "z", period: nil, from: nil, to: nil, level: "0.8", now: january)
        #expect(previous.period.from == "2026-01-01" && previous.period.to == "2026-12-31" && previous.level == 0.8)
        // A question asked in its own terms (a report page) is checked the same way.
        #expect(throws: CoordinatorError.self) { try NetworkCalibration.Question(town: "t", zone: "z", period: question.period, level: 1.5) }
    }
}
