// The pages' lot parts at the coordinator (issue 19): the network figures' lot bands and the
// towns' own lot values mapped to the Reports model, from the same figures the API serves.
import Federation
import Reports

extension LotsNetwork {
    /// One summary per band (zone kind, figure, site kind), with the values of every town (the
    /// region page) or of `town` alone (its page); nil when the figures carry no lots.
    static func summaries(_ figures: NetworkFigures, names: (String) -> String, town: String? = nil) -> [LotSummary]? {
        guard let bands = figures.lotBands, !bands.isEmpty else { return nil }
        let summaries = bands.map { band in
            var values: [LotSummary.TownValue] = []
            for t in figures.towns where town == nil || t.town == town {
                guard let lots = t.lots?.first(where: { $0.zoneKind == band.zoneKind }), let v = value(lots, band), v.isFinite else { continue }
                values.append(.init(townID: t.town, townName: names(t.town), value: v))
            }
            return LotSummary(zoneKind: band.zoneKind, figure: band.figure.rawValue, siteKind: band.siteKind, towns: values,
                              peerTowns: band.towns, peersWithheld: band.publication == "publish" ? nil : band.publication,
                              median: band.median, lowerQuartile: band.lowerQuartile, upperQuartile: band.upperQuartile)
        }
        // A town's page shows the figures of the zone kinds it has; the region page every band.
        let shown = town == nil ? summaries : summaries.filter { !$0.towns.isEmpty }
        return shown.isEmpty ? nil : shown
    }

    /// A town's value of `band`'s figure.
    static func value(_ lots: NetworkFigures.ZoneKindLots, _ band: NetworkFigures.LotBand) -> Double? {
        let parking = lots.parking?.first { $0.siteKind == band.siteKind }
        switch band.figure {
        case .parkingMeanOccupancy: return parking?.meanOccupancy
        case .parkingPeakOccupancy: return parking?.peakOccupancy
        case .parkingSaturatedHours: return parking?.saturatedHoursPerDay
        case .localShare: return lots.localShare
        case .hinterlandShare: return lots.hinterlandShare
        case .medianDwellMinutes: return lots.medianDwellMinutes
        }
    }
}
