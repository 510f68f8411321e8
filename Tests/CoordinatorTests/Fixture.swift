// A live coordinator on port 0 with two tenants, towns, keys and tokens, and payload builders.
@testable import Coordinator
import Federation
import Foundation
import HTTPServer
import Testing
import TestSupport

/// The RFC 8032 TEST 1 seed (the key of the Federation vectors' oostkamp).
let test1Seed = Hex.decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")!

/// A pseudonymous sensor id for tests (32 hex).
func sensorID(_ name: String) -> String { Hex.encode(SHA256.hash(Array(name.utf8)).prefix(16)) }

struct DayData {
    var date: String
    var sensors: [(name: String, total: Double?)]
    var events: [AggregatePayload.Event] = []
    var zone = "centrum"
}

/// A signed aggregate envelope: pedestrians per sensor and day, valid full-day interval counters.
func envelope(tenant: String, town: String, key: Ed25519.PrivateKey, sequence: Int, days: [DayData],
              submissionID: String? = nil, createdAt: Date = Date()) throws -> [UInt8] {
    let dates = days.map(\.date).sorted()
    var zones: [String: [AggregatePayload.Day]] = [:]
    for day in days {
        let sensors = day.sensors.map {
            AggregatePayload.SensorDay(sensor: sensorID(town + "/" + $0.name), vendorKind: "crowdscan", total: $0.total,
                                       coveredMinutes: 1440, expectedMinutes: 1440, uptimeMinutes: 1440, validHours: 24)
        }
        let total = day.sensors.compactMap(\.total).reduce(0, +)
        zones[day.zone, default: []].append(AggregatePayload.Day(
            date: day.date, flags: .init(publicHoliday: false, schoolHoliday: false, events: day.events),
            measures: [.init(measure: "pedestrians", sensors: sensors, total: total)]))
    }
    let payload = AggregatePayload(
        tenantId: tenant, townId: town, keyId: key.publicKey.keyID, submissionId: try submissionID ?? SubmissionID.random(),
        sequence: sequence, createdAt: Timestamp.format(createdAt), period: .init(from: dates.first ?? "2026-11-01", to: dates.last ?? "2026-11-01"),
        timeZone: "Europe/Brussels", privacy: .standard,
        zones: zones.keys.sorted().map { AggregatePayload.Zone(zoneId: $0, zoneKind: "core_shopping_street", days: zones[$0] ?? []) })
    return try payload.signedEnvelope(with: key).serialized()
}

/// What ``Fixture`` (SQLite, with a coordinator directory) and ``BackendFixture`` (either store)
/// share: a live coordinator on port 0 with tenants A and B, their towns, keys and tokens.
///
/// Why a protocol: the tests that run on both backends take either, and both start from the
/// same network (``seed(peerNaming:withTowns:)``).
protocol LiveCoordinator: AnyObject {
    var coordinatorStore: any CoordinatorStore { get }
    var service: CoordinatorService { get }
    var server: HTTPServer { get }
    var keys: [String: Ed25519.PrivateKey] { get set }
    /// "tenant/role" or "tenant/town:<id>" → token text.
    var tokens: [String: String] { get set }
}

extension LiveCoordinator {
    var port: UInt16 { server.port }

    /// The token issued for `key` ("tenant/role" or "tenant/town:<id>"); fails the test if none was.
    func token(_ key: String) throws -> String { try #require(tokens[key], "the fixture issued no token \(key)") }

    /// Tenants A and B, each with coordinator, admin and auditor tokens and, `withTowns`, three
    /// towns with keys (oostkamp: the RFC 8032 TEST 1 key) and town tokens.
    func seed(peerNaming: PeerNaming, withTowns: Bool) throws {
        for tenant in [Fixture.tenantA, Fixture.tenantB] {
            try coordinatorStore.addTenant(Tenant(id: tenant, name: tenant, peerNaming: peerNaming))
            for role in [Role.coordinator, .admin, .auditor] {
                let (token, record) = try BearerToken.issue(role: role, tenantID: tenant, townID: nil, expiresAt: Date().addingTimeInterval(3600))
                try coordinatorStore.addToken(record)
                tokens["\(tenant)/\(role.rawValue)"] = token
            }
        }
        guard withTowns else { return }
        for (tenant, towns) in [(Fixture.tenantA, Fixture.townsA), (Fixture.tenantB, Fixture.townsB)] {
            for town in towns {
                let key = town == "oostkamp" ? try Ed25519.PrivateKey(seed: test1Seed) : try Ed25519.PrivateKey()
                try addTown(town, tenant: tenant, key: key)
            }
        }
    }

    func addTown(_ town: String, tenant: String, key: Ed25519.PrivateKey) throws {
        let scope = TenantScope.administrative(tenant)
        try coordinatorStore.addTown(Town(id: town, name: town.capitalized), scope)
        try coordinatorStore.enrol(KeyRecord(keyID: key.publicKey.keyID, publicKey: key.publicKey, tenantID: tenant, townID: town,
                                             enrolledAt: Date(timeIntervalSince1970: 0)), scope)
        keys["\(tenant)/\(town)"] = key
        let (token, record) = try BearerToken.issue(role: .town, tenantID: tenant, townID: town, expiresAt: Date().addingTimeInterval(3600))
        try coordinatorStore.addToken(record)
        tokens["\(tenant)/town:\(town)"] = token
    }

    func submit(_ tenant: String, _ bytes: [UInt8]) throws -> RawResponse {
        try http(port, "POST", "/v1/tenants/\(tenant)/submissions", body: bytes)
    }
}

/// A coordinator with its own store in a temp directory and a live server on port 0.
final class Fixture: LiveCoordinator {
    static let tenantA = "daks-west-flanders"
    static let tenantB = "lokaal-3d"
    static let townsA = ["oostkamp", "veurne", "diksmuide"]
    static let townsB = ["dendermonde", "ronse", "lokeren"]

    let directory: URL
    let store: SQLiteCoordinatorStore
    let service: CoordinatorService
    let server: HTTPServer
    var keys: [String: Ed25519.PrivateKey] = [:]
    var tokens: [String: String] = [:]
    var coordinatorStore: any CoordinatorStore { store }

    init(clock: Date? = nil, peerNaming: PeerNaming = .anonymised, maxBodySize: Int = 1 << 20,
         connectionTimeout: Duration = .seconds(30), withTowns: Bool = true) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("townbench-coord-\(UUID().uuidString)")
        let dir = try CoordinatorDirectory.create(at: directory)
        store = try dir.openStore()
        let fixed = clock
        service = try CoordinatorService(store: store, signingKey: try dir.signingKey(), clock: { fixed ?? Date() })
        server = service.makeServer(configuration: .init(port: 0, threadPoolSize: 8, connectionTimeout: connectionTimeout,
                                                         maxBodySize: maxBodySize), accessLog: .disabled)
        try seed(peerNaming: peerNaming, withTowns: withTowns)
        try server.start()
    }

    deinit {
        server.shutdown(gracePeriod: .seconds(1))
        service.stop()
        #expect(throws: Never.self) { try store.close() }
        try? FileManager.default.removeItem(at: directory)
    }
}
