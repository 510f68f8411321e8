import Foundation
import Indicators
import Testing

@Suite("Hand-computed vectors in Indicators/vectors")
struct VectorTests {
    @Test("the vectors directory holds a vector for every indicator")
    func everyIndicatorHasVectors() throws {
        let names = Vector.fileNames
        #expect(names.count >= 15)
        let indicators = Set(try names.map { try Vector.load($0).indicator })
        #expect(indicators == Set(IndicatorCatalog.all.map(\.id)))
    }

    @Test("vector matches the implementation", arguments: Vector.fileNames)
    func vector(_ name: String) throws {
        let v = try Vector.load(name)
        #expect(IndicatorCatalog.entry(id: v.indicator, version: v.version) != nil, "\(name): unknown indicator or version")
        #expect(!v.working.isEmpty, "\(name): show the arithmetic")
        switch v.indicator {
        case FootfallIndex.id: try checkFootfall(v, name)
        case EventUplift.id where v.version == EventUpliftV2.version && name.hasPrefix(PeerVector.prefix): try PeerVector.check(name)
        case EventUplift.id where v.version == EventUpliftV2.version: try checkUpliftV2(v, name)
        case EventUplift.id: try checkUplift(v, name)
        case ConversionRate.id: try checkConversion(v, name)
        case HourlyProfile.id: try checkProfile(v, name)
        case DayShape.id: try checkDayShape(v, name)
        case PercentOfNormal.id: try checkPercentOfNormal(v, name)
        case ParkingOccupancy.id, VisitorOrigin.id, DwellTime.id: try LotVector.check(name)
        default: Issue.record("\(name): no checker for \(v.indicator)")
        }
    }

    func checkFootfall(_ v: Vector, _ name: String) throws {
        let q = try #require(v.query)
        let e = try #require(v.expected)
        let from = try #require(q.from)
        let to = try #require(q.to)
        let rows = try q.sensors.map { try $0.map { try #require(v.row($0)) } }
        let r = try FootfallIndex.compute(panel: v.dailyPanel(), period: from...to, lag: q.lag ?? 364, sensors: rows)
        #expect(
            close(r.value, e.value), "\(name): value \(String(describing: r.value)) vs \(String(describing: e.value))")
        #expect(r.pairs == e.pairs, "\(name)")
        #expect(r.sensors == e.sensors, "\(name)")
        #expect(r.days == e.days, "\(name)")
        // The per-day series must agree with the period sums.
        let series = try FootfallIndex.dailySeries(panel: v.dailyPanel(), lag: q.lag ?? 364)
        if from == to { #expect(close(series.value(on: from), e.value), "\(name): series") }
    }

    func checkUplift(_ v: Vector, _ name: String) throws {
        if let p = v.peer {
            #expect(
                close(EventUplift.peerAdjusted(townRatio: p.townRatio, peerRatios: p.peerRatios), p.expected), "\(name)"
            )
            #expect(
                close(EventUplift.peerAdjusted(townRatio: p.townRatio, peerRatios: p.tooFewPeers), p.expectedTooFew),
                "\(name)")
            return
        }
        let q = try #require(v.query)
        let e = try #require(v.expected)
        let rows = try (q.sensors ?? []).map { try #require(v.row($0)) }
        // An event with hours: sum the same local hours on every day.
        let panel = try q.hours.map { try v.hourlyPanel().dailyPanel(hours: $0) } ?? v.dailyPanel()
        let r = try EventUplift.compute(
            panel: panel, sensors: rows, eventDays: q.eventDays ?? [],
            excludedDays: Set(q.excludedDays ?? []))
        #expect(close(r.value, e.value), "\(name): value \(String(describing: r.value))")
        #expect(close(r.low, e.low), "\(name): low \(String(describing: r.low))")
        #expect(close(r.high, e.high), "\(name): high \(String(describing: r.high))")
        #expect(close(r.ratio, e.ratio), "\(name): ratio")
        let perDay = try #require(e.perDay)
        #expect(r.days.count == perDay.count)
        for (got, want) in zip(r.days, perDay) {
            #expect(got.day == want.day)
            #expect(got.baselineDays.count == want.baselineDays, "\(name): baseline days \(got.baselineDays)")
            #expect(close(got.expected, want.expected), "\(name): expected \(String(describing: got.expected))")
            #expect(got.sensors.map { v.sensors?[$0].id ?? "?" } == want.sensors, "\(name)")
            if want.expected == nil { #expect(got.reason != nil) }
        }
    }

    /// event-uplift v2: flatline days are removed first (as the node does), then the window is
    /// evaluated with its calibrated interval.
    func checkUpliftV2(_ v: Vector, _ name: String) throws {
        let q = try #require(v.query)
        let e = try #require(v.expected)
        let sensors = try #require(v.sensors)
        let raw = try v.hourlyPanel()
        let panel = try raw.excludingFlatlines(vendorKinds: sensors.map { $0.vendorKind ?? .intervalCounter })
        var flat: [String: [DayNumber]] = [:]
        for (row, sensor) in sensors.enumerated() {
            let days = raw.days.filter { raw.isValid(sensor: row, day: $0) && !panel.isValid(sensor: row, day: $0) }
            if !days.isEmpty { flat[sensor.id] = days }
        }
        #expect(flat == (e.flatlineDays ?? [:]), "\(name): flatline days \(flat)")
        let ids = q.sensors ?? []
        let window = try EventWindow(
            start: try #require(q.start), startHour: try #require(q.startHour), end: try #require(q.end),
            endHour: try #require(q.endHour))
        let r = try EventUpliftV2.compute(
            panel: panel, sensors: try ids.map { try #require(v.row($0)) }, sensorIDs: ids, window: window,
            excludedDays: Set(q.excludedDays ?? []), level: q.level ?? EventUpliftV2.defaultLevel)
        #expect(close(r.uplift, e.uplift), "\(name): uplift \(String(describing: r.uplift))")
        #expect(close(r.low, e.low), "\(name): low \(String(describing: r.low))")
        #expect(close(r.high, e.high), "\(name): high \(String(describing: r.high))")
        #expect(close(r.quantile, e.quantile), "\(name): quantile \(String(describing: r.quantile))")
        #expect(r.calibrationDays == e.calibrationDays, "\(name): calibration days \(r.calibrationDays)")
        #expect(close(r.expectation.expected, e.expectedValue), "\(name): expected")
        #expect(close(r.expectation.baselineMedian, e.baselineMedian), "\(name): baseline median")
        #expect(close(r.expectation.seasonalFactor, e.seasonalFactor), "\(name): seasonal factor")
        #expect(r.expectation.sensors == (e.sensorsUsed ?? []), "\(name): sensors \(r.expectation.sensors)")
        #expect(r.expectation.baselineDays == (e.baselineDays ?? []), "\(name): baseline days")
        #expect(r.expectation.yearEarlierSensors == (e.yearEarlierSensors ?? []), "\(name): year-earlier sensors")
        // Every missing figure says why.
        #expect((r.low != nil) == (e.hasInterval ?? false), "\(name)")
        if r.low == nil { #expect(r.intervalReason != nil, "\(name): no interval without a reason") }
        if r.uplift == nil { #expect(r.expectation.reason != nil, "\(name): no value without a reason") }
        if r.expectation.seasonalFactor == nil, r.uplift != nil { #expect(r.expectation.seasonalNote != nil) }
    }

    func checkConversion(_ v: Vector, _ name: String) throws {
        let q = try #require(v.query)
        let e = try #require(v.expected)
        let pairs = try (q.pairs ?? []).map { p in
            StorePair(door: try #require(v.row(p.door)), street: try p.street.map { try #require(v.row($0)) })
        }
        let r = try ConversionRate.compute(
            panel: v.dailyPanel(), pairs: pairs, period: try #require(q.from)...(try #require(q.to)))
        #expect(close(r.value, e.value), "\(name): value \(String(describing: r.value))")
        #expect(r.contributingPairs == e.contributingPairs)
        #expect(r.unpairedStores == e.unpairedStores)
        #expect(r.isPublishableAcrossTowns == e.publishable)
        let want = try #require(e.pairValues)
        #expect(r.pairs.count == want.count)
        for (got, w) in zip(r.pairs, want) { #expect(close(got.value, w), "\(name): pair \(got)") }
    }

    func checkProfile(_ v: Vector, _ name: String) throws {
        let q = try #require(v.query)
        let e = try #require(v.expected)
        let rows = try (q.sensors ?? []).map { try #require(v.row($0)) }
        func range(_ key: String) -> Range<Int>? {
            guard let r = q.openingHours?[key], r.count == 2 else { return nil }
            return r[0]..<r[1]
        }
        let opening = q.openingHours.map { _ in
            OpeningHours(
                weekday: range("weekday"), saturday: range("saturday"), sundayOrHoliday: range("sunday-or-holiday"))
        }
        let profiles = try HourlyProfile.compute(
            panel: v.hourlyPanel(), sensors: rows,
            period: try #require(q.from)...(try #require(q.to)), openingHours: opening)
        for p in profiles {
            let want: Vector.ProfileExpectation? =
                switch p.dayType {
                case .weekday: e.weekday
                case .saturday: e.saturday
                case .sundayOrHoliday: e.sundayOrHoliday
                }
            let w = try #require(want, "\(name): expectation for \(p.dayType)")
            #expect(p.days == w.days, "\(name) \(p.dayType)")
            if let ws = w.shares {
                let shares = try #require(p.shares, "\(name) \(p.dayType)")
                for h in 0..<24 {
                    #expect(close(shares[h], ws[String(h)] ?? 0), "\(name) \(p.dayType) hour \(h): \(shares[h])")
                }
                #expect(close(shares.reduce(0, +), 1))
            } else {
                #expect(p.shares == nil, "\(name) \(p.dayType)")
            }
            #expect(close(p.openingHoursShare, w.openingHoursShare), "\(name) \(p.dayType) opening")
            #expect(close(p.lunchtimeShare, w.lunchtimeShare), "\(name) \(p.dayType) lunch")
        }
    }
}
