// The coordinator suite's HTTP checks (MatrixTests, SubmissionTests) over the PostgreSQL store.
// Fixture is SQLite-only, so these are ports onto BackendFixture; the assertions are the same.
@testable import Coordinator
import Federation
import Foundation
import HTTPServer
import Testing
import TestSupport

@Suite("Coordinator suite on PostgreSQL", .enabled(if: PostgresTestServer.isAvailable, PostgresTestServer.skipComment))
struct PostgresSuiteTests {
    static func populated() throws -> BackendFixture {
        let fixture = try BackendFixture(.postgres)
        for (tenant, towns) in [(Fixture.tenantA, Fixture.townsA), (Fixture.tenantB, Fixture.townsB)] {
            for (i, town) in towns.enumerated() {
                let response = try fixture.submit(tenant, try fixture.envelope(tenant, town, sequence: 1, [
                    DayData(date: "2025-11-03", sensors: [("a", 100)]),
                    DayData(date: "2026-11-02", sensors: [("a", Double(90 + 10 * i))]),
                ]))
                #expect(response.status == 202, "\(response.bodyText)")
            }
        }
        return fixture
    }

    @Test("route × role × tenant matrix (as MatrixTests.matrix)")
    func matrix() throws {
        let fixture = try Self.populated()
        let routes = fixture.service.router.routes
        let aTown = "oostkamp"
        let aSecrets = Fixture.townsA + ["Oostkamp", "Veurne", "Diksmuide"]
        let principals: [(name: String, tenant: String, role: Role, token: String)] = try [
            ("A town", Fixture.tenantA, .town, fixture.token("\(Fixture.tenantA)/town:\(aTown)")),
            ("A coordinator", Fixture.tenantA, .coordinator, fixture.token("\(Fixture.tenantA)/coordinator")),
            ("A admin", Fixture.tenantA, .admin, fixture.token("\(Fixture.tenantA)/admin")),
            ("A auditor", Fixture.tenantA, .auditor, fixture.token("\(Fixture.tenantA)/auditor")),
            ("B town", Fixture.tenantB, .town, fixture.token("\(Fixture.tenantB)/town:dendermonde")),
            ("B coordinator", Fixture.tenantB, .coordinator, fixture.token("\(Fixture.tenantB)/coordinator")),
            ("B admin", Fixture.tenantB, .admin, fixture.token("\(Fixture.tenantB)/admin")),
            ("B auditor", Fixture.tenantB, .auditor, fixture.token("\(Fixture.tenantB)/auditor")),
        ]
        // The query each route needs to answer 200 to an admitted role: the log's routes name
        // A town's own submission (by its leaf hash) or a tree size; the others a period.
        let aLeaf = try #require(try fixture.store.logEntries(0..<1, .administrative(Fixture.tenantA)).first)
        #expect(aLeaf.townID == aTown)
        let leafQuery = Base64.encode(Merkle.leafHash(aLeaf.envelope)).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let queries = ["/v1/tenants/{tenant}/log/inclusion": "?leafHash=\(leafQuery)", "/v1/tenants/{tenant}/log/consistency": "?from=1"]
        var dataRoutes = 0
        // The JSON API's routes; browser pages (tag `html`, session login and redirects) are the
        // coordinator's own page tests' business and read the store through the same calls.
        for route in routes where !route.tags.contains("html") {
            let path = try #require(route.path(with: ["tenant": Fixture.tenantA, "town": aTown]))
            let query = queries[route.pattern] ?? "?period=2026-11"
            let target = path + query
            if route.tags.contains("public") {
                #expect(try http(fixture.port, route.method.rawValue, target).status == 200, "\(route.pattern)")
                continue
            }
            if route.tags.contains("submission") {
                let bKey = try #require(fixture.keys["\(Fixture.tenantB)/ronse"])
                let foreign = try makeEnvelope(tenant: Fixture.tenantA, town: "ronse", key: bKey, sequence: 9,
                                               days: [DayData(date: "2026-11-02", sensors: [("a", 1)])])
                let response = try http(fixture.port, "POST", path, body: foreign)
                #expect((400..<500).contains(response.status), "\(route.pattern): \(response.bodyText)")
                for secret in aSecrets { #expect(!response.bodyText.contains(secret), "\(route.pattern) leaked \(secret)") }
                continue
            }
            dataRoutes += 1
            let admitted = Set(route.tags.compactMap { $0.hasPrefix("role:") ? Role(rawValue: String($0.dropFirst(5))) : nil })
            #expect(try http(fixture.port, route.method.rawValue, target).status == 401, "\(route.pattern)")
            for principal in principals {
                let response = try http(fixture.port, route.method.rawValue, target, token: principal.token)
                if principal.tenant == Fixture.tenantB {
                    #expect(response.status == 404, "\(principal.name) on A's \(route.pattern): \(response.status)")
                    for secret in aSecrets { #expect(!response.bodyText.contains(secret), "\(principal.name) saw \(secret)") }
                } else {
                    let expected = admitted.contains(principal.role) ? 200 : 403
                    #expect(response.status == expected, "\(principal.name) on \(route.pattern): \(response.status) \(response.bodyText)")
                }
                let ghost = try #require(route.path(with: ["tenant": "no-such-tenant", "town": aTown]))
                #expect(try http(fixture.port, route.method.rawValue, ghost + query, token: principal.token).status == 404)
            }
            if route.parameterNames.contains("town") {
                let other = try #require(route.path(with: ["tenant": Fixture.tenantA, "town": "veurne"]))
                let response = try http(fixture.port, route.method.rawValue, other + "?period=2026-11",
                                        token: try fixture.token("\(Fixture.tenantA)/town:\(aTown)"))
                #expect(response.status == 404, "A town on another town's \(route.pattern)")
            }
        }
        #expect(dataRoutes >= 8)
    }

    @Test("expired and revoked tokens are refused with 401 (as MatrixTests.tokenLifecycle)")
    func tokenLifecycle() throws {
        let fixture = try BackendFixture(.postgres, withTowns: false)
        let scope = "/v1/tenants/\(Fixture.tenantA)/towns"
        let (expired, record) = try BearerToken.issue(role: .admin, tenantID: Fixture.tenantA, townID: nil,
                                                      expiresAt: Date().addingTimeInterval(-1))
        try fixture.store.addToken(record)
        #expect(try http(fixture.port, "GET", scope, token: expired).status == 401)
        let (live, liveRecord) = try BearerToken.issue(role: .admin, tenantID: Fixture.tenantA, townID: nil,
                                                       expiresAt: Date().addingTimeInterval(60))
        try fixture.store.addToken(liveRecord)
        #expect(try http(fixture.port, "GET", scope, token: live).status == 200)
        try fixture.store.revokeToken(id: liveRecord.id, at: Date())
        #expect(try http(fixture.port, "GET", scope, token: live).status == 401)
    }

    @Test("every submission vector gets its verdict and documented code (as SubmissionTests.vector)",
          arguments: try Manifest.load().cases)
    func vector(_ testCase: Manifest.Case) throws {
        let manifest = try Manifest.load()
        let tenant = manifest.tenantId
        let earlierRevoked = testCase.name == "revoked-key-earlier-submission"
        let now = try #require(Timestamp.parse(manifest.now))
        let fixture = try BackendFixture(.postgres, clock: now, withTowns: false)
        let scope = TenantScope.administrative(tenant)
        if try fixture.store.tenant(scope) == nil { try fixture.store.addTenant(Tenant(id: tenant, name: tenant)) }
        for key in manifest.keys {
            try fixture.store.addTown(Town(id: key.townId, name: key.townId), scope)
            let publicKey = try Ed25519.PublicKey(rawRepresentation: try #require(Hex.decode(key.publicKey)))
            var status = KeyRecord.Status.active
            if key.status == "revoked", !earlierRevoked { status = .revoked(at: try #require(key.statusAt.flatMap(Timestamp.parse))) }
            try fixture.store.enrol(KeyRecord(keyID: key.keyId, publicKey: publicKey, tenantID: tenant, townID: key.townId,
                                              enrolledAt: .distantPast, status: status), scope)
        }
        let bytes = try Manifest.bytes(testCase.file)
        if testCase.existingPayloadDigest != nil {
            let first = try fixture.submit(tenant, earlierRevoked ? bytes : try Manifest.bytes("envelopes/accepted.json"))
            #expect(first.status == 202, "\(first.bodyText)")
            if earlierRevoked {
                let key = try #require(manifest.keys.first { $0.status == "revoked" })
                let record = try #require(try fixture.store.keyRecord(id: key.keyId, scope))
                try fixture.store.updateKey(record.revoked(at: try #require(key.statusAt.flatMap(Timestamp.parse))), scope)
            }
        } else if let last = testCase.lastSequence {
            let key = try Ed25519.PrivateKey(seed: test1Seed)
            let seed = try envelope(tenant: tenant, town: "oostkamp", key: key, sequence: last,
                                    days: [DayData(date: "2026-11-20", sensors: [("a", 100)])], createdAt: now)
            #expect(try fixture.submit(tenant, seed).status == 202)
        }
        let response = try fixture.submit(tenant, bytes)
        switch testCase.expect {
        case "accepted":
            #expect(response.status == 202, "\(response.bodyText)")
            let receipt = try #require(response.json?["receipt"] as? [String: Any])
            #expect(receipt["digest"] as? String == "sha256:" + Hex.encode(SHA256.hash(bytes)))
            let retry = try fixture.submit(tenant, bytes)
            #expect(retry.status == 200)
            #expect(retry.json?["receipt"] as? [String: String] == receipt as? [String: String])
        case "duplicate":
            #expect(response.status == 200, "\(response.bodyText)")
            #expect(try fixture.store.submissionCount(scope) == 1)
        default:
            #expect((400..<500).contains(response.status), "\(response.bodyText)")
            #expect(response.errorCode == testCase.reason, "\(response.bodyText)")
            #expect(response.status == SubmissionStatus.status(for: try #require(RefusalReason(code: testCase.reason ?? ""))).rawValue)
        }
        #expect(try http(fixture.port, "GET", "/healthz").status == 200)
    }
}
