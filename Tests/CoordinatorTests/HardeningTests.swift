// Issue 16: no participant can crash, poison or starve the network. Dates from outside are
// range-checked, implausible figures are refused at intake, and the network computation is total.
@testable import Coordinator
import Federation
import Foundation
import Indicators
import Testing
import TestSupport

/// Signs `payload` as is, without the sender-side `validate()` a node runs: what a broken or
/// hostile town could send.
func signedAsIs(_ payload: AggregatePayload, key: Ed25519.PrivateKey) throws -> [UInt8] {
    try Envelope.sign(payload: try payload.canonicalBytes(), payloadType: Envelope.aggregatePayloadType, with: key).serialized()
}

/// A valid one-day payload of `town` (two pedestrian sensors, one event, one spending cell) to bend.
func plausiblePayload(tenant: String, town: String, key: Ed25519.PrivateKey, sequence: Int = 1, date: String = "2026-11-02")
    throws -> AggregatePayload {
    let sensors = ["a", "b"].map {
        AggregatePayload.SensorDay(sensor: sensorID(town + "/" + $0), vendorKind: "crowdscan", total: 1000, coveredMinutes: 1440,
                                   expectedMinutes: 1440, uptimeMinutes: 1440, validHours: 24)
    }
    let day = AggregatePayload.Day(
        date: date, flags: .init(publicHoliday: false, schoolHoliday: false, events: [.init(eventId: "braderie-2026", kind: "event")]),
        measures: [.init(measure: "pedestrians", sensors: sensors, total: 2000)],
        spending: [.init(sector: "retail", transactions: 500, buyers: 400, valueCents: 1_250_000)])
    return AggregatePayload(
        tenantId: tenant, townId: town, keyId: key.publicKey.keyID, submissionId: try SubmissionID.random(), sequence: sequence,
        createdAt: Timestamp.format(Date()), period: .init(from: date, to: date), timeZone: "Europe/Brussels", privacy: .standard,
        zones: [.init(zoneId: "centrum", zoneKind: "core_shopping_street", days: [day])])
}

@Suite("hardening: dates, plausible values, a total computation")
struct HardeningTests {
    static let binary = Repository.executable("townbench-coordinator")

    @Test("the supported days are 2000-01-01 … 2099-12-31; DayNumber(supported:) refuses the days around them")
    func supportedDays() throws {
        #expect(DayNumber.supportedRange.lowerBound.description == "2000-01-01")
        #expect(DayNumber.supportedRange.upperBound.description == "2099-12-31")
        #expect(try DayNumber(supported: "2000-01-01") == DayNumber.supportedRange.lowerBound)
        #expect(try DayNumber(supported: "2099-12-31") == DayNumber.supportedRange.upperBound)
        for outside in ["1999-12-31", "2100-01-01", "0000-01-01", "0001-01-01", "9999-12-31"] {
            #expect(throws: IndicatorsError.self) { try DayNumber(supported: outside) }
            #expect(throws: FederationError.self) { try DayPeriod(from: outside, to: "2026-01-01") }
        }
    }

    @Test("a town token asking its own page or the API for years 1–4 gets 400, the process lives on; report render exits 64")
    func outOfRangeDatesAreRefusedNotTrapped() throws {
        try withTemporaryDirectory { dir in
            let (_, _) = try ProcessTests.setUp(dir, towns: ["oostkamp"])
            let path = dir.appendingPathComponent("coord").path
            let issued = try runProcess(Self.binary, ["token", "issue", "--dir", path, "--role", "town", "--tenant", ProcessTests.tenant,
                                                      "--town", "oostkamp", "--expires", "1h", "--json"])
            #expect(issued.status == 0, "\(issued.stderr)")
            let token = try #require((try JSONSerialization.jsonObject(with: Data(issued.stdout.utf8)) as? [String: String])?["token"])
            let (server, port, _) = try ProcessTests.serve(dir)
            defer {
                server.terminate()
                server.waitUntilExit()
            }
            let tenant = ProcessTests.tenant
            for query in ["from=0001-01-01&to=0002-12-31", "from=0004-01-01&to=0004-12-31", "period=0001-01", "period=2100-01",
                          "from=1999-12-31&to=2000-01-02", "from=2000-01-01&to=2003-01-02", "from=2026-01-01&to=2025-01-01"] {
                let page = try http(port, "GET", "/tenants/\(tenant)/towns/oostkamp?\(query)", token: token)
                #expect(page.status == 400, "page \(query): \(page.status)")
                let api = try http(port, "GET", "/v1/tenants/\(tenant)/indicators?\(query)", token: token)
                #expect(api.status == 400, "indicators \(query): \(api.status) \(api.bodyText)")
                #expect(try http(port, "GET", "/v1/tenants/\(tenant)/report?\(query)", token: token).status == 400)
            }
            let message = try http(port, "GET", "/v1/tenants/\(tenant)/indicators?from=0001-01-01&to=0002-12-31", token: token)
            #expect(message.bodyText.contains("2000-01-01 … 2099-12-31"), "\(message.bodyText)")
            // The first supported years: the previous period and the look-back reach before 2000, and that is fine.
            #expect(try http(port, "GET", "/tenants/\(tenant)/towns/oostkamp?from=2000-01-01&to=2002-12-31", token: token).status == 200)
            #expect(try http(port, "GET", "/v1/tenants/\(tenant)/report?period=2000-01", token: token).status == 200)
            #expect(server.isRunning)
            #expect(try http(port, "GET", "/healthz").status == 200)

            let render = try runProcess(Self.binary, ["report", "render", "--dir", path, "--tenant", tenant, "--from", "0001-01-01",
                                                      "--to", "0002-12-31", "--out", dir.appendingPathComponent("out").path])
            #expect(render.status == 64, "\(render.stderr)")
            #expect(render.stderr.contains("'0001-01-01' is not a supported day: write YYYY-MM-DD in the range 2000-01-01 … 2099-12-31"), "\(render.stderr)")
        }
    }

    @Test("implausible or unsafe fields are refused at intake with 422 and a reason; the tenant's figures stay servable",
          arguments: StoreBackend.available)
    func implausibleSubmissionsAreRefused(_ backend: StoreBackend) throws {
        let fixture = try BackendFixture(backend)
        let tenant = Fixture.tenantA
        let key = try #require(fixture.keys["\(tenant)/oostkamp"])
        let tokens = try fixture.token("\(tenant)/coordinator")
        var sequence = 0
        func submit(_ change: (inout AggregatePayload) -> Void) throws -> RawResponse {
            sequence += 1
            var payload = try plausiblePayload(tenant: tenant, town: "oostkamp", key: key, sequence: sequence)
            change(&payload)
            return try fixture.submit(tenant, try signedAsIs(payload, key: key))
        }
        func sensors(_ payload: inout AggregatePayload, _ body: (inout AggregatePayload.SensorDay) -> Void) {
            for s in payload.zones[0].days[0].measures[0].sensors.indices { body(&payload.zones[0].days[0].measures[0].sensors[s]) }
        }
        let cases: [(String, (inout AggregatePayload) -> Void, String)] = [
            ("sensor totals of 1e308", { p in
                sensors(&p) { $0.total = 1e308 }
                p.zones[0].days[0].measures[0].total = 1e308
            }, "above the plausible maximum"),
            ("a sensor total of 10,000,001", { p in sensors(&p) { $0.total = 10_000_001 } }, "above the plausible maximum"),
            ("an hourly value of 1e300", { p in
                p.zones[0].days[0].measures[0].hourly = [1e300] + Array(repeating: 0, count: 23)
            }, "hour 0"),
            ("a conversion of 1e308", { p in
                p.zones[0].days[0].conversions = [.init(door: sensorID("d"), street: sensorID("s"), entries: 1e308, passersBy: 1)]
            }, "conversion"),
            ("9e15 spending cents", { p in p.zones[0].days[0].spending[0].valueCents = 9_000_000_000_000_000 }, "valueCents"),
            ("more buyers than transactions", { p in p.zones[0].days[0].spending[0].buyers = 501 }, "buyers"),
            ("a period in 2099", { p in
                p.period = .init(from: "2099-06-01", to: "2099-06-01")
                p.zones[0].days[0].date = "2099-06-01"
            }, "has not begun"),
            ("a period in 1900", { p in
                p.period = .init(from: "1900-06-01", to: "1900-06-01")
                p.zones[0].days[0].date = "1900-06-01"
            }, "outside the supported days"),
            ("a period of 1200 days", { p in p.period = .init(from: "2023-08-21", to: "2026-12-02") }, "more than 1096 days"),
            ("a 100,000-character eventId", { p in
                p.zones[0].days[0].flags.events[0].eventId = String(repeating: "e", count: 100_000)
            }, "eventId"),
            ("markup in an event kind", { p in p.zones[0].days[0].flags.events[0].kind = "<script>alert(1)</script>" }, "event kind"),
            ("markup in a sector", { p in p.zones[0].days[0].spending[0].sector = "<b>retail</b>" }, "sector"),
            ("markup in a zoneKind", { p in p.zones[0].zoneKind = "<img src=x onerror=alert(1)>" }, "zoneKind"),
            ("markup in a timeZone", { p in p.timeZone = "Europe/<b>Brussels</b>" }, "timeZone"),
            ("markup in a vendorKind", { p in sensors(&p) { $0.vendorKind = "\"><svg onload=alert(1)>" } }, "vendorKind"),
        ]
        for (name, change, reason) in cases {
            let response = try submit(change)
            #expect(response.status == 422, "\(name): \(response.status) \(response.bodyText.prefix(300))")
            #expect(response.errorCode == "malformed_payload", "\(name)")
            #expect(response.bodyText.contains(reason), "\(name): \(response.bodyText.prefix(300))")
            #expect(response.bodyText.utf8.count < 2000, "\(name): the refusal echoes the input")
        }
        // A plausible one is accepted, and the tenant's figures are served.
        #expect(try submit { _ in }.status == 202)
        for path in ["/v1/tenants/\(tenant)/indicators?period=2026-11", "/v1/tenants/\(tenant)/towns/oostkamp/comparison?period=2026-11",
                     "/v1/tenants/\(tenant)/report?period=2026-11"] {
            let response = try http(fixture.port, "GET", path, token: tokens)
            #expect(response.status == 200, "\(path): \(response.status) \(response.bodyText.prefix(200))")
        }
    }

    @Test("one town's extreme figures (stored before the bounds, or overflowing a sum) never make another town's figures fail")
    func computationIsTotal() throws {
        let first = try DayNumber(iso: "2025-11-03"), period = try DayNumber(iso: "2026-11-02")...(try DayNumber(iso: "2026-11-08"))
        var rows: [SensorDayRow] = []
        var conversions: [ConversionDayRow] = []
        for town in ["poisoned", "veurne", "diksmuide", "menen"] {
            for offset in 0..<(period.upperBound.rawValue - first.rawValue + 1) {
                let day = first.rawValue + offset
                for sensor in ["a", "b"] {
                    rows.append(SensorDayRow(townID: town, zoneID: "centrum", zoneKind: "core", day: day, measure: "pedestrians",
                                             sensor: sensorID(town + sensor), vendorKind: "crowdscan",
                                             total: town == "poisoned" ? 1e308 : 1000 + Double(offset % 7),
                                             coveredMinutes: 1440, expectedMinutes: 1440, uptimeMinutes: 1440, validHours: 24))
                }
                if period.contains(DayNumber(day)) {
                    // Finite conversion sums whose pooled sum across towns overflows.
                    conversions.append(ConversionDayRow(townID: town, zoneID: "centrum", zoneKind: "core", day: day, door: sensorID(town + "d"),
                                                        street: sensorID(town + "s"), entries: town == "poisoned" ? 1.7e308 : 100,
                                                        passersBy: town == "poisoned" ? 1.7e308 : 1000))
                }
            }
        }
        let figures = try NetworkIndicators.compute(tenantID: "t", towns: [], sensorDays: rows, zoneDays: [], conversions: conversions,
                                                    period: DayPeriod(period))
        // Encodable (no infinity anywhere), the way every route and the signed report encode it.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        _ = try encoder.encode(figures)
        _ = try CanonicalJSON.encode(figures)
        let poisoned = try #require(figures.towns.first { $0.town == "poisoned" })
        #expect(poisoned.footfallIndex == nil)
        for town in ["veurne", "diksmuide", "menen"] {
            let own = try #require(figures.towns.first { $0.town == town })
            #expect(own.footfallIndex != nil, "\(town) lost its index")
            #expect(own.conversion?.first?.value == 0.1)
        }
        #expect(figures.footfall.medianIndex != nil)
    }
}
