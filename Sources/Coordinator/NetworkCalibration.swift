public import Federation
public import Foundation
public import Indicators

/// Each town's calibration at the coordinator (issue 18): event-uplift v2's placebo test on one
/// town's zone, for the town's own v2 over whole days and for the peer-adjusted v2 (the tenant's
/// other towns as controls), side by side.
///
/// Why at the coordinator: only it sees the peers, and the peer-adjusted form has its own error,
/// so its interval needs its own calibration; a town reading "+18 % [+9 %, +27 %]" beside an event
/// should also read how often such an interval excludes 0 on its ordinary days and which effect
/// its data can tell. Every ordinary day of the period is a one-day placebo event; the formulas
/// are `EventUpliftV2`'s (catalogue `Indicators/event-uplift-v2.md`), this file only loads.
public enum NetworkCalibration {
    /// Days before the period that a placebo day reads: those the events' v2 figures read.
    public static let historyDays = NetworkEventsV2.historyDays

    /// What to calibrate, checked: the same texts from the API's query and the command line give
    /// the same answer or the same error.
    public struct Question: Sendable, Equatable {
        public var town: String
        public var zone: String
        public var period: DayPeriod
        public var level: Double

        /// The question in its own terms (e.g. a report page asking for the calibration beside an
        /// event). Throws ``CoordinatorError/Code/invalidArgument`` unless `level` lies in 0.5–0.99.
        public init(town: String, zone: String, period: DayPeriod, level: Double = EventUpliftV2.defaultLevel) throws {
            guard EventUpliftV2.levels.contains(level) else {
                throw Self.levelError(String(level))
            }
            self.town = town
            self.zone = zone
            self.period = period
            self.level = level
        }

        static func levelError(_ given: String) -> CoordinatorError {
            CoordinatorError(.invalidArgument, "The level (level=, --level) must be a number from 0.5 to 0.99, e.g. 0.9 for 90 % intervals; got \(given).")
        }

        /// From the query's or the command line's texts: `period` (YYYY-MM) or `from` and `to`
        /// (YYYY-MM-DD, at most ``DayPeriod/maximumDays``); neither: the last 12 complete months
        /// before `now` (UTC). `level`: 0.5–0.99, default 0.9. Throws
        /// ``CoordinatorError/Code/invalidArgument`` saying what to send instead.
        public init(town: String?, zone: String?, period: String?, from: String?, to: String?, level: String?, now: Date) throws {
            guard let town, !town.isEmpty else {
                throw CoordinatorError(.invalidArgument, "Give the town whose calibration to compute: town=TOWN_ID (--town).")
            }
            guard let zone, !zone.isEmpty else {
                throw CoordinatorError(.invalidArgument, "Give the zone to calibrate: zone=ZONE_ID (--zone), e.g. the zone of the town's events.")
            }
            let days: DayPeriod
            if period == nil && from == nil && to == nil {
                let today = DayNumber(Int((now.timeIntervalSince1970 / 86400).rounded(.down)))
                let (y, m, _) = today.civil
                guard let thisMonth = try? DayNumber(year: y, month: m, day: 1),
                      let yearBefore = try? DayNumber(year: y - 1, month: m, day: 1) else {
                    throw CoordinatorError(.invalidArgument, "The coordinator's clock (\(today)) is outside the supported days; give from= and to=.")
                }
                days = DayPeriod(yearBefore...(thisMonth - 1))
            } else {
                days = try DayPeriod.parse(period: period, from: from, to: to).get()
            }
            var value = EventUpliftV2.defaultLevel
            if let level {
                guard let number = Double(level.prefix(20)), number.isFinite else {
                    throw Self.levelError("'\(level.prefix(20))'")
                }
                value = number
            }
            try self.init(town: town, zone: zone, period: days, level: value)
        }
    }
}

extension NetworkCalibration {
    /// The spread of one form's errors on the period's ordinary days (observed ÷ expected − 1, own
    /// or peer-adjusted): what decides how wide the interval is, hence which effect is detectable.
    public struct ErrorSpread: Sendable, Equatable, Codable {
        public var days: Int
        /// The mean signed error: a form that is right on average has ≈ 0.
        public var meanError: Double?
        public var medianAbsoluteError: Double?
        /// The 90th percentile of |error| (about the half-width of a 90 % interval).
        public var absoluteError90: Double?

        /// From the errors; a non-finite one (a zone that counted 0 against a positive expectation
        /// gives −100 %, never infinity, but a peer's extreme figures might) is left out.
        init(_ all: [Double]) {
            let errors = all.filter(\.isFinite)
            days = errors.count
            meanError = errors.isEmpty ? nil : errors.reduce(0, +) / Double(errors.count)
            let sorted = errors.map(abs).sorted()
            medianAbsoluteError = IndicatorMath.quantile(sorted, 0.5)
            absoluteError90 = IndicatorMath.quantile(sorted, 0.9)
        }
    }

    /// One town zone's calibration: the placebo test of both whole-day forms over the same days.
    public struct Result: Sendable, Codable {
        public var tenantId: String
        public var town: String
        public var zone: String
        public var from: String
        public var to: String
        public var level: Double
        /// The effect injected for each row's `detectionRate` (observed × (1 + injectedUplift)).
        public var injectedUplift: Double
        /// The tenant's other towns with data, the controls of the peer-adjusted form.
        public var peerTowns: Int
        /// The town's own v2 over whole days (v1's range is not counted at the coordinator).
        public var own: Form
        /// zone ratio ÷ the median ratio of the other towns − 1, over the days with ≥ 3 peers.
        public var peerAdjusted: Form

        /// One form's placebo rows (per day class, then all days) and its error spread.
        public struct Form: Sendable, Codable {
            public var rows: [EventUpliftV2.Placebo.Row]
            public var errorSpread: ErrorSpread
        }
    }

    /// Loads the days the period needs from one snapshot of `store` and computes. Unknown town or
    /// zone: ``CoordinatorError/Code/notFound``.
    public static func compute(_ question: Question, store: any CoordinatorStore, _ scope: TenantScope) throws -> Result {
        guard try store.towns(scope).contains(where: { $0.id == question.town }) else {
            throw CoordinatorError(.notFound, "No town \(question.town.prefix(60)) in this tenant; GET /v1/tenants/{tenant}/towns lists them.")
        }
        let range = question.period.range
        let days = (range.lowerBound - historyDays).rawValue...range.upperBound.rawValue
        let last = range.upperBound.rawValue
        let series = try store.networkSeries(measure: NetworkIndicators.footfallMeasure, days: days, values: nil,
                                             conversionDays: last...last, scope)
        return try compute(question, series: series, tenantID: scope.tenantID)
    }

    /// The computation over a loaded series: every town's whole-day ratio series once (all its
    /// sensors; its event, campaign and works days in any zone excluded), the zone's own series,
    /// then `EventUpliftV2.peerAdjustedPlacebo`, as ``NetworkEventsV2`` evaluates an event.
    public static func compute(_ question: Question, series: NetworkSeries, tenantID: String) throws -> Result {
        let period = question.period.range
        guard let own = series.towns[question.town] else {
            throw CoordinatorError(.notFound, "Town \(question.town.prefix(60)) has sent no pedestrian counts for \(period.lowerBound - historyDays) – \(period.upperBound); a calibration needs them.")
        }
        let zoneRows = own.sensors.indices.filter { own.sensors[$0].zone == question.zone }
        guard !zoneRows.isEmpty else {
            let zones = Set(own.sensors.map(\.zone)).sorted().joined(separator: ", ")
            throw CoordinatorError(.notFound, "Town \(question.town.prefix(60)) has no pedestrian counts in zone \(question.zone.prefix(60)); its zones: \(zones).")
        }
        let zoneDays = Dictionary(grouping: series.eventDays, by: \.townID)
        let anchors = (period.lowerBound - EventUpliftV2.calibrationLookbackDays)...period.upperBound
        let towns = series.towns.sorted { $0.key < $1.key }.filter { $0.value.panel.sensorCount > 0 }
        let calendars = towns.map { NetworkEventsV2.TownCalendar(zoneDays[$0.key] ?? []) }
        let whole = try NetworkIndicators.parallelMap(towns.count) { i -> EventUpliftV2.RatioSeries in
            try EventUpliftV2.dailyRatios(panel: towns[i].value.panel, sensors: Array(0..<towns[i].value.panel.sensorCount), length: 1,
                                          anchors: anchors, excludedDays: calendars[i].excluded, holidays: calendars[i].holidays)
        }
        let peers = try EventUpliftV2.PeerRatios(whole, length: 1, anchors: anchors)
        // The town is one of `towns` (it has sensors): its own whole-town ratios are left out of its peers' median.
        let index = towns.firstIndex { $0.key == question.town }
        let ownWhole = index.map { whole[$0] }
        let calendar = index.map { calendars[$0] } ?? NetworkEventsV2.TownCalendar(zoneDays[question.town] ?? [])
        let zone = try EventUpliftV2.dailyRatios(panel: own.panel, sensors: zoneRows, length: 1, anchors: anchors,
                                                 excludedDays: calendar.byZone[question.zone] ?? [], holidays: calendar.holidays)
        let placebo = try EventUpliftV2.peerAdjustedPlacebo(zone: zone, peers: peers, town: ownWhole, holidays: calendar.holidays,
                                                            period: period, level: question.level)
        // A detectable uplift is (1 + q) ÷ (1 + error) − 1: infinite on a day that counted nothing.
        // The figure is withheld then, never encoded (the computation is total, as the network figures').
        func finiteRows(_ rows: [EventUpliftV2.Placebo.Row]) -> [EventUpliftV2.Placebo.Row] {
            rows.map { row in
                var row = row
                row.minimumDetectableUplift = NetworkIndicators.finite(row.minimumDetectableUplift)
                return row
            }
        }
        return Result(tenantId: tenantID, town: question.town, zone: question.zone, from: period.lowerBound.description,
                      to: period.upperBound.description, level: placebo.level, injectedUplift: placebo.injectedUplift,
                      peerTowns: towns.count - (index == nil ? 0 : 1),
                      own: .init(rows: finiteRows(placebo.own), errorSpread: ErrorSpread(placebo.ownErrors)),
                      peerAdjusted: .init(rows: finiteRows(placebo.peerAdjusted), errorSpread: ErrorSpread(placebo.peerAdjustedErrors)))
    }
}

extension NetworkCalibration.Result {
    /// The table `townbench-coordinator calibration` prints (the JSON carries the same figures).
    public var text: String {
        func percent(_ value: Double?, signed: Bool = false) -> String {
            value.map { String(format: signed ? "%+.1f%%" : "%.1f%%", $0 * 100) } ?? "-"
        }
        var out = "event-uplift v2 calibration of \(town), zone \(zone), \(from) – \(to): every ordinary day as a one-day event, "
        out += "\(Int((level * 100).rounded())) % intervals; peer-adjusted against \(peerTowns) other towns\n"
        func column(_ text: String, _ width: Int) -> String { text.padding(toLength: width, withPad: " ", startingAt: 0) }
        out += column("form", 15) + column("day type", 10) + column("days", 6) + column("excludes 0", 12)
        out += column(String(format: "%+.0f%% detected", injectedUplift * 100), 15) + "smallest uplift detected with 80 % power\n"
        for (name, form) in [("own", own), ("peer-adjusted", peerAdjusted)] {
            for row in form.rows {
                out += column(name, 15) + column(row.dayClass?.rawValue ?? "all", 10) + column(String(row.days), 6)
                out += column(percent(row.falsePositiveRate), 12) + column(percent(row.detectionRate), 15)
                out += percent(row.minimumDetectableUplift, signed: true) + "\n"
            }
        }
        for (name, spread) in [("own", own.errorSpread), ("peer-adjusted", peerAdjusted.errorSpread)] {
            out += "\(name) errors on \(spread.days) days: mean \(percent(spread.meanError, signed: true)), "
            out += "median |error| \(percent(spread.medianAbsoluteError)), 90th percentile \(percent(spread.absoluteError90))\n"
        }
        return out
    }
}
