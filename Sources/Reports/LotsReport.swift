// Parking, visitor origin and dwell time against peers on the pages (issue 19): the model the
// coordinator fills from its network figures, the tables (downloadable like the others) and the
// sections of the region and town pages. Shown only when some town sends a lot.

/// One lot figure of one zone kind: the peers' median and quartiles and the towns' own values.
///
/// Why one type for both pages: the region page lists every town's value, the town page only its
/// own; the band beside them is the same.
public struct LotSummary: Codable, Sendable, Hashable {
    /// One town's value (fractions for occupancy and shares, hours per day, minutes).
    public struct TownValue: Codable, Sendable, Hashable {
        public var townID: String
        public var townName: String
        public var value: Double
        public init(townID: String, townName: String, value: Double) {
            self.townID = townID
            self.townName = townName
            self.value = value
        }
    }

    public var zoneKind: String
    /// A `NetworkFigures.LotFigure` raw value, e.g. `parking-mean-occupancy`, `local-share`.
    public var figure: String
    /// The parking site kind (`garage`, `on-street`) of a parking figure.
    public var siteKind: String?
    public var towns: [TownValue]
    /// Towns with a value in the network.
    public var peerTowns: Int
    /// Why the band is withheld (`too_few_contributors`, `dominated`), nil when published.
    public var peersWithheld: String?
    public var median: Double?
    public var lowerQuartile: Double?
    public var upperQuartile: Double?

    public init(zoneKind: String, figure: String, siteKind: String?, towns: [TownValue], peerTowns: Int, peersWithheld: String?,
                median: Double?, lowerQuartile: Double?, upperQuartile: Double?) {
        self.zoneKind = zoneKind
        self.figure = figure
        self.siteKind = siteKind
        self.towns = towns
        self.peerTowns = peerTowns
        self.peersWithheld = peersWithheld
        self.median = median
        self.lowerQuartile = lowerQuartile
        self.upperQuartile = upperQuartile
    }

    /// Occupancy and shares are fractions (shown as %), the others plain numbers.
    var isFraction: Bool { ["parking-mean-occupancy", "parking-peak-occupancy", "local-share", "hinterland-share"].contains(figure) }

    func cell(_ v: Double?) -> ReportCell {
        if isFraction { return .percent(v) }
        return .number(v, decimals: figure == "median-dwell-minutes" ? 0 : 1)
    }

    /// The figures charted on the region page, one chart per lot.
    var isCharted: Bool { ["parking-mean-occupancy", "local-share", "median-dwell-minutes"].contains(figure) }
}

extension Strings {
    var lots: String { t("Parking, visitor origin and dwell time", "Parkeren, herkomst en verblijfsduur") }
    var lotsNote: String {
        t(
            "Per kind of zone over the period. Peers: the median and the middle half (Q1–Q3) of at least 3 towns, withheld when two towns dominate. Saturated: hours at or above 85 % occupancy per day with readings. Local share: visitors from the town itself; hinterland: from neighbouring municipalities.",
            "Per soort zone over de periode. Peers: de mediaan en de middelste helft (Q1–Q3) van minstens 3 gemeenten, niet getoond als twee gemeenten overheersen. Verzadigd: uren met minstens 85 % bezetting per dag met metingen. Lokaal aandeel: bezoekers uit de gemeente zelf; hinterland: uit de buurgemeenten.")
    }
    var lotValues: String { t("Parking, origin and dwell time per town", "Parkeren, herkomst en verblijfsduur per gemeente") }
    var figureColumn: String { t("Figure", "Cijfer") }

    func lotFigure(_ figure: String, siteKind: String?) -> String {
        let site = siteKind.map { " (\($0 == "garage" ? t("garage", "parkeergarage") : $0 == "on-street" ? t("on-street", "straatparkeren") : $0))" } ?? ""
        switch figure {
        case "parking-mean-occupancy": return t("Mean occupancy", "Gemiddelde bezetting") + site
        case "parking-peak-occupancy": return t("Peak occupancy", "Piekbezetting") + site
        case "parking-saturated-hours": return t("Saturated hours per day", "Verzadigde uren per dag") + site
        case "local-share": return t("Local share of visitors", "Lokaal aandeel bezoekers")
        case "hinterland-share": return t("Hinterland share of visitors", "Aandeel bezoekers uit het hinterland")
        case "median-dwell-minutes": return t("Median dwell time (minutes)", "Mediane verblijfsduur (minuten)")
        default: return figure
        }
    }

    func withheldReason(_ reason: String?) -> String {
        switch reason {
        case nil: ""
        case "too_few_contributors": t("fewer than 3 towns", "minder dan 3 gemeenten")
        case "dominated": t("two towns dominate", "twee gemeenten overheersen")
        case let other?: other
        }
    }
}

/// The lot tables and page sections.
enum LotsSection {
    /// The region page's table: one row per figure and zone kind (the towns' values are in `lot-values`).
    static func regionTables(_ lots: [LotSummary], _ s: Strings) -> [ReportTable] {
        let band = ReportTable(
            name: "lots", title: s.lots,
            columns: [
                .init(key: "figure", title: s.figureColumn), .init(key: "zone_kind", title: s.zoneKind),
                .init(key: "towns", title: s.towns), .init(key: "median", title: s.median),
                .init(key: "lower_quartile", title: "Q1"), .init(key: "upper_quartile", title: "Q3"),
                .init(key: "withheld_reason", title: s.note),
            ],
            rows: lots.map {
                [.text(s.lotFigure($0.figure, siteKind: $0.siteKind)), .text($0.zoneKind), .integer($0.peerTowns), $0.cell($0.median),
                 $0.cell($0.lowerQuartile), $0.cell($0.upperQuartile), .text(s.withheldReason($0.peersWithheld))]
            })
        var rows: [[ReportCell]] = []
        for l in lots {
            for t in l.towns {
                rows.append([.text(t.townID), .text(t.townName), .text(l.zoneKind), .text(l.figure), .text(l.siteKind ?? ""), l.cell(t.value)])
            }
        }
        let values = ReportTable(
            name: "lot-values", title: s.lotValues,
            columns: [
                .init(key: "town_id", title: "id"), .init(key: "town", title: s.town), .init(key: "zone_kind", title: s.zoneKind),
                .init(key: "figure", title: s.figureColumn), .init(key: "site_kind", title: "site"), .init(key: "value", title: s.thisTown),
            ],
            rows: rows, isChartData: true)
        return [band, values]
    }

    /// The town page's table: the town's value beside the peers' band per figure.
    static func townTable(_ lots: [LotSummary], _ s: Strings) -> ReportTable {
        ReportTable(
            name: "lots", title: s.lots,
            columns: [
                .init(key: "figure", title: s.figureColumn), .init(key: "zone_kind", title: s.zoneKind),
                .init(key: "town", title: s.thisTown), .init(key: "peers_median", title: s.peers),
                .init(key: "peers_lower_quartile", title: "Q1"), .init(key: "peers_upper_quartile", title: "Q3"),
                .init(key: "peer_towns", title: s.towns),
            ],
            rows: lots.map {
                [.text(s.lotFigure($0.figure, siteKind: $0.siteKind)), .text($0.zoneKind), $0.cell($0.towns.first?.value), $0.cell($0.median),
                 $0.cell($0.lowerQuartile), $0.cell($0.upperQuartile), .integer($0.peerTowns)]
            })
    }

    /// The region page's section: per lot a compact ranked dot chart (one dot per town, the peers'
    /// band and median; fractions in %), then the table. Empty when no town sends a lot.
    static func region(_ lots: [LotSummary]?, highlighted: Set<String>?, _ s: Strings, table: String) -> String {
        guard let lots, !lots.isEmpty else { return "" }
        var html = "<p class=\"note\">\(HTML.escape(s.lotsNote))</p>\n"
        for l in lots where l.isCharted && !l.towns.isEmpty {
            let scale = l.isFraction ? 100.0 : 1.0
            let title = s.lotFigure(l.figure, siteKind: l.siteKind) + (l.isFraction ? " (%)" : "") + " · " + l.zoneKind
            html += "<h3>\(HTML.escape(title))</h3>\n"
            html += SVGChart.rankedDots(
                l.towns.map { .init(label: $0.townName, value: $0.value * scale, isHighlighted: highlighted?.contains($0.townID) ?? false) },
                median: l.median.map { $0 * scale }, lower: l.lowerQuartile.map { $0 * scale }, upper: l.upperQuartile.map { $0 * scale },
                title: title, height: 140)
        }
        return HTML.section("lots", s.lots, html + table)
    }

    /// The town page's section: the table of the town against its peers. Empty without lots.
    static func town(_ lots: [LotSummary]?, _ s: Strings, table: String) -> String {
        guard let lots, !lots.isEmpty else { return "" }
        return HTML.section("lots", s.lots, "<p class=\"note\">\(HTML.escape(s.lotsNote))</p>\n" + table)
    }
}
