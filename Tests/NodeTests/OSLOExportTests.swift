import Foundation
@testable import Node
import Indicators
import TestSupport
import Testing

/// `export --format oslo`: JSON-LD in the OSLO profile Verkeersmetingen. No JSON-LD processor or
/// the profile's SHACL shapes are available offline, so the document is checked against the
/// context it ships: every term it uses is defined there, every IRI is absolute, the modes come
/// from the code list, and no cell below the privacy minimum or sensor row leaves the node.
@Suite struct OSLOExportTests {
    static let counts = """
        sensor,start,minutes,measure,count
        ped-markt,2025-06-02T09:00:00+02:00,60,pedestrians,100
        ped-markt,2025-06-02T10:00:00+02:00,60,pedestrians,3
        ped-markt,2025-06-02T11:00:00+02:00,60,pedestrians,50
        ped-markt,2025-06-02T12:00:00+02:00,60,pedestrians,60
        ped-straat,2025-06-02T12:00:00+02:00,60,pedestrians,5
        door-1,2025-06-02T12:00:00+02:00,60,entries,40
        telraam-348917,2025-06-02T12:00:00+02:00,60,cars,40
        telraam-348917,2025-06-02T12:00:00+02:00,60,bikes,12
        telraam-348917,2025-06-02T12:00:00+02:00,60,heavy,30
        ped-markt,2025-10-26T02:30:00+02:00,30,pedestrians,40
        ped-markt,2025-10-26T02:30:00+01:00,30,pedestrians,40
        ped-markt,2025-10-26T10:00:00+01:00,60,pedestrians,100

        """

    func export(_ from: String, _ to: String) throws -> (document: [String: Any], graph: [[String: Any]]) {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            _ = try fixture.store.importFile(try fixture.write("c.csv", Self.counts), format: .counts)
            let data = try fixture.store.osloExport(period: try DayNumber(iso: from)...DayNumber(iso: to))
            let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            return (document, try #require(document["@graph"] as? [[String: Any]]))
        }
    }

    static func isAbsoluteIRI(_ text: String) -> Bool {
        guard let url = URL(string: text), let scheme = url.scheme, !scheme.isEmpty else { return false }
        return !text.contains(where: { $0 == " " || $0 == "<" || $0 == ">" || $0 == "\"" || $0 == "{" || $0 == "}" })
    }

    /// A term's IRI with a context prefix (`vkm:…`) expanded.
    static func expand(_ value: String, _ context: [String: Any]) -> String {
        if let colon = value.firstIndex(of: ":"), let prefix = context[String(value[..<colon])] as? String {
            return prefix + value[value.index(after: colon)...]
        }
        return value
    }

    @Test func everyTermUsedIsDefinedInTheShippedContextAndEveryIRIIsAbsolute() throws {
        let (document, graph) = try export("2025-06-01", "2025-06-30")
        let context = try #require(document["@context"] as? [String: Any])
        // The context's own definitions expand to absolute IRIs; the profile's terms to its vocabulary
        // or to the ISO 19156 / Dublin Core / SOSA IRIs its context names.
        var idTerms: Set<String> = []
        for (term, definition) in context {
            let iri = (definition as? String) ?? ((definition as? [String: Any])?["@id"] as? String) ?? ""
            #expect(Self.isAbsoluteIRI(Self.expand(iri, context)), "\(term) → \(iri)")
            if (definition as? [String: Any])?["@type"] as? String == "@id" { idTerms.insert(term) }
        }
        #expect(Self.expand(context["Verkeersmeting"] as? String ?? "", context) == "https://data.vlaanderen.be/ns/verkeersmetingen#Verkeersmeting")
        var used: Set<String> = []
        func walk(_ node: Any, key: String?) {
            if let object = node as? [String: Any] {
                for (k, v) in object {
                    if k.hasPrefix("@") {
                        if k == "@type", let type = v as? String { used.insert(type) }
                        if k == "@id", let id = v as? String { #expect(Self.isAbsoluteIRI(id), "@id \(id)") }
                    } else {
                        used.insert(k)
                        walk(v, key: k)
                    }
                }
            } else if let array = node as? [Any] {
                for v in array { walk(v, key: key) }
            } else if let text = node as? String, let key, idTerms.contains(key) {
                #expect(Self.isAbsoluteIRI(text), "\(key): \(text)")
            }
        }
        walk(graph, key: nil)
        #expect(!used.isEmpty)
        for term in used { #expect(context[term] != nil, "term \(term) is used but not defined in the context") }

        // Modes and the characteristic come from the profile's code lists.
        let kenmerken = graph.filter { $0["@type"] as? String == "Verkeerskenmerk" }
        let modes = Set(kenmerken.flatMap { ($0["Verkeerskenmerk.verkeersdeelnemertype"] as? [String]) ?? [] })
        #expect(modes == Set(["voetganger", "fietser", "klein"].map { "https://data.vlaanderen.be/id/concept/VkmVerkeersmodaliteiten/" + $0 }))
        #expect(kenmerken.allSatisfy { $0["Verkeerskenmerk.type"] as? String == "https://data.vlaanderen.be/id/concept/VkmVerkeersKenmerkType/aantal" })
        // The collection lists every observation.
        let observations = graph.filter { $0["@type"] as? String == "Verkeersmeting" }
        let collection = try #require(graph.first { $0["@type"] as? String == "Verkeersmetingverzameling" })
        #expect(Set((collection["Verkeersmetingverzameling.heeftLid"] as? [String]) ?? []) == Set(observations.compactMap { $0["@id"] as? String }))
    }

    @Test func smallCellsAndSensorRowsNeverLeaveTheNode() throws {
        let (_, graph) = try export("2025-06-02", "2025-06-02")
        let text = String(decoding: try JSONSerialization.data(withJSONObject: graph), as: UTF8.self)
        for name in ["ped-markt", "ped-straat", "door-1", "telraam-348917", "entries", "heavy"] {
            #expect(!text.contains(name), "\(name) left the node")
        }
        let observations = graph.filter { $0["@type"] as? String == "Verkeersmeting" }
        var figures: [String: Double] = [:]
        for o in observations {
            let id = try #require(o["@id"] as? String)
            let value = try #require((o["Verkeersmeting.resultaat"] as? NSNumber)?.doubleValue)
            #expect(value >= 10, "\(id) = \(value) is below the minimum")
            figures[String(id.split(separator: ":", maxSplits: 5).last ?? "")] = value
        }
        // markt: day 213; hour 10 (3) is small, so hour 11 (50, the smallest other) goes too.
        // winkelstraat's day (5) is below the minimum: nothing of it. invalsweg: cars and bikes, not heavy.
        #expect(figures == [
            "markt:voetganger:2025-06-02": 213, "markt:voetganger:2025-06-02T09": 100, "markt:voetganger:2025-06-02T12": 60,
            "invalsweg:klein:2025-06-02": 40, "invalsweg:klein:2025-06-02T12": 40,
            "invalsweg:fietser:2025-06-02": 12, "invalsweg:fietser:2025-06-02T12": 12,
        ], "\(figures)")
    }

    @Test func intervalsAreLocalDaysAndHoursWithTheirOffsets() throws {
        let (_, graph) = try export("2025-10-26", "2025-10-26")
        func interval(_ suffix: String) throws -> [String] {
            let o = try #require(graph.first { ($0["@id"] as? String)?.hasSuffix(suffix) == true }, "\(suffix)")
            let time = try #require(o["Verkeersmeting.fenomeenTijd"] as? [String: Any])
            #expect(time["@type"] as? String == "ProperInterval")
            return try ["hasBeginning", "hasEnd"].map { key in
                try #require((time[key] as? [String: Any])?["inXSDDateTimeStamp"] as? String)
            }
        }
        // The autumn day has 25 hours; its hour 2 happens twice and lasts two hours.
        #expect(try interval("markt:voetganger:2025-10-26") == ["2025-10-26T00:00:00+02:00", "2025-10-27T00:00:00+01:00"])
        #expect(try interval("markt:voetganger:2025-10-26T02") == ["2025-10-26T02:00:00+02:00", "2025-10-26T03:00:00+01:00"])
        #expect(try interval("markt:voetganger:2025-10-26T10") == ["2025-10-26T10:00:00+01:00", "2025-10-26T11:00:00+01:00"])
    }

    @Test func aBadBaseIRIOrALongPeriodIsRefused() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            let day = try DayNumber(iso: "2025-06-02")
            let base = try #require(throws: NodeError.self) { try fixture.store.osloExport(period: day...day, base: "data zone") }
            #expect(base.code == .invalidArgument)
            let long = try #require(throws: NodeError.self) { try fixture.store.osloExport(period: day...(day + 400)) }
            #expect(long.message.contains("export it in parts"))
        }
    }
}
