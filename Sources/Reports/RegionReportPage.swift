/// The region report: every town of a tenant on one page, for the regional coordinator.
///
/// Why: the provinces want comparable indicators across towns in one view, with the data's
/// completeness and the methodology beside the figures (issue 6).
public enum RegionReportPage {
    /// The complete HTML document for `report`. Pure: the same model and options give the same bytes.
    public static func render(_ report: RegionReport, options: RenderOptions = RenderOptions()) -> String {
        let s = Strings(options.language)
        let tables = Dictionary(
            report.tables(language: options.language).map { ($0.name, $0) },
            uniquingKeysWith: { a, _ in a })
        func table(_ name: String) -> String { tables[name].map { $0.html(s, options) } ?? "" }
        let title = s.regionReport + " · " + report.tenantName
        var body = "<h1>\(HTML.escape(title))</h1>\n"
        body += "<p class=\"sub\">\(HTML.escape(s.period)): \(HTML.escape(BelgianFormat.period(report.period)))"
        body += " · \(HTML.escape(s.generated)): \(BelgianFormat.dateTime(report.provenance.generatedAt))</p>\n"

        // Key figures.
        let missing = report.coverage.filter { $0.status == .missing || $0.status == .stale }
        body += "<div class=\"kpis\">"
        body += kpi(
            BelgianFormat.number(report.network.index),
            s.networkIndex
                + (report.network.withheldReason.map { " (\(s.withheld): \($0))" } ?? ""))
        body += kpi(BelgianFormat.number(report.network.change, signed: true), s.change)
        body += kpi("\(report.network.contributingTowns) / \(report.towns.count)", s.contributing)
        body += kpi(
            "\(missing.count)",
            s.coverageStatus(.missing) + " / " + s.coverageStatus(.stale)
                + (missing.isEmpty ? "" : ": " + missing.map(\.townName).joined(separator: ", ")))
        body += "</div>\n"

        // Small multiples on one scale.
        let scale = SVGChart.indexScale(report.towns.map(\.series) + [report.network.series])
        var multiples = "<p class=\"note\">\(HTML.escape(s.indexOverTimeNote))</p>\n"
        multiples += legend(s.town, s.network)
        multiples += "<div class=\"multiples\">\n"
        let ordered = report.towns.sorted { ($0.rank ?? Int.max, $0.name) < ($1.rank ?? Int.max, $1.name) }
        for town in ordered {
            let missingDays = town.series.filter { $0.value == nil }.count
            let caption = town.name + " · " + BelgianFormat.number(town.index)
            multiples += "<figure><figcaption>\(HTML.escape(caption))</figcaption>"
            multiples += SVGChart.indexLine(
                series: town.series,
                overlay: report.network.series.isEmpty ? nil : report.network.series,
                scale: scale, title: s.indexOverTime + ": " + town.name)
            if missingDays > 0 {
                multiples += "<span class=\"note\">\(missingDays) \(HTML.escape(s.missingDays))</span>"
            }
            multiples += "</figure>\n"
        }
        multiples += "</div>\n"
        body += HTML.section("footfall", s.indexOverTime, multiples)
        body += HTML.section("towns", s.townsTable, table("towns") + table("network"))

        // Events.
        var events = "<p class=\"note\">\(HTML.escape(s.eventsNote))</p>\n"
        if report.events.isEmpty {
            events += "<p>\(HTML.escape(s.noEvents))</p>\n"
        } else {
            events += legend(s.uplift, s.peerAdjusted)
            var rows: [SVGChart.IntervalRow] = []
            for e in report.events {
                rows.append(.init(label: e.townName + " · " + e.eventName, estimate: e.raw))
                if e.peerAdjusted != nil {
                    rows.append(.init(label: "   " + s.peerAdjusted, estimate: e.peerAdjusted, isSecondary: true))
                }
            }
            events += SVGChart.intervals(rows, title: s.events)
            events += table("events")
        }
        body += HTML.section("events", s.events, events)
        body += HTML.section(
            "conversion", s.conversion,
            "<p class=\"note\">\(HTML.escape(s.conversionNote))</p>\n" + table("conversion"))
        body += HTML.section("coverage", s.coverage, table("coverage"))
        body += HTML.section("methodology", s.methodology, table("methodology") + notes(report.notes, s))
        if let chart = tables["footfall-series"], options.tableLinkPrefix != nil {
            body += "<p class=\"note\">\(HTML.escape(chart.title)):\(HTML.downloads(chart.name, options))</p>\n"
        }
        return HTML.document(
            title: title, language: options.language, navigation: options.navigation,
            languageLinks: options.languageLinks, body: body,
            footer: footer(report.provenance, s))
    }
}

/// The town-against-peers page: one town's figures beside its network's.
///
/// Why: the retail officer's question is "are we doing better or worse than towns like us, and
/// what do our events and opening hours look like against theirs?" (issue 6).
public enum TownReportPage {
    /// The complete HTML document for `report`. Pure: the same model and options give the same bytes.
    public static func render(_ report: TownReport, options: RenderOptions = RenderOptions()) -> String {
        let s = Strings(options.language)
        let tables = Dictionary(
            report.tables(language: options.language).map { ($0.name, $0) },
            uniquingKeysWith: { a, _ in a })
        func table(_ name: String) -> String { tables[name].map { $0.html(s, options) } ?? "" }
        let title = report.townName + " · " + s.townReport
        var body = "<h1>\(HTML.escape(title))</h1>\n"
        body += "<p class=\"sub\">\(HTML.escape(report.tenantName)) · \(HTML.escape(s.period)): "
        body += "\(HTML.escape(BelgianFormat.period(report.period))) · \(HTML.escape(s.generated)): "
        body += "\(BelgianFormat.dateTime(report.provenance.generatedAt))</p>\n"

        body += "<div class=\"kpis\">"
        body += kpi(BelgianFormat.number(report.footfall.index), s.townIndex + " · " + report.townName)
        body += kpi(
            BelgianFormat.number(report.network.index),
            s.networkIndex
                + (report.network.withheldReason.map { " (\(s.withheld): \($0))" } ?? ""))
        body += kpi(report.footfall.rank.map { "\($0) / \(report.rankedTowns)" } ?? BelgianFormat.missing, s.rank)
        body += kpi(
            BelgianFormat.percent(report.coverage.completeness),
            s.coverage + ": "
                + s.coverageStatus(report.coverage.status))
        body += "</div>\n"

        var index = legend(report.townName, s.network)
        let scale = SVGChart.indexScale([report.footfall.series, report.network.series])
        index += SVGChart.indexLine(
            series: report.footfall.series,
            overlay: report.network.series.isEmpty ? nil : report.network.series,
            scale: scale, title: s.townVsNetwork, width: 720, height: 220)
        index += "<p class=\"note\">\(HTML.escape(s.indexOverTimeNote))</p>\n" + table("summary")
        body += HTML.section("footfall", s.townVsNetwork, index)

        var events = "<p class=\"note\">\(HTML.escape(s.eventsNote))</p>\n"
        if report.events.isEmpty {
            events += "<p>\(HTML.escape(s.noEvents))</p>\n"
        } else {
            events += legend(s.uplift, s.peerAdjusted)
            var rows: [SVGChart.IntervalRow] = []
            for e in report.events {
                let when = e.days.first.map { " (" + BelgianFormat.day($0) + ")" } ?? ""
                rows.append(.init(label: e.eventName + when, estimate: e.raw))
                rows.append(.init(label: "   " + s.peerAdjusted, estimate: e.peerAdjusted, isSecondary: true))
            }
            events += SVGChart.intervals(rows, title: s.events) + table("events")
        }
        body += HTML.section("events", s.events, events)

        var hourly = DayShapeSections.findings(report, s)
        hourly += "<p class=\"note\">\(HTML.escape(s.hourlyNote))</p>\n" + legend(report.townName, s.peers)
        if report.hourly.contains(where: { $0.peersLowerQuartile != nil }) {
            hourly += "<p class=\"legend\"><span class=\"swatch\" style=\"background:#f0d6bf\"></span>\(HTML.escape(s.peerBand))</p>\n"
        }
        if report.hourly.isEmpty { hourly += "<p>\(HTML.escape(s.noData))</p>" }
        hourly += "<div class=\"multiples\">"
        for h in report.hourly {
            hourly += "<figure><figcaption>\(HTML.escape(s.dayType(h.dayType)))</figcaption>"
            hourly += SVGChart.hourly(
                town: h.town, peers: h.peers, openingHours: h.openingHours,
                title: s.hourly + ": " + s.dayType(h.dayType), width: 340, height: 160,
                lower: h.peersLowerQuartile, upper: h.peersUpperQuartile)
            hourly += "</figure>"
        }
        hourly += "</div>\n" + (report.hourly.isEmpty ? "" : table("hourly-shares"))
        body += HTML.section("hourly", s.hourly, hourly)
        if report.percentOfNormal != nil {
            body += HTML.section("normal", s.percentOfNormal, DayShapeSections.heatStrip(report, s, table: ""))
        }
        body += HTML.section(
            "conversion", s.conversion,
            "<p class=\"note\">\(HTML.escape(s.conversionNote))</p>\n" + table("conversion"))
        body += HTML.section("coverage", s.coverage, table("coverage"))
        body += HTML.section("methodology", s.methodology, table("methodology") + notes(report.notes, s))
        return HTML.document(
            title: title, language: options.language, navigation: options.navigation,
            languageLinks: options.languageLinks, body: body,
            footer: footer(report.provenance, s))
    }
}

func kpi(_ value: String, _ label: String) -> String {
    "<div class=\"kpi\"><b>\(HTML.escape(value))</b><span>\(HTML.escape(label))</span></div>"
}

func legend(_ first: String, _ second: String) -> String {
    "<p class=\"legend\"><span class=\"swatch\" style=\"background:#0b5fa5\"></span>\(HTML.escape(first))"
        + "<span class=\"swatch\" style=\"background:#c05a00\"></span>\(HTML.escape(second))</p>\n"
}

func notes(_ notes: [String], _ s: Strings) -> String {
    guard !notes.isEmpty else { return "" }
    return "<h3>\(HTML.escape(s.notes))</h3><ul>" + notes.map { "<li>\(HTML.escape($0))</li>" }.joined() + "</ul>\n"
}

func footer(_ p: ReportProvenance, _ s: Strings) -> String {
    HTML.escape(p.producer) + " · " + HTML.escape(s.generated) + " " + BelgianFormat.dateTime(p.generatedAt)
        + " (Europe/Brussels) · " + HTML.escape(s.signature) + ": " + HTML.escape(p.signature ?? s.unsigned)
}

extension String {
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
