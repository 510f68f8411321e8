// The lots of issue 19 in a day of the aggregate payload: parking occupancy per site kind, visitor
// origin (small cells suppressed at the node) and the dwell-time histogram. All three members are
// optional and absent when nil (the node leaves them nil when it has no such data), so a payload
// without them is byte for byte what it was before (PROTOCOL.md §4.5).

extension AggregatePayload {
    /// A zone's parking sites of one kind on one local day: per local hour, Σ over the sites read
    /// in that hour of their mean occupied spaces and of their mean capacity (null: no reading).
    public struct ParkingDay: Codable, Sendable, Hashable {
        /// `garage` or `on-street`.
        public var kind: String
        public var sites: Int
        public var occupied: [Double?]
        public var capacity: [Double?]
        public init(kind: String, sites: Int, occupied: [Double?], capacity: [Double?]) {
            self.kind = kind
            self.sites = sites
            self.occupied = occupied
            self.capacity = capacity
        }
    }

    /// Visitors by origin class; a nil (absent) cell was suppressed (below `minimumCell`, or the
    /// smallest other one when only one was: `Indicators/visitor-origin.md`).
    public struct OriginDay: Codable, Sendable, Hashable {
        public var minimumCell: Int
        public var ownMunicipality: Int?
        public var neighbouring: Int?
        public var restOfProvince: Int?
        public var elsewhere: Int?
        public init(minimumCell: Int, ownMunicipality: Int?, neighbouring: Int?, restOfProvince: Int?, elsewhere: Int?) {
            self.minimumCell = minimumCell
            self.ownMunicipality = ownMunicipality
            self.neighbouring = neighbouring
            self.restOfProvince = restOfProvince
            self.elsewhere = elsewhere
        }
        var cells: [Int?] { [ownMunicipality, neighbouring, restOfProvince, elsewhere] }
    }

    /// One bin of the dwell-time histogram: visitors who stayed [fromMinutes, toMinutes) (no
    /// toMinutes: open-ended).
    public struct DwellBin: Codable, Sendable, Hashable {
        public var fromMinutes: Int
        public var toMinutes: Int?
        public var visitors: Int
        public init(fromMinutes: Int, toMinutes: Int?, visitors: Int) {
            self.fromMinutes = fromMinutes
            self.toMinutes = toMinutes
            self.visitors = visitors
        }
    }
}

extension RawJSON {
    var isNull: Bool { if case .null = self { true } else { false } }
}

/// Bounds of the lot figures (far above a real town; a unit mix-up is refused).
enum LotPayloadLimits {
    static let maximumSpaces = 1_000_000.0
    static let maximumVisitors = 100_000_000
    static let maximumDwellMinutes = 7 * 1440
}

extension AggregatePayload.Day {
    /// The members the lots add to a day's JSON (none when the day has no lot data).
    static let lotMembers = ["parking", "visitorOrigin", "dwell"]

    func addLots(to object: inout [String: JSONValue]) {
        if let parking {
            object["parking"] = .array(parking.map { p in
                .object(["kind": .string(p.kind), "sites": .number(Double(p.sites)),
                         "occupied": .array(p.occupied.map { JSONValue($0) }), "capacity": .array(p.capacity.map { JSONValue($0) })])
            })
        }
        if let o = visitorOrigin {
            // A suppressed cell is absent (as a suppressed spending figure is).
            var cells: [String: JSONValue] = ["minimumCell": .number(Double(o.minimumCell))]
            for (name, n) in [("ownMunicipality", o.ownMunicipality), ("neighbouring", o.neighbouring),
                              ("restOfProvince", o.restOfProvince), ("elsewhere", o.elsewhere)] {
                if let n { cells[name] = .number(Double(n)) }
            }
            object["visitorOrigin"] = .object(cells)
        }
        if let dwell {
            object["dwell"] = .array(dwell.map { b in
                var o: [String: JSONValue] = ["fromMinutes": .number(Double(b.fromMinutes)), "visitors": .number(Double(b.visitors))]
                if let to = b.toMinutes { o["toMinutes"] = .number(Double(to)) }
                return .object(o)
            })
        }
    }

    static func readLots(_ r: JSONObjectReader, path: JSONPath) throws(FederationError)
        -> (parking: [AggregatePayload.ParkingDay]?, origin: AggregatePayload.OriginDay?, dwell: [AggregatePayload.DwellBin]?) {
        func hours(_ values: [RawJSON], _ at: JSONPath) throws(FederationError) -> [Double?] {
            var out: [Double?] = []
            for v in values {
                switch v {
                case .null: out.append(nil)
                case .number(let d): out.append(d)
                default: throw JSONObjectReader.fail(at, "must hold numbers or null")
                }
            }
            return out
        }
        var parking: [AggregatePayload.ParkingDay]? = try r.optionalArray("parking") == nil ? nil : []
        for (i, p) in (try r.optionalArray("parking") ?? []).enumerated() {
            let at = JSONPath.element(path, "parking", i)
            let pr = try JSONObjectReader(p, path: at, allowed: ["kind", "sites", "occupied", "capacity"])
            parking?.append(.init(kind: try pr.string("kind"), sites: try pr.int("sites"),
                                 occupied: try hours(try pr.array("occupied"), .member(at, "occupied")),
                                 capacity: try hours(try pr.array("capacity"), .member(at, "capacity"))))
        }
        var origin: AggregatePayload.OriginDay?
        if let o = r["visitorOrigin"], !o.isNull {
            let at = JSONPath.member(path, "visitorOrigin")
            let or = try JSONObjectReader(o, path: at, allowed: ["minimumCell", "ownMunicipality", "neighbouring", "restOfProvince", "elsewhere"])
            origin = .init(minimumCell: try or.int("minimumCell"), ownMunicipality: try or.optionalInt("ownMunicipality"),
                           neighbouring: try or.optionalInt("neighbouring"), restOfProvince: try or.optionalInt("restOfProvince"),
                           elsewhere: try or.optionalInt("elsewhere"))
        }
        var dwell: [AggregatePayload.DwellBin]?
        if try r.optionalArray("dwell") != nil { dwell = [] }
        for (i, b) in (try r.optionalArray("dwell") ?? []).enumerated() {
            let br = try JSONObjectReader(b, path: .element(path, "dwell", i), allowed: ["fromMinutes", "toMinutes", "visitors"])
            dwell?.append(.init(fromMinutes: try br.int("fromMinutes"), toMinutes: try br.optionalInt("toMinutes"), visitors: try br.int("visitors")))
        }
        return (parking, origin, dwell)
    }

    /// The rules of the lot members; nil when they hold, else what is wrong.
    func lotProblem() -> String? {
        var kinds = Set<String>()
        for p in parking ?? [] {
            guard Identifier.isValid(p.kind), kinds.insert(p.kind).inserted else { return "parking kind \"\(p.kind.prefix(80))\" is invalid or repeated" }
            guard (1...100_000).contains(p.sites) else { return "parking \(p.kind): sites must be 1…100000" }
            guard p.occupied.count == 24, p.capacity.count == 24 else { return "parking \(p.kind): occupied and capacity must have 24 entries" }
            for hour in 0..<24 {
                switch (p.occupied[hour], p.capacity[hour]) {
                case (nil, nil): continue
                case (let o?, let c?):
                    guard o.isFinite, c.isFinite, o >= 0, o <= LotPayloadLimits.maximumSpaces, c > 0, c <= LotPayloadLimits.maximumSpaces else {
                        return "parking \(p.kind), hour \(hour): occupied must be 0…\(Int(LotPayloadLimits.maximumSpaces)) and capacity above 0"
                    }
                default: return "parking \(p.kind), hour \(hour): occupied and capacity are both given or both null"
                }
            }
        }
        if let o = visitorOrigin {
            guard (1...1_000_000).contains(o.minimumCell) else { return "visitorOrigin.minimumCell must be 1…1000000" }
            for case let n? in o.cells where !(n == 0 || (n >= o.minimumCell && n <= LotPayloadLimits.maximumVisitors)) {
                return "visitorOrigin: a cell of \(n) is below minimumCell \(o.minimumCell) (suppress it: null) or above \(LotPayloadLimits.maximumVisitors)"
            }
        }
        var previous: AggregatePayload.DwellBin?
        for b in dwell ?? [] {
            guard (0...LotPayloadLimits.maximumDwellMinutes).contains(b.fromMinutes), (0...LotPayloadLimits.maximumVisitors).contains(b.visitors),
                  b.toMinutes.map({ $0 > b.fromMinutes && $0 <= LotPayloadLimits.maximumDwellMinutes }) ?? true else {
                return "dwell bin from \(b.fromMinutes): minutes must be 0…\(LotPayloadLimits.maximumDwellMinutes) with toMinutes above fromMinutes, visitors 0…\(LotPayloadLimits.maximumVisitors)"
            }
            if let previous, previous.toMinutes != b.fromMinutes {
                return "dwell bins must be contiguous and in order (bin from \(b.fromMinutes) follows one ending at \(previous.toMinutes.map(String.init) ?? "open end"))"
            }
            previous = b
        }
        return nil
    }
}
