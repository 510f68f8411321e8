// Table downloads beside the served report pages (issue 20): every table of a page as CSV (in the
// reader's convention), XLSX (numbers as numbers) or JSON, scoped exactly like its page: the routes
// `…/region/tables/{file}` and `…/towns/{town}/tables/{file}` (`file` = `<table>.csv|xlsx|json`)
// are registered in the page groups (`PageRoutes.swift`).
import Foundation
import HTTPServer
import Reports

extension PageRoutes {
    /// The page's options with download links under its own path (`…/tables/<name>.<ext>?<query>`).
    func tableOptions(_ request: HTTPRequest, _ principal: Principal, _ language: ReportLanguage) -> RenderOptions {
        var options = options(request, principal, language)
        options.tableLinkPrefix = request.path + "/tables/"
        let query = request.query.items.map { Self.escape($0.name) + "=" + Self.escape($0.value) }.joined(separator: "&")
        options.tableLinkSuffix = query.isEmpty ? "" : "?" + query
        return options
    }

    /// One table as a download; 404 naming the tables there are for an unknown name or extension.
    static func download(_ tables: [ReportTable], file: String, language: ReportLanguage) throws -> HTTPResponse {
        let dot = file.lastIndex(of: ".")
        let name = dot.map { String(file[..<$0]) } ?? file, ext = dot.map { String(file[file.index(after: $0)...]) } ?? ""
        guard let table = tables.first(where: { $0.name == name }), ["csv", "xlsx", "json"].contains(ext) else {
            throw CoordinatorError(.notFound, "No table \(file.prefix(80)) here. Tables: \(tables.map(\.name).joined(separator: ", ")), each as .csv, .xlsx or .json.")
        }
        var response: HTTPResponse
        switch ext {
        case "xlsx":
            let bytes: Data
            do { bytes = try ReportExport.xlsx(table) } catch {
                throw CoordinatorError(.storage, "The XLSX of table \(name) could not be written: \(error)")
            }
            response = HTTPResponse(status: .ok, headers: ["Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"],
                                    body: Array(bytes))
        case "json":
            response = HTTPResponse(status: .ok, headers: ["Content-Type": "application/json; charset=utf-8"], body: Array(ReportExport.json(table).utf8))
        default:
            response = HTTPResponse(status: .ok, headers: ["Content-Type": "text/csv; charset=utf-8"],
                                    body: Array(ReportExport.csv(table, dialect: CSVDialect(language)).utf8))
        }
        response.headers["Content-Disposition"] = "attachment; filename=\"\(name).\(ext)\""
        secure(&response)
        return response
    }
}
