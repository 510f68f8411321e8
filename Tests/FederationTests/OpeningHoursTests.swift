import Foundation
import Federation
import Indicators
import TestSupport
import Testing

/// The optional `openingHours` member of a zone (PROTOCOL.md §4.2, issue 20).
struct OpeningHoursTests {
    static let vector = Repository.root.appendingPathComponent("Federation/vectors/aggregate-v1-opening-hours.json")
    static let plain = Repository.root.appendingPathComponent("Federation/vectors/aggregate-v1-payload.json")

    @Test("the vector parses, re-encodes byte for byte and gives the schedule it documents")
    func vectorRoundTrips() throws {
        let bytes = try Data(contentsOf: Self.vector)
        let payload = try AggregatePayload(verifiedBytes: bytes)
        let hours = try #require(payload.zones.first?.openingHours)
        #expect(hours.weekly.count == 6)
        #expect(try payload.canonicalBytes() == Array(bytes))
        let schedule = hours.schedule()
        // Saturday 2026-11-21 is late-night shopping, 09:30–21:00: hours 9…20 open (09:30 opens hour 9).
        let open = schedule.openHours(on: try DayNumber(iso: "2026-11-21"))
        #expect(open == (0..<24).map { (9...20).contains($0) })
        // A Monday keeps its weekly 13:30–18:00: hour 13 has 30 open minutes.
        #expect(schedule.openHours(on: try DayNumber(iso: "2026-11-23")) == (0..<24).map { (13...17).contains($0) })
    }

    @Test("a payload without opening hours is what it always was")
    func oldPayloadsStillParse() throws {
        let bytes = try Data(contentsOf: Self.plain)
        let payload = try AggregatePayload(verifiedBytes: bytes)
        #expect(payload.zones.allSatisfy { $0.openingHours == nil })
        #expect(try payload.canonicalBytes() == Array(bytes))
    }

    @Test("bad hours are refused as invalid_payload naming the zone and the fix",
          arguments: [
            (AggregatePayload.OpeningHours(weekly: [.init(weekday: 8, opens: "09:00", closes: "18:00")]), "weekday 8"),
            (AggregatePayload.OpeningHours(weekly: [.init(weekday: 1, opens: "18:00", closes: "09:00")]), "opens before closes"),
            (AggregatePayload.OpeningHours(weekly: [.init(weekday: 1, opens: "9:00", closes: "18:00")]), "HH:MM"),
            (AggregatePayload.OpeningHours(weekly: [], exceptions: [.init(date: "2026-12-24")]), "inside the period"),
            (AggregatePayload.OpeningHours(weekly: [], exceptions: [.init(date: "2026-11-21", opens: "13:00")]), "or neither"),
          ])
    func refused(_ hours: AggregatePayload.OpeningHours, _ phrase: String) throws {
        var payload = try AggregatePayload(verifiedBytes: try Data(contentsOf: Self.plain))
        payload.zones[0].openingHours = hours
        do {
            try payload.validate()
            Issue.record("accepted \(hours)")
        } catch {
            #expect(error.code == .invalidPayload)
            #expect(error.message.contains("zone centrum") && error.message.contains(phrase), "\(error.message)")
        }
    }

    @Test("an unknown member inside openingHours is refused")
    func unknownMember() throws {
        let text = try String(contentsOf: Self.vector, encoding: .utf8)
            .replacingOccurrences(of: "\"exceptions\":[", with: "\"note\":1,\"exceptions\":[")
        #expect(throws: FederationError.self) { try AggregatePayload(verifiedBytes: Data(text.utf8)) }
    }
}
