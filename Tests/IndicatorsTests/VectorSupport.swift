// Loads the hand-computed vectors in Indicators/vectors/ and turns them into panels.
import Foundation
import Indicators
import TestSupport

/// One `Indicators/vectors/*.json` file (fields are optional: each indicator uses its own).
struct Vector: Decodable {
    struct Sensor: Decodable {
        var id: String
        var vendorKind: VendorKind?
        var days: [Day]

        /// Daily totals from `series.from` on (`null` = missing); a listed day replaces its series day.
        struct Series: Decodable {
            var from: DayNumber
            var totals: [Double?]
        }
        enum CodingKeys: String, CodingKey { case id, vendorKind, days, series }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            id = try c.decode(String.self, forKey: .id)
            vendorKind = try c.decodeIfPresent(VendorKind.self, forKey: .vendorKind)
            let listed = try c.decodeIfPresent([Day].self, forKey: .days) ?? []
            var days: [Day] = []
            if let series = try c.decodeIfPresent(Series.self, forKey: .series) {
                for (i, total) in series.totals.enumerated() {
                    guard let total, !listed.contains(where: { $0.day == series.from + i }) else { continue }
                    days.append(Day(day: series.from + i, total: total))
                }
            }
            self.days = days + listed
        }
    }
    struct Day: Decodable {
        var day: DayNumber
        var total: Double?
        var hours: [String: Double]?
        var coveredMinutes: Double?
        var uptimeMinutes: Double?
        var validHours: Int?
        var expectedMinutes: Int?

        init(day: DayNumber, total: Double) {
            self.day = day
            self.total = total
        }

        var coverage: SensorDayCoverage {
            let expected = expectedMinutes ?? 1440
            return SensorDayCoverage(
                coveredMinutes: coveredMinutes ?? Double(expected), uptimeMinutes: uptimeMinutes,
                validHours: validHours ?? 24, expectedMinutes: expected)
        }
        /// The 24 local hours; a plain `total` sits in hour 12.
        var hourArray: [Double] {
            var h = [Double](repeating: 0, count: 24)
            if let total { h[12] = total }
            for (k, v) in hours ?? [:] { if let i = Int(k), (0..<24).contains(i) { h[i] = v } }
            return h
        }
        var dayTotal: Double { total ?? hourArray.reduce(0, +) }
    }
    struct Pair: Decodable {
        var door: String
        var street: String?
    }
    struct Query: Decodable {
        var from: DayNumber?
        var to: DayNumber?
        var lag: Int?
        var sensors: [String]?
        var eventDays: [DayNumber]?
        var excludedDays: [DayNumber]?
        var pairs: [Pair]?
        var openingHours: [String: [Int]]?
        var hours: [Int]?
        // event-uplift v2: the window, local day and hour to local day and hour.
        var start: DayNumber?
        var startHour: Int?
        var end: DayNumber?
        var endHour: Int?
        var level: Double?
    }
    struct PerDay: Decodable {
        var day: DayNumber
        var baselineDays: Int
        var expected: Double?
        var sensors: [String]
    }
    struct ProfileExpectation: Decodable {
        var days: Int
        var shares: [String: Double]?
        var openingHoursShare: Double?
        var lunchtimeShare: Double?
    }
    struct Expected: Decodable {
        var value: Double?
        var pairs: Int?
        var sensors: Int?
        var days: Int?
        var low: Double?
        var high: Double?
        var ratio: Double?
        var perDay: [PerDay]?
        var contributingPairs: Int?
        var unpairedStores: Int?
        var publishable: Bool?
        var pairValues: [Double?]?
        var weekday: ProfileExpectation?
        var saturday: ProfileExpectation?
        var sundayOrHoliday: ProfileExpectation?
        // event-uplift v2
        var uplift: Double?
        var expectedValue: Double?
        var baselineMedian: Double?
        var seasonalFactor: Double?
        var calibrationDays: Int?
        var quantile: Double?
        var hasInterval: Bool?
        var sensorsUsed: [String]?
        var yearEarlierSensors: [String]?
        var baselineDays: [DayNumber]?
        var flatlineDays: [String: [DayNumber]]?

        enum CodingKeys: String, CodingKey {
            case value, pairs, sensors, days, low, high, ratio, perDay, contributingPairs, unpairedStores,
                publishable, pairValues, weekday, saturday
            case uplift, expectedValue, baselineMedian, seasonalFactor, calibrationDays, quantile, hasInterval,
                sensorsUsed, yearEarlierSensors, baselineDays, flatlineDays
            case sundayOrHoliday = "sunday-or-holiday"
        }
    }
    struct Peer: Decodable {
        var townRatio: Double
        var peerRatios: [Double]
        var expected: Double?
        var tooFewPeers: [Double]
        var expectedTooFew: Double?
    }

    var indicator: String
    var version: Int
    var name: String
    var sensors: [Sensor]?
    var query: Query?
    var expected: Expected?
    var peer: Peer?
    var working: [String]

    static var directory: URL { Repository.root.appendingPathComponent("Indicators/vectors", isDirectory: true) }

    static var fileNames: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasSuffix(".json") }.sorted()
    }

    static func load(_ name: String) throws -> Vector {
        let data = try Data(contentsOf: directory.appendingPathComponent(name))
        return try JSONDecoder().decode(Vector.self, from: data)
    }

    var allDays: [DayNumber] { (sensors ?? []).flatMap { $0.days.map(\.day) } }

    func row(_ id: String) -> Int? { sensors?.firstIndex { $0.id == id } }

    /// A daily panel spanning the vector's days, validity by ``ValidityRule/v1``.
    func dailyPanel(scale: Double = 1) throws -> DailyPanel {
        let days = allDays
        guard let lo = days.min(), let hi = days.max() else {
            return try DailyPanel(firstDay: DayNumber(0), dayCount: 0, sensorCount: 0)
        }
        var panel = try DailyPanel(firstDay: lo, dayCount: lo.distance(to: hi) + 1, sensorCount: sensors?.count ?? 0)
        for (row, sensor) in (sensors ?? []).enumerated() {
            for d in sensor.days {
                try panel.set(
                    sensor: row, day: d.day, total: d.dayTotal * scale, coverage: d.coverage,
                    vendorKind: sensor.vendorKind ?? .intervalCounter)
            }
        }
        return panel
    }

    /// An hourly panel spanning the vector's days.
    func hourlyPanel(scale: Double = 1) throws -> HourlyPanel {
        let days = allDays
        guard let lo = days.min(), let hi = days.max() else {
            return try HourlyPanel(firstDay: DayNumber(0), dayCount: 0, sensorCount: 0)
        }
        var panel = try HourlyPanel(firstDay: lo, dayCount: lo.distance(to: hi) + 1, sensorCount: sensors?.count ?? 0)
        for (row, sensor) in (sensors ?? []).enumerated() {
            for d in sensor.days {
                let valid = ValidityRule.v1.isValid(d.coverage, vendorKind: sensor.vendorKind ?? .intervalCounter)
                try panel.set(sensor: row, day: d.day, hours: d.hourArray.map { $0 * scale }, isValid: valid)
            }
        }
        return panel
    }
}

/// Equal within a relative 1e-12 (hand arithmetic vs. floating point), both nil, or not equal.
func close(_ a: Double?, _ b: Double?, tolerance: Double = 1e-12) -> Bool {
    switch (a, b) {
    case (nil, nil): return true
    case (let x?, let y?): return abs(x - y) <= tolerance * max(1, abs(y))
    default: return false
    }
}
