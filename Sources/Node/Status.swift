import Foundation
public import Indicators
internal import Storage

/// What a node holds: its settings, zones, sensors and, per sensor, the data range and gaps.
/// `townbench-node status` prints it; `--json` gives these stable keys.
public struct NodeStatus: Codable, Sendable {
    public struct Sensor: Codable, Sendable {
        public var sensor: String
        public var zone: String
        public var kind: String
        public var vendor: String
        /// Interval rows stored.
        public var rows: Int
        /// First and last local day with data (ISO dates), nil when no data yet.
        public var firstDay: String?
        public var lastDay: String?
        /// Days between first and last with no data at all.
        public var missingDays: Int
        /// Days with some data but fewer covered minutes than the day has.
        public var incompleteDays: Int
        /// Days whose counts are all zero or stuck on one value while the sensor normally counts
        /// (the flatline rule): treated as missing by every local indicator.
        public var flatlineDays: Int
        /// Lasting level shifts (a counter moved or re-aimed?) by ``LevelShift``: pedestrian and
        /// entries sensors, the last 4 weeks against the 8 before, per day class; the `rule` says
        /// whether the sensor's own totals moved (`absolute`) or its share of its zone (`relativeToZone`).
        public var levelShifts: [LevelShift.Finding] = []
    }
    /// A network the node reports to, and its outbox.
    public struct NetworkLine: Codable, Sendable {
        public var network: String
        public var tenant: String
        public var coordinator: String?
        /// The pinned coordinator key's id, nil when none is pinned.
        public var coordinatorKeyID: String?
        public var minimumStoreEntries: Int
        public var minimumSpendingBuyers: Int
        public var queued: Int
        public var acknowledged: Int
        public var refused: Int
    }
    public struct Zone: Codable, Sendable {
        public var zone: String
        public var kind: String
        public var sensors: Int
    }
    public var town: String
    public var tenant: String
    public var timeZone: String
    public var keyID: String?
    public var networks: [NetworkLine]
    public var zones: [Zone]
    public var sensors: [Sensor]
    public var spendingRows: Int
    public var events: Int
    public var imports: Int
    /// Where the node's public holidays come from, in words (``PublicHolidays``).
    public var publicHolidays: String = ""
    /// The data beside the counts (parking, visitor origin, dwell time, weather, opening hours):
    /// why: an admin checks after an import that it landed and which days it covers.
    public var otherData: [DataSet] = []

    /// One kind of data beside the counts: its stored rows and the local days they cover.
    public struct DataSet: Codable, Sendable, Equatable {
        /// `parking-occupancy`, `visitor-origin`, `dwell-time`, `weather`, `opening-hours`.
        public var data: String
        public var rows: Int
        /// First and last local day (ISO dates); nil without rows or for data without days.
        public var firstDay: String?
        public var lastDay: String?
        /// What the rows belong to (e.g. "2 parking site(s)"), when it helps.
        public var detail: String?
    }
}

extension NodeStore {
    /// Collects the node's status. Reads the daily sums only, never the interval rows' values.
    public func status() throws -> NodeStatus {
        let clock = LocalClock(timeZone: timeZone)
        let zones = try db.query("""
            SELECT z.name AS zone, z.kind AS kind, count(s.id) AS sensors FROM zones z LEFT JOIN sensors s ON s.zone_id = z.id
            GROUP BY z.id ORDER BY z.name
            """).map { NodeStatus.Zone(zone: try $0.string("zone"), kind: try $0.string("kind"), sensors: try $0.int("sensors")) }
        var sensors: [NodeStatus.Sensor] = []
        let allSensors = try self.sensors()
        let levelTotals = try levelShiftTotals(allSensors)
        for row in try db.query("""
            SELECT s.id AS id, s.name AS sensor, z.name AS zone, s.kind AS kind, s.vendor AS vendor
            FROM sensors s JOIN zones z ON z.id = s.zone_id ORDER BY s.name
            """) {
            let id = try row.int64("id")
            let rows = try db.queryFirst("SELECT count(*) AS n FROM counts WHERE sensor_id = ?", [.integer(id)])?.int("n") ?? 0
            // Coverage per day: the best-covered measure/direction of that day.
            let days = try db.query("""
                SELECT day, max(covered_minutes) AS covered FROM daily WHERE sensor_id = ? GROUP BY day ORDER BY day
                """, [.integer(id)])
            var status = NodeStatus.Sensor(sensor: try row.string("sensor"), zone: try row.string("zone"), kind: try row.string("kind"),
                                           vendor: try row.string("vendor"), rows: rows, missingDays: 0, incompleteDays: 0, flatlineDays: 0)
            if let first = days.first, let last = days.last {
                let firstDay = DayNumber(try first.int("day")), lastDay = DayNumber(try last.int("day"))
                status.firstDay = firstDay.description
                status.lastDay = lastDay.description
                status.missingDays = (lastDay.rawValue - firstDay.rawValue + 1) - days.count
                status.incompleteDays = try days.filter { try $0.int("covered") < clock.minutesInDay(DayNumber(try $0.int("day"))) }.count
            }
            if let info = allSensors.first(where: { $0.id == id }) {
                var flat: Set<DayNumber> = []
                for measure in Measure.allCases { flat.formUnion(try flatlineDays(sensor: info, measure: measure)) }
                status.flatlineDays = flat.count
                if let last = status.lastDay.flatMap({ try? DayNumber(iso: $0) }) {
                    status.levelShifts = try levelShifts(sensor: info, lastDay: last, sensors: allSensors, totals: levelTotals)
                }
            }
            sensors.append(status)
        }
        var result = NodeStatus(
            town: settings.town, tenant: settings.tenant, timeZone: settings.timeZone, keyID: try meta("key_id"),
            networks: try networks().map { network in
                let counts = Dictionary(try db.query("SELECT state, count(*) AS n FROM outbox WHERE network = ? GROUP BY state",
                                                     [.text(network.name)]).map { (try $0.string("state"), try $0.int("n")) },
                                        uniquingKeysWith: +)
                return NodeStatus.NetworkLine(
                    network: network.name, tenant: network.tenant, coordinator: network.coordinator?.absoluteString,
                    coordinatorKeyID: (try? pinnedKey(of: network))?.keyID, minimumStoreEntries: network.privacy.minimumStoreEntries,
                    minimumSpendingBuyers: network.privacy.minimumSpendingBuyers, queued: counts["queued"] ?? 0,
                    acknowledged: counts["acknowledged"] ?? 0, refused: counts["refused"] ?? 0)
            },
            zones: zones, sensors: sensors,
            spendingRows: try db.queryFirst("SELECT count(*) AS n FROM spending")?.int("n") ?? 0,
            events: try db.queryFirst("SELECT count(*) AS n FROM events")?.int("n") ?? 0,
            imports: try db.queryFirst("SELECT count(*) AS n FROM imports")?.int("n") ?? 0)
        let holidays = try publicHolidays()
        let years = holidays.importedByYear.keys.sorted().map(String.init).joined(separator: ", ")
        let otherwise = holidays.defaultCalendar == .belgian
            ? "the Belgian calendar (computed)"
            : "none (the Belgian calendar applies only in Europe/Brussels): import them with `import --format public-holidays`"
        result.publicHolidays = years.isEmpty ? otherwise : "imported for \(years); other years \(otherwise)"
        result.otherData = try otherData(clock: clock)
        return result
    }

    /// Rows and day ranges of the data beside the counts (one aggregate query each).
    func otherData(clock: LocalClock) throws -> [NodeStatus.DataSet] {
        func range(_ first: Int?, _ last: Int?) -> (String?, String?) {
            (first.map { DayNumber($0).description }, last.map { DayNumber($0).description })
        }
        var sets: [NodeStatus.DataSet] = []
        if let row = try db.queryFirst("SELECT count(*) AS n, min(time) AS first, max(time) AS last FROM parking_occupancy") {
            let sites = try db.queryFirst("SELECT count(*) AS n FROM parking_sites")?.int("n") ?? 0
            let first = try row.optionalInt64("first").map { clock.local($0).day.description }
            let last = try row.optionalInt64("last").map { clock.local($0).day.description }
            sets.append(.init(data: "parking-occupancy", rows: try row.int("n"), firstDay: first, lastDay: last,
                              detail: "\(sites) parking site(s)"))
        }
        for (name, table) in [("visitor-origin", "visitor_origin"), ("dwell-time", "dwell_time"), ("weather", "weather")] {
            guard let row = try db.queryFirst("SELECT count(*) AS n, min(day) AS first, max(day) AS last FROM \(table)") else { continue }
            let (first, last) = range(try row.optionalInt64("first").map { Int($0) }, try row.optionalInt64("last").map { Int($0) })
            sets.append(.init(data: name, rows: try row.int("n"), firstDay: first, lastDay: last, detail: nil))
        }
        if let row = try db.queryFirst("SELECT count(*) AS n, count(DISTINCT zone_id) AS zones FROM opening_hours") {
            sets.append(.init(data: "opening-hours", rows: try row.int("n"), firstDay: nil, lastDay: nil,
                              detail: "\(try row.int("zones")) zone(s)"))
        }
        return sets
    }
}

extension NodeStatus {
    /// The status as an aligned text table for a terminal.
    public var text: String {
        var out = "Town \(town) in tenant \(tenant), time zone \(timeZone)\n"
        if let keyID { out += "Signing key \(keyID)\n" }
        out += "\n\(networks.count) network(s):\n"
        for n in networks {
            out += "  \(n.network): tenant \(n.tenant), coordinator \(n.coordinator ?? "not set"), key \(n.coordinatorKeyID ?? "not pinned"), "
                + "privacy ≥ \(n.minimumStoreEntries) entries / ≥ \(n.minimumSpendingBuyers) buyers; "
                + "outbox \(n.queued) queued, \(n.acknowledged) acknowledged, \(n.refused) refused\n"
        }
        out += "Public holidays: \(publicHolidays)\n"
        out += "\n\(zones.count) zone(s):\n"
        for zone in zones { out += "  \(zone.zone) (\(zone.kind)): \(zone.sensors) sensor(s)\n" }
        out += "\n\(sensors.count) sensor(s):\n"
        let table = [["sensor", "zone", "kind", "vendor", "rows", "from", "to", "missing days", "incomplete days", "flatline days"]] + sensors.map {
            [$0.sensor, $0.zone, $0.kind, $0.vendor, String($0.rows), $0.firstDay ?? "-", $0.lastDay ?? "-",
             String($0.missingDays), String($0.incompleteDays), String($0.flatlineDays)]
        }
        let widths = (0..<table[0].count).map { column in table.map { $0[column].count }.max() ?? 0 }
        for line in table {
            out += "  " + zip(line, widths).map { $0 + String(repeating: " ", count: $1 - $0.count) }.joined(separator: "  ") + "\n"
        }
        for sensor in sensors {
            for shift in sensor.levelShifts {
                switch shift.rule {
                case .absolute:
                    out += "  level shift: \(sensor.sensor) \(shift.dayClass.rawValue) days \(shift.from) – \(shift.to) median "
                        + String(format: "%.0f, the 8 weeks before %.0f (×%.2f)", shift.recentMedian, shift.previousMedian, shift.ratio)
                case .relativeToZone:
                    out += "  level shift relative to zone \(sensor.zone): \(sensor.sensor) \(shift.dayClass.rawValue) days \(shift.from) – \(shift.to) "
                        + String(format: "median share %.3f, the 8 weeks before %.3f (×%.2f)", shift.recentMedian, shift.previousMedian, shift.ratio)
                }
                out += "; moved or re-aimed? Check the counter\n"
            }
        }
        out += "\nSpending rows: \(spendingRows)   Events: \(events)   Imports: \(imports)\n"
        if !otherData.isEmpty {
            out += "\nOther data:\n"
            for set in otherData {
                let days = set.firstDay.map { "\($0) – \(set.lastDay ?? $0)" } ?? (set.rows > 0 ? "" : "none imported")
                out += "  \(set.data): \(set.rows) row(s)" + (days.isEmpty ? "" : ", \(days)") + (set.detail.map { " (\($0))" } ?? "") + "\n"
            }
        }
        return out
    }
}

extension NodeStore {
    /// The valid daily totals ``LevelShift`` reads, per pedestrian or entries sensor id, over the
    /// node's whole data range: computed once, as each sensor is also every zone-mate's reference.
    func levelShiftTotals(_ sensors: [SensorInfo]) throws -> [Int64: [DayNumber: Double]] {
        guard let range = try dataRange() else { return [:] }
        var result: [Int64: [DayNumber: Double]] = [:]
        for sensor in sensors {
            let measure: Measure
            switch sensor.kind {
            case .pedestrian: measure = .pedestrians
            case .entries: measure = .entries
            default: continue
            }
            let panel = try dailyPanel(rows: [(sensor, measure)], days: range)
            var totals: [DayNumber: Double] = [:]
            for day in range where panel.isValid(sensor: 0, day: day) { totals[day] = panel.total(sensor: 0, day: day) }
            result[sensor.id] = totals
        }
        return result
    }

    /// ``LevelShift`` findings for a pedestrian or entries sensor whose last day with data is
    /// `lastDay`: the absolute rule, then the rule relative to its zone-mates (the other sensors of
    /// its zone and kind among `sensors`), `totals` by ``levelShiftTotals(_:)``.
    func levelShifts(sensor: SensorInfo, lastDay: DayNumber, sensors: [SensorInfo], totals: [Int64: [DayNumber: Double]]) throws -> [LevelShift.Finding] {
        guard let own = totals[sensor.id] else { return [] }
        let zoneMates = sensors.filter { $0.zone == sensor.zone && $0.kind == sensor.kind && $0.id != sensor.id }.compactMap { totals[$0.id] }
        let holidays = try publicHolidays()
        return LevelShift.detect(own, lastDay: lastDay, holidays: holidays)
            + LevelShift.detectRelativeToZone(own, zoneMates: zoneMates, lastDay: lastDay, holidays: holidays)
    }
}
