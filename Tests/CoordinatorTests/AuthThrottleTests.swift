// Failed authentication is rate-limited per client address and per token prefix (issue 16,
// finding 13), over real HTTP; the API's and pages' security headers.
@testable import Coordinator
import Foundation
import HTTPServer
import Testing
import TestSupport

@Suite("Authentication rate limits")
struct AuthThrottleTests {
    static let a = Fixture.tenantA
    static let towns = "/v1/tenants/\(Fixture.tenantA)/towns"

    /// A fresh, well-formed but unknown token (its prefix differs each time).
    static func guess() -> String { BearerToken.base64URL((0..<32).map { _ in UInt8.random(in: 0...255) }) }

    static func via(_ address: String) -> [String: String] { ["X-Forwarded-For": address] }

    @Test("guesses from one address get 429 with Retry-After after the burst, even with the right token; other addresses are served")
    func perAddress() throws {
        let fixture = try Fixture(withTowns: false)
        let admin = try fixture.token("\(Self.a)/admin")
        let burst = Int(AuthThrottle.addressLimit.burst)
        for attempt in 0..<burst {
            let response = try http(fixture.port, "GET", Self.towns, token: Self.guess())
            #expect(response.status == 401, "attempt \(attempt)")
        }
        let throttled = try http(fixture.port, "GET", Self.towns, token: Self.guess())
        #expect(throttled.status == 429)
        #expect(throttled.errorCode == "too_many_requests")
        #expect(Int(throttled.headers["retry-after"] ?? "") ?? 0 >= 1)
        // A correct token from the throttled address is refused too: no oracle for the guesser.
        #expect(try http(fixture.port, "GET", Self.towns, token: admin).status == 429)
        // Another client behind the loopback proxy (its X-Forwarded-For) is not affected.
        #expect(try http(fixture.port, "GET", Self.towns, token: admin, headers: Self.via("203.0.113.9")).status == 200)
    }

    @Test("behind the loopback proxy the address it appended to X-Forwarded-For counts, not the client's own entries")
    func forwardedFor() throws {
        let fixture = try Fixture(withTowns: false)
        let admin = try fixture.token("\(Self.a)/admin")
        for attempt in 0...Int(AuthThrottle.addressLimit.burst) {
            // The guesser varies the entry it controls; the proxy's last entry stays its address.
            let headers = Self.via("198.51.100.\(attempt), 203.0.113.5")
            _ = try http(fixture.port, "GET", Self.towns, token: Self.guess(), headers: headers)
        }
        #expect(try http(fixture.port, "GET", Self.towns, token: admin, headers: Self.via("203.0.113.5")).status == 429)
        #expect(try http(fixture.port, "GET", Self.towns, token: admin, headers: Self.via("203.0.113.6")).status == 200)
        // An IPv6 client counts by its /64.
        for attempt in 0...Int(AuthThrottle.addressLimit.burst) {
            _ = try http(fixture.port, "GET", Self.towns, token: Self.guess(), headers: Self.via("2001:db8:1:2::\(attempt + 1)"))
        }
        #expect(try http(fixture.port, "GET", Self.towns, token: admin, headers: Self.via("2001:db8:1:2::ffff")).status == 429)
        #expect(try http(fixture.port, "GET", Self.towns, token: admin, headers: Self.via("2001:db8:1:3::1")).status == 200)
    }

    @Test("guesses at one token prefix from many addresses are limited; valid principals are never slowed")
    func perPrefixAndSuccessesFree() throws {
        let fixture = try Fixture(withTowns: false)
        let admin = try fixture.token("\(Self.a)/admin")
        for _ in 0..<200 {
            #expect(try http(fixture.port, "GET", Self.towns, token: admin).status == 200)
        }
        let prefix = String(Self.guess().prefix(AuthThrottle.prefixLength))
        for attempt in 0..<Int(AuthThrottle.prefixLimit.burst) {
            let token = prefix + Self.guess().dropFirst(AuthThrottle.prefixLength)
            #expect(try http(fixture.port, "GET", Self.towns, token: token, headers: Self.via("192.0.2.\(attempt)")).status == 401)
        }
        let token = prefix + Self.guess().dropFirst(AuthThrottle.prefixLength)
        #expect(try http(fixture.port, "GET", Self.towns, token: token, headers: Self.via("192.0.2.200")).status == 429)
        #expect(try http(fixture.port, "GET", Self.towns, token: admin, headers: Self.via("192.0.2.201")).status == 200)
    }

    @Test("the login form and bearer page requests share the limits: 429 page with Retry-After")
    func loginForm() throws {
        let fixture = try Fixture(withTowns: false)
        for _ in 0..<Int(AuthThrottle.addressLimit.burst) {
            #expect(try PageTests.login(fixture, Self.guess()).response.status == 401)
        }
        let (cookie, throttled) = try PageTests.login(fixture, try fixture.token("\(Self.a)/admin"))
        #expect(throttled.status == 429)
        #expect(cookie == nil)
        #expect(throttled.headers["retry-after"] != nil)
        #expect(throttled.bodyText.contains("Too many failed authentication attempts"))
        let page = try http(fixture.port, "GET", "/tenants/\(Self.a)/region", token: Self.guess())
        #expect(page.status == 429)
        #expect(page.headers["retry-after"] != nil)
    }

    @Test("the limiter's tables stay bounded; past the bound new keys share one overflow bucket")
    func bounded() throws {
        let slow = RateLimit(burst: 2, perSecond: 0.001)
        let throttle = AuthThrottle(addressLimit: slow, prefixLimit: slow, overflowLimit: slow, capacity: 50)
        func fail(_ address: String) -> Int? {
            let request = HTTPRequest(method: .get, path: "/", remoteAddress: address)
            do {
                _ = try throttle.authenticate(request, token: Self.guess()) { () throws -> Int in
                    throw BearerToken.unauthorized("no")
                }
            } catch let error as CoordinatorError {
                return error.status.rawValue
            } catch {}
            return nil
        }
        var statuses: [Int?] = []
        for index in 0..<1_000 { statuses.append(fail("10.0.\(index / 256).\(index % 256)")) }
        #expect(throttle.trackedKeys <= 100)
        #expect(statuses.prefix(52).allSatisfy { $0 == 401 })
        // The shared overflow bucket (burst 2) is spent at once: the flood is throttled as a whole.
        #expect(statuses.dropFirst(52).allSatisfy { $0 == 429 })
        // A full prefix table does not lock out other prefixes (the address still counts).
        let fresh = HTTPRequest(method: .get, path: "/", remoteAddress: "10.0.0.0")
        #expect(try throttle.authenticate(fresh, token: Self.guess()) { 7 } == 7)
    }

    @Test("every API response carries nosniff and frame-ancestors 'none'")
    func apiHeaders() throws {
        let fixture = try Fixture(withTowns: false)
        for response in [try http(fixture.port, "GET", "/healthz"), try http(fixture.port, "GET", Self.towns),
                         try http(fixture.port, "GET", "/v1/nope")] {
            #expect(response.headers["x-content-type-options"] == "nosniff")
            #expect(response.headers["content-security-policy"]?.contains("frame-ancestors 'none'") == true)
        }
    }
}
