@testable import Coordinator
import Federation
import Foundation
import Reports
import Testing
import TestSupport

/// Every table of a served page downloads as CSV (the reader's convention), XLSX and JSON, scoped
/// like the page (issue 20).
struct TableDownloadTests {
    static let a = PageTests.a

    @Test("the town page links its tables; the XLSX opens with the right numbers, the Dutch CSV has semicolons")
    func townTables() throws {
        let fixture = try PageTests.populated()
        let cookie = try PageTests.session(fixture, "\(Self.a)/town:oostkamp")
        let pagePath = "/tenants/\(Self.a)/towns/oostkamp?from=2026-11-02&to=2026-11-08&lang=nl"
        let html = try PageTests.page(fixture, pagePath, cookie: cookie).bodyText
        let link = "/tenants/\(Self.a)/towns/oostkamp/tables/summary.xlsx?from=2026-11-02&amp;to=2026-11-08&amp;lang=nl"
        #expect(html.contains("href=\"\(link)\" download>XLSX</a>"), "\(html.prefix(0))")

        let query = "?from=2026-11-02&to=2026-11-08&lang=nl"
        let xlsx = try PageTests.page(fixture, "/tenants/\(Self.a)/towns/oostkamp/tables/summary.xlsx" + query, cookie: cookie)
        #expect(xlsx.status == 200)
        #expect(xlsx.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        #expect(xlsx.headers["content-disposition"] == "attachment; filename=\"summary.xlsx\"")
        try withTemporaryDirectory { dir in
            let file = dir.appendingPathComponent("summary.xlsx")
            try Data(xlsx.body).write(to: file)
            let script = """
                import sys, openpyxl
                ws = openpyxl.load_workbook(sys.argv[1]).worksheets[0]
                c = ws.cell(row=2, column=1)
                print(repr(c.value), c.number_format, c.data_type)
                """
            let result = try runProcess(URL(fileURLWithPath: "/usr/bin/python3"), ["-c", script, file.path])
            #expect(result.status == 0, "install python3-openpyxl: \(result.stderr)")
            // Oostkamp's index: 1234 against 1000 a year before.
            #expect(result.stdout == "123.4 #,##0.0 n\n", "\(result.stdout)")
        }
        let csv = try PageTests.page(fixture, "/tenants/\(Self.a)/towns/oostkamp/tables/summary.csv" + query, cookie: cookie)
        #expect(csv.status == 200 && csv.headers["content-type"] == "text/csv; charset=utf-8")
        #expect(csv.bodyText.contains("town_index;town_change;network_index") && csv.bodyText.contains("123,4;"), "\(csv.bodyText)")
        let english = try PageTests.page(fixture, "/tenants/\(Self.a)/towns/oostkamp/tables/summary.csv?from=2026-11-02&to=2026-11-08",
                                         cookie: cookie)
        #expect(english.bodyText.hasPrefix("town_index,town_change,network_index"))

        // Scoped like the page: another town's tables are not this town's to read; unknown tables name the known ones.
        #expect(try PageTests.page(fixture, "/tenants/\(Self.a)/towns/veurne/tables/summary.csv" + query, cookie: cookie).status == 404)
        let unknown = try PageTests.page(fixture, "/tenants/\(Self.a)/towns/oostkamp/tables/secrets.xlsx" + query, cookie: cookie)
        #expect(unknown.status == 404 && unknown.bodyText.contains("summary"))
        #expect(try PageTests.page(fixture, "/tenants/\(Self.a)/towns/oostkamp/tables/summary.exe" + query, cookie: cookie).status == 404)
        // Not logged in: to the login form.
        #expect(try PageTests.page(fixture, "/tenants/\(Self.a)/towns/oostkamp/tables/summary.csv", cookie: nil).status == 303)
    }

    @Test("the region's tables download for the coordinator")
    func regionTables() throws {
        let fixture = try PageTests.populated()
        let cookie = try PageTests.session(fixture, "\(Self.a)/coordinator")
        let response = try PageTests.page(fixture, "/tenants/\(Self.a)/region/tables/towns.json?from=2026-11-02&to=2026-11-08", cookie: cookie)
        #expect(response.status == 200)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        #expect((object["rows"] as? [[String: Any]])?.count == 3)
    }
}
