// The second net: PostgreSQL's row-level security refuses cross-tenant access even when a query
// forgets its tenant. These tests bypass PostgresCoordinatorStore's scoping with raw SQL on the
// same (non-superuser, table-owning) role the store uses.
@testable import Coordinator
import Federation
import Foundation
import Indicators
import PostgreSQL
import Testing
import TestSupport

@Suite("PostgreSQL row-level security", .enabled(if: PostgresTestServer.isAvailable, PostgresTestServer.skipComment))
struct PostgresRowLevelSecurityTests {
    static let a = Fixture.tenantA
    static let b = Fixture.tenantB

    /// A fixture with one accepted submission in each tenant, and a raw connection to its schema.
    static func populated() throws -> (BackendFixture, PostgresConnection) {
        let fixture = try BackendFixture(.postgres)
        for (tenant, town) in [(a, "veurne"), (b, "ronse")] {
            let response = try fixture.submit(tenant, try fixture.envelope(tenant, town, sequence: 1, [
                DayData(date: "2026-11-02", sensors: [("a", 100)]),
            ]))
            #expect(response.status == 202, "\(response.bodyText)")
        }
        let raw = try PostgresConnection(url: try PostgresTestServer.url(schema: try #require(fixture.storage.schema)))
        return (fixture, raw)
    }

    @Test("the store's role is an ordinary role that owns the tables, and every table has ENABLE and FORCE row-level security")
    func setup() throws {
        let (fixture, raw) = try Self.populated()
        defer { raw.close() }
        let schema = try #require(fixture.storage.schema)
        let role = try raw.query("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")[0]
        #expect(try role.bool(0) == false)
        #expect(try role.bool(1) == false)
        let tables = try raw.query("""
            SELECT c.relname::text, c.relrowsecurity, c.relforcerowsecurity, pg_get_userbyid(c.relowner) = current_user
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relkind = 'r' AND c.relname <> 'schema_migrations' ORDER BY 1
            """, [.text(schema)])
        #expect(tables.map { $0.optionalString(0) ?? "" } == PostgresCoordinatorSchema.allTenantTables.sorted())
        for table in tables {
            #expect(try table.bool(1), "\(table.optionalString(0) ?? "") has no ROW LEVEL SECURITY")
            #expect(try table.bool(2), "\(table.optionalString(0) ?? "") has no FORCE ROW LEVEL SECURITY")
            #expect(try table.bool(3), "\(table.optionalString(0) ?? "") is not owned by the store's role: FORCE would not be what protects it")
        }
    }

    @Test("without a tenant setting no row is visible, though the rows exist")
    func noTenantNoRows() throws {
        let (fixture, raw) = try Self.populated()
        defer { raw.close() }
        #expect(try fixture.store.submissionCount(.administrative(Self.a)) == 1)
        #expect(try fixture.store.submissionCount(.administrative(Self.b)) == 1)
        for table in PostgresCoordinatorSchema.allTenantTables {
            // Table names are ours (a fixed list), not data.
            #expect(try raw.query("SELECT count(*) FROM \(table)")[0].int(0) == 0, "\(table) leaked rows without a tenant")
        }
    }

    @Test("with tenant A set, queries that forget the tenant see only A, and B's rows cannot be read, changed or deleted")
    func unscopedQueriesStayInTheTenant() throws {
        let (fixture, raw) = try Self.populated()
        defer { raw.close() }
        try raw.transaction {
            try raw.query("SELECT set_config('townbench.tenant', $1, true)", [.text(Self.a)])
            // No WHERE tenant_id: the data-access layer's scoping is bypassed.
            #expect(try raw.query("SELECT DISTINCT tenant_id FROM submissions").map { try $0.string(0) } == [Self.a])
            #expect(try raw.query("SELECT DISTINCT town_id FROM sensor_days").map { try $0.string(0) } == ["veurne"])
            #expect(try raw.query("SELECT tenant_id FROM tenants").map { try $0.string(0) } == [Self.a])
            #expect(try raw.query("SELECT count(*) FROM tokens WHERE tenant_id = $1", [.text(Self.b)])[0].int(0) == 0)
            #expect(try raw.query("SELECT count(*) FROM submissions WHERE tenant_id = $1", [.text(Self.b)])[0].int(0) == 0)
            #expect(try raw.run("UPDATE submissions SET accepted_at = 'tampered' WHERE tenant_id = $1", [.text(Self.b)]) == 0)
            #expect(try raw.run("DELETE FROM current_cells WHERE tenant_id = $1", [.text(Self.b)]) == 0)
            #expect(try raw.run("UPDATE keys SET status = 'revoked'") == 3)  // A's three towns' keys only
        }
        // Writing a row of B, or moving A's row into B, is refused by the policies' WITH CHECK.
        for sql in ["INSERT INTO towns (tenant_id, town_id, name, created_at) VALUES ($1, 'intruder', 'x', 'now')",
                    "UPDATE towns SET tenant_id = $1 WHERE town_id = 'veurne'"] {
            let error = try #require(throws: PostgresError.self) {
                try raw.transaction {
                    try raw.query("SELECT set_config('townbench.tenant', $1, true)", [.text(Self.a)])
                    try raw.run(sql, [.text(Self.b)])
                }
            }
            #expect(error.code == .insufficientPrivilege, "\(sql)")
            #expect(error.message.contains("row-level security"), "\(error.message)")
        }
        // B is untouched, as seen through the store.
        let scopeB = TenantScope.administrative(Self.b)
        #expect(try fixture.store.submissions(town: "ronse", scopeB).map(\.receipt.acceptedAt).allSatisfy { $0 != "tampered" })
        let day = try DayNumber(iso: "2026-11-02").rawValue
        #expect(try fixture.store.sensorDays(measure: "pedestrians", days: day...day, scopeB).map(\.total) == [100])
        #expect(try fixture.store.towns(scopeB).map(\.id) == Fixture.townsB.sorted())
        #expect(try fixture.store.keys(town: "ronse", scopeB).allSatisfy { $0.status == .active })
        // The tenant setting was transaction-local: the next transaction sees nothing again.
        #expect(try raw.query("SELECT count(*) FROM submissions")[0].int(0) == 0)
    }

    @Test("a token is reachable without a tenant only by its exact hash or id")
    func tokenPolicies() throws {
        let (fixture, raw) = try Self.populated()
        defer { raw.close() }
        let (_, record) = try BearerToken.issue(role: .town, tenantID: Self.b, townID: "ronse", expiresAt: Date().addingTimeInterval(60))
        try fixture.store.addToken(record)
        let byHash = try raw.transaction {
            try raw.query("SELECT set_config('townbench.token_hash', $1, true)", [.text(Hex.encode(record.hash))])
            return try raw.query("SELECT token_id FROM tokens").map { try $0.string(0) }
        }
        #expect(byHash == [record.id])
        let byID = try raw.transaction {
            try raw.query("SELECT set_config('townbench.token_id', $1, true)", [.text(record.id)])
            return try raw.query("SELECT token_id FROM tokens").map { try $0.string(0) }
        }
        #expect(byID == [record.id])
        // Knowing one token's id does not open the others.
        let others = try raw.transaction {
            try raw.query("SELECT set_config('townbench.token_id', $1, true)", [.text(record.id)])
            return try raw.query("SELECT count(*) FROM tokens WHERE token_id <> $1", [.text(record.id)])[0].int(0)
        }
        #expect(others == 0)
    }

    @Test("the store refuses to run as a superuser, which row-level security would not bind")
    func refusesSuperuser() throws {
        let url = try #require(ProcessInfo.processInfo.environment["TOWNBENCH_TEST_POSTGRES_SUPERUSER_URL"],
                               "TOWNBENCH_TEST_POSTGRES_SUPERUSER_URL is not set (deploy/postgres-test-server.sh exports it)")
        let error = try #require(throws: CoordinatorError.self) {
            try PostgresCoordinatorStore(url: url, schema: PostgresTestServer.newSchemaName())
        }
        #expect(error.code == .invalidArgument)
        #expect(error.message.contains("BYPASSRLS"))
        #expect(error.message.contains("NOSUPERUSER"))
        #expect(!error.message.contains(url.split(separator: ":")[2].split(separator: "@")[0]))  // no password
    }
}
