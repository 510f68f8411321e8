import Federation
import Foundation
import Testing

private let p1 = String(repeating: "1", count: 32)
private let p2 = String(repeating: "2", count: 32)
private let p3 = String(repeating: "3", count: 32)

private func sensor(_ id: String, _ total: Double?) -> AggregatePayload.SensorDay {
    .init(
        sensor: id, vendorKind: "retail_factory", total: total, coveredMinutes: 1440, expectedMinutes: 1440,
        uptimeMinutes: 1440, validHours: 24)
}

private func payload(
    _ measures: [AggregatePayload.MeasureDay], spending: [AggregatePayload.SpendingCell] = [],
    conversions: [AggregatePayload.ConversionPair] = []
) -> AggregatePayload {
    AggregatePayload(
        tenantId: "t", townId: "town", keyId: String(repeating: "a", count: 32),
        submissionId: String(repeating: "b", count: 32),
        sequence: 1, createdAt: "2026-11-23T00:00:00Z", period: .init(from: "2026-11-21", to: "2026-11-21"),
        timeZone: "Europe/Brussels", privacy: .standard,
        zones: [
            .init(
                zoneId: "z", zoneKind: "square",
                days: [
                    .init(
                        date: "2026-11-21", flags: .init(publicHoliday: false, schoolHoliday: false),
                        measures: measures,
                        conversions: conversions, spending: spending)
                ])
        ])
}

@Suite struct PrivacyPolicyTests {
    @Test func smallStoreEntryCellsAreSuppressedWithSecondarySuppression() throws {
        // Sensors 334, 4, 61; total 399. 4 < 10 is suppressed; alone it could be derived as
        // 399 - 334 - 61, so the smallest visible other (61) is suppressed too.
        let raw = payload([
            .init(measure: "entries", sensors: [sensor(p1, 334), sensor(p2, 4), sensor(p3, 61)], total: 399)
        ])
        let out = PrivacyPolicy.standard.apply(to: raw)
        let m = out.zones[0].days[0].measures[0]
        #expect(m.sensors.map(\.total) == [334, nil, nil])
        #expect(m.sensors.map(\.suppressed) == [false, true, true])
        #expect(m.total == 399)
        #expect(PrivacyPolicy.standard.violation(in: out) == nil)
        #expect(PrivacyPolicy.standard.violation(in: raw)?.reason == .privacyViolation)
    }

    @Test func exitsAreProtectedToo() {
        let raw = payload([.init(measure: "exits", sensors: [sensor(p1, 3)], total: 3)])
        let m = PrivacyPolicy.standard.apply(to: raw).zones[0].days[0].measures[0]
        #expect(m.total == nil && m.totalSuppressed && m.sensors[0].suppressed)
        #expect(PrivacyPolicy.standard.violation(in: raw)?.reason == .privacyViolation)
    }

    @Test func otherMeasuresAreNotSuppressed() {
        let raw = payload([.init(measure: "pedestrians", sensors: [sensor(p1, 3)], total: 3)])
        #expect(PrivacyPolicy.standard.apply(to: raw).zones[0].days[0].measures[0].total == 3)
        #expect(PrivacyPolicy.standard.violation(in: raw) == nil)
    }

    @Test func smallTotalIsSuppressed() {
        let raw = payload([.init(measure: "entries", sensors: [sensor(p1, 6), sensor(p2, 3)], total: 9)])
        let m = PrivacyPolicy.standard.apply(to: raw).zones[0].days[0].measures[0]
        #expect(m.total == nil && m.totalSuppressed)
        #expect(m.sensors.allSatisfy { $0.suppressed && $0.total == nil })
    }

    @Test func hoursGetPrimaryAndSecondarySuppression() {
        var hourly = [Double?](repeating: nil, count: 24)
        hourly[10] = 40
        hourly[11] = 9  // small
        hourly[12] = 25
        hourly[13] = 30
        let raw = payload([.init(measure: "entries", sensors: [sensor(p1, 104)], total: 104, hourly: hourly)])
        let m = PrivacyPolicy.standard.apply(to: raw).zones[0].days[0].measures[0]
        // 9 is suppressed; it alone could be derived from 104, so the smallest visible hour (25, hour 12) goes too.
        #expect(m.suppressedHours == [11, 12])
        #expect(
            m.hourly?[11] == .some(nil) && m.hourly?[12] == .some(nil) && m.hourly?[10] == 40 && m.hourly?[13] == 30)
        #expect(PrivacyPolicy.standard.violation(in: PrivacyPolicy.standard.apply(to: raw)) == nil)
    }

    @Test func spendingNeedsTenBuyers() {
        let raw = payload(
            [],
            spending: [
                .init(sector: "retail", transactions: 30, buyers: 10, valueCents: 5000),
                .init(sector: "horeca", transactions: 12, buyers: 9, valueCents: 900),
            ])
        let out = PrivacyPolicy.standard.apply(to: raw)
        let s = out.zones[0].days[0].spending
        #expect(s[0].buyers == 10 && !s[0].suppressed)
        #expect(s[1].transactions == nil && s[1].buyers == nil && s[1].valueCents == nil && s[1].suppressed)
        #expect(PrivacyPolicy.standard.violation(in: raw)?.detail.contains("horeca") == true)
        #expect(PrivacyPolicy.standard.violation(in: out) == nil)
    }

    @Test func conversionEntriesBelowMinimumAreSuppressed() {
        let raw = payload([], conversions: [.init(door: p1, street: p2, entries: 5, passersBy: 800)])
        let c = PrivacyPolicy.standard.apply(to: raw).zones[0].days[0].conversions[0]
        #expect(c.entries == nil && c.passersBy == 800 && c.suppressed)
    }

    @Test func declaredPolicyWeakerThanTenantsIsRefused() {
        let lax = PrivacyPolicy(minimumStoreEntries: 5, minimumSpendingBuyers: 10)
        let raw = lax.apply(to: payload([.init(measure: "entries", sensors: [sensor(p1, 7)], total: 7)]))
        #expect(raw.privacy == lax)
        #expect(lax.violation(in: raw) == nil)
        let refusal = PrivacyPolicy.standard.violation(in: raw)
        #expect(refusal?.reason == .privacyViolation)
        #expect(refusal?.detail.contains("tenant requires") == true)
    }

    @Test func publishingRule() {
        #expect(PublishingRule.verdict(contributions: [50, 30, 20]) == .publish)  // top two 80%
        #expect(PublishingRule.verdict(contributions: [60, 26, 14]) == .dominated)  // top two 86%
        #expect(PublishingRule.verdict(contributions: [45, 40, 15]) == .publish)  // exactly 85% is not over
        #expect(PublishingRule.verdict(contributions: [100, 100]) == .tooFewContributors)
        #expect(PublishingRule.verdict(contributions: [0, 0, 0]) == .publish)
    }
}
