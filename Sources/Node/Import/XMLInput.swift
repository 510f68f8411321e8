internal import Foundation
#if canImport(FoundationXML)
internal import FoundationXML
#endif

/// The one way the node hands outside bytes to FoundationXML's `XMLParser` (DATEX II
/// publications, XLSX parts).
///
/// Why: libxml2 2.9 passes a name holding invalid UTF-8 to its callbacks as it is, and
/// FoundationXML turns each name into a `String` with a force unwrap, so such a document stops the
/// process instead of failing to parse (found by the `lots` fuzz target). Every document is
/// therefore checked to be UTF-8 first (after an optional byte order mark); no DTD or external
/// entity is ever read.
enum XMLInput {
    /// A parser over `data`, or nil when `data` is not UTF-8 (the caller names the file and the remedy).
    static func parser(_ data: Data, namespaces: Bool = false) -> XMLParser? {
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        let text = data.starts(with: bom) ? data.dropFirst(bom.count) : data[...]
        guard String(validating: text, as: UTF8.self) != nil else { return nil }
        let parser = XMLParser(data: data)
        parser.shouldProcessNamespaces = namespaces
        parser.shouldResolveExternalEntities = false
        return parser
    }
}
