public import Federation
import Foundation
public import Indicators
internal import Storage

/// Builds what leaves the town's machine: the aggregate payload of the federation protocol
/// (`Federation/PROTOCOL.md`), from the daily and hourly sums only — never an interval row,
/// never a vendor device id (sensors appear as salted pseudonyms).
extension NodeStore {
    /// The pseudonym of a sensor: HMAC of the node's secret salt (never sent) and its id.
    func pseudonym(_ sensor: SensorInfo) throws -> String {
        guard let saltHex = try meta("sensor_salt"), let salt = Hex.decode(saltHex) else {
            throw NodeError(.noNode, "the node has no sensor salt; its store is damaged. Restore it from a backup")
        }
        return try SensorPseudonym.make(salt: salt, vendorKind: sensor.vendorKind.rawValue, vendorSensorID: sensor.name)
    }

    /// The flatline sensor-days (``FlatlineRule/v1``) of every sensor and measure with data, judged
    /// once over each sensor's whole history (``flatlineDays(sensor:measure:)``): what the aggregates
    /// leave out. One call per push, not per week: each judgement reads the sensor's history.
    public func flatlineSensorDays() throws -> FlatlineSensorDays {
        let sensors = Dictionary(try self.sensors().map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var result = FlatlineSensorDays()
        for row in try db.query("SELECT DISTINCT sensor_id, measure FROM daily ORDER BY 1, 2") {
            guard let sensor = sensors[try row.int64("sensor_id")], let measure = Measure(rawValue: try row.int("measure")) else { continue }
            let days = try flatlineDays(sensor: sensor, measure: measure)
            if !days.isEmpty { result.days[sensor.id, default: [:]][measure] = days }
        }
        return result
    }

    /// The zones of the aggregate payload for the local days `period`, after `network`'s privacy
    /// rules (default: ``defaultNetwork()``). Days without any data are left out.
    public func aggregateZones(period: ClosedRange<DayNumber>, network: Network? = nil) throws -> [AggregatePayload.Zone] {
        let network = try network ?? defaultNetwork()
        return applyPrivacy(of: network, to: try aggregateZones(period: period, flatlines: try flatlineSensorDays()), period: period)
    }

    /// `zones` as `network` may receive them: its privacy policy applied (PROTOCOL.md §5).
    /// Why apart: one push builds a week's zones once and applies each network's policy to them.
    func applyPrivacy(of network: Network, to zones: [AggregatePayload.Zone], period: ClosedRange<DayNumber>) -> [AggregatePayload.Zone] {
        let draft = AggregatePayload(tenantId: network.tenant, townId: settings.town, keyId: "", submissionId: "", sequence: 0,
                                     createdAt: "", period: .init(from: period.lowerBound.description, to: period.upperBound.description),
                                     timeZone: settings.timeZone, privacy: network.privacy, zones: zones)
        return network.privacy.apply(to: draft).zones
    }

    /// The zones of the aggregate payload BEFORE any privacy rule (see ``applyPrivacy(of:to:period:)``),
    /// leaving out `flatlines` (PROTOCOL.md §4.2): a flatline
    /// sensor-day is no `sensors[]` entry and counts in no zone total, hour or conversion pair,
    /// so the coordinator sees it as missing, as the node's own indicators do. The measure's cell
    /// stays (with no sensors, no total) when every sensor of it is flat that day, so that it
    /// supersedes a figure sent before the day was judged flat.
    func aggregateZones(period: ClosedRange<DayNumber>, flatlines: FlatlineSensorDays) throws -> [AggregatePayload.Zone] {
        let clock = LocalClock(timeZone: timeZone)
        let sensors = try self.sensors()
        let schoolHolidays = try self.schoolHolidays()
        let publicHolidays = try self.publicHolidays()
        let events = try self.events()
        var pseudonyms: [Int64: String] = [:]
        for sensor in sensors { pseudonyms[sensor.id] = try pseudonym(sensor) }
        let byName = Dictionary(sensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let hourlyStatement = try db.prepare("""
            SELECT day, hour, sum(total) FROM hourly WHERE measure = ? AND day BETWEEN ? AND ?
            AND sensor_id IN (SELECT value FROM json_each(?))
            AND (sensor_id || ':' || day) NOT IN (SELECT value FROM json_each(?)) GROUP BY day, hour
            """)
        var zones: [AggregatePayload.Zone] = []
        for zoneName in Set(sensors.map(\.zone)).sorted() {
            let zoneSensors = sensors.filter { $0.zone == zoneName }
            var days: [DayNumber: AggregatePayload.Day] = [:]
            func day(_ d: DayNumber) -> AggregatePayload.Day {
                days[d] ?? AggregatePayload.Day(date: d.description, flags: .init(
                    publicHoliday: publicHolidays.contains(d), schoolHoliday: schoolHolidays.contains(d),
                    events: events.filter { $0.zone == zoneName && $0.days.contains(d) }.map { .init(eventId: $0.id, kind: $0.kind) }))
            }
            // Measures: per-sensor day figures, the zone total and the 24 local hours.
            for measure in Measure.allCases {
                var perDay: [DayNumber: [AggregatePayload.SensorDay]] = [:]
                var flat: [String] = []  // "sensor id:day" of the flatline sensor-days, for the hourly query
                for sensor in zoneSensors {
                    for figure in try sensorDays(measure: measure, sensors: [sensor.id], days: period) {
                        guard !flatlines.contains(sensor: sensor.id, measure: measure, day: figure.day) else {
                            perDay[figure.day, default: []] += []  // the cell stays, without this sensor
                            flat.append("\"\(sensor.id):\(figure.day.rawValue)\"")
                            continue
                        }
                        perDay[figure.day, default: []].append(AggregatePayload.SensorDay(
                            sensor: pseudonyms[sensor.id] ?? "", vendorKind: sensor.vendorKind.rawValue, total: figure.total,
                            coveredMinutes: figure.coveredMinutes, expectedMinutes: figure.expectedMinutes,
                            uptimeMinutes: figure.uptimeMinutes, validHours: figure.validHours))
                    }
                }
                guard !perDay.isEmpty else { continue }
                var hourly: [DayNumber: [Double?]] = [:]
                let ids = "[" + zoneSensors.map { String($0.id) }.joined(separator: ",") + "]"
                try hourlyStatement.bind([.int(measure.rawValue), .int(period.lowerBound.rawValue), .int(period.upperBound.rawValue), .text(ids),
                                          .text("[" + flat.joined(separator: ",") + "]")])
                while try hourlyStatement.step() {
                    let d = DayNumber(Int(hourlyStatement.int64(at: 0)))
                    hourly[d, default: Array(repeating: nil, count: 24)][Int(hourlyStatement.int64(at: 1))] = hourlyStatement.double(at: 2)
                }
                for (d, entries) in perDay {
                    var dayValue = day(d)
                    let sorted = entries.sorted { $0.sensor < $1.sensor }
                    dayValue.measures.append(AggregatePayload.MeasureDay(
                        measure: measure.description, sensors: sorted,
                        total: sorted.isEmpty ? nil : sorted.reduce(0) { $0 + ($1.total ?? 0) },
                        hourly: hourly[d] ?? Array(repeating: nil, count: 24)))
                    days[d] = dayValue
                }
            }
            // Conversion pairs: a door counter and its street counter, on days both are valid (not flat either).
            for door in zoneSensors where door.kind == .entries {
                guard let streetName = door.pairedStreetSensor, let street = byName[streetName] else { continue }
                let entries = Dictionary(try sensorDays(measure: .entries, sensors: [door.id], days: period).map { ($0.day, $0) },
                                         uniquingKeysWith: { a, _ in a })
                for passing in try sensorDays(measure: .pedestrians, sensors: [street.id], days: period) {
                    guard let entry = entries[passing.day],
                          !flatlines.contains(sensor: door.id, measure: .entries, day: passing.day),
                          !flatlines.contains(sensor: street.id, measure: .pedestrians, day: passing.day),
                          ValidityRule.v1.isValid(entry.coverage, vendorKind: door.vendorKind),
                          ValidityRule.v1.isValid(passing.coverage, vendorKind: street.vendorKind) else { continue }
                    var dayValue = day(passing.day)
                    dayValue.conversions.append(.init(door: pseudonyms[door.id] ?? "", street: pseudonyms[street.id] ?? "",
                                                      entries: entry.total, passersBy: passing.total))
                    days[passing.day] = dayValue
                }
            }
            // Spending: per local day and sector.
            let firstInstant = clock.startOfDay(period.lowerBound), endInstant = clock.startOfDay(period.upperBound + 1)
            var spending: [DayNumber: [String: (Int, Int, Int)]] = [:]
            for row in try db.query("""
                SELECT s.start, s.sector, s.transactions, s.buyers, s.value_cents FROM spending s JOIN zones z ON z.id = s.zone_id
                WHERE z.name = ? AND s.start >= ? AND s.start < ?
                """, [.text(zoneName), .integer(firstInstant), .integer(endInstant)]) {
                let d = clock.local(try row.int64("start")).day, sector = try row.string("sector")
                let old = spending[d, default: [:]][sector] ?? (0, 0, 0)
                spending[d, default: [:]][sector] = (old.0 + (try row.int("transactions")), old.1 + (try row.int("buyers")),
                                                     old.2 + (try row.int("value_cents")))
            }
            for (d, sectors) in spending {
                var dayValue = day(d)
                dayValue.spending = sectors.keys.sorted().map { sector in
                    let s = sectors[sector] ?? (0, 0, 0)
                    return .init(sector: sector, transactions: s.0, buyers: s.1, valueCents: s.2)
                }
                days[d] = dayValue
            }
            // Issue 19's lots (LotIndicators.swift: lotDays).
            for (d, lots) in try lotDays(zone: zoneName, period: period, clock: clock) {
                var dayValue = day(d)
                (dayValue.parking, dayValue.visitorOrigin, dayValue.dwell) = (lots.parking, lots.origin, lots.dwell)
                days[d] = dayValue
            }
            guard !days.isEmpty else { continue }
            zones.append(.init(zoneId: zoneName, zoneKind: zoneSensors[0].zoneKind,
                               days: days.keys.sorted().compactMap { days[$0] }.map { day in
                                   var day = day
                                   day.measures.sort { (Measure(name: $0.measure)?.rawValue ?? 0) < (Measure(name: $1.measure)?.rawValue ?? 0) }
                                   day.conversions.sort { ($0.door, $0.street) < ($1.door, $1.street) }
                                   return day
                               }, openingHours: try openingHours(zone: zoneName, period: period)))
        }
        return zones
    }
}

/// Flatline sensor-days per sensor and measure (``NodeStore/flatlineSensorDays()``).
public struct FlatlineSensorDays: Sendable, Hashable {
    var days: [Int64: [Measure: Set<DayNumber>]] = [:]

    public init() {}

    /// Whether `sensor`'s `measure` is a flatline on `day`.
    public func contains(sensor: Int64, measure: Measure, day: DayNumber) -> Bool {
        days[sensor]?[measure]?.contains(day) ?? false
    }

    /// How many flatline sensor-days there are in all.
    public var count: Int { days.values.reduce(0) { $0 + $1.values.reduce(0) { $0 + $1.count } } }
}
