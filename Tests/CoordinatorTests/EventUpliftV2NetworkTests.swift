// event-uplift v2 at the coordinator (issue 18): each event's own whole-day uplift and its
// peer-adjusted form with their calibrated intervals, the history read, the town's holidays, and
// reports published as v1 recomputing unchanged.
@testable import Coordinator
import Federation
import Foundation
import Indicators
import Testing
import TestSupport

@Suite("event-uplift v2 at the coordinator")
struct EventUpliftV2NetworkTests {
    /// 2026-10-05 … 2026-10-11; the event on Wednesday 2026-10-07.
    static let period = DayPeriod(DayNumber(20_731)...DayNumber(20_737))
    static let eventDay = DayNumber(20_733)

    @Test("the test network's days are the ones named")
    func days() throws {
        #expect(Self.period.from == "2026-10-05" && Self.period.to == "2026-10-11")
        #expect(Self.eventDay.description == "2026-10-07" && Self.eventDay.isoWeekday == 3)
    }

    /// `towns` towns, one zone of two sensors each, daily over v2's whole history: level × weekday ×
    /// a "weather" factor every town shares (± 10 %) × the sensor's own ± 4 %. On the event day it
    /// rains everywhere (× `shock`) and the first town holds an event (× `effect`).
    static func network(towns: Int, effect: Double = 1.5, shock: Double = 0.8)
        -> (sensorDays: [SensorDayRow], zoneDays: [ZoneDayRow]) {
        let first = DayNumber(NetworkEventsV2.loadDays(period).lowerBound)
        let last = period.range.upperBound
        let weekday = [1.0, 0.95, 1.0, 1.05, 1.2, 1.6, 0.5]
        var weatherNoise = SplitMixNoise(seed: 5)
        let weather = (0...first.distance(to: last)).map { _ in 0.9 + 0.2 * weatherNoise.next() }
        var rows: [SensorDayRow] = []
        for t in 0..<towns {
            for (s, level) in [800.0, 400.0].enumerated() {
                var noise = SplitMixNoise(seed: UInt64(100 * t + s))
                for (i, day) in (first...last).enumerated() {
                    var total = level * Double(t + 1) * weekday[day.isoWeekday - 1] * weather[i] * (0.98 + 0.04 * noise.next())
                    if day == eventDay { total *= shock * (t == 0 ? effect : 1) }
                    rows.append(SensorDayRow(townID: "t\(t)", zoneID: "centrum", zoneKind: "core", day: day.rawValue, measure: "pedestrians",
                                             sensor: sensorID("t\(t)/\(s)"), vendorKind: "crowdscan", total: total.rounded(),
                                             coveredMinutes: 1440, expectedMinutes: 1440, uptimeMinutes: 1440, validHours: 24))
                }
            }
        }
        let event = ZoneDayRow(townID: "t0", zoneID: "centrum", zoneKind: "core", day: eventDay.rawValue, publicHoliday: false,
                               schoolHoliday: false, events: [AggregatePayload.Event(eventId: "braderie", kind: "event")])
        return (rows, [event])
    }

    static func event(_ figures: NetworkFigures, town: String = "t0") throws -> NetworkFigures.Event {
        try #require(figures.towns.first { $0.town == town }?.events?.first)
    }

    @Test("an event on a day of rain everywhere: the peer-adjusted uplift recovers the effect, the town's own is biased")
    func sharedShock() throws {
        let (rows, zoneDays) = Self.network(towns: 5)
        let figures = try NetworkIndicators.compute(tenantID: "t", towns: [], sensorDays: rows, zoneDays: zoneDays, conversions: [],
                                                    period: Self.period)
        #expect(figures.indicators[EventUplift.id] == EventUpliftV2.version)
        let event = try Self.event(figures)
        let v2 = try #require(event.v2)
        #expect(v2.level == 0.9 && v2.peers == 4)
        // × 1.5 × 0.8: the own ratio says ≈ +20 %; the peers (× 0.8) take the rain out: ≈ +50 %.
        let own = try #require(v2.uplift), adjusted = try #require(v2.peerAdjusted)
        #expect(abs(own - 0.2) < 0.06, "own \(own)")
        #expect(abs(adjusted - 0.5) < 0.04, "peer-adjusted \(adjusted)")
        let low = try #require(v2.peerAdjustedLow), high = try #require(v2.peerAdjustedHigh)
        #expect(low < 0.5 && 0.5 < high)
        #expect((v2.high ?? 1) < 0.5, "the own interval misses the true effect")
        // The shared weather cancels: a narrower interval, a smaller detectable uplift.
        #expect(high - low < ((v2.high ?? 0) - (v2.low ?? 0)) / 2)
        #expect((v2.peerMinimumDetectableUplift ?? 1) < (v2.minimumDetectableUplift ?? 0))
        #expect(v2.calibrationDays > 200 && v2.peerCalibrationDays > 200)
        #expect(v2.reason == nil && v2.peerReason == nil)
        // v1 stays as it was.
        #expect(event.uplift != nil && event.peerAdjusted != nil && event.peers == 4)
    }

    @Test("the packed series path and the log replay path give the same v2 figures as the rows")
    func pathsAgree() throws {
        let (rows, zoneDays) = Self.network(towns: 4)
        let byRows = try NetworkIndicators.compute(tenantID: "t", towns: [], sensorDays: rows, zoneDays: zoneDays, conversions: [],
                                                   period: Self.period)
        let head = LogHead.empty
        let load = NetworkIndicators.loadDays(Self.period, lag: FootfallIndex.defaultLag)
        let history = NetworkEventsV2.loadDays(Self.period)
        func inputs(_ days: ClosedRange<Int>) -> NetworkInputs {
            NetworkInputs(head: head, sensorDays: rows.filter { days.contains($0.day) }, zoneDays: zoneDays.filter { days.contains($0.day) },
                          conversions: [])
        }
        func range(_ days: ClosedRange<Int>) -> ClosedRange<DayNumber> { DayNumber(days.lowerBound)...DayNumber(days.upperBound) }
        let series = try NetworkIndicators.compute(
            tenantID: "t", series: try NetworkSeries(inputs(load.days), days: range(load.days)), origin: "o", period: Self.period,
            history: try NetworkSeries(inputs(history), days: range(history)))
        let replay = try NetworkIndicators.compute(tenantID: "t", inputs: inputs(history), origin: "o", period: Self.period)
        #expect(try Self.event(byRows).v2?.peerAdjusted != nil)
        #expect(series.towns == byRows.towns && series.indicators == byRows.indicators)
        #expect(replay.towns == byRows.towns)
    }

    @Test("a town with fewer than 3 peers gets its own figures and a reason for the peer-adjusted ones")
    func tooFewPeers() throws {
        let (rows, zoneDays) = Self.network(towns: 3)
        let figures = try NetworkIndicators.compute(tenantID: "t", towns: [], sensorDays: rows, zoneDays: zoneDays, conversions: [],
                                                    period: Self.period)
        let v2 = try #require(try Self.event(figures).v2)
        #expect(v2.peers == 2 && v2.peerAdjusted == nil && v2.peerAdjustedLow == nil)
        #expect(v2.peerReason?.contains("need 3") == true, "\(String(describing: v2.peerReason))")
        #expect(v2.uplift != nil && v2.low != nil)
    }

    @Test("an event recorded on days that are not consecutive gets no v2 window, with a reason; v1 still evaluates it")
    func daysNotConsecutive() throws {
        let (rows, generated) = Self.network(towns: 4)
        var zoneDays = generated
        zoneDays.append(ZoneDayRow(townID: "t0", zoneID: "centrum", zoneKind: "core", day: Self.eventDay.rawValue + 2, publicHoliday: false,
                                   schoolHoliday: false, events: [AggregatePayload.Event(eventId: "braderie", kind: "event")]))
        let figures = try NetworkIndicators.compute(tenantID: "t", towns: [], sensorDays: rows, zoneDays: zoneDays, conversions: [],
                                                    period: Self.period)
        let event = try Self.event(figures)
        #expect(event.days.count == 2 && event.uplift != nil)
        let v2 = try #require(event.v2)
        #expect(v2.uplift == nil && v2.peerAdjusted == nil)
        #expect(v2.reason?.contains("not consecutive") == true && v2.peerReason == v2.reason)
    }

    @Test("a town's own public-holiday flags replace the Belgian calendar for the years it flags any")
    func townHolidays() throws {
        let flagged = try DayNumber(iso: "2026-06-15")
        let row = ZoneDayRow(townID: "t", zoneID: "z", zoneKind: "core", day: flagged.rawValue, publicHoliday: true, schoolHoliday: false,
                             events: [])
        let holidays = NetworkEventsV2.holidays([row])
        #expect(holidays.contains(flagged))
        #expect(!holidays.contains(try DayNumber(iso: "2026-05-01")))  // 2026 is the town's own
        #expect(holidays.contains(try DayNumber(iso: "2025-05-01")))  // 2025: the Belgian calendar
        #expect(NetworkEventsV2.holidays([]).contains(try DayNumber(iso: "2026-05-01")))
    }

    @Test("no events: no history is read and the figures carry no v2 block")
    func noEvents() throws {
        let (rows, _) = Self.network(towns: 3)
        let figures = try NetworkIndicators.compute(tenantID: "t", towns: [], sensorDays: rows, zoneDays: [], conversions: [],
                                                    period: Self.period)
        #expect(figures.towns.allSatisfy { $0.events?.isEmpty ?? true })
        #expect(!NetworkEventsV2.hasEvents([], in: Self.period))
    }

    /// Nine weeks of two sensors per town of tenant A, oostkamp's braderie on Wednesday 2026-11-04.
    static func storeNetwork(_ backend: StoreBackend) throws -> BackendFixture {
        let fixture = try BackendFixture(backend)
        let tenant = Fixture.tenantA
        let first = try DayNumber(iso: "2026-09-07")
        for (t, town) in Fixture.townsA.enumerated() {
            let key = try #require(fixture.keys["\(tenant)/\(town)"])
            for week in 0..<9 {
                let days = (0..<7).map { d -> DayData in
                    let day = first + (7 * week + d)
                    let busy = day.description == "2026-11-04" && town == "oostkamp" ? 1.5 : 1
                    return DayData(date: day.description, sensors: [("a", (busy * Double(1000 + 100 * t + 13 * (d + week) % 50)).rounded()),
                                                                   ("b", Double(500 + 7 * ((d * 3 + week) % 11)))],
                                   events: busy > 1 ? [AggregatePayload.Event(eventId: "braderie", kind: "event")] : [])
                }
                let response = try fixture.submit(tenant, try envelope(tenant: tenant, town: town, key: key, sequence: week + 1, days: days))
                #expect(response.status == 202, "\(response.bodyText)")
            }
        }
        return fixture
    }

    @Test("a report names v2 and recomputes; a report published as v1 recomputes as v1", arguments: StoreBackend.available)
    func reportsRecompute(_ backend: StoreBackend) throws {
        let fixture = try Self.storeNetwork(backend)
        let tenant = Fixture.tenantA
        let scope = TenantScope.administrative(tenant)
        let period = try DayPeriod(from: "2026-11-02", to: "2026-11-08")
        let figures = try NetworkIndicators.compute(scope, store: fixture.store, origin: fixture.service.checkpointSigner.origin(tenant),
                                                    period: period)
        #expect(figures.indicators[EventUplift.id] == EventUpliftV2.version)
        let v2 = try #require(try Self.event(figures, town: "oostkamp").v2)
        // Nine weeks: a value, calibrated on the few weekdays with 4 weeks of baseline; two peers.
        #expect(v2.uplift != nil && v2.calibrationDays < 30, "\(v2)")
        #expect(v2.peers == 2 && v2.peerReason != nil)
        // Published over HTTP (v2), and a report kept from before v2 (v1: no v2 block).
        let response = try http(fixture.port, "GET", "/v1/tenants/\(tenant)/report?from=2026-11-02&to=2026-11-08",
                                token: try fixture.token("\(tenant)/coordinator"))
        #expect(response.status == 200, "\(response.bodyText)")
        let head = try fixture.store.logHead(scope)
        let viewer = Principal(role: .town, tenantID: tenant, townID: "veurne", tokenID: "old")
        let naming = try #require(try fixture.store.tenant(scope)).peerNaming
        let audience = NetworkReport.audience(for: viewer, naming: naming)
        let v1 = NetworkEventsV2.removed(from: figures)
        #expect(v1.indicators[EventUplift.id] == EventUplift.version)
        let old = try NetworkReport.signed(figures: NetworkIndicators.view(v1, for: viewer, naming: naming), audience: audience,
                                           generatedAt: "2026-11-09T08:00:00Z", signingKey: fixture.service.signingKey)
        _ = try fixture.store.publish(PublishedReport(key: PublishedReportKey(treeSize: head.size, period: period, lag: FootfallIndex.defaultLag,
                                                                              audience: NetworkReport.audienceKey(audience)),
                                                      envelope: old), scope)
        let verdicts = try ReportRecompute.run(scope, treeSize: head.size, store: fixture.store, signer: fixture.service.checkpointSigner,
                                               signingKey: fixture.service.signingKey).verdicts
        #expect(verdicts.count == 2 && verdicts.allSatisfy(\.matches), "\(verdicts)")
    }
}
