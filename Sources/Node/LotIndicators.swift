// parking-occupancy, visitor-origin and dwell-time from the node's own data (issue 19): the
// `indicators` command's part for the lots that are not sensor counts.
import Foundation
public import Indicators
internal import Federation
internal import Storage

/// parking-occupancy for one kind of site (garages and on-street zones are never pooled).
public struct ParkingOccupancyReport: Codable, Sendable {
    public var kind: String
    public var sites: [String]
    public var result: ParkingOccupancy.Result
}

extension NodeStore {
    /// The tenant's minimum for an origin cell (`configure --min-origin-visitors`, default 10).
    public var minimumOriginVisitors: Int64 {
        get throws { Int64(try meta("privacy_min_origin_visitors") ?? "") ?? 10 }
    }

    /// Computes parking-occupancy, visitor-origin or dwell-time; nil for any other indicator.
    func lotIndicator(_ query: IndicatorQuery, entry: IndicatorCatalog.Entry) throws -> LocalIndicatorReport? {
        guard [ParkingOccupancy.id, VisitorOrigin.id, DwellTime.id].contains(entry.id) else { return nil }
        var zoneID: Int64?
        if let zone = query.zone {
            guard let row = try db.queryFirst("SELECT id FROM zones WHERE name = ?", [.text(zone)]) else {
                throw NodeError(.invalidArgument, "unknown zone '\(zone)'; `townbench-node status` lists the zones")
            }
            zoneID = try row.int64(0)
        }
        var report = LocalIndicatorReport(indicator: entry.id, version: entry.version, town: settings.town, zone: query.zone)
        let clock = LocalClock(timeZone: timeZone)
        func period(lastDay: DayNumber?, what: String, format: String) throws -> (DayNumber, DayNumber) {
            guard let last = query.to ?? lastDay else {
                throw NodeError(.invalidArgument, "the node holds no \(what)\(query.zone.map { " for zone '\($0)'" } ?? "") yet; import it with `townbench-node import --format \(format)`")
            }
            let from = query.from ?? (last - 27)
            guard from <= last else { throw NodeError(.invalidArgument, "--from \(from) is after --to \(last)") }
            report.period = .init(from: from, to: last)
            return (from, last)
        }
        let zoneFilter = zoneID.map { " AND zone_id = \($0)" } ?? ""
        switch entry.id {
        case ParkingOccupancy.id:
            let lastTime = try db.queryFirst("SELECT max(o.time) FROM parking_occupancy o JOIN parking_sites s ON s.id = o.site_id WHERE 1 = 1\(zoneFilter)")?.optionalInt64(0)
            let (from, to) = try period(lastDay: lastTime.map { clock.local($0).day }, what: "parking readings", format: "parking or parking-datex")
            // One day of margin each side: local days are not UTC days.
            let rows = try db.query("""
                SELECT s.name, s.kind, o.time, o.occupied, o.capacity FROM parking_occupancy o JOIN parking_sites s ON s.id = o.site_id
                WHERE o.time >= ? AND o.time < ?\(zoneFilter) ORDER BY s.name, o.time
                """, [.integer(Int64(from.rawValue - 1) * 86_400), .integer(Int64(to.rawValue + 2) * 86_400)])
            var byKind: [String: (sites: Set<String>, observations: [ParkingOccupancy.Observation])] = [:]
            for row in rows {
                let local = clock.local(try row.int64(2))
                guard local.day >= from && local.day <= to else { continue }
                let kind = try row.string(1), site = try row.string(0)
                byKind[kind, default: ([], [])].sites.insert(site)
                byKind[kind]?.observations.append(.init(site: site, day: local.day, hour: local.hour,
                                                        occupied: try row.double(3), capacity: try row.double(4)))
            }
            report.parking = byKind.sorted { $0.key < $1.key }.map {
                ParkingOccupancyReport(kind: $0.key, sites: $0.value.sites.sorted(), result: ParkingOccupancy.compute($0.value.observations))
            }
        case VisitorOrigin.id:
            let last = try db.queryFirst("SELECT max(day) FROM visitor_origin WHERE 1 = 1\(zoneFilter)")?.optionalInt64(0)
            let (from, to) = try period(lastDay: last.map { DayNumber(Int($0)) }, what: "visitor origin data", format: "visitor-origin")
            var sums: [VisitorOrigin.OriginClass: Int64] = [:]
            for row in try db.query("SELECT origin, sum(visitors) FROM visitor_origin WHERE day BETWEEN ? AND ?\(zoneFilter) GROUP BY origin",
                                    [.int(from.rawValue), .int(to.rawValue)]) {
                if let origin = VisitorOrigin.OriginClass(rawValue: try row.string(0)) { sums[origin] = try row.int64(1) }
            }
            report.visitorOrigin = VisitorOrigin.compute(sums, minimumCell: try minimumOriginVisitors)
        default:
            let last = try db.queryFirst("SELECT max(day) FROM dwell_time WHERE 1 = 1\(zoneFilter)")?.optionalInt64(0)
            let (from, to) = try period(lastDay: last.map { DayNumber(Int($0)) }, what: "dwell-time data", format: "dwell-time")
            let bins = try db.query("""
                SELECT from_minutes, to_minutes, sum(visitors) FROM dwell_time WHERE day BETWEEN ? AND ?\(zoneFilter)
                GROUP BY from_minutes, to_minutes ORDER BY from_minutes
                """, [.int(from.rawValue), .int(to.rawValue)]).map {
                DwellTime.Bin(fromMinutes: try $0.int(0), toMinutes: try $0.optionalInt64(1).map(Int.init), visitors: try $0.double(2))
            }
            report.dwellTime = DwellTime.median(bins)
        }
        return report
    }
}

extension LocalIndicatorReport {
    /// The text lines of parking-occupancy, visitor-origin and dwell-time ("" for other indicators).
    var lotText: String {
        func percent(_ value: Double?) -> String { value.map { String(format: "%.1f %%", $0 * 100) } ?? "-" }
        var out = ""
        for kind in parking ?? [] {
            let r = kind.result
            out += "\(kind.kind) (\(kind.sites.count) site(s): \(kind.sites.joined(separator: ", "))): mean \(percent(r.meanRate)), peak \(percent(r.peakRate)), "
            out += "\(r.saturatedHours) of \(r.observedHours) observed hours at or above \(Int(ParkingOccupancy.saturationThreshold * 100)) %\n"
            for day in r.days {
                out += "  \(day.day)  mean \(percent(day.meanRate)), peak \(percent(day.peakRate)) at \(day.peakHour):00, \(day.saturatedHours) saturated of \(day.observedHours) hours\n"
            }
        }
        if parking?.isEmpty == true { out += "no parking readings in the period\n" }
        if let r = visitorOrigin {
            out += "visitors: \(r.total.map(String.init) ?? "suppressed (below the privacy minimum)")\n"
            for cell in r.cells { out += "  \(cell.origin.rawValue): \(cell.visitors.map(String.init) ?? "suppressed")\n" }
            out += "local share \(percent(r.localShare)), hinterland share (neighbouring) \(percent(r.hinterlandShare))\n"
        }
        if let r = dwellTime {
            out += "median dwell time: "
            if let median = r.medianMinutes { out += String(format: "%.1f minutes", median) }
            else if let atLeast = r.medianAtLeast { out += "at least \(atLeast) minutes (in the open-ended bin)" }
            else { out += "no value (\(r.reason ?? "no data"))" }
            out += ", \(Int(r.visitors)) visitors\n"
        }
        return out
    }
}

/// A zone's lot figures for one local day, as the aggregate payload carries them.
struct LotDay {
    var parking: [AggregatePayload.ParkingDay]?
    var origin: AggregatePayload.OriginDay?
    var dwell: [AggregatePayload.DwellBin]?
}

extension NodeStore {
    /// Per local day of `period`, the zone's parking per site kind (hourly pooled occupied and
    /// capacity), its visitor origin after the tenant's minimum (`VisitorOrigin.compute`), and its
    /// dwell-time histogram when the day has at least that minimum of visitors (PROTOCOL.md §4.5).
    func lotDays(zone: String, period: ClosedRange<DayNumber>, clock: LocalClock) throws -> [DayNumber: LotDay] {
        guard let zoneID = try db.queryFirst("SELECT id FROM zones WHERE name = ?", [.text(zone)])?.int64(0) else { return [:] }
        var result: [DayNumber: LotDay] = [:]
        let minimum = try minimumOriginVisitors
        // Parking: readings of the zone's sites in the period's instants, per kind.
        let rows = try db.query("""
            SELECT s.name, s.kind, o.time, o.occupied, o.capacity FROM parking_occupancy o JOIN parking_sites s ON s.id = o.site_id
            WHERE s.zone_id = ? AND o.time >= ? AND o.time < ?
            """, [.integer(zoneID), .integer(clock.startOfDay(period.lowerBound)), .integer(clock.startOfDay(period.upperBound + 1))])
        var byKind: [String: [ParkingOccupancy.Observation]] = [:]
        for row in rows {
            let local = clock.local(try row.int64(2))
            byKind[try row.string(1), default: []].append(.init(site: try row.string(0), day: local.day, hour: local.hour,
                                                                occupied: try row.double(3), capacity: try row.double(4)))
        }
        for (kind, observations) in byKind.sorted(by: { $0.key < $1.key }) {
            let sitesPerDay = Dictionary(grouping: observations, by: \.day).mapValues { Set($0.map(\.site)).count }
            for (day, hours) in Dictionary(grouping: ParkingOccupancy.compute(observations).hours, by: \.day) {
                var occupied = [Double?](repeating: nil, count: 24), capacity = [Double?](repeating: nil, count: 24)
                for hour in hours {
                    occupied[hour.hour] = hour.occupied
                    capacity[hour.hour] = hour.capacity
                }
                result[day, default: LotDay()].parking = (result[day]?.parking ?? []) + [
                    .init(kind: kind, sites: sitesPerDay[day] ?? 1, occupied: occupied, capacity: capacity),
                ]
            }
        }
        // Visitor origin, suppressed.
        var origins: [DayNumber: [VisitorOrigin.OriginClass: Int64]] = [:]
        for row in try db.query("SELECT day, origin, visitors FROM visitor_origin WHERE zone_id = ? AND day BETWEEN ? AND ?",
                                [.integer(zoneID), .int(period.lowerBound.rawValue), .int(period.upperBound.rawValue)]) {
            guard let origin = VisitorOrigin.OriginClass(rawValue: try row.string(1)) else { continue }
            origins[DayNumber(try row.int(0)), default: [:]][origin] = try row.int64(2)
        }
        for (day, cells) in origins {
            let r = VisitorOrigin.compute(cells, minimumCell: minimum)
            func cell(_ origin: VisitorOrigin.OriginClass) -> Int? {
                r.cells.first { $0.origin == origin }?.visitors.map(Int.init)
            }
            result[day, default: LotDay()].origin = .init(minimumCell: Int(minimum), ownMunicipality: cell(.ownMunicipality),
                                                          neighbouring: cell(.neighbouring), restOfProvince: cell(.restOfProvince),
                                                          elsewhere: cell(.elsewhere))
        }
        // Dwell time: the histogram of a day with at least the minimum of visitors.
        var bins: [DayNumber: [AggregatePayload.DwellBin]] = [:]
        for row in try db.query("SELECT day, from_minutes, to_minutes, visitors FROM dwell_time WHERE zone_id = ? AND day BETWEEN ? AND ? ORDER BY day, from_minutes",
                                [.integer(zoneID), .int(period.lowerBound.rawValue), .int(period.upperBound.rawValue)]) {
            bins[DayNumber(try row.int(0)), default: []].append(.init(fromMinutes: try row.int(1), toMinutes: try row.optionalInt64(2).map(Int.init),
                                                                    visitors: try row.int(3)))
        }
        for (day, histogram) in bins where Int64(histogram.reduce(0) { $0 + $1.visitors }) >= minimum {
            result[day, default: LotDay()].dwell = histogram
        }
        return result
    }
}
