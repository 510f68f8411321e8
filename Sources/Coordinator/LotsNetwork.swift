// Parking, visitor origin and dwell time across towns (issue 19): the lot members of each zone day
// the coordinator extracts from a payload, and the network figures computed from them with the
// catalogue's formulas (`ParkingOccupancy`, `VisitorOrigin`, `DwellTime`).
public import Federation
import Foundation
import Indicators

/// One zone day's lots as the payload carried them (PROTOCOL.md §4.5).
///
/// Why kept whole and not as figures: the period's figures pool hours and days (Σ occupied ÷
/// Σ capacity, summed origin cells and dwell bins), which needs the day's members, not its rates.
public struct ZoneLotRow: Sendable, Hashable {
    public var townID: String
    public var zoneID: String
    public var zoneKind: String
    public var day: Int
    public var parking: [AggregatePayload.ParkingDay]?
    public var visitorOrigin: AggregatePayload.OriginDay?
    public var dwell: [AggregatePayload.DwellBin]?

    public init(townID: String, zoneID: String, zoneKind: String, day: Int, parking: [AggregatePayload.ParkingDay]?,
                visitorOrigin: AggregatePayload.OriginDay?, dwell: [AggregatePayload.DwellBin]?) {
        self.townID = townID
        self.zoneID = zoneID
        self.zoneKind = zoneKind
        self.day = day
        self.parking = parking
        self.visitorOrigin = visitorOrigin
        self.dwell = dwell
    }
}

extension PayloadRows {
    /// The lot rows of a payload: each zone day with at least one lot member. The zone day's
    /// cell (measure `""`) supersedes, so a later submission without lots removes the day's lots.
    static func zoneLots(_ payload: AggregatePayload) -> [ZoneLotRow] {
        var out: [ZoneLotRow] = []
        for zone in payload.zones {
            for day in zone.days where day.parking != nil || day.visitorOrigin != nil || day.dwell != nil {
                guard let dayNumber = try? DayNumber(iso: day.date) else { continue }  // validated by the check
                out.append(ZoneLotRow(townID: payload.townId, zoneID: zone.zoneId, zoneKind: zone.zoneKind, day: dayNumber.rawValue,
                                      parking: day.parking, visitorOrigin: day.visitorOrigin, dwell: day.dwell))
            }
        }
        return out
    }
}

/// How both stores keep a zone day's lots: JSON text with the payload's member names, so a row
/// reads the same in SQLite and PostgreSQL (whose backfill copies the members from the envelope).
enum ZoneLotStorage {
    struct Members: Codable {
        var parking: [AggregatePayload.ParkingDay]?
        var visitorOrigin: AggregatePayload.OriginDay?
        var dwell: [AggregatePayload.DwellBin]?
    }

    static func text(_ row: ZoneLotRow) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(Members(parking: row.parking, visitorOrigin: row.visitorOrigin, dwell: row.dwell))) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func row(townID: String, zoneID: String, zoneKind: String, day: Int, text: String) throws -> ZoneLotRow {
        let members: Members
        do {
            members = try JSONDecoder().decode(Members.self, from: Data(text.utf8))
        } catch {
            throw CoordinatorError(.storage, "A stored zone_lots row (\(townID)/\(zoneID), day \(day)) does not parse (\(error)); the store is damaged.")
        }
        return ZoneLotRow(townID: townID, zoneID: zoneID, zoneKind: zoneKind, day: day, parking: members.parking,
                          visitorOrigin: members.visitorOrigin, dwell: members.dwell)
    }
}

/// The network's lot figures: each town's parking occupancy (per site kind), local and
/// hinterland share and median dwell time per zone kind, and per zone kind the peers' median and
/// quartiles of each under the cross-town rule.
///
/// Why per zone kind: a car park by the station and a shopping street's on-street bays differ;
/// like places compare with like (as the conversion benchmark and the day shape).
public enum LotsNetwork {
    /// The catalogue ids and versions of the lots.
    static let catalogue = [ParkingOccupancy.id: ParkingOccupancy.version, VisitorOrigin.id: VisitorOrigin.version,
                            DwellTime.id: DwellTime.version]

    struct TownKind: Hashable, Comparable {
        var town: String
        var kind: String
        static func < (a: Self, b: Self) -> Bool { (a.town, a.kind) < (b.town, b.kind) }
    }

    /// One town's figures per zone kind with the weights the dominance rule reads.
    struct Computed {
        var lots: NetworkFigures.ZoneKindLots
        /// Mean capacity per parking site kind, visitors with a known origin, visitors with a dwell time.
        var parkingWeight: [String: Double] = [:]
        var originWeight: Double = 0
        var dwellWeight: Double = 0
    }

    /// Each town's lots (keyed by town, sorted by zone kind), the bands, and the catalogue ids used.
    public static func compute(zoneLots: [ZoneLotRow], period: DayPeriod)
        -> (towns: [String: [NetworkFigures.ZoneKindLots]], bands: [NetworkFigures.LotBand], indicators: Set<String>) {
        let range = period.range
        let rows = zoneLots.filter { range.contains(DayNumber($0.day)) }
        var computed: [TownKind: Computed] = [:]
        var indicators = Set<String>()
        for (key, group) in Dictionary(grouping: rows, by: { TownKind(town: $0.townID, kind: $0.zoneKind) }) {
            var c = Computed(lots: NetworkFigures.ZoneKindLots(zoneKind: key.kind))
            // Parking: the zones' hourly sums pooled per site kind, day and hour (Σ occupied ÷ Σ capacity,
            // as the node pools its sites), added in row order so the store and the log replay agree
            // to the last bit; one observation per hour then.
            struct HourKey: Hashable { var kind: String; var day: Int; var hour: Int }
            var pooled: [HourKey: (occupied: Double, capacity: Double)] = [:]
            for row in group {
                for p in row.parking ?? [] where p.occupied.count == 24 && p.capacity.count == 24 {
                    for h in 0..<24 {
                        guard let o = p.occupied[h], let cap = p.capacity[h] else { continue }
                        let current = pooled[HourKey(kind: p.kind, day: row.day, hour: h)] ?? (0, 0)
                        pooled[HourKey(kind: p.kind, day: row.day, hour: h)] = (current.occupied + o, current.capacity + cap)
                    }
                }
            }
            var observations: [String: [ParkingOccupancy.Observation]] = [:]
            for (k, v) in pooled {
                observations[k.kind, default: []].append(.init(site: k.kind, day: DayNumber(k.day), hour: k.hour, occupied: v.occupied,
                                                               capacity: v.capacity))
            }
            var parking: [NetworkFigures.ParkingFigures] = []
            for (kind, list) in observations.sorted(by: { $0.key < $1.key }) {
                let r = ParkingOccupancy.compute(list)
                guard r.observedHours > 0 else { continue }
                let perDay = r.days.isEmpty ? nil : Double(r.saturatedHours) / Double(r.days.count)
                parking.append(.init(siteKind: kind, meanOccupancy: finite(r.meanRate), peakOccupancy: finite(r.peakRate),
                                     saturatedHoursPerDay: finite(perDay), observedHours: r.observedHours))
                c.parkingWeight[kind] = finite(r.hours.map(\.capacity).reduce(0, +) / Double(r.hours.count)) ?? 0
            }
            if !parking.isEmpty {
                c.lots.parking = parking
                indicators.insert(ParkingOccupancy.id)
            }
            // Origin: the days whose four cells are all known (a suppressed cell leaves its day out,
            // or the shares would be of an unknown total).
            var sums: [VisitorOrigin.OriginClass: Int64] = [:]
            var minimumCell: Int64 = 1
            var originDays = 0
            for row in group {
                guard let o = row.visitorOrigin, let own = o.ownMunicipality, let near = o.neighbouring, let province = o.restOfProvince,
                      let elsewhere = o.elsewhere else { continue }
                originDays += 1
                minimumCell = max(minimumCell, Int64(o.minimumCell))
                for (cls, n) in [(VisitorOrigin.OriginClass.ownMunicipality, own), (.neighbouring, near), (.restOfProvince, province),
                                 (.elsewhere, elsewhere)] {
                    // Each cell is at most 10⁸ (the intake's bound): a period's sum cannot overflow, but saturate anyway.
                    let (sum, overflow) = (sums[cls] ?? 0).addingReportingOverflow(Int64(n))
                    sums[cls] = overflow ? Int64.max : sum
                }
            }
            if originDays > 0 {
                let r = VisitorOrigin.compute(sums, minimumCell: minimumCell)
                c.lots.localShare = finite(r.localShare)
                c.lots.hinterlandShare = finite(r.hinterlandShare)
                c.originWeight = Double(r.total ?? 0)
                indicators.insert(VisitorOrigin.id)
            }
            // Dwell: the days' histograms summed bin by bin (bins that changed within the period give no median).
            struct BinKey: Hashable { var from: Int; var to: Int? }
            var bins: [BinKey: Double] = [:]
            for row in group { for b in row.dwell ?? [] { bins[BinKey(from: b.fromMinutes, to: b.toMinutes), default: 0] += Double(b.visitors) } }
            if !bins.isEmpty {
                let r = DwellTime.median(bins.map { DwellTime.Bin(fromMinutes: $0.key.from, toMinutes: $0.key.to, visitors: $0.value) })
                c.lots.medianDwellMinutes = finite(r.medianMinutes)
                c.lots.medianDwellAtLeast = r.medianAtLeast
                c.dwellWeight = r.visitors
                indicators.insert(DwellTime.id)
            }
            computed[key] = c
        }
        var towns: [String: [NetworkFigures.ZoneKindLots]] = [:]
        for key in computed.keys.sorted() {
            guard let c = computed[key] else { continue }
            towns[key.town, default: []].append(c.lots)
        }
        var bands: [NetworkFigures.LotBand] = []
        for kind in Set(computed.keys.map(\.kind)).sorted() {
            let members = computed.filter { $0.key.kind == kind }.sorted { $0.key < $1.key }.map(\.value)
            let siteKinds = Set(members.flatMap { ($0.lots.parking ?? []).map(\.siteKind) }).sorted()
            for site in siteKinds {
                let figures = members.compactMap { m in m.lots.parking?.first { $0.siteKind == site }.map { ($0, m.parkingWeight[site] ?? 0) } }
                for (figure, value) in [(NetworkFigures.LotFigure.parkingMeanOccupancy, \NetworkFigures.ParkingFigures.meanOccupancy),
                                        (.parkingPeakOccupancy, \.peakOccupancy), (.parkingSaturatedHours, \.saturatedHoursPerDay)] {
                    bands.append(band(kind, figure, site, figures.compactMap { f in f.0[keyPath: value].map { ($0, f.1) } }))
                }
            }
            let origin = members.filter { $0.lots.localShare != nil || $0.lots.hinterlandShare != nil }
            if !origin.isEmpty {
                bands.append(band(kind, .localShare, nil, origin.compactMap { m in m.lots.localShare.map { ($0, m.originWeight) } }))
                bands.append(band(kind, .hinterlandShare, nil, origin.compactMap { m in m.lots.hinterlandShare.map { ($0, m.originWeight) } }))
            }
            let dwell = members.compactMap { m in m.lots.medianDwellMinutes.map { ($0, m.dwellWeight) } }
            if !dwell.isEmpty { bands.append(band(kind, .medianDwellMinutes, nil, dwell)) }
        }
        return (towns, bands, indicators)
    }

    /// Median and quartiles (``IndicatorMath/quantile(_:_:)``) of the towns' values, only under the
    /// cross-town rule on their weights (``PublishingRule``).
    static func band(_ kind: String, _ figure: NetworkFigures.LotFigure, _ site: String?, _ values: [(value: Double, weight: Double)])
        -> NetworkFigures.LotBand {
        let usable = values.filter { $0.value.isFinite && $0.weight.isFinite && $0.weight >= 0 }
        let verdict = PublishingRule.verdict(contributions: usable.map(\.weight), minimumContributors: NetworkIndicators.minimumTowns)
        var band = NetworkFigures.LotBand(zoneKind: kind, figure: figure, siteKind: site, towns: usable.count, publication: verdict.rawValue)
        guard verdict == .publish else { return band }
        let sorted = usable.map(\.value).sorted()
        band.median = finite(IndicatorMath.quantile(sorted, 0.5))
        band.lowerQuartile = finite(IndicatorMath.quantile(sorted, 0.25))
        band.upperQuartile = finite(IndicatorMath.quantile(sorted, 0.75))
        return band
    }

    /// Adds the lots to `figures` (the towns' own values, the bands, the catalogue entries).
    static func add(to figures: inout NetworkFigures, zoneLots: [ZoneLotRow]) {
        let lots = compute(zoneLots: zoneLots, period: figures.period)
        guard !lots.towns.isEmpty else { return }
        for id in lots.indicators { figures.indicators[id] = catalogue[id] }
        for i in figures.towns.indices { figures.towns[i].lots = lots.towns[figures.towns[i].town] }
        figures.lotBands = lots.bands
    }

    /// `figures` without any lot part (as computed before issue 19 reached the coordinator).
    static func removed(from figures: NetworkFigures) -> NetworkFigures {
        var out = figures
        for id in catalogue.keys { out.indicators[id] = nil }
        out.lotBands = nil
        for i in out.towns.indices { out.towns[i].lots = nil }
        return out
    }

    static func finite(_ v: Double?) -> Double? { NetworkIndicators.finite(v) }
}
