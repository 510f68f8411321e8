import Foundation
import Indicators
import Reports
import TestSupport
import Testing

/// The XLSX tables, read back by Debian's python3-openpyxl (an oracle only: the product never
/// runs Python).
struct XLSXTests {
    /// Debian's interpreter, which has python3-openpyxl (deploy/check.sh installs it).
    static let python = URL(fileURLWithPath: "/usr/bin/python3")

    /// Every cell of the first sheet as `[[value, number_format, data_type]]`, values as JSON
    /// (dates as ISO days).
    static func read(_ file: URL) throws -> [[[String?]]] {
        let script = """
            import json, sys, datetime, openpyxl
            ws = openpyxl.load_workbook(sys.argv[1]).worksheets[0]
            def v(c):
                if c.value is None: return None
                if isinstance(c.value, datetime.datetime): return c.value.date().isoformat()
                return repr(c.value) if not isinstance(c.value, str) else c.value
            print(json.dumps({"title": ws.title, "rows": [[[v(c), c.number_format, c.data_type] for c in row] for row in ws.iter_rows()]}))
            """
        let result = try runProcess(python, ["-c", script, file.path])
        #expect(result.status == 0, "openpyxl failed (install python3-openpyxl): \(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let rows = try #require(object["rows"] as? [[[Any]]])
        return rows.map { $0.map { $0.map { $0 as? String } } }
    }

    @Test("numbers are numbers with Belgian-readable formats, days are dates, text stays text")
    func trickyTable() throws {
        try withTemporaryDirectory { dir in
            let file = dir.appendingPathComponent("t.xlsx")
            try ReportExport.xlsx(ExportTests.tricky).write(to: file)
            let rows = try Self.read(file)
            #expect(rows.count == 6)
            #expect(rows[0].map { $0[0] } == ["Name", "Value", "Day"])
            #expect(rows[1][0] == ["a,b", "General", "s"])
            #expect(rows[1][1] == ["1.5", "#,##0.0", "n"])
            #expect(rows[1][2] == ["2024-10-04", "dd/mm/yyyy", "d"])
            #expect(rows[2][1] == ["-0.25", "0.0%", "n"])
            #expect(rows[2][2][0] == nil)
            #expect(rows[3][0] == ["line\nbreak", "General", "s"])
            #expect(rows[3][1][0] == nil)
            // A formula-looking text is a string cell, never a formula.
            #expect(rows[4][0] == ["=SUM(A1:A9)", "General", "s"])
            #expect(rows[4][1] == ["-3", "+#,##0.0;-#,##0.0;#,##0.0", "n"])
            #expect(rows[5][1] == ["12345", "#,##0", "n"])
        }
    }

    @Test("a written report has an XLSX beside each CSV, and Dutch readers get semicolon CSVs")
    func writtenReportHasWorkbooks() throws {
        try withTemporaryDirectory { dir in
            let page = try ReportExport.write(town: Samples.town, language: .nl, to: dir)
            let html = try String(contentsOf: page, encoding: .utf8)
            #expect(html.contains("href=\"tables/summary.xlsx\" download>XLSX</a>"))
            for table in Samples.town.tables(language: .nl) {
                let xlsx = dir.appendingPathComponent("tables/\(table.name).xlsx")
                let rows = try Self.read(xlsx)
                #expect(rows.count == table.rows.count + 1, "\(table.name)")
                let csv = try Data(contentsOf: dir.appendingPathComponent("tables/\(table.name).csv"))
                #expect(csv.starts(with: [0xEF, 0xBB, 0xBF]), "\(table.name): the nl-BE CSV starts with a byte-order mark")
                #expect(Array(csv) == Array(ReportExport.csv(table, dialect: .belgianExcel).utf8), "\(table.name): semicolons, decimal commas")
            }
            let summary = try Self.read(dir.appendingPathComponent("tables/summary.xlsx"))
            #expect(summary[1][0][0].flatMap(Double.init) == Samples.town.footfall.index)
        }
    }
}
