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
    static func behindRowSecurity(_ sql: String, _ backend: StoreBackend) -> String {
        backend == .postgres
            ? "ALTER TABLE tokens NO FORCE ROW LEVEL SECURITY; \(sql); ALTER TABLE tokens FORCE ROW LEVEL SECURITY"
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
}
