// The peer groups of the region and town pages (issue 17): the spread of the towns' footfall
// indices in the network and in each group, computed by the coordinator from the per-town
// figures; the pages only draw them.

/// How a set of towns' footfall indices spread: how many, the median and the quartiles.
///
/// Why: at 300 towns a reader compares a town with the middle half of the network (or of its
/// group), not with 299 lines.
public struct IndexSpread: Codable, Sendable, Hashable {
    /// Towns with an index.
    public var towns: Int
    /// `nil` when fewer towns than the tenant's minimum (the figure is withheld, as the network's).
    public var median: Double?
    /// Quartiles when at least 4 towns have an index.
    public var lowerQuartile: Double?
    public var upperQuartile: Double?

    public init(towns: Int, median: Double?, lowerQuartile: Double? = nil, upperQuartile: Double? = nil) {
        self.towns = towns
        self.median = median
        self.lowerQuartile = lowerQuartile
        self.upperQuartile = upperQuartile
    }
}

/// A peer group on the region page: its name, its towns and their spread.
///
/// Why: the provincial coordinator filters the 300-town page by group and compares the groups.
public struct PeerGroupSummary: Codable, Sendable, Hashable {
    public var name: String
    /// Town ids of the group (members of the tenant).
    public var townIDs: [String]
    public var spread: IndexSpread

    public init(name: String, townIDs: [String], spread: IndexSpread) {
        self.name = name
        self.townIDs = townIDs
        self.spread = spread
    }
}

/// One of a town's own peer groups on the town page: the group's spread and the town's place in it.
///
/// Why: "towns like us" is the group, not only the whole network; the page names no peer, only
/// the group's size and figures.
public struct PeerGroupComparison: Codable, Sendable, Hashable {
    public var name: String
    /// Towns in the group (the town included).
    public var members: Int
    public var spread: IndexSpread
    /// 1 = the highest index of the group; `nil` when the town has no index.
    public var rank: Int?

    public init(name: String, members: Int, spread: IndexSpread, rank: Int?) {
        self.name = name
        self.members = members
        self.spread = spread
        self.rank = rank
    }
}
