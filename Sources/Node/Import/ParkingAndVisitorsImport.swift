// Parking sites and occupancy (DATEX II ParkingStatusPublication, plain CSV), visitor origin and
// dwell-time histograms (CSV as the wifi and camera vendors deliver them). Issue 19.
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
internal import Indicators
internal import Storage

/// What a parking site is (peers are compared within a kind).
public enum ParkingSiteKind: String, CaseIterable, Sendable {
    case garage
    case onStreet = "on-street"
}

/// Bounds of the lot data: far above any real town, so a unit or column mix-up is refused.
enum LotLimits {
    static let maximumSpaces: Int64 = 100_000
    static let maximumVisitors: Int64 = 10_000_000
    /// A stay longer than a week is not a visit.
    static let maximumDwellMinutes: Int64 = 7 * 1440
    static let maximumXMLSize = 64 << 20
}

extension ImportSession {
    /// A parking site by name, or an error naming the remedy.
    func parkingSite(_ name: String, at location: NodeError.Location) throws -> (id: Int64, capacity: Int64) {
        guard let row = try db.queryFirst("SELECT id, capacity FROM parking_sites WHERE name = ?", [.text(name)]) else {
            throw NodeError(.badInput, "unknown parking site '\(name)'; declare it with `townbench-node parking sites import`", at: location)
        }
        return (try row.int64(0), try row.int64(1))
    }

    /// Stores one parking reading after checking it against its capacity.
    func storeParkingReading(site: (id: Int64, capacity: Int64), name: String, time: Int64, occupied: Int64?, vacant: Int64?,
                             percent: Double?, capacity given: Int64?, at location: NodeError.Location,
                             summary: inout ImportSummary) throws {
        let capacity = given ?? site.capacity
        let occupiedSpaces: Int64
        if let occupied {
            occupiedSpaces = occupied
        } else if let vacant {
            guard vacant <= capacity else {
                throw NodeError(.badInput, "site '\(name)': \(vacant) vacant spaces is more than its capacity \(capacity); give the capacity of that moment, or correct the site's capacity with `parking sites import --replace`", at: location)
            }
            occupiedSpaces = capacity - vacant
        } else if let percent, percent.isFinite, (0...1000).contains(percent) {
            occupiedSpaces = Int64((percent / 100 * Double(capacity)).rounded())
        } else {
            throw NodeError(.badInput, "site '\(name)': the reading gives neither occupied nor vacant spaces (nor an occupancy percentage); give one", at: location)
        }
        try upsert(table: "parking_occupancy", key: [("site_id", .integer(site.id)), ("time", .integer(time))],
                   values: [("occupied", .integer(occupiedSpaces)), ("capacity", .integer(capacity))],
                   what: "parking site '\(name)' at \(clock.described(time))", at: location, summary: &summary)
    }
}

extension NodeStore {
    /// Imports parking sites from a CSV `site,zone,kind,capacity[,datex_reference]` (all or nothing,
    /// idempotent; another capacity or kind is a conflict unless `replace`). The zone must exist.
    public func importParkingSites(_ path: String, options: ImportOptions = .init()) throws -> ImportSummary {
        try importDeclarations(path, format: "parking-sites", options: options) { session, summary in
            var seen: Set<String> = []
            try session.forEachDeclaration(required: ["site", "zone", "kind", "capacity"], optional: ["datex_reference"],
                                           summary: &summary) { fields, at, summary in
                let name = try fields.identifier("site", what: "a parking site id", example: "p-markt")
                guard seen.insert(name).inserted else {
                    throw NodeError(.badInput, "parking site '\(name)' is declared twice in this file", at: at(fields.column("site")))
                }
                let zone = try session.zone(fields, at: at).id
                let kindText = try fields.text("kind")
                guard let kind = ParkingSiteKind(rawValue: kindText) else {
                    throw NodeError(.badInput, "unknown kind '\(kindText)'; use one of: \(ParkingSiteKind.namesList)", at: at(fields.column("kind")))
                }
                let capacity = try fields.integer("capacity", in: 1...LotLimits.maximumSpaces)
                let reference = try fields.optionalText("datex_reference")
                let values: [SQLValue] = [.integer(zone), .text(kind.rawValue), .integer(capacity), .optional(reference)]
                if let old = try db.queryFirst("SELECT zone_id, kind, capacity, datex_reference FROM parking_sites WHERE name = ?", [.text(name)]) {
                    if old.values == values { summary.rowsUnchanged += 1; return }
                    guard options.replace else {
                        throw NodeError(.conflict, "parking site '\(name)' is stored with other attributes (zone, kind, capacity or DATEX reference); use --replace to change them", at: at(nil))
                    }
                    try db.run("UPDATE parking_sites SET zone_id = ?, kind = ?, capacity = ?, datex_reference = ? WHERE name = ?", values + [.text(name)])
                    summary.rowsReplaced += 1
                    return
                }
                if let reference, try db.queryFirst("SELECT name FROM parking_sites WHERE datex_reference = ?", [.text(reference)]) != nil {
                    throw NodeError(.badInput, "datex_reference '\(reference)' already names another site; each DATEX II parking record is one site", at: at(fields.column("datex_reference")))
                }
                try db.run("INSERT INTO parking_sites (name, zone_id, kind, capacity, datex_reference) VALUES (?, ?, ?, ?, ?)", [.text(name)] + values)
                summary.rowsInserted += 1
            }
        }
    }
}

/// `parking` CSV: `site,time,occupied,vacant,capacity` (occupied or vacant; capacity optional,
/// default the site's declared one).
struct ParkingCSVImporter {
    let session: ImportSession

    func run(_ summary: inout ImportSummary) throws {
        try session.loadCatalogue()
        var sites: [String: (id: Int64, capacity: Int64)] = [:]
        try session.forEachRow(required: ["site", "time"], optional: ["occupied", "vacant", "capacity"], summary: &summary) { fields, at, summary in
            let name = try fields.text("site")
            let site = try sites[name] ?? session.parkingSite(name, at: at(fields.column("site")))
            sites[name] = site
            let time = try session.instant(of: try fields.timestamp("time"), repeatKey: nil, at: at(fields.column("time")))
            func optionalCount(_ column: String, in range: ClosedRange<Int64>) throws -> Int64? {
                try fields.optionalText(column) == nil ? nil : try fields.integer(column, in: range)
            }
            let capacity = try optionalCount("capacity", in: 1...LotLimits.maximumSpaces)
            let occupied = try optionalCount("occupied", in: 0...LotLimits.maximumSpaces)
            let vacant = try optionalCount("vacant", in: 0...LotLimits.maximumSpaces)
            if occupied != nil && vacant != nil {
                throw NodeError(.badInput, "give occupied or vacant, not both (which one would count?)", at: at(fields.column("vacant")))
            }
            try session.storeParkingReading(site: site, name: name, time: time, occupied: occupied, vacant: vacant, percent: nil,
                                            capacity: capacity, at: at(nil), summary: &summary)
        }
    }
}

/// `parking-datex`: a DATEX II `ParkingStatusPublication` (v2 or v3, any namespace prefix). Each
/// `parkingRecordStatus` names its site by `parkingRecordReference/@id` (a site's
/// `datex_reference`, or its name) and gives `parkingStatusOriginTime` and, in
/// `parkingOccupancy`, occupied or vacant spaces or the occupancy percentage; a
/// `parkingNumberOfSpacesOverride` is the capacity of that moment.
struct ParkingDatexImporter {
    let session: ImportSession

    /// One `parkingRecordStatus` as read.
    struct Status {
        var line: Int
        var reference: String?
        var time: String?
        var occupied: String?
        var vacant: String?
        var percent: String?
        var capacity: String?
    }

    /// Collects the statuses; libxml2 underneath, external entities never resolved.
    final class Reader: NSObject, XMLParserDelegate {
        var statuses: [Status] = []
        var current: Status?
        var path: [String] = []
        var text = ""
        var publicationType: String?
        weak var parser: XMLParser?

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            let local = name.split(separator: ":").last.map(String.init) ?? name
            path.append(local)
            text = ""
            if local == "payloadPublication" || (local == "payload" && path.count == 1) {  // v2; v3's root <d2:payload>
                publicationType = attributes.first { $0.key.hasSuffix("type") }?.value
            }
            if local == "parkingRecordStatus" { current = Status(line: parser.lineNumber) }
            if local == "parkingRecordReference", current != nil { current?.reference = attributes["id"] }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            let local = path.popLast() ?? ""
            let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
            text = ""
            guard current != nil else { return }
            switch local {
            case "parkingStatusOriginTime": current?.time = value
            case "parkingNumberOfOccupiedSpaces": current?.occupied = value
            case "parkingNumberOfVacantSpaces": current?.vacant = value
            case "parkingNumberOfSpacesOverride": current?.capacity = value
            case "parkingOccupancy" where path.last == "parkingOccupancy": current?.percent = value
            case "parkingRecordStatus":
                if let current { statuses.append(current) }
                current = nil
            default: break
            }
        }
    }

    func run(_ summary: inout ImportSummary) throws {
        try session.loadCatalogue()
        let fileAt = session.location(line: 1, column: nil)
        let data = try InputFile.read(session.path, limit: LotLimits.maximumXMLSize) { size in
            NodeError(.badInput, "the file is \(size >> 20) MiB; a DATEX II status publication is far smaller. Import one publication per file", at: fileAt)
        }
        guard let parser = XMLInput.parser(data, namespaces: true) else {
            throw NodeError(.badInput, "the file is not UTF-8 text; export the DATEX II publication as UTF-8 XML", at: fileAt)
        }
        let reader = Reader()
        parser.delegate = reader
        guard parser.parse() else {
            // Foundation on Linux gives only libxml2's error number (its names do not match those numbers).
            let reason = parser.parserError.map { "libxml2 error \(($0 as NSError).code)" } ?? "unknown error"
            throw NodeError(.badInput, "not well-formed XML (\(reason)); save the DATEX II publication unchanged (a DTD or an entity is never read)",
                            at: session.location(line: max(1, parser.lineNumber), column: parser.columnNumber > 0 ? parser.columnNumber : nil))
        }
        // FoundationXML on Linux reports a truncated document as parsed: an element still open is the sign.
        if let open = reader.path.last {
            throw NodeError(.badInput, "not well-formed XML: the file ends inside <\(open)> (truncated?); save the DATEX II publication unchanged",
                            at: session.location(line: max(1, parser.lineNumber), column: nil))
        }
        if let type = reader.publicationType, !type.hasSuffix("ParkingStatusPublication") {
            throw NodeError(.badInput, "this is a DATEX II \(type), not a ParkingStatusPublication; import the status publication (a ParkingTablePublication describes sites: declare them with `parking sites import`)", at: fileAt)
        }
        guard !reader.statuses.isEmpty else {
            throw NodeError(.badInput, "no parkingRecordStatus in the file; expected a DATEX II ParkingStatusPublication", at: fileAt)
        }
        var byReference: [String: (id: Int64, capacity: Int64, name: String)] = [:]
        for row in try session.db.query("SELECT id, capacity, name, datex_reference FROM parking_sites") {
            let site = (try row.int64(0), try row.int64(1), try row.string(2))
            byReference[try row.string(2)] = site
            if let reference = try row.optionalString(3) { byReference[reference] = site }
        }
        for status in reader.statuses {
            summary.rowsRead += 1
            let at = session.location(line: status.line, column: nil)
            guard let reference = status.reference else {
                throw NodeError(.badInput, "a parkingRecordStatus without parkingRecordReference/@id; which site is it?", at: at)
            }
            guard let site = byReference[reference] else {
                throw NodeError(.badInput, "unknown parking record '\(reference)'; declare the site with `parking sites import` (column datex_reference \(reference))", at: at)
            }
            guard let timeText = status.time else {
                throw NodeError(.badInput, "parking record '\(reference)' has no parkingStatusOriginTime", at: at)
            }
            let written: WrittenTimestamp = try timeText.withUTF8Buffer { bytes in
                switch parseTimestamp(bytes) {
                case .success(let value): value
                case .failure(let error): throw NodeError(.badInput, "parkingStatusOriginTime '\(timeText)' \(error.reason)", at: at)
                }
            }
            let time = try session.instant(of: written, repeatKey: nil, at: at)
            func count(_ text: String?, _ element: String, in range: ClosedRange<Int64>) throws -> Int64? {
                guard let text else { return nil }
                guard let n = Int64(text), range.contains(n) else {
                    throw NodeError(.badInput, "\(element) '\(text)' of '\(reference)' must be a whole number from \(range.lowerBound) to \(range.upperBound)", at: at)
                }
                return n
            }
            let capacity = try count(status.capacity, "parkingNumberOfSpacesOverride", in: 1...LotLimits.maximumSpaces)
            let occupied = try count(status.occupied, "parkingNumberOfOccupiedSpaces", in: 0...LotLimits.maximumSpaces)
            let vacant = occupied == nil ? try count(status.vacant, "parkingNumberOfVacantSpaces", in: 0...LotLimits.maximumSpaces) : nil
            var percent: Double?
            if let text = status.percent {
                guard let p = Double(text), p.isFinite, (0...1000).contains(p) else {
                    throw NodeError(.badInput, "parkingOccupancy '\(text)' of '\(reference)' must be a percentage", at: at)
                }
                percent = p
            }
            try session.storeParkingReading(site: (site.id, site.capacity), name: site.name, time: time, occupied: occupied, vacant: vacant,
                                            percent: percent, capacity: capacity, at: at, summary: &summary)
        }
    }
}

/// `visitor-origin` CSV: `zone,day,origin,visitors`, origin one of the classes of
/// `VisitorOrigin.OriginClass`.
struct VisitorOriginImporter {
    let session: ImportSession

    func run(_ summary: inout ImportSummary) throws {
        try session.loadCatalogue()
        try session.forEachRow(required: ["zone", "day", "origin", "visitors"], summary: &summary) { fields, at, summary in
            let (zoneName, zone) = try session.zone(fields, at: at)
            let day = try fields.day("day")
            let originText = try fields.text("origin")
            guard let origin = VisitorOrigin.OriginClass(rawValue: originText) else {
                throw NodeError(.badInput, "unknown origin '\(originText)'; use one of: \(VisitorOrigin.OriginClass.allCases.map(\.rawValue).joined(separator: ", ")) (map the vendor's postcodes or municipalities to these classes)", at: at(fields.column("origin")))
            }
            let visitors = try fields.integer("visitors", in: 0...LotLimits.maximumVisitors)
            try session.upsert(table: "visitor_origin", key: [("zone_id", .integer(zone)), ("day", .int(day.rawValue)), ("origin", .text(origin.rawValue))],
                               values: [("visitors", .integer(visitors))], what: "zone '\(zoneName)', \(day), origin \(origin.rawValue)",
                               at: at(nil), summary: &summary)
        }
    }
}

/// `dwell-time` CSV: `zone,day,from_minutes,to_minutes,visitors` (to_minutes empty: open-ended).
struct DwellTimeImporter {
    let session: ImportSession

    func run(_ summary: inout ImportSummary) throws {
        try session.loadCatalogue()
        try session.forEachRow(required: ["zone", "day", "from_minutes", "to_minutes", "visitors"], summary: &summary) { fields, at, summary in
            let (zoneName, zone) = try session.zone(fields, at: at)
            let day = try fields.day("day")
            let from = try fields.integer("from_minutes", in: 0...LotLimits.maximumDwellMinutes)
            let to = try fields.optionalText("to_minutes") == nil ? nil : try fields.integer("to_minutes", in: 1...LotLimits.maximumDwellMinutes)
            if let to, to <= from {
                throw NodeError(.badInput, "to_minutes \(to) must be above from_minutes \(from) (a bin is [from, to) minutes; leave to_minutes empty for the open-ended last bin)", at: at(fields.column("to_minutes")))
            }
            let visitors = try fields.integer("visitors", in: 0...LotLimits.maximumVisitors)
            try session.upsert(table: "dwell_time", key: [("zone_id", .integer(zone)), ("day", .int(day.rawValue)), ("from_minutes", .integer(from))],
                               values: [("to_minutes", .optional(to)), ("visitors", .integer(visitors))],
                               what: "zone '\(zoneName)', \(day), bin from \(from) minutes", at: at(nil), summary: &summary)
        }
    }
}
