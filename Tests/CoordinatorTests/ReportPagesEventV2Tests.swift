// The mapping of event-uplift v2 (issue 18) from NetworkFigures to the pages' model, by hand-built
// figures: every v2 field lands in EventUpliftRow.v2, v1's stay, and the methodology names the version used.
@testable import Coordinator
import Federation
import Foundation
import Indicators
import Reports
import Testing

@Suite("Report pages: event-uplift v2")
struct ReportPagesEventV2Tests {
    static func figures(eventUpliftVersion: Int) throws -> NetworkFigures {
        let v2 = NetworkFigures.EventV2(
            level: 0.9, uplift: 0.25, low: 0.08, high: 0.42, calibrationDays: 230, minimumDetectableUplift: 0.19,
            peerAdjusted: 0.18, peerAdjustedLow: 0.06, peerAdjustedHigh: 0.30, peers: 4, peerCalibrationDays: 212,
            peerMinimumDetectableUplift: 0.12, peerReason: nil)
        let tooLittle = NetworkFigures.EventV2(
            level: 0.9, uplift: 0.09, calibrationDays: 12, reason: "fewer than 20 calibration days (12)", peers: 1,
            peerReason: "fewer than 3 peers without an event, campaign or works")
        let events = [
            NetworkFigures.Event(eventId: "braderie", kind: "event", zoneId: "centrum", days: ["2026-11-21"], uplift: 0.3, low: 0.1,
                                 high: 0.5, ratio: 1.3, peerAdjusted: 0.2, peers: 4, v2: eventUpliftVersion == 2 ? v2 : nil),
            NetworkFigures.Event(eventId: "kerstmarkt", kind: "event", zoneId: "markt", days: ["2026-11-20"], uplift: 0.1, low: -0.1,
                                 high: 0.2, ratio: 1.1, peers: 1, v2: eventUpliftVersion == 2 ? tooLittle : nil),
        ]
        return NetworkFigures(
            tenantId: "daks", period: try DayPeriod(from: "2026-11-16", to: "2026-11-22"),
            indicators: [FootfallIndex.id: FootfallIndex.version, EventUplift.id: eventUpliftVersion], minimumTowns: 3,
            footfall: .init(towns: 3, pooledPublication: "publish"),
            towns: [NetworkFigures.TownFigures(town: "veurne", events: events)], conversionByZoneKind: [])
    }

    @Test("every v2 field reaches the row; v1's figures stay beside them")
    func v2Mapping() throws {
        let rows = ReportPages.eventRows(try Self.figures(eventUpliftVersion: 2), names: { $0 == "veurne" ? "Veurne" : $0 }, town: nil).events
        let braderie = try #require(rows.first { $0.eventName == "braderie" })
        #expect(braderie.v2 == EventUpliftV2Figures(
            level: 0.9,
            own: EventUpliftV2Figure(uplift: 0.25, low: 0.08, high: 0.42, calibrationDays: 230, minimumDetectableUplift: 0.19, reason: nil),
            peerAdjusted: EventUpliftV2Figure(uplift: 0.18, low: 0.06, high: 0.30, calibrationDays: 212, minimumDetectableUplift: 0.12, reason: nil),
            peers: 4))
        #expect(braderie.raw == Estimate(value: 0.3, low: 0.1, high: 0.5) && braderie.peerAdjusted == Estimate(value: 0.2))
        let markt = try #require(rows.first { $0.eventName == "kerstmarkt" })
        #expect(markt.v2?.own.estimate == Estimate(value: 0.09) && markt.v2?.own.reason == "fewer than 20 calibration days (12)")
        #expect(markt.v2?.peerAdjusted?.estimate == nil && markt.v2?.peerAdjusted?.reason == "fewer than 3 peers without an event, campaign or works")

        // On the page: the peer-adjusted figure with its level and the verdict; the reasons where an interval is missing.
        let html = RegionReportPage.render(RegionReport(
            tenantID: "daks", tenantName: "DAKS", period: ReportPeriod(start: DayNumber(20_408), end: DayNumber(20_414)),
            provenance: ReportProvenance(producer: "test", generatedAt: Date(timeIntervalSince1970: 0)),
            network: NetworkFootfall(index: nil, contributingTowns: 0), towns: [], events: rows,
            methodology: ReportPages.methodology(try Self.figures(eventUpliftVersion: 2))))
        #expect(html.contains("<td>+18\u{00A0}% (90\u{00A0}% interval +6\u{00A0}% to +30\u{00A0}%)</td><td>Above what ordinary days vary by</td>"))
        #expect(html.contains("<td>– (fewer than 3 peers without an event, campaign or works)</td><td>No interval: no verdict</td>"))
        #expect(html.contains("<td>+9\u{00A0}% (no interval: fewer than 20 calibration days (12))</td><td>12 days</td>"))
        #expect(html.contains("at level 90 % (unless stated)"))
    }

    @Test("figures computed as v1 map to rows without v2, and the methodology names v1's rule")
    func v1Mapping() throws {
        let figures = try Self.figures(eventUpliftVersion: 1)
        #expect(ReportPages.eventRows(figures, names: { $0 }, town: "veurne").events.allSatisfy { $0.v2 == nil })
        let v1 = try #require(ReportPages.methodology(figures).first { $0.indicator == EventUplift.id })
        #expect(v1.version == 1 && v1.note.hasPrefix("Median of up to 8 clean same weekdays"))
        let v2 = try #require(ReportPages.methodology(try Self.figures(eventUpliftVersion: 2)).first { $0.indicator == EventUplift.id })
        #expect(v2.version == 2 && v2.note.contains("an ordinary day's interval excludes 0 on at most 1 day in 10"))
    }
}
