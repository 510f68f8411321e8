/// How a spreadsheet export writes numbers: its decimal mark and its thousands separator.
///
/// Why: a Belgian export writes `1.234,5` where an English one writes `1,234.5`. Read with the wrong
/// convention, `1.234` is silently 1.234 or 1234. So a mark that could be either is an error unless
/// the admin said which it is (`--decimal`, `--thousands`), and grouping is only ever accepted when
/// `--thousands` names its separator.
public struct NumberFormat: Sendable, Hashable {
    /// The decimal mark; nil: `.` or `,`, but a mark followed by exactly three digits is ambiguous.
    public var decimalMark: UInt8?
    /// The thousands separator (`.`, `,`, a space or `'`); nil: no grouping.
    public var thousandsSeparator: UInt8?

    public init(decimalMark: UInt8? = nil, thousandsSeparator: UInt8? = nil) {
        self.decimalMark = decimalMark
        self.thousandsSeparator = thousandsSeparator
    }

    /// Why a number was refused; `reason` completes "'1.234' …".
    struct Problem: Error { var reason: String }

    /// A number ≥ 0 with at most `maxDecimals` decimals, scaled to an integer ("12,5" with 2
    /// decimals → 1250). Decimals beyond `maxDecimals` are accepted only when they are zeros.
    func scaled(_ bytes: UnsafeBufferPointer<UInt8>, maxDecimals: Int) -> Result<Int64, Problem> {
        guard !bytes.isEmpty, bytes.count <= 32 else { return .failure(Problem(reason: "is not a number")) }
        let point = UInt8(ascii: "."), comma = UInt8(ascii: ",")
        // Find the decimal mark: the chosen one, or in auto mode the only `.` or `,`.
        var markIndex: Int?
        if let decimalMark {
            markIndex = bytes.firstIndex(of: decimalMark)
            if let markIndex, bytes[(markIndex + 1)...].contains(decimalMark) {
                return .failure(Problem(reason: "has the decimal mark '\(Character(UnicodeScalar(decimalMark)))' twice"))
            }
        } else if thousandsSeparator == nil {
            let marks = bytes.indices.filter { bytes[$0] == point || bytes[$0] == comma }
            if marks.count > 1 {
                return .failure(Problem(reason: "has more than one '.' or ','; if one of them groups thousands, pass --thousands point|comma (and --decimal)"))
            }
            markIndex = marks.first
        } else {
            let other = thousandsSeparator == comma ? point : comma
            markIndex = bytes.firstIndex(of: other)
        }
        let integerPart = bytes[..<(markIndex ?? bytes.count)]
        let fraction = markIndex.map { bytes[($0 + 1)...] } ?? bytes[bytes.count...]
        if let markIndex, decimalMark == nil, thousandsSeparator == nil, fraction.count == 3, integerPart.count <= 3, integerPart.first != 48 {
            let mark = Character(UnicodeScalar(bytes[markIndex]))
            return .failure(Problem(reason: "is ambiguous: '\(mark)' could be the decimal mark or group thousands. Pass --decimal comma|point, and --thousands point|comma if the file groups thousands"))
        }
        // The integer part: digits, grouped by threes only with the chosen separator.
        var value: Int64 = 0
        var digitsInGroup = 0, groups = 0
        for b in integerPart {
            if let separator = thousandsSeparator, b == separator {
                guard digitsInGroup > 0, groups == 0 ? digitsInGroup <= 3 : digitsInGroup == 3 else {
                    return .failure(Problem(reason: "groups its digits wrongly for the thousands separator '\(Character(UnicodeScalar(separator)))' (write e.g. 1.234.567)"))
                }
                groups += 1
                digitsInGroup = 0
                continue
            }
            guard b >= 48 && b <= 57 else {
                if b == point || b == comma {
                    let mark = Character(UnicodeScalar(b))
                    return .failure(Problem(reason: "has '\(mark)', which is not the decimal mark of this file; if it groups thousands, pass --thousands \(b == point ? "point" : "comma")"))
                }
                return .failure(Problem(reason: "is not a number ≥ 0"))
            }
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int64(b - 48))
            guard !overflow1, !overflow2, sum < 1_000_000_000_000_000 else { return .failure(Problem(reason: "is too large")) }
            value = sum
            digitsInGroup += 1
        }
        guard digitsInGroup > 0, groups == 0 || digitsInGroup == 3 else {
            return .failure(Problem(reason: "is not a number ≥ 0"))
        }
        if markIndex != nil, fraction.isEmpty { return .failure(Problem(reason: "ends with its decimal mark")) }
        var decimals = 0
        for b in fraction {
            guard b >= 48 && b <= 57 else { return .failure(Problem(reason: "is not a number ≥ 0")) }
            if decimals < maxDecimals {
                value = value * 10 + Int64(b - 48)
                decimals += 1
            } else if b != 48 {
                return .failure(Problem(reason: maxDecimals == 0 ? "is not a whole number" : "has more than \(maxDecimals) decimals"))
            }
        }
        for _ in decimals..<maxDecimals { value *= 10 }
        return .success(value)
    }
}

extension NumberFormat {
    /// The separator byte an option names: `point`, `comma`, `space`, `apostrophe` or the character.
    public static func separatorByte(_ name: String) -> UInt8? {
        switch name {
        case "point", "dot", ".": UInt8(ascii: ".")
        case "comma", ",": UInt8(ascii: ",")
        case "space", " ": UInt8(ascii: " ")
        case "apostrophe", "'": UInt8(ascii: "'")
        case "semicolon", ";": UInt8(ascii: ";")
        case "tab", "\t": UInt8(ascii: "\t")
        default: nil
        }
    }

    /// The word for a separator byte, for messages.
    static func name(_ byte: UInt8) -> String {
        switch byte {
        case UInt8(ascii: "."): "point"
        case UInt8(ascii: ","): "comma"
        case UInt8(ascii: " "): "space"
        case UInt8(ascii: "'"): "apostrophe"
        case UInt8(ascii: ";"): "semicolon"
        case UInt8(ascii: "\t"): "tab"
        default: "'\(Character(UnicodeScalar(byte)))'"
        }
    }
}
