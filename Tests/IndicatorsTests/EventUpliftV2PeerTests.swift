import Foundation
import Indicators
import Testing
import TestSupport

/// `Indicators/vectors/event-uplift-v2-peer-*.json`: several towns' daily totals, one event, the
/// figures of the oracle `Indicators/oracle/event_uplift_v2_peers.py`.
enum PeerVector {
    static let prefix = "event-uplift-v2-peer"

    struct File: Decodable {
        struct Town: Decodable {
            var id: String
            var sensors: [Vector.Sensor]
            var excludedDays: [DayNumber]
        }
        struct Event: Decodable {
            var town: String
            var start: DayNumber
            var length: Int
            var level: Double
        }
        struct Figure: Decodable {
            var value: Double?
            var low: Double?
            var high: Double?
            var calibrationDays: Int
            var quantile: Double?
            var minimumDetectableUplift: Double?
        }
        struct Figures: Decodable {
            var eventRatio: Double?
            var peers: Int
            var own: Figure
            var peerAdjusted: Figure
        }
        var towns: [Town]
        var event: Event
        var figures: Figures
    }

    static func load(_ name: String) throws -> File {
        try JSONDecoder().decode(File.self, from: Data(contentsOf: Vector.directory.appendingPathComponent(name)))
    }

    /// A town's daily panel (rows in file order), every listed day valid.
    static func panel(_ town: File.Town) throws -> DailyPanel {
        let days = town.sensors.flatMap { $0.days.map(\.day) }
        guard let first = days.min(), let last = days.max() else {
            return try DailyPanel(firstDay: DayNumber(0), dayCount: 0, sensorCount: 0)
        }
        var panel = try DailyPanel(firstDay: first, dayCount: first.distance(to: last) + 1, sensorCount: town.sensors.count)
        for (row, sensor) in town.sensors.enumerated() {
            for d in sensor.days { try panel.set(sensor: row, day: d.day, total: d.dayTotal, isValid: true) }
        }
        return panel
    }

    /// The coordinator's way: every town's series once, the peers' medians once, then the event.
    static func evaluate(_ file: File) throws -> EventUpliftV2.PeerAdjusted {
        let e = file.event
        let anchors = (e.start - EventUpliftV2.calibrationLookbackDays)...e.start
        var series: [String: EventUpliftV2.RatioSeries] = [:]
        var eventRatio: (ratio: Double?, reason: String?) = (nil, nil)
        for town in file.towns {
            let panel = try panel(town)
            let rows = Array(town.sensors.indices)
            series[town.id] = try EventUpliftV2.dailyRatios(
                panel: panel, sensors: rows, length: e.length, anchors: anchors, excludedDays: Set(town.excludedDays))
            if town.id == e.town {
                eventRatio = try EventUpliftV2.dailyEventRatio(
                    panel: panel, sensors: rows, length: e.length, start: e.start, excludedDays: Set(town.excludedDays))
            }
        }
        let peers = try EventUpliftV2.PeerRatios(file.towns.compactMap { series[$0.id] }, length: e.length, anchors: anchors)
        let zone = try #require(series[e.town])
        return try EventUpliftV2.peerAdjusted(
            start: e.start, eventRatio: eventRatio.ratio, eventReason: eventRatio.reason, zone: zone, peers: peers, town: zone,
            level: e.level)
    }

    static func check(_ name: String) throws {
        let file = try load(name)
        let r = try evaluate(file)
        let want = file.figures
        #expect(r.peers == want.peers, "\(name): peers \(r.peers)")
        for (label, got, w) in [("own", r.own, want.own), ("peer-adjusted", r.peerAdjusted, want.peerAdjusted)] {
            #expect(close(got.value, w.value), "\(name) \(label): value \(String(describing: got.value))")
            #expect(close(got.low, w.low), "\(name) \(label): low \(String(describing: got.low))")
            #expect(close(got.high, w.high), "\(name) \(label): high \(String(describing: got.high))")
            #expect(got.calibrationDays == w.calibrationDays, "\(name) \(label): calibration days \(got.calibrationDays)")
            #expect(close(got.quantile, w.quantile), "\(name) \(label): quantile")
            #expect(close(got.minimumDetectableUplift, w.minimumDetectableUplift), "\(name) \(label): minimum detectable uplift")
            if got.value == nil || got.low == nil { #expect(got.reason != nil, "\(name) \(label): a missing figure says why") }
        }
        #expect(close(r.own.value.map { $0 + 1 }, want.eventRatio), "\(name): event ratio")
    }
}

@Suite("event-uplift v2 at the coordinator: whole days, own and peer-adjusted")
struct EventUpliftV2PeerTests {
    @Test("both peer vectors are there (checked by VectorTests)")
    func vectorsExist() {
        #expect(Vector.fileNames.filter { $0.hasPrefix(PeerVector.prefix) }.count >= 2)
    }

    @Test("the peer-adjusted vector: a shared rainy day hides the event from the town's own figure, not from the peer-adjusted one")
    func sharedShock() throws {
        let r = try PeerVector.evaluate(PeerVector.load("event-uplift-v2-peer-adjusted.json"))
        let own = try #require(r.own.value), adjusted = try #require(r.peerAdjusted.value)
        #expect(own < 0.2 && adjusted > 0.4)  // injected: × 1.5 on a × 0.8 day
        // The shared day factor cancels: the peer-adjusted interval is narrower.
        #expect(try #require(r.peerAdjusted.quantile) < (try #require(r.own.quantile)) / 2)
    }

    @Test("too few peers: no peer-adjusted value, with a reason; the own figure stands")
    func tooFewPeers() throws {
        let r = try PeerVector.evaluate(PeerVector.load("event-uplift-v2-peer-too-few.json"))
        #expect(r.peers == 2)
        #expect(r.peerAdjusted.value == nil && r.peerAdjusted.low == nil)
        #expect(r.peerAdjusted.reason?.contains("need 3") == true)
        #expect(r.own.value != nil && r.own.low != nil)
    }

    /// One sensor's daily totals as an hourly panel (the total in hour 12) and as a daily one.
    static func panels(first: DayNumber, days: Int, seed: UInt64) throws -> (HourlyPanel, DailyPanel) {
        let hourly = try EventUpliftV2Tests.panel(first: first, days: days, seed: seed)
        return (hourly, try hourly.dailyPanel(hours: 0..<24))
    }

    @Test("the whole-day own form equals v2 on a one-day window: the same rule, the same calibration")
    func ownEqualsHourly() throws {
        let first = try DayNumber(iso: "2023-06-01")
        let (hourly, daily) = try Self.panels(first: first, days: 800, seed: 3)
        let day = try DayNumber(iso: "2025-07-23")
        let excluded: Set<DayNumber> = [day, day - 14, day - 100]
        let v2 = try EventUpliftV2.compute(
            panel: hourly, sensors: [0], sensorIDs: ["A"], window: try EventWindow(days: day...day), excludedDays: excluded)
        let anchors = (day - 364)...day
        let zone = try EventUpliftV2.dailyRatios(panel: daily, sensors: [0], length: 1, anchors: anchors, excludedDays: excluded)
        let event = try EventUpliftV2.dailyEventRatio(panel: daily, sensors: [0], length: 1, start: day, excludedDays: excluded)
        let peers = try EventUpliftV2.PeerRatios([], length: 1, anchors: anchors)
        let r = try EventUpliftV2.peerAdjusted(start: day, eventRatio: event.ratio, zone: zone, peers: peers, town: zone)
        #expect(close(r.own.value, v2.uplift, tolerance: 1e-9))
        #expect(close(r.own.low, v2.low, tolerance: 1e-9) && close(r.own.high, v2.high, tolerance: 1e-9))
        #expect(r.own.calibrationDays == v2.calibrationDays)
        #expect(r.own.minimumDetectableUplift != nil)
        // No peers: the peer-adjusted form says so.
        #expect(r.peers == 0 && r.peerAdjusted.value == nil && r.peerAdjusted.reason != nil)
        #expect(r.peerAdjusted.calibrationDays == 0)
    }

    @Test("leaving a town out of the per-day peers' median equals the median of the others")
    func medianLeavingOut() throws {
        var noise = SplitMixNoise(seed: 11)
        let first = try DayNumber(iso: "2025-01-01")
        let anchors = first...(first + 29)
        let towns = (0..<6).map { t in
            EventUpliftV2.RatioSeries(
                length: 1, firstAnchor: first,
                ratios: (0..<30).map { i in noise.next() < 0.2 ? nil : (t == 2 && i % 3 == 0 ? 1.0 : (0.5 + noise.next()).rounded(toPlaces: 2)) })
        }
        let peers = try EventUpliftV2.PeerRatios(towns, length: 1, anchors: anchors)
        for (t, town) in towns.enumerated() {
            for x in anchors {
                let others = towns.enumerated().filter { $0.offset != t }.compactMap { $0.element.ratio(at: x) }
                let got = peers.median(at: x, leavingOut: town)
                #expect(got.count == others.count)
                #expect(close(got.median, IndicatorMath.median(others)), "town \(t) day \(x)")
            }
        }
        #expect(peers.median(at: first - 1, leavingOut: nil).count == 0)
    }

    @Test("the placebo: own rows equal v2's placebo; peer-adjusted false positives near 1 − level, narrower when towns share the weather")
    func placebo() throws {
        let first = try DayNumber(iso: "2022-06-01")
        let days = 1200
        let last = first + (days - 1)
        let period = (last - 364)...last
        let anchors = (period.lowerBound - 364)...last
        // Five towns sharing a daily "weather" factor (± 15 %) on top of their own pattern and noise.
        var weatherNoise = SplitMixNoise(seed: 99)
        let weather = (0..<days).map { _ in 0.85 + 0.3 * weatherNoise.next() }
        var series: [EventUpliftV2.RatioSeries] = []
        var zoneHourly: HourlyPanel?
        for t in 0..<5 {
            let own = try EventUpliftV2Tests.panel(first: first, days: days, seed: UInt64(20 + t))
            var shared = try HourlyPanel(firstDay: first, dayCount: days, sensorCount: 1)
            for i in 0..<days {
                let hours = try #require(own.hours(sensor: 0, day: first + i)).map { $0 * weather[i] }
                try shared.set(sensor: 0, day: first + i, hours: Array(hours), isValid: true)
            }
            if t == 0 { zoneHourly = shared }
            series.append(try EventUpliftV2.dailyRatios(
                panel: try shared.dailyPanel(hours: 0..<24), sensors: [0], length: 1, anchors: anchors, excludedDays: []))
        }
        let peers = try EventUpliftV2.PeerRatios(series, length: 1, anchors: anchors)
        let p = try EventUpliftV2.peerAdjustedPlacebo(zone: series[0], peers: peers, town: series[0], period: period)
        let v2 = try EventUpliftV2.placebo(
            panel: try #require(zoneHourly), sensors: [0], sensorIDs: ["A"], excludedDays: [], period: period)
        for (own, hourly) in zip(p.own, v2.rows) {
            #expect(own.days == hourly.days && own.falsePositives == hourly.falsePositives)
            #expect(close(own.minimumDetectableUplift, hourly.minimumDetectableUplift, tolerance: 1e-9))
            #expect(close(own.detectionRate, hourly.detectionRate))
        }
        let all = try #require(p.peerAdjusted.last), ownAll = try #require(p.own.last)
        #expect(all.dayClass == nil && all.days > 300)
        let rate = try #require(all.falsePositiveRate)
        #expect(rate > 0.02 && rate < 0.2)
        #expect(try #require(all.minimumDetectableUplift) < (try #require(ownAll.minimumDetectableUplift)))
        #expect(try #require(all.detectionRate) > (try #require(ownAll.detectionRate)), "\(all) \(ownAll)")
        // The errors it hands out are the period's ordinary days, as the hourly placebo counts them.
        #expect(p.ownErrors.count == v2.months.reduce(0) { $0 + $1.days })
        #expect(p.peerAdjustedErrors.count >= all.days && p.peerAdjustedErrors.count <= p.ownErrors.count)
    }

    @Test("bad arguments are refused with a remedy")
    func badArguments() throws {
        let first = try DayNumber(iso: "2025-01-01")
        let daily = try DailyPanel(firstDay: first, dayCount: 100, sensorCount: 1)
        #expect(throws: IndicatorsError.self) {
            try EventUpliftV2.dailyRatios(panel: daily, sensors: [0], length: 0, anchors: first...first, excludedDays: [])
        }
        #expect(throws: IndicatorsError.self) {
            try EventUpliftV2.dailyRatios(panel: daily, sensors: [3], length: 1, anchors: first...first, excludedDays: [])
        }
        let one = EventUpliftV2.RatioSeries(length: 1, firstAnchor: first, ratios: [1])
        let two = try EventUpliftV2.PeerRatios([], length: 2, anchors: first...first)
        #expect(throws: IndicatorsError.self) {
            try EventUpliftV2.peerAdjusted(start: first, eventRatio: 1, zone: one, peers: two, town: one)
        }
        #expect(throws: IndicatorsError.self) {
            try EventUpliftV2.PeerRatios([one], length: 2, anchors: first...first)
        }
        let peers = try EventUpliftV2.PeerRatios([one], length: 1, anchors: first...first)
        #expect(throws: IndicatorsError.self) {
            try EventUpliftV2.peerAdjusted(start: first, eventRatio: 1, zone: one, peers: peers, town: one, level: 0.3)
        }
        #expect(throws: IndicatorsError.self) {
            try EventUpliftV2.peerAdjustedPlacebo(zone: one, peers: peers, town: one, period: first...first, injectedUplift: -2)
        }
    }
}

extension Double {
    fileprivate func rounded(toPlaces places: Int) -> Double {
        let scale = pow(10, Double(places))
        return (self * scale).rounded() / scale
    }
}
