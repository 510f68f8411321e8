// Peer groups (issue 17): named sets of a tenant's towns that the tenant's coordinator defines
// ("small towns West Flanders", "centre cities"), so a town is compared with towns like it as well
// as with the whole network. A town may be in several groups. Stored per tenant in both stores.
import Foundation
import Indicators

/// A named group of a tenant's towns.
///
/// Why data and not a town attribute: provinces group by size class, by province, by kind of
/// centre; a town belongs to several groups at once and the groups change without a code change.
public struct PeerGroup: Sendable, Hashable, Codable {
    /// The name people read, e.g. "Small towns West Flanders" (1–100 characters, no control characters).
    public var name: String
    /// Town ids of the tenant, sorted, without duplicates.
    public var towns: [String]

    public init(name: String, towns: [String]) {
        self.name = name
        self.towns = Array(Set(towns)).sorted()
    }

    /// Longest accepted name, in characters.
    public static let maximumNameLength = 100
    /// Most groups one tenant may define (each is a filter link on the region page).
    public static let maximumGroups = 200

    /// The name trimmed of surrounding white space, or a clear `invalid_argument` error.
    public static func checkedName(_ raw: String) throws -> String {
        let name = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else {
            throw CoordinatorError(.invalidArgument, "A peer group needs a name, e.g. \"Small towns West Flanders\"; the name given is empty.")
        }
        guard name.count <= maximumNameLength else {
            throw CoordinatorError(.invalidArgument, "The peer group name \"\(name.prefix(40))…\" is longer than \(maximumNameLength) characters; shorten it.")
        }
        guard !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw CoordinatorError(.invalidArgument, "The peer group name \(String(reflecting: name)) contains a control character (a tab or line break); remove it.")
        }
        return name
    }

    /// Checks `groups` against the tenant's `known` town ids and its `existing` group names before
    /// anything is written (both stores): every name valid and given once, every town enrolled, no
    /// empty group, at most ``maximumGroups`` afterwards. Returns the groups with trimmed names.
    static func validated(_ groups: [PeerGroup], known: Set<String>, existing: Set<String>, tenantID: String) throws -> [PeerGroup] {
        var seen: Set<String> = []
        let checked = try groups.map { group in
            let name = try checkedName(group.name)
            guard seen.insert(name).inserted else {
                throw CoordinatorError(.invalidArgument, "Peer group \"\(name)\" is given twice; give each group once with all its towns.")
            }
            guard !group.towns.isEmpty else {
                throw CoordinatorError(.invalidArgument, "Peer group \"\(name)\" has no towns; name at least one, or remove the group with `peer-groups remove`.")
            }
            let unknown = group.towns.filter { !known.contains($0) }
            guard unknown.isEmpty else {
                throw CoordinatorError(.notFound, "Peer group \"\(name)\": \(unknown.count == 1 ? "town" : "towns") \(unknown.prefix(10).joined(separator: ", "))\(unknown.count > 10 ? " and \(unknown.count - 10) more" : "") \(unknown.count == 1 ? "is" : "are") not in tenant \(tenantID). Use the town ids of `GET /v1/tenants/\(tenantID)/towns` (enrol a town first with `town enroll`).")
            }
            return PeerGroup(name: name, towns: group.towns)
        }
        let total = existing.union(checked.map(\.name)).count
        guard total <= maximumGroups else {
            throw CoordinatorError(.invalidArgument, "Tenant \(tenantID) would have \(total) peer groups; at most \(maximumGroups) are allowed. Remove some with `peer-groups remove`.")
        }
        return checked
    }

    /// Groups from a CSV file of `group,town` lines (a header line `group,town` is optional; fields
    /// may be quoted, RFC 4180), in the order they first appear. `source` names the file in errors
    /// (`file:line: reason`).
    public static func parseCSV(_ text: String, source: String) throws -> [PeerGroup] {
        var order: [String] = []
        var members: [String: [String]] = [:]
        var lineNumber = 0
        var isFirstLine = true
        // `\r\n` is one Character (and a newline), so CRLF files split like LF ones.
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            lineNumber += 1
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            let fields: [String]
            do { fields = try csvFields(line) } catch let reason as CSVReason {
                throw CoordinatorError(.invalidArgument, "\(source):\(lineNumber): \(reason.text). Each line is group,town; quote a group name that contains a comma.")
            }
            guard fields.count == 2 else {
                throw CoordinatorError(.invalidArgument, "\(source):\(lineNumber): expected 2 fields (group,town), found \(fields.count). Quote a group name that contains a comma: \"Small towns, coast\",oostkamp")
            }
            let groupField = fields[0], town = fields[1].trimmingCharacters(in: .whitespaces)
            defer { isFirstLine = false }
            if isFirstLine, groupField.trimmingCharacters(in: .whitespaces).lowercased() == "group", town.lowercased() == "town" { continue }
            let name: String
            do { name = try checkedName(groupField) } catch let error as CoordinatorError {
                throw CoordinatorError(.invalidArgument, "\(source):\(lineNumber): \(error.message)")
            }
            guard !town.isEmpty else {
                throw CoordinatorError(.invalidArgument, "\(source):\(lineNumber): the town is empty; give a town id, e.g. \(name.isEmpty ? "" : "\"\(name)\",")oostkamp.")
            }
            if members[name] == nil { order.append(name) }
            members[name, default: []].append(town)
        }
        guard !order.isEmpty else {
            throw CoordinatorError(.invalidArgument, "\(source) holds no group,town lines; write one line per town in a group, e.g. Centre cities,brugge.")
        }
        return order.map { PeerGroup(name: $0, towns: members[$0] ?? []) }
    }

    struct CSVReason: Error { let text: String }

    /// The fields of one CSV line (RFC 4180 quoting: `"a, b"`, `"say ""hi"""`).
    static func csvFields(_ line: Substring) throws -> [String] {
        var fields: [String] = []
        var field = ""
        var quoted = false
        var wasQuoted = false
        var iterator = Array(line).makeIterator()
        var pending: Character? = nil
        func next() -> Character? {
            if let p = pending { pending = nil; return p }
            return iterator.next()
        }
        while let c = next() {
            if quoted {
                if c == "\"" {
                    if let after = next() {
                        if after == "\"" { field.append("\"") } else { quoted = false; pending = after }
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(c)
                }
            } else if c == "," {
                fields.append(field)
                field = ""
                wasQuoted = false
            } else if c == "\"" && field.trimmingCharacters(in: .whitespaces).isEmpty && !wasQuoted {
                field = ""
                quoted = true
                wasQuoted = true
            } else if wasQuoted && !c.isWhitespace {
                throw CSVReason(text: "text after a closing quote")
            } else if !wasQuoted {
                field.append(c)
            }
        }
        if quoted { throw CSVReason(text: "a quote is not closed") }
        fields.append(field)
        return fields
    }
}

/// The summary of a set of footfall indices: how many, the median and the quartiles.
///
/// Why here: the region page's network band and the peer groups' figures come from the per-town
/// figures the page already has (linear, no second indicator computation).
enum IndexQuantiles {
    /// The median (``IndicatorMath``'s, as the network's) when at least `minimum` values; the
    /// quartiles (linear interpolation) when at least 4.
    static func of(_ values: [Double], minimum: Int) -> (count: Int, median: Double?, lower: Double?, upper: Double?) {
        let sorted = values.filter(\.isFinite).sorted()
        guard sorted.count >= minimum, !sorted.isEmpty else { return (sorted.count, nil, nil, nil) }
        func quantile(_ p: Double) -> Double? { IndicatorMath.quantile(sorted, p) }
        let quartiles = sorted.count >= 4
        return (sorted.count, quantile(0.5), quartiles ? quantile(0.25) : nil, quartiles ? quantile(0.75) : nil)
    }
}
