import Foundation
import Indicators
import Reports

/// A Flanders-scale region (issue 17): 300 towns with 26 weekly points each, peer groups (one of
/// 64 towns, one named with a comma and markup), events, and missing, stale and partial towns;
/// built directly as the model, as the coordinator would map it.
extension Samples {
    static let flandersTowns = 300

    /// Deterministic pseudo-random numbers in 0..<1 (no global state, the same every run).
    static func noise(_ i: Int, _ salt: Int) -> Double {
        var x = UInt64(truncatingIfNeeded: i &* 2_654_435_761 &+ salt &* 40_503)
        x ^= x >> 13
        x = x &* 0x5bd1e995
        x ^= x >> 15
        return Double(x % 10_000) / 10_000
    }

    static func flandersName(_ i: Int) -> String {
        let stems = ["Oost", "West", "Noord", "Zuid", "Sint-", "Groot-", "Klein-", "Neder", "Over", "Hoog"]
        let tails = ["kamp", "kerke", "dorp", "hove", "meersen", "brugge", "roode", "zele", "gem", "linde"]
        let name = stems[i % stems.count] + tails[(i / stems.count) % tails.count]
        return i < 100 ? name : name + " \(i / 100 + 1)"
    }

    static var flanders: RegionReport {
        let end = day(2026, 11, 29)
        let period = ReportPeriod(start: day(2026, 11, 1), end: end, label: "2026-11")
        var towns: [TownFootfall] = []
        var coverage: [TownCoverage] = []
        var events: [EventUpliftRow] = []
        for i in 0..<flandersTowns {
            let id = String(format: "town-%03d", i)
            let name = i == 7 ? hostileName : flandersName(i)
            let isMissing = i % 97 == 5
            let level = 80 + 40 * noise(i, 1)
            let series = (0..<26).map { w -> SeriesPoint in
                let d = end - 7 * (25 - w)
                if isMissing || (i % 31 == 3 && (10..<13).contains(w)) { return SeriesPoint(day: d, value: nil) }
                return SeriesPoint(day: d, value: ((level + 8 * sin(Double(w) / 4 + Double(i)) + 4 * noise(i, w)) * 10).rounded() / 10)
            }
            towns.append(
                TownFootfall(
                    townID: id, name: name, series: series, index: isMissing ? nil : (level * 10).rounded() / 10,
                    change: isMissing ? nil : ((noise(i, 2) - 0.5) * 20 * 10).rounded() / 10, rank: nil))
            let status: CoverageStatus = isMissing ? .missing : (i % 53 == 4 ? .stale : (i % 31 == 3 ? .partial : .complete))
            coverage.append(
                TownCoverage(
                    townID: id, townName: name, status: status,
                    completeness: isMissing ? nil : (status == .partial ? 0.78 : 0.97 + 0.03 * noise(i, 3)),
                    lastDay: isMissing ? nil : (status == .stale ? end - 20 : end), activeSensors: isMissing ? 0 : 12,
                    sensors: 15))
            if i % 5 == 0 {
                events.append(
                    EventUpliftRow(
                        townID: id, townName: name, eventName: "Braderie \(i)", kind: "event", zone: "Centrum",
                        days: [end - i % 28], raw: Estimate(value: noise(i, 4) * 0.4 - 0.05, low: noise(i, 4) * 0.4 - 0.15, high: noise(i, 4) * 0.4 + 0.05),
                        peerAdjusted: Estimate(value: noise(i, 4) * 0.35 - 0.05), peers: 40))
            }
        }
        // Rank 1 = the highest index.
        let order = towns.indices.filter { towns[$0].index != nil }.sorted { (towns[$0].index ?? 0) > (towns[$1].index ?? 0) }
        for (rank, i) in order.enumerated() { towns[i].rank = rank + 1 }
        let values = order.compactMap { towns[$0].index }.sorted()
        func q(_ p: Double) -> Double {
            let x = p * Double(values.count - 1)
            let lo = Int(x.rounded(.down)), hi = Int(x.rounded(.up))
            return values[lo] + (values[hi] - values[lo]) * (x - Double(lo))
        }
        let weekly = (0..<26).map { w in
            SeriesPoint(day: end - 7 * (25 - w), value: ((100 + 3 * sin(Double(w) / 4)) * 10).rounded() / 10)
        }
        let network = NetworkFootfall(
            index: (q(0.5) * 10).rounded() / 10, pooledIndex: 99.1, change: 0.8, series: weekly,
            contributingTowns: values.count)
        func group(_ name: String, _ members: [Int]) -> PeerGroupSummary {
            let ids = members.map { towns[$0].townID }
            let v = members.compactMap { towns[$0].index }.sorted()
            func gq(_ p: Double) -> Double? {
                guard v.count >= 4 else { return nil }
                let x = p * Double(v.count - 1)
                return v[Int(x.rounded(.down))] + (v[Int(x.rounded(.up))] - v[Int(x.rounded(.down))]) * (x - x.rounded(.down))
            }
            return PeerGroupSummary(
                name: name, townIDs: ids,
                spread: IndexSpread(towns: v.count, median: v.count >= 3 ? gq(0.5) ?? v[v.count / 2] : nil, lowerQuartile: gq(0.25), upperQuartile: gq(0.75)))
        }
        let groups = [
            group("Centre cities", Array(stride(from: 0, to: 300, by: 23))),
            group("Coast, polders & <b>dunes</b>", [1, 3, 9, 27, 81, 243, 7]),
            group("Small towns West Flanders", Array(0..<64).map { $0 * 4 + 1 }),
            group("Two towns", [10, 11]),
        ]
        return RegionReport(
            tenantID: "flanders", tenantName: "Flemish network", period: period,
            provenance: ReportProvenance(producer: "TownBench coordinator", generatedAt: Date(timeIntervalSince1970: 1_796_025_600)),
            network: network, towns: towns, events: events,
            conversion: [ConversionBenchmark(zoneKind: "core", towns: 240, median: 0.12, lowerQuartile: 0.09, upperQuartile: 0.15)],
            coverage: coverage, notes: ["300 towns, built in the test as the coordinator maps them."],
            spread: IndexSpread(towns: values.count, median: network.index, lowerQuartile: q(0.25), upperQuartile: q(0.75)),
            groups: groups)
    }

    /// One town of ``flanders`` against the network and its two groups.
    static var flandersTown: TownReport {
        let r = flanders
        let me = r.towns[1]
        let mine = r.groups.filter { $0.townIDs.contains(me.townID) }
        let indexByTown = Dictionary(uniqueKeysWithValues: r.towns.map { ($0.townID, $0.index) })
        return TownReport(
            tenantID: r.tenantID, tenantName: r.tenantName, townID: me.townID, townName: me.name, period: r.period,
            provenance: r.provenance, footfall: me, rankedTowns: r.network.contributingTowns, network: r.network,
            coverage: r.coverage[1], networkSpread: r.spread,
            groups: mine.map { g in
                let values = g.townIDs.compactMap { indexByTown[$0] ?? nil }
                return PeerGroupComparison(
                    name: g.name, members: g.townIDs.count, spread: g.spread,
                    rank: me.index.map { mine in values.filter { $0 > mine }.count + 1 })
            })
    }
}
