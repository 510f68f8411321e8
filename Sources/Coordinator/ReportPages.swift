// The mapping from the coordinator's NetworkFigures to the Reports model (Sources/Reports/README.md,
// "Filling the model"), plus what one period's figures lack: a weekly series for the charts, the
// previous period for the change, and the coverage of each town.
public import Federation
public import Foundation
public import Indicators
public import Reports

/// The region and town report models, built from the same ``NetworkIndicators`` computation the
/// API serves.
///
/// Why: the served pages, `townbench-coordinator report render` and the tests must show exactly the
/// figures `GET /v1/tenants/{tenant}/indicators` returns; this is the one place that maps them. The
/// weekly series is each town's `FootfallIndex` per week over one panel per town (built with
/// ``NetworkIndicators/townPanel(_:days:)`` from rows loaded once) and the median of the towns'
/// indices, so a chart point equals that week's `/indicators?from=&to=` value (the tests compare).
public enum ReportPages {
    /// Weeks in the charts unless asked otherwise.
    public static let defaultWeeks = 26
    /// A town whose latest data is older than this many days before the period's end is *stale*.
    public static let staleAfterDays = 7

    /// Everything the two pages are built from: the period's figures, the previous period's, one
    /// figure set per week (oldest first) and each town's last day with data.
    ///
    /// Why a value: computed once per request (or per `report render`), then mapped to a region or
    /// a town page; tests compare the pages against these very figures.
    public struct Inputs: Sendable {
        public var tenant: Tenant
        public var towns: [Town]
        public var label: String
        public var current: NetworkFigures
        public var previous: NetworkFigures?
        public var weekly: [WeekPoint]
        public var lastDays: [String: DayNumber]
        public var sensors: [String: Int]
        public var generatedAt: Date
        /// The tenant's peer groups (issue 17).
        public var groups: [PeerGroup] = []
        /// The snapshot's hourly zone rows and zone days (the town page's heat strip, issue 20).
        public var zoneHours: [ZoneHourRow] = []
        public var zoneDays: [ZoneDayRow] = []
    }

    /// One chart point: the week ending on `end`, each town's footfall index and the network's
    /// (median of at least ``NetworkIndicators/minimumTowns`` towns' indices).
    public struct WeekPoint: Sendable, Equatable {
        public var end: DayNumber
        public var towns: [String: Double]
        public var median: Double?
    }

    /// The label of a period: `2026-11` for `period=2026-11`, `2026-W47` for a Monday-to-Sunday
    /// ISO week, else empty (the pages then show the two dates).
    public static func label(period: String?, days: DayPeriod) -> String {
        if let period { return period }
        let range = days.range
        guard range.lowerBound.isoWeekday == 1, range.upperBound.rawValue - range.lowerBound.rawValue == 6 else { return "" }
        let week = range.upperBound.isoWeek
        return "\(week.year)-W\(week.week < 10 ? "0" : "")\(week.week)"
    }

    /// Writes the region report of `scope`'s tenant (or, with `town`, that town's page) with
    /// `ReportExport.write` into `directory`: `index.html`, `report.json` and `tables/`. Returns the
    /// HTML file. `language` is `en` or `nl`. Used by `townbench-coordinator report render`.
    @discardableResult
    public static func write(_ scope: TenantScope, store: any CoordinatorStore, origin: String, period: DayPeriod, label: String,
                             town: String?, language: String, weeks: Int = defaultWeeks, to directory: URL, now: Date = Date()) throws
        -> URL {
        let inputs = try inputs(scope, store: store, origin: origin, period: period, label: label, weeks: weeks, now: now)
        let language = ReportLanguage(tag: language)
        if let town {
            guard inputs.towns.contains(where: { $0.id == town }) else {
                throw CoordinatorError(.notFound, "Town \(town) is not in tenant \(scope.tenantID). List the towns with GET /v1/tenants/\(scope.tenantID)/towns.")
            }
            return try ReportExport.write(town: try ReportPages.town(inputs, town: town, language: language), language: language,
                                          to: directory)
        }
        return try ReportExport.write(region: region(inputs, language: language), language: language, to: directory)
    }

    /// Loads the rows the period, the previous period and `weeks` weekly points need, once, and
    /// computes every figure set from them.
    /// `origin` names the tenant's log (``CheckpointSigner/origin(_:)``); the figures carry the
    /// checkpoint of the one snapshot everything is read from.
    public static func inputs(_ scope: TenantScope, store: any CoordinatorStore, origin: String, period: DayPeriod, label: String = "",
                              weeks: Int = defaultWeeks, lag: Int = FootfallIndex.defaultLag,
                              now: Date = Date()) throws -> Inputs {
        guard let tenant = try store.tenant(scope) else {
            throw CoordinatorError(.notFound, "No such tenant, or not yours. Check the URL and your token.")
        }
        let towns = try store.towns(scope)
        let range = period.range
        let length = range.upperBound.rawValue - range.lowerBound.rawValue + 1
        let weekCount = max(1, min(weeks, 156))
        let previousRange = (range.lowerBound - length)...(range.lowerBound - 1)
        let windows: [ClosedRange<DayNumber>] = (0..<weekCount).reversed().map { w in
            let end = range.upperBound - 7 * w
            return (end - 6)...end
        }
        let earliest = min(previousRange.lowerBound, windows.first?.lowerBound ?? range.lowerBound)
        // From the earliest day any figure reads, event-uplift v2's history included: the page's
        // figures are the API's, whose v2 reads ``NetworkEventsV2/loadDays(_:)``.
        let first = min((earliest - max(lag, 7 * EventUplift.lookbackWeeks)).rawValue, NetworkEventsV2.loadDays(period).lowerBound)
        let load = first...range.upperBound.rawValue
        let snapshot = try store.networkSeries(measure: NetworkIndicators.footfallMeasure, days: load, values: nil,
                                               conversionDays: load, scope)
        let ids = towns.map(\.id)
        // The previous period needs only the footfall figures: without zone days and conversions
        // the computation skips event uplifts and conversion rates.
        func compute(_ window: ClosedRange<DayNumber>, footfallOnly: Bool) throws -> NetworkFigures {
            let days = window.lowerBound.rawValue...window.upperBound.rawValue
            var series = snapshot
            series.eventDays = footfallOnly ? [] : snapshot.eventDays
            series.conversions = footfallOnly ? [] : snapshot.conversions.filter { days.contains($0.day) }
            series.zoneHours = footfallOnly ? [] : snapshot.zoneHours
            series.zoneLots = footfallOnly ? [] : snapshot.zoneLots
            return try NetworkIndicators.compute(tenantID: scope.tenantID, series: series, origin: origin, period: DayPeriod(window),
                                                 lag: lag)
        }
        // The series: one panel per town over every loaded day, one FootfallIndex per week (a
        // whole NetworkIndicators.compute per week cost ≈ 65 ms each on the demo network).
        let allDays = DayNumber(load.lowerBound)...DayNumber(load.upperBound)
        let townIDs = Array(Set(ids + snapshot.towns.keys)).sorted()
        let panels = try townIDs.map { town in
            (town, try snapshot.towns[town].map { $0.panel.covers(allDays) ? $0.panel : try $0.panel.slice(allDays) }
                ?? NetworkIndicators.townPanel([], days: allDays).panel)
        }
        let weekly = try windows.map { window in
            var values: [String: Double] = [:]
            for (town, panel) in panels {
                if let value = NetworkIndicators.finite(try FootfallIndex.compute(panel: panel, period: window, lag: lag).value) { values[town] = value }
            }
            let median = values.count >= NetworkIndicators.minimumTowns ? NetworkIndicators.finite(IndicatorMath.median(Array(values.values))) : nil
            return WeekPoint(end: window.upperBound, towns: values, median: median)
        }
        var lastDays: [String: DayNumber] = [:]
        var sensorCounts: [String: Int] = [:]
        for (town, series) in snapshot.towns {
            guard let last = series.lastReportedDay else { continue }
            lastDays[town] = last
            sensorCounts[town] = series.reportingSensors
        }
        var result = Inputs(tenant: tenant, towns: towns, label: label, current: try compute(range, footfallOnly: false),
                            previous: try compute(previousRange, footfallOnly: true),
                            weekly: weekly, lastDays: lastDays, sensors: sensorCounts, generatedAt: now,
                            groups: try store.peerGroups(scope))
        result.zoneHours = snapshot.zoneHours
        result.zoneDays = snapshot.eventDays
        return result
    }

    // MARK: Region

    /// The region report (coordinator and admin of the tenant: every town by name).
    /// `language` chooses the language of the notes (the pages translate everything else).
    public static func region(_ inputs: Inputs, language: ReportLanguage = .en) -> RegionReport {
        let current = inputs.current
        let names = Dictionary(inputs.towns.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        func name(_ id: String) -> String { names[id] ?? id }
        let previous = Dictionary((inputs.previous?.towns ?? []).map { ($0.town, $0.footfallIndex) }, uniquingKeysWith: { a, _ in a })
        let towns = current.towns.map { t in
            let before = previous[t.town] ?? nil
            return TownFootfall(townID: t.town, name: name(t.town), series: series(inputs, town: t.town), index: t.footfallIndex,
                                change: difference(t.footfallIndex, before), rank: t.rank)
        }
        let (events, markets) = eventRows(current, names: name, town: nil)
        var report = RegionReport(
            tenantID: inputs.tenant.id, tenantName: inputs.tenant.name, period: reportPeriod(inputs),
            provenance: provenance(inputs), network: network(inputs), towns: towns, events: events,
            conversion: benchmarks(current), coverage: current.towns.map { coverage(inputs, $0, name: name($0.town)) },
            methodology: methodology(current), notes: notes(inputs, markets: markets, language: language),
            spread: networkSpread(inputs), groups: groupSummaries(inputs))
        // Parking, visitor origin and dwell time (issue 19), when any town sends them.
        report.lots = LotsNetwork.summaries(current, names: name)
        return report
    }

    // MARK: Town

    /// The town-against-peers page: the town's own figures in full, the network's beside them, and
    /// of its peers nothing but their number (the page names none).
    public static func town(_ inputs: Inputs, town: String, language: ReportLanguage = .en) throws -> TownReport {
        let current = inputs.current
        guard let own = current.towns.first(where: { $0.town == town }) ?? inputs.towns.first(where: { $0.id == town }).map({
            NetworkFigures.TownFigures(town: $0.id, footfall: nil, footfallIndex: nil, rank: nil, percentile: nil, events: [], conversion: [])
        }) else {
            throw CoordinatorError(.notFound, "No such town in this tenant.")
        }
        let name = inputs.towns.first { $0.id == town }?.name ?? town
        let before = inputs.previous?.towns.first { $0.town == town }?.footfallIndex
        let footfall = TownFootfall(townID: town, name: name, series: series(inputs, town: town), index: own.footfallIndex,
                                    change: difference(own.footfallIndex, before), rank: own.rank)
        let kinds = Dictionary(benchmarks(current).map { ($0.zoneKind, $0) }, uniquingKeysWith: { a, _ in a })
        let (events, markets) = eventRows(current, names: { $0 == town ? name : $0 }, town: town)
        var report = TownReport(
            tenantID: inputs.tenant.id, tenantName: inputs.tenant.name, townID: town, townName: name, period: reportPeriod(inputs),
            provenance: provenance(inputs), footfall: footfall, rankedTowns: current.towns.filter { $0.rank != nil }.count,
            network: network(inputs), events: events + markets.prefix(4), hourly: [],
            conversion: (own.conversion ?? []).map {
                ConversionComparison(zone: $0.zoneId, zoneKind: $0.zoneKind, town: $0.value, pairs: $0.contributingPairs,
                                     benchmark: kinds[$0.zoneKind])
            },
            coverage: coverage(inputs, own, name: name), methodology: methodology(current),
            notes: language == .nl ? [
                "Wekelijkse index passanten (100 = dezelfde dagen een jaar eerder); elk punt van de grafiek is de week die op die dag eindigt.",
                "Het uurprofiel berekent de node van de gemeente zelf (`townbench-node report`); de coördinator ontvangt geen uuraandelen.",
            ] : [
                "Weekly footfall index (100 = the same days a year earlier); each chart point is the week ending on its day.",
                "Hourly profiles are computed by the town's own node (`townbench-node report`); the coordinator does not receive hourly shares.",
            ], networkSpread: networkSpread(inputs), groups: groupComparisons(inputs, town: town))
        // The day shape (issue 20): the town's profile against the peers' band, findings, % of normal.
        try DayShapeNetwork.fill(&report, figures: current, town: town, zoneHours: inputs.zoneHours, zoneDays: inputs.zoneDays)
        // Parking, visitor origin and dwell time (issue 19): the town's own against the peers' band.
        report.lots = LotsNetwork.summaries(current, names: { $0 == town ? name : $0 }, town: town)
        if report.dayShapeZoneKind != nil {
            report.notes.removeAll { $0.hasPrefix("Hourly profiles are computed") || $0.hasPrefix("Het uurprofiel berekent") }
            report.notes.append(language == .nl
                ? "Uurprofiel: aandelen van de dag per uur voor het soort zone \(report.dayShapeZoneKind ?? ""); de peers tonen de mediaan en de middelste helft van minstens 3 gemeenten (day-shape v1)."
                : "Hourly profile: shares of the day per hour for zone kind \(report.dayShapeZoneKind ?? ""); the peers show the median and the middle half of at least 3 towns (day-shape v1).")
        }
        return report
    }

    // MARK: Pieces

    static func difference(_ now: Double?, _ before: Double?) -> Double? {
        guard let now, let before else { return nil }
        return now - before
    }

    static func reportPeriod(_ inputs: Inputs) -> ReportPeriod {
        let range = inputs.current.period.range
        return ReportPeriod(start: range.lowerBound, end: range.upperBound, label: inputs.label)
    }

    static func provenance(_ inputs: Inputs) -> ReportProvenance {
        let log = inputs.current.checkpoint.map {
            " Input: the first \($0.treeSize) entries of the transparency log \($0.origin) (root \($0.rootHash)); any town can verify its submissions are in it."
        } ?? ""
        return ReportProvenance(producer: "TownBench coordinator", generatedAt: inputs.generatedAt,
                                signature: "Computed by this coordinator from the towns' verified, signed aggregates." + log)
    }

    static func series(_ inputs: Inputs, town: String) -> [SeriesPoint] {
        inputs.weekly.map { SeriesPoint(day: $0.end, value: $0.towns[town]) }
    }

    static func network(_ inputs: Inputs) -> NetworkFootfall {
        let current = inputs.current
        return NetworkFootfall(
            index: current.footfall.medianIndex, pooledIndex: current.footfall.pooledIndex,
            change: difference(current.footfall.medianIndex, inputs.previous?.footfall.medianIndex),
            series: inputs.weekly.map { SeriesPoint(day: $0.end, value: $0.median) },
            contributingTowns: current.footfall.towns,
            withheldReason: current.footfall.medianIndex == nil ? "fewer than \(current.minimumTowns) towns" : nil)
    }

    /// The period's events, named events first; the weekly markets (one "event" per market day)
    /// are returned apart so a page can show a few without drowning the rest.
    static func eventRows(_ figures: NetworkFigures, names: (String) -> String, town: String?)
        -> (events: [EventUpliftRow], markets: [EventUpliftRow]) {
        var rows: [EventUpliftRow] = []
        for t in figures.towns where town == nil || t.town == town {
            for e in t.events ?? [] {
                let row = EventUpliftRow(e, townID: t.town, townName: names(t.town), eventName: e.eventId)
                rows.append(row)
            }
        }
        rows.sort { ($0.days.first ?? DayNumber(0), $0.townID) > ($1.days.first ?? DayNumber(0), $1.townID) }
        let markets = rows.filter { $0.kind == EventKind.market.rawValue }
        let named = rows.filter { $0.kind != EventKind.market.rawValue }
        return named.isEmpty && town == nil ? (Array(markets.prefix(12)), markets) : (named, markets)
    }

    /// The network's benchmark per zone kind: the coordinator's median, and quartiles of the towns'
    /// publishable zone figures when at least 4 towns contribute.
    static func benchmarks(_ figures: NetworkFigures) -> [ConversionBenchmark] {
        figures.conversionByZoneKind.map { kind in
            let values = figures.towns.compactMap { t -> Double? in
                let zones = (t.conversion ?? []).filter { $0.zoneKind == kind.zoneKind && $0.publishableAcrossTowns }.compactMap(\.value)
                return zones.isEmpty ? nil : IndicatorMath.median(zones)
            }.sorted()
            func quartile(_ p: Double) -> Double? {
                guard values.count >= 4, kind.median != nil else { return nil }
                return IndicatorMath.quantile(values, p)
            }
            return ConversionBenchmark(zoneKind: kind.zoneKind, towns: kind.towns, median: kind.median,
                                       lowerQuartile: quartile(0.25), upperQuartile: quartile(0.75))
        }
    }

    static func coverage(_ inputs: Inputs, _ town: NetworkFigures.TownFigures, name: String) -> TownCoverage {
        let end = inputs.current.period.range.upperBound
        let completeness = town.footfall.map { $0.daysRequested > 0 ? Double($0.days) / Double($0.daysRequested) : 0 }
        let last = inputs.lastDays[town.town]
        let status: CoverageStatus
        if let last, last < end - staleAfterDays {
            status = .stale
        } else if town.footfallIndex == nil || last == nil {
            status = .missing
        } else if (completeness ?? 0) < 0.9 {
            status = .partial
        } else {
            status = .complete
        }
        return TownCoverage(townID: town.town, townName: name, status: status, completeness: completeness, lastDay: last,
                            activeSensors: town.footfall?.sensors ?? 0, sensors: inputs.sensors[town.town] ?? 0)
    }

    /// The catalogue entry of each indicator at the version the figures used (event-uplift v1 and v2 have different notes).
    static func methodology(_ figures: NetworkFigures) -> [MethodologyEntry] {
        figures.indicators.keys.sorted().map { id in
            let version = figures.indicators[id] ?? 0
            return MethodologyEntry.catalogue.first { $0.indicator == id && $0.version == version }
                ?? MethodologyEntry(indicator: id, version: version)
        }
    }

    static func notes(_ inputs: Inputs, markets: [EventUpliftRow], language: ReportLanguage) -> [String] {
        let nl = language == .nl
        var notes = [nl ? "Wekelijkse index passanten per gemeente (100 = dezelfde dagen een jaar eerder); elk punt van de grafiek is de week die op die dag eindigt."
                        : "Weekly footfall index per town (100 = the same days a year earlier); each chart point is the week ending on its day."]
        if !markets.isEmpty {
            notes.append(nl ? "Ook \(markets.count) weekmarktdagen werden geëvalueerd; ze staan in de JSON van de cijfers, niet allemaal hier."
                            : "\(markets.count) weekly market days were evaluated too; they are in the figures' JSON, not all listed here.")
        }
        notes.append(nl ? "Een gemeente is verouderd als haar laatste data meer dan \(staleAfterDays) dagen ouder zijn dan het einde van de periode."
                        : "A town is stale when its latest data is more than \(staleAfterDays) days older than the period's end.")
        return notes
    }
}
