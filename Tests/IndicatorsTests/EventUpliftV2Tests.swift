import Foundation
import Indicators
import Testing

@Suite("event-uplift v2: windows, calibration, placebo; the flatline rule")
struct EventUpliftV2Tests {
    /// A deterministic pseudo-random stream (SplitMix64) in [0, 1).
    struct Noise {
        var state: UInt64
        mutating func next() -> Double {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
        }
    }

    /// One sensor, `days` days from `first`, a weekly pattern × a season × ±10 % noise, in hour 12.
    static func panel(first: DayNumber, days: Int, seed: UInt64 = 1) throws -> HourlyPanel {
        var panel = try HourlyPanel(firstDay: first, dayCount: days, sensorCount: 1)
        var noise = Noise(state: seed)
        let weekly = [1.0, 1.0, 1.0, 1.05, 1.2, 1.6, 0.6]
        for offset in 0..<days {
            let day = first + offset
            let season = 1 + 0.25 * cos(2 * Double.pi * Double(offset - 200) / 365.25)
            var hours = [Double](repeating: 0, count: 24)
            hours[12] = (1000 * weekly[day.isoWeekday - 1] * season * (0.9 + 0.2 * noise.next())).rounded()
            try panel.set(sensor: 0, day: day, hours: hours, isValid: true)
        }
        return panel
    }

    @Test("a window from 18:00 to 02:00 takes those hours of both local days, not two whole days")
    func midnightWindow() throws {
        let friday = try DayNumber(iso: "2025-09-19")
        let w = try EventWindow(start: friday, startHour: 18, end: friday + 1, endHour: 2)
        #expect(w.segments.map(\.dayOffset) == [0, 1])
        #expect(w.segments.map(\.hours) == [18..<24, 0..<2])
        #expect(w.days == [friday, friday + 1])
        // Ending at midnight does not touch the next day; whole days are 0..<24.
        #expect(try EventWindow(start: friday, startHour: 18, end: friday + 1, endHour: 0).days == [friday])
        #expect(try EventWindow(days: friday...(friday + 2)).segments.map(\.hours) == [0..<24, 0..<24, 0..<24])
    }

    @Test("a window that ends before it starts, or runs for months, is refused with a remedy")
    func badWindows() throws {
        let day = try DayNumber(iso: "2025-09-19")
        for (endDay, startHour, endHour) in [(day, 18, 18), (day - 1, 0, 24), (day, 25, 2), (day + 40, 0, 24)] {
            #expect(throws: IndicatorsError.self) {
                try EventWindow(start: day, startHour: startHour, end: endDay, endHour: endHour)
            }
        }
    }

    @Test("the level must lie in 0.5–0.99")
    func levels() throws {
        let first = try DayNumber(iso: "2025-01-01")
        let panel = try Self.panel(first: first, days: 100)
        let window = try EventWindow(days: (first + 90)...(first + 90))
        for level in [0.3, 0.995, Double.nan] {
            #expect(throws: IndicatorsError.self) {
                try EventUpliftV2.compute(
                    panel: panel, sensors: [0], sensorIDs: ["A"], window: window, excludedDays: [], level: level)
            }
        }
    }

    @Test("with two years of ordinary days the interval is calibrated and an ordinary day's interval holds 0")
    func calibratedInterval() throws {
        let first = try DayNumber(iso: "2023-06-01")
        let panel = try Self.panel(first: first, days: 800)
        let day = try DayNumber(iso: "2025-07-23")  // an ordinary Wednesday
        let r = try EventUpliftV2.compute(
            panel: panel, sensors: [0], sensorIDs: ["A"], window: try EventWindow(days: day...day), excludedDays: [])
        #expect(r.calibrationDays > 200)
        #expect(r.expectation.seasonalFactor != nil)
        #expect(r.expectation.sensors == ["A"])
        let low = try #require(r.low), high = try #require(r.high), q = try #require(r.quantile)
        #expect(low < 0 && high > 0)
        #expect(abs(high - low - 2 * q) < 1e-12)
        // A stricter level widens the interval.
        let wide = try EventUpliftV2.compute(
            panel: panel, sensors: [0], sensorIDs: ["A"], window: try EventWindow(days: day...day), excludedDays: [],
            level: 0.99)
        #expect((wide.quantile ?? 0) > q)
    }

    @Test("the placebo test's false-positive rate is near 1 − level; a +30 % effect would be detected")
    func placebo() throws {
        let first = try DayNumber(iso: "2022-06-01")
        let panel = try Self.panel(first: first, days: 1200, seed: 7)
        let last = first + 1199
        let p = try EventUpliftV2.placebo(
            panel: panel, sensors: [0], sensorIDs: ["A"], excludedDays: [], period: (last - 364)...last)
        let all = try #require(p.rows.last)
        #expect(all.dayClass == nil)
        #expect(all.days > 300)
        #expect(all.days == p.rows.dropLast().reduce(0) { $0 + $1.days })
        let rate = try #require(all.falsePositiveRate)
        #expect(rate > 0.02 && rate < 0.2)
        let mde = try #require(all.minimumDetectableUplift)
        #expect(mde > 0 && mde < 0.3)
        // A +30 % effect (above the detectable uplift) is detected on most days.
        let strong = try EventUpliftV2.placebo(
            panel: panel, sensors: [0], sensorIDs: ["A"], excludedDays: [], period: (last - 364)...last,
            injectedUplift: 0.3)
        #expect((strong.rows.last?.detectionRate ?? 0) > 0.8)
        #expect(all.v1RangeFalsePositives <= all.days)
    }

    /// Hand-computed: 100 a day, 200 from 1 March 2025 (no season a year earlier, factor 1). A March
    /// day d has ⌊(d − 1 March) ÷ 7⌋ of its 8 same-weekday baseline days in March: fewer than 4 →
    /// median 100, error +1 (1–28 March); 4 → median 150, error +⅓ (29–31 March, 1–4 April); more →
    /// 0. Medians: February 0, March +1, April 0 (Easter Monday 21 April is not ordinary).
    @Test("the placebo test gives the median placebo uplift per calendar month")
    func placeboMonths() throws {
        let first = try DayNumber(iso: "2023-09-01")
        let step = try DayNumber(iso: "2025-03-01")
        var panel = try HourlyPanel(firstDay: first, dayCount: first.distance(to: try DayNumber(iso: "2025-04-30")) + 1, sensorCount: 1)
        for offset in 0..<panel.dayCount {
            var hours = [Double](repeating: 0, count: 24)
            hours[12] = first + offset < step ? 100 : 200
            try panel.set(sensor: 0, day: first + offset, hours: hours, isValid: true)
        }
        let p = try EventUpliftV2.placebo(panel: panel, sensors: [0], sensorIDs: ["A"], excludedDays: [],
                                          period: try DayNumber(iso: "2025-02-01")...(try DayNumber(iso: "2025-04-30")))
        #expect(p.months.map(\.month) == ["2025-02", "2025-03", "2025-04"])
        #expect(p.months.map(\.medianUplift) == [0, 1, 0])
        #expect(p.months.map(\.days) == [28, 31, 29])
    }

    @Test("the flatline rule: zeros or a stuck value from a sensor that normally counts are invalid")
    func flatline() throws {
        let rule = FlatlineRule.v1
        let first = try DayNumber(iso: "2025-01-06")  // a Monday; no public holiday in the next 13 weeks
        func day(_ i: Int, _ total: Double, hours: [Double]? = nil, valid: Bool = true) -> FlatlineRule.Day {
            FlatlineRule.Day(day: first + i, total: total, hours: hours, isValid: valid)
        }
        var busy = (0..<28).map { day($0, 500 + Double($0)) }
        busy += (28..<60).map { day($0, 0) }  // dead for 32 days
        busy.append(day(60, 24 * 30, hours: Array(repeating: 30, count: 24)))  // stuck
        var dst = Array(repeating: 30.0, count: 24)
        dst[2] = 0  // as on the spring DST day: hour 2 does not exist, the rest is stuck
        busy.append(day(61, 23 * 30, hours: dst))
        busy.append(day(62, 600, hours: (0..<24).map { Double($0) * 2 + 2 }))
        let flagged = rule.flatlineDays(busy, vendorKind: .intervalCounter)
        // Every dead day stays flagged: flatline days do not enter the history they are judged on.
        #expect(flagged == Set((28..<62).map { first + $0 }))
        // A quiet sensor (median ≤ 24) or one with under 3 same-weekday days of history is not judged.
        #expect(rule.flatlineDays((0..<40).map { day($0, $0 % 2 == 0 ? 0 : 20) }, vendorKind: .intervalCounter).isEmpty)
        #expect(rule.flatlineDays((0..<14).map { day($0, 900) } + [day(14, 0)], vendorKind: .intervalCounter).isEmpty)
        // A shop closed on Sundays reads 0 every Sunday: its Sundays are not "normally counting".
        let shop = (0..<70).map { day($0, (first + $0).isoWeekday == 7 ? 0 : 300) }
        #expect(rule.flatlineDays(shop, vendorKind: .intervalCounter).isEmpty)
        // Public holidays are never judged (shops close): Easter Monday 2025-04-21 reads 0.
        let easterMonday = try DayNumber(iso: "2025-04-21")
        let holiday = (0..<35).map { FlatlineRule.Day(day: easterMonday - 35 + $0, total: 400, isValid: true) }
            + [FlatlineRule.Day(day: easterMonday, total: 0, isValid: true)]
        #expect(rule.flatlineDays(holiday, vendorKind: .intervalCounter).isEmpty)
        // A camera's nights are 0 by design: only an all-zero day is flat.
        let cameraDay = day(21, 240, hours: Array(repeating: 10, count: 24))
        #expect(rule.flatlineDays((0..<21).map { day($0, 500) } + [cameraDay], vendorKind: .telraamCamera).isEmpty)
        #expect(rule.flatlineDays((0..<21).map { day($0, 500) } + [cameraDay], vendorKind: .intervalCounter) == [first + 21])
        // Invalid days are neither judged nor history.
        #expect(rule.flatlineDays((0..<21).map { day($0, 500, valid: false) } + [day(21, 0)], vendorKind: .intervalCounter).isEmpty)
    }

    @Test("an hourly panel without its flatline days: a dead counter no longer pairs with its own past")
    func panelFlatlines() throws {
        let first = try DayNumber(iso: "2025-01-06")
        var panel = try HourlyPanel(firstDay: first, dayCount: 35, sensorCount: 2)
        for i in 0..<35 {
            var hours = [Double](repeating: 0, count: 24)
            hours[12] = 400
            try panel.set(sensor: 0, day: first + i, hours: hours, isValid: true)
            try panel.set(sensor: 1, day: first + i, hours: i < 21 ? hours : Array(repeating: 0, count: 24), isValid: true)
        }
        let clean = try panel.excludingFlatlines(vendorKinds: [.intervalCounter, .intervalCounter])
        #expect((0..<35).allSatisfy { clean.isValid(sensor: 0, day: first + $0) })
        #expect((0..<35).allSatisfy { clean.isValid(sensor: 1, day: first + $0) == ($0 < 21) })
        #expect(throws: IndicatorsError.self) { try panel.excludingFlatlines(vendorKinds: [.intervalCounter]) }
    }
}
