@testable import Coordinator
import Federation
import Foundation
import HTTPServer
import Testing
import TestSupport

/// Route × role × tenant, generated from the router's own table: a new route cannot skip it.
@Suite("Tenant isolation matrix")
struct MatrixTests {
    /// Tenant A and B with three towns each, data submitted for every town.
    static func populated(_ backend: StoreBackend = .sqlite) throws -> BackendFixture {
        let fixture = try BackendFixture(backend)
        for (tenant, towns) in [(Fixture.tenantA, Fixture.townsA), (Fixture.tenantB, Fixture.townsB)] {
            for (i, town) in towns.enumerated() {
                let key = try #require(fixture.keys["\(tenant)/\(town)"])
                let body = try envelope(tenant: tenant, town: town, key: key, sequence: 1, days: [
                    DayData(date: "2025-11-03", sensors: [("a", 100)]),
                    DayData(date: "2026-11-02", sensors: [("a", Double(90 + 10 * i))]),
                ])
                let response = try fixture.submit(tenant, body)
                #expect(response.status == 202, "\(response.bodyText)")
            }
        }
        return fixture
    }

    @Test("every route is classified, and each data route answers each role of A and of B as it must",
          arguments: StoreBackend.available)
    func matrix(_ backend: StoreBackend) throws {
        let fixture = try Self.populated(backend)
        let routes = fixture.service.router.routes
        #expect(routes.count >= 9)
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
        // A town's own submission (by its leaf hash) or a tree size; the calibration a town and zone; the others a period.
        let aLeaf = try #require(try fixture.store.logEntries(0..<1, .administrative(Fixture.tenantA)).first)
        #expect(aLeaf.townID == aTown)
        let leafQuery = Base64.encode(Merkle.leafHash(aLeaf.envelope)).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let queries = ["/v1/tenants/{tenant}/log/inclusion": "?leafHash=\(leafQuery)", "/v1/tenants/{tenant}/log/consistency": "?from=1",
                       "/v1/tenants/{tenant}/calibration": "?town=\(aTown)&zone=centrum&period=2026-11"]
        var dataRoutes = 0
        for route in routes {
            let classes = route.tags.intersection(["public", "submission", "data", "session", "page"])
            #expect(classes.count == 1, "route \(route.method) \(route.pattern) must be tagged public, submission, data, session or page")
            // `file`: a table every report page has (the table downloads beside the pages).
            let path = try #require(route.path(with: ["tenant": Fixture.tenantA, "town": aTown, "file": "coverage.csv"]))
            let query = queries[route.pattern] ?? "?period=2026-11"
            let target = path + query
            if route.tags.contains("public") {
                #expect(try http(fixture.port, route.method.rawValue, target).status == 200, "\(route.pattern)")
                continue
            }
            if route.tags.contains("submission") {
                // A's endpoint with an envelope of B's town: B's key is unknown in A.
                let bKey = try #require(fixture.keys["\(Fixture.tenantB)/ronse"])
                let foreign = try envelope(tenant: Fixture.tenantA, town: "ronse", key: bKey, sequence: 9,
                                           days: [DayData(date: "2026-11-02", sensors: [("a", 1)])])
                let response = try http(fixture.port, "POST", path, body: foreign)
                // Every signature-authenticated route refuses it without telling anything of A.
                #expect((400..<500).contains(response.status), "\(route.pattern): \(response.bodyText)")
                for secret in aSecrets { #expect(!response.bodyText.contains(secret), "\(route.pattern) leaked \(secret)") }
                if route.pattern.hasSuffix("/submissions") {
                    #expect(response.status == 403 && response.errorCode == "unknown_key", "\(response.bodyText)")
                }
                continue
            }
            if route.tags.contains("session") {
                // Login and logout (HTML): without a form, the login form again (401) or the redirect to it.
                let response = try http(fixture.port, route.method.rawValue, path)
                #expect([303, 401].contains(response.status), "\(route.pattern): \(response.status)")
                for secret in aSecrets { #expect(!response.bodyText.contains(secret), "\(route.pattern) leaked \(secret)") }
                continue
            }
            // `data` (JSON API) and `page` (HTML report pages) routes: scoped alike; a page without
            // credentials redirects (303) to the login form instead of answering 401.
            dataRoutes += 1
            let admitted = Set(route.tags.compactMap { $0.hasPrefix("role:") ? Role(rawValue: String($0.dropFirst(5))) : nil })
            #expect(!admitted.isEmpty, "\(route.pattern) admits no role")
            // Without a token: 401.
            #expect(try http(fixture.port, route.method.rawValue, target).status == (route.tags.contains("page") ? 303 : 401), "\(route.pattern)")
            for principal in principals {
                let response = try http(fixture.port, route.method.rawValue, target, token: principal.token)
                if principal.tenant == Fixture.tenantB {
                    #expect(response.status == 404, "\(principal.name) on A's \(route.pattern): \(response.status)")
                    for secret in aSecrets { #expect(!response.bodyText.contains(secret), "\(principal.name) saw \(secret)") }
                } else {
                    let expected = admitted.contains(principal.role) ? 200 : 403
                    #expect(response.status == expected, "\(principal.name) on \(route.pattern): \(response.status) \(response.bodyText)")
                }
                // The same principal on a tenant that does not exist: the same 404.
                let ghost = try #require(route.path(with: ["tenant": "no-such-tenant", "town": aTown, "file": "coverage.csv"]))
                #expect(try http(fixture.port, route.method.rawValue, ghost + query, token: principal.token).status == 404)
            }
            // A town of A on another town of A: 404 where the route names a town.
            if route.parameterNames.contains("town") {
                let other = try #require(route.path(with: ["tenant": Fixture.tenantA, "town": "veurne", "file": "coverage.csv"]))
                let response = try http(fixture.port, route.method.rawValue, other + "?period=2026-11",
                                        token: try fixture.token("\(Fixture.tenantA)/town:\(aTown)"))
                #expect(response.status == 404, "A town on another town's \(route.pattern)")
            }
        }
        #expect(dataRoutes >= 8)
    }

    @Test("a town sees its own figures in full and its peers anonymised; a coordinator sees all by name",
          arguments: StoreBackend.available)
    func peerViews(_ backend: StoreBackend) throws {
        let fixture = try Self.populated(backend)
        let townToken = try fixture.token("\(Fixture.tenantA)/town:oostkamp")
        let town = try http(fixture.port, "GET", "/v1/tenants/\(Fixture.tenantA)/indicators?period=2026-11", token: townToken)
        #expect(town.status == 200)
        #expect(town.bodyText.contains("oostkamp"))
        #expect(!town.bodyText.contains("veurne") && !town.bodyText.contains("diksmuide"))
        #expect(town.bodyText.contains("peer-1") && town.bodyText.contains("peer-2"))
        let coordinator = try http(fixture.port, "GET", "/v1/tenants/\(Fixture.tenantA)/indicators?period=2026-11",
                                   token: try fixture.token("\(Fixture.tenantA)/coordinator"))
        for name in Fixture.townsA { #expect(coordinator.bodyText.contains(name)) }
        for name in Fixture.townsB { #expect(!coordinator.bodyText.contains(name)) }
    }

    @Test("expired and revoked tokens are refused with 401", arguments: StoreBackend.available)
    func tokenLifecycle(_ backend: StoreBackend) throws {
        let fixture = try BackendFixture(backend, withTowns: false)
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
        // A token one character off.
        var wrong = Array(live)
        wrong[0] = wrong[0] == "A" ? "B" : "A"
        #expect(try http(fixture.port, "GET", scope, token: String(wrong)).status == 401)
    }
}

@Suite("OpenAPI document")
struct OpenAPITests {
    @Test("Federation/openapi.yaml documents every route of the router and every submission refusal code")
    func documented() throws {
        let text = try String(contentsOf: Repository.root.appendingPathComponent("Federation/openapi.yaml"), encoding: .utf8)
        let fixture = try Fixture(withTowns: false)
        for route in fixture.service.router.routes where !route.tags.contains("html") {  // HTML pages are not API
            #expect(text.contains("\n  \(route.pattern):\n"), "\(route.pattern) is not in openapi.yaml")
            if route.tags.contains("data") {
                let roles = route.tags.filter { $0.hasPrefix("role:") }.map { String($0.dropFirst(5)) }.sorted()
                let documented = text.components(separatedBy: "\n  \(route.pattern):\n")[1].components(separatedBy: "\n  /")[0]
                let line = documented.split(separator: "\n").first { $0.contains("x-roles:") } ?? ""
                let listed = line.split(separator: "[").last?.split(separator: "]").first?
                    .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.sorted() ?? []
                #expect(listed == roles, "\(route.pattern): x-roles \(listed) but the route admits \(roles)")
            }
        }
        let submissions = text.components(separatedBy: "\n  /v1/tenants/{tenant}/submissions:\n")[1].components(separatedBy: "\n  /")[0]
        for reason in RefusalReason.all where reason != .badProofOfPossession {
            let status = SubmissionStatus.status(for: reason).rawValue
            let block = submissions.components(separatedBy: "\"\(status)\":")
            #expect(block.count == 2 && block[1].components(separatedBy: "\n        \"")[0].contains("`\(reason.code)`"),
                    "\(reason.code) is not documented under \(status)")
        }
    }
}
