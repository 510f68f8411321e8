import Foundation
import Indicators
import Reports

/// The samples with event-uplift v2 figures as the coordinator maps them (issue 18): an effect
/// above the ordinary variation, one within it (peer-adjusted missing, so the town's own decides),
/// one without any interval (too little history), and works below it.
extension Samples {
    static func v2(_ level: Double, own: (Double?, Double?, Double?, Int, Double?, String?),
                   peer: (Double?, Double?, Double?, Int, Double?, String?)?, peers: Int) -> EventUpliftV2Figures {
        EventUpliftV2Figures(
            level: level,
            own: EventUpliftV2Figure(uplift: own.0, low: own.1, high: own.2, calibrationDays: own.3, minimumDetectableUplift: own.4, reason: own.5),
            peerAdjusted: peer.map {
                EventUpliftV2Figure(uplift: $0.0, low: $0.1, high: $0.2, calibrationDays: $0.3, minimumDetectableUplift: $0.4, reason: $0.5)
            },
            peers: peers)
    }

    static var regionV2: RegionReport {
        var r = region
        r.events[0].v2 = v2(0.9, own: (0.234, 0.041, 0.427, 230, 0.193, nil), peer: (0.18, 0.06, 0.30, 212, 0.12, nil), peers: 5)
        r.events[1].v2 = v2(0.9, own: (-0.042, -0.213, 0.129, 180, 0.171, nil),
                            peer: (nil, nil, nil, 0, nil, "fewer than 3 peers without an event, campaign or works"), peers: 2)
        r.events[2].v2 = v2(0.9, own: (0.09, nil, nil, 12, nil, "fewer than 20 calibration days (12): lower the level or wait for more history"),
                            peer: (0.071, nil, nil, 11, nil, "fewer than 20 calibration days (11)"), peers: 4)
        var works = EventUpliftRow(
            townID: "town-3", townName: "Harelbeke", eventName: "Wegenwerken Marktplein", kind: "works", zone: "Markt",
            days: [day(2026, 11, 18), day(2026, 11, 19)], raw: Estimate(value: -0.31, low: -0.38, high: -0.22),
            peerAdjusted: Estimate(value: -0.27), peers: 5)
        works.v2 = v2(0.9, own: (-0.29, -0.43, -0.15, 221, 0.15, nil), peer: (-0.25, -0.37, -0.13, 205, 0.13, nil), peers: 5)
        r.events.insert(works, at: 2)
        r.methodology = MethodologyEntry.catalogue.filter { $0.indicator != "event-uplift" || $0.version == 2 }
        return r
    }

    /// Blankenberge's page from ``regionV2``: its event with v2, and the works of a neighbour moved to it.
    static var townV2: TownReport {
        var t = town
        let r = regionV2
        var works = r.events[2]
        works.townID = t.townID
        works.townName = t.townName
        t.events = [r.events[0], works, r.events[3]]
        t.methodology = r.methodology
        return t
    }

    /// ``flanders`` with v2 on every event (its 40 page rows in the v2 table), as the coordinator maps them.
    static var flandersV2: RegionReport {
        var r = flanders
        for i in r.events.indices {
            let raw = r.events[i].raw, value = raw?.value ?? 0
            r.events[i].v2 = v2(0.9, own: (value, value - 0.17, value + 0.17, 200 + i, 0.16, nil),
                                peer: i % 7 == 3 ? (nil, nil, nil, 0, nil, "fewer than 3 peers without an event, campaign or works")
                                    : (value - 0.03, value - 0.15, value + 0.09, 190 + i, 0.12, nil), peers: 40)
        }
        return r
    }
}
