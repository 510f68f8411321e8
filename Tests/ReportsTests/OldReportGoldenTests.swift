import Foundation
import Reports
import TestSupport
import Testing

/// Reports published before event-uplift v2 (issue 18) render exactly as they did: each stored
/// model (`Tests/Goldens/pages/*.report.json`, written by the version before v2 and never
/// regenerated) is decoded, rendered in English and Dutch and its tables exported, and compared
/// with the reviewed goldens beside it. After an intended change to the pages, regenerate the
/// HTML and CSV goldens with `TOWNBENCH_UPDATE_GOLDENS=1 swift test --filter OldReportGoldenTests`
/// and read the diff before committing it.
struct OldReportGoldenTests {
    static let folder = Repository.root.appendingPathComponent("Tests/Goldens/pages", isDirectory: true)
    static var updating: Bool { ProcessInfo.processInfo.environment["TOWNBENCH_UPDATE_GOLDENS"] == "1" }

    /// The stored model `name`; written from `sample` only when absent (it stands for a report published long ago).
    static func stored<Model: Codable>(_ name: String, sample: Model) throws -> Model {
        let url = folder.appendingPathComponent("\(name).report.json")
        if !FileManager.default.fileExists(atPath: url.path) && updating {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try ReportExport.json(model: sample).write(to: url)
        }
        return try ReportExport.decode(Model.self, from: Data(contentsOf: url))
    }

    static func expectGolden(_ text: String, _ file: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = folder.appendingPathComponent(file)
        if updating { try Data(text.utf8).write(to: url) }
        let expected = try String(contentsOf: url, encoding: .utf8)
        #expect(text == expected, "\(file) differs from its golden \(url.path); review and regenerate it (see OldReportGoldenTests)",
                sourceLocation: sourceLocation)
    }

    @Test func aRegionReportPublishedAsV1RendersUnchanged() throws {
        let region = try Self.stored("region-v1", sample: Samples.region)
        // The model a v1 report carries encodes as it did: no new key appears for it.
        #expect(String(decoding: try ReportExport.json(model: region), as: UTF8.self)
            == String(decoding: try Data(contentsOf: Self.folder.appendingPathComponent("region-v1.report.json")), as: UTF8.self))
        try Self.expectGolden(RegionReportPage.render(region), "region-v1.html")
        try Self.expectGolden(RegionReportPage.render(region, options: RenderOptions(language: .nl)), "region-v1-nl.html")
        let events = try #require(region.tables().first { $0.name == "events" })
        try Self.expectGolden(ReportExport.csv(events), "region-v1-events.csv")
    }

    @Test func aTownReportPublishedAsV1RendersUnchanged() throws {
        let town = try Self.stored("town-v1", sample: Samples.town)
        try Self.expectGolden(TownReportPage.render(town), "town-v1.html")
        try Self.expectGolden(TownReportPage.render(town, options: RenderOptions(language: .nl)), "town-v1-nl.html")
        for name in ["events", "event-context"] {
            let table = try #require(town.tables().first { $0.name == name })
            try Self.expectGolden(ReportExport.csv(table), "town-v1-\(name).csv")
        }
    }
}
