public import Indicators

/// One table of a report, with typed cells: rendered as HTML on the page and exported as CSV and
/// JSON with the same rows.
///
/// Why: "CSV and JSON of every table": defining each table once keeps the page and the downloads
/// from drifting apart. Column keys are stable English identifiers (the CSV header and JSON keys);
/// titles follow the page language.
public struct ReportTable: Sendable, Hashable {
    /// A column: a stable `key` for files, a `title` for people.
    public struct Column: Sendable, Hashable {
        public var key: String
        public var title: String
        public init(key: String, title: String) {
            self.key = key
            self.title = title
        }
    }

    /// File stem and anchor, e.g. `towns` → `towns.csv`.
    public var name: String
    /// Caption on the page.
    public var title: String
    public var columns: [Column]
    public var rows: [[ReportCell]]
    /// Chart data: exported, but not drawn as a table on the page (the chart shows it).
    public var isChartData: Bool

    public init(name: String, title: String, columns: [Column], rows: [[ReportCell]], isChartData: Bool = false) {
        self.name = name
        self.title = title
        self.columns = columns
        self.rows = rows
        self.isChartData = isChartData
    }
}

/// A typed table cell. Fractions stay fractions in files (0.25) and become "25,0 %" on pages.
///
/// Why: the file formats need raw numbers, the page needs Belgian formatting; the cell knows both.
public enum ReportCell: Sendable, Hashable {
    case text(String)
    /// An index or other plain number, shown with `decimals`.
    case number(Double?, decimals: Int)
    /// A change, shown with its sign.
    case signedNumber(Double?, decimals: Int)
    /// A fraction shown as a percentage.
    case percent(Double?)
    /// A fraction shown as a signed percentage (uplifts).
    case signedPercent(Double?)
    case integer(Int?)
    case day(DayNumber?)
    case days([DayNumber])
    case status(CoverageStatus)

    var isNumeric: Bool {
        switch self {
        case .number, .signedNumber, .percent, .signedPercent, .integer: true
        default: false
        }
    }

    /// Escaped HTML for the page.
    func html(_ s: Strings) -> String {
        switch self {
        case .text(let t): HTML.escape(t)
        case .number(let v, let d): BelgianFormat.number(v, decimals: d)
        case .signedNumber(let v, let d): BelgianFormat.number(v, decimals: d, signed: true)
        case .percent(let v): BelgianFormat.percent(v)
        case .signedPercent(let v): BelgianFormat.percent(v, signed: true)
        case .integer(let v): BelgianFormat.integer(v)
        case .day(let d): BelgianFormat.day(d)
        case .days(let ds): ds.map { BelgianFormat.day($0) }.joined(separator: ", ")
        case .status(let st): "<span class=\"status-\(st.rawValue)\">\(HTML.escape(s.coverageStatus(st)))</span>"
        }
    }

    /// The raw value for a file: numbers with a dot (or a comma in the Belgian dialect), days ISO,
    /// empty for missing.
    func plain(decimalComma: Bool) -> String {
        func num(_ v: Double?) -> String {
            guard let v, v.isFinite else { return "" }
            let text = v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
            return decimalComma ? text.replacingOccurrences(of: ".", with: ",") : text
        }
        switch self {
        case .text(let t): return t
        case .number(let v, _), .signedNumber(let v, _), .percent(let v), .signedPercent(let v): return num(v)
        case .integer(let v): return v.map(String.init) ?? ""
        case .day(let d): return d?.description ?? ""
        case .days(let ds): return ds.map(\.description).joined(separator: " ")
        case .status(let st): return st.rawValue
        }
    }

    /// JSON text of the value: a string, a number or `null`.
    var json: String {
        switch self {
        case .number(let v, _), .signedNumber(let v, _), .percent(let v), .signedPercent(let v):
            guard let v, v.isFinite else { return "null" }
            return v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
        case .integer(let v): return v.map(String.init) ?? "null"
        case .day(let d): return d.map { ReportExport.jsonString($0.description) } ?? "null"
        case .days(let ds): return "[" + ds.map { ReportExport.jsonString($0.description) }.joined(separator: ",") + "]"
        case .text, .status: return ReportExport.jsonString(plain(decimalComma: false))
        }
    }
}

extension ReportTable {
    /// The table as page HTML (with download links when the options have a prefix).
    func html(_ s: Strings, _ options: RenderOptions) -> String {
        let numeric = Set(columns.indices.filter { i in rows.contains { i < $0.count && $0[i].isNumeric } })
        return HTML.table(
            caption: title, headers: columns.map(\.title), rows: rows.map { $0.map { $0.html(s) } },
            numeric: numeric, downloads: HTML.downloads(name, options), isWide: columns.count >= 8)
    }
}

// MARK: - The tables of each report

extension RegionReport {
    /// Every table of the region report, in page order (chart data last).
    public func tables(language: ReportLanguage = .en) -> [ReportTable] {
        let s = Strings(language)
        let rowsByTown = Dictionary(zip(towns.map(\.townID), tablesTownRows(s)), uniquingKeysWith: { a, _ in a })
        let ranked = towns.sorted { ($0.rank ?? Int.max, $0.name) < ($1.rank ?? Int.max, $1.name) }
        var result: [ReportTable] = []
        result.append(
            ReportTable(
                name: "towns", title: s.townsTable,
                columns: [
                    .init(key: "rank", title: s.rank), .init(key: "town", title: s.town),
                    .init(key: "index", title: s.townIndex), .init(key: "change", title: s.change),
                    .init(key: "completeness", title: s.completeness), .init(key: "status", title: s.status),
                ],
                rows: ranked.compactMap { rowsByTown[$0.townID] }))
        result.append(
            ReportTable(
                name: "network", title: s.networkIndex,
                columns: [
                    .init(key: "median_index", title: s.networkIndex), .init(key: "pooled_index", title: s.pooledIndex),
                    .init(key: "change", title: s.change), .init(key: "contributing_towns", title: s.contributing),
                    .init(key: "withheld_reason", title: s.note),
                ],
                rows: [
                    [
                        .number(network.index, decimals: 1), .number(network.pooledIndex, decimals: 1),
                        .signedNumber(network.change, decimals: 1), .integer(network.contributingTowns),
                        .text(network.withheldReason ?? ""),
                    ]
                ]))
        if !groups.isEmpty { result.append(peerGroupsTable(s)) }
        result.append(eventsTable(events, s, withTown: true))
        result.append(
            ReportTable(
                name: "conversion", title: s.conversion,
                columns: [
                    .init(key: "zone_kind", title: s.zoneKind), .init(key: "towns", title: s.towns),
                    .init(key: "median", title: s.median), .init(key: "lower_quartile", title: "Q1"),
                    .init(key: "upper_quartile", title: "Q3"),
                ],
                rows: conversion.map {
                    [
                        .text($0.zoneKind), .integer($0.towns), .percent($0.median),
                        .percent($0.lowerQuartile), .percent($0.upperQuartile),
                    ]
                }))
        if let lots, !lots.isEmpty { result += LotsSection.regionTables(lots, s) }
        result.append(coverageTable(coverage, s))
        result.append(methodologyTable(methodology, s))
        var seriesRows: [[ReportCell]] = []
        for t in towns {
            for p in t.series {
                seriesRows.append([.text(t.townID), .text(t.name), .day(p.day), .number(p.value, decimals: 1)])
            }
        }
        for p in network.series {
            seriesRows.append([.text(""), .text(s.network), .day(p.day), .number(p.value, decimals: 1)])
        }
        result.append(
            ReportTable(
                name: "footfall-series", title: s.indexOverTime,
                columns: [
                    .init(key: "town_id", title: "id"), .init(key: "town", title: s.town),
                    .init(key: "day", title: s.days), .init(key: "index", title: s.townIndex),
                ],
                rows: seriesRows, isChartData: true))
        return result
    }
}

extension TownReport {
    /// Every table of the town page, in page order (chart data last).
    public func tables(language: ReportLanguage = .en) -> [ReportTable] {
        let s = Strings(language)
        var result: [ReportTable] = []
        result.append(
            ReportTable(
                name: "summary", title: s.townVsNetwork,
                columns: [
                    .init(key: "town_index", title: s.townIndex + " · " + townName),
                    .init(key: "town_change", title: s.change),
                    .init(key: "network_index", title: s.networkIndex), .init(key: "network_change", title: s.change),
                    .init(key: "rank", title: s.rank), .init(key: "ranked_towns", title: s.of),
                ],
                rows: [
                    [
                        .number(footfall.index, decimals: 1), .signedNumber(footfall.change, decimals: 1),
                        .number(network.index, decimals: 1), .signedNumber(network.change, decimals: 1),
                        .integer(footfall.rank), .integer(rankedTowns),
                    ]
                ]))
        if !groups.isEmpty { result.append(groupComparisonTable(s)) }
        result.append(eventsTable(events, s, withTown: false))
        if let context = eventContextTable(events, s) { result.append(context) }
        result.append(
            ReportTable(
                name: "hourly-shares", title: s.hourly,
                columns: [
                    .init(key: "day_type", title: s.dayTypeColumn), .init(key: "opening_hours", title: s.openingHours),
                    .init(key: "town_opening_share", title: s.inOpeningHours + " · " + s.town),
                    .init(key: "peers_opening_share", title: s.inOpeningHours + " · " + s.peers),
                    .init(key: "town_lunch_share", title: s.lunchtime + " · " + s.town),
                    .init(key: "peers_lunch_share", title: s.lunchtime + " · " + s.peers),
                    .init(key: "town_closed_share", title: s.closedShare + " · " + s.town),
                    .init(key: "peers_closed_share", title: s.closedShare + " · " + s.peers),
                    .init(key: "town_evening_share", title: s.eveningShare + " · " + s.town),
                    .init(key: "peers_evening_share", title: s.eveningShare + " · " + s.peers),
                ],
                rows: hourly.map { h in
                    [
                        .text(s.dayType(h.dayType)),
                        .text(h.openingHours.map { "\($0.lowerBound)–\($0.upperBound) h" } ?? (h.isDayShapeWithoutHours ? BelgianFormat.missing : s.closed)),
                        .percent(h.townOpeningHoursShare), .percent(h.peersOpeningHoursShare),
                        .percent(h.townLunchtimeShare), .percent(h.peersLunchtimeShare),
                        .percent(h.townClosedShare), .percent(h.peersClosedShare),
                        .percent(h.townEveningShare), .percent(h.peersEveningShare),
                    ]
                }))
        result.append(
            ReportTable(
                name: "conversion", title: s.conversion,
                columns: [
                    .init(key: "zone", title: s.zone), .init(key: "zone_kind", title: s.zoneKind),
                    .init(key: "town", title: s.thisTown), .init(key: "pairs", title: s.pairs),
                    .init(key: "benchmark_median", title: s.benchmark),
                    .init(key: "benchmark_lower_quartile", title: "Q1"),
                    .init(key: "benchmark_upper_quartile", title: "Q3"), .init(key: "benchmark_towns", title: s.towns),
                ],
                rows: conversion.map { c in
                    [
                        .text(c.zone), .text(c.zoneKind), .percent(c.town), .integer(c.pairs),
                        .percent(c.benchmark?.median),
                        .percent(c.benchmark?.lowerQuartile), .percent(c.benchmark?.upperQuartile),
                        .integer(c.benchmark?.towns),
                    ]
                }))
        if let lots, !lots.isEmpty { result.append(LotsSection.townTable(lots, s)) }
        result.append(coverageTable([coverage], s))
        result.append(methodologyTable(methodology, s))
        var hourRows: [[ReportCell]] = []
        for h in hourly {
            for hour in 0..<24 {
                hourRows.append([
                    .text(h.dayType), .integer(hour),
                    .percent(hour < h.town.count ? h.town[hour] : nil),
                    .percent(hour < h.peers.count ? h.peers[hour] : nil),
                    .percent(h.peersLowerQuartile.flatMap { hour < $0.count ? $0[hour] : nil }),
                    .percent(h.peersUpperQuartile.flatMap { hour < $0.count ? $0[hour] : nil }),
                ])
            }
        }
        result.append(
            ReportTable(
                name: "hourly-profile", title: s.hourly,
                columns: [
                    .init(key: "day_type", title: s.dayTypeColumn), .init(key: "hour", title: "h"),
                    .init(key: "town_share", title: s.thisTown), .init(key: "peers_share", title: s.peers),
                    .init(key: "peers_lower_quartile", title: "Q1"), .init(key: "peers_upper_quartile", title: "Q3"),
                ],
                rows: hourRows, isChartData: true))
        if percentOfNormal != nil { result.append(percentOfNormalTable(s)) }
        let networkByDay = Dictionary(network.series.map { ($0.day, $0.value) }, uniquingKeysWith: { a, _ in a })
        result.append(
            ReportTable(
                name: "footfall-series", title: s.indexOverTime,
                columns: [
                    .init(key: "day", title: s.days), .init(key: "town_index", title: townName),
                    .init(key: "network_index", title: s.network),
                ],
                rows: footfall.series.map {
                    [.day($0.day), .number($0.value, decimals: 1), .number(networkByDay[$0.day] ?? nil, decimals: 1)]
                },
                isChartData: true))
        return result
    }
}

func eventsTable(_ events: [EventUpliftRow], _ s: Strings, withTown: Bool) -> ReportTable {
    var columns: [ReportTable.Column] = []
    if withTown { columns.append(.init(key: "town", title: s.town)) }
    columns += [
        .init(key: "event", title: s.event), .init(key: "kind", title: s.kind), .init(key: "zone", title: s.zone),
        .init(key: "days", title: s.days),
    ]
    guard EventsSection.hasV2(events) else {
        columns += [
            .init(key: "uplift", title: s.uplift),
            .init(key: "uplift_low", title: s.interval + " ↓"), .init(key: "uplift_high", title: s.interval + " ↑"),
            .init(key: "peer_adjusted", title: s.peerAdjusted), .init(key: "peers", title: s.peers),
            .init(key: "note", title: s.note),
        ]
        let rows: [[ReportCell]] = events.map { e in
            var row: [ReportCell] = withTown ? [.text(e.townName)] : []
            row += [
                .text(e.eventName), .text(s.eventKind(e.kind)), .text(e.zone), .days(e.days),
                .signedPercent(e.raw?.value), .signedPercent(e.raw?.low), .signedPercent(e.raw?.high),
                .signedPercent(e.peerAdjusted?.value), .integer(e.peers), .text(e.note ?? ""),
            ]
            return row
        }
        return ReportTable(name: "events", title: s.events, columns: columns, rows: rows)
    }
    // With v2 (issue 18): each row's figures at its version (v2's own and peer-adjusted with their
    // calibration), then v1's figures under `v1_` keys whatever the row's version.
    columns += [
        .init(key: "version", title: s.version), .init(key: "level", title: s.level),
        .init(key: "uplift", title: s.townsOwn),
        .init(key: "uplift_low", title: s.interval + " ↓"), .init(key: "uplift_high", title: s.interval + " ↑"),
        .init(key: "calibration_days", title: s.calibrationDays), .init(key: "detectable_uplift", title: s.detectableAt80),
        .init(key: "reason", title: s.reason),
        .init(key: "peer_adjusted", title: s.peerAdjustedUplift),
        .init(key: "peer_adjusted_low", title: s.interval + " ↓"), .init(key: "peer_adjusted_high", title: s.interval + " ↑"),
        .init(key: "peers", title: s.peers),
        .init(key: "peer_calibration_days", title: s.calibrationDays), .init(key: "peer_detectable_uplift", title: s.detectableAt80),
        .init(key: "peer_reason", title: s.reason),
        .init(key: "v1_uplift", title: "v1 · " + s.uplift),
        .init(key: "v1_uplift_low", title: "v1 · " + s.interval + " ↓"), .init(key: "v1_uplift_high", title: "v1 · " + s.interval + " ↑"),
        .init(key: "v1_peer_adjusted", title: "v1 · " + s.peerAdjusted), .init(key: "v1_peers", title: "v1 · " + s.peers),
        .init(key: "note", title: s.note),
    ]
    let rows: [[ReportCell]] = events.map { e in
        var row: [ReportCell] = withTown ? [.text(e.townName)] : []
        row += [.text(e.eventName), .text(s.eventKind(e.kind)), .text(e.zone), .days(e.days)]
        let v1: [ReportCell] = [
            .signedPercent(e.raw?.value), .signedPercent(e.raw?.low), .signedPercent(e.raw?.high),
            .signedPercent(e.peerAdjusted?.value), .integer(e.peers),
        ]
        if let v2 = e.v2 {
            let peer = v2.peerAdjusted
            row += [.integer(2), .percent(v2.level)]
            row += [.signedPercent(v2.own.estimate?.value), .signedPercent(v2.own.estimate?.low), .signedPercent(v2.own.estimate?.high),
                    .integer(v2.own.calibrationDays), .signedPercent(v2.own.minimumDetectableUplift), .text(v2.own.reason ?? "")]
            row += [.signedPercent(peer?.estimate?.value), .signedPercent(peer?.estimate?.low), .signedPercent(peer?.estimate?.high),
                    .integer(v2.peers), .integer(peer?.calibrationDays), .signedPercent(peer?.minimumDetectableUplift),
                    .text(peer?.reason ?? "")]
        } else {
            row += [.integer(1), .percent(nil)]
            row += [.signedPercent(e.raw?.value), .signedPercent(e.raw?.low), .signedPercent(e.raw?.high),
                    .integer(nil), .signedPercent(nil), .text("")]
            row += [.signedPercent(e.peerAdjusted?.value), .signedPercent(nil), .signedPercent(nil),
                    .integer(e.peers), .integer(nil), .signedPercent(nil), .text("")]
        }
        return row + v1 + [.text(e.note ?? "")]
    }
    return ReportTable(name: "events", title: s.events, columns: columns, rows: rows)
}

func coverageTable(_ coverage: [TownCoverage], _ s: Strings) -> ReportTable {
    ReportTable(
        name: "coverage", title: s.coverage,
        columns: [
            .init(key: "town", title: s.town), .init(key: "status", title: s.status),
            .init(key: "completeness", title: s.completeness), .init(key: "last_day", title: s.lastDay),
            .init(key: "active_sensors", title: s.sensors), .init(key: "sensors", title: s.of),
        ],
        rows: coverage.map { c in
            [
                .text(c.townName), .status(c.status), .percent(c.completeness), .day(c.lastDay),
                .integer(c.activeSensors), .integer(c.sensors),
            ]
        })
}

func methodologyTable(_ entries: [MethodologyEntry], _ s: Strings) -> ReportTable {
    ReportTable(
        name: "methodology", title: s.methodology,
        columns: [
            .init(key: "indicator", title: s.indicator), .init(key: "version", title: s.version),
            .init(key: "note", title: s.note),
        ],
        rows: entries.map { [.text($0.indicator), .integer($0.version), .text($0.note)] })
}

// MARK: - Peer groups (issue 17)

extension RegionReport {
    /// The towns table's row of each town, in the order of `towns`.
    func tablesTownRows(_ s: Strings) -> [[ReportCell]] {
        let coverageByTown = Dictionary(coverage.map { ($0.townID, $0) }, uniquingKeysWith: { a, _ in a })
        return towns.map { t in
            let c = coverageByTown[t.townID]
            return [
                .integer(t.rank), .text(t.name), .number(t.index, decimals: 1),
                .signedNumber(t.change, decimals: 1),
                .percent(c?.completeness), c.map { .status($0.status) } ?? .text(""),
            ]
        }
    }

    /// One row per peer group: its towns, how many have an index, median and quartiles.
    func peerGroupsTable(_ s: Strings) -> ReportTable {
        ReportTable(
            name: "peer-groups", title: s.peerGroups,
            columns: [
                .init(key: "group", title: s.peerGroup), .init(key: "towns", title: s.members),
                .init(key: "towns_with_index", title: s.withIndex), .init(key: "median_index", title: s.median),
                .init(key: "lower_quartile", title: "Q1"), .init(key: "upper_quartile", title: "Q3"),
            ],
            rows: groups.map { g in
                [
                    .text(g.name), .integer(g.townIDs.count), .integer(g.spread.towns),
                    .number(g.spread.median, decimals: 1), .number(g.spread.lowerQuartile, decimals: 1),
                    .number(g.spread.upperQuartile, decimals: 1),
                ]
            })
    }
}

extension TownReport {
    /// The town against the whole network and each of its groups.
    func groupComparisonTable(_ s: Strings) -> ReportTable {
        let network = networkSpread ?? IndexSpread(towns: rankedTowns, median: self.network.index)
        var rows: [[ReportCell]] = [
            [
                .text(s.wholeNetwork), .integer(rankedTowns), .number(network.median, decimals: 1),
                .number(network.lowerQuartile, decimals: 1), .number(network.upperQuartile, decimals: 1),
                .number(footfall.index, decimals: 1), .integer(footfall.rank),
            ]
        ]
        for g in groups {
            rows.append([
                .text(g.name), .integer(g.members), .number(g.spread.median, decimals: 1),
                .number(g.spread.lowerQuartile, decimals: 1), .number(g.spread.upperQuartile, decimals: 1),
                .number(footfall.index, decimals: 1), .integer(g.rank),
            ])
        }
        return ReportTable(
            name: "peer-groups", title: s.townVsGroups,
            columns: [
                .init(key: "group", title: s.peerGroup), .init(key: "towns", title: s.members),
                .init(key: "median_index", title: s.median), .init(key: "lower_quartile", title: "Q1"),
                .init(key: "upper_quartile", title: "Q3"), .init(key: "town_index", title: townName),
                .init(key: "rank", title: s.rankInGroup),
            ],
            rows: rows)
    }
}

extension ReportTable {
    /// The table without its columns that are empty text in every row (e.g. a note column with no
    /// note): for the page only, where every column costs width (an A4 page holds about ten).
    func droppingEmptyColumns() -> ReportTable {
        let keep = columns.indices.filter { i in
            rows.isEmpty || rows.contains { row in
                guard i < row.count else { return false }
                if case .text(let t) = row[i] { return !t.isEmpty }
                return true
            }
        }
        guard keep.count < columns.count else { return self }
        var copy = self
        copy.columns = keep.map { columns[$0] }
        copy.rows = rows.map { row in keep.compactMap { $0 < row.count ? row[$0] : nil } }
        return copy
    }
}

extension ReportTable {
    /// The table with the text columns `keys` shown as one column (the first's place, the titles
    /// and values joined by " · "): for the page only, so a wide table fits an A4 page's width
    /// (the files keep every column).
    func mergingColumns(_ keys: [String]) -> ReportTable {
        let indices = keys.compactMap { key in columns.firstIndex { $0.key == key } }
        guard indices.count > 1, let first = indices.first else { return self }
        let merged = Set(indices.dropFirst())
        var copy = self
        copy.columns = columns.indices.filter { !merged.contains($0) }.map { i in
            guard i == first else { return columns[i] }
            return Column(key: columns[i].key, title: indices.map { columns[$0].title }.joined(separator: " · "))
        }
        copy.rows = rows.map { row in
            row.indices.filter { !merged.contains($0) }.map { i in
                guard i == first else { return row[i] }
                let parts = indices.compactMap { j -> String? in
                    guard j < row.count, case .text(let t) = row[j], !t.isEmpty else { return nil }
                    return t
                }
                return .text(parts.joined(separator: " · "))
            }
        }
        return copy
    }
}
