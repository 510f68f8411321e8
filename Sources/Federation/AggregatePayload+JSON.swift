// Explicit, strict mapping between AggregatePayload and JSONValue. Why not Codable: decoding
// through Foundation's JSONDecoder was the coordinator's bottleneck (see JSONParser), and
// Codable silently ignores unknown members, while the protocol refuses them: a payload must
// contain the documented fields and nothing else, so a town can audit exactly what it sent.

/// Where a value sits in the payload, formatted only when an error names it (building the
/// strings eagerly cost more than parsing).
indirect enum JSONPath: CustomStringConvertible {
    case root(String)
    case member(JSONPath, String)
    case element(JSONPath, String, Int)

    var description: String {
        switch self {
        case .root(let name): return name
        case .member(let parent, let name): return "\(parent).\(name)"
        case .element(let parent, let name, let i): return "\(parent).\(name)[\(i)]"
        }
    }
}

/// Reads one JSON object member by member, naming the path in every error, and refuses members
/// it was not told about.
struct JSONObjectReader {
    let members: [(key: String, value: RawJSON)]
    let path: JSONPath

    /// `allowed` is a short array: a linear scan beats hashing for a dozen names.
    init(_ value: RawJSON, path: JSONPath, allowed: [String]) throws(FederationError) {
        guard case .object(let m) = value else { throw Self.fail(path, "must be an object") }
        for (key, _) in m where !allowed.contains(key) {
            throw Self.fail(path, "has the unknown member \"\(key)\" (aggregate v1 allows only its documented fields)")
        }
        members = m
        self.path = path
    }

    static func fail(_ path: JSONPath, _ message: String) -> FederationError {
        FederationError(code: .invalidPayload, message: "Aggregate payload: \(path) \(message).")
    }

    subscript(_ key: String) -> RawJSON? {
        for m in members where m.key == key { return m.value }
        return nil
    }

    private func present(_ key: String) -> RawJSON? {
        guard let v = self[key] else { return nil }
        if case .null = v { return nil }
        return v
    }

    func string(_ key: String) throws(FederationError) -> String {
        guard case .string(let s)? = self[key] else { throw Self.fail(.member(path, key), "must be a string") }
        return s
    }

    func bool(_ key: String) throws(FederationError) -> Bool {
        guard case .bool(let b)? = self[key] else { throw Self.fail(.member(path, key), "must be true or false") }
        return b
    }

    func double(_ key: String) throws(FederationError) -> Double {
        guard case .number(let d)? = self[key] else { throw Self.fail(.member(path, key), "must be a number") }
        return d
    }

    func optionalDouble(_ key: String) throws(FederationError) -> Double? {
        guard let v = present(key) else { return nil }
        guard case .number(let d) = v else { throw Self.fail(.member(path, key), "must be a number") }
        return d
    }

    static func integer(_ d: Double, _ path: JSONPath) throws(FederationError) -> Int {
        guard d == d.rounded(), abs(d) < 9_007_199_254_740_992 else {
            throw fail(path, "must be an integer below 2^53")
        }
        return Int(d)
    }

    func int(_ key: String) throws(FederationError) -> Int { try Self.integer(try double(key), .member(path, key)) }

    func optionalInt(_ key: String) throws(FederationError) -> Int? {
        guard let d = try optionalDouble(key) else { return nil }
        return try Self.integer(d, .member(path, key))
    }

    func array(_ key: String) throws(FederationError) -> [RawJSON] {
        guard case .array(let a)? = self[key] else { throw Self.fail(.member(path, key), "must be an array") }
        return a
    }

    func optionalArray(_ key: String) throws(FederationError) -> [RawJSON]? {
        guard let v = present(key) else { return nil }
        guard case .array(let a) = v else { throw Self.fail(.member(path, key), "must be an array") }
        return a
    }

    func value(_ key: String) throws(FederationError) -> RawJSON {
        guard let v = self[key] else { throw Self.fail(.member(path, key), "is missing") }
        return v
    }
}

extension JSONValue {
    init(_ d: Double?) { self = d.map { .number($0) } ?? .null }
}

extension AggregatePayload {
    /// The payload as a JSON tree (absent optionals are omitted).
    public func jsonValue() -> JSONValue {
        .object([
            "protocolVersion": .number(Double(protocolVersion)), "tenantId": .string(tenantId),
            "townId": .string(townId),
            "keyId": .string(keyId), "submissionId": .string(submissionId), "sequence": .number(Double(sequence)),
            "createdAt": .string(createdAt),
            "period": .object(["from": .string(period.from), "to": .string(period.to)]),
            "timeZone": .string(timeZone), "privacy": privacy.jsonValue(),
            "zones": .array(zones.map { $0.jsonValue() }),
        ])
    }

    /// The payload read from a JSON tree, refusing unknown members and wrong types (`invalid_payload`).
    /// Does not run ``validate()``.
    public init(json: JSONValue) throws(FederationError) { try self.init(raw: RawJSON(json)) }

    init(raw json: RawJSON) throws(FederationError) {
        let r = try JSONObjectReader(
            json, path: .root("payload"),
            allowed: [
                "protocolVersion", "tenantId", "townId", "keyId", "submissionId", "sequence", "createdAt", "period",
                "timeZone",
                "privacy", "zones",
            ])
        let period = try JSONObjectReader(
            try r.value("period"), path: .member(.root("payload"), "period"), allowed: ["from", "to"])
        var zones: [Zone] = []
        for (i, z) in try r.array("zones").enumerated() {
            zones.append(try Zone(json: z, path: .element(.root("payload"), "zones", i)))
        }
        self.init(
            protocolVersion: try r.int("protocolVersion"), tenantId: try r.string("tenantId"),
            townId: try r.string("townId"),
            keyId: try r.string("keyId"), submissionId: try r.string("submissionId"), sequence: try r.int("sequence"),
            createdAt: try r.string("createdAt"),
            period: Period(from: try period.string("from"), to: try period.string("to")),
            timeZone: try r.string("timeZone"),
            privacy: try PrivacyPolicy(json: try r.value("privacy"), path: .member(.root("payload"), "privacy")),
            zones: zones)
    }
}

extension PrivacyPolicy {
    func jsonValue() -> JSONValue {
        .object([
            "minimumStoreEntries": .number(Double(minimumStoreEntries)),
            "minimumSpendingBuyers": .number(Double(minimumSpendingBuyers)),
        ])
    }

    init(json: RawJSON, path: JSONPath) throws(FederationError) {
        let r = try JSONObjectReader(json, path: path, allowed: ["minimumStoreEntries", "minimumSpendingBuyers"])
        self.init(
            minimumStoreEntries: try r.int("minimumStoreEntries"),
            minimumSpendingBuyers: try r.int("minimumSpendingBuyers"))
    }
}

extension AggregatePayload.Zone {
    func jsonValue() -> JSONValue {
        var o: [String: JSONValue] = ["zoneId": .string(zoneId), "zoneKind": .string(zoneKind), "days": .array(days.map { $0.jsonValue() })]
        if let openingHours { o["openingHours"] = openingHours.jsonValue() }
        return .object(o)
    }

    init(json: RawJSON, path: JSONPath) throws(FederationError) {
        let r = try JSONObjectReader(json, path: path, allowed: ["zoneId", "zoneKind", "days", "openingHours"])
        var days: [AggregatePayload.Day] = []
        for (i, d) in try r.array("days").enumerated() {
            days.append(try .init(json: d, path: .element(path, "days", i)))
        }
        let openingHours = try r["openingHours"].map { raw throws(FederationError) in
            try AggregatePayload.OpeningHours(json: raw, path: .member(path, "openingHours"))
        }
        self.init(zoneId: try r.string("zoneId"), zoneKind: try r.string("zoneKind"), days: days, openingHours: openingHours)
    }
}

extension AggregatePayload.Day {
    func jsonValue() -> JSONValue {
        var object: [String: JSONValue] = [
            "date": .string(date),
            "flags": .object([
                "publicHoliday": .bool(flags.publicHoliday), "schoolHoliday": .bool(flags.schoolHoliday),
                "events": .array(
                    flags.events.map { .object(["eventId": .string($0.eventId), "kind": .string($0.kind)]) }),
            ]),
            "measures": .array(measures.map { $0.jsonValue() }),
            "conversions": .array(conversions.map { $0.jsonValue() }),
            "spending": .array(spending.map { $0.jsonValue() }),
        ]
        addLots(to: &object)
        return .object(object)
    }

    init(json: RawJSON, path: JSONPath) throws(FederationError) {
        let r = try JSONObjectReader(
            json, path: path, allowed: ["date", "flags", "measures", "conversions", "spending"] + Self.lotMembers)
        let f = try JSONObjectReader(
            try r.value("flags"), path: .member(path, "flags"), allowed: ["publicHoliday", "schoolHoliday", "events"])
        var events: [AggregatePayload.Event] = []
        for (i, e) in try f.array("events").enumerated() {
            let er = try JSONObjectReader(
                e, path: .element(.member(path, "flags"), "events", i), allowed: ["eventId", "kind"])
            events.append(.init(eventId: try er.string("eventId"), kind: try er.string("kind")))
        }
        var measures: [AggregatePayload.MeasureDay] = []
        for (i, m) in try r.array("measures").enumerated() {
            measures.append(try .init(json: m, path: .element(path, "measures", i)))
        }
        var conversions: [AggregatePayload.ConversionPair] = []
        for (i, c) in try r.array("conversions").enumerated() {
            conversions.append(try .init(json: c, path: .element(path, "conversions", i)))
        }
        var spending: [AggregatePayload.SpendingCell] = []
        for (i, s) in try r.array("spending").enumerated() {
            spending.append(try .init(json: s, path: .element(path, "spending", i)))
        }
        self.init(
            date: try r.string("date"),
            flags: .init(
                publicHoliday: try f.bool("publicHoliday"), schoolHoliday: try f.bool("schoolHoliday"), events: events),
            measures: measures, conversions: conversions, spending: spending)
        (parking, visitorOrigin, dwell) = try Self.readLots(r, path: path)
    }
}

extension AggregatePayload.MeasureDay {
    func jsonValue() -> JSONValue {
        var o: [String: JSONValue] = [
            "measure": .string(measure), "sensors": .array(sensors.map { $0.jsonValue() }),
            "totalSuppressed": .bool(totalSuppressed),
            "suppressedHours": .array(suppressedHours.map { .number(Double($0)) }),
        ]
        if let total { o["total"] = .number(total) }
        if let hourly { o["hourly"] = .array(hourly.map { JSONValue($0) }) }
        return .object(o)
    }

    init(json: RawJSON, path: JSONPath) throws(FederationError) {
        let r = try JSONObjectReader(
            json, path: path, allowed: ["measure", "sensors", "total", "totalSuppressed", "hourly", "suppressedHours"])
        var sensors: [AggregatePayload.SensorDay] = []
        for (i, s) in try r.array("sensors").enumerated() {
            sensors.append(try .init(json: s, path: .element(path, "sensors", i)))
        }
        var hourly: [Double?]?
        if let h = try r.optionalArray("hourly") {
            var values: [Double?] = []
            values.reserveCapacity(24)
            for v in h {
                switch v {
                case .null: values.append(nil)
                case .number(let d): values.append(d)
                default: throw JSONObjectReader.fail(.member(path, "hourly"), "must hold numbers or null")
                }
            }
            hourly = values
        }
        var suppressedHours: [Int] = []
        for v in try r.array("suppressedHours") {
            guard case .number(let d) = v else {
                throw JSONObjectReader.fail(.member(path, "suppressedHours"), "must hold integers")
            }
            suppressedHours.append(try JSONObjectReader.integer(d, .member(path, "suppressedHours")))
        }
        self.init(
            measure: try r.string("measure"), sensors: sensors, total: try r.optionalDouble("total"),
            totalSuppressed: try r.bool("totalSuppressed"), hourly: hourly, suppressedHours: suppressedHours)
    }
}

extension AggregatePayload.SensorDay {
    func jsonValue() -> JSONValue {
        var o: [String: JSONValue] = [
            "sensor": .string(sensor), "vendorKind": .string(vendorKind), "suppressed": .bool(suppressed),
            "coveredMinutes": .number(Double(coveredMinutes)), "expectedMinutes": .number(Double(expectedMinutes)),
            "uptimeMinutes": .number(Double(uptimeMinutes)), "validHours": .number(Double(validHours)),
        ]
        if let total { o["total"] = .number(total) }
        return .object(o)
    }

    init(json: RawJSON, path: JSONPath) throws(FederationError) {
        let r = try JSONObjectReader(
            json, path: path,
            allowed: [
                "sensor", "vendorKind", "total", "suppressed", "coveredMinutes", "expectedMinutes", "uptimeMinutes",
                "validHours",
            ])
        self.init(
            sensor: try r.string("sensor"), vendorKind: try r.string("vendorKind"),
            total: try r.optionalDouble("total"),
            suppressed: try r.bool("suppressed"), coveredMinutes: try r.int("coveredMinutes"),
            expectedMinutes: try r.int("expectedMinutes"), uptimeMinutes: try r.int("uptimeMinutes"),
            validHours: try r.int("validHours"))
    }
}

extension AggregatePayload.ConversionPair {
    func jsonValue() -> JSONValue {
        var o: [String: JSONValue] = [
            "door": .string(door), "street": .string(street), "suppressed": .bool(suppressed),
        ]
        if let entries { o["entries"] = .number(entries) }
        if let passersBy { o["passersBy"] = .number(passersBy) }
        return .object(o)
    }

    init(json: RawJSON, path: JSONPath) throws(FederationError) {
        let r = try JSONObjectReader(
            json, path: path, allowed: ["door", "street", "entries", "passersBy", "suppressed"])
        self.init(
            door: try r.string("door"), street: try r.string("street"), entries: try r.optionalDouble("entries"),
            passersBy: try r.optionalDouble("passersBy"), suppressed: try r.bool("suppressed"))
    }
}

extension AggregatePayload.SpendingCell {
    func jsonValue() -> JSONValue {
        var o: [String: JSONValue] = ["sector": .string(sector), "suppressed": .bool(suppressed)]
        if let transactions { o["transactions"] = .number(Double(transactions)) }
        if let buyers { o["buyers"] = .number(Double(buyers)) }
        if let valueCents { o["valueCents"] = .number(Double(valueCents)) }
        return .object(o)
    }

    init(json: RawJSON, path: JSONPath) throws(FederationError) {
        let r = try JSONObjectReader(
            json, path: path, allowed: ["sector", "transactions", "buyers", "valueCents", "suppressed"])
        self.init(
            sector: try r.string("sector"), transactions: try r.optionalInt("transactions"),
            buyers: try r.optionalInt("buyers"),
            valueCents: try r.optionalInt("valueCents"), suppressed: try r.bool("suppressed"))
    }
}
