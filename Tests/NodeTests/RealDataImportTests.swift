import Foundation
@testable import Node
import Storage
import TestSupport
import Testing

/// What importing a real public footfall export (deploy/bench/real-data/) showed: vendor files in
/// local time with no offset, wide, with the spring DST night's non-existent hour filled in.
@Suite struct RealDataImportTests {
    /// A wide export lists the skipped hour of the spring DST night like any other (often as
    /// zeros). With `--rejects` that line is set aside once, not once per sensor cell, and the
    /// hours around it are imported.
    @Test func aWideLineAtANonexistentLocalTimeIsRejectedOnce() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            let file = try fixture.write("wide.csv", """
                start,ped-markt,ped-straat
                2025-03-30 01:00,10,20
                2025-03-30 02:00,0,0
                2025-03-30 03:00,30,40

                """)
            var options = ImportOptions()
            options.intervalMinutes = 60
            let rejects = dir.appendingPathComponent("rejects.csv").path
            options.rejectsPath = rejects
            let summary = try fixture.store.importFile(file, format: .counts, options: options)
            #expect(summary.rowsRead == 3)
            #expect(summary.rowsInserted == 4)
            #expect(summary.rowsRejected == 1)
            let written = try String(contentsOfFile: rejects, encoding: .utf8).split(separator: "\n").map(String.init)
            #expect(written.count == 2, "\(written)")
            #expect(written.last?.hasPrefix("3,1,\"this local time does not exist in Europe/Brussels") == true, "\(written)")
            // 01:00 is winter time (+01:00), 03:00 summer time (+02:00): one hour apart in UTC.
            let starts = try fixture.query("SELECT DISTINCT start FROM counts ORDER BY start").map { try $0.int64(0) }
            #expect(starts == [NodeFixture.epoch("2025-03-30T00:00:00Z"), NodeFixture.epoch("2025-03-30T01:00:00Z")])
        }
    }

    /// Without `--rejects` the same file is refused as a whole, at the line's time column, and the
    /// message says how to import it anyway.
    @Test func withoutRejectsTheNonexistentHourRefusesTheImport() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            let file = try fixture.write("wide.csv", "start,ped-markt\n2025-03-30 01:00,10\n2025-03-30 02:00,0\n")
            var options = ImportOptions()
            options.intervalMinutes = 60
            let before = try fixture.snapshot()
            let error = try #require(throws: NodeError.self) { try fixture.store.importFile(file, format: .counts, options: options) }
            #expect(error.location == .init(file: "wide.csv", line: 3, column: 1))
            // The way out for a vendor file is named: such hours are not data.
            #expect(error.message.contains("--rejects FILE"), "\(error.message)")
            #expect(try fixture.snapshot() == before)
        }
    }

    /// A vendor export labelled an hour twice. The message names the time as the file wrote it
    /// (local), with UTC beside it, so the admin can find the line; UTC alone matched nothing in it.
    @Test func aDuplicateHourIsNamedInLocalTime() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            let file = try fixture.write("wide.csv", "start,ped-markt\n2025-01-05 06:00,1\n2025-01-05 07:00,3\n2025-01-05 06:00,5\n")
            var options = ImportOptions()
            options.intervalMinutes = 60
            let error = try #require(throws: NodeError.self) { try fixture.store.importFile(file, format: .counts, options: options) }
            #expect(error.location?.line == 4)
            #expect(error.message.contains("start 2025-01-05 06:00 local (2025-01-05T05:00:00Z)"), "\(error.message)")
        }
    }
}
