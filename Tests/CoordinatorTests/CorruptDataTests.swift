@testable import Coordinator
import Federation
import Foundation
import Testing

/// Data changed behind the coordinator's back (a hand edit, a bad restore) is an error naming the
/// column, never a default that changes what the coordinator decides or signs.
@Suite struct CorruptDataTests {
    static let hash = Array(repeating: UInt8(7), count: 32)

    /// `sql` on the tokens table past PostgreSQL's forced row-level security (the owner may lift
    /// it for the statement); SQLite has none. Both read the same SQL otherwise.
    static func behindRowSecurity(_ sql: String, _ backend: StoreBackend, table: String = "tokens") -> String {
        backend == .postgres
            ? "ALTER TABLE \(table) NO FORCE ROW LEVEL SECURITY; \(sql); ALTER TABLE \(table) FORCE ROW LEVEL SECURITY"
            : sql
    }

    func revokedToken(_ storage: BackendStore) throws {
        let now = Date(timeIntervalSince1970: 1_795_413_600)
        try storage.store.addTenant(Tenant(id: "daks", name: "DAKS"))
        try storage.store.addToken(TokenRecord(id: "t1", hash: Self.hash, role: .town, tenantID: "daks", townID: "harelbeke",
                                               createdAt: now, expiresAt: now.addingTimeInterval(86400)))
        try storage.store.revokeToken(id: "t1", at: now)
        #expect(try storage.store.token(hash: Self.hash)?.revokedAt == now)
    }

    /// A revocation whose instant no longer parses must not read as "not revoked".
    @Test(arguments: StoreBackend.available) func aCorruptRevocationIsAnErrorNotARevival(_ backend: StoreBackend) throws {
        let storage = try BackendStore(backend)
        try revokedToken(storage)
        try storage.executeBehindTheStore(Self.behindRowSecurity("UPDATE tokens SET revoked_at = 'yesterday'", backend))
        let error = try #require(throws: CoordinatorError.self) { try storage.store.token(hash: Self.hash) }
        #expect(error.code == .storage)
        #expect(error.message.contains("tokens.revoked_at 'yesterday' is not a timestamp"), "\(error.message)")
    }

    /// A token's expiry that no longer parses is an error, not an expiry in the distant past.
    @Test(arguments: StoreBackend.available) func aCorruptExpiryIsAnError(_ backend: StoreBackend) throws {
        let storage = try BackendStore(backend)
        try revokedToken(storage)
        try storage.executeBehindTheStore(Self.behindRowSecurity("UPDATE tokens SET expires_at = '20270101'", backend))
        let error = try #require(throws: CoordinatorError.self) { try storage.store.token(hash: Self.hash) }
        #expect(error.message.contains("tokens.expires_at '20270101' is not a timestamp"), "\(error.message)")
    }

    /// A tenant's peer naming that is no longer one of the known values must not read as
    /// "anonymised" (it decides how every report names the peers).
    @Test(arguments: StoreBackend.available) func aCorruptPeerNamingIsAnError(_ backend: StoreBackend) throws {
        let storage = try BackendStore(backend)
        try storage.store.addTenant(Tenant(id: "daks", name: "DAKS", peerNaming: .named))
        try storage.executeBehindTheStore(Self.behindRowSecurity("UPDATE tenants SET peer_naming = 'nicknames'", backend, table: "tenants"))
        let error = try #require(throws: CoordinatorError.self) { try storage.store.tenant(.administrative("daks")) }
        #expect(error.code == .storage)
        #expect(error.message.contains("tenants.peer_naming 'nicknames' is no peer naming"), "\(error.message)")
    }

    /// A token whose stored role is unknown is damaged data, not a token that does not exist.
    @Test(arguments: StoreBackend.available) func aCorruptRoleIsAnError(_ backend: StoreBackend) throws {
        let storage = try BackendStore(backend)
        try revokedToken(storage)
        try storage.executeBehindTheStore(Self.behindRowSecurity("UPDATE tokens SET role = 'mayor'", backend))
        let error = try #require(throws: CoordinatorError.self) { try storage.store.token(hash: Self.hash) }
        #expect(error.code == .storage)
        #expect(error.message.contains("tokens.role 'mayor' is no role"), "\(error.message)")
    }

    /// A negative stored tree size is a storage error, not a crash of the coordinator (SQLite
    /// only: PostgreSQL's schema has `CHECK (tree_size >= 0)`).
    @Test func aNegativeTreeSizeIsAnError() throws {
        let storage = try BackendStore(.sqlite)
        try storage.store.addTenant(Tenant(id: "daks", name: "DAKS"))
        try storage.executeBehindTheStore("""
            INSERT INTO checkpoints (tenant_id, tree_size, root_hash, origin, note, verifier_key, signed_at)
            VALUES ('daks', -1, x'00', 'o', 'n', 'v', '2026-11-30T00:00:00Z')
            """)
        let error = try #require(throws: CoordinatorError.self) { try storage.store.storedCheckpoint(treeSize: nil, .administrative("daks")) }
        #expect(error.code == .storage)
        #expect(error.message.contains("tree_size '-1' is negative"), "\(error.message)")
    }

    /// A retired key without its successor is damaged data, not a key retired in favour of "".
    @Test(arguments: StoreBackend.available) func aRetiredKeyWithoutSuccessorIsAnError(_ backend: StoreBackend) throws {
        let storage = try BackendStore(backend)
        let scope = TenantScope.administrative("daks")
        try storage.store.addTenant(Tenant(id: "daks", name: "DAKS"))
        try storage.store.addTown(Town(id: "veurne", name: "Veurne"), scope)
        let key = try Ed25519.PrivateKey().publicKey
        try storage.store.enrol(KeyRecord(keyID: key.keyID, publicKey: key, tenantID: "daks", townID: "veurne",
                                          enrolledAt: Date(timeIntervalSince1970: 1_795_413_600)), scope)
        try storage.executeBehindTheStore(Self.behindRowSecurity(
            "UPDATE keys SET status = 'retired', status_at = '2026-11-30T00:00:00Z', successor = NULL", backend, table: "keys"))
        let error = try #require(throws: CoordinatorError.self) { try storage.store.keyRecord(id: key.keyID, scope) }
        #expect(error.code == .storage)
        #expect(error.message.contains("keys.successor"), "\(error.message)")
    }
}
