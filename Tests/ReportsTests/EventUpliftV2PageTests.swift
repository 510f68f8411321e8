import Foundation
import Indicators
import Reports
import Testing

/// The pages and files with event-uplift v2 (issue 18): the peer-adjusted uplift with its interval
/// and level first, a verdict, the town's own uplift, the calibration; v1's figures in the files.
/// (v1 reports are checked against their goldens in ``OldReportGoldenTests``.)
struct EventUpliftV2PageTests {
    static let pct = "\u{00A0}%"

    /// The `<tr>` of the events table (the section after the chart) whose first cell starts with `name`.
    static func row(_ html: String, _ name: String) throws -> String {
        let section = try #require(html.components(separatedBy: "<section id=\"events\">").dropFirst().first?
            .components(separatedBy: "</section>").first)
        let table = try #require(section.components(separatedBy: "<table").dropFirst().first)
        return try #require(table.components(separatedBy: "<tr>").first { $0.hasPrefix("<th scope=\"row\">" + name) })
    }

    @Test func theVerdictIsTheIntervalAgainstZero() {
        func verdict(_ low: Double?, _ high: Double?) -> EventVerdict? {
            EventUpliftV2Figure(uplift: 0.1, low: low, high: high, calibrationDays: 30, minimumDetectableUplift: nil, reason: nil).verdict
        }
        #expect(verdict(0.01, 0.2) == .above)
        #expect(verdict(-0.3, -0.01) == .below)
        #expect(verdict(0, 0.2) == .within)  // an interval that reaches 0 holds it
        #expect(verdict(-0.2, 0.2) == .within)
        #expect(verdict(nil, nil) == nil && verdict(0.1, nil) == nil)
        #expect(EventUpliftV2Figure(uplift: nil, low: nil, high: nil, calibrationDays: 0, minimumDetectableUplift: nil, reason: "x").estimate == nil)
    }

    @Test func regionPageLeadsWithThePeerAdjustedUpliftItsLevelAndAVerdict() throws {
        let html = RegionReportPage.render(Samples.regionV2)
        PageTests.expectSelfContained(html)
        let p = Self.pct
        // Above: the peer-adjusted interval excludes 0; the town's own second; the calibration behind the verdict.
        let above = try Self.row(html, "Blankenberge · Sinterklaasstoet · event · Kerkstraat")
        #expect(above.contains("<td>+18\(p) (90\(p) interval +6\(p) to +30\(p))</td><td>Above what ordinary days vary by</td>"))
        #expect(above.contains("<td>+23\(p) (+4\(p) to +43\(p))</td><td>212 days · detectable from +12\(p)</td>"))
        // Below: works that kept people away.
        #expect(try Self.row(html, "Harelbeke · Wegenwerken Marktplein").contains("<td>Below what ordinary days vary by</td>"))
        // No peer-adjusted figure (too few peers): its reason, and the verdict of the town's own interval with its calibration.
        let own = try Self.row(html, "&lt;script&gt;")
        #expect(own.contains("<td>– (fewer than 3 peers without an event, campaign or works)</td>"))
        #expect(own.contains("<td>Town&#39;s own figure: within the ordinary variation: no evidence of an effect</td>"))
        #expect(own.contains("<td>180 days · detectable from +17\(p)</td>"))
        // Interval missing: the figure, the reason, no verdict.
        let missing = try Self.row(html, "Oostkamp · Braderie")
        #expect(missing.contains("<td>+7\(p) (no interval: fewer than 20 calibration days (11))</td><td>No interval: no verdict</td>"))
        #expect(missing.contains("<td>+9\(p) (no interval: fewer than 20 calibration days (12): lower the level or wait for more history)</td>"))
        #expect(missing.contains("<td>11 days</td>"))
        // The note says what the level means, the legend names it; v1's note is gone.
        #expect(html.contains("at 90\(p), an ordinary day&#39;s interval excludes 0 on at most 10\(p) of days"))
        #expect(html.contains("Peer-adjusted uplift, 90\(p) interval<span"))
        #expect(!html.contains("The interval runs from the busiest to the quietest"))
        // The chart: each event's peer-adjusted row, then the town's own.
        #expect(PageTests.count("Town&#39;s own</text>", in: html) == 4)
        // Methodology: v2's entry says what the level means.
        #expect(html.contains("at level 90 % (unless stated) an ordinary day&#39;s interval excludes 0 on at most 1 day in 10"))
    }

    @Test func townPageInDutch() throws {
        let html = TownReportPage.render(Samples.townV2, options: RenderOptions(language: .nl))
        PageTests.expectSelfContained(html)
        let p = Self.pct
        let above = try Self.row(html, "Sinterklaasstoet · evenement · Kerkstraat")
        #expect(above.contains("<td>+18\(p) (90\(p)-interval +6\(p) tot +30\(p))</td><td>Boven wat gewone dagen schommelen</td>"))
        #expect(above.contains("<td>212 dagen · meetbaar vanaf +12\(p)</td>"))
        #expect(try Self.row(html, "Wegenwerken Marktplein · werken").contains("<td>Onder wat gewone dagen schommelen</td>"))
        #expect(try Self.row(html, "Braderie").contains("<td>Geen interval: geen oordeel</td>"))
        #expect(html.contains("Wat het betekent") && html.contains("Kalibratie"))
        // Another level: the note, the legend and the cells name it.
        var other = Samples.townV2
        for i in other.events.indices { other.events[i].v2?.level = 0.95 }
        let at95 = TownReportPage.render(other, options: RenderOptions(language: .nl))
        #expect(at95.contains("bij 95\(p) sluit het interval van een gewone dag 0 uit op hoogstens 5\(p) van de dagen"))
        #expect(at95.contains("Peer-gecorrigeerd effect, 95\(p) interval<span") && at95.contains("(95\(p)-interval +6\(p) tot +30\(p))"))
        // The town page has no town column.
        #expect(!html.contains("Gemeente · Evenement"))
    }

    @Test func aRowWithoutPeersIsJudgedOnTheTownsOwnInterval() throws {
        // As a node computes v2 alone: no peer-adjusted figure at all.
        var town = Samples.townV2
        town.events = [town.events[0]]
        town.events[0].v2?.peerAdjusted = nil
        let row = try Self.row(TownReportPage.render(town), "Sinterklaasstoet")
        #expect(row.contains("<td>–</td><td>Town&#39;s own figure: above what ordinary days vary by</td>"))
        #expect(row.contains("<td>230 days · detectable from +19\(Self.pct)</td>"))
    }

    @Test func theEventsFileNamesTheVersionAndKeepsV1() throws {
        let table = try #require(Samples.regionV2.tables().first { $0.name == "events" })
        let lines = ReportExport.csv(table).components(separatedBy: "\r\n")
        #expect(lines[0] == "town,event,kind,zone,days,version,level,uplift,uplift_low,uplift_high,calibration_days,detectable_uplift,reason,"
            + "peer_adjusted,peer_adjusted_low,peer_adjusted_high,peers,peer_calibration_days,peer_detectable_uplift,peer_reason,"
            + "v1_uplift,v1_uplift_low,v1_uplift_high,v1_peer_adjusted,v1_peers,note")
        #expect(lines[1] == "Blankenberge,Sinterklaasstoet,event,Kerkstraat,2026-11-21,2,0.9,0.234,0.041,0.427,230,0.193,,"
            + "0.18,0.06,0.3,5,212,0.12,,0.234,0.102,0.351,0.187,5,")
        #expect(lines[4] == "Oostkamp,Braderie,event,Centrum,2026-11-22,2,0.9,0.09,,,12,,fewer than 20 calibration days (12): lower the level or wait for more history,"
            + "0.071,,,4,11,,fewer than 20 calibration days (11),,,,,0,fewer than 4 clean baseline days")
        // A v1 row among v2 rows: version 1, its figures in both places.
        var mixed = Samples.regionV2
        mixed.events[0].v2 = nil
        let v1 = ReportExport.csv(try #require(mixed.tables().first { $0.name == "events" })).components(separatedBy: "\r\n")[1]
        #expect(v1 == "Blankenberge,Sinterklaasstoet,event,Kerkstraat,2026-11-21,1,,0.234,0.102,0.351,,,,0.187,,,5,,,,0.234,0.102,0.351,0.187,5,")
        #expect(try !ReportExport.xlsx(table).isEmpty)
        // On the page that row shows v1's figures and says it has no verdict.
        #expect(try Self.row(RegionReportPage.render(mixed), "Blankenberge · Sinterklaasstoet").contains(
            "<td>+19\(Self.pct)</td><td>v1: a range without a stated level, no verdict</td><td>+23\(Self.pct) (+10\(Self.pct) to +35\(Self.pct))</td>"))
    }

    @Test func theModelWithV2RoundTrips() throws {
        let region = Samples.regionV2
        #expect(try ReportExport.decode(RegionReport.self, from: ReportExport.json(model: region)) == region)
        let town = Samples.townV2
        #expect(try ReportExport.decode(TownReport.self, from: ReportExport.json(model: town)) == town)
    }
}
