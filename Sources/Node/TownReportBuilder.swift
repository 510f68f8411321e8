import Foundation
internal import Federation
public import Indicators
public import Reports

extension NodeStore {
    /// The town-against-peers page model: the town's own figures from its raw data, beside the
    /// network's figures from `network`'s latest verified coordinator report (if any; default
    /// network: ``defaultNetwork()``).
    public func townReport(from requestedFrom: DayNumber? = nil, to requestedTo: DayNumber? = nil, network: Network? = nil) throws -> TownReport {
        let network = try network ?? defaultNetwork()
        let stored = try latestReport(network: network)
        let report = try stored.map { try JSONDecoder().decode(NetworkReport.self, from: Data($0.payload)) }
        guard let range = try dataRange() else {
            throw NodeError(.invalidArgument, "the node holds no counts yet; import data first")
        }
        var from = requestedFrom ?? report.flatMap { try? DayNumber(iso: $0.figures.period.from) } ?? (range.upperBound - 27)
        var to = requestedTo ?? report.flatMap { try? DayNumber(iso: $0.figures.period.to) } ?? range.upperBound
        if from > to { swap(&from, &to) }
        let own = try computeIndicator(IndicatorQuery(indicator: FootfallIndex.id, from: from, to: to))
        let chartFrom = max(range.lowerBound, to - 181)
        let series = try computeIndicator(IndicatorQuery(indicator: FootfallIndex.id, from: chartFrom, to: to)).daily ?? []
        let ownTown = report?.figures.towns.first { $0.town == settings.town }
        let ranked = report?.figures.towns.filter { $0.footfallIndex != nil }.count ?? 0

        // Events: the coordinator's figures for the town's own events (v2 with its intervals when
        // the report was computed as v2).
        let calendar = try events()
        var eventRows: [EventUpliftRow] = (ownTown?.events ?? []).map { event in
            let name = calendar.first { $0.id == event.eventId }?.name ?? event.eventId
            return EventUpliftRow(event, townID: settings.town, townName: settings.town, eventName: name)
        }
        // Events the report does not cover: their raw uplift computed here (no peers).
        for event in calendar where event.kind != EventKind.market.rawValue && event.kind != EventKind.other.rawValue
            && event.days.contains(where: { (from...to).contains($0) }) && !eventRows.contains(where: { $0.eventName == event.name }) {
            // v2 with its calibrated interval (v1 for an event too long for a v2 window).
            var query = IndicatorQuery(indicator: EventUplift.id, eventID: event.id)
            if event.window == nil { query.version = EventUplift.version }
            let local = try computeIndicator(query)
            var row = EventUpliftRow(townID: settings.town, townName: settings.town, eventName: event.name, kind: event.kind,
                                     zone: event.zone, days: event.days, raw: nil, peerAdjusted: nil, peers: 0)
            if let v2 = local.eventUpliftV2 {
                row.raw = v2.uplift.map { Estimate(value: $0, low: v2.low, high: v2.high) }
                row.note = v2.uplift == nil ? v2.expectation.reason ?? v2.intervalReason : (v2.low == nil ? v2.intervalReason : "computed on this node")
                row.calibration = EventCalibrationFigures(level: v2.level, falsePositiveRate: nil, minimumDetectableUplift: nil, days: 0)
            } else if let result = local.eventUplift {
                row.raw = result.value.map { Estimate(value: $0, low: result.low, high: result.high) }
                row.note = result.value == nil ? result.days.compactMap(\.reason).first : "computed on this node"
            }
            row.weather = local.weather?.figures
            eventRows.append(row)
        }
        // Beside every row: the zone's calibration (the placebo test on its ordinary days of the
        // event's day class) and the weather (the event days' and the local baseline days').
        let hasWeather = try db.queryFirst("SELECT 1 FROM weather LIMIT 1") != nil
        var placebos: [String: EventUpliftV2.Placebo?] = [:]
        for index in eventRows.indices {
            guard let event = calendar.first(where: { $0.name == eventRows[index].eventName && $0.zone == eventRows[index].zone }),
                  let first = event.days.first else { continue }
            // Both are beside the figure, not part of it: a zone or event the local rule cannot evaluate keeps its row without them.
            if placebos[event.zone] == nil {
                var query = IndicatorQuery(indicator: EventUplift.id, zone: event.zone)
                query.calibration = true
                placebos[event.zone] = .some((try? computeIndicator(query))?.placebo)
            }
            if let placebo = placebos[event.zone] ?? nil,
               let calibration = placebo.rows.first(where: { $0.dayClass == EventUpliftV2.DayClass(first) }) {
                eventRows[index].calibration = EventCalibrationFigures(
                    level: eventRows[index].calibration?.level, falsePositiveRate: calibration.falsePositiveRate,
                    minimumDetectableUplift: calibration.minimumDetectableUplift, days: calibration.days)
            }
            if hasWeather && eventRows[index].weather == nil {
                var query = IndicatorQuery(indicator: EventUplift.id, eventID: event.id)
                query.version = EventUplift.version
                eventRows[index].weather = (try? computeIndicator(query))?.weather?.figures
            }
        }
        // Hourly profile: the town's own; `fillDayShape` replaces it with the day shape and the peers' band when it can.
        let profiles = try computeIndicator(IndicatorQuery(indicator: HourlyProfile.id, from: from, to: to,
                                                           openingHours: OpeningHours(weekday: 9..<18, saturday: 9..<18, sundayOrHoliday: nil)))
        let hourly = (profiles.hourlyProfile ?? []).map { profile in
            HourlyComparison(dayType: profile.dayType.rawValue, town: profile.shares.map { $0.map { Optional($0) } } ?? Array(repeating: nil, count: 24),
                             peers: Array(repeating: nil, count: 24), openingHours: profile.dayType == .sundayOrHoliday ? nil : 9..<18,
                             townOpeningHoursShare: profile.openingHoursShare, peersOpeningHoursShare: nil,
                             townLunchtimeShare: profile.lunchtimeShare, peersLunchtimeShare: nil)
        }
        // Conversion: the town's zones against the network's benchmark for the zone kind.
        let conversion = try computeIndicator(IndicatorQuery(indicator: ConversionRate.id, from: from, to: to)).conversion ?? []
        let conversionRows = conversion.map { zone in
            let benchmark = report?.figures.conversionByZoneKind.first { $0.zoneKind == zone.zoneKind }
            return ConversionComparison(zone: zone.zone, zoneKind: zone.zoneKind, town: zone.result.value, pairs: zone.result.contributingPairs,
                                        benchmark: benchmark.map { ConversionBenchmark(zoneKind: $0.zoneKind, towns: $0.towns, median: $0.median) })
        }
        // Coverage of the period from the node's own status.
        let status = try self.status()
        let active = status.sensors.filter { sensor in (sensor.lastDay.flatMap { try? DayNumber(iso: $0) }).map { $0 >= to - 1 } ?? false }.count
        let coverageStatus: CoverageStatus = active == 0 ? .missing : (active == status.sensors.count ? .complete : .partial)

        var notes: [String] = []
        if stored == nil { notes.append("No verified coordinator report is stored yet: network figures are missing. Run `townbench-node report --fetch`.") }
        if let index = ownTown?.footfallIndex, let local = own.footfallIndex?.value, abs(index - local) > 1e-9 {
            notes.append("The coordinator's index for this town (\(index)) differs from the one computed here (\(local)): data changed since the last push?")
        }
        let withheld: String? = {
            guard let footfall = report?.figures.footfall else { return "no network report" }
            if footfall.medianIndex == nil { return "fewer than \(report?.figures.minimumTowns ?? 3) towns contribute" }
            return nil
        }()
        var page = TownReport(
            tenantID: network.tenant, tenantName: network.tenant, townID: settings.town, townName: settings.town,
            period: ReportPeriod(start: from, end: to),
            provenance: ReportProvenance(
                producer: stored == nil ? "TownBench node (local data only)" : "TownBench node, with the coordinator's signed network report",
                generatedAt: report.flatMap { Timestamp.parse($0.generatedAt) } ?? Date(),
                signature: stored.map { _ in "Network figures signed by coordinator key \((try? pinnedKey(of: network))?.keyID ?? "?"); signature verified." }),
            footfall: TownFootfall(townID: settings.town, name: settings.town,
                                   series: series.map { SeriesPoint(day: $0.day, value: $0.value) },
                                   index: own.footfallIndex?.value, change: nil, rank: ownTown?.rank),
            rankedTowns: ranked,
            network: NetworkFootfall(index: report?.figures.footfall.medianIndex, pooledIndex: report?.figures.footfall.pooledIndex,
                                     contributingTowns: report?.figures.footfall.towns ?? 0, withheldReason: withheld),
            events: eventRows, hourly: hourly, conversion: conversionRows,
            coverage: TownCoverage(townID: settings.town, townName: settings.town, status: coverageStatus, completeness: nil,
                                   lastDay: range.upperBound, activeSensors: active, sensors: status.sensors.count),
            notes: notes)
        try fillDayShape(&page, report: report, from: from, to: to)
        return page
    }
}
