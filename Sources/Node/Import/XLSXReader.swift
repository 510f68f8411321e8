// Reading an XLSX workbook's sheet as records, for vendors that only export spreadsheets.
import CMiniZip
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
internal import Indicators

/// One sheet of an XLSX workbook, read as records like a CSV file's (row number as line, column
/// number as column, A = 1).
///
/// Why this way: an XLSX file is a ZIP archive of XML parts. The archive is read through Debian's
/// minizip (inflate stays in zlib) and each part is parsed with FoundationXML's event parser, so
/// no DOM is built. Each part is refused beyond a size limit measured while inflating, so a small
/// archive cannot expand into gigabytes. Numbers in date-formatted cells (Excel's serial days) become
/// `YYYY-MM-DD hh:mm:ss` local times; other numbers are written with at most 15 significant
/// digits, as Excel shows them.
struct XLSXReader {
    let path: String
    let fileName: String
    /// The sheet read, as the workbook names it.
    let sheetName: String
    private let sheetPart: String
    private let sharedStrings: [String]
    private let dateStyles: Set<Int>
    private let date1904: Bool
    /// The decimal mark numbers are written with (as `--decimal` says; `.` by default).
    var decimalMark = UInt8(ascii: ".")
    /// Largest XML part read, inflated.
    static let maximumPartBytes = 256 << 20

    /// Whether the file starts with a ZIP local-file signature (`PK\3\4`), as XLSX files do.
    static func isZip(_ path: String) throws -> Bool {
        let fd = try InputFile.open(path)
        defer { close(fd) }
        var magic = [UInt8](repeating: 0, count: 4)
        let n = magic.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4) }
        return n == 4 && magic == [0x50, 0x4B, 0x03, 0x04]
    }

    init(path: String, sheet: String?) throws {
        self.path = path
        fileName = (path as NSString).lastPathComponent
        let archive = try Archive(path: path)
        defer { archive.close() }
        let workbook = try WorkbookHandler.parse(try archive.read("xl/workbook.xml"), file: fileName)
        guard !workbook.sheets.isEmpty else {
            throw NodeError(.badInput, "\(fileName) is a workbook without sheets; export the data sheet again")
        }
        let chosen: (name: String, relation: String)
        if let sheet {
            guard let match = workbook.sheets.first(where: { $0.name == sheet }) else {
                throw NodeError(.invalidArgument, "\(fileName) has no sheet '\(sheet)'; its sheets are: \(workbook.sheets.map { "'\($0.name)'" }.joined(separator: ", "))")
            }
            chosen = match
        } else {
            chosen = workbook.sheets[0]
        }
        sheetName = chosen.name
        date1904 = workbook.date1904
        let relations = try RelationsHandler.parse(try archive.read("xl/_rels/workbook.xml.rels"), file: fileName)
        guard let target = relations[chosen.relation] else {
            throw NodeError(.badInput, "\(fileName): sheet '\(chosen.name)' has no part in the workbook's relations; the file is damaged. Save it again from the spreadsheet program")
        }
        sheetPart = target.hasPrefix("/") ? String(target.dropFirst()) : "xl/" + target
        let name = fileName
        sharedStrings = try archive.readIfPresent("xl/sharedStrings.xml").map { try SharedStringsHandler.parse($0, file: name) } ?? []
        dateStyles = try archive.readIfPresent("xl/styles.xml").map { try StylesHandler.parse($0, file: name) } ?? []
    }

    /// Calls `body` for each non-empty row, the first one included (the header).
    func forEachRecord(_ body: (inout CSVReader.Record) throws -> Void) throws {
        let archive = try Archive(path: path)
        defer { archive.close() }
        guard let data = try archive.readIfPresent(sheetPart) else {
            throw NodeError(.badInput, "\(fileName): the part \(sheetPart) is missing; save the file again from the spreadsheet program")
        }
        let handler = SheetHandler(reader: self)
        try withoutActuallyEscaping(body) { escapable in
            defer { handler.body = nil }
            handler.body = escapable
            guard let parser = XMLInput.parser(data) else {
                throw NodeError(.badInput, "\(fileName): sheet '\(sheetName)' is not UTF-8 XML; save the file again from the spreadsheet program")
            }
            parser.delegate = handler
            let ok = parser.parse()
            if let error = handler.error { throw error }
            guard ok else {
                throw NodeError(.badInput, "\(fileName): sheet '\(sheetName)' is not well-formed XML (\(parser.parserError.map { "\($0)" } ?? "parse error")); save the file again from the spreadsheet program")
            }
        }
    }

    /// A cell's text: shared and inline strings as written, numbers as Excel shows them, numbers
    /// in date-formatted cells as local `YYYY-MM-DD hh:mm:ss` (or `YYYY-MM-DD` for a whole day).
    fileprivate func cellText(type: String?, style: Int?, value: String, inline: String, at location: NodeError.Location) throws -> String {
        switch type {
        case "s":
            guard let index = Int(value), sharedStrings.indices.contains(index) else {
                throw NodeError(.badInput, "a cell refers to shared string \(value), which the workbook does not have; the file is damaged", at: location)
            }
            return sharedStrings[index]
        case "inlineStr": return inline
        case "str", "e": return value
        case "b": return value == "1" ? "true" : "false"
        default:
            guard !value.isEmpty else { return "" }
            guard let number = Double(value), number.isFinite else {
                throw NodeError(.badInput, "a number cell holds '\(value.prefix(40))', which is not a number; the file is damaged", at: location)
            }
            if let style, dateStyles.contains(style) { return try dateText(serial: number, at: location) }
            var text = String(format: "%.15g", number)
            if decimalMark != UInt8(ascii: ".") { text = text.replacingOccurrences(of: ".", with: String(UnicodeScalar(decimalMark))) }
            return text
        }
    }

    /// Excel's serial day (days since 1899-12-30, or 1904-01-01 in 1904 workbooks; the fraction is
    /// the time of day) as a local time, rounded to the second.
    private func dateText(serial: Double, at location: NodeError.Location) throws -> String {
        // 2000-01-01 … 2099-12-31: the days the node supports (serials 36526 … 73050 in 1900 workbooks).
        let epochOffset = date1904 ? -24_107 : -25_569
        guard serial >= 0, serial < 100_000 else {
            throw NodeError(.badInput, "a date cell holds \(serial), which is not a date between 2000 and 2099; check the cell's format", at: location)
        }
        var days = Int(serial.rounded(.down))
        var seconds = Int(((serial - Double(days)) * 86_400).rounded())
        if seconds >= 86_400 { days += 1; seconds -= 86_400 }
        let day = DayNumber(days + epochOffset)
        if seconds == 0 && serial == serial.rounded(.down) { return day.description }
        return day.description + String(format: " %02d:%02d:%02d", seconds / 3600, seconds % 3600 / 60, seconds % 60)
    }
}

/// A minizip handle on the archive; `read` inflates one part, refusing more than the limit.
private final class Archive {
    let path: String
    let fileName: String
    private var handle: unzFile?

    init(path: String) throws {
        try InputFile.check(path)
        self.path = path
        fileName = (path as NSString).lastPathComponent
        guard let handle = unzOpen64(path) else {
            throw NodeError(.badInput, "\(fileName) starts like a ZIP archive (XLSX) but cannot be opened as one; it may be truncated. Export it again, or save it as CSV")
        }
        self.handle = handle
    }

    func close() {
        if let handle { unzClose(handle) }
        handle = nil
    }

    func read(_ part: String) throws -> Data {
        guard let data = try readIfPresent(part) else {
            throw NodeError(.badInput, "\(fileName) is a ZIP archive without \(part), so not an XLSX workbook. Export the data as XLSX or CSV")
        }
        return data
    }

    func readIfPresent(_ part: String) throws -> Data? {
        guard let handle else { return nil }
        guard unzLocateFile(handle, part, 1) == UNZ_OK else { return nil }
        var info = unz_file_info64()
        guard unzGetCurrentFileInfo64(handle, &info, nil, 0, nil, 0, nil, 0) == UNZ_OK else { throw damaged(part) }
        let limit = XLSXReader.maximumPartBytes
        guard info.uncompressed_size <= UInt64(limit) else { throw tooLarge(part) }
        guard unzOpenCurrentFile(handle) == UNZ_OK else { throw damaged(part) }
        defer { unzCloseCurrentFile(handle) }
        var data = Data()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { unzReadCurrentFile(handle, $0.baseAddress, UInt32($0.count)) }
            if n < 0 { throw damaged(part) }
            if n == 0 { break }
            guard data.count + Int(n) <= limit else { throw tooLarge(part) }
            data.append(contentsOf: chunk[0..<Int(n)])
        }
        return data
    }

    private func damaged(_ part: String) -> NodeError {
        NodeError(.badInput, "\(fileName): the part \(part) cannot be inflated (a damaged or encrypted workbook). Save it again from the spreadsheet program, without a password")
    }

    private func tooLarge(_ part: String) -> NodeError {
        NodeError(.badInput, "\(fileName): the part \(part) inflates to more than \(XLSXReader.maximumPartBytes >> 20) MiB; split the workbook, or export the data as CSV (read as a stream)")
    }
}

/// The local part of an XML name (`x:row` → `row`): some producers prefix SpreadsheetML's names.
private func localName(_ name: String) -> Substring {
    name.lastIndex(of: ":").map { name[name.index(after: $0)...] } ?? Substring(name)
}

/// Parses a small part with `handler`, turning a parse failure into a message naming the part.
private func parsePart(_ data: Data, _ handler: some XMLParserDelegate, part: String, file: String) throws {
    guard let parser = XMLInput.parser(data) else {
        throw NodeError(.badInput, "\(file): \(part) is not UTF-8 XML; save the file again from the spreadsheet program")
    }
    parser.delegate = handler
    guard parser.parse() else {
        throw NodeError(.badInput, "\(file): \(part) is not well-formed XML; save the file again from the spreadsheet program")
    }
}

/// `xl/workbook.xml`: the sheets in order (name, relation id) and the date system.
private final class WorkbookHandler: NSObject, XMLParserDelegate {
    var sheets: [(name: String, relation: String)] = []
    var date1904 = false

    static func parse(_ data: Data, file: String) throws -> WorkbookHandler {
        let handler = WorkbookHandler()
        try parsePart(data, handler, part: "xl/workbook.xml", file: file)
        return handler
    }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        switch localName(elementName) {
        case "sheet":
            let relation = attributes.first { localName($0.key) == "id" }?.value ?? ""
            sheets.append((attributes["name"] ?? "", relation))
        case "workbookPr":
            date1904 = attributes["date1904"] == "1" || attributes["date1904"] == "true"
        default: break
        }
    }
}

/// `xl/_rels/workbook.xml.rels`: relation id → part path (relative to `xl/`, or absolute).
private final class RelationsHandler: NSObject, XMLParserDelegate {
    var targets: [String: String] = [:]

    static func parse(_ data: Data, file: String) throws -> [String: String] {
        let handler = RelationsHandler()
        try parsePart(data, handler, part: "xl/_rels/workbook.xml.rels", file: file)
        return handler.targets
    }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        if localName(elementName) == "Relationship", let id = attributes["Id"], let target = attributes["Target"] {
            targets[id] = target
        }
    }
}

/// `xl/sharedStrings.xml`: the strings cells of type `s` refer to by index (rich text runs joined).
private final class SharedStringsHandler: NSObject, XMLParserDelegate {
    var strings: [String] = []
    private var current = ""
    private var inText = false, inPhonetic = false

    static func parse(_ data: Data, file: String) throws -> [String] {
        let handler = SharedStringsHandler()
        try parsePart(data, handler, part: "xl/sharedStrings.xml", file: file)
        return handler.strings
    }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        switch localName(elementName) {
        case "si": current = ""
        case "t": inText = !inPhonetic
        case "rPh": inPhonetic = true
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inText { current += string }
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        switch localName(elementName) {
        case "si": strings.append(current)
        case "t": inText = false
        case "rPh": inPhonetic = false
        default: break
        }
    }
}

/// `xl/styles.xml`: which cell styles (`cellXfs` indexes) show numbers as dates or times.
final class StylesHandler: NSObject, XMLParserDelegate {
    private var customDateFormats: Set<Int> = []
    private var inCellXfs = false
    private var styleIndex = 0
    var dateStyles: Set<Int> = []

    /// Excel's built-in date and time formats.
    static let builtinDateFormats: Set<Int> = Set(14...22).union(27...36).union(45...47).union(50...58)

    static func parse(_ data: Data, file: String) throws -> Set<Int> {
        let handler = StylesHandler()
        try parsePart(data, handler, part: "xl/styles.xml", file: file)
        return handler.dateStyles
    }

    /// Whether a format code shows a date or time: a d, m, y, h or s outside quotes, brackets
    /// and escapes (`[Red]0.00` and `"days"` are not dates).
    static func isDateFormat(_ code: String) -> Bool {
        var inQuotes = false, inBracket = false, escaped = false
        for c in code.lowercased() {
            if escaped { escaped = false; continue }
            switch c {
            case "\\": escaped = true
            case "\"": inQuotes.toggle()
            case "[" where !inQuotes: inBracket = true
            case "]" where !inQuotes: inBracket = false
            // The condition holds for every letter (a `where` would bind to "s" alone): a quoted
            // "days" or a bracketed [Red] is text, not a date part.
            case "d", "m", "y", "h", "s":
                if !inQuotes && !inBracket { return !code.lowercased().hasPrefix("general") }
            default: break
            }
        }
        return false
    }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        switch localName(elementName) {
        case "numFmt":
            if let id = attributes["numFmtId"].flatMap(Int.init), Self.isDateFormat(attributes["formatCode"] ?? "") {
                customDateFormats.insert(id)
            }
        case "cellXfs": inCellXfs = true
        case "xf" where inCellXfs:
            let format = attributes["numFmtId"].flatMap(Int.init) ?? 0
            if Self.builtinDateFormats.contains(format) || customDateFormats.contains(format) { dateStyles.insert(styleIndex) }
            styleIndex += 1
        default: break
        }
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        if localName(elementName) == "cellXfs" { inCellXfs = false }
    }
}

/// A sheet part: gathers each `<row>`'s cells into a record (empty cells filled in, rows as wide
/// as the header) and hands it on; the first error stops the parse.
private final class SheetHandler: NSObject, XMLParserDelegate {
    let reader: XLSXReader
    var body: ((inout CSVReader.Record) throws -> Void)?
    var error: (any Error)?
    private var record = CSVReader.Record()
    private var rowNumber = 0
    private var cells: [(column: Int, text: String)] = []
    private var width = 0
    private var cellColumn = 0, cellType: String?, cellStyle: Int?
    private var value = "", inline = ""
    private var inValue = false, inInline = false

    init(reader: XLSXReader) {
        self.reader = reader
    }

    private func fail(_ parser: XMLParser, _ error: any Error) {
        if self.error == nil { self.error = error }
        parser.abortParsing()
    }

    /// `B12` → 2 (the column letters), or nil.
    static func column(of reference: String) -> Int? {
        var column = 0
        for scalar in reference.unicodeScalars {
            guard scalar.value >= 65 && scalar.value <= 90 else { break }
            column = column * 26 + Int(scalar.value - 64)
            guard column <= 16_384 else { return nil }
        }
        return column > 0 ? column : nil
    }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        guard error == nil else { return }
        switch localName(elementName) {
        case "row":
            let number = attributes["r"].flatMap(Int.init) ?? rowNumber + 1
            // Excel's limit; a larger number only comes from a damaged or forged file.
            guard (1...1_048_576).contains(number) else {
                return fail(parser, NodeError(.badInput, "\(reader.fileName): sheet '\(reader.sheetName)' has a row numbered \(attributes["r"] ?? "\(number)"), beyond a spreadsheet's 1,048,576 rows; the file is damaged. Save it again from the spreadsheet program"))
            }
            rowNumber = number
            cells.removeAll(keepingCapacity: true)
        case "c":
            let previous = cells.last?.column ?? 0
            cellColumn = attributes["r"].flatMap(Self.column(of:)) ?? previous + 1
            cellType = attributes["t"]
            cellStyle = attributes["s"].flatMap(Int.init)
            value = ""
            inline = ""
        case "v": inValue = true
        case "t": inInline = true
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inValue { value += string } else if inInline { inline += string }
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        guard error == nil else { return }
        switch localName(elementName) {
        case "v": inValue = false
        case "t": inInline = false
        case "c":
            do {
                let location = NodeError.Location(file: reader.fileName, line: rowNumber, column: cellColumn)
                let text = try reader.cellText(type: cellType, style: cellStyle, value: value, inline: inline, at: location)
                if !text.isEmpty { cells.append((cellColumn, text)) }
            } catch { fail(parser, error) }
        case "row":
            cells.sort { $0.column < $1.column }
            guard let last = cells.last?.column, let body else { return }
            if width == 0 { width = last }
            record.clear(line: rowNumber)
            var next = 0
            for column in 1...max(width, last) {
                if next < cells.count, cells[next].column == column {
                    record.append(Array(cells[next].text.utf8), column: column)
                    next += 1
                } else {
                    record.append(EmptyCollection(), column: column)
                }
            }
            do { try body(&record) } catch { fail(parser, error) }
        default: break
        }
    }
}
