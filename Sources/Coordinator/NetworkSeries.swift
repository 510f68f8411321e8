import Federation
public import Indicators

/// One town's daily panel over the days a computation loads: exactly what
/// ``NetworkIndicators/townPanel(_:days:)`` builds from that town's sensor-day rows.
public struct TownSeries: Sendable {
    public var panel: DailyPanel
    /// Panel rows: (zone, pseudonymous sensor), sorted.
    public var sensors: [(zone: String, sensor: String)]
    /// The last loaded day with a stored total (a suppressed total is none); nil if none.
    public var lastReportedDay: DayNumber?
    /// Distinct sensor ids (across zones) with at least one stored total on the loaded days.
    public var reportingSensors: Int
}

/// What the network computation reads, as numbers (issue 17): one panel per town with data, the
/// zone days that carry events or a school or public holiday (the only zone days the computation
/// uses: event uplift, v2's town calendars and the day shape's day types), conversions, the hourly zone rows (issue 20) and the
/// zone-day lots (issue 19).
///
/// Why not ``NetworkInputs``: a row per sensor-day with its strings was most of the time and
/// memory at 300 towns; the SQLite store fills this from one packed row per current cell.
public struct NetworkSeries: Sendable {
    public var head: LogHead
    public var days: ClosedRange<DayNumber>
    public var towns: [String: TownSeries]
    public var eventDays: [ZoneDayRow]
    public var conversions: [ConversionDayRow]
    /// The hourly zone rows over ``DayShapeNetwork/hourDays(days:conversionDays:)`` (the day shape).
    public var zoneHours: [ZoneHourRow]
    /// The current zone-day lots over the conversion days (issue 19: parking, origin, dwell).
    public var zoneLots: [ZoneLotRow]

    /// The series of rows read the old way (a store without packed series, or a replayed log).
    public init(_ inputs: NetworkInputs, days: ClosedRange<DayNumber>) throws {
        var builder = SeriesBuilder(days: days)
        for row in inputs.sensorDays {
            let handle = builder.sensor(town: row.townID, zone: row.zoneID, sensor: row.sensor, vendorKind: row.vendorKind)
            builder.add(handle, day: row.day, total: row.total, covered: row.coveredMinutes, expected: row.expectedMinutes,
                        uptime: row.uptimeMinutes, validHours: row.validHours)
        }
        self.init(head: inputs.head, days: days, towns: try builder.build(),
                  eventDays: inputs.zoneDays.filter(\.isReadByNetworkFigures), conversions: inputs.conversions,
                  zoneHours: inputs.zoneHours, zoneLots: inputs.zoneLots)
    }

    public init(head: LogHead, days: ClosedRange<DayNumber>, towns: [String: TownSeries], eventDays: [ZoneDayRow],
                conversions: [ConversionDayRow], zoneHours: [ZoneHourRow] = [], zoneLots: [ZoneLotRow] = []) {
        self.head = head
        self.days = days
        self.towns = towns
        self.eventDays = eventDays
        self.conversions = conversions
        self.zoneHours = zoneHours
        self.zoneLots = zoneLots
    }
}

/// Builds each town's ``TownSeries`` from sensor days in any order, with the same rules as
/// ``NetworkIndicators/townPanel(_:days:)`` (a sensor seen on a loaded day gets a row even without
/// a usable total; a total beyond the intake bound counts as no data).
struct SeriesBuilder {
    /// A registered (town, zone, sensor, vendor kind): resolved once, used per sensor-day.
    struct Handle {
        var town: Int
        var key: Int
        var kind: VendorKind
    }
    private struct SensorKey: Hashable {
        var zone: String
        var sensor: String
    }
    private struct Entry {
        var key: Int32
        var day: Int32
        var total: Double
        var valid: Bool
    }
    private struct Town {
        var keys: [(zone: String, sensor: String)] = []
        var keyIndex: [SensorKey: Int] = [:]
        var present: [Bool] = []
        /// Per key: a stored total was seen (names counted once at the end, not hashed per row).
        var reported: [Bool] = []
        var entries: [Entry] = []
        var lastReported: Int?
    }

    let days: ClosedRange<DayNumber>
    private var townIDs: [String] = []
    private var townIndex: [String: Int] = [:]
    private var towns: [Town] = []
    private var kinds: [String: VendorKind] = [:]

    init(days: ClosedRange<DayNumber>) { self.days = days }

    mutating func sensor(town: String, zone: String, sensor: String, vendorKind: String) -> Handle {
        let t: Int
        if let known = townIndex[town] {
            t = known
        } else {
            t = towns.count
            townIndex[town] = t
            townIDs.append(town)
            towns.append(Town())
        }
        let key = SensorKey(zone: zone, sensor: sensor)
        let k: Int
        if let known = towns[t].keyIndex[key] {
            k = known
        } else {
            k = towns[t].keys.count
            towns[t].keyIndex[key] = k
            towns[t].keys.append((zone, sensor))
            towns[t].present.append(false)
            towns[t].reported.append(false)
        }
        let kind: VendorKind
        if let known = kinds[vendorKind] {
            kind = known
        } else {
            kind = VendorKind(rawValue: vendorKind) ?? VendorKind(vendor: vendorKind)
            kinds[vendorKind] = kind
        }
        return Handle(town: t, key: k, kind: kind)
    }

    mutating func add(_ handle: Handle, day: Int, total: Double?, covered: Int, expected: Int, uptime: Int, validHours: Int) {
        towns[handle.town].present[handle.key] = true
        guard let total else { return }
        towns[handle.town].lastReported = max(towns[handle.town].lastReported ?? day, day)
        towns[handle.town].reported[handle.key] = true
        guard AggregateLimits.countProblem(total, bound: AggregateLimits.maximumSensorDayCount) == nil,
              days.contains(DayNumber(day)), let key = Int32(exactly: handle.key), let day32 = Int32(exactly: day) else { return }
        let coverage = SensorDayCoverage(coveredMinutes: Double(covered), uptimeMinutes: Double(uptime), validHours: validHours,
                                         expectedMinutes: expected)
        towns[handle.town].entries.append(Entry(key: key, day: day32, total: total,
                                                valid: ValidityRule.v1.isValid(coverage, vendorKind: handle.kind)))
    }

    func build() throws -> [String: TownSeries] {
        var out: [String: TownSeries] = [:]
        out.reserveCapacity(towns.count)
        let dayCount = days.upperBound.rawValue - days.lowerBound.rawValue + 1
        for (t, town) in towns.enumerated() where town.present.contains(true) {
            let order = town.keys.indices.filter { town.present[$0] }
                .sorted { (town.keys[$0].zone, town.keys[$0].sensor) < (town.keys[$1].zone, town.keys[$1].sensor) }
            var position = [Int](repeating: -1, count: town.keys.count)
            for (final, provisional) in order.enumerated() { position[provisional] = final }
            var panel = try DailyPanel(firstDay: days.lowerBound, dayCount: dayCount, sensorCount: order.count)
            for entry in town.entries {
                try panel.set(sensor: position[Int(entry.key)], day: DayNumber(Int(entry.day)), total: entry.total, isValid: entry.valid)
            }
            out[townIDs[t]] = TownSeries(panel: panel, sensors: order.map { town.keys[$0] },
                                         lastReportedDay: town.lastReported.map(DayNumber.init),
                                         reportingSensors: Set(town.keys.indices.filter { town.reported[$0] }.map { town.keys[$0].sensor }).count)
        }
        return out
    }
}

extension CoordinatorStore {
    /// Default: the rows of ``networkInputs(measure:days:conversionDays:_:)`` turned into panels.
    /// The SQLite store overrides it with its packed series.
    public func networkSeries(measure: String, days: ClosedRange<Int>, values: [ClosedRange<Int>]?, conversionDays: ClosedRange<Int>,
                              _ scope: TenantScope) throws -> NetworkSeries {
        let inputs = try networkInputs(measure: measure, days: days, conversionDays: conversionDays, scope)
        return try NetworkSeries(inputs, days: DayNumber(days.lowerBound)...DayNumber(days.upperBound))
    }
}

extension DailyPanel {
    /// The same sensors over `days`: the days outside this panel missing. Why: one read serves
    /// several periods (the region page's current and previous periods and weekly series).
    func slice(_ days: ClosedRange<DayNumber>) throws -> DailyPanel {
        let count = days.upperBound.rawValue - days.lowerBound.rawValue + 1
        var out = try DailyPanel(firstDay: days.lowerBound, dayCount: count, sensorCount: sensorCount)
        let first = max(days.lowerBound.rawValue, firstDay.rawValue)
        let last = min(days.upperBound.rawValue, firstDay.rawValue + dayCount - 1)
        guard first <= last else { return out }
        for sensor in 0..<sensorCount {
            for day in first...last {
                let d = DayNumber(day)
                if let total = total(sensor: sensor, day: d) { try out.set(sensor: sensor, day: d, total: total, isValid: true) }
            }
        }
        return out
    }

    func covers(_ days: ClosedRange<DayNumber>) -> Bool {
        firstDay == days.lowerBound && dayCount == days.upperBound.rawValue - days.lowerBound.rawValue + 1
    }
}
