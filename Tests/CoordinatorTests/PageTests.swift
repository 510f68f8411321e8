// The report pages: login, logout and the session cookie; the region and town pages per role and
// tenant; the figures on the pages against hand-computed values; one page through headless Chromium.
@testable import Coordinator
import Federation
import Foundation
import HTTPServer
import Indicators
import Reports
import Testing
import TestSupport

@Suite("Report pages")
struct PageTests {
    static let a = Fixture.tenantA
    static let b = Fixture.tenantB

    /// Tenant A: oostkamp 1234 against 1000 a year earlier (index 123.4), veurne 900 (90.0),
    /// diksmuide 1050 (105.0); network median 105.0. Tenant B: every town 500 against 1000 (50.0).
    static func populated() throws -> Fixture {
        let fixture = try Fixture()
        let values: [String: Double] = ["oostkamp": 1234, "veurne": 900, "diksmuide": 1050, "dendermonde": 500, "ronse": 500, "lokeren": 500]
        for (tenant, towns) in [(a, Fixture.townsA), (b, Fixture.townsB)] {
            for town in towns {
                let key = try #require(fixture.keys["\(tenant)/\(town)"])
                let body = try envelope(tenant: tenant, town: town, key: key, sequence: 1, days: [
                    DayData(date: "2025-11-03", sensors: [("a", 1000)]),
                    DayData(date: "2026-11-02", sensors: [("a", try #require(values[town] as Double?))]),
                ])
                let response = try fixture.submit(tenant, body)
                #expect(response.status == 202, "\(response.bodyText)")
            }
        }
        return fixture
    }

    static func form(_ fields: [(String, String)]) -> [UInt8] {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return Array(fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&").utf8)
    }

    /// Logs in with `token` and returns the session cookie pair (`name=value`) and the response.
    static func login(_ fixture: some LiveCoordinator, _ token: String, next: String? = nil, headers: [String: String] = [:]) throws
        -> (cookie: String?, response: RawResponse) {
        var fields = [("token", token)]
        if let next { fields.append(("next", next)) }
        let response = try http(fixture.port, "POST", "/login", body: form(fields), headers: headers)
        let cookie = response.headers["set-cookie"].flatMap { $0.split(separator: ";").first.map(String.init) }
        return (cookie, response)
    }

    /// The session cookie of the token stored under `key` in the fixture.
    static func session(_ fixture: Fixture, _ key: String) throws -> String {
        let token = try fixture.token(key)
        let cookie = try login(fixture, token).cookie
        return try #require(cookie)
    }

    static func page(_ fixture: some LiveCoordinator, _ path: String, cookie: String?) throws -> RawResponse {
        try http(fixture.port, "GET", path, headers: cookie.map { ["Cookie": $0] } ?? [:])
    }

    @Test("GET /login serves the form with the page headers")
    func loginForm() throws {
        let fixture = try Fixture(withTowns: false)
        let response = try http(fixture.port, "GET", "/login?next=%2Ftenants%2Fx%2Fregion")
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "text/html; charset=utf-8")
        #expect(response.headers["content-security-policy"] == HTML.contentSecurityPolicy + "; frame-ancestors 'none'")
        #expect(response.headers["x-content-type-options"] == "nosniff")
        #expect(response.headers["cache-control"] == "no-store")
        #expect(response.bodyText.contains("name=\"token\""))
        #expect(response.bodyText.contains("name=\"next\" value=\"/tenants/x/region\""))
        // An off-site next is not echoed into the form.
        let evil = try http(fixture.port, "GET", "/login?next=%2F%2Fevil.example")
        #expect(!evil.bodyText.contains("evil.example"))
    }

    @Test("a good token logs in: 303 to the principal's page, an HttpOnly SameSite=Strict cookie that is not the token")
    func loginSuccess() throws {
        let fixture = try Fixture(withTowns: true)
        let token = try fixture.token("\(Self.a)/coordinator")
        let (cookie, response) = try Self.login(fixture, token)
        #expect(response.status == 303)
        #expect(response.headers["location"] == "/tenants/\(Self.a)/region")
        let setCookie = try #require(response.headers["set-cookie"])
        let attributes = Set(setCookie.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) })
        #expect(attributes.contains("HttpOnly"))
        #expect(attributes.contains("SameSite=Strict"))
        #expect(attributes.contains("Path=/"))
        #expect(attributes.contains { $0.hasPrefix("Max-Age=") && (Int($0.dropFirst(8)) ?? 0) > 0 })
        // Plain HTTP to 127.0.0.1 (the demo): no Secure, so no __Host- prefix.
        #expect(!attributes.contains("Secure"))
        let pair = try #require(cookie)
        #expect(pair.hasPrefix("townbench_session="))
        #expect(!setCookie.contains(token))
        #expect(pair.count > "townbench_session=".count + 40)

        // Behind the TLS proxy: Secure and the __Host- name.
        let (secureCookie, secureResponse) = try Self.login(fixture, token, headers: ["X-Forwarded-Proto": "https"])
        #expect(secureResponse.headers["set-cookie"]?.hasSuffix("; Secure") == true)
        #expect(secureCookie?.hasPrefix("__Host-townbench_session=") == true)

        // A town lands on its own page; a same-origin next wins; an off-site next is ignored.
        let townToken = try fixture.token("\(Self.a)/town:veurne")
        #expect(try Self.login(fixture, townToken).response.headers["location"] == "/tenants/\(Self.a)/towns/veurne")
        #expect(try Self.login(fixture, token, next: "/tenants/\(Self.a)/towns/oostkamp?period=2026-11").response
            .headers["location"] == "/tenants/\(Self.a)/towns/oostkamp?period=2026-11")
        #expect(try Self.login(fixture, token, next: "//evil.example/x").response.headers["location"] == "/tenants/\(Self.a)/region")
        // A form posted from another site: refused, no session (login CSRF).
        let (crossCookie, cross) = try Self.login(fixture, token, headers: ["Origin": "https://evil.example"])
        #expect(cross.status == 403 && crossCookie == nil)
        #expect(try Self.login(fixture, token, headers: ["Origin": "http://127.0.0.1"]).response.status == 303)
        #expect(PageRoutes.hostname("Coordinator.Example.org:8443") == "coordinator.example.org")
        #expect(PageRoutes.hostname("[::1]:8080") == "[::1]")
        #expect(try Self.login(fixture, token, headers: ["Origin": "http://127.0.0.1.evil.example"]).response.status == 403)
    }

    @Test("a bad, empty, expired or revoked token gets the form again with the reason, 401, and no cookie")
    func loginFailure() throws {
        let fixture = try Fixture(withTowns: false)
        var wrong = Array(try fixture.token("\(Self.a)/admin"))
        wrong[0] = wrong[0] == "A" ? "B" : "A"
        let (expired, record) = try BearerToken.issue(role: .admin, tenantID: Self.a, townID: nil, expiresAt: Date().addingTimeInterval(-1))
        try fixture.store.addToken(record)
        let (revoked, revokedRecord) = try BearerToken.issue(role: .admin, tenantID: Self.a, townID: nil,
                                                             expiresAt: Date().addingTimeInterval(60))
        try fixture.store.addToken(revokedRecord)
        try fixture.store.revokeToken(id: revokedRecord.id, at: Date())
        for (token, reason) in [(String(wrong), "not valid"), ("", "Enter your token"), (expired, "expired"), (revoked, "revoked")] {
            let (cookie, response) = try Self.login(fixture, token, next: "/tenants/\(Self.a)/region")
            #expect(response.status == 401, "\(reason)")
            #expect(cookie == nil, "\(reason)")
            #expect(response.bodyText.contains("name=\"token\""))
            #expect(response.bodyText.contains(reason), "\(reason): \(response.bodyText)")
            #expect(response.bodyText.contains("value=\"/tenants/\(Self.a)/region\""))
            #expect(response.headers["content-security-policy"] == HTML.contentSecurityPolicy + "; frame-ancestors 'none'")
        }
    }

    @Test("logout clears the cookie and ends the session; a revoked token ends its sessions")
    func logout() throws {
        let fixture = try Self.populated()
        let region = "/tenants/\(Self.a)/region?period=2026-11"
        let cookie = try Self.session(fixture, "\(Self.a)/coordinator")
        #expect(try Self.page(fixture, region, cookie: cookie).status == 200)
        #expect(try http(fixture.port, "GET", "/logout").bodyText.contains("action=\"/logout\""))
        let out = try http(fixture.port, "POST", "/logout", headers: ["Cookie": cookie])
        #expect(out.status == 303)
        #expect(out.headers["location"] == "/login")
        #expect(out.headers["set-cookie"] == "townbench_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict")
        // The old cookie no longer works, even if a browser kept it.
        let after = try Self.page(fixture, region, cookie: cookie)
        #expect(after.status == 303)

        // Revocation ends a live session at the next page.
        let (other, record) = try BearerToken.issue(role: .admin, tenantID: Self.a, townID: nil, expiresAt: Date().addingTimeInterval(600))
        try fixture.store.addToken(record)
        let liveCookie = try Self.login(fixture, other).cookie
        let live = try #require(liveCookie)
        #expect(try Self.page(fixture, region, cookie: live).status == 200)
        try fixture.store.revokeToken(id: record.id, at: Date())
        #expect(try Self.page(fixture, region, cookie: live).status == 303)
        // A made-up session id is no session.
        #expect(try Self.page(fixture, region, cookie: "townbench_session=bm90LWEtc2Vzc2lvbg").status == 303)
    }

    @Test("pages per role and tenant: 303 to login, 404 across tenants and for other towns, 403 for a town on the region, an auditor sees the reports")
    func scoping() throws {
        let fixture = try Self.populated()
        func session(_ key: String) throws -> String { try Self.session(fixture, key) }
        let region = "/tenants/\(Self.a)/region?period=2026-11"
        let oostkamp = "/tenants/\(Self.a)/towns/oostkamp?period=2026-11"

        let anonymous = try Self.page(fixture, region, cookie: nil)
        #expect(anonymous.status == 303)
        #expect(anonymous.headers["location"] == "/login?next=/tenants/\(Self.a)/region%3Fperiod%3D2026-11")

        let aCoordinator = try session("\(Self.a)/coordinator")
        let aAdmin = try session("\(Self.a)/admin")
        let aTown = try session("\(Self.a)/town:oostkamp")
        let bCoordinator = try session("\(Self.b)/coordinator")
        let bTown = try session("\(Self.b)/town:ronse")
        #expect(try Self.page(fixture, region, cookie: aCoordinator).status == 200)
        #expect(try Self.page(fixture, region, cookie: aAdmin).status == 200)
        // An auditor reads the tenant's reports: its login lands on the region page, which it sees.
        let auditorLogin = try Self.login(fixture, try fixture.token("\(Self.a)/auditor")).response
        #expect(auditorLogin.status == 303 && auditorLogin.headers["location"] == "/tenants/\(Self.a)/region", "\(auditorLogin.status)")
        let aAuditor = try session("\(Self.a)/auditor")
        #expect(try Self.page(fixture, region, cookie: aAuditor).status == 200)
        #expect(try Self.page(fixture, oostkamp, cookie: aAuditor).status == 200)
        let forbidden = try Self.page(fixture, region, cookie: aTown)
        #expect(forbidden.status == 403)
        #expect(forbidden.bodyText.contains("/tenants/\(Self.a)/towns/oostkamp"))
        #expect(try Self.page(fixture, oostkamp, cookie: aTown).status == 200)
        #expect(try Self.page(fixture, oostkamp, cookie: aCoordinator).status == 200)
        #expect(try Self.page(fixture, "/tenants/\(Self.a)/towns/veurne?period=2026-11", cookie: aTown).status == 404)
        #expect(try Self.page(fixture, "/tenants/\(Self.a)/towns/no-such-town?period=2026-11", cookie: aCoordinator).status == 404)
        for (cookie, path) in [(bCoordinator, region), (bTown, region), (bCoordinator, oostkamp), (bTown, oostkamp)] {
            let response = try Self.page(fixture, path, cookie: cookie)
            #expect(response.status == 404, "B on \(path)")
            #expect(response.headers["content-type"] == "text/html; charset=utf-8")
            for secret in Fixture.townsA + ["Oostkamp", "Veurne", "Diksmuide", "123,4"] {
                #expect(!response.bodyText.contains(secret), "B saw \(secret) on \(path)")
            }
        }
        // A tenant that does not exist answers the same 404 as another tenant's.
        #expect(try Self.page(fixture, "/tenants/no-such-tenant/region", cookie: bCoordinator).status == 404)
        // A bearer header works too (dashboards), scoped the same way.
        let token = try fixture.token("\(Self.b)/admin")
        #expect(try http(fixture.port, "GET", region, token: token).status == 404)
        #expect(try http(fixture.port, "GET", region, token: try fixture.token("\(Self.a)/admin")).status == 200)
        // A bad period is a 400 page naming the fix.
        let bad = try Self.page(fixture, "/tenants/\(Self.a)/region?period=2026-13", cookie: aCoordinator)
        #expect(bad.status == 400)
        #expect(bad.bodyText.contains("period=YYYY-MM"))
    }

    @Test("the region and town pages show the figures NetworkIndicators computed, in Belgian format")
    func figures() throws {
        let fixture = try Self.populated()
        // Hand-computed: 100 × 1234 ÷ 1000, and the median of 123.4, 90 and 105.
        #expect(BelgianFormat.number(123.4) == "123,4")
        #expect(BelgianFormat.number(105) == "105,0")
        let computed = try NetworkIndicators.compute(.administrative(Self.a), store: fixture.store, origin: "o",
                                                     period: DayPeriod.parse(period: "2026-11", from: nil, to: nil).get())
        let oostkampIndex = try #require(computed.towns.first { $0.town == "oostkamp" }?.footfallIndex)
        #expect(abs(oostkampIndex - 123.4) < 1e-9)
        #expect(abs(try #require(computed.footfall.medianIndex) - 105) < 1e-9)

        let coordinator = try Self.session(fixture, "\(Self.a)/coordinator")
        let region = try Self.page(fixture, "/tenants/\(Self.a)/region?period=2026-11", cookie: coordinator)
        #expect(region.status == 200)
        for text in [BelgianFormat.number(oostkampIndex), "90,0", BelgianFormat.number(computed.footfall.medianIndex),
                     "Oostkamp", "Veurne", "Diksmuide", Self.a, "<svg"] {
            #expect(region.bodyText.contains(text), "region page lacks \(text)")
        }
        #expect(!region.bodyText.contains("<script"))
        #expect(!region.bodyText.contains("Dendermonde"))

        let town = try Self.session(fixture, "\(Self.a)/town:oostkamp")
        let page = try Self.page(fixture, "/tenants/\(Self.a)/towns/oostkamp?period=2026-11&lang=nl", cookie: town)
        #expect(page.status == 200)
        #expect(page.bodyText.contains("lang=\"nl-BE\""))
        #expect(page.bodyText.contains("123,4"))
        #expect(page.bodyText.contains("105,0"))
        #expect(page.bodyText.contains("1 / 3"))  // rank of the highest of three towns
        // The tenant anonymises peers: the town's page names none of them.
        for peer in ["Veurne", "Diksmuide", "veurne", "diksmuide"] { #expect(!page.bodyText.contains(peer), "town page names \(peer)") }
    }

    @Test("the model mapping: weekly series, change against the previous period, coverage")
    func mapping() throws {
        let fixture = try Self.populated()
        let period = try DayPeriod.parse(period: nil, from: "2026-10-27", to: "2026-11-02").get()
        let inputs = try ReportPages.inputs(.administrative(Self.a), store: fixture.store, origin: "o", period: period, weeks: 3)
        let region = ReportPages.region(inputs)
        #expect(region.tenantName == Self.a)
        #expect(region.period.start == (try DayNumber(iso: "2026-10-27")))
        let oostkamp = try #require(region.towns.first { $0.townID == "oostkamp" })
        #expect(oostkamp.series.map(\.day) == (try ["2026-10-19", "2026-10-26", "2026-11-02"].map { try DayNumber(iso: $0) }))
        #expect(oostkamp.series.map(\.value) == [nil, nil, 123.4])
        #expect(oostkamp.rank == 1)
        #expect(oostkamp.change == nil)  // no index the week before
        #expect(region.network.series.last?.value == 105)
        // Every chart point equals that week's NetworkIndicators figures (what /indicators serves).
        for week in inputs.weekly {
            let figures = try NetworkIndicators.compute(.administrative(Self.a), store: fixture.store, origin: "o",
                                                        period: DayPeriod((week.end - 6)...week.end))
            #expect(week.median == figures.footfall.medianIndex)
            #expect(week.towns == Dictionary(uniqueKeysWithValues: figures.towns.compactMap { t in t.footfallIndex.map { (t.town, $0) } }))
        }
        let coverage = try #require(region.coverage.first { $0.townID == "veurne" })
        #expect(coverage.lastDay == (try DayNumber(iso: "2026-11-02")))
        #expect(coverage.status == .partial)  // one day of seven with a year-earlier pair
        #expect(abs((coverage.completeness ?? 0) - 1.0 / 7) < 1e-9)
        // A week whose end is 10 days after the last data: stale.
        let later = try ReportPages.inputs(.administrative(Self.a), store: fixture.store, origin: "o",
                                           period: DayPeriod.parse(period: nil, from: "2026-11-06", to: "2026-11-12").get(), weeks: 1)
        #expect(ReportPages.region(later).coverage.allSatisfy { $0.status == .stale })
        #expect(try ReportPages.town(inputs, town: "oostkamp").footfall.index == 123.4)
        #expect(throws: CoordinatorError.self) { try ReportPages.town(inputs, town: "ronse") }
    }

    @Test("report render writes the region and a town page with their tables from the store, no server")
    func renderCommand() throws {
        let fixture = try Self.populated()
        let binary = Repository.executable("townbench-coordinator")
        try withTemporaryDirectory { dir in
            let out = dir.appendingPathComponent("region").path
            let region = try runProcess(binary, ["report", "render", "--dir", fixture.directory.path, "--tenant", Self.a,
                                                 "--period", "2026-11", "--out", out])
            #expect(region.status == 0, "\(region.stderr)")
            #expect(region.stdout == out + "/index.html\n")
            let html = try String(contentsOfFile: out + "/index.html", encoding: .utf8)
            #expect(html.contains("123,4") && html.contains("105,0") && html.contains("Veurne"))
            let towns = try String(contentsOfFile: out + "/tables/towns.csv", encoding: .utf8)
            #expect(towns.contains("Oostkamp") && towns.contains("123.4"))
            #expect(FileManager.default.fileExists(atPath: out + "/report.json"))

            let townOut = dir.appendingPathComponent("town").path
            let town = try runProcess(binary, ["report", "render", "--dir", fixture.directory.path, "--tenant", Self.a, "--town", "oostkamp",
                                               "--from", "2026-11-02", "--to", "2026-11-08", "--language", "nl", "--out", townOut])
            #expect(town.status == 0, "\(town.stderr)")
            let townHTML = try String(contentsOfFile: townOut + "/index.html", encoding: .utf8)
            #expect(townHTML.contains("lang=\"nl-BE\"") && townHTML.contains("123,4") && townHTML.contains("2026-W45"))

            let unknown = try runProcess(binary, ["report", "render", "--dir", fixture.directory.path, "--tenant", Self.a, "--town", "ronse",
                                                  "--period", "2026-11", "--out", townOut])
            #expect(unknown.status == 1)
            #expect(unknown.stderr.contains("Town ronse is not in tenant \(Self.a)"))
            let usage = try runProcess(binary, ["report", "render", "--dir", fixture.directory.path, "--tenant", Self.a,
                                                "--period", "2026-13", "--out", townOut])
            #expect(usage.status == 64)
            #expect(usage.stderr.contains("--period must be YYYY-MM"))
        }
    }

    @Test("a served region page renders in headless Chromium without console errors and is not blank")
    func chromium() throws {
        let fixture = try Self.populated()
        let coordinator = try Self.session(fixture, "\(Self.a)/coordinator")
        try withTemporaryDirectory { dir in
            var pages: [String] = []
            for (name, path) in [("region", "/tenants/\(Self.a)/region?period=2026-11"),
                                 ("town", "/tenants/\(Self.a)/towns/oostkamp?period=2026-11&lang=nl")] {
                let response = try Self.page(fixture, path, cookie: coordinator)
                #expect(response.status == 200)
                let folder = dir.appendingPathComponent(name, isDirectory: true)
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                let file = folder.appendingPathComponent("index.html")
                try Data(response.body).write(to: file)
                pages.append(file.path)
            }
            let shots = ProcessInfo.processInfo.environment["TOWNBENCH_SCREENSHOTS"] ?? dir.appendingPathComponent("png").path
            let result = try runProcess(Repository.root.appendingPathComponent("deploy/check-pages.sh"), ["-o", shots] + pages)
            if result.status == 2 {
                print("Skipped: Chromium is not installed (apt-get install -y chromium).")
                return
            }
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        }
    }
}
