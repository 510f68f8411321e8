import Federation
import Foundation
import TestSupport
import Testing

@Suite struct JSONParserTests {
    @Test(arguments: [
        #"{"a":1,"a":2}"#,  // duplicate member (I-JSON)
        #"[1,2,]"#, #"{"a":1,}"#,  // trailing commas
        "01", "-", "1.", ".5", "1e", "+1", "NaN", "Infinity", "1e400",
        "\"a\u{01}b\"",  // raw control character
        #""\ud800""#, #""\udc00x""#,  // lone surrogates
        #""\x""#, "tru", "nul", "[1] 2", "", "   ",
        String(repeating: "[", count: 65) + String(repeating: "]", count: 65),
    ]) func refuses(_ text: String) {
        #expect(throws: FederationError.self, "\(text)") { try JSONParser.parse(Array(text.utf8)) }
    }

    /// Objects above 16 members switch from a linear scan to a set for duplicate names.
    @Test func duplicatesInLargeObjects() throws {
        let members = (0..<40).map { "\"k\($0)\":\($0)" }
        #expect(throws: Never.self) { try JSONParser.parse(Array("{\(members.joined(separator: ","))}".utf8)) }
        for dup in ["k3", "k20", "k39"] {
            let text = "{\(members.joined(separator: ",")),\"\(dup)\":0}"
            #expect(throws: FederationError.self, "\(dup)") { try JSONParser.parse(Array(text.utf8)) }
        }
        if case .object(let o) = try JSONParser.parse(Array("{\(members.joined(separator: ","))}".utf8)) {
            #expect(o.count == 40 && o["k17"] == .number(17))
        } else {
            Issue.record("not an object")
        }
    }

    @Test func refusesInvalidUTF8() {
        #expect(throws: FederationError.self) { try JSONParser.parse([0x22, 0xff, 0x22] as [UInt8]) }
        #expect(throws: FederationError.self) { try JSONParser.parse([0x22, 0xc3, 0x22] as [UInt8]) }
    }

    @Test func parsesWhatJSONAllows() throws {
        let v = try JSONParser.parse(
            Array(#" {"a": [1, -0.5, 2e3, true, false, null], "b\u00e9\ud83d\ude00\n": "x\/y"} "#.utf8))
        #expect(
            v
                == .object([
                    "a": .array([.number(1), .number(-0.5), .number(2000), .bool(true), .bool(false), .null]),
                    "bé😀\n": .string("x/y"),
                ]))
        #expect(try JSONParser.parse(Array("123456789012345678".utf8)) == .number(1.2345678901234568e17))  // the nearest Double
        #expect(try JSONParser.parse(Array("-0".utf8)) == .number(-0.0))
        let depth64 = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(throws: Never.self) { try JSONParser.parse(Array(depth64.utf8)) }
    }

    /// Foundation's parser agrees with ours on every cyberphone input (numbers as doubles).
    @Test func agreesWithFoundationOnJCSInputs() throws {
        let base = Repository.vectors.appendingPathComponent("jcs/testdata/input")
        for name in CanonicalJSONTests.names {
            let data = try Data(contentsOf: base.appendingPathComponent("\(name).json"))
            #expect(try JSONParser.parse(data) == JSONDecoder().decode(JSONValue.self, from: data), "\(name)")
        }
    }
}

@Suite struct AggregatePayloadTests {
    static let payloadURL = Repository.root.appendingPathComponent("Federation/vectors/aggregate-v1-payload.json")

    @Test func codableAndStrictMappingAgree() throws {
        let bytes = try Data(contentsOf: Self.payloadURL)
        let strict = try AggregatePayload(verifiedBytes: bytes)
        let codable = try JSONDecoder().decode(AggregatePayload.self, from: bytes)
        #expect(strict == codable)
        #expect(try CanonicalJSON.encode(codable) == strict.canonicalBytes())
    }

    @Test func unknownMembersAreRefused() throws {
        var text = try String(contentsOf: Self.payloadURL, encoding: .utf8)
        text = text.replacingOccurrences(
            of: #""vendorKind":"crowdscan""#, with: #""deviceId":"CS-OOSTKAMP-0007","vendorKind":"crowdscan""#)
        do {
            _ = try AggregatePayload(verifiedBytes: Array(text.utf8))
            Issue.record("unknown member accepted")
        } catch {
            #expect(error.code == .invalidPayload)
            #expect(error.message.contains("deviceId"))
        }
    }

    @Test func validationNamesTheField() throws {
        var p = try AggregatePayload(verifiedBytes: Data(contentsOf: Self.payloadURL))
        p.zones[0].days[0].date = "2026-11-22"  // outside period 2026-11-21…21
        #expect(throws: FederationError.self) { try p.validate() }
        p.zones[0].days[0].date = "2026-11-21"
        p.zones[0].days[0].measures[0].hourly = [1, 2]
        do {
            try p.validate()
            Issue.record("23-hour profile accepted")
        } catch { #expect(error.message.contains("24 entries")) }
        p.zones[0].days[0].measures[0].hourly = nil
        p.createdAt = "2026-11-23T06:00:00+01:00"
        #expect(throws: FederationError.self) { try p.validate() }
        p.createdAt = "2026-11-23T06:00:00Z"
        p.submissionId = "00112233445566778899AABBCCDDEEFF"
        #expect(throws: FederationError.self) { try p.validate() }
    }

    @Test func timestampsAndDays() {
        #expect(Timestamp.format(Date(timeIntervalSince1970: 1_795_413_600)) == "2026-11-23T06:00:00Z")
        #expect(Timestamp.parse("2026-11-23T06:00:00Z") == Date(timeIntervalSince1970: 1_795_413_600))
        #expect(Timestamp.parse("2026-02-29T00:00:00Z") == nil)
        #expect(Timestamp.parse("2024-02-29T23:59:59Z") != nil)
        #expect(CalendarDay.dayNumber("1970-01-01") == 0)
        #expect(CalendarDay.dayNumber("2000-03-01") == 11017)
        #expect(CalendarDay.string(fromDayNumber: 11017) == "2000-03-01")
        #expect(CalendarDay.dayNumber("2026-13-01") == nil)
    }

    /// Found with the `dates` fuzz target's property that both day parsers agree: January and February of year 0000 (before the first
    /// March of the proleptic calendar) were a day off, so 0000-02-29 and 0000-03-01 were the same
    /// day and a payload's day could pass the period check the coordinator stores it outside of.
    @Test func dayNumbersOfYearZero() throws {
        // 0000 is a leap year: 31 + 29 days before 0000-03-01, which is 719,468 days before 1970.
        for (text, day) in [("0000-01-01", -719_528), ("0000-02-28", -719_470), ("0000-02-29", -719_469),
                            ("0000-03-01", -719_468), ("0001-01-01", -719_162)] {
            #expect(CalendarDay.dayNumber(text) == day, "\(text)")
        }
        #expect(CalendarDay.string(fromDayNumber: try #require(CalendarDay.dayNumber("0000-01-01"))) == "0000-01-01")
    }
}
