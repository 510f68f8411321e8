// townbench-demo: the two steps of deploy/demo.sh that no product command covers (yet):
//   simulate       writes a simulated town's import files (Node's Simulator) — the same as
//                  `townbench-node simulate` once that command exists;
//   region-report  renders the static region report (Reports) from the coordinator's
//                  `GET /v1/tenants/{tenant}/indicators` JSON for a series of weeks;
//   town-report    the town-against-peers page from the same files, for one town.
// It reads the coordinator's public JSON only (no Coordinator import), so it shows what a
// client of the API can build.
import Foundation
import Indicators
import Node
import Reports

struct DemoError: Error, CustomStringConvertible {
    let description: String
    init(_ text: String) { description = text }
}

/// The subset of the coordinator's `NetworkFigures` JSON the reports use.
struct Figures: Decodable {
    struct Period: Decodable {
        var from: String
        var to: String
    }
    struct Footfall: Decodable {
        var medianIndex: Double?
        var pooledIndex: Double?
        var towns: Int
        var pooledPublication: String?
    }
    struct FootfallResult: Decodable {
        var value: Double?
        var pairs: Int
        var sensors: Int
        var days: Int
        var daysRequested: Int
    }
    struct Event: Decodable {
        var eventId: String
        var kind: String
        var zoneId: String
        var days: [String]
        var uplift: Double?
        var low: Double?
        var high: Double?
        var peerAdjusted: Double?
        var peers: Int
    }
    struct ZoneConversion: Decodable {
        var zoneId: String
        var zoneKind: String
        var value: Double?
        var contributingPairs: Int
    }
    struct Town: Decodable {
        var town: String
        var footfall: FootfallResult?
        var footfallIndex: Double?
        var rank: Int?
        var events: [Event]?
        var conversion: [ZoneConversion]?
    }
    struct ZoneKindConversion: Decodable {
        var zoneKind: String
        var towns: Int
        var median: Double?
    }
    var tenantId: String
    var period: Period
    var indicators: [String: Int]
    var minimumTowns: Int
    var footfall: Footfall
    var towns: [Town]
    var conversionByZoneKind: [ZoneKindConversion]
}

/// The node's `indicators --indicator hourly-profile --json` output (the part the page uses).
struct LocalHourly: Decodable {
    struct Profile: Decodable {
        var dayType: String
        var shares: [Double]?
        var openingHoursShare: Double?
        var lunchtimeShare: Double?
    }
    var hourlyProfile: [Profile]?
}

func loadHourly(_ path: String) throws -> [LocalHourly.Profile] {
    do {
        return try JSONDecoder().decode(LocalHourly.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
            .hourlyProfile ?? []
    } catch {
        throw DemoError("\(path): not the node's hourly-profile JSON (\(error))")
    }
}

func median(_ values: [Double]) -> Double? {
    let v = values.filter(\.isFinite).sorted()
    guard !v.isEmpty else { return nil }
    return v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2
}

/// The town's hourly profiles beside the median of its peers' (computed by each node locally).
func hourlyComparisons(own: [LocalHourly.Profile], peers: [[LocalHourly.Profile]], openingHours: Range<Int>)
    -> [HourlyComparison]
{
    own.map { mine in
        let theirs = peers.compactMap { $0.first { $0.dayType == mine.dayType } }
        let peerShares: [Double?] = (0..<24).map { h in
            median(theirs.compactMap { $0.shares.flatMap { h < $0.count ? $0[h] : nil } })
        }
        let open: Range<Int>? = mine.dayType == DayType.sundayOrHoliday.rawValue ? nil : openingHours
        return HourlyComparison(
            dayType: mine.dayType, town: (0..<24).map { h in mine.shares.flatMap { h < $0.count ? $0[h] : nil } },
            peers: peerShares, openingHours: open,
            townOpeningHoursShare: open == nil ? nil : mine.openingHoursShare,
            peersOpeningHoursShare: open == nil ? nil : median(theirs.compactMap(\.openingHoursShare)),
            townLunchtimeShare: mine.lunchtimeShare, peersLunchtimeShare: median(theirs.compactMap(\.lunchtimeShare)))
    }
}

func options(_ args: inout [String], _ name: String) -> [String] {
    var values: [String] = []
    while let v = option(&args, name) { values.append(v) }
    return values
}

func option(_ args: inout [String], _ name: String) -> String? {
    guard let i = args.firstIndex(of: "--" + name), i + 1 < args.count else { return nil }
    let value = args[i + 1]
    args.removeSubrange(i...(i + 1))
    return value
}

func required(_ args: inout [String], _ name: String) throws -> String {
    guard let value = option(&args, name) else { throw DemoError("missing --\(name)") }
    return value
}

func loadFigures(_ paths: [String]) throws -> [Figures] {
    let decoder = JSONDecoder()
    let figures = try paths.map { path in
        do { return try decoder.decode(Figures.self, from: Data(contentsOf: URL(fileURLWithPath: path))) } catch {
            throw DemoError("\(path): not the coordinator's indicators JSON (\(error))")
        }
    }
    guard !figures.isEmpty else {
        throw DemoError("give at least one FIGURES.json (the last one is the report's period)")
    }
    return figures.sorted { $0.period.to < $1.period.to }
}

func day(_ text: String) -> DayNumber? { try? DayNumber(iso: String(text.prefix(10))) }

func displayName(_ id: String) -> String {
    if let preset = SimulatedTown.preset(id) { return preset.name }
    if id.hasPrefix("peer-") { return "Peer " + id.dropFirst(5) }
    return id
}

func methodology(_ f: Figures) -> [MethodologyEntry] {
    let notes = Dictionary(MethodologyEntry.catalogue.map { ($0.indicator, $0.note) }, uniquingKeysWith: { a, _ in a })
    return f.indicators.keys.sorted().map {
        MethodologyEntry(indicator: $0, version: f.indicators[$0] ?? 0, note: notes[$0] ?? "")
    }
}

/// Quartiles of the towns' zone figures per zone kind (the coordinator publishes the median).
func benchmarks(_ f: Figures) -> [ConversionBenchmark] {
    f.conversionByZoneKind.map { kind in
        let values = f.towns.compactMap { t in
            t.conversion?.filter { $0.zoneKind == kind.zoneKind }.compactMap(\.value).first
        }.sorted()
        func q(_ p: Double) -> Double? {
            guard values.count >= 4, kind.median != nil else { return nil }
            let x = p * Double(values.count - 1)
            let lo = Int(x.rounded(.down))
            let hi = Int(x.rounded(.up))
            return values[lo] + (values[hi] - values[lo]) * (x - Double(lo))
        }
        return ConversionBenchmark(
            zoneKind: kind.zoneKind, towns: kind.towns, median: kind.median,
            lowerQuartile: q(0.25), upperQuartile: q(0.75))
    }
}

func coverage(_ t: Figures.Town, current: Figures, lastDays: [String: DayNumber]) -> TownCoverage {
    let completeness = t.footfall.map { $0.daysRequested > 0 ? Double($0.days) / Double($0.daysRequested) : 0 }
    let status: CoverageStatus
    if t.footfallIndex == nil {
        status = .missing
    } else if (completeness ?? 0) < 0.9 {
        status = .partial
    } else {
        status = .complete
    }
    return TownCoverage(
        townID: t.town, townName: displayName(t.town), status: status, completeness: completeness,
        lastDay: lastDays[t.town], activeSensors: t.footfall?.sensors ?? 0, sensors: t.footfall?.sensors ?? 0)
}

/// Every event of every week's figures, once, newest first.
func collectEvents(_ all: [Figures]) -> [EventUpliftRow] {
    var events: [EventUpliftRow] = []
    for f in all {
        for t in f.towns {
            for e in t.events ?? [] where !events.contains(where: { $0.eventName == e.eventId && $0.townID == t.town })
            {
                events.append(
                    EventUpliftRow(
                        townID: t.town, townName: displayName(t.town), eventName: e.eventId, kind: e.kind,
                        zone: e.zoneId,
                        days: e.days.compactMap(day),
                        raw: e.uplift.map { Estimate(value: $0, low: e.low, high: e.high) },
                        peerAdjusted: e.peerAdjusted.map { Estimate(value: $0) }, peers: e.peers,
                        note: e.uplift == nil
                            ? "not enough clean baseline days"
                            : (e.peerAdjusted == nil ? "fewer than 3 peers without an event" : nil)))
            }
        }
    }
    events.sort { ($0.days.first ?? DayNumber(0)) > ($1.days.first ?? DayNumber(0)) }
    return events
}

func regionModel(_ all: [Figures], tenantName: String) throws -> RegionReport {
    guard let current = all.last, let start = day(current.period.from), let end = day(current.period.to) else {
        throw DemoError("the figures have no readable period")
    }
    let previous = all.count >= 2 ? all[all.count - 2] : nil
    var series: [String: [SeriesPoint]] = [:]
    var lastDays: [String: DayNumber] = [:]
    var network: [SeriesPoint] = []
    for f in all {
        guard let d = day(f.period.to) else { continue }
        network.append(SeriesPoint(day: d, value: f.footfall.medianIndex))
        for t in f.towns {
            series[t.town, default: []].append(SeriesPoint(day: d, value: t.footfallIndex))
            if t.footfallIndex != nil { lastDays[t.town] = d }
        }
    }
    let towns = current.towns.map { t in
        let before = previous?.towns.first { $0.town == t.town }?.footfallIndex
        return TownFootfall(
            townID: t.town, name: displayName(t.town), series: series[t.town] ?? [], index: t.footfallIndex,
            change: t.footfallIndex.flatMap { now in before.map { now - $0 } }, rank: t.rank)
    }
    let change = current.footfall.medianIndex.flatMap { now in previous?.footfall.medianIndex.map { now - $0 } }
    let withheld = current.footfall.medianIndex == nil ? "fewer than \(current.minimumTowns) towns" : nil
    var events = collectEvents(all)
    // Named events first; the weekly markets (each one an "event" of kind market) would drown them.
    let markets = events.filter { $0.kind == "market" }
    let named = events.filter { $0.kind != "market" }
    events = named.isEmpty ? Array(markets.prefix(12)) : named
    return RegionReport(
        tenantID: current.tenantId, tenantName: tenantName,
        period: ReportPeriod(
            start: start, end: end, label: "\(end.isoWeek.year)-W\(end.isoWeek.week < 10 ? "0" : "")\(end.isoWeek.week)"
        ),
        provenance: ReportProvenance(
            producer: "TownBench coordinator (demo)", generatedAt: Date(),
            signature:
                "Figures from GET /v1/tenants/\(current.tenantId)/indicators over TLS-less localhost (demo); not signed."
        ),
        network: NetworkFootfall(
            index: current.footfall.medianIndex, pooledIndex: current.footfall.pooledIndex, change: change,
            series: network, contributingTowns: current.footfall.towns, withheldReason: withheld),
        towns: towns, events: events, conversion: benchmarks(current),
        coverage: current.towns.map { coverage($0, current: current, lastDays: lastDays) },
        methodology: methodology(current),
        notes: [
            "Weekly footfall index per town (100 = the same ISO week a year earlier); each point is one week.",
            "\(markets.count) weekly markets were evaluated too; they are in the coordinator's figures, not listed here.",
            "Simulated data (deploy/demo.sh): the towns are real, the counts are not.",
        ])
}

func townModel(_ all: [Figures], town: String, tenantName: String, hourly: [HourlyComparison]) throws -> TownReport {
    let region = try regionModel(all, tenantName: tenantName)
    guard let current = all.last, let own = region.towns.first(where: { $0.townID == town }),
        let raw = current.towns.first(where: { $0.town == town })
    else {
        throw DemoError("town \(town) is not in the figures")
    }
    let kinds = Dictionary(region.conversion.map { ($0.zoneKind, $0) }, uniquingKeysWith: { a, _ in a })
    return TownReport(
        tenantID: region.tenantID, tenantName: tenantName, townID: town, townName: own.name, period: region.period,
        provenance: region.provenance, footfall: own, rankedTowns: region.towns.filter { $0.rank != nil }.count,
        network: region.network,
        events: {
            let mine = collectEvents(all).filter { $0.townID == town }
            return mine.filter { $0.kind != "market" } + mine.filter { $0.kind == "market" }.prefix(4)
        }(),
        hourly: hourly,
        conversion: (raw.conversion ?? []).map {
            ConversionComparison(
                zone: $0.zoneId, zoneKind: $0.zoneKind, town: $0.value, pairs: $0.contributingPairs,
                benchmark: kinds[$0.zoneKind])
        },
        coverage: region.coverage.first { $0.townID == town }
            ?? TownCoverage(
                townID: town, townName: own.name, status: .missing, completeness: nil, lastDay: nil, activeSensors: 0,
                sensors: 0),
        methodology: region.methodology,
        notes: [
            "Hourly profiles: each node's own `townbench-node indicators --indicator hourly-profile` over the last four weeks; peers = the median of the other demo towns' profiles (the coordinator's figures do not carry hourly shares)."
        ])
}

func run() throws {
    var args = Array(CommandLine.arguments.dropFirst())
    guard let command = args.first else {
        print("usage: townbench-demo simulate --town ID --years N --end YYYY-MM-DD --seed S --out DIR")
        print("       townbench-demo region-report --tenant-name NAME --out DIR [--lang en|nl] FIGURES.json...")
        print("       townbench-demo town-report --town ID --tenant-name NAME --out DIR [--lang en|nl]")
        print("                  [--hourly NODE-HOURLY.json] [--peer-hourly PEER-HOURLY.json]... FIGURES.json...")
        return
    }
    args.removeFirst()
    switch command {
    case "simulate":
        let id = try required(&args, "town")
        guard let town = SimulatedTown.preset(id) else {
            throw DemoError("unknown town '\(id)'; presets: \(SimulatedTown.presets.map(\.id).joined(separator: ", "))")
        }
        let years = Int(option(&args, "years") ?? "2") ?? 2
        let end = try DayNumber(iso: try required(&args, "end"))
        let seed = UInt64(option(&args, "seed") ?? "42") ?? 42
        let out = URL(fileURLWithPath: try required(&args, "out"), isDirectory: true)
        let files = try Simulator.write(town: town, years: years, endingOn: end, seed: seed, to: out)
        print("sensors \(files.sensors.path)")
        print("school-holidays \(files.schoolHolidays.path)")
        print("events \(files.events.path)")
        print("counts \(files.counts.path)")
        print("rows \(files.countRows)")
    case "region-report", "town-report":
        let name = try required(&args, "tenant-name")
        let out = URL(fileURLWithPath: try required(&args, "out"), isDirectory: true)
        let language = ReportLanguage(tag: option(&args, "lang"))
        let town = command == "town-report" ? try required(&args, "town") : nil
        let ownHourly = try option(&args, "hourly").map(loadHourly) ?? []
        let peerHourly = try options(&args, "peer-hourly").map(loadHourly)
        let figures = try loadFigures(args)
        let page: URL
        if let town {
            page = try ReportExport.write(
                town: try townModel(
                    figures, town: town, tenantName: name,
                    hourly: hourlyComparisons(own: ownHourly, peers: peerHourly, openingHours: 9..<18)),
                language: language, to: out)
        } else {
            page = try ReportExport.write(
                region: try regionModel(figures, tenantName: name), language: language, to: out)
        }
        print(page.path)
    default:
        throw DemoError("unknown command '\(command)'")
    }
}

do {
    try run()
} catch {
    FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
    exit(1)
}
