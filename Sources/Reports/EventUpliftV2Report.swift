// event-uplift v2 on the pages (issue 18): each event's peer-adjusted and own uplift with their
// calibrated intervals, the level, a verdict a town can read, and the zone's calibration.
public import Federation
import Indicators

/// One event-uplift v2 figure (the town's own, or the peer-adjusted one) and what calibrated it.
///
/// Why: an interval means something only with its level and the number of ordinary days behind
/// it; the smallest detectable effect tells a town how large an effect its data can show at all.
public struct EventUpliftV2Figure: Codable, Sendable, Hashable {
    /// The uplift (fraction) with its interval at the row's ``EventUpliftV2Figures/level``; `nil` when not computable.
    public var estimate: Estimate?
    /// The zone's ordinary days (of the event's day class, 52 weeks before) that calibrated the interval.
    public var calibrationDays: Int
    /// The smallest uplift that would exclude 0 on 80 % of those days.
    public var minimumDetectableUplift: Double?
    /// Why the uplift or its interval is missing, as the indicator said it.
    public var reason: String?

    /// Field by field as `NetworkFigures.EventV2` names them (the coordinator and the node map with it).
    public init(uplift: Double?, low: Double?, high: Double?, calibrationDays: Int, minimumDetectableUplift: Double?, reason: String?) {
        self.estimate = uplift.map { Estimate(value: $0, low: low, high: high) }
        self.calibrationDays = calibrationDays
        self.minimumDetectableUplift = minimumDetectableUplift
        self.reason = reason
    }

    /// What the interval says about the event, `nil` without an interval.
    public var verdict: EventVerdict? {
        guard let low = estimate?.low, let high = estimate?.high, low.isFinite, high.isFinite else { return nil }
        return low > 0 ? .above : (high < 0 ? .below : .within)
    }
}

/// What a calibrated interval says, in words a town can act on.
public enum EventVerdict: String, Codable, Sendable, CaseIterable {
    /// The whole interval is above 0: more than ordinary days vary by.
    case above
    /// The whole interval is below 0: fewer visitors than ordinary days vary by.
    case below
    /// The interval holds 0: no evidence of an effect.
    case within
}

/// An event's event-uplift v2 figures (`NetworkFigures.EventV2` at the coordinator).
///
/// Why beside v1's `raw` and `peerAdjusted`: v1's range has no stated level (on ordinary days it
/// excluded 0 one time in four); the pages lead with these when present and show v1 otherwise.
public struct EventUpliftV2Figures: Codable, Sendable, Hashable {
    /// The intervals' level (0.9 = 90 %): an ordinary day's interval excludes 0 on at most 1 − level of days.
    public var level: Double
    /// The town's own v2: observed ÷ seasonal expected value − 1.
    public var own: EventUpliftV2Figure
    /// Also divided by the median change of peer towns without an event those days; `nil` where
    /// there are no peers (a node's own computation).
    public var peerAdjusted: EventUpliftV2Figure?
    /// Peer towns whose ratio entered the peer-adjusted figure.
    public var peers: Int

    public init(level: Double, own: EventUpliftV2Figure, peerAdjusted: EventUpliftV2Figure?, peers: Int) {
        self.level = level
        self.own = own
        self.peerAdjusted = peerAdjusted
        self.peers = peers
    }

    /// The figure the verdict and the calibration shown are about: the peer-adjusted one when it has
    /// an interval (it also removes what moved every town that day), else the town's own when that
    /// has one; without any interval (no verdict), the peer-adjusted one when it has a value, else
    /// the town's own. `isOwn` says which.
    var leading: (figure: EventUpliftV2Figure, isOwn: Bool) {
        if let peer = peerAdjusted, peer.verdict != nil { return (peer, false) }
        if own.verdict != nil { return (own, true) }
        if let peer = peerAdjusted, peer.estimate != nil { return (peer, false) }
        return (own, true)
    }
}

extension Strings {
    /// The events note with v2, at the page's `level`.
    func eventsNoteV2(level: Double) -> String {
        let l = levelText(level), rest = levelText(1 - level)
        return t(
            "Extra footfall against the day's expected value (recent ordinary same weekdays, scaled by the same weeks a year earlier); peer-adjusted also divides by the change of towns without an event those days. The interval is calibrated on the zone's own ordinary days of the 52 weeks before: at \(l), an ordinary day's interval excludes 0 on at most \(rest) of days. Calibration: those days, and the smallest effect the zone's data can show 80 % of the time.",
            "Extra passanten tegenover de verwachte waarde van de dag (recente gewone dezelfde weekdagen, geschaald met dezelfde weken een jaar eerder); peer-gecorrigeerd deelt ook door de verandering bij gemeenten zonder evenement op die dagen. Het interval is gekalibreerd op de eigen gewone dagen van de zone in de 52 weken ervoor: bij \(l) sluit het interval van een gewone dag 0 uit op hoogstens \(rest) van de dagen. Kalibratie: die dagen, en het kleinste effect dat de data van de zone 80 % van de keren tonen."
        )
    }
    var peerAdjustedUplift: String { t("Peer-adjusted uplift", "Peer-gecorrigeerd effect") }
    var townsOwn: String { t("Town's own", "Eigen cijfer") }
    var verdict: String { t("What it means", "Wat het betekent") }
    var calibration: String { t("Calibration", "Kalibratie") }
    var reason: String { t("Reason", "Reden") }
    var calibrationDays: String { t("Calibration days", "Kalibratiedagen") }
    var detectableAt80: String { t("Detectable from (80 %)", "Meetbaar vanaf (80 %)") }
    var intervalWord: String { t("interval", "interval") }
    var v1Range: String { t("v1: a range without a stated level, no verdict", "v1: een bereik zonder niveau, geen oordeel") }

    /// The verdict of the row's leading figure; `isOwn` when it is the town's own (no usable peer-adjusted interval).
    func verdict(_ v: EventVerdict?, isOwn: Bool) -> String {
        let text: String
        switch v {
        case nil: return t("No interval: no verdict", "Geen interval: geen oordeel")
        case .above?: text = t("above what ordinary days vary by", "boven wat gewone dagen schommelen")
        case .below?: text = t("below what ordinary days vary by", "onder wat gewone dagen schommelen")
        case .within?: text = t("within the ordinary variation: no evidence of an effect", "binnen de gewone schommeling: geen aanwijzing voor een effect")
        }
        return isOwn ? t("Town's own figure: ", "Eigen cijfer: ") + text : text.capitalizedFirst
    }

    /// "+18 % (90 % interval +6 % to +30 %)" (without `level`: "+18 % (+6 % to +30 %)"); without an
    /// interval "+18 % (no interval: REASON)"; without a figure "– (REASON)".
    func upliftWithInterval(_ figure: EventUpliftV2Figure, level: Double?) -> String {
        guard let e = figure.estimate else { return BelgianFormat.missing + (figure.reason.map { " (" + $0 + ")" } ?? "") }
        let value = BelgianFormat.percent(e.value, decimals: 0, signed: true)
        guard let low = e.low, let high = e.high else {
            return value + " (" + t("no interval", "geen interval") + (figure.reason.map { ": " + $0 } ?? "") + ")"
        }
        let range = BelgianFormat.percent(low, decimals: 0, signed: true) + t(" to ", " tot ") + BelgianFormat.percent(high, decimals: 0, signed: true)
        guard let level else { return value + " (" + range + ")" }
        return value + " (" + levelText(level) + t(" interval ", "-interval ") + range + ")"
    }

    /// "212 days · detectable from +12 %".
    func calibrationText(_ figure: EventUpliftV2Figure) -> String {
        var text = t("\(figure.calibrationDays) days", "\(figure.calibrationDays) dagen")
        if let mde = figure.minimumDetectableUplift {
            text += " · " + t("detectable from ", "meetbaar vanaf ") + BelgianFormat.percent(mde, decimals: 0, signed: true)
        }
        return text
    }

    /// A level as a percentage without a needless decimal: 0.9 → "90 %", 0.975 → "97,5 %".
    func levelText(_ level: Double) -> String {
        BelgianFormat.percent(level, decimals: abs((level * 100).rounded() - level * 100) < 1e-9 ? 0 : 1)
    }
}

/// The events section's note, chart legend, chart rows and page table: v2's when any event has
/// it, else v1's exactly as before (old reports render unchanged).
///
/// Why one place: the region and the town page show events the same way (the region page with the town's name).
enum EventsSection {
    static func hasV2(_ events: [EventUpliftRow]) -> Bool { events.contains { $0.v2 != nil } }

    /// The level the note and legend name: the first v2 row's (one computation, one level).
    static func level(_ events: [EventUpliftRow]) -> Double? { events.lazy.compactMap { $0.v2?.level }.first }

    static func note(_ events: [EventUpliftRow], _ s: Strings) -> String {
        "<p class=\"note\">\(HTML.escape(level(events).map { s.eventsNoteV2(level: $0) } ?? s.eventsNote))</p>\n"
    }

    /// Blue: the leading figure (v2's peer-adjusted uplift at its level; v1's uplift); orange: the second.
    static func legendHTML(_ events: [EventUpliftRow], _ s: Strings) -> String {
        guard let level = level(events) else { return legend(s.uplift, s.peerAdjusted) }
        return legend(s.peerAdjustedUplift + ", " + s.levelText(level) + " " + s.intervalWord, s.townsOwn)
    }

    /// The interval plot's rows of `e`: v2's peer-adjusted figure first and the town's own second;
    /// v1's uplift first and its peer-adjusted figure second (`alwaysSecondRow`: also when missing).
    static func chartRows(_ e: EventUpliftRow, label: String, _ s: Strings, alwaysSecondRow: Bool) -> [SVGChart.IntervalRow] {
        if let v2 = e.v2 {
            return [.init(label: label, estimate: v2.peerAdjusted?.estimate),
                    .init(label: "   " + s.townsOwn, estimate: v2.own.estimate, isSecondary: true)]
        }
        var rows: [SVGChart.IntervalRow] = [.init(label: label, estimate: e.raw)]
        if alwaysSecondRow || e.peerAdjusted != nil {
            rows.append(.init(label: "   " + s.peerAdjusted, estimate: e.peerAdjusted, isSecondary: true))
        }
        return rows
    }

    /// The page's table of events when any has v2 (the files keep every figure, `eventsTable`): the
    /// event, its days, the peer-adjusted uplift with its level, the verdict, the town's own uplift
    /// and the calibration behind the verdict. A v1 row among them shows v1's figures, without a verdict.
    static func pageTable(_ events: [EventUpliftRow], _ s: Strings, withTown: Bool) -> ReportTable {
        let rows: [[ReportCell]] = events.map { e in
            let name = ((withTown ? [e.townName] : []) + [e.eventName, s.eventKind(e.kind), e.zone]).filter { !$0.isEmpty }
            let row: [ReportCell] = [.text(name.joined(separator: " · ")), .days(e.days)]
            guard let v2 = e.v2 else {
                let raw = EventUpliftV2Figure(uplift: e.raw?.value, low: e.raw?.low, high: e.raw?.high, calibrationDays: 0,
                                              minimumDetectableUplift: nil, reason: e.note)
                return row + [.text(BelgianFormat.percent(e.peerAdjusted?.value, decimals: 0, signed: true)), .text(s.v1Range),
                              .text(s.upliftWithInterval(raw, level: nil)), .text("")]
            }
            let lead = v2.leading
            let peer = v2.peerAdjusted.map { s.upliftWithInterval($0, level: v2.level) } ?? BelgianFormat.missing
            return row + [.text(peer), .text(s.verdict(lead.figure.verdict, isOwn: lead.isOwn)),
                          .text(s.upliftWithInterval(v2.own, level: nil)), .text(s.calibrationText(lead.figure))]
        }
        let event = ((withTown ? [s.town] : []) + [s.event, s.kind, s.zone]).joined(separator: " · ")
        return ReportTable(
            name: "events", title: s.events,
            columns: [.init(key: "event", title: event), .init(key: "days", title: s.days),
                      .init(key: "peer_adjusted", title: s.peerAdjustedUplift), .init(key: "verdict", title: s.verdict),
                      .init(key: "uplift", title: s.townsOwn), .init(key: "calibration", title: s.calibration)],
            rows: rows)
    }
}

extension EventUpliftV2Figures {
    /// The coordinator's v2 figures of an event (``NetworkFigures/EventV2``) as the pages show them:
    /// one mapping for the coordinator's pages and the node's offline page of a fetched report.
    public init(_ v2: NetworkFigures.EventV2) {
        self.init(
            level: v2.level,
            own: EventUpliftV2Figure(uplift: v2.uplift, low: v2.low, high: v2.high, calibrationDays: v2.calibrationDays,
                                     minimumDetectableUplift: v2.minimumDetectableUplift, reason: v2.reason),
            peerAdjusted: EventUpliftV2Figure(uplift: v2.peerAdjusted, low: v2.peerAdjustedLow, high: v2.peerAdjustedHigh,
                                              calibrationDays: v2.peerCalibrationDays,
                                              minimumDetectableUplift: v2.peerMinimumDetectableUplift, reason: v2.peerReason),
            peers: v2.peers)
    }
}

extension EventUpliftRow {
    /// A town's event in the coordinator's figures as a page row: v1's figures, and v2's when the
    /// figures were computed as v2. One mapping for the coordinator's pages and the node's offline
    /// page of a fetched report.
    public init(_ e: NetworkFigures.Event, townID: String, townName: String, eventName: String) {
        self.init(
            townID: townID, townName: townName, eventName: eventName, kind: e.kind, zone: e.zoneId,
            days: e.days.compactMap { try? DayNumber(iso: $0) },
            raw: e.uplift.map { Estimate(value: $0, low: e.low, high: e.high) },
            peerAdjusted: e.peerAdjusted.map { Estimate(value: $0) }, peers: e.peers,
            note: e.uplift == nil ? "not enough clean baseline days"
                : (e.peerAdjusted == nil ? "fewer than 3 peers without an event" : nil))
        v2 = e.v2.map(EventUpliftV2Figures.init)
    }
}
