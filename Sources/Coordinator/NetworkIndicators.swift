import Dispatch
public import Federation
import Foundation
public import Indicators
import Synchronization

extension DayPeriod {
    /// `period=YYYY-MM` (a month) or `from`/`to` days (``DayPeriod/init(from:to:)``: supported
    /// days, from ≤ to, at most ``DayPeriod/maximumDays``); a failure says what to send instead.
    public static func parse(period: String?, from: String?, to: String?) -> Result<DayPeriod, CoordinatorError> {
        if let period {
            let parts = period.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let y = Int(parts[0]), let m = Int(parts[1]),
                  let first = try? DayNumber(year: y, month: m, day: 1) else {
                return .failure(CoordinatorError(.invalidArgument, "period=\(period.prefix(40)) is not a month; give period=YYYY-MM (e.g. 2026-11), or from=YYYY-MM-DD&to=YYYY-MM-DD."))
            }
            let next = m == 12 ? try? DayNumber(year: y + 1, month: 1, day: 1) : try? DayNumber(year: y, month: m + 1, day: 1)
            guard let next, first.isSupported, (next - 1).isSupported else {
                return .failure(CoordinatorError(.invalidArgument, "period \(period) is outside the supported days \(DayNumber.supportedRangeText); give a month in that range."))
            }
            return .success(DayPeriod(first...(next - 1)))
        }
        guard let from, let to else {
            return .failure(CoordinatorError(.invalidArgument, "Give period=YYYY-MM, or from=YYYY-MM-DD&to=YYYY-MM-DD with from ≤ to and at most \(DayPeriod.maximumDays) days."))
        }
        do { return .success(try DayPeriod(from: String(from.prefix(40)), to: String(to.prefix(40)))) } catch {
            return .failure(CoordinatorError(.invalidArgument, error.message))
        }
    }
}

/// Computes ``NetworkFigures`` from stored daily aggregates with the `Indicators` library.
///
/// Why here and not in the node: only the coordinator sees several towns; every per-town figure is
/// the same `Indicators` call the node makes on its own data, over a panel built the same way
/// (``townPanel(_:days:)``), so a town can check its own figure.
public enum NetworkIndicators {
    /// No network figure is shown with fewer contributing towns.
    public static let minimumTowns = 3
    public static let footfallMeasure = "pedestrians"

    /// A town's daily panel: one row per (zone, pseudonymous sensor), sorted, validity by the
    /// catalogue's v1 rule per vendor kind; suppressed totals are invalid.
    public static func townPanel(_ rows: [SensorDayRow], days: ClosedRange<DayNumber>) throws
        -> (panel: DailyPanel, sensors: [(zone: String, sensor: String)]) {
        // A two-field key, not a joined string: no allocation per row (millions at scale).
        struct SensorKey: Hashable {
            var zone: String
            var sensor: String
        }
        // One hash per row: each row's sensor in order of first appearance, then renumbered sorted.
        var firstSeen: [SensorKey: Int] = [:]
        var seen: [(zone: String, sensor: String)] = []
        var rowSensor: [Int] = []
        rowSensor.reserveCapacity(rows.count)
        for row in rows {
            let key = SensorKey(zone: row.zoneID, sensor: row.sensor)
            if let i = firstSeen[key] {
                rowSensor.append(i)
            } else {
                firstSeen[key] = seen.count
                rowSensor.append(seen.count)
                seen.append((row.zoneID, row.sensor))
            }
        }
        let order = seen.indices.sorted { (seen[$0].zone, seen[$0].sensor) < (seen[$1].zone, seen[$1].sensor) }
        var position = [Int](repeating: 0, count: seen.count)
        for (final, provisional) in order.enumerated() { position[provisional] = final }
        let sensors = order.map { seen[$0] }
        var panel = try DailyPanel(firstDay: days.lowerBound, dayCount: days.upperBound.rawValue - days.lowerBound.rawValue + 1,
                                   sensorCount: sensors.count)
        var lastVendor: (text: String, kind: VendorKind)?
        for (r, row) in rows.enumerated() {
            // A total beyond the intake bound (stored before the bound existed) counts as no data.
            guard let total = row.total, AggregateLimits.countProblem(total, bound: AggregateLimits.maximumSensorDayCount) == nil,
                  days.contains(DayNumber(row.day)) else { continue }
            let kind: VendorKind
            if let lastVendor, lastVendor.text == row.vendorKind {
                kind = lastVendor.kind
            } else {
                kind = VendorKind(rawValue: row.vendorKind) ?? VendorKind(vendor: row.vendorKind)
                lastVendor = (row.vendorKind, kind)
            }
            let coverage = SensorDayCoverage(coveredMinutes: Double(row.coveredMinutes), uptimeMinutes: Double(row.uptimeMinutes),
                                             validHours: row.validHours, expectedMinutes: row.expectedMinutes)
            try panel.set(sensor: position[rowSensor[r]], day: DayNumber(row.day), total: total, coverage: coverage, vendorKind: kind)
        }
        return (panel, sensors)
    }

    /// The days a period's computation reads: the lag's and the event baselines' look-back before it.
    public static func loadDays(_ period: DayPeriod, lag: Int) -> (days: ClosedRange<Int>, conversionDays: ClosedRange<Int>) {
        let range = period.range
        return ((range.lowerBound - max(lag, 7 * EventUplift.lookbackWeeks)).rawValue...range.upperBound.rawValue,
                range.lowerBound.rawValue...range.upperBound.rawValue)
    }

    /// The days a computation from rows (``compute(tenantID:inputs:origin:period:lag:)``, a log
    /// replay) reads: ``loadDays(_:lag:)`` and event-uplift v2's history (``NetworkEventsV2/loadDays(_:)``).
    public static func replayDays(_ period: DayPeriod, lag: Int) -> ClosedRange<Int> {
        let load = loadDays(period, lag: lag).days
        return min(load.lowerBound, NetworkEventsV2.loadDays(period).lowerBound)...load.upperBound
    }

    /// The days whose values the computation reads, merged: the period with the event baselines'
    /// look-back before it, and the period a lag earlier. For a month with a 364-day lag that is
    /// 144 of the 394 loaded days; the other days only decide which towns are listed.
    public static func valueDays(_ period: DayPeriod, lag: Int) -> [ClosedRange<Int>] {
        let range = period.range
        let a = (range.lowerBound - 7 * EventUplift.lookbackWeeks).rawValue...range.upperBound.rawValue
        let b = (range.lowerBound - lag).rawValue...(range.upperBound - lag).rawValue
        let sorted = [a, b].sorted { $0.lowerBound < $1.lowerBound }
        if sorted[1].lowerBound <= sorted[0].upperBound + 1 {
            return [sorted[0].lowerBound...max(sorted[0].upperBound, sorted[1].upperBound)]
        }
        return sorted
    }

    /// Reads what the period needs from one snapshot of `store` and computes; the figures name
    /// the log state (`origin`, size, root) of that snapshot. The towns are those with data.
    /// When the period has events, event-uplift v2 also reads ``NetworkEventsV2/loadDays(_:)``, in a
    /// second read that must see the same log head (read again, up to 3 times, while the log grows).
    public static func compute(_ scope: TenantScope, store: any CoordinatorStore, origin: String, period: DayPeriod,
                               lag: Int = FootfallIndex.defaultLag) throws -> NetworkFigures {
        let load = loadDays(period, lag: lag)
        for _ in 0..<3 {
            let series = try store.networkSeries(measure: footfallMeasure, days: load.days, values: valueDays(period, lag: lag),
                                                 conversionDays: load.conversionDays, scope)
            guard NetworkEventsV2.hasEvents(series.eventDays, in: period) else {
                return try compute(tenantID: scope.tenantID, series: series, origin: origin, period: period, lag: lag)
            }
            // Only the panels and zone days of the history are used: the conversions and hours over one day.
            let last = period.range.upperBound.rawValue
            let history = try store.networkSeries(measure: footfallMeasure, days: NetworkEventsV2.loadDays(period), values: nil,
                                                  conversionDays: last...last, scope)
            if history.head == series.head {
                return try compute(tenantID: scope.tenantID, series: series, origin: origin, period: period, lag: lag, history: history)
            }
        }
        throw CoordinatorError(.overloaded, "Submissions kept arriving while the network figures were read (3 times); try again in a moment.")
    }

    /// Computes from a store's packed series (``CoordinatorStore/networkSeries(measure:days:conversionDays:_:)``):
    /// the same figures as from the rows, without a row per sensor-day.
    /// `history`: the read over ``NetworkEventsV2/loadDays(_:)`` at the same log head, for event-uplift
    /// v2 (without it, v2 uses all days of `series`: too few to calibrate unless they cover that span).
    public static func compute(tenantID: String, series: NetworkSeries, origin: String, period: DayPeriod,
                               lag: Int = FootfallIndex.defaultLag, history: NetworkSeries? = nil) throws -> NetworkFigures {
        let range = period.range
        let days = (range.lowerBound - max(lag, 7 * EventUplift.lookbackWeeks))...range.upperBound
        var panels: [String: (panel: DailyPanel, sensors: [(zone: String, sensor: String)])] = [:]
        for (town, townSeries) in series.towns {
            // A series loaded over other days is cut to this period's (the region page loads once for several periods).
            panels[town] = (townSeries.panel.covers(days) ? townSeries.panel : try townSeries.panel.slice(days), townSeries.sensors)
        }
        // v2's history: the second read, or else all this read holds (a page may load more than the period needs).
        var historyPanels: [String: (panel: DailyPanel, sensors: [(zone: String, sensor: String)])] = [:]
        for (town, townSeries) in (history ?? series).towns { historyPanels[town] = (townSeries.panel, townSeries.sensors) }
        var figures = try compute(tenantID: tenantID, towns: [], panels: panels, zoneDays: series.eventDays,
                                  conversions: series.conversions, zoneHours: series.zoneHours, zoneLots: series.zoneLots,
                                  period: period, lag: lag, history: historyPanels, historyZoneDays: history?.eventDays ?? series.eventDays)
        figures.checkpoint = TransparencyLog.CheckpointReference(origin: origin, treeSize: series.head.size,
                                                                 rootHash: Base64.encode(series.head.rootHash))
        return figures
    }

    /// Computes from inputs read from a store or replayed from the log (``LogReplay``). Inputs read
    /// over ``NetworkEventsV2/loadDays(_:)`` feed event-uplift v2's history; the other figures use the
    /// rows of ``loadDays(_:lag:)`` alone, as a read of those days would give them.
    public static func compute(tenantID: String, inputs: NetworkInputs, origin: String, period: DayPeriod,
                               lag: Int = FootfallIndex.defaultLag) throws -> NetworkFigures {
        let first = loadDays(period, lag: lag).days.lowerBound
        var figures = try compute(tenantID: tenantID, towns: [], sensorDays: inputs.sensorDays.filter { $0.day >= first },
                                  zoneDays: inputs.zoneDays.filter { $0.day >= first }, conversions: inputs.conversions,
                                  zoneHours: inputs.zoneHours, zoneLots: inputs.zoneLots, period: period, lag: lag,
                                  history: (inputs.sensorDays, inputs.zoneDays))
        figures.checkpoint = TransparencyLog.CheckpointReference(origin: origin, treeSize: inputs.head.size,
                                                                 rootHash: Base64.encode(inputs.head.rootHash))
        return figures
    }

    /// The pure computation (tests call it with hand-made rows). `history`: the rows event-uplift v2
    /// reads (``NetworkEventsV2/loadDays(_:)``); without it, the same rows.
    public static func compute(tenantID: String, towns townList: [String], sensorDays: [SensorDayRow], zoneDays: [ZoneDayRow],
                               conversions: [ConversionDayRow], zoneHours: [ZoneHourRow] = [], zoneLots: [ZoneLotRow] = [],
                               period: DayPeriod,
                               lag: Int = FootfallIndex.defaultLag,
                               history: (sensorDays: [SensorDayRow], zoneDays: [ZoneDayRow])? = nil) throws
        -> NetworkFigures {
        let range = period.range
        let loadFirst = range.lowerBound - max(lag, 7 * EventUplift.lookbackWeeks)
        let days = loadFirst...range.upperBound
        var panels: [String: (panel: DailyPanel, sensors: [(zone: String, sensor: String)])] = [:]
        for (town, rows) in Dictionary(grouping: sensorDays, by: \.townID) { panels[town] = try townPanel(rows, days: days) }
        // The v2 history's panels only when there is an event to evaluate (a pass over every row otherwise).
        var historyPanels: [String: (panel: DailyPanel, sensors: [(zone: String, sensor: String)])] = [:]
        let historyZoneDays = history?.zoneDays ?? zoneDays
        if NetworkEventsV2.hasEvents(zoneDays, in: period) {
            let historyDays = DayNumber(NetworkEventsV2.loadDays(period).lowerBound)...range.upperBound
            for (town, rows) in Dictionary(grouping: history?.sensorDays ?? sensorDays, by: \.townID) {
                historyPanels[town] = try townPanel(rows, days: historyDays)
            }
        }
        return try compute(tenantID: tenantID, towns: townList, panels: panels, zoneDays: zoneDays, conversions: conversions,
                           zoneHours: zoneHours, zoneLots: zoneLots, period: period, lag: lag, history: historyPanels,
                           historyZoneDays: historyZoneDays)
    }

    /// The computation over each town's panel (built from rows or read packed); a town without one
    /// (only conversions, or listed in `townList`) gets an empty panel, as from no rows. `history`
    /// and `historyZoneDays`: each town's panel and the zone days over ``NetworkEventsV2/loadDays(_:)``.
    static func compute(tenantID: String, towns townList: [String], panels built: [String: (panel: DailyPanel, sensors: [(zone: String, sensor: String)])],
                        zoneDays: [ZoneDayRow], conversions: [ConversionDayRow], zoneHours: [ZoneHourRow] = [],
                        zoneLots: [ZoneLotRow] = [], period: DayPeriod, lag: Int,
                        history: [String: (panel: DailyPanel, sensors: [(zone: String, sensor: String)])],
                        historyZoneDays: [ZoneDayRow]) throws -> NetworkFigures {
        let range = period.range
        let loadFirst = range.lowerBound - max(lag, 7 * EventUplift.lookbackWeeks)
        let days = loadFirst...range.upperBound
        let towns = Array(Set(townList + built.keys + conversions.map(\.townID))).sorted()
        let zoneDaysByTown = Dictionary(grouping: zoneDays, by: \.townID)

        var panels = built
        var figures: [String: NetworkFigures.TownFigures] = [:]
        for town in towns {
            let built = try panels[town] ?? townPanel([], days: days)
            panels[town] = built
            let result = try FootfallIndex.compute(panel: built.panel, period: range, lag: lag)
            // A result that is not finite is dropped (the town shows no index), never encoded.
            let usable = result.current.isFinite && result.baseline.isFinite && (result.value?.isFinite ?? true)
            figures[town] = NetworkFigures.TownFigures(town: town, footfall: usable ? result : nil, footfallIndex: usable ? result.value : nil,
                                                       rank: nil, percentile: nil, events: [], conversion: [])
        }

        // Network footfall: median of town indices, pooled index, ranks.
        let indexed = towns.compactMap { t in figures[t]?.footfallIndex.map { (t, $0) } }
        let enough = indexed.count >= minimumTowns
        let verdict = PublishingRule.verdict(contributions: indexed.compactMap { figures[$0.0]?.footfall?.current })
        let current = indexed.reduce(0.0) { $0 + (figures[$1.0]?.footfall?.current ?? 0) }
        let baseline = indexed.reduce(0.0) { $0 + (figures[$1.0]?.footfall?.baseline ?? 0) }
        let footfall = NetworkFigures.Footfall(
            medianIndex: enough ? finite(IndicatorMath.median(indexed.map(\.1))) : nil,
            pooledIndex: verdict == .publish && baseline > 0 ? finite(100 * current / baseline) : nil,
            towns: indexed.count, pooledPublication: verdict.rawValue)
        if enough {
            let ranked = indexed.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
            // Ties share a rank; the percentile is the share of the other towns strictly below.
            // One pass over runs of equal values (the ranking is sorted by value, descending).
            var start = 0
            while start < ranked.count {
                var end = start
                while end + 1 < ranked.count, ranked[end + 1].1 == ranked[start].1 { end += 1 }
                let lower = ranked.count - 1 - end
                for entry in ranked[start...end] {
                    figures[entry.0]?.rank = 1 + start
                    figures[entry.0]?.percentile = 100 * Double(lower) / Double(ranked.count - 1)
                }
                start = end + 1
            }
        }

        // Event uplift, raw and peer-adjusted. Each town's excluded days are derived once (per town
        // and per zone), and a peer's ratio once per (peer, event days): many towns' events fall
        // on the same days, and a per-event pass over every peer's rows was quadratic in towns.
        var excludedDaysByTown: [String: Set<Int>] = [:]
        var excludedDaysByZone: [String: [String: Set<DayNumber>]] = [:]
        for (town, rows) in zoneDaysByTown {
            var all = Set<Int>()
            var byZone: [String: Set<DayNumber>] = [:]
            for zd in rows where zd.events.contains(where: { kind($0.kind).excludesBaselineDay }) {
                all.insert(zd.day)
                byZone[zd.zoneID, default: []].insert(DayNumber(zd.day))
            }
            excludedDaysByTown[town] = all
            excludedDaysByZone[town] = byZone
        }
        struct PeerKey: Hashable {
            var peer: Int
            var days: [Int]
        }
        let peerPanels = towns.map { panels[$0]?.panel }
        let peerExcluded = towns.map { Set((excludedDaysByTown[$0] ?? []).map(DayNumber.init)) }
        /// A town's events in the period: (event id, zone) → days.
        func events(of town: String) -> [String: (kind: String, zone: String, days: [Int])] {
            var events: [String: (kind: String, zone: String, days: [Int])] = [:]
            for zd in zoneDaysByTown[town] ?? [] where range.contains(DayNumber(zd.day)) {
                for e in zd.events {
                    events[e.eventId + "\u{0}" + zd.zoneID, default: (e.kind, zd.zoneID, [])].days.append(zd.day)
                }
            }
            return events
        }
        // Every peer's ratio for every set of event days, computed up front on all cores (a pure
        // function of the peer's panel and the days: the same values the loop below would compute).
        var daySets = Set<[Int]>()
        for town in towns where panels[town] != nil {
            for event in events(of: town).values { daySets.insert(event.days.sorted()) }
        }
        let daySetList = daySets.sorted { $0.lexicographicallyPrecedes($1) }
        let daySetIndex = Dictionary(uniqueKeysWithValues: daySetList.enumerated().map { ($0.element, $0.offset) })
        let jobs = daySetList.flatMap { days in towns.indices.map { PeerKey(peer: $0, days: days) } }
        let excludedByPeer = towns.map { excludedDaysByTown[$0] ?? [] }
        let ratios = try parallelMap(jobs.count) { i -> Double? in
            let key = jobs[i]
            guard let peerPanel = peerPanels[key.peer], excludedByPeer[key.peer].isDisjoint(with: key.days), peerPanel.sensorCount > 0 else {
                return nil
            }
            return finite(try EventUplift.compute(panel: peerPanel, sensors: Array(0..<peerPanel.sensorCount),
                                                  eventDays: key.days.map(DayNumber.init), excludedDays: peerExcluded[key.peer]).ratio)
        }
        // event-uplift v2 of every event at once (its series and the peers' medians are shared).
        var v2Events: [NetworkEventsV2.Event] = []
        for town in towns where panels[town] != nil {
            for (key, event) in events(of: town) {
                if let e = NetworkEventsV2.Event(key: town + "\u{0}" + key, town: town, zone: event.zone, days: event.days.map(DayNumber.init)) {
                    v2Events.append(e)
                }
            }
        }
        let v2 = try NetworkEventsV2.compute(v2Events, panels: history, zoneDays: historyZoneDays)
        // ratios[d * towns.count + p]: peer p's ratio on day set d (an array, not a hash per peer and event).
        for town in towns {
            guard let built = panels[town] else { continue }
            let events = events(of: town)
            var results: [NetworkFigures.Event] = []
            for key in events.keys.sorted() {
                guard let event = events[key] else { continue }
                let eventID = String(key.split(separator: "\u{0}").first ?? "")
                let sensors = built.sensors.enumerated().filter { $0.element.zone == event.zone }.map(\.offset)
                let excluded = excludedDaysByZone[town]?[event.zone] ?? []
                let eventDayNumbers = event.days.sorted().map(DayNumber.init)
                let uplift = sensors.isEmpty ? nil
                    : try EventUplift.compute(panel: built.panel, sensors: sensors, eventDays: eventDayNumbers, excludedDays: excluded)
                var peerRatios: [Double] = []
                if let d = daySetIndex[event.days.sorted()] {
                    for (p, peer) in towns.enumerated() where peer != town {
                        if let ratio = ratios[d * towns.count + p] { peerRatios.append(ratio) }
                    }
                }
                results.append(NetworkFigures.Event(
                    eventId: eventID, kind: event.kind, zoneId: event.zone, days: eventDayNumbers.map(\.description),
                    uplift: finite(uplift?.value), low: finite(uplift?.low), high: finite(uplift?.high), ratio: finite(uplift?.ratio),
                    peerAdjusted: finite(EventUplift.peerAdjusted(townRatio: finite(uplift?.ratio), peerRatios: peerRatios)),
                    peers: peerRatios.count, v2: v2[town + "\u{0}" + key]))
            }
            figures[town]?.events = results
        }

        // Conversion per zone (ConversionRate over a panel of the pairs' daily sums), then per zone kind.
        var kindRates: [String: [Double]] = [:]
        for (town, rows) in Dictionary(grouping: conversions, by: \.townID) {
            var zones: [NetworkFigures.ZoneConversion] = []
            var pooledByKind: [String: (entries: Double, passers: Double)] = [:]
            for (zone, zoneRows) in Dictionary(grouping: rows, by: \.zoneID).sorted(by: { $0.key < $1.key }) {
                let pairKeys = Array(Set(zoneRows.map { $0.door + "\u{0}" + $0.street })).sorted()
                var panel = try DailyPanel(firstDay: range.lowerBound, dayCount: range.upperBound.rawValue - range.lowerBound.rawValue + 1,
                                           sensorCount: 2 * pairKeys.count)
                let index = Dictionary(uniqueKeysWithValues: pairKeys.enumerated().map { ($0.element, $0.offset) })
                for row in zoneRows {
                    guard let entries = row.entries, let passers = row.passersBy, let p = index[row.door + "\u{0}" + row.street] else { continue }
                    try panel.set(sensor: 2 * p, day: DayNumber(row.day), total: entries, isValid: true)
                    try panel.set(sensor: 2 * p + 1, day: DayNumber(row.day), total: passers, isValid: true)
                }
                let result = try ConversionRate.compute(panel: panel, pairs: pairKeys.indices.map { StorePair(door: 2 * $0, street: 2 * $0 + 1) },
                                                        period: range)
                let kind = zoneRows.first?.zoneKind ?? ""
                zones.append(.init(zoneId: zone, zoneKind: kind, value: finite(result.value), contributingPairs: result.contributingPairs,
                                   publishableAcrossTowns: result.isPublishableAcrossTowns))
                if result.isPublishableAcrossTowns, finite(result.value) != nil, result.entries.isFinite, result.passersBy.isFinite {
                    pooledByKind[kind, default: (0, 0)].entries += result.entries
                    pooledByKind[kind, default: (0, 0)].passers += result.passersBy
                }
            }
            figures[town]?.conversion = zones
            for (kind, sums) in pooledByKind where sums.passers > 0 {
                if let rate = finite(sums.entries / sums.passers) { kindRates[kind, default: []].append(rate) }
            }
        }
        let byKind = kindRates.keys.sorted().map { kind in
            let rates = kindRates[kind] ?? []
            return NetworkFigures.ZoneKindConversion(zoneKind: kind, towns: rates.count,
                                                     median: rates.count >= minimumTowns ? finite(IndicatorMath.median(rates)) : nil)
        }
        var result = NetworkFigures(
            tenantId: tenantID, period: period,
            indicators: [FootfallIndex.id: FootfallIndex.version, EventUplift.id: EventUpliftV2.version,
                         ConversionRate.id: ConversionRate.version],
            minimumTowns: minimumTowns, footfall: footfall, towns: towns.compactMap { figures[$0] }, conversionByZoneKind: byKind,
            checkpoint: nil)
        // The day shape (issue 20), only when some town sent hourly values for the period.
        if !zoneHours.isEmpty { try DayShapeNetwork.add(to: &result, zoneHours: zoneHours, zoneDays: zoneDays) }
        // Parking, visitor origin and dwell time (issue 19), only when some town sent lots for the period.
        if !zoneLots.isEmpty { LotsNetwork.add(to: &result, zoneLots: zoneLots) }
        return result
    }

    static func kind(_ text: String) -> EventKind { EventKind(rawValue: text) ?? .event }

    /// `body(0..<count)` on all cores, in order; the first error is thrown. Why: a year's peer
    /// ratios at 300 towns are ~100,000 independent small computations.
    static func parallelMap<T: Sendable>(_ count: Int, _ body: @Sendable (Int) throws -> T) throws -> [T] {
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8, count / 64))
        guard workers > 1 else { return try (0..<count).map(body) }
        let results = Mutex<[(Int, T)]>([])
        let failure = Mutex<(any Error)?>(nil)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            var local: [(Int, T)] = []
            do {
                for i in stride(from: w, to: count, by: workers) { local.append((i, try body(i))) }
            } catch {
                failure.withLock { $0 = $0 ?? error }
            }
            results.withLock { $0.append(contentsOf: local) }
        }
        if let error = failure.withLock({ $0 }) { throw error }
        return results.withLock { all in all.sorted { $0.0 < $1.0 }.map(\.1) }
    }

    /// `value` when it is finite, else nil. Why: the computation is total; a figure that overflowed
    /// (one town's extreme input) is withheld for that figure alone and never reaches an encoder.
    static func finite(_ value: Double?) -> Double? { value.flatMap { $0.isFinite ? $0 : nil } }

    /// What `principal` may see: coordinators and admins everything; a town its own figures in
    /// full and, of its peers, only index, rank and percentile, named or as `peer-N` per the
    /// tenant's policy.
    public static func view(_ figures: NetworkFigures, for principal: Principal, naming: PeerNaming) -> NetworkFigures {
        guard principal.role == .town else { return figures }
        var out = figures
        var peerNumber = 0
        let ordered = figures.towns.sorted { ($0.rank ?? Int.max, $0.town) < ($1.rank ?? Int.max, $1.town) }
        out.towns = ordered.map { town in
            if town.town == principal.townID { return town }
            peerNumber += 1
            return NetworkFigures.TownFigures(town: naming == .named ? town.town : "peer-\(peerNumber)", footfall: nil,
                                              footfallIndex: figures.footfall.towns >= minimumTowns ? town.footfallIndex : nil,
                                              rank: town.rank, percentile: town.percentile, events: nil, conversion: nil)
        }
        return out
    }
}
