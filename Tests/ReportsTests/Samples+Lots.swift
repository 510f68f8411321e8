import Foundation
import Reports

/// Parking, visitor origin and dwell time on the 300-town samples (issue 19), as the coordinator
/// maps its figures: every band, each town's values on the region page, its own on the town page.
extension Samples {
    static func lots(_ towns: [TownFootfall], only town: String? = nil) -> [LotSummary] {
        let figures: [(figure: String, site: String?, base: Double, span: Double)] = [
            ("parking-mean-occupancy", "garage", 0.4, 0.4), ("parking-peak-occupancy", "garage", 0.7, 0.3),
            ("parking-saturated-hours", "garage", 0, 6), ("parking-mean-occupancy", "on-street", 0.5, 0.45),
            ("local-share", nil, 0.2, 0.5), ("hinterland-share", nil, 0.1, 0.3), ("median-dwell-minutes", nil, 25, 90),
        ]
        return figures.enumerated().map { k, f in
            let values = towns.enumerated().filter { $0.offset % 3 != 2 }.map { i, t in
                LotSummary.TownValue(townID: t.townID, townName: t.name, value: f.base + f.span * noise(i, 10 + k))
            }
            let sorted = values.map(\.value).sorted()
            func q(_ p: Double) -> Double {
                let x = p * Double(sorted.count - 1)
                return sorted[Int(x.rounded(.down))] + (sorted[Int(x.rounded(.up))] - sorted[Int(x.rounded(.down))]) * (x - x.rounded(.down))
            }
            return LotSummary(
                zoneKind: "core_shopping_street", figure: f.figure, siteKind: f.site,
                towns: town.map { id in values.filter { $0.townID == id } } ?? values, peerTowns: values.count, peersWithheld: nil,
                median: q(0.5), lowerQuartile: q(0.25), upperQuartile: q(0.75))
        }
    }

    static var flandersWithLots: RegionReport {
        var r = flanders
        r.lots = lots(r.towns)
        return r
    }

    static var flandersTownWithLots: TownReport {
        var t = flandersTown
        t.lots = lots(flanders.towns, only: t.townID)
        return t
    }
}
