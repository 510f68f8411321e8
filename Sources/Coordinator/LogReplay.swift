import Federation
import Foundation
import Indicators

/// The daily rows one accepted payload contributes, in payload order.
///
/// Why one type: the SQLite and PostgreSQL stores insert exactly these rows, and `report
/// recompute` replays them from the log's entries; all of them must read a payload the same way,
/// or a recomputed report would differ from the published one.
struct PayloadRows {
    /// A (zone, day, measure) cell the payload covers; measure `""` is the zone-day record
    /// (flags and conversions). Supersession works per town and cell.
    struct Cell: Hashable {
        var zone: String
        var day: Int
        var measure: String
    }

    var zoneDays: [ZoneDayRow] = []
    /// Every measure's sensor rows (a payload carries each (zone, day, measure, sensor) once).
    var sensorDays: [SensorDayRow] = []
    var conversions: [ConversionDayRow] = []
    var cells: [Cell] = []

    init(_ payload: AggregatePayload) {
        let town = payload.townId
        for zone in payload.zones {
            for day in zone.days {
                guard let dayNumber = try? DayNumber(iso: day.date).rawValue else { continue }  // validated by the check
                zoneDays.append(ZoneDayRow(townID: town, zoneID: zone.zoneId, zoneKind: zone.zoneKind, day: dayNumber,
                                           publicHoliday: day.flags.publicHoliday, schoolHoliday: day.flags.schoolHoliday,
                                           events: day.flags.events))
                cells.append(Cell(zone: zone.zoneId, day: dayNumber, measure: ""))
                for measure in day.measures {
                    for sensor in measure.sensors {
                        sensorDays.append(SensorDayRow(
                            townID: town, zoneID: zone.zoneId, zoneKind: zone.zoneKind, day: dayNumber, measure: measure.measure,
                            sensor: sensor.sensor, vendorKind: sensor.vendorKind, total: sensor.suppressed ? nil : sensor.total,
                            coveredMinutes: sensor.coveredMinutes, expectedMinutes: sensor.expectedMinutes,
                            uptimeMinutes: sensor.uptimeMinutes, validHours: sensor.validHours))
                    }
                    cells.append(Cell(zone: zone.zoneId, day: dayNumber, measure: measure.measure))
                }
                for pair in day.conversions {
                    conversions.append(ConversionDayRow(
                        townID: town, zoneID: zone.zoneId, zoneKind: zone.zoneKind, day: dayNumber, door: pair.door,
                        street: pair.street, entries: pair.suppressed ? nil : pair.entries,
                        passersBy: pair.suppressed ? nil : pair.passersBy))
                }
            }
        }
    }

    /// How the stores keep a zone day's events: canonical JSON (`[]` for none).
    static func eventsText(_ events: [AggregatePayload.Event]) -> String {
        events.isEmpty ? "[]" : String(decoding: (try? CanonicalJSON.encode(events)) ?? Array("[]".utf8), as: UTF8.self)
    }
}

/// Re-derives a tenant's network inputs from its log entries alone.
///
/// Why: a report names the checkpoint it was computed from; replaying the entries up to that
/// size (checking they hash to its root) and computing again must give the published report
/// byte for byte (`townbench-coordinator report recompute`), or the store and the log disagree.
public enum LogReplay {
    /// Checks that `entries` (leaves 0..<n, in order) build the tree with `root`, then applies
    /// supersession (per town and cell the latest leaf wins: a correction replaces the figure,
    /// never the leaf) and returns the rows the stores' snapshot read would return, in its order.
    public static func inputs(entries: [LogEntry], root: [UInt8], measure: String, days: ClosedRange<Int>,
                              conversionDays: ClosedRange<Int>) throws -> NetworkInputs {
        var frontier = MerkleFrontier()
        for (i, entry) in entries.enumerated() {
            guard entry.leafIndex == UInt64(i) else {
                throw CoordinatorError(.storage, "The log's entries are not contiguous: leaf \(entry.leafIndex) where \(i) was expected.")
            }
            frontier.append(leafHash: Merkle.leafHash(entry.envelope))
        }
        guard frontier.rootHash == root else {
            throw CoordinatorError(.storage, "The log's \(entries.count) stored entries hash to \(Base64.encode(frontier.rootHash)), not to the checkpoint's root \(Base64.encode(root)): an entry was altered or the log rewritten.")
        }
        // Per (town, cell) the latest entry's rows.
        struct TownCell: Hashable {
            var town: String
            var cell: PayloadRows.Cell
        }
        var current: [TownCell: Int] = [:]
        var rows: [PayloadRows] = []
        var hourRows: [[ZoneHourRow]] = []
        var lotRows: [[ZoneLotRow]] = []
        for entry in entries {
            let payload: AggregatePayload
            do {
                let envelope = try Envelope(parsing: entry.envelope)
                payload = try AggregatePayload(verifiedBytes: envelope.payload)
            } catch {
                throw CoordinatorError(.storage, "Log entry \(entry.leafIndex) (\(entry.townID)/\(entry.submissionID)) does not parse: \(error).")
            }
            let extracted = PayloadRows(payload)
            for cell in extracted.cells { current[TownCell(town: payload.townId, cell: cell)] = rows.count }
            rows.append(extracted)
            hourRows.append(PayloadRows.zoneHours(payload))
            lotRows.append(PayloadRows.zoneLots(payload))
        }
        func isCurrent(_ town: String, _ zone: String, _ day: Int, _ measure: String, in index: Int) -> Bool {
            current[TownCell(town: town, cell: .init(zone: zone, day: day, measure: measure))] == index
        }
        var inputs = NetworkInputs(head: LogHead(size: frontier.size, rootHash: frontier.rootHash), sensorDays: [], zoneDays: [],
                                   conversions: [])
        // Sensor rows take their zone kind from the zone day of the same submission (as the stores' join does).
        for (i, extracted) in rows.enumerated() {
            var seenSensors = Set<String>()
            for row in extracted.sensorDays where row.measure == measure && days.contains(row.day)
                && isCurrent(row.townID, row.zoneID, row.day, measure, in: i) {
                // The stores keep the first of a repeated (zone, day, measure, sensor).
                guard seenSensors.insert("\(row.zoneID)\u{0}\(row.day)\u{0}\(row.sensor)").inserted else { continue }
                inputs.sensorDays.append(row)
            }
            var seenZones = Set<String>()
            for row in extracted.zoneDays where days.contains(row.day) && isCurrent(row.townID, row.zoneID, row.day, "", in: i) {
                guard seenZones.insert("\(row.zoneID)\u{0}\(row.day)").inserted else { continue }
                inputs.zoneDays.append(row)
            }
            var seenPairs = Set<String>()
            for row in extracted.conversions where conversionDays.contains(row.day)
                && isCurrent(row.townID, row.zoneID, row.day, "", in: i) {
                guard seenPairs.insert("\(row.zoneID)\u{0}\(row.day)\u{0}\(row.door)\u{0}\(row.street)").inserted else { continue }
                inputs.conversions.append(row)
            }
        }
        let hourDays = DayShapeNetwork.hourDays(days: days, conversionDays: conversionDays)
        for (i, extracted) in hourRows.enumerated() {
            var seen = Set<String>()
            for row in extracted where row.measure == DayShapeNetwork.measure && hourDays.contains(row.day)
                && isCurrent(row.townID, row.zoneID, row.day, row.measure, in: i) {
                guard seen.insert("\(row.zoneID)\u{0}\(row.day)").inserted else { continue }
                inputs.zoneHours.append(row)
            }
        }
        for (i, extracted) in lotRows.enumerated() {
            var seen = Set<String>()
            for row in extracted where conversionDays.contains(row.day) && isCurrent(row.townID, row.zoneID, row.day, "", in: i) {
                guard seen.insert("\(row.zoneID)\u{0}\(row.day)").inserted else { continue }
                inputs.zoneLots.append(row)
            }
        }
        inputs.zoneLots.sort { ($0.townID, $0.zoneID, $0.day) < ($1.townID, $1.zoneID, $1.day) }
        inputs.zoneHours.sort { ($0.townID, $0.zoneID, $0.day) < ($1.townID, $1.zoneID, $1.day) }
        inputs.sensorDays.sort { ($0.townID, $0.zoneID, $0.sensor, $0.day) < ($1.townID, $1.zoneID, $1.sensor, $1.day) }
        inputs.zoneDays.sort { ($0.townID, $0.zoneID, $0.day) < ($1.townID, $1.zoneID, $1.day) }
        inputs.conversions.sort {
            ($0.townID, $0.zoneID, $0.door, $0.day, $0.street) < ($1.townID, $1.zoneID, $1.door, $1.day, $1.street)
        }
        return inputs
    }
}
