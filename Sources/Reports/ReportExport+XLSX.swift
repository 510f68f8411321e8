import CXLSXWriter
public import Foundation
import Indicators

/// XLSX workbooks of report tables through libxlsxwriter (`CXLSXWriter`).
///
/// Why: a Belgian spreadsheet opens an RFC 4180 CSV as one column, and even the semicolon dialect
/// turns fractions into text in some settings. An XLSX cell holds a real number with a number
/// format; formats are stored in the file's neutral notation (`#,##0.0`, `0.0%`, `dd/mm/yyyy`) and
/// Excel and LibreOffice show them with the reader's separators (`1.234,5` in nl-BE). Text is
/// always written as a string cell, so nothing in it runs as a formula.
extension ReportExport {
    /// The Excel format codes of the cells (neutral notation, shown in the reader's locale).
    static func xlsxFormat(_ cell: ReportCell) -> String? {
        func decimals(_ d: Int) -> String { d > 0 ? "." + String(repeating: "0", count: min(d, 6)) : "" }
        switch cell {
        case .number(_, let d): return "#,##0" + decimals(d)
        case .signedNumber(_, let d):
            let f = "#,##0" + decimals(d)
            return "+\(f);-\(f);\(f)"
        case .percent: return "0.0%"
        case .signedPercent: return "+0.0%;-0.0%;0.0%"
        case .integer: return "#,##0"
        case .day: return "dd/mm/yyyy"
        case .text, .days, .status: return nil
        }
    }

    /// Excel's serial day number of a local day (days since 1899-12-30).
    static func excelSerial(_ day: DayNumber) -> Double { Double(day.rawValue + 25_569) }

    /// The table as an XLSX workbook: one sheet named after the table, a bold header row of column
    /// titles (the page language), numbers as numbers with Belgian-readable formats, days as dates,
    /// missing values as empty cells. Throws `writeFailed` when the temporary file cannot be
    /// written or read back.
    public static func xlsx(_ table: ReportTable) throws -> Data {
        guard table.rows.count < 1_048_575, table.columns.count <= 16_384 else {
            throw ReportsError(
                .writeFailed, "Table \(table.name) has \(table.rows.count) rows and \(table.columns.count) columns, more than an XLSX sheet holds; download it as CSV.")
        }
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("townbench-\(UUID().uuidString).xlsx").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        guard let workbook = workbook_new(path) else {
            throw ReportsError(.writeFailed, "libxlsxwriter could not start a workbook at \(path). Check that the temporary directory is writable.")
        }
        // One name per table: `[a-z0-9-]` file stems are valid sheet names; cut to Excel's 31.
        let sheetName = String(table.name.prefix(31))
        guard let sheet = workbook_add_worksheet(workbook, sheetName.isEmpty ? "table" : sheetName) else {
            _ = workbook_close(workbook)
            throw ReportsError(.writeFailed, "libxlsxwriter refused the sheet name \(sheetName). Name tables with [a-z0-9-].")
        }
        let header = workbook_add_format(workbook)
        format_set_bold(header)
        var formats: [String: UnsafeMutablePointer<lxw_format>] = [:]
        func format(_ code: String) -> UnsafeMutablePointer<lxw_format>? {
            if let f = formats[code] { return f }
            guard let f = workbook_add_format(workbook) else { return nil }
            format_set_num_format(f, code)
            formats[code] = f
            return f
        }
        var failure: lxw_error = LXW_NO_ERROR
        func check(_ e: lxw_error) { if e != LXW_NO_ERROR, failure == LXW_NO_ERROR { failure = e } }
        for (c, column) in table.columns.enumerated() {
            check(worksheet_write_string(sheet, 0, lxw_col_t(c), column.title, header))
            _ = worksheet_set_column(sheet, lxw_col_t(c), lxw_col_t(c), max(10, min(50, Double(column.title.count) + 2)), nil)
        }
        for (r, row) in table.rows.enumerated() {
            let y = lxw_row_t(r + 1)
            for (c, cell) in row.prefix(table.columns.count).enumerated() {
                let x = lxw_col_t(c)
                let f = xlsxFormat(cell).flatMap(format)
                switch cell {
                case .number(let v, _), .signedNumber(let v, _), .percent(let v), .signedPercent(let v):
                    if let v, v.isFinite { check(worksheet_write_number(sheet, y, x, v, f)) }
                case .integer(let v):
                    if let v { check(worksheet_write_number(sheet, y, x, Double(v), f)) }
                case .day(let d):
                    if let d { check(worksheet_write_number(sheet, y, x, excelSerial(d), f)) }
                case .text, .days, .status:
                    let text = cell.plain(decimalComma: false)
                    if !text.isEmpty { check(worksheet_write_string(sheet, y, x, text, nil)) }
                }
            }
        }
        let closed = workbook_close(workbook)
        if failure == LXW_NO_ERROR { failure = closed }
        guard failure == LXW_NO_ERROR else {
            let reason = lxw_strerror(failure).map { String(cString: $0) } ?? "error \(failure.rawValue)"
            throw ReportsError(.writeFailed, "libxlsxwriter could not write table \(table.name) (\(reason)). Check the temporary directory's free space.")
        }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ReportsError(.writeFailed, "The XLSX of table \(table.name) could not be read back from \(path) (\(error.localizedDescription)).")
        }
    }
}
