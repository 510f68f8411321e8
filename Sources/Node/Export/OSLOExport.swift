public import Foundation
internal import Federation
public import Indicators

/// The town's counts as open data in the Flemish OSLO application profile *Verkeersmetingen*
/// (recognised standard; vocabulary `https://data.vlaanderen.be/ns/verkeersmetingen#`, built on
/// ISO 19156 observations): one `Verkeersmeting` per zone, mode and local day or hour, with the
/// profile's code lists for the observed characteristic (`aantal`) and the mode (`voetganger`,
/// `fietser`, `klein`).
///
/// Why these figures: they are the zone totals the node shares with the network
/// (``NodeStore/aggregateZones(period:network:)``: flatline sensor-days left out, a network's
/// privacy policy applied), never a sensor's own row. Open data is public, so the strictest of the
/// town's networks' policies applies, and every exported cell below its minimum store entries is
/// left out too, with the same secondary
/// rule as the protocol's: an hour that could be subtracted back out of the published day total
/// is left out with it.
public enum OSLOExport {
    /// The measures exported and their mode in `VkmVerkeersmodaliteiten`. `heavy` (vans, lorries
    /// and buses) straddles the code list's `medium` and `groot`, and motorcycles, entries and
    /// presence have no mode there, so they are not exported.
    static let modes: [(Measure, String)] = [(.pedestrians, "voetganger"), (.bikes, "fietser"), (.cars, "klein")]

    static let modeScheme = "https://data.vlaanderen.be/id/concept/VkmVerkeersmodaliteiten/"
    static let characteristicScheme = "https://data.vlaanderen.be/id/concept/VkmVerkeersKenmerkType/"

    /// The JSON-LD context shipped in every export: each term the document uses, mapped to the
    /// IRI the profile's own context gives it (OSLOthema-verkeersmetingen,
    /// `site-skeleton/Verkeersmetingen-ap/verkeersmetingen-ap.jsonld`), plus OWL-Time for the intervals.
    public static var context: [String: Any] { [
        "vkm": "https://data.vlaanderen.be/ns/verkeersmetingen#",
        "time": "http://www.w3.org/2006/time#",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
        "Verkeersmeting": "vkm:Verkeersmeting",
        "Verkeersmetingverzameling": "vkm:Verkeersmetingverzameling",
        "Verkeerskenmerk": "vkm:Verkeerskenmerk",
        "Verkeersmeetpunt": "vkm:Verkeersmeetpunt",
        "Verkeersmeting.geobserveerdObject": ["@id": "vkm:geobserveerdObject", "@type": "@id"],
        "Verkeersmeting.geobserveerdKenmerk": ["@id": "vkm:geobserveerdKenmerk", "@type": "@id"],
        "Verkeersmeting.fenomeenTijd": ["@id": "https://def.isotc211.org/iso19156/2011/Observation#OM_Observation.phenomenonTime", "@type": "@id"],
        "Verkeersmeting.resultaat": ["@id": "http://def.isotc211.org/iso19156/2011/Observation#OM_Observation.result", "@type": "xsd:double"],
        "Verkeerskenmerk.type": ["@id": "http://purl.org/dc/elements/1.1/type", "@type": "@id"],
        "Verkeerskenmerk.verkeersdeelnemertype": ["@id": "vkm:verkeersdeelnemerType", "@type": "@id", "@container": "@set"],
        "Verkeersmetingverzameling.heeftLid": ["@id": "vkm:heeftLid", "@type": "@id", "@container": "@set"],
        "Verkeersmetingverzameling.fenomeentijd": ["@id": "http://www.w3.org/ns/sosa/phenomenonTime", "@type": "@id"],
        "label": ["@id": "rdfs:label"],
        "ProperInterval": "time:ProperInterval",
        "Instant": "time:Instant",
        "hasBeginning": ["@id": "time:hasBeginning"],
        "hasEnd": ["@id": "time:hasEnd"],
        "inXSDDateTimeStamp": ["@id": "time:inXSDDateTimeStamp", "@type": "xsd:dateTimeStamp"],
    ] }

    /// Longest period one export covers (a year and a day): the document is built in memory.
    public static let maximumDays = 366
}

extension NodeStore {
    /// The OSLO *Verkeersmetingen* JSON-LD document of the local days `period` (see ``OSLOExport``).
    /// `base` prefixes the IRIs of zones and observations (default `urn:townbench:TENANT:TOWN:`).
    public func osloExport(period: ClosedRange<DayNumber>, base: String? = nil) throws -> Data {
        guard period.upperBound.rawValue - period.lowerBound.rawValue < OSLOExport.maximumDays else {
            throw NodeError(.invalidArgument, "the period \(period.lowerBound)…\(period.upperBound) is longer than \(OSLOExport.maximumDays) days; export it in parts (one file per year)")
        }
        let base = base ?? "urn:townbench:\(settings.tenant):\(settings.town):"
        guard let scheme = URL(string: base + "x")?.scheme, !scheme.isEmpty, !base.contains(where: { $0 == " " || $0 == "\"" || $0 == "<" || $0 == ">" }) else {
            throw NodeError(.invalidArgument, "--base-iri '\(base)' is not an IRI prefix; use e.g. https://data.example.be/telling/ or urn:townbench:harelbeke:")
        }
        let clock = LocalClock(timeZone: timeZone)
        // Open data is public: the strictest of the town's networks' minimums applies.
        let strictest = try networks().max { $0.privacy.minimumStoreEntries < $1.privacy.minimumStoreEntries } ?? defaultNetwork()
        let minimum = Double(strictest.privacy.minimumStoreEntries)

        func stamp(_ epoch: Int64) -> String {
            let offset = clock.offset(at: epoch)
            let local = epoch + Int64(offset)
            let day = DayNumber(Int(local >= 0 ? local / 86_400 : (local - 86_399) / 86_400))
            let seconds = Int(local - Int64(day.rawValue) * 86_400)
            let sign = offset < 0 ? "-" : "+"
            return "\(day)T" + String(format: "%02d:%02d:%02d", seconds / 3600, seconds % 3600 / 60, seconds % 60)
                + sign + String(format: "%02d:%02d", abs(offset) / 3600, abs(offset) % 3600 / 60)
        }
        func interval(_ start: Int64, _ end: Int64) -> [String: Any] {
            ["@type": "ProperInterval",
             "hasBeginning": ["@type": "Instant", "inXSDDateTimeStamp": stamp(start)],
             "hasEnd": ["@type": "Instant", "inXSDDateTimeStamp": stamp(end)]]
        }
        /// The instant a local hour starts (its first occurrence), or nil if it does not exist.
        func hourStart(_ day: DayNumber, _ hour: Int) -> Int64? {
            switch clock.resolve(naive: Int64(day.rawValue) * 86_400 + Int64(hour) * 3600) {
            case .unique(let t), .ambiguous(let t, _): t
            case .nonexistent: nil
            }
        }
        func number(_ value: Double) -> Any {
            value == value.rounded() && abs(value) < 1e15 ? Int64(value) as Any : ((value * 100).rounded() / 100) as Any
        }

        var graph: [[String: Any]] = []
        var members: [String] = []
        for (_, mode) in OSLOExport.modes {
            graph.append(["@id": base + "kenmerk:aantal-\(mode)", "@type": "Verkeerskenmerk",
                          "Verkeerskenmerk.type": OSLOExport.characteristicScheme + "aantal",
                          "Verkeerskenmerk.verkeersdeelnemertype": [OSLOExport.modeScheme + mode]])
        }
        for zone in try aggregateZones(period: period, network: strictest) {
            let zoneIRI = base + "zone:" + zone.zoneId
            var zoneUsed = false
            for day in zone.days {
                guard let date = try? DayNumber(iso: day.date) else { continue }
                for (measure, mode) in OSLOExport.modes {
                    guard let cell = day.measures.first(where: { $0.measure == measure.description }) else { continue }
                    let kenmerk = base + "kenmerk:aantal-\(mode)"
                    let total = cell.total.flatMap { $0 >= minimum ? $0 : nil }
                    if let total {
                        let id = base + "meting:\(zone.zoneId):\(mode):\(day.date)"
                        graph.append(["@id": id, "@type": "Verkeersmeting", "Verkeersmeting.geobserveerdObject": zoneIRI,
                                      "Verkeersmeting.geobserveerdKenmerk": kenmerk,
                                      "Verkeersmeting.fenomeenTijd": interval(clock.startOfDay(date), clock.startOfDay(date + 1)),
                                      "Verkeersmeting.resultaat": number(total)])
                        members.append(id)
                        zoneUsed = true
                    }
                    // Hours: small ones left out; if exactly one is, and the day total is published,
                    // the smallest other one goes too (else it could be subtracted back out).
                    var hours = (cell.hourly ?? []).enumerated().map { $0.element.flatMap { $0 >= minimum ? $0 : nil } }
                    let small = (cell.hourly ?? []).enumerated().filter { $0.element.map { $0 < minimum } ?? false }.count
                        + (cell.suppressedHours.count)
                    if total != nil, small == 1, let smallest = hours.indices.filter({ hours[$0] != nil }).min(by: { (hours[$0] ?? 0) < (hours[$1] ?? 0) }) {
                        hours[smallest] = nil
                    }
                    for (hour, value) in hours.enumerated() {
                        guard let value, let start = hourStart(date, hour) else { continue }
                        let end = hour == 23 ? clock.startOfDay(date + 1) : (hourStart(date, hour + 1) ?? start + 3600)
                        let id = base + "meting:\(zone.zoneId):\(mode):\(day.date)T" + String(format: "%02d", hour)
                        graph.append(["@id": id, "@type": "Verkeersmeting", "Verkeersmeting.geobserveerdObject": zoneIRI,
                                      "Verkeersmeting.geobserveerdKenmerk": kenmerk,
                                      "Verkeersmeting.fenomeenTijd": interval(start, end),
                                      "Verkeersmeting.resultaat": number(value)])
                        members.append(id)
                        zoneUsed = true
                    }
                }
            }
            if zoneUsed {
                graph.append(["@id": zoneIRI, "@type": "Verkeersmeetpunt", "label": "\(settings.town) \(zone.zoneId) (\(zone.zoneKind))"])
            }
        }
        graph.append(["@id": base + "verzameling:\(period.lowerBound)_\(period.upperBound)", "@type": "Verkeersmetingverzameling",
                      "label": "\(settings.town): counts per zone and mode, \(period.lowerBound) – \(period.upperBound) (TownBench)",
                      "Verkeersmetingverzameling.fenomeentijd": interval(clock.startOfDay(period.lowerBound), clock.startOfDay(period.upperBound + 1)),
                      "Verkeersmetingverzameling.heeftLid": members])
        let document: [String: Any] = ["@context": OSLOExport.context, "@graph": graph]
        do {
            return try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        } catch {
            throw NodeError(.io, "cannot write the OSLO document: \(error.localizedDescription)")
        }
    }
}
