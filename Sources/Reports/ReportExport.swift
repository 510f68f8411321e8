public import Foundation

/// How a CSV file is written.
///
/// Why: programs want RFC 4180 (comma, dot decimals); Excel with Belgian settings opens a file
/// with semicolons and decimal commas directly.
public enum CSVDialect: String, Sendable, CaseIterable {
    /// RFC 4180: `,` between fields, `.` in numbers, CRLF line ends.
    case standard
    /// `;` between fields, `,` in numbers, CRLF, with a UTF-8 byte-order mark for Excel.
    case belgianExcel

    /// The reader's convention for a page language: Dutch readers (nl-BE) get semicolons and
    /// decimal commas, which their spreadsheet opens in columns; English readers RFC 4180.
    public init(_ language: ReportLanguage) {
        self = language == .nl ? .belgianExcel : .standard
    }
}

/// CSV and JSON exports of report tables and models, and writing a report's files to a directory.
///
/// Why: every table on a page can be downloaded; the demo and the node write static reports.
public enum ReportExport {
    /// The table as CSV: a header row of column keys, then the rows. Fields with the separator, a
    /// quote, CR or LF are quoted and quotes doubled (RFC 4180); a field starting with `=`, `+`,
    /// `-` or `@` that is text (not a number) is prefixed with `'` so spreadsheets do not run it.
    public static func csv(_ table: ReportTable, dialect: CSVDialect = .standard) -> String {
        let sep: Character = dialect == .standard ? "," : ";"
        var out = dialect == .belgianExcel ? "\u{FEFF}" : ""
        out += table.columns.map { field($0.key, sep) }.joined(separator: String(sep)) + "\r\n"
        for row in table.rows {
            out +=
                row.map { cell in
                    var text = cell.plain(decimalComma: dialect == .belgianExcel)
                    if !cell.isNumeric, let first = text.first, "=+-@\t\r".contains(first) { text = "'" + text }
                    return field(text, sep)
                }.joined(separator: String(sep)) + "\r\n"
        }
        return out
    }

    static func field(_ text: String, _ sep: Character) -> String {
        guard text.contains(where: { $0 == sep || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The table as JSON: `{"name": …, "columns": [keys], "rows": [{key: value}]}`, numbers raw
    /// (fractions as fractions), missing as `null`, days as ISO strings.
    public static func json(_ table: ReportTable) -> String {
        var out = "{\"name\":\(jsonString(table.name)),\"columns\":["
        out += table.columns.map { jsonString($0.key) }.joined(separator: ",") + "],\"rows\":[\n"
        out += table.rows.map { row in
            "{" + zip(table.columns, row).map { "\(jsonString($0.key)):\($1.json)" }.joined(separator: ",") + "}"
        }.joined(separator: ",\n")
        return out + "\n]}\n"
    }

    /// A model (``RegionReport`` or ``TownReport``) as JSON with sorted keys and ISO 8601 dates:
    /// the exact input the page was rendered from.
    public static func json<Model: Encodable>(model: Model) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        do {
            return try encoder.encode(model)
        } catch {
            throw ReportsError(
                .encodingFailed,
                "The report could not be encoded as JSON (\(error)). A figure is probably NaN or infinite: pass nil for a missing value."
            )
        }
    }

    /// Decodes a model written by ``json(model:)``.
    public static func decode<Model: Decodable>(_ type: Model.Type, from data: Data) throws -> Model {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(type, from: data)
        } catch {
            throw ReportsError(
                .encodingFailed,
                "The report JSON could not be read (\(error)). Regenerate it with the same TownBench version.")
        }
    }

    /// Writes `index.html`, `report.json` (the model) and `tables/<name>.csv` / `.json` / `.xlsx`
    /// for every table into `directory` (created if needed); the CSV in the reader's convention
    /// (``CSVDialect/init(_:)``). Returns the path of the HTML file.
    @discardableResult
    public static func write(region: RegionReport, language: ReportLanguage = .en, to directory: URL) throws -> URL {
        var options = RenderOptions(language: language, tableLinkPrefix: "tables/")
        options.navigation = []
        return try write(
            html: RegionReportPage.render(region, options: options), model: json(model: region),
            tables: region.tables(language: language), dialect: CSVDialect(language), to: directory)
    }

    /// As ``write(region:language:to:)`` for a town page.
    @discardableResult
    public static func write(town: TownReport, language: ReportLanguage = .en, to directory: URL) throws -> URL {
        let options = RenderOptions(language: language, tableLinkPrefix: "tables/")
        return try write(
            html: TownReportPage.render(town, options: options), model: json(model: town),
            tables: town.tables(language: language), dialect: CSVDialect(language), to: directory)
    }

    static func write(html: String, model: Data, tables: [ReportTable], dialect: CSVDialect = .standard, to directory: URL) throws
        -> URL {
        // The XLSX files first: libxlsxwriter's own errors keep their sentence.
        let workbooks = try tables.map { try xlsx($0) }
        let fm = FileManager.default
        let tablesDir = directory.appendingPathComponent("tables", isDirectory: true)
        let page = directory.appendingPathComponent("index.html")
        do {
            try fm.createDirectory(at: tablesDir, withIntermediateDirectories: true)
            try Data(html.utf8).write(to: page, options: .atomic)
            try model.write(to: directory.appendingPathComponent("report.json"), options: .atomic)
            for (t, workbook) in zip(tables, workbooks) {
                try Data(csv(t, dialect: dialect).utf8).write(to: tablesDir.appendingPathComponent(t.name + ".csv"), options: .atomic)
                try workbook.write(to: tablesDir.appendingPathComponent(t.name + ".xlsx"), options: .atomic)
                try Data(json(t).utf8).write(to: tablesDir.appendingPathComponent(t.name + ".json"), options: .atomic)
            }
        } catch {
            throw ReportsError(
                .writeFailed,
                "Could not write the report into \(directory.path) (\(error.localizedDescription)). Check that the directory is writable and the disk is not full."
            )
        }
        return page
    }

    /// A JSON string literal (RFC 8259 escaping).
    static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<": out += "\\u003c"  // safe to embed in HTML
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
