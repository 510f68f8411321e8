// The region page's view parameters (issue 17): `group`, `sort` and `page`, read and checked
// here so a bad link gets a page that says what to use instead.
import HTTPServer
import Reports

extension PageRoutes {
    /// The view `request` asks for on the region page of `report`. Throws `invalid_argument`
    /// (400) for an unknown sort or a page that does not exist, `not_found` (404) for a group the
    /// tenant does not have; each message names the values that work.
    static func regionView(_ request: HTTPRequest, report: RegionReport) throws -> RegionView {
        var view = RegionView(query: request.query.items.filter { !["group", "sort", "page"].contains($0.name) }
            .map { RegionView.QueryItem(name: $0.name, value: $0.value) })
        if let group = request.query["group"], !group.isEmpty {
            guard report.groups.contains(where: { $0.name == group }) else {
                let names = report.groups.map { "\"\($0.name)\"" }
                throw CoordinatorError(.notFound, "This tenant has no peer group \"\(group)\". "
                    + (names.isEmpty ? "It has no peer groups yet (`townbench-coordinator peer-groups set`)."
                                     : "Its groups: \(names.prefix(20).joined(separator: ", "))\(names.count > 20 ? ", …" : "")."))
            }
            view.group = group
        }
        if let sort = request.query["sort"], !sort.isEmpty {
            let descending = sort.hasPrefix("-")
            guard let key = RegionView.SortKey(rawValue: String(descending ? sort.dropFirst() : sort[...])) else {
                let keys = RegionView.SortKey.allCases.map(\.rawValue).joined(separator: ", ")
                throw CoordinatorError(.invalidArgument, "sort must be one of \(keys), with - in front for descending (e.g. sort=-index); not '\(sort)'.")
            }
            view.sort = key
            view.isDescending = descending
        }
        if let text = request.query["page"] {
            let towns = view.group.flatMap { g in report.groups.first { $0.name == g }?.townIDs.count } ?? report.towns.count
            let pages = max(1, (towns + view.pageSize - 1) / view.pageSize)
            guard let page = Int(text), (1...pages).contains(page) else {
                throw CoordinatorError(.invalidArgument, "page must be a whole number 1…\(pages) (\(towns) towns, \(view.pageSize) a page); not '\(text)'.")
            }
            view.page = page
        }
        return view
    }
}
