import Foundation
@testable import Node
import Storage
import TestSupport
import Testing

/// Files as vendors really export them: Belgian spreadsheet CSV (semicolons, a byte order mark,
/// grouped thousands, wide tables), XLSX workbooks, and bad rows quarantined with `--rejects`.
@Suite struct VendorFilesTests {
    static let examples = Repository.root.appendingPathComponent("deploy/data-examples")

    /// A node with the example sensors of deploy/data-examples/sensors.csv.
    func exampleNode(_ dir: URL) throws -> NodeFixture {
        let fixture = try NodeFixture(in: dir, sensors: false)
        _ = try fixture.store.importSensors(Self.examples.appendingPathComponent("sensors.csv").path)
        return fixture
    }

    func counts(_ fixture: NodeFixture) throws -> [String] {
        try fixture.query("""
            SELECT s.name, c.start, c.minutes, c.measure, c.count FROM counts c JOIN sensors s ON s.id = c.sensor_id ORDER BY c.start, s.name
            """).map { "\(try $0.string(0)) \(try $0.int64(1).utcString) \(try $0.int64(2)) \(try $0.int64(3)) \(try $0.double(4).compact)" }
    }

    // MARK: Numbers

    @Test(arguments: [
        // (text, decimal mark, thousands separator, decimals, expected value or part of the error)
        ("1250,5", nil, nil, 2, "125050"),
        ("1250.50", nil, nil, 2, "125050"),
        ("1.234", nil, nil, 0, "ambiguous"),
        ("1,234", nil, nil, 2, "ambiguous"),
        ("0.125", nil, nil, 3, "125"),
        ("1.234", ",", nil, 0, "--thousands point"),
        ("1.234", ",", ".", 0, "1234"),
        ("1.234.567,25", ",", ".", 2, "123456725"),
        ("1,234,567.25", ".", ",", 2, "123456725"),
        ("12.34.567", ",", ".", 0, "groups its digits wrongly"),
        ("1 204", nil, " ", 0, "1204"),
        ("12,0", ",", nil, 0, "12"),
        ("12,5", ",", nil, 0, "not a whole number"),
        ("1.5", ",", nil, 2, "not the decimal mark"),
        ("-3", nil, nil, 0, "not a number"),
        ("99999999999999999999", nil, nil, 0, "too large"),
    ] as [(String, String?, String?, Int, String)])
    func numbersAreReadAsTheFileSaysOrRefused(_ c: (String, String?, String?, Int, String)) {
        let format = NumberFormat(decimalMark: c.1.map { UInt8(ascii: Unicode.Scalar($0)!) },
                                  thousandsSeparator: c.2.map { UInt8(ascii: Unicode.Scalar($0)!) })
        var text = c.0
        switch text.withUTF8({ format.scaled($0, maxDecimals: c.3) }) {
        case .success(let value): #expect(String(value) == c.4, "\(c.0) gave \(value)")
        case .failure(let problem): #expect(problem.reason.contains(c.4), "\(c.0): \(problem.reason)")
        }
    }

    // MARK: Belgian CSV, wide layout

    @Test func aBelgianWideExportIsDetectedAndThousandsNeedTheOption() throws {
        try withTemporaryDirectory { dir in
            let fixture = try exampleNode(dir)
            let file = Self.examples.appendingPathComponent("counts-wide-belgian.csv").path
            var options = ImportOptions()
            options.intervalMinutes = 60
            // `1.204` could be 1.204 or 1204: refused until the file's convention is named.
            let before = try fixture.snapshot()
            let ambiguous = try #require(throws: NodeError.self) { try fixture.store.importFile(file, format: .counts, options: options) }
            #expect(ambiguous.location == .init(file: "counts-wide-belgian.csv", line: 4, column: 18))
            #expect(ambiguous.message.contains("ambiguous") && ambiguous.message.contains("--thousands"), "\(ambiguous)")
            options.numbers = NumberFormat(decimalMark: UInt8(ascii: ","))
            let notDecimal = try #require(throws: NodeError.self) { try fixture.store.importFile(file, format: .counts, options: options) }
            #expect(notDecimal.message.contains("--thousands point"), "\(notDecimal)")
            #expect(try fixture.snapshot() == before)

            options.numbers.thousandsSeparator = UInt8(ascii: ".")
            let summary = try fixture.store.importFile(file, format: .counts, options: options)
            #expect(summary.rowsRead == 3)
            #expect(summary.rowsInserted == 5, "the empty cell is a missing reading, not a zero")
            let detected = try #require(summary.detected)
            #expect(detected.contains("semicolon-separated"))
            #expect(detected.contains("byte order mark"))
            #expect(detected.contains("wide layout: time column 'Tijdstip', 2 sensor column(s), 60 min"), "\(detected)")
            #expect(try counts(fixture) == [
                "markt-noord 2025-06-10T07:00:00Z 60 1 212", "marktstraat-12 2025-06-10T07:00:00Z 60 1 830",
                "markt-noord 2025-06-10T08:00:00Z 60 1 245",
                "markt-noord 2025-06-10T09:00:00Z 60 1 1204", "marktstraat-12 2025-06-10T09:00:00Z 60 1 905",
            ])
        }
    }

    @Test func aWideFileNeedsMinutesAndDeclaredSensorColumns() throws {
        try withTemporaryDirectory { dir in
            let fixture = try exampleNode(dir)
            let file = try fixture.write("w.csv", "tijdstip;markt-noord\n2025-06-10 09:00;1\n")
            let minutes = try #require(throws: NodeError.self) { try fixture.store.importFile(file, format: .counts) }
            #expect(minutes.code == .invalidArgument && minutes.message.contains("--minutes"), "\(minutes)")
            var options = ImportOptions()
            options.layout = .wide
            options.intervalMinutes = 15
            let unknown = try fixture.write("u.csv", "tijdstip;markt-noord;markt-zuid\n2025-06-10 09:00;1;2\n")
            let error = try #require(throws: NodeError.self) { try fixture.store.importFile(unknown, format: .counts, options: options) }
            #expect(error.location == .init(file: "u.csv", line: 1, column: 22))
            #expect(error.message.contains("'markt-zuid' is not a declared sensor"), "\(error)")
            // Without --layout, a header that is neither layout says what each would need.
            let neither = try #require(throws: NodeError.self) { try fixture.store.importFile(unknown, format: .counts) }
            #expect(neither.message.contains("--layout long|wide"), "\(neither)")
            // A vehicle sensor counts several measures: --measure is needed.
            let vehicle = try fixture.write("v.csv", "time,telraam-348917\n2025-06-10 09:00,4\n")
            let measure = try #require(throws: NodeError.self) { try fixture.store.importFile(vehicle, format: .counts, options: options) }
            #expect(measure.message.contains("--measure"), "\(measure)")
            options.measure = .cars
            #expect(try fixture.store.importFile(vehicle, format: .counts, options: options).rowsInserted == 1)
        }
    }

    @Test func aChosenDelimiterOverridesDetection() throws {
        try withTemporaryDirectory { dir in
            let fixture = try exampleNode(dir)
            // Forced to ',', a semicolon file is one column and refused; --delimiter semicolon reads it.
            let file = try fixture.write("d.csv", "sensor;start;minutes;measure;count\nmarkt-noord;2025-06-10T09:00:00Z;15;pedestrians;3\n")
            var options = ImportOptions()
            options.delimiter = UInt8(ascii: ",")
            #expect(throws: NodeError.self) { try fixture.store.importFile(file, format: .counts, options: options) }
            options.delimiter = UInt8(ascii: ";")
            let summary = try fixture.store.importFile(file, format: .counts, options: options)
            #expect(summary.rowsInserted == 1)
            #expect(summary.detected == "semicolon-separated, long layout")
            // The plain case (commas, no byte order mark, long layout) is not worth a line.
            let plain = try fixture.write("p.csv", "sensor,start,minutes,measure,count\nmarkt-noord,2025-06-10T10:00:00Z,15,pedestrians,3\n")
            #expect(try fixture.store.importFile(plain, format: .counts).detected == nil)
        }
    }

    // MARK: XLSX

    @Test func anExcelWorkbookWithSharedStringsAndDateCellsImports() throws {
        try withTemporaryDirectory { dir in
            let fixture = try exampleNode(dir)
            let summary = try fixture.store.importFile(Self.examples.appendingPathComponent("counts.xlsx").path, format: .counts)
            #expect(summary.detected == "XLSX sheet 'Blad1' (the first; --sheet picks another), long layout")
            #expect(summary.rowsInserted == 2)
            // 45815.375 is 2025-06-07 09:00 local (07:00Z); the rich-text "pedestrians" is one string.
            #expect(try counts(fixture) == ["marktstraat-12 2025-06-07T05:00:00Z 60 1 830", "markt-noord 2025-06-07T07:00:00Z 15 1 212"])
        }
    }

    @Test func aWideWorkbookSheetIsChosenByName() throws {
        try withTemporaryDirectory { dir in
            let fixture = try exampleNode(dir)
            let file = Self.examples.appendingPathComponent("counts-wide.xlsx").path
            var options = ImportOptions()
            options.intervalMinutes = 60
            // The first sheet is a cover page: the header error says so, with the layouts.
            let cover = try #require(throws: NodeError.self) { try fixture.store.importFile(file, format: .counts, options: options) }
            #expect(cover.message.contains("neither the long layout"), "\(cover)")
            options.sheet = "Telling"
            let missing = try #require(throws: NodeError.self) { try fixture.store.importFile(file, format: .counts, options: options) }
            #expect(missing.message.contains("no sheet 'Telling'; its sheets are: 'Info', 'Tellingen'"), "\(missing)")
            options.sheet = "Tellingen"
            let summary = try fixture.store.importFile(file, format: .counts, options: options)
            #expect(summary.rowsInserted == 5)
            // Date cells (serial days) and a time written as text give the same kind of instant.
            #expect(try counts(fixture) == [
                "markt-noord 2025-06-09T07:00:00Z 60 1 212", "marktstraat-12 2025-06-09T07:00:00Z 60 1 830",
                "markt-noord 2025-06-09T08:00:00Z 60 1 245",
                "markt-noord 2025-06-09T09:00:00Z 60 1 1204", "marktstraat-12 2025-06-09T09:00:00Z 60 1 905",
            ])
        }
    }

    @Test func aWorkbookInThe1904DateSystemGivesTheRightDays() throws {
        try withTemporaryDirectory { dir in
            let fixture = try exampleNode(dir)
            let summary = try fixture.store.importFile(Self.examples.appendingPathComponent("spending.xlsx").path, format: .spending)
            #expect(summary.rowsInserted == 2)
            let rows = try fixture.query("SELECT start, value_cents FROM spending ORDER BY value_cents")
            // 2025-06-07 00:00 in Brussels is 2025-06-06T22:00Z.
            #expect(try rows.map { "\(try $0.int64(0).utcString) \(try $0.int64(1))" } == ["2025-06-06T22:00:00Z 812025", "2025-06-06T22:00:00Z 3011840"])
        }
    }

    @Test func aDamagedOrForeignZipIsRefusedClearly() throws {
        try withTemporaryDirectory { dir in
            let fixture = try exampleNode(dir)
            let whole = try Data(contentsOf: Self.examples.appendingPathComponent("counts.xlsx"))
            let truncated = try fixture.write("cut.xlsx", whole.prefix(300))
            let error = try #require(throws: NodeError.self) { try fixture.store.importFile(truncated, format: .counts) }
            #expect(error.message.contains("cut.xlsx"), "\(error)")
            #expect(error.isDataError)
            var options = ImportOptions()
            options.sheet = "Blad1"
            let csv = try fixture.write("plain.csv", "sensor,start,minutes,measure,count\n")
            let sheet = try #require(throws: NodeError.self) { try fixture.store.importFile(csv, format: .counts, options: options) }
            #expect(sheet.message.contains("--sheet Blad1 is for XLSX workbooks"), "\(sheet)")
        }
    }

    // MARK: Rejects

    static let mixedCounts = """
        sensor,start,minutes,measure,count
        markt-noord,2025-06-10T09:00:00Z,60,pedestrians,100
        markt-noord,2025-06-10T10:00:00Z,60,pedestrians,x
        nowhere,2025-06-10T10:00:00Z,60,pedestrians,5
        marktstraat-12,2025-06-10T09:00:00Z,60,pedestrians,"7,5"
        marktstraat-12,2025-06-10T10:00:00Z,60,pedestrians,40

        """

    @Test func rejectsQuarantinesBadRowsAndImportsTheRest() throws {
        try withTemporaryDirectory { dir in
            let fixture = try exampleNode(dir)
            let file = try fixture.write("mixed.csv", Self.mixedCounts)
            // Default: all or nothing.
            let before = try fixture.snapshot()
            #expect(throws: NodeError.self) { try fixture.store.importFile(file, format: .counts) }
            #expect(try fixture.snapshot() == before)

            var options = ImportOptions()
            let rejects = dir.appendingPathComponent("rejects.csv").path
            options.rejectsPath = rejects
            let summary = try fixture.store.importFile(file, format: .counts, options: options)
            #expect(summary.rowsRead == 5)
            #expect(summary.rowsInserted == 2)
            #expect(summary.rowsRejected == 3)
            #expect(try counts(fixture) == ["markt-noord 2025-06-10T09:00:00Z 60 1 100", "marktstraat-12 2025-06-10T10:00:00Z 60 1 40"])
            // The day's sums hold exactly the imported rows.
            let total = try fixture.query("SELECT sum(total) FROM daily")
            #expect(try total.first?.double(0) == 140)
            let written = try String(contentsOfFile: rejects, encoding: .utf8).split(separator: "\n").map(String.init)
            #expect(written.count == 4)
            #expect(written[0] == "line,column,reason,row")
            #expect(written[1].hasPrefix("3,49,count 'x' must be a whole number"), "\(written[1])")
            #expect(written[1].hasSuffix(",\"markt-noord,2025-06-10T10:00:00Z,60,pedestrians,x\""), "\(written[1])")
            #expect(written[2].hasPrefix("4,1,unknown sensor 'nowhere'"), "\(written[2])")
            #expect(written[3].hasPrefix("5,52,\"count '7,5' is not a whole number"), "\(written[3])")
            #expect(!FileManager.default.fileExists(atPath: rejects + ".partial"))
        }
    }

    /// Every table format reads through the one row loop (`ImportSession.forEachRow`), so the
    /// newer lots get separators and `--rejects` too: a Belgian semicolon export of visitor origin
    /// with one bad row imports the rest and sets that row aside.
    @Test func visitorOriginAndDwellTimeTakeSemicolonsAndRejects() throws {
        try withTemporaryDirectory { dir in
            let fixture = try exampleNode(dir)
            let origin = try fixture.write("origin.csv", """
                zone;day;origin;visitors
                markt;2025-06-07;own-municipality;1200
                markt;2025-06-07;the-moon;5
                markt;2025-06-07;neighbouring;640

                """)
            #expect(throws: NodeError.self) { try fixture.store.importFile(origin, format: .visitorOrigin) }
            var options = ImportOptions()
            let rejects = dir.appendingPathComponent("rejects.csv").path
            options.rejectsPath = rejects
            let summary = try fixture.store.importFile(origin, format: .visitorOrigin, options: options)
            #expect(summary.rowsRead == 3 && summary.rowsInserted == 2 && summary.rowsRejected == 1)
            let stored = try fixture.query("SELECT origin, visitors FROM visitor_origin ORDER BY origin").map { "\(try $0.string(0)) \(try $0.int64(1))" }
            #expect(stored == ["neighbouring 640", "own-municipality 1200"])
            let written = try String(contentsOfFile: rejects, encoding: .utf8)
            #expect(written.contains("unknown origin 'the-moon'"), "\(written)")

            let dwell = try fixture.write("dwell.csv", "zone;day;from_minutes;to_minutes;visitors\nmarkt;2025-06-07;0;30;400\nmarkt;2025-06-07;30;;90\n")
            let dwellSummary = try fixture.store.importFile(dwell, format: .dwellTime)
            #expect(dwellSummary.rowsInserted == 2)
        }
    }

    /// A number format is a date only when a date letter stands outside quotes and brackets: a
    /// `where` in the old `case "d", …, "s" where …` bound to "s" alone, so `0 "days"` read as a date.
    @Test func aQuotedUnitIsNoDateFormat() {
        #expect(StylesHandler.isDateFormat("dd/mm/yyyy hh:mm"))
        #expect(StylesHandler.isDateFormat("yyyy-mm-dd"))
        #expect(!StylesHandler.isDateFormat("0 \"days\""))
        #expect(!StylesHandler.isDateFormat("#,##0 \"m\u{00B2}\""))
        #expect(!StylesHandler.isDateFormat("[Red]0.00"))
        #expect(!StylesHandler.isDateFormat("General"))
    }

    @Test func rejectsKeepsConflictsOutAndAFailedImportWritesNoRejectsFile() throws {
        try withTemporaryDirectory { dir in
            let fixture = try exampleNode(dir)
            _ = try fixture.store.importFile(try fixture.write("first.csv", "sensor,start,minutes,measure,count\nmarkt-noord,2025-06-10T09:00:00Z,60,pedestrians,100\n"),
                                             format: .counts)
            var options = ImportOptions()
            let rejects = dir.appendingPathComponent("r.csv").path
            options.rejectsPath = rejects
            let second = try fixture.write("second.csv", "sensor,start,minutes,measure,count\nmarkt-noord,2025-06-10T09:00:00Z,60,pedestrians,101\nmarkt-noord,2025-06-10T10:00:00Z,60,pedestrians,7\n")
            let summary = try fixture.store.importFile(second, format: .counts, options: options)
            #expect(summary.rowsRejected == 1 && summary.rowsInserted == 1)
            #expect(try String(contentsOfFile: rejects, encoding: .utf8).contains("Use --replace"))
            #expect(try fixture.query("SELECT sum(total) FROM daily").first?.double(0) == 107)

            // A file-level error (bad header) still fails the whole import, and leaves no rejects file.
            try FileManager.default.removeItem(atPath: rejects)
            let bad = try fixture.write("bad.csv", "sensor,begin\n")
            #expect(throws: NodeError.self) { try fixture.store.importFile(bad, format: .counts, options: options) }
            #expect(!FileManager.default.fileExists(atPath: rejects))
            #expect(!FileManager.default.fileExists(atPath: rejects + ".partial"))
            // The rejects file may not be the input.
            options.rejectsPath = second
            let same = try #require(throws: NodeError.self) { try fixture.store.importFile(second, format: .counts, options: options) }
            #expect(same.code == .invalidArgument)
        }
    }

    @Test func rejectsWorksForTheCalendarFormatsToo() throws {
        try withTemporaryDirectory { dir in
            let fixture = try exampleNode(dir)
            var options = ImportOptions()
            options.rejectsPath = dir.appendingPathComponent("r.csv").path
            let file = try fixture.write("s.csv", """
                zone;start;minutes;sector;transactions;buyers;value_eur
                markt;2025-06-07;1440;retail;10;8;1.250,50
                markt;2025-06-08;1440;retail;10;80;99
                markt;2025-06-09;1440;retail;10;8;12,5

                """)
            options.numbers = NumberFormat(decimalMark: UInt8(ascii: ","), thousandsSeparator: UInt8(ascii: "."))
            let summary = try fixture.store.importFile(file, format: .spending, options: options)
            #expect(summary.rowsInserted == 2 && summary.rowsRejected == 1)
            #expect(try fixture.query("SELECT value_cents FROM spending ORDER BY start").map { try $0.int64(0) } == [125050, 1250])
            let written = try String(contentsOfFile: try #require(options.rejectsPath), encoding: .utf8)
            #expect(written.contains("3,33,buyers (80) exceed transactions (10)"), "\(written)")
            #expect(written.contains(",markt;2025-06-08;1440;retail;10;80;99\n"), "the row as written, with its separator")
        }
    }
}
