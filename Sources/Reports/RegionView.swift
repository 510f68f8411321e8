import Foundation

/// What part of the region report a reader asked for: a peer group, the towns table's order and
/// page. The served page carries them as plain links (`?group=…&sort=…&page=…`, no JavaScript).
///
/// Why: at 300 towns one page cannot show everything; the page shows every town as one dot, and
/// the table, the charts and the events of one group or one page of towns at a time (issue 17).
public struct RegionView: Sendable, Hashable {
    /// A column the towns table sorts by (`sort=` value; `-` in front means descending).
    public enum SortKey: String, Sendable, CaseIterable {
        case rank, town, index, change, completeness, status

        /// The direction a click on the column's header chooses first.
        var startsDescending: Bool { self == .index || self == .change }
    }

    /// A query parameter kept in every link of the page (period, weeks, language).
    public struct QueryItem: Sendable, Hashable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The chosen peer group's name, `nil` for all towns.
    public var group: String?
    public var sort: SortKey
    public var isDescending: Bool
    /// 1-based page of the towns table.
    public var page: Int
    /// Rows per page of the towns table.
    public var pageSize: Int
    /// Small multiples shown when no group is chosen (the highest-ranked towns).
    public var multiples: Int
    /// Query items every link keeps; `nil` for a static page (no links: the whole table, no paging).
    public var query: [QueryItem]?

    /// Rows per page unless asked otherwise.
    public static let defaultPageSize = 50
    /// Small multiples without a group.
    public static let defaultMultiples = 12
    /// Most small multiples of one group (the rest are in the table and the ranked chart).
    public static let maximumMultiples = 80
    /// Most rows of the events chart and table on the page (all are in the CSV and JSON).
    public static let maximumEventRows = 40

    public init(
        group: String? = nil, sort: SortKey = .rank, isDescending: Bool = false, page: Int = 1,
        pageSize: Int = defaultPageSize, multiples: Int = defaultMultiples, query: [QueryItem]? = nil
    ) {
        self.group = group
        self.sort = sort
        self.isDescending = isDescending
        self.page = max(1, page)
        self.pageSize = max(1, pageSize)
        self.multiples = max(0, multiples)
        self.query = query
    }

    /// The `sort` value of this view (`index`, `-index`).
    public var sortValue: String { (isDescending ? "-" : "") + sort.rawValue }

    /// A query-only href (`?…`) to this page with other choices; `nil` on a static page.
    func href(group: String??, sort: SortKey? = nil, isDescending: Bool? = nil, page: Int? = nil) -> String? {
        guard let query else { return nil }
        var items = query
        let chosenGroup = group ?? self.group
        if let chosenGroup { items.append(QueryItem(name: "group", value: chosenGroup)) }
        let key = sort ?? self.sort
        let descending = isDescending ?? (sort == nil ? self.isDescending : key.startsDescending)
        if key != .rank || descending { items.append(QueryItem(name: "sort", value: (descending ? "-" : "") + key.rawValue)) }
        let p = page ?? 1
        if p > 1 { items.append(QueryItem(name: "page", value: String(p))) }
        if items.isEmpty { return "?" }
        return "?" + items.map { Self.encode($0.name) + "=" + Self.encode($0.value) }.joined(separator: "&")
    }

    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}

extension RegionReport {
    /// The group of `view`, if it names one of the report's groups.
    func chosenGroup(_ view: RegionView) -> PeerGroupSummary? {
        guard let name = view.group else { return nil }
        return groups.first { $0.name == name }
    }

    /// The towns of the view's group (all towns without one), in the view's order: missing values
    /// last in either direction, then by name.
    func selectedTowns(_ view: RegionView) -> [TownFootfall] {
        let members = chosenGroup(view).map { Set($0.townIDs) }
        let chosen = members.map { m in towns.filter { m.contains($0.townID) } } ?? towns
        let coverageByTown = Dictionary(coverage.map { ($0.townID, $0) }, uniquingKeysWith: { a, _ in a })
        let severity: [CoverageStatus: Double] = [.missing: 0, .stale: 1, .partial: 2, .complete: 3]
        func key(_ t: TownFootfall) -> Double? {
            switch view.sort {
            case .rank: t.rank.map(Double.init)
            case .town: nil
            case .index: t.index
            case .change: t.change
            case .completeness: coverageByTown[t.townID]?.completeness
            case .status: coverageByTown[t.townID].flatMap { severity[$0.status] }
            }
        }
        let keyed = chosen.map { (town: $0, key: key($0).flatMap { $0.isFinite ? $0 : nil }) }
        return keyed.sorted { a, b in
            if view.sort == .town {
                let order = a.town.name.localizedStandardCompare(b.town.name)
                if order != .orderedSame { return view.isDescending ? order == .orderedDescending : order == .orderedAscending }
                return a.town.townID < b.town.townID
            }
            switch (a.key, b.key) {
            case let (x?, y?) where x != y: return view.isDescending ? x > y : x < y
            case (.some, nil): return true
            case (nil, .some): return false
            default: return (a.town.name, a.town.townID) < (b.town.name, b.town.townID)
            }
        }.map(\.town)
    }
}
