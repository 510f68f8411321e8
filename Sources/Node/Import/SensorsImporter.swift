import Foundation
internal import Indicators
internal import Storage

extension NodeStore {
    /// Imports the town's zones and sensors from a CSV:
    /// `sensor,zone,zone_kind,kind,vendor[,paired_street_sensor,latitude,longitude,installed,removed]`.
    ///
    /// All or nothing, idempotent: an identical declaration changes nothing; a sensor or zone
    /// declared with other attributes is a conflict unless `replace`. A `paired_street_sensor`
    /// (a store-door counter's street counter, for conversion) must name a pedestrian sensor of the
    /// file or the store.
    public func importSensors(_ path: String, options: ImportOptions = .init()) throws -> ImportSummary {
        try importDeclarations(path, format: "sensors", options: options) { session, summary in
            var seen: Set<String> = []
            var pairs: [(door: String, street: String, location: NodeError.Location)] = []
            try session.forEachDeclaration(required: ["sensor", "zone", "zone_kind", "kind", "vendor"],
                                           optional: ["paired_street_sensor", "latitude", "longitude", "installed", "removed"],
                                           headerHint: " `sensor,zone,zone_kind,kind,vendor`", summary: &summary) { fields, at, summary in
                let name = try fields.text("sensor")
                guard seen.insert(name).inserted else {
                    throw NodeError(.badInput, "sensor '\(name)' is declared twice in this file", at: at(fields.column("sensor")))
                }
                let zoneName = try fields.identifier("zone", what: "a zone id", example: "markt")
                let zoneKindText = try fields.text("zone_kind")
                guard let zoneKind = ZoneKind(rawValue: zoneKindText) else {
                    throw NodeError(.badInput, "unknown zone_kind '\(zoneKindText)'; use one of: \(ZoneKind.namesList)", at: at(fields.column("zone_kind")))
                }
                let kindText = try fields.text("kind")
                guard let kind = SensorKind(rawValue: kindText) else {
                    throw NodeError(.badInput, "unknown kind '\(kindText)'; use one of: \(SensorKind.namesList)", at: at(fields.column("kind")))
                }
                let vendor = try fields.text("vendor")
                let paired = try fields.optionalText("paired_street_sensor")
                if let paired {
                    guard kind == .entries else {
                        throw NodeError(.badInput, "only an entries sensor (a store-door counter) has a paired street sensor", at: at(fields.column("paired_street_sensor")))
                    }
                    pairs.append((name, paired, at(fields.column("paired_street_sensor"))))
                }
                let latitude = try fields.optionalDouble("latitude", in: -90...90)
                let longitude = try fields.optionalDouble("longitude", in: -180...180)
                let installed = try fields.optionalDay("installed"), removed = try fields.optionalDay("removed")
                if let installed, let removed, removed < installed {
                    throw NodeError(.badInput, "removed (\(removed)) is before installed (\(installed))", at: at(fields.column("removed")))
                }

                // The zone: created on first mention; its kind must agree.
                let zoneID: Int64
                if let row = try db.queryFirst("SELECT id, kind FROM zones WHERE name = ?", [.text(zoneName)]) {
                    zoneID = try row.int64(0)
                    let storedKind = try row.string(1)
                    if storedKind != zoneKind.rawValue {
                        guard options.replace else {
                            throw NodeError(.conflict, "zone '\(zoneName)' is stored as \(storedKind), this file says \(zoneKind.rawValue); use --replace to change it", at: at(fields.column("zone_kind")))
                        }
                        try db.run("UPDATE zones SET kind = ? WHERE id = ?", [.text(zoneKind.rawValue), .integer(zoneID)])
                    }
                } else {
                    try db.run("INSERT INTO zones (name, kind) VALUES (?, ?)", [.text(zoneName), .text(zoneKind.rawValue)])
                    zoneID = db.lastInsertRowID
                }
                let values: [SQLValue] = [.integer(zoneID), .text(kind.rawValue), .text(vendor), .optional(paired),
                                          .optional(latitude), .optional(longitude), .optional(installed?.description),
                                          .optional(removed?.description)]
                if let old = try db.queryFirst("SELECT zone_id, kind, vendor, paired_street_sensor, latitude, longitude, installed, removed FROM sensors WHERE name = ?", [.text(name)]) {
                    if old.values == values { summary.rowsUnchanged += 1; return }
                    guard options.replace else {
                        throw NodeError(.conflict, "sensor '\(name)' is stored with other attributes (\(old.values.map(\.display).joined(separator: ", "))); use --replace to change it", at: at(fields.column("sensor")))
                    }
                    try db.run("UPDATE sensors SET zone_id = ?, kind = ?, vendor = ?, paired_street_sensor = ?, latitude = ?, longitude = ?, installed = ?, removed = ? WHERE name = ?",
                               values + [.text(name)])
                    summary.rowsReplaced += 1
                } else {
                    try db.run("INSERT INTO sensors (zone_id, kind, vendor, paired_street_sensor, latitude, longitude, installed, removed, name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                               values + [.text(name)])
                    summary.rowsInserted += 1
                }
            }
            for pair in pairs {
                guard let kind = try db.queryFirst("SELECT kind FROM sensors WHERE name = ?", [.text(pair.street)])?.string(0) else {
                    throw NodeError(.badInput, "paired street sensor '\(pair.street)' of '\(pair.door)' is not declared", at: pair.location)
                }
                guard kind == SensorKind.pedestrian.rawValue else {
                    throw NodeError(.badInput, "paired street sensor '\(pair.street)' of '\(pair.door)' is a \(kind) sensor; it must count pedestrians", at: pair.location)
                }
            }
        }
    }
}

extension SQLValue {
    /// The value as a person would write it in the CSV, for messages.
    var display: String {
        switch self {
        case .null: "-"
        case .integer(let v): String(v)
        case .real(let v): String(v)
        case .text(let v): v
        case .blob(let v): "\(v.count) bytes"
        }
    }
}
