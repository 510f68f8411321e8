public import Foundation
import Indicators

/// The signed content of one submission: a town's aggregates for a period (aggregate v1).
///
/// Why: this is the whole of what leaves a town's machine. It carries what the coordinator needs
/// to compute the indicator catalogue across towns (like-for-like sums per pseudonymous sensor,
/// coverage, day flags, hourly profiles, conversion pairs, spending sums) and nothing more: no raw
/// interval row, no vendor device id, no person. Every field is documented in
/// `Federation/PROTOCOL.md`; the JSON schema is `Federation/schemas/aggregate-v1.schema.json`.
/// The node builds it, calls ``canonicalBytes()`` and signs those exact bytes.
public struct AggregatePayload: Codable, Sendable, Hashable {
    /// The only version this module writes and accepts.
    public static let currentProtocolVersion = 1

    public var protocolVersion: Int
    public var tenantId: String
    public var townId: String
    /// The signing key's id (``Ed25519/PublicKey/keyID``), repeated inside the signed bytes.
    public var keyId: String
    /// 16 random bytes, lowercase hex (32 characters): the idempotency key of this submission.
    public var submissionId: String
    /// Per-town (all tenants) strictly increasing sequence number, starting at 1.
    public var sequence: Int
    /// When the node built the payload, RFC 3339 UTC with whole seconds: `2026-11-23T06:00:00Z`.
    public var createdAt: String
    public var period: Period
    /// The town's IANA time zone; every day and hour in the payload is local to it.
    public var timeZone: String
    /// The privacy parameters the node applied (see ``PrivacyPolicy``).
    public var privacy: PrivacyPolicy
    public var zones: [Zone]

    public init(
        protocolVersion: Int = AggregatePayload.currentProtocolVersion, tenantId: String, townId: String,
        keyId: String, submissionId: String, sequence: Int, createdAt: String, period: Period,
        timeZone: String, privacy: PrivacyPolicy, zones: [Zone]
    ) {
        self.protocolVersion = protocolVersion
        self.tenantId = tenantId
        self.townId = townId
        self.keyId = keyId
        self.submissionId = submissionId
        self.sequence = sequence
        self.createdAt = createdAt
        self.period = period
        self.timeZone = timeZone
        self.privacy = privacy
        self.zones = zones
    }

    /// The local calendar days covered, inclusive, ISO `YYYY-MM-DD`.
    public struct Period: Codable, Sendable, Hashable {
        public var from: String
        public var to: String
        public init(from: String, to: String) {
            self.from = from
            self.to = to
        }
    }

    /// One zone of the town (a street, square or the core shopping area) with its days.
    public struct Zone: Codable, Sendable, Hashable {
        /// The town's own stable zone id (not a person or device).
        public var zoneId: String
        /// What kind of place it is, e.g. `core_shopping_street`, `square`, `core_area`, `car_park`.
        public var zoneKind: String
        public var days: [Day]
        // MARK: Opening hours (issue 20; optional, absent from older nodes' payloads)
        /// The zone's shop opening hours (AggregatePayload+OpeningHours.swift), or nil.
        public var openingHours: OpeningHours?
        public init(zoneId: String, zoneKind: String, days: [Day], openingHours: OpeningHours? = nil) {
            self.zoneId = zoneId
            self.zoneKind = zoneKind
            self.days = days
            self.openingHours = openingHours
        }
    }

    /// One local calendar day of one zone.
    public struct Day: Codable, Sendable, Hashable {
        public var date: String
        public var flags: DayFlags
        public var measures: [MeasureDay]
        public var conversions: [ConversionPair]
        public var spending: [SpendingCell]
        // Issue 19's lots (AggregatePayload+Lots.swift): optional, absent from the JSON when nil.
        public var parking: [ParkingDay]? = nil
        public var visitorOrigin: OriginDay? = nil
        public var dwell: [DwellBin]? = nil
        public init(
            date: String, flags: DayFlags, measures: [MeasureDay] = [], conversions: [ConversionPair] = [],
            spending: [SpendingCell] = []
        ) {
            self.date = date
            self.flags = flags
            self.measures = measures
            self.conversions = conversions
            self.spending = spending
        }
    }

    /// Calendar context of a day in a zone: what an indicator must know to compare like with like.
    public struct DayFlags: Codable, Sendable, Hashable {
        public var publicHoliday: Bool
        public var schoolHoliday: Bool
        /// Events active in this zone that day (market, festival, campaign …).
        public var events: [Event]
        public init(publicHoliday: Bool, schoolHoliday: Bool, events: [Event] = []) {
            self.publicHoliday = publicHoliday
            self.schoolHoliday = schoolHoliday
            self.events = events
        }
    }

    /// An event id (the town's own) and its kind (`market`, `festival`, `campaign`, `other`).
    public struct Event: Codable, Sendable, Hashable {
        public var eventId: String
        public var kind: String
        public init(eventId: String, kind: String) {
            self.eventId = eventId
            self.kind = kind
        }
    }

    /// One measure (pedestrians, store entries, …) on one day in one zone.
    public struct MeasureDay: Codable, Sendable, Hashable {
        /// The node's measure name: `pedestrians`, `entries`, `exits`, `bikes`, `cars`, `heavy`,
        /// `motorcycles` or `presence`.
        public var measure: String
        public var sensors: [SensorDay]
        /// The zone's total of this measure that day; absent when suppressed or no sensor had data.
        public var total: Double?
        public var totalSuppressed: Bool
        /// 24 local-hour totals (index = local hour 0…23; on the autumn DST day hour 2 holds both
        /// hours, on the spring day it is null). Absent when the indicators do not need it.
        public var hourly: [Double?]?
        /// Local hours whose value was suppressed by the privacy policy (their `hourly` entry is null).
        public var suppressedHours: [Int]
        public init(
            measure: String, sensors: [SensorDay], total: Double?, totalSuppressed: Bool = false,
            hourly: [Double?]? = nil, suppressedHours: [Int] = []
        ) {
            self.measure = measure
            self.sensors = sensors
            self.total = total
            self.totalSuppressed = totalSuppressed
            self.hourly = hourly
            self.suppressedHours = suppressedHours
        }
    }

    /// One sensor's day: what like-for-like comparison and validity rules need.
    public struct SensorDay: Codable, Sendable, Hashable {
        /// Pseudonymous sensor id (``SensorPseudonym``), never the vendor's device id.
        public var sensor: String
        /// `telraam`, `crowdscan`, `citymesh`, `retail_factory`, `movias`, `counter` …: selects the
        /// catalogue's validity rule.
        public var vendorKind: String
        /// The day's total; absent when suppressed.
        public var total: Double?
        public var suppressed: Bool
        /// Minutes of the day covered by intervals the sensor reported.
        public var coveredMinutes: Int
        /// Minutes the sensor should have reported (1440, or 1380/1500 on DST days, or its opening hours).
        public var expectedMinutes: Int
        /// Minutes the sensor was actually measuring (Telraam's uptime × covered).
        public var uptimeMinutes: Int
        /// Hours that pass the vendor kind's validity rule (e.g. Telraam uptime ≥ 0.5).
        public var validHours: Int
        public init(
            sensor: String, vendorKind: String, total: Double?, suppressed: Bool = false, coveredMinutes: Int,
            expectedMinutes: Int, uptimeMinutes: Int, validHours: Int
        ) {
            self.sensor = sensor
            self.vendorKind = vendorKind
            self.total = total
            self.suppressed = suppressed
            self.coveredMinutes = coveredMinutes
            self.expectedMinutes = expectedMinutes
            self.uptimeMinutes = uptimeMinutes
            self.validHours = validHours
        }
    }

    /// A shop door sensor paired with the street sensor in front of it: the conversion rate's sums.
    public struct ConversionPair: Codable, Sendable, Hashable {
        /// Pseudonymous id of the door (store entries) sensor.
        public var door: String
        /// Pseudonymous id of the street (passers-by) sensor.
        public var street: String
        /// Entries that day over the hours both sensors were valid; absent when suppressed.
        public var entries: Double?
        /// Passers-by over the same hours.
        public var passersBy: Double?
        public var suppressed: Bool
        public init(door: String, street: String, entries: Double?, passersBy: Double?, suppressed: Bool = false) {
            self.door = door
            self.street = street
            self.entries = entries
            self.passersBy = passersBy
            self.suppressed = suppressed
        }
    }

    /// Card spending in a zone on a day for one sector.
    public struct SpendingCell: Codable, Sendable, Hashable {
        /// `retail`, `horeca`, `services`, `all` …
        public var sector: String
        public var transactions: Int?
        public var buyers: Int?
        /// Total value in euro cents.
        public var valueCents: Int?
        public var suppressed: Bool
        public init(sector: String, transactions: Int?, buyers: Int?, valueCents: Int?, suppressed: Bool = false) {
            self.sector = sector
            self.transactions = transactions
            self.buyers = buyers
            self.valueCents = valueCents
            self.suppressed = suppressed
        }
    }

    /// The RFC 8785 canonical bytes of this payload: what the node signs and sends.
    public func canonicalBytes() throws(FederationError) -> [UInt8] { try CanonicalJSON.serialize(jsonValue()) }

    /// Signs the canonical bytes as an aggregate v1 envelope. Checks ``validate()`` first and that
    /// `keyId` is `key`'s id, so the node can never send what the coordinator must refuse as malformed.
    public func signedEnvelope(with key: Ed25519.PrivateKey) throws(FederationError) -> Envelope {
        guard keyId == key.publicKey.keyID else {
            throw FederationError(
                code: .invalidPayload,
                message:
                    "The payload names key \(keyId) but is signed with key \(key.publicKey.keyID); set keyId from the signing key."
            )
        }
        try validate()
        return try Envelope.sign(payload: try canonicalBytes(), payloadType: Envelope.aggregatePayloadType, with: key)
    }

    /// Parses payload bytes (only after their signature verified) with the strict ``JSONParser``,
    /// refuses unknown members, and ``validate()``s them.
    public init(verifiedBytes bytes: some ContiguousBytes) throws(FederationError) {
        self = try AggregatePayload(raw: try JSONParser.parseRaw(bytes))
        try validate()
    }

    /// Checks the rules the schema cannot express fully. Throws `invalid_payload` naming the field.
    public func validate() throws(FederationError) {
        func fail(_ message: String) -> FederationError {
            FederationError(code: .invalidPayload, message: "Aggregate payload: \(message)")
        }
        guard protocolVersion == Self.currentProtocolVersion else {
            throw fail(
                "protocolVersion is \(protocolVersion); this version understands only \(Self.currentProtocolVersion).")
        }
        guard Identifier.isValid(tenantId) else {
            throw fail("tenantId \"\(tenantId)\" is not a valid id ([a-z0-9][a-z0-9._-]{0,63}).")
        }
        guard Identifier.isValid(townId) else {
            throw fail("townId \"\(townId)\" is not a valid id ([a-z0-9][a-z0-9._-]{0,63}).")
        }
        guard keyId.utf8.count == 32, Hex.decode(keyId) != nil else {
            throw fail("keyId must be 32 lowercase hex characters.")
        }
        guard submissionId.utf8.count == 32, Hex.decode(submissionId) != nil else {
            throw fail("submissionId must be 32 lowercase hex characters (16 random bytes).")
        }
        guard sequence >= 1, sequence < 1 << 53 else { throw fail("sequence must be between 1 and 2^53 - 1.") }
        guard Timestamp.parse(createdAt) != nil else {
            throw fail("createdAt \"\(createdAt)\" is not RFC 3339 UTC like 2026-11-23T06:00:00Z.")
        }
        guard let from = CalendarDay.dayNumber(period.from), let to = CalendarDay.dayNumber(period.to), from <= to
        else {
            throw fail("period from/to must be ISO dates YYYY-MM-DD with from ≤ to.")
        }
        if let problem = AggregateLimits.periodProblem(from: from, to: to) { throw fail(problem) }
        guard AggregateLimits.isTimeZoneName(timeZone) else {
            throw fail("timeZone \"\(timeZone.prefix(80))\" is not an IANA zone name like Europe/Brussels.")
        }
        try privacy.validate()
        var zoneIds = Set<String>()
        for zone in zones {
            guard Identifier.isValid(zone.zoneId), zoneIds.insert(zone.zoneId).inserted else {
                throw fail("zoneId \"\(zone.zoneId.prefix(80))\" is invalid or repeated.")
            }
            guard Identifier.isValid(zone.zoneKind) else {
                throw fail("zone \(zone.zoneId): zoneKind \"\(zone.zoneKind.prefix(80))\" is not a valid kind ([a-z0-9][a-z0-9._-]{0,63}).")
            }
            if let problem = zone.openingHours?.problem(from: from, to: to) { throw fail("zone \(zone.zoneId): \(problem)") }
            var dates = Set<String>()
            for day in zone.days {
                guard let d = CalendarDay.dayNumber(day.date), d >= from, d <= to, dates.insert(day.date).inserted
                else {
                    throw fail("zone \(zone.zoneId): day \(day.date.prefix(80)) is invalid, outside the period or repeated.")
                }
                for event in day.flags.events {
                    guard Identifier.isValid(event.eventId) else {
                        throw fail("zone \(zone.zoneId), \(day.date): eventId \"\(event.eventId.prefix(80))\" is not a valid id ([a-z0-9][a-z0-9._-]{0,63}).")
                    }
                    guard Identifier.isValid(event.kind) else {
                        throw fail("zone \(zone.zoneId), \(day.date): event kind \"\(event.kind.prefix(80))\" is not a valid kind ([a-z0-9][a-z0-9._-]{0,63}, e.g. market).")
                    }
                }
                if let problem = day.lotProblem() { throw fail("zone \(zone.zoneId), \(day.date): \(problem).") }
                for m in day.measures {
                    guard Identifier.isValid(m.measure) else {
                        throw fail("zone \(zone.zoneId), \(day.date): measure \"\(m.measure.prefix(80))\" is not a valid name.")
                    }
                    let place = "zone \(zone.zoneId), \(day.date), \(m.measure)"
                    let zoneBound = AggregateLimits.maximumSensorDayCount * Double(max(1, m.sensors.count))
                    if let t = m.total, let problem = AggregateLimits.countProblem(t, bound: zoneBound) {
                        throw fail("\(place): total \(problem)")
                    }
                    if let h = m.hourly {
                        guard h.count == 24 else {
                            throw fail("\(place): hourly must have 24 entries, has \(h.count).")
                        }
                        for (hour, v) in h.enumerated() {
                            if let v, let problem = AggregateLimits.countProblem(v, bound: zoneBound) {
                                throw fail("\(place): hour \(hour) \(problem)")
                            }
                        }
                    }
                    for hour in m.suppressedHours where !(0..<24).contains(hour) {
                        throw fail("\(place): suppressed hour \(hour) is not 0…23.")
                    }
                    for s in m.sensors {
                        guard SensorPseudonym.isValid(s.sensor) else {
                            throw fail("\(place): sensor id \"\(s.sensor.prefix(80))\" is not a pseudonym (32 hex).")
                        }
                        guard Identifier.isValid(s.vendorKind) else {
                            throw fail("\(place): vendorKind \"\(s.vendorKind.prefix(80))\" is not a valid kind ([a-z0-9][a-z0-9._-]{0,63}).")
                        }
                        if let t = s.total, let problem = AggregateLimits.countProblem(t, bound: AggregateLimits.maximumSensorDayCount) {
                            throw fail("\(place): sensor \(s.sensor) total \(problem)")
                        }
                        guard (0...1500).contains(s.coveredMinutes), (0...1500).contains(s.expectedMinutes),
                            (0...1500).contains(s.uptimeMinutes), (0...25).contains(s.validHours)
                        else {
                            throw fail("\(place): coverage figures out of range (minutes 0…1500, hours 0…25).")
                        }
                    }
                }
                for c in day.conversions {
                    guard SensorPseudonym.isValid(c.door), SensorPseudonym.isValid(c.street) else {
                        throw fail("zone \(zone.zoneId), \(day.date): conversion pair ids must be pseudonyms.")
                    }
                    for v in [c.entries, c.passersBy].compactMap({ $0 }) {
                        if let problem = AggregateLimits.countProblem(v, bound: AggregateLimits.maximumSensorDayCount) {
                            throw fail("zone \(zone.zoneId), \(day.date): conversion sum \(problem)")
                        }
                    }
                }
                for s in day.spending {
                    let place = "zone \(zone.zoneId), \(day.date), spending"
                    guard Identifier.isValid(s.sector) else {
                        throw fail("\(place): sector \"\(s.sector.prefix(80))\" is not a valid sector ([a-z0-9][a-z0-9._-]{0,63}).")
                    }
                    if let problem = AggregateLimits.spendingProblem(
                        transactions: s.transactions, buyers: s.buyers, valueCents: s.valueCents)
                    {
                        throw fail("\(place) \(s.sector): \(problem)")
                    }
                }
            }
        }
    }
}

/// The plausibility bounds of aggregate v1 (PROTOCOL.md §4.4): one definition, used by the
/// coordinator's intake (``AggregatePayload/validate()``) and the node's importers.
///
/// Why: a validly signed figure can still be absurd (a typo, a broken vendor export, a hostile
/// town). An absurd figure must be refused where it enters, with a reason, before it can overflow
/// a network sum and make every town's report fail. The bounds are far above any real town
/// centre (the busiest shopping streets count a few hundred thousand passers-by a day).
public enum AggregateLimits {
    /// Most a sensor may count on one local day, for any measure (people, vehicles, entries,
    /// presence samples). A zone total or an hourly zone value may be at most this times the
    /// measure's number of sensors. Per imported row, the node applies the same bound.
    public static let maximumSensorDayCount: Double = 10_000_000
    /// Most card transactions in one zone, day and sector.
    public static let maximumTransactions = 10_000_000
    /// Most spending in one zone, day and sector, in euro cents (€1,000,000,000).
    public static let maximumValueCents = 100_000_000_000

    /// Why `value` is not a plausible count of at most `bound`, or nil when it is.
    public static func countProblem(_ value: Double, bound: Double) -> String? {
        guard value.isFinite, value >= 0 else { return "must be a finite number ≥ 0, is \(value)." }
        guard value <= bound else { return "\(value) is above the plausible maximum \(Int(bound)); check the vendor data." }
        return nil
    }

    /// Why a spending cell's sums are not plausible, or nil when they are.
    public static func spendingProblem(transactions: Int?, buyers: Int?, valueCents: Int?) -> String? {
        for (name, value, bound) in [
            ("transactions", transactions, maximumTransactions), ("buyers", buyers, maximumTransactions),
            ("valueCents", valueCents, maximumValueCents),
        ] {
            guard let value else { continue }
            guard value >= 0, value <= bound else { return "\(name) \(value) must be between 0 and \(bound)." }
        }
        if let transactions, let buyers, buyers > transactions {
            return "buyers (\(buyers)) exceed transactions (\(transactions))."
        }
        return nil
    }

    /// Why a submission's period (day numbers) is not acceptable, or nil: both days in
    /// `DayNumber.supportedRange` and at most ``DayPeriod/maximumDays`` (the node sends ISO weeks). (The coordinator also refuses
    /// a period that ends after tomorrow by its clock: ``futurePeriodProblem(to:now:)``.)
    public static func periodProblem(from: Int, to: Int) -> String? {
        let range = DayNumber.supportedRange
        guard range.contains(DayNumber(from)), range.contains(DayNumber(to)) else {
            return "period \(DayNumber(from))…\(DayNumber(to)) is outside the supported days \(DayNumber.supportedRangeText)."
        }
        guard to - from < DayPeriod.maximumDays else {
            return "period \(DayNumber(from))…\(DayNumber(to)) covers more than \(DayPeriod.maximumDays) days; send one submission per week."
        }
        return nil
    }

    /// Why a period ending on day `to` cannot have been measured by `now`, or nil: its last day
    /// may be at most the day after `now`'s UTC day (time zones run up to 14 hours ahead).
    public static func futurePeriodProblem(to: String, now: Date) -> String? {
        guard let last = CalendarDay.dayNumber(to) else { return nil }
        let today = Int((now.timeIntervalSince1970 / 86_400).rounded(.down))
        guard last <= today + 1 else {
            return "the period ends \(to), a day that has not begun yet; send only measured days."
        }
        return nil
    }

    /// Whether `name` has the shape of an IANA time zone name (`Europe/Brussels`, `Etc/GMT+1`):
    /// 1–64 characters, a letter first, then letters, digits, `/`, `_`, `+`, `-`.
    public static func isTimeZoneName(_ name: String) -> Bool {
        let u = Array(name.utf8)
        guard (1...64).contains(u.count) else { return false }
        for (i, c) in u.enumerated() {
            let letter = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
            let ok = letter || (i > 0 && ((c >= 0x30 && c <= 0x39) || c == 0x2f || c == 0x5f || c == 0x2b || c == 0x2d))
            if !ok { return false }
        }
        return true
    }
}

/// Ids of tenants, towns, zones and measures: `[a-z0-9][a-z0-9._-]{0,63}`.
///
/// Why restricted: ids appear in URLs, file names, logs and checkpoint origin lines; one spelling each.
public enum Identifier {
    public static func isValid(_ id: String) -> Bool {
        let u = Array(id.utf8)
        guard (1...64).contains(u.count) else { return false }
        for (i, c) in u.enumerated() {
            let ok =
                (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || (i > 0 && (c == 0x2e || c == 0x5f || c == 0x2d))
            if !ok { return false }
        }
        return true
    }
}

/// Pseudonymous sensor ids: HMAC-SHA256(per-town secret salt, "townbench.sensor.v1\0" + vendor
/// kind + "\0" + vendor sensor id), first 16 bytes, lowercase hex.
///
/// Why: the coordinator must match a town's sensor across periods (like-for-like sets) without
/// learning the vendor's device id; with a secret salt it cannot even test a guessed id. The salt
/// stays on the node; changing it makes every sensor look new (a deliberate level break).
public enum SensorPseudonym {
    /// The pseudonym of `vendorSensorID` of `vendorKind` under `salt` (≥ 16 bytes, from ``newSalt()``).
    public static func make(salt: [UInt8], vendorKind: String, vendorSensorID: String) throws(FederationError) -> String
    {
        guard salt.count >= 16 else {
            throw FederationError(
                code: .invalidArgument,
                message:
                    "The sensor pseudonym salt must be at least 16 bytes; create one with SensorPseudonym.newSalt().")
        }
        var message = Array("townbench.sensor.v1\u{0}".utf8)
        message.append(contentsOf: vendorKind.utf8)
        message.append(0)
        message.append(contentsOf: vendorSensorID.utf8)
        return Hex.encode(try HMACSHA256.authenticationCode(for: message, key: salt).prefix(16))
    }

    /// A fresh 32-byte salt for a town (store it with the node's key, never send it).
    public static func newSalt() throws(FederationError) -> [UInt8] { try SecureRandom.bytes(count: 32) }

    /// Whether `id` has the shape of a pseudonym (32 lowercase hex characters).
    public static func isValid(_ id: String) -> Bool { id.utf8.count == 32 && Hex.decode(id) != nil }
}

/// A random 16-byte submission id, lowercase hex.
///
/// Why random rather than derived: the node picks it once when it queues a submission and keeps it
/// across retries, so a retry is recognised as the same submission (idempotency key).
public enum SubmissionID {
    public static func random() throws(FederationError) -> String { Hex.encode(try SecureRandom.bytes(count: 16)) }
}

/// RFC 3339 UTC timestamps with whole seconds (`2026-11-23T06:00:00Z`), the protocol's only spelling.
///
/// Why hand-parsed: one accepted spelling per instant, no formatter state to share between threads.
public enum Timestamp {
    /// The protocol spelling of `date` (fractions dropped).
    public static func format(_ date: Date) -> String {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let rest = seconds - days * 86400
        let (y, m, d) = CalendarDay.civil(fromDayNumber: days)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return
            "\(String(format: "%04d", y))-\(two(m))-\(two(d))T\(two(rest / 3600)):\(two(rest / 60 % 60)):\(two(rest % 60))Z"
    }

    /// The instant of a protocol timestamp; `nil` for any other spelling.
    public static func parse(_ text: String) -> Date? {
        let u = Array(text.utf8)
        guard u.count == 20, u[10] == UInt8(ascii: "T"), u[13] == UInt8(ascii: ":"), u[16] == UInt8(ascii: ":"),
            u[19] == UInt8(ascii: "Z"), let day = CalendarDay.dayNumber(String(decoding: u[0..<10], as: UTF8.self)),
            let h = CalendarDay.number(u[11..<13]), let mi = CalendarDay.number(u[14..<16]),
            let s = CalendarDay.number(u[17..<19]), h < 24, mi < 60, s < 60
        else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(day * 86400 + h * 3600 + mi * 60 + s))
    }
}

/// ISO `YYYY-MM-DD` days as day numbers (days since 1970-01-01), proleptic Gregorian.
///
/// Why: the wire carries plain ISO dates (the town's local days); validation and period
/// arithmetic need them as integers without a Calendar.
public enum CalendarDay {
    /// Days since 1970-01-01 of a valid `YYYY-MM-DD`; `nil` otherwise.
    public static func dayNumber(_ text: String) -> Int? {
        let u = Array(text.utf8)
        guard u.count == 10, u[4] == UInt8(ascii: "-"), u[7] == UInt8(ascii: "-"),
            let y = number(u[0..<4]), let m = number(u[5..<7]), let d = number(u[8..<10]),
            (1...12).contains(m), d >= 1, d <= daysInMonth(y, m)
        else { return nil }
        // Howard Hinnant's days_from_civil. The era is a floor division: January and February of
        // year 0 belong to year -1's era (the `dates` fuzz target checks this agrees with DayNumber).
        let yy = m <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let mp = (m + 9) % 12
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// `YYYY-MM-DD` of a day number.
    public static func string(fromDayNumber n: Int) -> String {
        let (y, m, d) = civil(fromDayNumber: n)
        return String(format: "%04d-%02d-%02d", y, m, d)
    }

    static func civil(fromDayNumber n: Int) -> (Int, Int, Int) {
        let z = n + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    static func daysInMonth(_ y: Int, _ m: Int) -> Int {
        switch m {
        case 2: return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static func number(_ bytes: ArraySlice<UInt8>) -> Int? {
        var v = 0
        for c in bytes {
            guard c >= 0x30, c <= 0x39 else { return nil }
            v = v * 10 + Int(c - 0x30)
        }
        return bytes.isEmpty ? nil : v
    }
}
