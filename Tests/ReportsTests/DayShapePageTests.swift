import Foundation
import Indicators
import Reports
import Testing

/// The town page's day-shape parts (issue 20): findings, the peers' band, the heat strip.
struct DayShapePageTests {
    @Test("findings read as sentences in both languages, with Belgian percentages")
    func findings() {
        let town = Samples.town
        #expect(town.findingSentences(language: .en) == [
            "31\u{00A0}% of Saturday footfall comes while most shops here are closed (before opening or after 17:00); peers: 19\u{00A0}%.",
            "A Saturday here counts 145\u{00A0}% of a weekday's footfall; peers: 120\u{00A0}%.",
        ])
        #expect(town.findingSentences(language: .nl)[0].hasPrefix("31\u{00A0}% van de passanten op zaterdag komt terwijl de meeste winkels hier dicht zijn"))
    }

    @Test("the page shows the findings, the band and one heat-strip cell per day and hour, each with its value")
    func page() {
        let html = TownReportPage.render(Samples.town)
        #expect(html.contains("<ul class=\"findings\"><li>31\u{00A0}% of Saturday footfall"))
        #expect(html.contains("fill=\"#c05a00\" fill-opacity=\"0.18\""))  // the band
        #expect(html.contains("Peers: middle half (quartiles)"))
        #expect(html.contains("id=\"normal\""))
        #expect(html.components(separatedBy: "<rect x=").count - 1 >= 7 * 24)
        #expect(html.contains("<title>\(BelgianFormat.day(Samples.town.period.start)) 7:00 – 119\u{00A0}%</title>"))
    }

    @Test("colours: white at normal, blue when quieter, orange when busier, grey without a value")
    func colours() {
        #expect(SVGChart.heatStrip([], title: "t").contains("<svg"))
        let strip = SVGChart.heatStrip([PercentOfNormal.Day(day: DayNumber(20_000), percent: [100, 50, 200, nil] + Array(repeating: nil, count: 20),
                                                            referenceDays: [], reason: nil)], title: "t")
        #expect(strip.contains("fill=\"#ffffff\""))
        #expect(strip.contains("fill=\"#0b5fa5\""))
        #expect(strip.contains("fill=\"#c05a00\""))
        #expect(strip.contains("fill=\"#e3e6ea\""))
    }

    @Test("the heat strip's numbers are a table too, and that table opens as XLSX with numbers")
    func table() throws {
        let table = try #require(Samples.town.tables().first { $0.name == "percent-of-normal" })
        #expect(table.rows.count == 7 * 24)
        #expect(try ReportExport.xlsx(table).count > 1000)
    }
}
