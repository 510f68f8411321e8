// The indicators of the lots the towns buy besides counts: parking occupancy, visitor origin and
// dwell time (issue 19). Pure functions over already-localised inputs, like every formula here.

/// parking-occupancy v1: occupied ÷ capacity per local hour and day, the day's peak and the hours
/// at or above 85 % ("saturated"). `Indicators/parking-occupancy.md`.
public enum ParkingOccupancy: CatalogedIndicator {
    public static let id = "parking-occupancy"
    public static let version = 1
    /// An hour at or above this occupancy counts as saturated (the usual 85 % target of parking policy).
    public static let saturationThreshold = 0.85

    /// One reading of a site: occupied spaces out of `capacity`, at a local day and hour.
    public struct Observation: Sendable, Hashable {
        public var site: String
        public var day: DayNumber
        public var hour: Int
        public var occupied: Double
        public var capacity: Double
        public init(site: String, day: DayNumber, hour: Int, occupied: Double, capacity: Double) {
            self.site = site
            self.day = day
            self.hour = hour
            self.occupied = occupied
            self.capacity = capacity
        }
    }

    public struct Hour: Sendable, Equatable, Codable {
        public var day: DayNumber
        public var hour: Int
        /// Σ over the sites read in this hour of their mean occupied spaces and mean capacity.
        public var occupied: Double
        public var capacity: Double
        public var rate: Double
        public var sites: Int
    }

    public struct Day: Sendable, Equatable, Codable {
        public var day: DayNumber
        /// Mean of the day's hourly rates (hours without a reading are missing, not empty).
        public var meanRate: Double
        public var peakRate: Double
        public var peakHour: Int
        public var saturatedHours: Int
        public var observedHours: Int
    }

    public struct Result: Sendable, Equatable, Codable {
        public var hours: [Hour]
        public var days: [Day]
        /// The highest hourly rate of the period, nil without readings.
        public var peakRate: Double?
        public var saturatedHours: Int
        public var observedHours: Int
        /// Mean of the hourly rates of the period.
        public var meanRate: Double?
    }

    /// Per local hour: each site's readings in the hour are averaged, then the sites are pooled
    /// (Σ occupied ÷ Σ capacity); readings with a capacity ≤ 0 are ignored.
    public static func compute(_ observations: [Observation]) -> Result {
        struct Key: Hashable { var day: DayNumber; var hour: Int; var site: String }
        var perSite: [Key: (occupied: Double, capacity: Double, n: Double)] = [:]
        for o in observations where o.capacity > 0 && o.occupied.isFinite && o.capacity.isFinite && (0..<24).contains(o.hour) {
            perSite[Key(day: o.day, hour: o.hour, site: o.site), default: (0, 0, 0)].occupied += o.occupied
            perSite[Key(day: o.day, hour: o.hour, site: o.site)]?.capacity += o.capacity
            perSite[Key(day: o.day, hour: o.hour, site: o.site)]?.n += 1
        }
        struct HourKey: Hashable { var day: DayNumber; var hour: Int }
        var pooled: [HourKey: (occupied: Double, capacity: Double, sites: Int)] = [:]
        for (key, value) in perSite {
            let k = HourKey(day: key.day, hour: key.hour)
            let current = pooled[k] ?? (0, 0, 0)
            pooled[k] = (current.occupied + value.occupied / value.n, current.capacity + value.capacity / value.n, current.sites + 1)
        }
        let hours = pooled.map { key, v in
            Hour(day: key.day, hour: key.hour, occupied: v.occupied, capacity: v.capacity, rate: v.occupied / v.capacity, sites: v.sites)
        }.sorted { ($0.day, $0.hour) < ($1.day, $1.hour) }
        var days: [Day] = []
        for (day, group) in Dictionary(grouping: hours, by: \.day).sorted(by: { $0.key < $1.key }) {
            let peak = group.max { $0.rate < $1.rate || ($0.rate == $1.rate && $0.hour > $1.hour) }
            days.append(Day(day: day, meanRate: group.map(\.rate).reduce(0, +) / Double(group.count),
                            peakRate: peak?.rate ?? 0, peakHour: peak?.hour ?? 0,
                            saturatedHours: group.filter { $0.rate >= saturationThreshold }.count, observedHours: group.count))
        }
        return Result(hours: hours, days: days, peakRate: hours.map(\.rate).max(),
                      saturatedHours: hours.filter { $0.rate >= saturationThreshold }.count, observedHours: hours.count,
                      meanRate: hours.isEmpty ? nil : hours.map(\.rate).reduce(0, +) / Double(hours.count))
    }
}

/// visitor-origin v1: where a zone's visitors come from, as local share (own municipality) and
/// hinterland share (neighbouring municipalities), with small cells suppressed.
/// `Indicators/visitor-origin.md`.
public enum VisitorOrigin: CatalogedIndicator {
    public static let id = "visitor-origin"
    public static let version = 1

    /// The origin classes the wifi and camera vendors deliver.
    public enum OriginClass: String, CaseIterable, Sendable, Codable, Comparable {
        case ownMunicipality = "own-municipality"
        case neighbouring
        case restOfProvince = "rest-of-province"
        case elsewhere
        public static func < (a: Self, b: Self) -> Bool {
            allCases.firstIndex(of: a) ?? 0 < allCases.firstIndex(of: b) ?? 0
        }
    }

    public struct Cell: Sendable, Equatable, Codable {
        public var origin: OriginClass
        /// nil when suppressed.
        public var visitors: Int64?
    }

    public struct Result: Sendable, Equatable, Codable {
        /// nil when the total itself is below the minimum (then every cell is suppressed too).
        public var total: Int64?
        public var cells: [Cell]
        public var localShare: Double?
        public var hinterlandShare: Double?
        public var suppressedCells: Int
    }

    /// A cell with 1 to `minimumCell − 1` visitors is suppressed; when exactly one cell is, the
    /// smallest other non-zero cell is suppressed too, so the published total cannot reveal it.
    /// A share is withheld when its numerator cell is suppressed.
    public static func compute(_ visitors: [OriginClass: Int64], minimumCell: Int64) -> Result {
        let counts = OriginClass.allCases.map { (origin: $0, n: max(0, visitors[$0] ?? 0)) }
        let total = counts.reduce(Int64(0)) { $0.addingReportingOverflow($1.n).overflow ? Int64.max : $0 + $1.n }
        guard total >= minimumCell, total > 0 else {
            return Result(total: nil, cells: counts.map { Cell(origin: $0.origin, visitors: nil) }, localShare: nil,
                          hinterlandShare: nil, suppressedCells: counts.count)
        }
        var suppressed = Set(counts.filter { $0.n > 0 && $0.n < minimumCell }.map(\.origin))
        if suppressed.count == 1,
           let second = counts.filter({ $0.n > 0 && !suppressed.contains($0.origin) }).min(by: { ($0.n, $0.origin) < ($1.n, $1.origin) }) {
            suppressed.insert(second.origin)
        }
        func share(_ origin: OriginClass) -> Double? {
            suppressed.contains(origin) ? nil : Double(visitors[origin] ?? 0) / Double(total)
        }
        return Result(total: total, cells: counts.map { Cell(origin: $0.origin, visitors: suppressed.contains($0.origin) ? nil : $0.n) },
                      localShare: share(.ownMunicipality), hinterlandShare: share(.neighbouring), suppressedCells: suppressed.count)
    }
}

/// dwell-time v1: the median time visitors stay in a zone, from the vendor's dwell-time
/// histogram (linear within the median's bin). `Indicators/dwell-time.md`.
public enum DwellTime: CatalogedIndicator {
    public static let id = "dwell-time"
    public static let version = 1

    /// Visitors who stayed from `fromMinutes` (included) to `toMinutes` (excluded; nil = open-ended).
    public struct Bin: Sendable, Equatable, Hashable, Codable {
        public var fromMinutes: Int
        public var toMinutes: Int?
        public var visitors: Double
        public init(fromMinutes: Int, toMinutes: Int?, visitors: Double) {
            self.fromMinutes = fromMinutes
            self.toMinutes = toMinutes
            self.visitors = visitors
        }
    }

    public struct Result: Sendable, Equatable, Codable {
        public var visitors: Double
        /// The median in minutes; nil when it falls in the open-ended bin (then `medianAtLeast`) or there is none.
        public var medianMinutes: Double?
        /// The open-ended bin's lower edge, when the median falls in it.
        public var medianAtLeast: Int?
        /// Why there is no median.
        public var reason: String?
    }

    /// The grouped median `L + (N/2 − F) ÷ f × w` of contiguous bins starting anywhere ≥ 0.
    public static func median(_ bins: [Bin]) -> Result {
        let sorted = bins.sorted { $0.fromMinutes < $1.fromMinutes }
        let total = sorted.reduce(0) { $0 + max(0, $1.visitors) }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.toMinutes != b.fromMinutes {
            return Result(visitors: total, medianMinutes: nil, medianAtLeast: nil,
                          reason: "the bins are not contiguous (\(a.fromMinutes)–\(a.toMinutes.map(String.init) ?? "…") then \(b.fromMinutes)–…): the vendor's bins changed within the period")
        }
        guard total > 0 else { return Result(visitors: 0, medianMinutes: nil, medianAtLeast: nil, reason: "no visitors") }
        let half = total / 2
        var before = 0.0
        for bin in sorted {
            let f = max(0, bin.visitors)
            if f > 0 && before + f >= half {
                guard let upper = bin.toMinutes else {
                    return Result(visitors: total, medianMinutes: nil, medianAtLeast: bin.fromMinutes, reason: nil)
                }
                let width = Double(upper - bin.fromMinutes)
                return Result(visitors: total, medianMinutes: Double(bin.fromMinutes) + (half - before) / f * width,
                              medianAtLeast: nil, reason: nil)
            }
            before += f
        }
        return Result(visitors: total, medianMinutes: nil, medianAtLeast: nil, reason: "no visitors")
    }
}
