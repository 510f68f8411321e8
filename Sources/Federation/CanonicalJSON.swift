public import Foundation

/// A JSON value, kept as a tree so it can be written in RFC 8785 canonical form.
///
/// Why: the node must produce the payload's bytes deterministically (the same aggregates give
/// the same bytes, so a retried submission is byte-identical and a town can audit them), and
/// Foundation's `JSONEncoder(.sortedKeys)` is not RFC 8785 (different key order, escapes `/`).
/// Numbers are IEEE doubles, as in RFC 8785; integers are exact up to 2^53.
public enum JSONValue: Sendable, Hashable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
            return
        }
        if let b = try? container.decode(Bool.self) {
            self = .bool(b)
            return
        }
        if let d = try? container.decode(Double.self) {
            self = .number(d)
            return
        }
        if let s = try? container.decode(String.self) {
            self = .string(s)
            return
        }
        if let a = try? container.decode([JSONValue].self) {
            self = .array(a)
            return
        }
        self = .object(try container.decode([String: JSONValue].self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let b): try container.encode(b)
        case .number(let d): try container.encode(d)
        case .string(let s): try container.encode(s)
        case .array(let a): try container.encode(a)
        case .object(let o): try container.encode(o)
        }
    }
}

/// RFC 8785 JSON Canonicalization Scheme (https://www.rfc-editor.org/rfc/rfc8785).
///
/// Why: one byte string per value, so signatures are over exactly the bytes a town can read and
/// recompute. Tested against cyberphone/json-canonicalization's vectors (`Tests/Vectors/jcs/`).
public enum CanonicalJSON {
    /// The canonical UTF-8 bytes of `value`. Throws `invalid_payload` for NaN or infinity.
    public static func serialize(_ value: JSONValue) throws(FederationError) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(256)
        try write(value, into: &out)
        return out
    }

    /// The canonical bytes of any `Encodable` (through `JSONEncoder`, then ``JSONParser``).
    public static func encode(_ value: some Encodable) throws(FederationError) -> [UInt8] {
        let data: Data
        do {
            data = try JSONEncoder().encode(value)
        } catch {
            throw FederationError(code: .invalidPayload, message: "The value could not be encoded as JSON: \(error)")
        }
        return try serialize(try JSONParser.parse(data))
    }

    /// Parses JSON text into a ``JSONValue`` with the strict ``JSONParser``.
    public static func parse(_ bytes: some ContiguousBytes) throws(FederationError) -> JSONValue {
        try JSONParser.parse(bytes)
    }

    static func write(_ value: JSONValue, into out: inout [UInt8]) throws(FederationError) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let d): out.append(contentsOf: try formatNumber(d).utf8)
        case .string(let s): writeString(s, into: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (i, element) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                try write(element, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            // RFC 8785 section 3.2.3: sort by the keys' UTF-16 code units.
            let keys = o.keys.sorted { $0.utf16.lexicographicallyPrecedes($1.utf16) }
            for (i, key) in keys.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                try write(o[key] ?? .null, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// RFC 8785 section 3.2.2.2: only `"`, `\` and the C0 controls are escaped; short forms for
    /// \b \t \n \f \r, `\u00xx` (lowercase hex) for the rest; everything else is literal UTF-8.
    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { bytes in
            // Copy runs that need no escape in bulk; escape the rest byte by byte.
            var runStart = 0
            for (i, byte) in bytes.enumerated() where byte < 0x20 || byte == 0x22 || byte == 0x5c {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
                runStart = i + 1
                switch byte {
                case UInt8(ascii: "\""): out.append(contentsOf: [0x5c, 0x22])
                case UInt8(ascii: "\\"): out.append(contentsOf: [0x5c, 0x5c])
                case 0x08: out.append(contentsOf: [0x5c, UInt8(ascii: "b")])
                case 0x09: out.append(contentsOf: [0x5c, UInt8(ascii: "t")])
                case 0x0a: out.append(contentsOf: [0x5c, UInt8(ascii: "n")])
                case 0x0c: out.append(contentsOf: [0x5c, UInt8(ascii: "f")])
                case 0x0d: out.append(contentsOf: [0x5c, UInt8(ascii: "r")])
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    out.append(contentsOf: [
                        0x5c, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                        hex[Int(byte >> 4)], hex[Int(byte & 0xf)],
                    ])
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
        }
        out.append(UInt8(ascii: "\""))
    }

    /// ECMAScript `Number.prototype.toString` (ECMA-262 section 7.1.12.1), as RFC 8785 requires.
    /// Swift's `description` already gives the shortest round-tripping digits; this re-lays them
    /// out by the ECMAScript rules.
    public static func formatNumber(_ value: Double) throws(FederationError) -> String {
        guard value.isFinite else {
            throw FederationError(
                code: .invalidPayload, message: "JSON cannot carry \(value); RFC 8785 forbids NaN and infinities.")
        }
        if value == 0 { return "0" }
        if value < 0 { return "-" + (try formatNumber(-value)) }
        // Split Swift's shortest representation ("1.2345e-07", "123.0", "1e+30") into digits and exponent.
        let text = value.description
        var mantissa = Substring(text)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<e]
            exponent = Int(text[text.index(after: e)...]) ?? 0
        }
        var digits = ""
        var pointPosition = mantissa.count
        if let dot = mantissa.firstIndex(of: ".") {
            pointPosition = mantissa.distance(from: mantissa.startIndex, to: dot)
            digits = String(mantissa[..<dot]) + String(mantissa[mantissa.index(after: dot)...])
        } else {
            digits = String(mantissa)
        }
        // value = 0.digits × 10^n with digits stripped of leading zeros.
        var n = pointPosition + exponent
        while digits.hasPrefix("0") {
            digits.removeFirst()
            n -= 1
        }
        while digits.hasSuffix("0") { digits.removeLast() }
        let k = digits.count
        if k <= n && n <= 21 {
            return digits + String(repeating: "0", count: n - k)
        }
        if 0 < n && n <= 21 {
            let i = digits.index(digits.startIndex, offsetBy: n)
            return String(digits[..<i]) + "." + String(digits[i...])
        }
        if -6 < n && n <= 0 {
            return "0." + String(repeating: "0", count: -n) + digits
        }
        let e = n - 1
        let sign = e < 0 ? "-" : "+"
        let first = String(digits.prefix(1))
        let rest = String(digits.dropFirst())
        return (rest.isEmpty ? first : first + "." + rest) + "e" + sign + String(abs(e))
    }
}
