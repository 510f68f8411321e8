import Foundation
import Indicators
import Reports
import TestSupport
import Testing

/// CSV quoting, the Belgian dialect, table JSON and writing a report's files.
struct ExportTests {
    static let tricky = ReportTable(
        name: "t", title: "T",
        columns: [
            .init(key: "name", title: "Name"), .init(key: "value", title: "Value"), .init(key: "day", title: "Day"),
        ],
        rows: [
            [.text("a,b"), .number(1.5, decimals: 1), .day(DayNumber(20_000))],
            [.text("He said \"hi\""), .percent(-0.25), .day(nil)],
            [.text("line\nbreak"), .number(nil, decimals: 1), .text("")],
            [.text("=SUM(A1:A9)"), .signedNumber(-3, decimals: 1), .text("-x")],
            [.text("a;b"), .integer(12_345), .text("plain")],
        ])

    @Test func csvQuotesPerRFC4180AndDefusesFormulas() {
        let expected =
            "name,value,day\r\n"
            + "\"a,b\",1.5,2024-10-04\r\n"
            + "\"He said \"\"hi\"\"\",-0.25,\r\n"
            + "\"line\nbreak\",,\r\n"
            + "'=SUM(A1:A9),-3,'-x\r\n"
            + "a;b,12345,plain\r\n"
        #expect(ReportExport.csv(Self.tricky) == expected)
    }

    @Test func belgianExcelDialect() {
        let csv = ReportExport.csv(Self.tricky, dialect: .belgianExcel)
        #expect(csv.hasPrefix("\u{FEFF}name;value;day\r\n"))
        #expect(csv.contains("\r\na,b;1,5;2024-10-04\r\n"))
        #expect(csv.contains("\r\n\"a;b\";12345;plain\r\n"))
        #expect(csv.contains(";-0,25;"))
    }

    @Test func tableJSONHasRawNumbersAndNulls() throws {
        let text = ReportExport.json(Self.tricky)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["name"] as? String == "t")
        #expect(object["columns"] as? [String] == ["name", "value", "day"])
        let rows = try #require(object["rows"] as? [[String: Any]])
        #expect(rows.count == 5)
        #expect(rows[0]["name"] as? String == "a,b")
        #expect(rows[0]["value"] as? Double == 1.5)
        #expect(rows[0]["day"] as? String == "2024-10-04")
        #expect(rows[1]["name"] as? String == "He said \"hi\"")
        #expect(rows[1]["value"] as? Double == -0.25)
        #expect(rows[1]["day"] is NSNull)
        #expect(rows[2]["name"] as? String == "line\nbreak")
        #expect(rows[2]["value"] is NSNull)
        #expect(rows[4]["value"] as? Int == 12_345)
    }

    @Test func everyPageTableHasTheSameRowsInFiles() throws {
        let region = Samples.region
        let tables = region.tables()
        #expect(
            tables.map(\.name) == [
                "towns", "network", "events", "conversion", "coverage", "methodology", "footfall-series",
            ])
        let towns = try #require(tables.first { $0.name == "towns" })
        let csv = ReportExport.csv(towns)
        let lines = csv.split(separator: "\r\n", omittingEmptySubsequences: true)
        #expect(lines.first == "rank,town,index,change,completeness,status")
        #expect(lines.count == 1 + region.towns.count)
        // Ranked first: town-5 is unranked and last; rank 1 is town-6 (the hostile name, quoted because of its quotes).
        #expect(lines[1] == "1,\"<script>alert(\"\"x\"\")</script> & Co\",110,3.5,0.985,complete")
        #expect(lines[2] == "2,Menen,104,1.5,0.985,stale")
        #expect(lines.last == ",Veurne,,,,missing")
    }

    @Test func modelJSONRoundTrips() throws {
        let region = Samples.region
        let data = try ReportExport.json(model: region)
        #expect(try ReportExport.decode(RegionReport.self, from: data) == region)
        let town = Samples.town
        #expect(try ReportExport.decode(TownReport.self, from: ReportExport.json(model: town)) == town)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"generatedAt\" : \"2026-11-23T08:00:00Z\""))
        #expect(text.contains("\"start\" : \"2026-11-16\""))
    }

    @Test func writeCreatesPageModelAndTables() throws {
        try withTemporaryDirectory { dir in
            let page = try ReportExport.write(region: Samples.region, to: dir.appendingPathComponent("region"))
            #expect(page.lastPathComponent == "index.html")
            let html = try String(contentsOf: page, encoding: .utf8)
            #expect(html.contains("href=\"tables/towns.csv\""))
            for name in ["towns", "events", "coverage", "footfall-series"] {
                for ext in ["csv", "json"] {
                    let path = dir.appendingPathComponent("region/tables/\(name).\(ext)").path
                    #expect(FileManager.default.fileExists(atPath: path), "\(path)")
                }
            }
            let model = try Data(contentsOf: dir.appendingPathComponent("region/report.json"))
            #expect(try ReportExport.decode(RegionReport.self, from: model) == Samples.region)
        }
    }

    @Test func writeIntoAFileFailsWithWriteFailed() throws {
        try withTemporaryDirectory { dir in
            let file = dir.appendingPathComponent("occupied")
            try Data("x".utf8).write(to: file)
            #expect(throws: ReportsError.self) { try ReportExport.write(town: Samples.town, to: file) }
            do {
                try ReportExport.write(town: Samples.town, to: file)
            } catch let error as ReportsError {
                #expect(error.code == .writeFailed)
                #expect(error.description.contains(file.path))
            }
        }
    }
}
