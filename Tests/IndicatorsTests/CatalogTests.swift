import Foundation
import Indicators
import TestSupport
import Testing

@Suite("The catalogue and the implementation name the same indicators")
struct CatalogTests {
    /// Reads `- **id**: \`x\`` and `- **version**: n` from each `Indicators/*.md` but README.md.
    static func catalogueEntries() throws -> [IndicatorCatalog.Entry] {
        let dir = Repository.root.appendingPathComponent("Indicators", isDirectory: true)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
            .filter { $0.hasSuffix(".md") && $0 != "README.md" }.sorted()
        return try files.map { file in
            let text = try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
            var id: String?
            var version: Int?
            for line in text.split(separator: "\n") {
                if line.hasPrefix("- **id**:") {
                    id = line.dropFirst("- **id**:".count).trimmingCharacters(in: CharacterSet(charactersIn: " `"))
                } else if line.hasPrefix("- **version**:") {
                    version = Int(line.dropFirst("- **version**:".count).trimmingCharacters(in: .whitespaces))
                }
            }
            let entry = IndicatorCatalog.Entry(
                id: try #require(id, "\(file): no id line"), version: try #require(version, "\(file): no version line"))
            // Version 1 is `<id>.md`; a later version that changes the definition is `<id>-v<n>.md`.
            let name = entry.version == 1 ? "\(entry.id).md" : "\(entry.id)-v\(entry.version).md"
            #expect(file == name, "\(file) should be named \(name)")
            return entry
        }
    }

    @Test("every catalogue entry is implemented and every implementation is catalogued")
    func sameSets() throws {
        let catalogue = try Self.catalogueEntries()
        #expect(catalogue.count == 10)
        #expect(Set(catalogue) == Set(IndicatorCatalog.all))
        #expect(Set(IndicatorCatalog.all).count == IndicatorCatalog.all.count)
        #expect(IndicatorCatalog.entry(id: "event-uplift")?.version == 2)
        #expect(IndicatorCatalog.entry(id: "event-uplift", version: 1) != nil)
    }
}
