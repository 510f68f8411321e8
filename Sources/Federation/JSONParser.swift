public import Foundation

/// A strict RFC 8259 JSON parser over bytes, producing ``JSONValue``.
///
/// Why our own: Foundation's `JSONDecoder` on Linux parsed the 2.3 KB aggregate payload at about
/// 2,700/s on this machine, below Ed25519 verification (~5,000/s), so it, not the signature, would
/// bound the coordinator. It is also lenient where the protocol must not be: it accepts duplicate
/// object keys (the last one wins, so two readers can disagree on what was signed). This parser
/// refuses duplicate keys, invalid UTF-8, lone surrogates, control characters in strings, leading
/// zeros, trailing commas and trailing content, and limits nesting depth (I-JSON, RFC 7493).
public enum JSONParser {
    /// Maximum nesting depth of arrays and objects.
    public static let maximumDepth = 64

    /// Parses exactly one JSON value filling all of `bytes` (surrounding whitespace allowed).
    public static func parse(_ bytes: some ContiguousBytes) throws(FederationError) -> JSONValue {
        try parseRaw(bytes).jsonValue
    }

    /// The same parse into ``RawJSON`` (members kept as an ordered array: no hashing).
    static func parseRaw(_ bytes: some ContiguousBytes) throws(FederationError) -> RawJSON {
        let result: Result<RawJSON, FederationError> = bytes.withUnsafeBytes { raw in
            var p = Parser(bytes: raw.bindMemory(to: UInt8.self))
            do throws(FederationError) {
                p.skipWhitespace()
                let value = try p.value(depth: 0)
                p.skipWhitespace()
                guard p.i == p.bytes.count else { throw p.fail("unexpected content after the JSON value") }
                return .success(value)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var i = 0

        func fail(_ message: String) -> FederationError {
            FederationError(code: .invalidEncoding, message: "Invalid JSON at byte \(i): \(message).")
        }

        mutating func skipWhitespace() {
            while i < bytes.count {
                switch bytes[i] {
                case 0x20, 0x09, 0x0a, 0x0d: i += 1
                default: return
                }
            }
        }

        mutating func value(depth: Int) throws(FederationError) -> RawJSON {
            guard i < bytes.count else { throw fail("unexpected end of input") }
            switch bytes[i] {
            case UInt8(ascii: "{"): return try object(depth: depth + 1)
            case UInt8(ascii: "["): return try array(depth: depth + 1)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"):
                try literal("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try literal("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try literal("null")
                return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
            default: throw fail("unexpected character")
            }
        }

        mutating func literal(_ word: StaticString) throws(FederationError) {
            let n = word.utf8CodeUnitCount
            guard i + n <= bytes.count else { throw fail("unexpected end of input") }
            let w = word.utf8Start
            for k in 0..<n where bytes[i + k] != w[k] { throw fail("invalid literal") }
            i += n
        }

        mutating func object(depth: Int) throws(FederationError) -> RawJSON {
            guard depth <= JSONParser.maximumDepth else { throw fail("nesting deeper than \(JSONParser.maximumDepth)") }
            i += 1
            var members: [(key: String, value: RawJSON)] = []
            var names: Set<String>?  // only for large objects; small ones are scanned linearly
            skipWhitespace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
                i += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a member name") }
                let key = try string()
                skipWhitespace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                i += 1
                skipWhitespace()
                let v = try value(depth: depth)
                if names == nil && members.count >= 16 { names = Set(members.map(\.key)) }
                if names != nil {
                    guard names!.insert(key).inserted else { throw fail("duplicate member name \"\(key)\"") }
                } else {
                    for m in members where m.key == key { throw fail("duplicate member name \"\(key)\"") }
                }
                members.append((key, v))
                skipWhitespace()
                guard i < bytes.count else { throw fail("unexpected end of input in an object") }
                if bytes[i] == UInt8(ascii: ",") {
                    i += 1
                    continue
                }
                if bytes[i] == UInt8(ascii: "}") {
                    i += 1
                    return .object(members)
                }
                throw fail("expected ',' or '}'")
            }
        }

        mutating func array(depth: Int) throws(FederationError) -> RawJSON {
            guard depth <= JSONParser.maximumDepth else { throw fail("nesting deeper than \(JSONParser.maximumDepth)") }
            i += 1
            var elements: [RawJSON] = []
            skipWhitespace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
                i += 1
                return .array(elements)
            }
            while true {
                skipWhitespace()
                elements.append(try value(depth: depth))
                skipWhitespace()
                guard i < bytes.count else { throw fail("unexpected end of input in an array") }
                if bytes[i] == UInt8(ascii: ",") {
                    i += 1
                    continue
                }
                if bytes[i] == UInt8(ascii: "]") {
                    i += 1
                    return .array(elements)
                }
                throw fail("expected ',' or ']'")
            }
        }

        mutating func hex4() throws(FederationError) -> UInt32 {
            guard i + 4 <= bytes.count else { throw fail("truncated \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[i]
                let d: UInt32
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
                default: throw fail("invalid hex digit in \\u escape")
                }
                v = v << 4 | d
                i += 1
            }
            return v
        }

        mutating func string() throws(FederationError) -> String {
            i += 1  // opening quote
            let start = i
            // Fast path: no escapes.
            while i < bytes.count {
                let c = bytes[i]
                if c == UInt8(ascii: "\"") {
                    let slice = UnsafeBufferPointer(rebasing: bytes[start..<i])
                    i += 1
                    guard let s = String(validating: slice, as: UTF8.self) else {
                        throw fail("invalid UTF-8 in a string")
                    }
                    return s
                }
                if c == UInt8(ascii: "\\") { break }
                if c < 0x20 { throw fail("unescaped control character in a string") }
                i += 1
            }
            var out = [UInt8](UnsafeBufferPointer(rebasing: bytes[start..<i]))
            while i < bytes.count {
                let c = bytes[i]
                if c == UInt8(ascii: "\"") {
                    i += 1
                    guard let s = String(validating: out, as: UTF8.self) else {
                        throw fail("invalid UTF-8 in a string")
                    }
                    return s
                }
                if c < 0x20 { throw fail("unescaped control character in a string") }
                if c != UInt8(ascii: "\\") {
                    out.append(c)
                    i += 1
                    continue
                }
                i += 1
                guard i < bytes.count else { break }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5c)
                case UInt8(ascii: "/"): out.append(0x2f)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0c)
                case UInt8(ascii: "n"): out.append(0x0a)
                case UInt8(ascii: "r"): out.append(0x0d)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard i + 2 <= bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u")
                        else {
                            throw fail("lone high surrogate")
                        }
                        i += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw fail("invalid low surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw fail("lone low surrogate")
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw fail("invalid code point") }
                    out.append(contentsOf: Array(String(Character(u)).utf8))
                default: throw fail("invalid escape")
                }
            }
            throw fail("unterminated string")
        }

        mutating func number() throws(FederationError) -> Double {
            let start = i
            var negative = false
            if bytes[i] == UInt8(ascii: "-") {
                negative = true
                i += 1
            }
            func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
            guard i < bytes.count, isDigit(bytes[i]) else { throw fail("invalid number") }
            var integer: UInt64 = 0
            var digits = 0
            if bytes[i] == UInt8(ascii: "0") {
                i += 1
                if i < bytes.count, isDigit(bytes[i]) { throw fail("leading zero in a number") }
                digits = 1
            } else {
                while i < bytes.count, isDigit(bytes[i]) {
                    if digits < 19 { integer = integer * 10 + UInt64(bytes[i] - 0x30) }
                    digits += 1
                    i += 1
                }
            }
            var isInteger = true
            if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
                isInteger = false
                i += 1
                guard i < bytes.count, isDigit(bytes[i]) else { throw fail("digit expected after '.'") }
                while i < bytes.count, isDigit(bytes[i]) { i += 1 }
            }
            if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
                isInteger = false
                i += 1
                if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
                guard i < bytes.count, isDigit(bytes[i]) else { throw fail("digit expected in exponent") }
                while i < bytes.count, isDigit(bytes[i]) { i += 1 }
            }
            // Integers below 2^53 convert exactly; everything else goes through Swift's correctly
            // rounded decimal conversion.
            if isInteger && digits <= 15 {
                let v = Double(integer)
                return negative ? -v : v
            }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
            guard let v = Double(text), v.isFinite else { throw fail("number out of range") }
            return v
        }
    }
}

/// The parser's own tree: objects keep their members as an ordered array, so reading a payload
/// costs no hashing (the payload reader looks members up by a short linear scan).
enum RawJSON {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([RawJSON])
    case object([(key: String, value: RawJSON)])

    var jsonValue: JSONValue {
        switch self {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .number(let d): return .number(d)
        case .string(let s): return .string(s)
        case .array(let a): return .array(a.map(\.jsonValue))
        case .object(let o):
            var d: [String: JSONValue] = [:]
            d.reserveCapacity(o.count)
            for m in o { d[m.key] = m.value.jsonValue }
            return .object(d)
        }
    }

    init(_ value: JSONValue) {
        switch value {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .number(let d): self = .number(d)
        case .string(let s): self = .string(s)
        case .array(let a): self = .array(a.map(RawJSON.init))
        case .object(let o): self = .object(o.map { ($0.key, RawJSON($0.value)) })
        }
    }
}
