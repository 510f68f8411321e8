/// The region report: every town of a tenant on one page, for the regional coordinator.
///
/// Why: the provinces want comparable indicators across towns in one view, with the data's
/// completeness and the methodology beside the figures (issue 6).
public enum RegionReportPage {
    /// The complete HTML document for `report`. Pure: the same model, options and view give the
    /// same bytes. `view` chooses the peer group, the towns table's order and page (issue 17); every
    /// town is always on the ranked chart. Linear in the towns (plus one sort).
    public static func render(
        _ report: RegionReport, options: RenderOptions = RenderOptions(), view: RegionView = RegionView()
    ) -> String {
        let s = Strings(options.language)
        let tables = Dictionary(
            report.tables(language: options.language).map { ($0.name, $0) },
            uniquingKeysWith: { a, _ in a })
        func table(_ name: String) -> String { tables[name].map { $0.html(s, options) } ?? "" }
        let group = report.chosenGroup(view)
        let members = group.map { Set($0.townIDs) }
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
        // A few names, not 30: the coverage section lists them all.
        let named = missing.prefix(5).map(\.townName).joined(separator: ", ")
            + (missing.count > 5 ? " " + s.andMore(missing.count - 5) : "")
        body += kpi(
            "\(missing.count)",
            s.coverageStatus(.missing) + " / " + s.coverageStatus(.stale) + (missing.isEmpty ? "" : ": " + named))
        if let group {
            body += kpi(BelgianFormat.number(group.spread.median), s.median + " · " + group.name)
        }
        body += "</div>\n"
        body += filters(report, view, s)

        // Every town as one dot, and the groups' spreads.
        if !report.towns.isEmpty {
            var ranking = "<p class=\"note\">\(HTML.escape(s.rankingNote))"
            if let group { ranking += " " + HTML.escape(s.highlighted(group.name)) }
            ranking += "</p>\n"
            let dots = report.towns.compactMap { t in
                t.index.map { SVGChart.RankedDot(label: t.name, value: $0, isHighlighted: members?.contains(t.townID) ?? false) }
            }
            ranking += SVGChart.rankedDots(
                dots, median: report.network.index, lower: report.spread?.lowerQuartile,
                upper: report.spread?.upperQuartile, groupMedian: group?.spread.median, title: s.ranking)
            if !report.groups.isEmpty {
                ranking += "<h3>\(HTML.escape(s.peerGroups))</h3><p class=\"note\">\(HTML.escape(s.groupsNote))</p>\n"
                let indexByTown = Dictionary(report.towns.map { ($0.townID, $0.index) }, uniquingKeysWith: { a, _ in a })
                var rows = [
                    SVGChart.SpreadRow(
                        label: s.wholeNetwork, values: report.towns.compactMap(\.index),
                        spread: report.spread ?? IndexSpread(towns: dots.count, median: report.network.index))
                ]
                for g in report.groups {
                    rows.append(
                        SVGChart.SpreadRow(
                            label: g.name, values: g.townIDs.compactMap { indexByTown[$0] ?? nil }, spread: g.spread,
                            isHighlighted: g.name == group?.name))
                }
                ranking += SVGChart.spreads(rows, title: s.peerGroups) + table("peer-groups")
            }
            body += HTML.section("ranking", s.ranking, ranking)
        }
        body += HTML.section("towns", s.townsTable, townsTable(report, view, tables["towns"], s, options) + table("network"))

        // Small multiples on one scale: the chosen group's towns, or the highest-ranked few.
        let selected = report.selectedTowns(RegionView(group: view.group))
        let limit = group == nil ? view.multiples : RegionView.maximumMultiples
        let shown = Array(selected.prefix(limit))
        let scale = SVGChart.indexScale(shown.map(\.series) + [report.network.series])
        var multiples = "<p class=\"note\">\(HTML.escape(s.indexOverTimeNote))"
        if shown.count < selected.count {
            multiples += " " + HTML.escape(
                group == nil ? s.multiplesNote(shown: shown.count, of: selected.count)
                    : s.multiplesCapped(shown: shown.count, of: selected.count))
        }
        multiples += "</p>\n" + legend(s.town, s.network)
        multiples += "<div class=\"multiples\">\n"
        for town in shown {
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

        // Events (of the chosen group's towns), capped on the page.
        let groupEvents = members.map { m in report.events.filter { m.contains($0.townID) } } ?? report.events
        var events = EventsSection.note(groupEvents, s)
        if groupEvents.isEmpty {
            events += "<p>\(HTML.escape(s.noEvents))</p>\n"
        } else {
            let pageEvents = Array(groupEvents.prefix(RegionView.maximumEventRows))
            events += EventsSection.legendHTML(pageEvents, s)
            let rows = pageEvents.flatMap { e in
                EventsSection.chartRows(e, label: e.townName + " · " + e.eventName, s, alwaysSecondRow: false)
            }
            events += SVGChart.intervals(rows, title: s.events)
            if pageEvents.count < groupEvents.count {
                events += "<p class=\"note\">\(HTML.escape(s.rowsCapped(pageEvents.count, groupEvents.count)))</p>\n"
            }
            events += EventsSection.hasV2(pageEvents)
                ? EventsSection.pageTable(pageEvents, s, withTown: true).html(s, options)
                : eventsTable(pageEvents, s, withTown: true).droppingEmptyColumns().mergingColumns(["event", "kind", "zone"]).html(s, options)
        }
        body += HTML.section("events", s.events, events)
        body += HTML.section(
            "conversion", s.conversion,
            "<p class=\"note\">\(HTML.escape(s.conversionNote))</p>\n" + table("conversion"))
        body += LotsSection.region(report.lots, highlighted: members, s, table: table("lots"))
        // Coverage: the towns that need attention (complete ones are counted, and in the towns table).
        let groupCoverage = members.map { m in report.coverage.filter { m.contains($0.townID) } } ?? report.coverage
        let attention = groupCoverage.filter { $0.status != .complete }
        let complete = groupCoverage.count - attention.count
        var coverage = coverageTable(attention, s).html(s, options)
        if complete > 0 && !attention.isEmpty { coverage += "<p class=\"note\">\(HTML.escape(s.completeTowns(complete)))</p>\n" }
        if attention.isEmpty { coverage = coverageTable(groupCoverage, s).html(s, options) }
        body += HTML.section("coverage", s.coverage, coverage)
        body += HTML.section("methodology", s.methodology, table("methodology") + notes(report.notes, s))
        if let chart = tables["footfall-series"], options.tableLinkPrefix != nil {
            body += "<p class=\"note\">\(HTML.escape(chart.title)):\(HTML.downloads(chart.name, options))</p>\n"
        }
        return HTML.document(
            title: title, language: options.language, navigation: options.navigation,
            languageLinks: options.languageLinks, body: body,
            footer: footer(report.provenance, s))
    }

    /// The peer-group filter: plain links (the current choice in bold), none on a static page.
    static func filters(_ report: RegionReport, _ view: RegionView, _ s: Strings) -> String {
        guard !report.groups.isEmpty, view.query != nil else { return "" }
        let chosen = report.chosenGroup(view)?.name
        func link(_ label: String, _ group: String?, count: Int) -> String {
            let text = HTML.escape(label) + " (\(count))"
            if group == chosen { return "<b aria-current=\"page\">\(text)</b>" }
            return "<a href=\"\(HTML.escape(view.href(group: .some(group)) ?? "?"))\">\(text)</a>"
        }
        var html = "<nav class=\"filters\" aria-label=\"\(HTML.escape(s.peerGroups))\"><span>\(HTML.escape(s.show)):</span>"
        html += link(s.allTowns, nil, count: report.towns.count)
        for g in report.groups { html += link(g.name, g.name, count: g.townIDs.count) }
        return html + "</nav>\n"
    }

    /// The towns table of the view: its group, sorted by the chosen column, one page of rows, with
    /// sort links on the headers and a pager. A static page gets every row in rank order.
    static func townsTable(
        _ report: RegionReport, _ view: RegionView, _ full: ReportTable?, _ s: Strings, _ options: RenderOptions
    ) -> String {
        guard var table = full else { return "" }
        let towns = report.selectedTowns(view.query == nil ? RegionView() : view)
        let pages = max(1, (towns.count + view.pageSize - 1) / view.pageSize)
        let page = view.query == nil ? 1 : min(view.page, pages)
        let slice = view.query == nil ? towns[...] : towns.dropFirst((page - 1) * view.pageSize).prefix(view.pageSize)
        let rowsByTown = Dictionary(
            zip(report.towns.map(\.townID), report.tablesTownRows(s)), uniquingKeysWith: { a, _ in a })
        table.rows = slice.compactMap { rowsByTown[$0.townID] }
        var headerHTML: [String]?
        if view.query != nil {
            let keys: [RegionView.SortKey] = [.rank, .town, .index, .change, .completeness, .status]
            headerHTML = zip(keys, table.columns).map { key, column in
                let isCurrent = key == view.sort
                let descending = isCurrent ? !view.isDescending : key.startsDescending
                let arrow = isCurrent ? (view.isDescending ? " ▼" : " ▲") : ""
                let href = view.href(group: nil, sort: key, isDescending: descending) ?? "?"
                return "<a href=\"\(HTML.escape(href))\">\(HTML.escape(column.title))</a>\(arrow)"
            }
        }
        let numeric = Set(table.columns.indices.filter { i in table.rows.contains { i < $0.count && $0[i].isNumeric } })
        var html = HTML.table(
            caption: table.title, headers: table.columns.map(\.title), rows: table.rows.map { $0.map { $0.html(s) } },
            numeric: numeric, downloads: HTML.downloads(table.name, options), headerHTML: headerHTML)
        if view.query != nil && !towns.isEmpty {
            let first = (page - 1) * view.pageSize + 1
            html += "<nav class=\"pager\" aria-label=\"\(HTML.escape(s.page(page, of: pages)))\">"
            html += "<span>\(HTML.escape(s.page(page, of: pages))) · \(HTML.escape(s.townsShown(first, first + slice.count - 1, towns.count)))</span>"
            if pages > 1 {
                if page > 1, let href = view.href(group: nil, page: page - 1) {
                    html += "<a href=\"\(HTML.escape(href))\" rel=\"prev\">‹ \(HTML.escape(s.previous))</a>"
                }
                for p in 1...pages {
                    if p == page {
                        html += "<b aria-current=\"page\">\(p)</b>"
                    } else if let href = view.href(group: nil, page: p) {
                        html += "<a href=\"\(HTML.escape(href))\">\(p)</a>"
                    }
                }
                if page < pages, let href = view.href(group: nil, page: page + 1) {
                    html += "<a href=\"\(HTML.escape(href))\" rel=\"next\">\(HTML.escape(s.next)) ›</a>"
                }
            }
            html += "</nav>\n"
        }
        return html
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
        if !report.groups.isEmpty {
            let network = report.networkSpread ?? IndexSpread(towns: report.rankedTowns, median: report.network.index)
            var rows = [SVGChart.SpreadRow(label: s.wholeNetwork, spread: network)]
            rows += report.groups.map { SVGChart.SpreadRow(label: $0.name, spread: $0.spread) }
            let groups = "<p class=\"note\">\(HTML.escape(s.townVsGroupsNote))</p>\n"
                + legend(report.townName, s.median)
                + SVGChart.spreads(rows, marker: report.footfall.index, title: s.townVsGroups) + table("peer-groups")
            body += HTML.section("groups", s.townVsGroups, groups)
        }

        var events = EventsSection.note(report.events, s)
        if report.events.isEmpty {
            events += "<p>\(HTML.escape(s.noEvents))</p>\n"
        } else {
            events += EventsSection.legendHTML(report.events, s)
            let rows = report.events.flatMap { e in
                let when = e.days.first.map { " (" + BelgianFormat.day($0) + ")" } ?? ""
                return EventsSection.chartRows(e, label: e.eventName + when, s, alwaysSecondRow: true)
            }
            events += SVGChart.intervals(rows, title: s.events)
            events += EventsSection.hasV2(report.events)
                ? EventsSection.pageTable(report.events, s, withTown: false).html(s, options) : table("events")
            events += table("event-context")
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
        body += LotsSection.town(report.lots, s, table: table("lots"))
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
