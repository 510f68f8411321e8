import Foundation
import Indicators
import Reports

/// Sample models for the tests and the Chromium check: a DAKS-like region with a missing town,
/// a stale town, a gap, events with and without intervals, and a town called `<script>`.
enum Samples {
    static let hostileName = "<script>alert(\"x\")</script> & Co"

    static func day(_ y: Int, _ m: Int, _ d: Int) -> DayNumber {
        (try? DayNumber(year: y, month: m, day: d)) ?? DayNumber(0)
    }

    /// A smooth, deterministic index series of `days` days ending on `end`, with an optional gap.
    static func series(
        end: DayNumber, days: Int, level: Double, amplitude: Double, phase: Double,
        gap: Range<Int>? = nil
    ) -> [SeriesPoint] {
        (0..<days).map { i in
            let d = end - (days - 1 - i)
            if let gap, gap.contains(i) { return SeriesPoint(day: d, value: nil) }
            let weekly = d.isoWeekday == 6 ? 4.0 : (d.isoWeekday == 7 ? -6.0 : 0)
            let v = level + amplitude * sin(Double(i) / 9 + phase) + weekly
            return SeriesPoint(day: d, value: (v * 10).rounded() / 10)
        }
    }

    static var region: RegionReport {
        let end = day(2026, 11, 22)
        let period = ReportPeriod(start: day(2026, 11, 16), end: end, label: "2026-W47")
        let names = ["Oostkamp", "Blankenberge", "Diksmuide", "Harelbeke", "Menen", "Veurne", hostileName]
        var towns: [TownFootfall] = []
        for (i, name) in names.enumerated() {
            let level = 92 + Double(i) * 3
            towns.append(
                TownFootfall(
                    townID: "town-\(i)", name: name,
                    series: i == 5
                        ? []
                        : series(
                            end: end, days: 91, level: level, amplitude: 6, phase: Double(i),
                            gap: i == 2 ? 40..<52 : nil),
                    index: i == 5 ? nil : level, change: i == 5 ? nil : Double(i) - 2.5,
                    rank: i == 5 ? nil : 6 - min(i, 5)))
        }
        let network = NetworkFootfall(
            index: 99.5, pooledIndex: 100.2, change: 1.3,
            series: series(end: end, days: 91, level: 99, amplitude: 3, phase: 0.5),
            contributingTowns: 6)
        let events = [
            EventUpliftRow(
                townID: "town-1", townName: "Blankenberge", eventName: "Sinterklaasstoet", kind: "event",
                zone: "Kerkstraat", days: [day(2026, 11, 21)],
                raw: Estimate(value: 0.234, low: 0.102, high: 0.351),
                peerAdjusted: Estimate(value: 0.187), peers: 5),
            EventUpliftRow(
                townID: "town-6", townName: hostileName, eventName: "Kerstmarkt <b>", kind: "market",
                zone: "Markt", days: [day(2026, 11, 20), day(2026, 11, 21)],
                raw: Estimate(value: -0.042, low: -0.12, high: 0.05), peerAdjusted: nil, peers: 2,
                note: "fewer than 3 peers"),
            EventUpliftRow(
                townID: "town-0", townName: "Oostkamp", eventName: "Braderie", kind: "event", zone: "Centrum",
                days: [day(2026, 11, 22)], raw: nil, peerAdjusted: nil, peers: 0,
                note: "fewer than 4 clean baseline days"),
        ]
        let conversion = [
            ConversionBenchmark(zoneKind: "core", towns: 5, median: 0.123, lowerQuartile: 0.09, upperQuartile: 0.151),
            ConversionBenchmark(zoneKind: "high-street", towns: 2, median: nil),
        ]
        var coverage: [TownCoverage] = []
        for (i, name) in names.enumerated() {
            let status: CoverageStatus = i == 5 ? .missing : (i == 4 ? .stale : (i == 2 ? .partial : .complete))
            coverage.append(
                TownCoverage(
                    townID: "town-\(i)", townName: name, status: status,
                    completeness: i == 5 ? nil : (i == 2 ? 0.8 : 0.985),
                    lastDay: i == 5 ? nil : (i == 4 ? day(2026, 11, 2) : end),
                    activeSensors: i == 5 ? 0 : 8, sensors: 10))
        }
        return RegionReport(
            tenantID: "daks", tenantName: "DAKS West Flanders", period: period,
            provenance: ReportProvenance(
                producer: "TownBench coordinator",
                generatedAt: Date(timeIntervalSince1970: 1_795_420_800),  // 2026-11-23 08:00 UTC, 09:00 in Brussels
                signature: "Signed by coordinator key ab12cd34; verified."),
            network: network, towns: towns, events: events, conversion: conversion, coverage: coverage,
            notes: ["Veurne sent no data for this period."])
    }

    /// The town page's event as a node builds it: with its level, the zone's calibration and the weather (issue 18).
    static func townEvent(_ event: EventUpliftRow) -> EventUpliftRow {
        var e = event
        e.calibration = EventCalibrationFigures(level: 0.9, falsePositiveRate: 0.094, minimumDetectableUplift: 0.183, days: 212)
        e.weather = EventWeatherFigures(precipitationMillimetres: 12.4, meanTemperatureCelsius: -1.5, baselinePrecipitationMillimetres: 2.1,
                                        baselineMeanTemperatureCelsius: 4.2, baselineDays: 7)
        return e
    }

    static var town: TownReport {
        let r = region
        let me = r.towns[1]
        func profile(peak: Double, shift: Int) -> [Double?] {
            var raw = (0..<24).map { h -> Double in
                let x = Double(h - 14 - shift)
                return h < 6 ? 0.002 : exp(-x * x / (2 * peak * peak))
            }
            let total = raw.reduce(0, +)
            raw = raw.map { ($0 / total * 10_000).rounded() / 10_000 }
            return raw.map { Optional($0) }
        }
        var townWeekday = profile(peak: 3, shift: 0)
        townWeekday[3] = nil
        let hourly = [
            HourlyComparison(
                dayType: "weekday", town: townWeekday, peers: profile(peak: 3.5, shift: -1),
                openingHours: 9..<18, townOpeningHoursShare: 0.81, peersOpeningHoursShare: 0.78,
                townLunchtimeShare: 0.19, peersLunchtimeShare: 0.17),
            HourlyComparison(
                dayType: "saturday", town: profile(peak: 2.5, shift: 0), peers: profile(peak: 3, shift: 0),
                openingHours: 9..<18, townOpeningHoursShare: 0.86, peersOpeningHoursShare: 0.83,
                townLunchtimeShare: 0.22, peersLunchtimeShare: 0.2),
            HourlyComparison(
                dayType: DayType.sundayOrHoliday.rawValue, town: profile(peak: 3, shift: 1),
                peers: profile(peak: 3, shift: 1),
                openingHours: nil, townOpeningHoursShare: nil, peersOpeningHoursShare: nil,
                townLunchtimeShare: 0.18, peersLunchtimeShare: 0.16),
        ]
        var withBand = hourly
        // The peers' middle half around their median on Saturdays (day-shape, issue 20).
        withBand[1].peersLowerQuartile = withBand[1].peers.map { $0.map { $0 * 0.8 } }
        withBand[1].peersUpperQuartile = withBand[1].peers.map { $0.map { $0 * 1.2 } }
        withBand[1].townClosedShare = 0.31
        withBand[1].peersClosedShare = 0.19
        let benchmark = r.conversion[0]
        var report = TownReport(
            tenantID: r.tenantID, tenantName: r.tenantName, townID: me.townID, townName: me.name, period: r.period,
            provenance: r.provenance, footfall: me, rankedTowns: 6, network: r.network,
            events: [townEvent(r.events[0])], hourly: withBand,
            conversion: [
                ConversionComparison(zone: "Kerkstraat", zoneKind: "core", town: 0.141, pairs: 4, benchmark: benchmark),
                ConversionComparison(zone: "Zeedijk", zoneKind: "high-street", town: nil, pairs: 1, benchmark: nil),
            ],
            coverage: r.coverage[1])
        report.dayShapeZoneKind = "core"
        report.findings = [
            DayShape.Finding(measure: .closedShare, dayType: .saturday, town: 0.31, peers: 0.19, closingHour: 17),
            DayShape.Finding(measure: .saturdayVsWeekday, dayType: nil, town: 1.45, peers: 1.2),
        ]
        // A week hour by hour against normal: quieter mornings, a busy Saturday evening, a day without history.
        report.percentOfNormal = (0..<7).map { i in
            let day = r.period.start + i
            guard i != 2 else {
                return PercentOfNormal.Day(day: day, percent: Array(repeating: nil, count: 24), referenceDays: [], reason: "too little history")
            }
            let percent = (0..<24).map { h -> Double? in
                guard h >= 7 else { return nil }
                let wave = Double((h * 7 + i * 13) % 60)
                let saturdayEvening: Double = i == 5 && h >= 18 ? 90 : 0
                return 70 + wave + saturdayEvening
            }
            return PercentOfNormal.Day(day: day, percent: percent, referenceDays: [day + (-7), day + (-14), day + (-21)], reason: nil)
        }
        return report
    }
}
