import Federation
import Foundation
@testable import Node
import Storage
import TestSupport

/// A node in a temporary directory with the standard test sensors, plus helpers to write input
/// files and to snapshot every table (to prove a failed import changed nothing).
struct NodeFixture {
    let dir: URL
    let store: NodeStore

    static let sensorsCSV = """
        sensor,zone,zone_kind,kind,vendor,paired_street_sensor,latitude,longitude,installed,removed
        ped-markt,markt,market-square,pedestrian,crowdscan,,50.85,3.31,2024-01-01,
        ped-straat,winkelstraat,core-shopping,pedestrian,crowdscan,,,,,
        door-1,winkelstraat,core-shopping,entries,retailfactory,ped-straat,,,,
        telraam-348917,invalsweg,access-road,vehicle,telraam,,,,,

        """

    init(in dir: URL, town: String = "harelbeke", sensors: Bool = true) throws {
        self.dir = dir
        store = try NodeStore.create(in: dir.appendingPathComponent("node"), town: town, tenant: "daks")
        if sensors { _ = try store.importSensors(try write("sensors.csv", Self.sensorsCSV)) }
    }

    /// Writes `text` to a file in the fixture directory and returns its path.
    func write(_ name: String, _ text: String) throws -> String {
        try write(name, Data(text.utf8))
    }

    func write(_ name: String, _ data: Data) throws -> String {
        let url = dir.appendingPathComponent(name)
        try data.write(to: url)
        return url.path
    }

    /// Every row of every data table, in key order.
    func snapshot() throws -> [String: [Row]] {
        var tables: [String: [Row]] = [:]
        for table in ["zones", "sensors", "counts", "daily", "hourly", "spending", "events", "school_holidays"] {
            tables[table] = try store.db.query("SELECT * FROM \(table) ORDER BY 1, 2, 3")
        }
        return tables
    }

    func query(_ sql: String, _ bindings: [SQLValue] = []) throws -> [Row] {
        try store.db.query(sql, bindings)
    }

    /// UTC epoch seconds of an ISO timestamp with offset.
    static func epoch(_ iso: String) -> Int64 {
        let formatter = ISO8601DateFormatter()
        return Int64(formatter.date(from: iso)!.timeIntervalSince1970)
    }
}

extension NodeStore {
    /// Sets the default network's coordinator (`URL` text), pinned key (hex) or token, as
    /// `configure` does.
    func configureDefault(coordinator: String? = nil, key: String? = nil, token: String? = nil) throws {
        var change = NetworkChange()
        change.coordinator = coordinator.flatMap { URL(string: $0) }
        change.coordinatorKey = try key.map { try NodeStore.coordinatorKey($0) }
        change.token = token
        try configureNetwork(try defaultNetwork().name, change)
    }

    /// The default network's coordinator URL text, if set.
    func defaultCoordinator() throws -> String? { try defaultNetwork().coordinator?.absoluteString }

    /// The default network's pinned key, if any.
    func defaultPinnedKey() throws -> Ed25519.PublicKey? { try? pinnedKey(of: try defaultNetwork()) }
}
