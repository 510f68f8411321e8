import Indicators
import Testing

/// SplitMix64: a small deterministic generator, so property tests are repeatable.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A random panel: `sensors` rows, `days` days, ~10% invalid sensor-days.
func randomPanel(seed: UInt64, sensors: Int, days: Int, first: DayNumber) throws -> DailyPanel {
    var g = SeededGenerator(seed: seed)
    var panel = try DailyPanel(firstDay: first, dayCount: days, sensorCount: sensors)
    for s in 0..<sensors {
        let level = Double.random(in: 100...5000, using: &g)
        for d in 0..<days {
            try panel.set(
                sensor: s, day: first + d, total: (level * Double.random(in: 0.5...1.5, using: &g)).rounded(),
                isValid: Int.random(in: 0..<10, using: &g) != 0)
        }
    }
    return panel
}

func randomHourly(seed: UInt64, sensors: Int, days: Int, first: DayNumber) throws -> HourlyPanel {
    var g = SeededGenerator(seed: seed)
    var panel = try HourlyPanel(firstDay: first, dayCount: days, sensorCount: sensors)
    for s in 0..<sensors {
        for d in 0..<days {
            let hours = (0..<24).map { h in (7..<20).contains(h) ? Double(Int.random(in: 0...300, using: &g)) : 0 }
            try panel.set(sensor: s, day: first + d, hours: hours, isValid: Int.random(in: 0..<8, using: &g) != 0)
        }
    }
    return panel
}

@Suite("Properties on seeded pseudo-random data")
struct PropertyTests {
    let first = DayNumber(19_723)  // 2024-01-01

    @Test("identical periods give index 100", arguments: [1, 2, 3] as [UInt64])
    func identicalPeriods(seed: UInt64) throws {
        // Year 2 repeats year 1 exactly (counts and validity), lag 364.
        let year = try randomPanel(seed: seed, sensors: 7, days: 364, first: first)
        var panel = try DailyPanel(firstDay: first, dayCount: 728, sensorCount: 7)
        for s in 0..<7 {
            for d in 0..<364 {
                let t = year.total(sensor: s, day: first + d)
                try panel.set(sensor: s, day: first + d, total: t ?? 0, isValid: t != nil)
                try panel.set(sensor: s, day: first + d + 364, total: t ?? 0, isValid: t != nil)
            }
        }
        let r = try FootfallIndex.compute(panel: panel, period: (first + 364)...(first + 727))
        #expect(r.value == 100)
        let series = try FootfallIndex.dailySeries(panel: panel)
        for o in 364..<728 where series.pairs[o] > 0 { #expect(close(series.value(at: o), 100)) }
        for o in 0..<364 { #expect(series.value(at: o) == nil) }
    }

    @Test(
        "scaling every count by k changes no indicator",
        arguments: [(11, 0.37), (12, 3.0), (13, 1000.0)] as [(UInt64, Double)])
    func scaleInvariance(seed: UInt64, k: Double) throws {
        let panel = try randomPanel(seed: seed, sensors: 8, days: 500, first: first)
        let scaled = panel.scaled(by: k)
        let period = (first + 400)...(first + 499)
        let a = try FootfallIndex.compute(panel: panel, period: period)
        let b = try FootfallIndex.compute(panel: scaled, period: period)
        #expect(a.value != nil)
        #expect(close(a.value, b.value))
        #expect(a.pairs == b.pairs)

        let event = [first + 450, first + 451]
        let u = try EventUplift.compute(panel: panel, sensors: Array(0..<8), eventDays: event, excludedDays: [])
        let v = try EventUplift.compute(panel: scaled, sensors: Array(0..<8), eventDays: event, excludedDays: [])
        #expect(close(u.value, v.value) && close(u.low, v.low) && close(u.high, v.high))

        let pairs = [StorePair(door: 0, street: 1), StorePair(door: 2, street: 3), StorePair(door: 4, street: 5)]
        let c = try ConversionRate.compute(panel: panel, pairs: pairs, period: period)
        let d = try ConversionRate.compute(panel: scaled, pairs: pairs, period: period)
        #expect(c.value != nil && close(c.value, d.value))

        let hourly = try randomHourly(seed: seed, sensors: 3, days: 60, first: first)
        let p = try HourlyProfile.compute(panel: hourly, sensors: [0, 1, 2], period: first...(first + 59))
        let q = try HourlyProfile.compute(
            panel: hourly.scaled(by: k), sensors: [0, 1, 2], period: first...(first + 59))
        for (x, y) in zip(p, q) {
            #expect(x.days == y.days && x.days > 0)
            for h in 0..<24 { #expect(close(x.shares?[h], y.shares?[h])) }
        }
    }

    @Test("a sensor valid in only one period changes no index", arguments: [21, 22] as [UInt64])
    func oneSidedSensor(seed: UInt64) throws {
        let base = try randomPanel(seed: seed, sensors: 6, days: 800, first: first)
        var wider = try DailyPanel(firstDay: first, dayCount: 800, sensorCount: 7)
        for s in 0..<6 {
            for d in 0..<800 {
                let t = base.total(sensor: s, day: first + d)
                try wider.set(sensor: s, day: first + d, total: t ?? 0, isValid: t != nil)
            }
        }
        // Sensor 6 is only installed from day 500 on (valid in the current period, never in the baseline).
        for d in 500..<800 { try wider.set(sensor: 6, day: first + d, total: 99_999, isValid: true) }
        let period = (first + 600)...(first + 799)
        #expect(
            try FootfallIndex.compute(panel: base, period: period).value
                == FootfallIndex.compute(panel: wider, period: period).value)
        let a = try FootfallIndex.dailySeries(panel: base)
        let b = try FootfallIndex.dailySeries(panel: wider)
        #expect(a.values == b.values)
        let a7 = try FootfallIndex.dailySeries(panel: base, lag: 7)
        let b7 = try FootfallIndex.dailySeries(panel: wider, lag: 7)
        for o in 0..<500 { #expect(a7.value(at: o) == b7.value(at: o)) }
        // Event uplift: sensor 6 is valid on the event day but on none of its baseline days.
        let event = [first + 505]
        let u = try EventUplift.compute(panel: base, sensors: Array(0..<6), eventDays: event, excludedDays: [])
        let w = try EventUplift.compute(panel: wider, sensors: Array(0..<7), eventDays: event, excludedDays: [])
        #expect(u.value != nil && u.value == w.value && u.low == w.low && u.high == w.high)
    }

    @Test("the per-day series agrees with per-day compute")
    func seriesMatchesCompute() throws {
        let panel = try randomPanel(seed: 31, sensors: 5, days: 420, first: first)
        let series = try FootfallIndex.dailySeries(panel: panel, lag: 364, sensors: 1..<4)
        for o in stride(from: 360, to: 420, by: 3) {
            let r = try FootfallIndex.compute(panel: panel, period: (first + o)...(first + o), sensors: [1, 2, 3])
            #expect(close(series.value(at: o), r.value))
            #expect(Int(series.pairs[o]) == r.pairs)
        }
    }
}
