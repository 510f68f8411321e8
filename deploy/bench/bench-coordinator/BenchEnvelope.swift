// The benchmark's network and submissions.
import Coordinator
import Federation
import Foundation

/// A new coordinator directory with tenant `bench` and `towns` enrolled towns `town-0…`; returns
/// the open store and each town's key.
func benchNetwork(at directory: URL, towns: Int) throws -> (CoordinatorDirectory, SQLiteCoordinatorStore, [Ed25519.PrivateKey]) {
    let dir = try CoordinatorDirectory.create(at: directory)
    let store = try dir.openStore()
    try store.addTenant(Tenant(id: benchTenant, name: "Benchmark network"))
    let scope = TenantScope.administrative(benchTenant)
    var keys: [Ed25519.PrivateKey] = []
    for t in 0..<towns {
        let key = try Ed25519.PrivateKey()
        try store.addTown(Town(id: "town-\(t)", name: "Town \(t)"), scope)
        try store.enrol(KeyRecord(keyID: key.publicKey.keyID, publicKey: key.publicKey, tenantID: benchTenant, townID: "town-\(t)",
                                  enrolledAt: Date()), scope)
        keys.append(key)
    }
    return (dir, store, keys)
}

let benchTenant = "bench"

/// The benchmark's submission: one zone, one day, two sensors — a small but complete aggregate
/// (~900 bytes on the wire), distinct per town and sequence.
func benchEnvelope(tenant: String, town: String, key: Ed25519.PrivateKey, sequence: Int, created: String) throws -> [UInt8] {
    let day = CalendarDay.string(fromDayNumber: (CalendarDay.dayNumber("2026-01-01") ?? 0) + (sequence - 1) % 300)
    let sensors = ["a", "b"].map { name in
        AggregatePayload.SensorDay(sensor: Hex.encode(SHA256.hash(Array("\(town)/\(name)".utf8)).prefix(16)), vendorKind: "crowdscan",
                                   total: Double(1000 + sequence), coveredMinutes: 1440, expectedMinutes: 1440, uptimeMinutes: 1440,
                                   validHours: 24)
    }
    let payload = AggregatePayload(
        tenantId: tenant, townId: town, keyId: key.publicKey.keyID, submissionId: try SubmissionID.random(),
        sequence: sequence, createdAt: created, period: .init(from: day, to: day), timeZone: "Europe/Brussels", privacy: .standard,
        zones: [.init(zoneId: "centrum", zoneKind: "core_shopping_street", days: [
            .init(date: day, flags: .init(publicHoliday: false, schoolHoliday: false),
                  measures: [.init(measure: "pedestrians", sensors: sensors, total: Double(2 * (1000 + sequence)))]),
        ])])
    return try payload.signedEnvelope(with: key).serialized()
}
