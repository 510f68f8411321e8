// The peer groups' figures on the report pages (issue 17), from the per-town indices the pages
// already have: one pass over the towns per group, no second indicator computation.
import Indicators
import Reports

extension ReportPages {
    /// The spread of the towns' footfall indices this period; the median is the network's own
    /// (``NetworkFigures``), the quartiles need at least 4 towns.
    static func networkSpread(_ inputs: Inputs) -> IndexSpread {
        let values = inputs.current.towns.compactMap(\.footfallIndex)
        let q = IndexQuantiles.of(values, minimum: inputs.current.minimumTowns)
        return IndexSpread(towns: q.count, median: inputs.current.footfall.medianIndex,
                           lowerQuartile: q.median == nil ? nil : q.lower, upperQuartile: q.median == nil ? nil : q.upper)
    }

    /// Each group's towns and the spread of their indices (withheld below the tenant's minimum
    /// number of towns, as the network's median).
    static func groupSummaries(_ inputs: Inputs) -> [PeerGroupSummary] {
        let index = indices(inputs)
        return inputs.groups.map { group in
            PeerGroupSummary(name: group.name, townIDs: group.towns, spread: spread(group.towns.compactMap { index[$0] ?? nil }, inputs))
        }
    }

    /// The groups `town` is in, each with its spread and the town's rank in it (1 = highest index).
    static func groupComparisons(_ inputs: Inputs, town: String) -> [PeerGroupComparison] {
        let index = indices(inputs)
        let own = index[town] ?? nil
        return inputs.groups.filter { $0.towns.contains(town) }.map { group in
            let values = group.towns.compactMap { index[$0] ?? nil }
            let rank = own.map { mine in values.filter { $0 > mine }.count + 1 }
            return PeerGroupComparison(name: group.name, members: group.towns.count, spread: spread(values, inputs), rank: rank)
        }
    }

    private static func indices(_ inputs: Inputs) -> [String: Double?] {
        Dictionary(inputs.current.towns.map { ($0.town, $0.footfallIndex.flatMap { $0.isFinite ? $0 : nil }) }, uniquingKeysWith: { a, _ in a })
    }

    private static func spread(_ values: [Double], _ inputs: Inputs) -> IndexSpread {
        let q = IndexQuantiles.of(values, minimum: inputs.current.minimumTowns)
        return IndexSpread(towns: q.count, median: q.median, lowerQuartile: q.lower, upperQuartile: q.upper)
    }
}
