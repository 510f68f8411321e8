// The importers of issue 19's lots: parking readings (CSV and DATEX II XML through FoundationXML),
// visitor origin, dwell time and parking sites.
import Foundation
import Indicators
import Node

/// On a real node store with the example zones and parking sites: the first byte picks the format
/// (its value mod 5, so ASCII `2` `3` `4` `0` `1` in the seeds: `0` parking CSV, `1` DATEX II, `2` visitor-origin, `3` dwell-time, `4` parking
/// sites), the rest is the file. A refused import must change nothing (`status` and the computed
/// lot indicators before and after are the same).
enum LotsTarget {
    static func setUp() throws -> FuzzTarget.Run {
        let dir = try scratchDirectory("lots")
        let store = try NodeStore.create(in: dir.appendingPathComponent("node"), town: "harelbeke", tenant: "daks")
        let examples = repositoryRoot.appendingPathComponent("deploy/data-examples")
        _ = try store.importSensors(examples.appendingPathComponent("sensors.csv").path)
        _ = try store.importParkingSites(examples.appendingPathComponent("parking-sites.csv").path)
        let input = dir.appendingPathComponent("input")
        let formats: [ImportFormat?] = [.parking, .parkingDatex, .visitorOrigin, .dwellTime, nil]
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        func state() -> [Data?] {
            [try? encoder.encode(store.status())] + ["parking-occupancy", "visitor-origin", "dwell-time"].map { id in
                try? encoder.encode(store.computeIndicator(IndicatorQuery(indicator: id, from: try DayNumber(iso: "2025-01-01"),
                                                                          to: try DayNumber(iso: "2025-12-31"))))
            }
        }
        var stored = state()
        return { bytes in
            guard let first = bytes.first else { return }
            guard (try? Data(bytes.dropFirst()).write(to: input)) != nil else { return }
            var options = ImportOptions()
            options.maximumLineLength = 4096
            do {
                let summary = try formats[Int(first) % formats.count].map { try store.importFile(input.path, format: $0, options: options) }
                    ?? store.importParkingSites(input.path, options: options)
                if verbose { printError("  \(summary)\n") }
                stored = state()
            } catch {
                if verbose { printError("  \(error)\n") }
                expect(state() == stored, "a refused import (\(error)) changed the node's state")
            }
        }
    }
}
