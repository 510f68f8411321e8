import Foundation
import Indicators
import Reports
import Testing

/// Structure and escaping of the rendered pages.
struct PageTests {
    static func count(_ needle: String, in text: String) -> Int {
        text.components(separatedBy: needle).count - 1
    }

    /// No script, no external resource, balanced containers.
    static func expectSelfContained(_ html: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(html.hasPrefix("<!doctype html>"), sourceLocation: sourceLocation)
        #expect(!html.lowercased().contains("<script"), sourceLocation: sourceLocation)
        #expect(!html.lowercased().contains("javascript:"), sourceLocation: sourceLocation)
        #expect(!html.contains(" src="), sourceLocation: sourceLocation)
        #expect(!html.contains("<link"), sourceLocation: sourceLocation)
        let withoutNamespace = html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "")
        #expect(
            !withoutNamespace.contains("http://") && !withoutNamespace.contains("https://"),
            sourceLocation: sourceLocation)
        for tag in ["section", "table", "svg", "figure", "tr", "div", "p"] {
            #expect(
                count("<\(tag)>", in: html) + count("<\(tag) ", in: html) == count("</\(tag)>", in: html),
                "unbalanced <\(tag)>", sourceLocation: sourceLocation)
        }
    }

    @Test func regionPageHasEverySection() {
        let html = RegionReportPage.render(Samples.region)
        Self.expectSelfContained(html)
        for id in ["footfall", "towns", "events", "conversion", "coverage", "methodology"] {
            #expect(html.contains("<section id=\"\(id)\">"), "section \(id)")
        }
        // One small multiple per town, plus the event interval plot.
        #expect(Self.count("<figure>", in: html) == 7)
        // One small multiple per town, the ranked chart of every town (issue 17) and the event interval plot.
        #expect(Self.count("<svg ", in: html) == 9)
        // Figures, Belgian style: Diksmuide 98,0 (index), the network 99,5, change +1,3.
        #expect(html.contains("<b>99,5</b>"))
        #expect(html.contains("<b>+1,3</b>"))
        #expect(html.contains("<td class=\"num\">98,0</td>"))
        // The uplift with its interval, signed.
        #expect(html.contains("+23,4\u{00A0}%") && html.contains("+10,2\u{00A0}%") && html.contains("+35,1\u{00A0}%"))
        // Missing and stale towns are named, not dropped.
        #expect(html.contains("<span class=\"status-missing\">missing</span>"))
        #expect(html.contains("<span class=\"status-stale\">stale</span>"))
        #expect(html.contains("12 days without data"))
        // Methodology: every catalogue entry with its version.
        for entry in IndicatorCatalog.all {
            #expect(html.contains("<th scope=\"row\">\(entry.id)</th><td class=\"num\">\(entry.version)</td>"))
        }
        // Generated time in Brussels.
        #expect(html.contains("23/11/2026 09:00"))
    }

    @Test func hostileNamesStayText() {
        for html in [
            RegionReportPage.render(Samples.region), TownReportPage.render(Samples.town),
            RegionReportPage.render(Samples.region, options: RenderOptions(language: .nl)),
        ] {
            #expect(!html.contains("<script>"))
            #expect(!html.contains("<b>\"") && !html.contains("Kerstmarkt <b>"))
        }
        let html = RegionReportPage.render(Samples.region)
        #expect(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co"))
        #expect(html.contains("Kerstmarkt &lt;b&gt;"))
        #expect(HTML.escape("a'b\"c<d>&") == "a&#39;b&quot;c&lt;d&gt;&amp;")
        let login = LoginPage.render(next: "/x\"><script>", error: "<img onerror=1>")
        #expect(!login.contains("<script>") && !login.contains("<img"))
        #expect(login.contains("value=\"/x&quot;&gt;&lt;script&gt;\""))
    }

    @Test func navigationAndLinksAreEscaped() {
        let options = RenderOptions(
            navigation: [NavLink(title: "A&B", href: "/r?a=1&b=\"2\"", isCurrent: true)],
            tableLinkPrefix: "/t/", languageLinks: (en: "?lang=en", nl: "?lang=nl&x=1"))
        let html = RegionReportPage.render(Samples.region, options: options)
        #expect(html.contains("<a href=\"/r?a=1&amp;b=&quot;2&quot;\" aria-current=\"page\">A&amp;B</a>"))
        #expect(html.contains("<a href=\"?lang=nl&amp;x=1\" hreflang=\"nl\">NL</a>"))
        #expect(html.contains("<a href=\"/t/towns.csv\" download>CSV</a>"))
        #expect(!RegionReportPage.render(Samples.region).contains("download>CSV"))
    }

    @Test func townPageShowsPeersHourlyAndConversion() {
        let html = TownReportPage.render(Samples.town)
        Self.expectSelfContained(html)
        #expect(html.contains("<h1>Blankenberge · Town against peers</h1>"))
        // 1 index chart + 1 interval plot + 3 hourly profiles + the "% of normal" heat strip.
        #expect(Self.count("<svg ", in: html) == 6)
        #expect(html.contains("<b>5 / 6</b>"))
        // Opening-hours and lunchtime shares, town and peers.
        #expect(
            html.contains(
                "<td class=\"num\">81,0\u{00A0}%</td><td class=\"num\">78,0\u{00A0}%</td><td class=\"num\">19,0\u{00A0}%</td><td class=\"num\">17,0\u{00A0}%</td>"
            ))
        #expect(html.contains("<td>closed</td>"))
        // Conversion against the zone-kind benchmark 12,3 % (Q1 9,0 %, Q3 15,1 %).
        #expect(html.contains("14,1\u{00A0}%") && html.contains("12,3\u{00A0}%") && html.contains("15,1\u{00A0}%"))
        // Raw and peer-adjusted uplift.
        #expect(html.contains("+23,4\u{00A0}%") && html.contains("+18,7\u{00A0}%"))
    }

    @Test func dutchPages() {
        let html = RegionReportPage.render(Samples.region, options: RenderOptions(language: .nl))
        #expect(html.contains("<html lang=\"nl-BE\">"))
        #expect(html.contains("Regiorapport · DAKS West Flanders"))
        #expect(html.contains("<span class=\"status-missing\">ontbreekt</span>"))
        let town = TownReportPage.render(Samples.town, options: RenderOptions(language: .nl))
        #expect(town.contains("Zon- en feestdagen") && town.contains("<td>gesloten</td>"))
    }

    @Test func rendersAreDeterministic() {
        #expect(RegionReportPage.render(Samples.region) == RegionReportPage.render(Samples.region))
        #expect(TownReportPage.render(Samples.town) == TownReportPage.render(Samples.town))
    }

    @Test func gapsAreNotDrawnAsZero() {
        // Two segments around a missing day: two "M" commands, and no point on the axis floor.
        let d = DayNumber(20_000)
        let series = [
            SeriesPoint(day: d, value: 100), SeriesPoint(day: d + 1, value: 110),
            SeriesPoint(day: d + 2, value: nil),
            SeriesPoint(day: d + 3, value: 90), SeriesPoint(day: d + 4, value: 100),
        ]
        let svg = SVGChart.indexLine(series: series, scale: 80...120, title: "t", width: 134, height: 124)
        // Plot area: x 34…128 over 4 days (23,5 per day), y 6…106 over 80…120 (2,5 per point).
        #expect(svg.contains("d=\"M34 56L57.5 31M104.5 81L128 56\""))
        #expect(svg.contains("<rect x=\"69.3\" y=\"6\" width=\"23.5\" height=\"100\" fill=\"#e3e6ea\"/>"))
    }

    @Test func loginPageForm() {
        let html = LoginPage.render(action: "/login", next: "/reports/region", error: nil, language: .nl)
        Self.expectSelfContained(html)
        #expect(html.contains("<form method=\"post\" action=\"/login\">"))
        #expect(html.contains("name=\"token\" type=\"password\""))
        #expect(html.contains("<input type=\"hidden\" name=\"next\" value=\"/reports/region\">"))
        #expect(html.contains("Aanmelden"))
        #expect(HTML.contentSecurityPolicy.contains("default-src 'none'"))
        #expect(html.contains("Content-Security-Policy"))
    }

    @Test func intervalPlotCoordinates() throws {
        // One row, +20 % in [+10 %, +30 %]: domain −5 %…+35 % (0 and a 5-point pad) over x 280…840.
        let svg = SVGChart.intervals(
            [.init(label: "A", estimate: Estimate(value: 0.2, low: 0.1, high: 0.3))], title: "t", width: 860)
        #expect(svg.contains("<circle cx=\"630\" cy=\"17\" r=\"4\" fill=\"#0b5fa5\"/>"))
        #expect(svg.contains("<line x1=\"490\" x2=\"770\" y1=\"17\" y2=\"17\""))
        let zero = try #require(svg.range(of: "<line x1=\"350\" x2=\"350\""))
        let stripe = try #require(svg.range(of: "<rect x=\"0\" y=\"6\""))
        #expect(stripe.lowerBound < zero.lowerBound, "the 0 % line must be drawn over the row stripes")
    }
}
