// The plain input model of the reports: value types the coordinator (and the node, offline)
// fill from their computed figures. Nothing here computes an indicator; it only carries them.
public import Foundation
public import Indicators

/// The days a report covers and how to name them.
///
/// Why: every figure on a page belongs to one period; the label ("2026-W47", "November 2026")
/// is what people say, the days are what the figures were computed over.
public struct ReportPeriod: Codable, Sendable, Hashable {
    /// First day of the period (a calendar day in the towns' zone).
    public var start: DayNumber
    /// Last day of the period, inclusive.
    public var end: DayNumber
    /// A short human name; when empty the pages show the two dates.
    public var label: String

    public init(start: DayNumber, end: DayNumber, label: String = "") {
        self.start = start
        self.end = end
        self.label = label
    }
}

/// One point of a daily series; `value == nil` means *missing*, drawn as a gap, never as zero.
///
/// Why: the users of public counting dashboards complain most about gaps drawn as zero.
public struct SeriesPoint: Codable, Sendable, Hashable {
    public var day: DayNumber
    /// The footfall index (100 = the same days a year earlier), or `nil` when there is none.
    public var value: Double?

    public init(day: DayNumber, value: Double?) {
        self.day = day
        self.value = value
    }
}

/// A figure with its interval, both as fractions (0.25 = +25 %).
///
/// Why: an event uplift without its interval invites over-reading; the pages always show both.
public struct Estimate: Codable, Sendable, Hashable {
    public var value: Double
    /// Lower end of the interval (event-uplift: against the busiest baseline day).
    public var low: Double?
    /// Upper end of the interval (event-uplift: against the quietest baseline day).
    public var high: Double?

    public init(value: Double, low: Double? = nil, high: Double? = nil) {
        self.value = value
        self.low = low
        self.high = high
    }
}

/// Whether a town's data can be trusted for the period.
///
/// Why: silent staleness is the second most common complaint about counting dashboards; the
/// pages name missing and stale towns instead of leaving them out.
public enum CoverageStatus: String, Codable, Sendable, CaseIterable {
    /// At least 90 % of the expected sensor-days arrived.
    case complete
    /// Some sensor-days are missing (outages, a moved sensor).
    case partial
    /// The town's latest data is older than the coordinator's staleness limit.
    case stale
    /// Nothing arrived for the period.
    case missing
}

/// Data coverage of one town for the period.
///
/// Why: a gap is not a zero, so every published number carries a completeness figure beside it.
public struct TownCoverage: Codable, Sendable, Hashable {
    public var townID: String
    public var townName: String
    public var status: CoverageStatus
    /// Share of expected sensor-days that were valid (0–1), `nil` when unknown.
    public var completeness: Double?
    /// The last day with data from the town, `nil` when none.
    public var lastDay: DayNumber?
    /// Sensors with at least one valid day in the period.
    public var activeSensors: Int
    /// Sensors the town has registered.
    public var sensors: Int

    public init(
        townID: String, townName: String, status: CoverageStatus, completeness: Double?,
        lastDay: DayNumber?, activeSensors: Int, sensors: Int
    ) {
        self.townID = townID
        self.townName = townName
        self.status = status
        self.completeness = completeness
        self.lastDay = lastDay
        self.activeSensors = activeSensors
        self.sensors = sensors
    }
}

/// One town's line in the region table and its small-multiple chart.
///
/// Why: the regional coordinator's first question is "how is each town doing, on one scale?".
public struct TownFootfall: Codable, Sendable, Hashable {
    public var townID: String
    /// Display name; when the tenant anonymises peers this is e.g. "Peer 2".
    public var name: String
    /// Daily footfall index over the chart window (gaps as `nil`).
    public var series: [SeriesPoint]
    /// footfall-index over the report period (100 = same days a year earlier).
    public var index: Double?
    /// Change against the previous period, in index points.
    public var change: Double?
    /// 1 = highest index of the network this period.
    public var rank: Int?

    public init(townID: String, name: String, series: [SeriesPoint], index: Double?, change: Double?, rank: Int?) {
        self.townID = townID
        self.name = name
        self.series = series
        self.index = index
        self.change = change
        self.rank = rank
    }
}

/// The network's own footfall figure.
///
/// Why: a town's index means little without the network's beside it; below the tenant's minimum
/// number of contributing towns the figure is withheld and the page says why.
public struct NetworkFootfall: Codable, Sendable, Hashable {
    /// Median of the towns' indices; `nil` when withheld.
    public var index: Double?
    /// Pooled index (Σ current ÷ Σ baseline over all towns), `nil` when withheld.
    public var pooledIndex: Double?
    /// Change of the median against the previous period, in index points.
    public var change: Double?
    /// Daily network index over the chart window.
    public var series: [SeriesPoint]
    /// Towns that contributed a value.
    public var contributingTowns: Int
    /// Why the figure is withheld (e.g. "fewer than 3 towns"), `nil` when shown.
    public var withheldReason: String?

    public init(
        index: Double?, pooledIndex: Double? = nil, change: Double? = nil, series: [SeriesPoint] = [],
        contributingTowns: Int, withheldReason: String? = nil
    ) {
        self.index = index
        self.pooledIndex = pooledIndex
        self.change = change
        self.series = series
        self.contributingTowns = contributingTowns
        self.withheldReason = withheldReason
    }
}

/// The uplift of one event: raw (against the town's own ordinary days) and peer-adjusted
/// (divided by the peers' ratio on the same days).
///
/// Why: towns evaluate events and markets; the peer-adjusted form removes weather and season.
public struct EventUpliftRow: Codable, Sendable, Hashable {
    public var townID: String
    public var townName: String
    public var eventName: String
    /// `market`, `event`, `campaign`, `works` or `other` (see `EventKind`).
    public var kind: String
    public var zone: String
    public var days: [DayNumber]
    /// Raw uplift with its interval, `nil` when not computable.
    public var raw: Estimate?
    /// Peer-adjusted uplift (fraction), `nil` when fewer than 3 peers had a value.
    public var peerAdjusted: Estimate?
    /// Peers used for the adjustment.
    public var peers: Int
    /// Why a figure is missing, if it is.
    public var note: String?
    /// The event days' and baseline days' weather, when the town imported weather.
    public var weather: EventWeatherFigures? = nil
    /// The interval's level and the zone's calibration (placebo test), when computed on the node.
    public var calibration: EventCalibrationFigures? = nil
    /// event-uplift v2 (issue 18): the town's own and the peer-adjusted uplift with their calibrated
    /// intervals at a stated level; `nil` in figures computed as v1 (old reports), which the pages show as before.
    public var v2: EventUpliftV2Figures? = nil

    public init(
        townID: String, townName: String, eventName: String, kind: String, zone: String, days: [DayNumber],
        raw: Estimate?, peerAdjusted: Estimate?, peers: Int, note: String? = nil
    ) {
        self.townID = townID
        self.townName = townName
        self.eventName = eventName
        self.kind = kind
        self.zone = zone
        self.days = days
        self.raw = raw
        self.peerAdjusted = peerAdjusted
        self.peers = peers
        self.note = note
    }
}

/// The network's conversion benchmark for one zone kind (entries ÷ passers-by).
///
/// Why: a shop's conversion only means something against zones of the same kind.
public struct ConversionBenchmark: Codable, Sendable, Hashable {
    /// e.g. `core`, `high-street`, `market-square`.
    public var zoneKind: String
    /// Towns contributing a publishable zone figure.
    public var towns: Int
    /// Median of the towns' zone figures (fraction), `nil` when withheld.
    public var median: Double?
    /// Lower and upper quartile, when at least 4 towns contribute.
    public var lowerQuartile: Double?
    public var upperQuartile: Double?

    public init(
        zoneKind: String, towns: Int, median: Double?, lowerQuartile: Double? = nil, upperQuartile: Double? = nil
    ) {
        self.zoneKind = zoneKind
        self.towns = towns
        self.median = median
        self.lowerQuartile = lowerQuartile
        self.upperQuartile = upperQuartile
    }
}

/// Which definition produced a figure.
///
/// Why: figures cross software versions; each page names the catalogue id and version.
public struct MethodologyEntry: Codable, Sendable, Hashable {
    /// Catalogue id, e.g. `footfall-index`.
    public var indicator: String
    public var version: Int
    /// One sentence on what was used (lag, baseline rule).
    public var note: String

    public init(indicator: String, version: Int, note: String = "") {
        self.indicator = indicator
        self.version = version
        self.note = note
    }

    /// The implemented catalogue entries with their standard notes.
    public static var catalogue: [MethodologyEntry] {
        IndicatorCatalog.all.map { entry in
            let note: String
            switch entry.id {
            case "footfall-index": note = "Like-for-like sensors, same weekday 364 days earlier = 100."
            case "event-uplift" where entry.version >= 2:
                note = "Clean same weekdays scaled by the same weeks a year earlier (peer-adjusted at the coordinator by towns without an event); at level 90 % (unless stated) an ordinary day's interval excludes 0 on at most 1 day in 10, calibrated on the zone's own ordinary days of the 52 weeks before."
            case "event-uplift":
                note = "Median of up to 8 clean same weekdays in the 12 weeks before; interval = quietest to busiest."
            case "conversion-rate":
                note = "Store entries ÷ passers-by of the paired street counter, valid days of both."
            case "hourly-profile":
                note = "Share of the day's footfall per hour, by day type; holidays count as Sundays."
            case "day-shape":
                note = "Hourly shares per zone kind and day type against the peers' median and quartiles (≥ 3 towns, no dominance); share while most shops are closed, lunch, evening, weekend against weekdays."
            case "percent-of-normal":
                note = "Each hour against the median of the same weekday and hour over the last 8 clean weeks."
            case "parking-occupancy":
                note = "Occupied ÷ capacity per hour (sites pooled); daily mean, peak, hours at or above 85 %."
            case "visitor-origin":
                note = "Local share (own municipality) and hinterland share (neighbouring) of visitors; small cells suppressed."
            case "dwell-time":
                note = "Median stay from the vendor's dwell-time histogram, linear within the median's bin."
            default: note = ""
            }
            return MethodologyEntry(indicator: entry.id, version: entry.version, note: note)
        }
    }
}

/// Who produced the report and whether its signature was checked.
///
/// Why: a node renders the coordinator's report offline; the reader must see whether the
/// figures came from a verified, coordinator-signed report.
public struct ReportProvenance: Codable, Sendable, Hashable {
    /// e.g. "TownBench coordinator".
    public var producer: String
    /// When the figures were computed (an instant; shown in Europe/Brussels).
    public var generatedAt: Date
    /// e.g. "Signed by coordinator key 3f2a…; signature verified.", `nil` when unsigned.
    public var signature: String?

    public init(producer: String, generatedAt: Date, signature: String? = nil) {
        self.producer = producer
        self.generatedAt = generatedAt
        self.signature = signature
    }
}

/// Everything the region report shows, for one tenant and period.
///
/// Why: the regional coordinator's page. The coordinator maps its `NetworkFigures` into this;
/// the renderer never computes an indicator.
public struct RegionReport: Codable, Sendable, Hashable {
    public var tenantID: String
    /// e.g. "DAKS West Flanders".
    public var tenantName: String
    public var period: ReportPeriod
    public var provenance: ReportProvenance
    public var network: NetworkFootfall
    /// One per town of the tenant, in display order (the table sorts by rank itself).
    public var towns: [TownFootfall]
    public var events: [EventUpliftRow]
    public var conversion: [ConversionBenchmark]
    public var coverage: [TownCoverage]
    public var methodology: [MethodologyEntry]
    /// Free sentences shown at the foot (suppression notes, caveats).
    public var notes: [String]
    /// The spread of the towns' indices (the median is the network's); `nil` draws no band.
    public var spread: IndexSpread?
    /// The tenant's peer groups, by name (issue 17).
    public var groups: [PeerGroupSummary]
    /// Parking, visitor origin and dwell time per figure (issue 19); nil when no town sends them.
    public var lots: [LotSummary]? = nil

    public init(
        tenantID: String, tenantName: String, period: ReportPeriod, provenance: ReportProvenance,
        network: NetworkFootfall, towns: [TownFootfall], events: [EventUpliftRow] = [],
        conversion: [ConversionBenchmark] = [], coverage: [TownCoverage] = [],
        methodology: [MethodologyEntry] = MethodologyEntry.catalogue, notes: [String] = [],
        spread: IndexSpread? = nil, groups: [PeerGroupSummary] = []
    ) {
        self.spread = spread
        self.groups = groups
        self.tenantID = tenantID
        self.tenantName = tenantName
        self.period = period
        self.provenance = provenance
        self.network = network
        self.towns = towns
        self.events = events
        self.conversion = conversion
        self.coverage = coverage
        self.methodology = methodology
        self.notes = notes
    }
}

/// A town's hourly profile beside its peers' for one day type.
///
/// Why: shops ask when to open; the opening-hours and lunchtime shares answer it in one number.
public struct HourlyComparison: Codable, Sendable, Hashable {
    /// A `DayType` raw value: `weekday`, `saturday` or `sunday-or-holiday`.
    public var dayType: String
    /// 24 shares (0–1) of the town's day per hour, `nil` for hours without data.
    public var town: [Double?]
    /// 24 shares of the peers' (median) day per hour.
    public var peers: [Double?]
    /// The shops' usual opening hours for this day type, e.g. 9..<18, `nil` when closed.
    public var openingHours: Range<Int>?
    public var townOpeningHoursShare: Double?
    public var peersOpeningHoursShare: Double?
    /// Share of the day's footfall between 12:00 and 14:00.
    public var townLunchtimeShare: Double?
    public var peersLunchtimeShare: Double?
    // MARK: Day shape (issue 20; optional so older report JSON still decodes)
    /// The peers' lower and upper quartiles per hour (the band around `peers`), when published.
    public var peersLowerQuartile: [Double?]?
    public var peersUpperQuartile: [Double?]?
    /// Share while most shops are closed, and from 18:00 (`day-shape`).
    public var townClosedShare: Double?
    public var peersClosedShare: Double?
    public var townEveningShare: Double?
    public var peersEveningShare: Double?
    /// Peer towns in the band; why the band is withheld (`too_few_contributors`, `dominated`).
    public var peerTowns: Int?
    public var peersWithheld: String?

    public init(
        dayType: String, town: [Double?], peers: [Double?], openingHours: Range<Int>?,
        townOpeningHoursShare: Double?, peersOpeningHoursShare: Double?,
        townLunchtimeShare: Double?, peersLunchtimeShare: Double?
    ) {
        self.dayType = dayType
        self.town = town
        self.peers = peers
        self.openingHours = openingHours
        self.townOpeningHoursShare = townOpeningHoursShare
        self.peersOpeningHoursShare = peersOpeningHoursShare
        self.townLunchtimeShare = townLunchtimeShare
        self.peersLunchtimeShare = peersLunchtimeShare
    }
}

/// A town zone's conversion against the network benchmark of its zone kind.
///
/// Why: "give shops their passers-by → entries conversion" in context.
public struct ConversionComparison: Codable, Sendable, Hashable {
    public var zone: String
    public var zoneKind: String
    /// The town's zone figure (fraction), `nil` when no pair contributed.
    public var town: Double?
    /// Store/street pairs behind the town's figure.
    public var pairs: Int
    /// The network benchmark for the zone kind, `nil` when withheld.
    public var benchmark: ConversionBenchmark?

    public init(zone: String, zoneKind: String, town: Double?, pairs: Int, benchmark: ConversionBenchmark?) {
        self.zone = zone
        self.zoneKind = zoneKind
        self.town = town
        self.pairs = pairs
        self.benchmark = benchmark
    }
}

/// Everything the town-against-peers page shows.
///
/// Why: the town's retail officer's page; the node renders it offline from the latest verified
/// coordinator report and its own data, the coordinator serves it to a logged-in town.
public struct TownReport: Codable, Sendable, Hashable {
    public var tenantID: String
    public var tenantName: String
    public var townID: String
    public var townName: String
    public var period: ReportPeriod
    public var provenance: ReportProvenance
    /// The town's own figure and daily series.
    public var footfall: TownFootfall
    /// Towns ranked (the denominator of `footfall.rank`).
    public var rankedTowns: Int
    public var network: NetworkFootfall
    public var events: [EventUpliftRow]
    public var hourly: [HourlyComparison]
    public var conversion: [ConversionComparison]
    public var coverage: TownCoverage
    public var methodology: [MethodologyEntry]
    public var notes: [String]
    /// The network's spread of indices; `nil` draws no comparison chart.
    public var networkSpread: IndexSpread?
    /// The town's own peer groups (issue 17), by name.
    public var groups: [PeerGroupComparison]
    // MARK: Day shape (issue 20; optional so older report JSON still decodes)
    /// Large gaps to the peers, largest first (`DayShape.findings`), shown as sentences.
    public var findings: [DayShape.Finding]?
    /// The zone kind the hourly profiles and findings are for.
    public var dayShapeZoneKind: String?
    /// Each day of the period, hour by hour against normal (`percent-of-normal`).
    public var percentOfNormal: [PercentOfNormal.Day]?
    /// The town's parking, visitor origin and dwell time against its peers (issue 19); nil without.
    public var lots: [LotSummary]? = nil

    public init(
        tenantID: String, tenantName: String, townID: String, townName: String, period: ReportPeriod,
        provenance: ReportProvenance, footfall: TownFootfall, rankedTowns: Int, network: NetworkFootfall,
        events: [EventUpliftRow] = [], hourly: [HourlyComparison] = [], conversion: [ConversionComparison] = [],
        coverage: TownCoverage, methodology: [MethodologyEntry] = MethodologyEntry.catalogue,
        notes: [String] = [], networkSpread: IndexSpread? = nil, groups: [PeerGroupComparison] = []
    ) {
        self.networkSpread = networkSpread
        self.groups = groups
        self.tenantID = tenantID
        self.tenantName = tenantName
        self.townID = townID
        self.townName = townName
        self.period = period
        self.provenance = provenance
        self.footfall = footfall
        self.rankedTowns = rankedTowns
        self.network = network
        self.events = events
        self.hourly = hourly
        self.conversion = conversion
        self.coverage = coverage
        self.methodology = methodology
        self.notes = notes
    }
}
