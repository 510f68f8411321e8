import Foundation
public import Indicators

// The network figures and the signed network report: what the coordinator computes and signs,
// and what a node verifies, keeps and renders. One definition for both sides of the wire.

/// A period of local days, inclusive (`from`, `to` as `YYYY-MM-DD` on the wire).
///
/// Why: every route and report names the days it covers in the towns' own calendar, never instants.
/// It holds day numbers, so its range can never be malformed; a period from outside is built with
/// ``init(from:to:)``, which checks it.
public struct DayPeriod: Sendable, Hashable, Codable {
    /// The longest period a question may name: 1096 days (three years and a leap day). Why: a
    /// report loads the period, the previous period of the same length and a year of look-back,
    /// so the cost grows with the span.
    public static let maximumDays = 1096

    public let range: ClosedRange<DayNumber>
    public var from: String { range.lowerBound.description }
    public var to: String { range.upperBound.description }

    /// A period computed from other days (no check: callers derive it from a checked period).
    public init(_ range: ClosedRange<DayNumber>) {
        self.range = range
    }

    /// A period from outside (query parameters, options, stored rows, a decoded report): both days
    /// `YYYY-MM-DD` inside ``DayNumber/supportedRange``, `from` ≤ `to`, at most ``maximumDays``.
    /// Throws `invalid_argument` with a sentence that says what to send instead.
    public init(from: String, to: String) throws(FederationError) {
        func day(_ text: String, _ name: String) throws(FederationError) -> DayNumber {
            do { return try DayNumber(supported: text) } catch {
                throw FederationError(
                    code: .invalidArgument,
                    message: "\(name) '\(text)' is not a supported day: write YYYY-MM-DD in the range \(DayNumber.supportedRangeText).")
            }
        }
        let first = try day(from, "from"), last = try day(to, "to")
        guard first <= last else {
            throw FederationError(code: .invalidArgument, message: "from \(from) is after to \(to); give from ≤ to.")
        }
        guard last.rawValue - first.rawValue < Self.maximumDays else {
            throw FederationError(
                code: .invalidArgument,
                message: "\(from)…\(to) spans more than \(Self.maximumDays) days (3 years); ask for a shorter period.")
        }
        range = first...last
    }

    /// A period this program stored itself (e.g. a published report's key): valid ISO days with
    /// `from` ≤ `to`, without the range and span rules, so a report kept from an older version
    /// can still be listed and recomputed.
    public init(storedFrom from: String, to: String) throws(FederationError) {
        guard let first = try? DayNumber(iso: from), let last = try? DayNumber(iso: to), first <= last else {
            throw FederationError(code: .invalidEncoding, message: "The stored period \(from)…\(to) is not two ISO days with from ≤ to; the store is damaged.")
        }
        range = first...last
    }

    enum CodingKeys: String, CodingKey { case from, to }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let from = try container.decode(String.self, forKey: .from), to = try container.decode(String.self, forKey: .to)
        do { try self.init(from: from, to: to) } catch {
            throw DecodingError.dataCorruptedError(forKey: .from, in: container, debugDescription: error.message)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(from, forKey: .from)
        try container.encode(to, forKey: .to)
    }
}

/// The network figures of one tenant for one period: each town's indicators and the network's.
///
/// Why one value: the indicators route, the comparison route and the signed report all show
/// (views of) the same computation, so they cannot disagree.
public struct NetworkFigures: Sendable, Codable, Equatable {
    /// The network's footfall figures; why: towns compare against a robust centre (median) and the
    /// province reads the pooled trend, each shown only when the publishing rules allow.
    public struct Footfall: Sendable, Codable, Equatable {
        /// Median of the towns' indices; nil (suppressed) with fewer than 3 towns.
        public var medianIndex: Double?
        /// 100 × Σ current ÷ Σ baseline over all towns' pairs; nil when suppressed.
        public var pooledIndex: Double?
        /// Towns with an index.
        public var towns: Int
        /// `publish`, `too_few_contributors` or `dominated` (PublishingRule on the towns' current sums).
        public var pooledPublication: String

        public init(medianIndex: Double? = nil, pooledIndex: Double? = nil, towns: Int, pooledPublication: String) {
            self.medianIndex = medianIndex
            self.pooledIndex = pooledIndex
            self.towns = towns
            self.pooledPublication = pooledPublication
        }
    }

    /// One event's uplift in one zone; why: towns evaluate events against their own baseline and,
    /// peer-adjusted, against what moved the whole network that day.
    public struct Event: Sendable, Codable, Equatable {
        public var eventId: String
        public var kind: String
        public var zoneId: String
        public var days: [String]
        public var uplift: Double?
        public var low: Double?
        public var high: Double?
        public var ratio: Double?
        /// Town ratio ÷ median ratio of peers without an event those days − 1 (≥ 3 peers).
        public var peerAdjusted: Double?
        public var peers: Int
        /// event-uplift v2 (seasonal expected value, calibrated intervals); `nil` in figures computed
        /// as v1 (``NetworkFigures/indicators`` says which), so old published reports recompute.
        public var v2: EventV2?

        public init(eventId: String, kind: String, zoneId: String, days: [String], uplift: Double? = nil, low: Double? = nil, high: Double? = nil, ratio: Double? = nil, peerAdjusted: Double? = nil, peers: Int, v2: EventV2? = nil) {
            self.eventId = eventId
            self.kind = kind
            self.zoneId = zoneId
            self.days = days
            self.uplift = uplift
            self.low = low
            self.high = high
            self.ratio = ratio
            self.peerAdjusted = peerAdjusted
            self.peers = peers
            self.v2 = v2
        }
    }

    /// An event's event-uplift v2 figures at the coordinator, over the event's whole days (catalogue
    /// `Indicators/event-uplift-v2.md`, "Peer-adjusted form"). Why two figures: the town's own uplift
    /// is what its node shows; the peer-adjusted one also removes what moved every town that day
    /// (weather, a bridge day), so its interval is usually narrower. Each interval is calibrated on
    /// the zone's own ordinary days of the 52 weeks before, at ``level``.
    public struct EventV2: Sendable, Codable, Equatable {
        /// The intervals' level (0.5–0.99; 0.9 unless asked otherwise).
        public var level: Double
        /// The town's own v2: observed ÷ seasonal expected value − 1.
        public var uplift: Double?
        public var low: Double?
        public var high: Double?
        /// Ordinary days of the event's day class (weekday, Saturday, Sunday) that calibrated `low`/`high`.
        public var calibrationDays: Int
        /// The smallest uplift of the town's own form that would exclude 0 on 80 % of those days.
        public var minimumDetectableUplift: Double?
        /// Why `uplift` or its interval is missing.
        public var reason: String?
        /// The town's ratio (observed ÷ expected) ÷ the median ratio of the peer towns without an
        /// event, campaign or works those days − 1 (≥ 3 peers).
        public var peerAdjusted: Double?
        public var peerAdjustedLow: Double?
        public var peerAdjustedHigh: Double?
        /// Peer towns whose ratio entered the event's median.
        public var peers: Int
        /// Ordinary days that calibrated `peerAdjustedLow`/`peerAdjustedHigh`.
        public var peerCalibrationDays: Int
        /// The smallest peer-adjusted uplift that would exclude 0 on 80 % of those days.
        public var peerMinimumDetectableUplift: Double?
        /// Why `peerAdjusted` or its interval is missing.
        public var peerReason: String?

        public init(level: Double, uplift: Double? = nil, low: Double? = nil, high: Double? = nil, calibrationDays: Int = 0,
                    minimumDetectableUplift: Double? = nil, reason: String? = nil, peerAdjusted: Double? = nil,
                    peerAdjustedLow: Double? = nil, peerAdjustedHigh: Double? = nil, peers: Int = 0, peerCalibrationDays: Int = 0,
                    peerMinimumDetectableUplift: Double? = nil, peerReason: String? = nil) {
            self.level = level
            self.uplift = uplift
            self.low = low
            self.high = high
            self.calibrationDays = calibrationDays
            self.minimumDetectableUplift = minimumDetectableUplift
            self.reason = reason
            self.peerAdjusted = peerAdjusted
            self.peerAdjustedLow = peerAdjustedLow
            self.peerAdjustedHigh = peerAdjustedHigh
            self.peers = peers
            self.peerCalibrationDays = peerCalibrationDays
            self.peerMinimumDetectableUplift = peerMinimumDetectableUplift
            self.peerReason = peerReason
        }
    }

    /// One zone's conversion rate; why: shops and towns compare passers-by → entries per zone.
    public struct ZoneConversion: Sendable, Codable, Equatable {
        public var zoneId: String
        public var zoneKind: String
        public var value: Double?
        public var contributingPairs: Int
        public var publishableAcrossTowns: Bool

        public init(zoneId: String, zoneKind: String, value: Double? = nil, contributingPairs: Int, publishableAcrossTowns: Bool) {
            self.zoneId = zoneId
            self.zoneKind = zoneKind
            self.value = value
            self.contributingPairs = contributingPairs
            self.publishableAcrossTowns = publishableAcrossTowns
        }
    }

    /// One town's figures; why: the unit a town reads about itself and (reduced) about its peers.
    public struct TownFigures: Sendable, Codable, Equatable {
        /// The town id, or `peer-N` when the tenant anonymises peers for this viewer.
        public var town: String
        public var footfall: FootfallIndex.Result?
        public var footfallIndex: Double?
        /// 1 = highest index; nil with fewer than 3 towns.
        public var rank: Int?
        /// Share of other towns with a lower index, 0…100; nil with fewer than 3 towns.
        public var percentile: Double?
        public var events: [Event]?
        public var conversion: [ZoneConversion]?
        /// The town's own day shape per zone kind (issue 20); nil for a peer and without hourly data.
        public var dayShape: [ZoneKindShape]?
        /// The town's own parking, visitor origin and dwell time per zone kind (issue 19); nil for a
        /// peer and when the town sends none of them.
        public var lots: [ZoneKindLots]? = nil

        public init(town: String, footfall: FootfallIndex.Result? = nil, footfallIndex: Double? = nil, rank: Int? = nil, percentile: Double? = nil, events: [Event]? = nil, conversion: [ZoneConversion]? = nil, dayShape: [ZoneKindShape]? = nil) {
            self.dayShape = dayShape
            self.town = town
            self.footfall = footfall
            self.footfallIndex = footfallIndex
            self.rank = rank
            self.percentile = percentile
            self.events = events
            self.conversion = conversion
        }
    }

    /// The network's conversion benchmark for one kind of zone; why: like places compare with like.
    public struct ZoneKindConversion: Sendable, Codable, Equatable {
        public var zoneKind: String
        public var towns: Int
        /// Median of the towns' pooled rates for this zone kind; nil with fewer than 3 towns.
        public var median: Double?

        public init(zoneKind: String, towns: Int, median: Double? = nil) {
            self.zoneKind = zoneKind
            self.towns = towns
            self.median = median
        }
    }

    public var tenantId: String
    public var period: DayPeriod
    /// Catalogue ids and versions used.
    public var indicators: [String: Int]
    public var minimumTowns: Int
    public var footfall: Footfall
    public var towns: [TownFigures]
    public var conversionByZoneKind: [ZoneKindConversion]
    /// The log state these figures were computed from (PROTOCOL.md §8.2): its leaves, after
    /// supersession, are exactly the input. Nil only for figures computed from hand-made rows.
    public var checkpoint: TransparencyLog.CheckpointReference?
    /// The peers' day profile per zone kind and day type (issue 20); nil without hourly data.
    public var dayShapeBands: [DayShapeBand]?
    /// The peers' Saturday and Sunday against weekdays per zone kind; nil without hourly data.
    public var dayShapeRatios: [DayShapeRatios]?
    /// The peers' distribution of each lot figure per zone kind (issue 19); nil when no town sends lots.
    public var lotBands: [LotBand]? = nil

    public init(tenantId: String, period: DayPeriod, indicators: [String: Int], minimumTowns: Int, footfall: Footfall, towns: [TownFigures], conversionByZoneKind: [ZoneKindConversion], checkpoint: TransparencyLog.CheckpointReference? = nil, dayShapeBands: [DayShapeBand]? = nil, dayShapeRatios: [DayShapeRatios]? = nil) {
        self.dayShapeBands = dayShapeBands
        self.dayShapeRatios = dayShapeRatios
        self.tenantId = tenantId
        self.period = period
        self.indicators = indicators
        self.minimumTowns = minimumTowns
        self.footfall = footfall
        self.towns = towns
        self.conversionByZoneKind = conversionByZoneKind
        self.checkpoint = checkpoint
    }
}

/// The network report a node fetches, signed by the coordinator as a DSSE envelope.
///
/// Why: a town keeps what the coordinator told it, with proof of origin, and can render it
/// offline; the payload is RFC 8785 canonical JSON of this value (DSSE payload type
/// ``payloadType``), `figures` as the requesting principal may see them.
/// A node compares `figures.towns[its own].footfall` (a `FootfallIndex.Result`) with its own.
public struct NetworkReport: Sendable, Codable, Equatable {
    /// The DSSE payload type of a signed report.
    public static let payloadType = "application/vnd.townbench.report.v1+json"

    public var reportVersion: Int
    public var tenantId: String
    public var period: DayPeriod
    public var generatedAt: String
    /// Who the report was cut for: role and town (a town sees anonymised peers per policy).
    public var audience: [String: String]
    public var figures: NetworkFigures

    public init(reportVersion: Int, tenantId: String, period: DayPeriod, generatedAt: String, audience: [String: String], figures: NetworkFigures) {
        self.reportVersion = reportVersion
        self.tenantId = tenantId
        self.period = period
        self.generatedAt = generatedAt
        self.audience = audience
        self.figures = figures
    }
}
