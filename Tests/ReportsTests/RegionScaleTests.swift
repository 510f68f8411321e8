import Foundation
import Indicators
import Reports
import Testing

/// The region page at Flanders scale (issue 17): every town on one ranked chart, one page of the
/// table, a few small multiples, filters and sort links as plain links, under 2 MB.
struct RegionScaleTests {
    static let served = RegionView(query: [RegionView.QueryItem(name: "period", value: "2026-11")])

    static func section(_ id: String, of html: String) -> String {
        guard let start = html.range(of: "<section id=\"\(id)\">") else { return "" }
        let rest = html[start.upperBound...]
        return String(rest[..<(rest.range(of: "</section>")?.lowerBound ?? rest.endIndex)])
    }

    static func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    @Test func threeHundredTownsOnOnePage() {
        let report = Samples.flanders
        let html = RegionReportPage.render(report, options: RenderOptions(tableLinkPrefix: "tables/"), view: Self.served)
        PageTests.expectSelfContained(html)
        #expect(html.utf8.count < 2_000_000, "\(html.utf8.count) bytes")
        // Every town with an index is one dot of the ranked chart (its tooltip names it).
        let ranking = Self.section("ranking", of: html)
        let withIndex = report.towns.filter { $0.index != nil }.count
        #expect(Self.count("</title></circle>", in: ranking) == withIndex)
        #expect(ranking.contains("<title>1. "))
        // One page of 50 rows, the pager naming six pages, filters for all towns and each group.
        let towns = Self.section("towns", of: html)
        #expect(Self.count("<tr><th scope=\"row\">", in: towns) == 50 + 1)  // + the network row
        #expect(towns.contains("Page 1 of 6 · towns 1–50 of 300"))
        #expect(towns.contains("<a href=\"?period=2026-11&amp;page=6\">6</a>"))
        #expect(towns.contains("<a href=\"?period=2026-11&amp;page=2\" rel=\"next\">next ›</a>"))
        #expect(html.contains("<b aria-current=\"page\">All towns (300)</b>"))
        #expect(html.contains("<a href=\"?period=2026-11&amp;group=Small%20towns%20West%20Flanders\">Small towns West Flanders (64)</a>"))
        #expect(html.contains("Coast, polders &amp; &lt;b&gt;dunes&lt;/b&gt; (7)"))
        // Twelve small multiples without a group, and the note says how to see more.
        #expect(Self.count("<figure>", in: Self.section("footfall", of: html)) == RegionView.defaultMultiples)
        #expect(html.contains("The 12 highest-ranked of 300 towns. Choose a peer group above"))
        // Events and coverage are capped to what needs reading; the files keep every row.
        #expect(html.contains("The first 40 of 60 rows; all are in the CSV and JSON."))
        let coverage = Self.section("coverage", of: html)
        let attention = report.coverage.filter { $0.status != .complete }.count
        #expect(Self.count("<tr><th scope=\"row\">", in: coverage) == attention)
        #expect(coverage.contains("\(300 - attention) towns have complete data"))
        #expect(report.tables().first { $0.name == "towns" }?.rows.count == 300)
        // The missing towns' key figure names a few, not all.
        #expect(html.contains("and \(report.coverage.filter { $0.status == .missing || $0.status == .stale }.count - 5) more"))
    }

    @Test func aChosenGroupFiltersTheTableChartsAndEvents() throws {
        let report = Samples.flanders
        var view = Self.served
        view.group = "Small towns West Flanders"
        view.page = 2
        let html = RegionReportPage.render(report, view: view)
        PageTests.expectSelfContained(html)
        #expect(html.contains("<b aria-current=\"page\">Small towns West Flanders (64)</b>"))
        #expect(html.contains("Page 2 of 2 · towns 51–64 of 64"))
        #expect(Self.count("<figure>", in: Self.section("footfall", of: html)) == 64)
        // The group's towns are highlighted (drawn after the grey ones) and its median drawn.
        let ranking = Self.section("ranking", of: html)
        let members = Set(try #require(report.groups.first { $0.name == view.group }).townIDs)
        let indexed = report.towns.filter { $0.index != nil }
        let grey = indexed.filter { !members.contains($0.townID) }.count
        #expect(grey < indexed.count - 60)
        #expect(Self.count("fill=\"#b4bcc5\"><title>", in: ranking) == grey)
        #expect(Self.count("fill=\"#0b5fa5\"><title>", in: ranking) == indexed.count - grey)
        #expect(ranking.contains("stroke=\"#0b5fa5\" stroke-width=\"1.4\"/>"))
        // The group's row of the spreads, in bold, counts its towns with an index (town-005 has none).
        #expect(ranking.contains("font-weight:700\">Small towns West Flanders (63)</text>"))
        // Only the group's events: towns 1, 5, 9, … are members; events are on towns 0, 5, 10, …
        let expected = report.events.filter { members.contains($0.townID) }.count
        #expect(Self.count("Braderie ", in: Self.section("events", of: html)) == 2 * expected)  // chart label + table row
        // Links keep the group; changing the sort goes back to page 1.
        #expect(html.contains("<a href=\"?period=2026-11&amp;group=Small%20towns%20West%20Flanders&amp;sort=-index\">Footfall index</a>"))
    }

    @Test func sortingPutsMissingValuesLastBothWays() throws {
        let report = Samples.flanders
        for descending in [false, true] {
            let view = RegionView(group: nil, sort: .index, isDescending: descending, pageSize: 300, query: [])
            let towns = Self.section("towns", of: RegionReportPage.render(report, view: view))
            let values = towns.components(separatedBy: "<tr><th scope=\"row\">").dropFirst().dropLast().map { row in
                row.components(separatedBy: "<td class=\"num\">").dropFirst().first?.components(separatedBy: "<").first ?? ""
            }
            #expect(values.count == 300)
            let numbers = values.prefix { $0 != "–" }.compactMap { Double($0.replacingOccurrences(of: ",", with: ".")) }
            #expect(numbers.count == report.towns.filter { $0.index != nil }.count)
            #expect(numbers == (descending ? numbers.sorted(by: >) : numbers.sorted()))
            #expect(values.suffix(300 - numbers.count).allSatisfy { $0 == "–" })
        }
        let byName = Self.section("towns", of: RegionReportPage.render(report, view: RegionView(sort: .town, query: [])))
        #expect(byName.contains("<a href=\"?sort=-town\">Town</a> ▲"))
    }

    @Test func aStaticPageHasTheWholeTableAndNoLinks() {
        let html = RegionReportPage.render(Samples.flanders)
        #expect(Self.count("<tr><th scope=\"row\">", in: Self.section("towns", of: html)) == 301)
        #expect(!html.contains("class=\"pager\"") && !html.contains("class=\"filters\"") && !html.contains("href=\"?"))
    }

    @Test func townPageComparesWithItsGroups() {
        let report = Samples.flandersTown
        let html = TownReportPage.render(report)
        PageTests.expectSelfContained(html)
        let groups = Self.section("groups", of: html)
        #expect(groups.contains("<h2>Against its peer groups</h2>"))
        #expect(report.groups.map(\.name) == ["Coast, polders & <b>dunes</b>", "Small towns West Flanders"])
        // The network row and one row per group, each with the town's rank in it.
        #expect(Self.count("<tr><th scope=\"row\">", in: groups) == 3)
        #expect(groups.contains("<th scope=\"row\">Whole network</th>"))
        #expect(groups.contains("<th scope=\"row\">Coast, polders &amp; &lt;b&gt;dunes&lt;/b&gt;</th><td class=\"num\">7</td>"))
        // The town's own dot on each of the three rows, no peer's value as a dot.
        #expect(Self.count("r=\"4.5\" fill=\"#0b5fa5\"", in: groups) == 3)
        #expect(!groups.contains("r=\"2\" fill=\"#8894a0\""))
    }
}
