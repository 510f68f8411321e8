import Coordinator
import Federation
import Foundation
import Testing

/// `token issue --expires`: what `BearerToken.expiry` accepts must be storable, i.e. spelled back
/// as a protocol timestamp (4-digit year) and read back as the same instant.
@Suite struct TokenExpiryTests {
    let now = Date(timeIntervalSince1970: 1_795_413_600)  // 2026-11-23T06:00:00Z

    @Test func durationsAndTimes() throws {
        #expect(BearerToken.expiry("90d", now: now) == now.addingTimeInterval(90 * 86400))
        #expect(BearerToken.expiry("12h", now: now) == now.addingTimeInterval(12 * 3600))
        #expect(BearerToken.expiry("30m", now: now) == now.addingTimeInterval(30 * 60))
        #expect(BearerToken.expiry("2036-11-20T06:00:00Z", now: now) == Timestamp.parse("2036-11-20T06:00:00Z"))
        // At most BearerToken.maximumLifetimeDays (3650) ahead, as a duration or as a time.
        for refused in ["", "d", "0d", "-5d", "90", "90s", "2026-11-23", "3651d", "87601h", "9999-12-31T23:59:59Z"] {
            #expect(BearerToken.expiry(refused, now: now) == nil, "\(refused)")
        }
    }

    /// Found while writing the `dates` fuzz target's property that an accepted expiry is storable:
    /// a duration past year 9999 gave an expiry the store cannot write (`Timestamp.format` trapped converting it to Int for 999999999999999d, and wrote a
    /// 5-digit year, read back as already expired, for 3000000d).
    @Test(arguments: ["2914000d", "3000000d", "999999999999999d", "9223372036854775807m", "99999999999h"])
    func refusesExpiriesPastYear9999(_ text: String) {
        #expect(BearerToken.expiry(text, now: now) == nil)
    }

    @Test(arguments: ["1d", "3650d", "87600h", "5256000m"]) func acceptedExpiriesRoundTrip(_ text: String) throws {
        let expiry = try #require(BearerToken.expiry(text, now: now))
        #expect(Timestamp.parse(Timestamp.format(expiry)) == expiry)
    }
}
