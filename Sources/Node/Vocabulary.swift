/// What a count measures. Stored as a small integer code (B-tree keys stay small, so imports stay fast);
/// the names are the ones the input formats use.
public enum Measure: Int, CaseIterable, Sendable, CustomStringConvertible {
    /// People passing or present in a street (passanten).
    case pedestrians = 1
    /// People entering a shop or bar (binnenstappers).
    case entries = 2
    /// People leaving a shop or bar.
    case exits = 3
    case bikes = 4
    case cars = 5
    /// Heavy vehicles (vans, lorries, buses; Telraam's `heavy`).
    case heavy = 6
    case motorcycles = 7
    /// People present in a zone at once (radio-based density counters such as CrowdScan).
    case presence = 8

    public var description: String {
        switch self {
        case .pedestrians: "pedestrians"
        case .entries: "entries"
        case .exits: "exits"
        case .bikes: "bikes"
        case .cars: "cars"
        case .heavy: "heavy"
        case .motorcycles: "motorcycles"
        case .presence: "presence"
        }
    }

    public init?(name: String) {
        guard let match = Measure.allCases.first(where: { $0.description == name }) else { return nil }
        self = match
    }

    static let namesList = Measure.allCases.map(\.description).joined(separator: ", ")
}

/// The direction slice a count row covers. A row without a direction is the whole flow; a
/// direction splits it (a sensor's total for an interval is the sum of its slices).
public enum Direction: Int, CaseIterable, Sendable, CustomStringConvertible {
    case all = 0
    case inbound = 1
    case outbound = 2
    /// Telraam's `_lft` split (left of the camera's view).
    case left = 3
    /// Telraam's `_rgt` split.
    case right = 4

    public var description: String {
        switch self {
        case .all: ""
        case .inbound: "in"
        case .outbound: "out"
        case .left: "lft"
        case .right: "rgt"
        }
    }

    public init?(name: String) {
        guard let match = Direction.allCases.first(where: { $0.description == name }) else { return nil }
        self = match
    }

    static let namesList = "in, out, lft, rgt (or empty for the whole flow)"
}

/// What a sensor counts (the framework contract's four lots).
public enum SensorKind: String, CaseIterable, Sendable {
    case pedestrian, vehicle, entries, spending
}

/// What kind of place a zone is; peers are compared within a zone kind.
public enum ZoneKind: String, CaseIterable, Sendable {
    case coreShopping = "core-shopping"
    case marketSquare = "market-square"
    case retailPark = "retail-park"
    case businessPark = "business-park"
    case touristSite = "tourist-site"
    case accessRoad = "access-road"
    case other
}

extension CaseIterable where Self: RawRepresentable, RawValue == String {
    static var namesList: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
