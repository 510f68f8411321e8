import Federation
import Foundation
import TestSupport
import Testing

/// The optional lot members of a day (PROTOCOL.md §4.5): both mappings agree, old payloads are
/// unchanged, and figures that break the rules are refused naming the field.
@Suite struct LotPayloadTests {
    static func withLots(_ edit: (inout AggregatePayload.Day) -> Void) throws -> AggregatePayload {
        var payload = try AggregatePayload(verifiedBytes: try Data(contentsOf: AggregatePayloadTests.payloadURL))
        var day = payload.zones[0].days[0]
        var occupied = [Double?](repeating: nil, count: 24), capacity = [Double?](repeating: nil, count: 24)
        occupied[10] = 350
        capacity[10] = 400
        day.parking = [.init(kind: "garage", sites: 1, occupied: occupied, capacity: capacity)]
        day.visitorOrigin = .init(minimumCell: 10, ownMunicipality: 1200, neighbouring: 640, restOfProvince: nil, elsewhere: nil)
        day.dwell = [.init(fromMinutes: 0, toMinutes: 30, visitors: 40), .init(fromMinutes: 30, toMinutes: nil, visitors: 12)]
        edit(&day)
        payload.zones[0].days[0] = day
        return payload
    }

    @Test func lotsRoundTripAndBothMappingsAgree() throws {
        let payload = try Self.withLots { _ in }
        let bytes = try payload.canonicalBytes()
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains(#""visitorOrigin":{"minimumCell":10,"neighbouring":640,"ownMunicipality":1200}"#), "\(text.prefix(400))")
        let parsed = try AggregatePayload(verifiedBytes: bytes)
        #expect(parsed == payload)
        #expect(try JSONDecoder().decode(AggregatePayload.self, from: Data(bytes)) == payload)
        #expect(try CanonicalJSON.encode(payload) == bytes)
    }

    @Test(arguments: [
        ("origin below minimum", "a cell of 7 is below minimumCell 10"),
        ("parking 23 hours", "must have 24 entries"),
        ("parking half null", "both given or both null"),
        ("dwell gap", "contiguous"),
        ("dwell reversed", "toMinutes above fromMinutes"),
    ])
    func brokenLotsAreRefused(_ input: (String, String)) throws {
        let payload = try Self.withLots { day in
            switch input.0 {
            case "origin below minimum": day.visitorOrigin?.elsewhere = 7
            case "parking 23 hours": day.parking?[0].occupied.removeLast()
            case "parking half null": day.parking?[0].capacity[10] = nil
            case "dwell gap": day.dwell?[1].fromMinutes = 45
            default: day.dwell?[0].toMinutes = 0
            }
        }
        let error = try #require(throws: FederationError.self) { try AggregatePayload(verifiedBytes: try payload.canonicalBytes()) }
        #expect(error.code == .invalidPayload && error.message.contains(input.1), "\(error.message)")
    }
}

/// `Federation/vectors/aggregate-v1-lots-day.json`: the canonical bytes of a day carrying all three
/// lot members (PROTOCOL.md §4.5). Regenerate with TOWNBENCH_UPDATE_GOLDENS=1.
@Suite struct LotPayloadVectorTests {
    static let url = Repository.root.appendingPathComponent("Federation/vectors/aggregate-v1-lots-day.json")

    @Test func theDayVectorIsTheCanonicalBytes() throws {
        let payload = try LotPayloadTests.withLots { _ in }
        let bytes = try CanonicalJSON.encode(payload.zones[0].days[0])
        if ProcessInfo.processInfo.environment["TOWNBENCH_UPDATE_GOLDENS"] == "1" {
            try Data(bytes + [10]).write(to: Self.url)
        }
        let stored = try [UInt8](Data(contentsOf: Self.url))
        #expect(Array(stored.dropLast()) == bytes && stored.last == 10)
        // And a payload whose day is the vector's is valid.
        #expect(try AggregatePayload(verifiedBytes: try payload.canonicalBytes()).zones[0].days[0].dwell?.count == 2)
    }
}
