import Indicators
import Testing

@Suite("Sensor-day validity per vendor kind")
struct ValidityTests {
    let rule = ValidityRule.v1

    @Test("interval counters: share of expected minutes ≥ 0.9")
    func intervalCounter() {
        #expect(rule.isValid(SensorDayCoverage(coveredMinutes: 1296), vendorKind: .intervalCounter))  // 1296/1440 = 0.9
        #expect(!rule.isValid(SensorDayCoverage(coveredMinutes: 1295), vendorKind: .intervalCounter))
        // DST: 1260 minutes is enough on a 23-hour day, 1340 is not on a 25-hour day.
        #expect(
            rule.isValid(SensorDayCoverage(coveredMinutes: 1260, expectedMinutes: 1380), vendorKind: .intervalCounter))
        #expect(
            !rule.isValid(SensorDayCoverage(coveredMinutes: 1340, expectedMinutes: 1500), vendorKind: .intervalCounter))
        // A vendor uptime lowers the covered share.
        #expect(
            !rule.isValid(SensorDayCoverage(coveredMinutes: 1440, uptimeMinutes: 1200), vendorKind: .intervalCounter))
        #expect(!rule.isValid(SensorDayCoverage(coveredMinutes: 0, expectedMinutes: 0), vendorKind: .intervalCounter))
    }

    @Test("Telraam-style cameras: at least 6 hours with uptime ≥ 0.5, whatever the day's uptime share")
    func telraam() {
        // A typical good day: 16 daylight hours at 0.72 uptime = 691 of 1440 minutes (0.48).
        let good = SensorDayCoverage(coveredMinutes: 960, uptimeMinutes: 691.2, validHours: 14)
        #expect(rule.isValid(good, vendorKind: .telraamCamera))
        #expect(!rule.isValid(good, vendorKind: .intervalCounter))
        #expect(
            rule.isValid(
                SensorDayCoverage(coveredMinutes: 480, uptimeMinutes: 350, validHours: 6), vendorKind: .telraamCamera))
        #expect(
            !rule.isValid(
                SensorDayCoverage(coveredMinutes: 960, uptimeMinutes: 700, validHours: 5), vendorKind: .telraamCamera))
    }

    @Test("vendor names map to vendor kinds")
    func vendorKinds() {
        #expect(VendorKind(vendor: "Telraam") == .telraamCamera)
        #expect(VendorKind(vendor: "telraam-api") == .telraamCamera)
        #expect(VendorKind(vendor: "CrowdScan") == .intervalCounter)
        #expect(VendorKind(vendor: "The Retail Factory") == .intervalCounter)
    }

    @Test("invalid sensor-days are never read")
    func panelHidesInvalid() throws {
        let day = try DayNumber(iso: "2025-01-06")
        var panel = try DailyPanel(firstDay: day, dayCount: 2, sensorCount: 1)
        try panel.set(
            sensor: 0, day: day, total: 500, coverage: SensorDayCoverage(coveredMinutes: 100),
            vendorKind: .intervalCounter)
        #expect(panel.total(sensor: 0, day: day) == nil)
        #expect(panel.counts[0] == 0)
        try panel.set(sensor: 0, day: day + 1, total: .nan, isValid: true)
        #expect(!panel.isValid(sensor: 0, day: day + 1))
        #expect(throws: IndicatorsError.self) { try panel.set(sensor: 0, day: day + 2, total: 1, isValid: true) }
        #expect(throws: IndicatorsError.self) { try panel.set(sensor: 1, day: day, total: 1, isValid: true) }
    }

    @Test("errors carry codes")
    func errors() throws {
        let panel = try DailyPanel(firstDay: DayNumber(0), dayCount: 10, sensorCount: 1)
        do {
            _ = try FootfallIndex.compute(panel: panel, period: DayNumber(0)...DayNumber(9), lag: 0)
            Issue.record("lag 0 accepted")
        } catch IndicatorsError.Code.invalidArgument {
        } catch { Issue.record("unexpected \(error)") }
        do {
            _ = try FootfallIndex.compute(panel: panel, period: DayNumber(0)...DayNumber(9), lag: 7, sensors: [3])
            Issue.record("row 3 accepted")
        } catch IndicatorsError.Code.sensorOutOfRange {
        } catch { Issue.record("unexpected \(error)") }
        #expect(throws: IndicatorsError.self) {
            try FootfallIndex.compute(panel: panel, period: DayNumber(0)...DayNumber(9), lag: 7, sensors: [0, 0])
        }
        #expect(throws: IndicatorsError.self) {
            try DailyPanel(firstDay: DayNumber(0), dayCount: 2, sensorCount: 1, counts: [1], validity: [true])
        }
    }
}

@Suite("Hourly panel input checks")
struct HourlyInputTests {
    @Test("a panel too large to count is an invalid-panel-shape error, not an overflow trap")
    func oversizedPanels() throws {
        let day = try DayNumber(iso: "2025-03-30")
        for make in [{ _ = try DailyPanel(firstDay: day, dayCount: Int.max / 2, sensorCount: 3) },
                     { _ = try HourlyPanel(firstDay: day, dayCount: Int.max / 20, sensorCount: 1) },
                     { _ = try DailyPanel(firstDay: day, dayCount: Int.max / 2, sensorCount: 3, counts: [], validity: []) },
                     { _ = try HourlyPanel(firstDay: day, dayCount: -1, sensorCount: 1) }] as [() throws -> Void] {
            let error = #expect(throws: IndicatorsError.self) { try make() }
            #expect(error?.code == .invalidPanelShape)
        }
    }

    @Test("a day has 24 local hours; opening hours lie in 0..<24")
    func shapes() throws {
        let day = try DayNumber(iso: "2025-03-30")
        var panel = try HourlyPanel(firstDay: day, dayCount: 1, sensorCount: 1)
        do {
            try panel.set(sensor: 0, day: day, hours: Array(repeating: 1, count: 23), isValid: true)
            Issue.record("23 values accepted")
        } catch let error as IndicatorsError {
            #expect(error.code == .invalidPanelShape)
            #expect(error.message.contains("24 local hours"))
        }
        try panel.set(sensor: 0, day: day, hours: Array(repeating: 1, count: 24), isValid: true)
        let late = OpeningHours(weekday: nil, saturday: nil, sundayOrHoliday: 10..<25)
        #expect(throws: IndicatorsError.self) {
            try HourlyProfile.compute(panel: panel, sensors: [0], period: day...day, openingHours: late)
        }
        #expect(throws: IndicatorsError.self) { try panel.dailyPanel(hours: [24]) }
        let evening = try panel.dailyPanel(hours: 18..<22)
        #expect(evening.total(sensor: 0, day: day) == 4)
    }
}
