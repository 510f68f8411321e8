public import Foundation
public import Indicators

/// The language a page is rendered in.
///
/// Why: the readers are Flemish retail officers and provincial staff; Dutch is their working
/// language, English the project's. Numbers are Belgian in both.
public enum ReportLanguage: String, Codable, Sendable, CaseIterable {
    case en, nl

    /// Reads a `?lang=` value or an `Accept-Language` header's first tag; English otherwise.
    public init(tag: String?) {
        let t = (tag ?? "").lowercased()
        self = t.hasPrefix("nl") ? .nl : .en
    }
}

/// Belgian number and date formatting: decimal comma, "." between thousands, Europe/Brussels.
///
/// Why: Foundation's locale data differs between platforms and versions; a report must print
/// the same figures on the coordinator and on an offline node, so the rules are written out here.
public enum BelgianFormat {
    /// U+2212 MINUS SIGN: reads better than a hyphen beside digits.
    public static let minus = "\u{2212}"
    /// U+00A0 NO-BREAK SPACE, between a number and "%".
    public static let nbsp = "\u{00A0}"
    /// Shown for a missing figure (an en dash), never "0".
    public static let missing = "–"

    /// `1234.56` → `1.234,6` with `decimals: 1`; `nil`, NaN or infinity → "–".
    public static func number(_ value: Double?, decimals: Int = 1, signed: Bool = false) -> String {
        guard let value, value.isFinite else { return missing }
        let d = max(0, min(decimals, 6))
        var scale = 1.0
        for _ in 0..<d { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9e15 else { return missing }
        let digits = String(Int64(scaled))
        let padded = digits.count <= d ? String(repeating: "0", count: d - digits.count + 1) + digits : digits
        let intPart = String(padded.dropLast(d))
        let fracPart = String(padded.suffix(d))
        var grouped = ""
        for (i, ch) in intPart.enumerated() {
            if i > 0 && (intPart.count - i) % 3 == 0 { grouped.append(".") }
            grouped.append(ch)
        }
        let body = d > 0 ? grouped + "," + fracPart : grouped
        let isZero = scaled == 0
        if value < 0 && !isZero { return minus + body }
        if signed && !isZero { return "+" + body }
        return body
    }

    /// A whole number with "." between thousands: `12345` → `12.345`.
    public static func integer(_ value: Int?) -> String {
        guard let value else { return missing }
        return number(Double(value), decimals: 0)
    }

    /// A fraction as a percentage: `0.1234` → `12,3 %` (`+12,3 %` with `signed`).
    public static func percent(_ fraction: Double?, decimals: Int = 1, signed: Bool = false) -> String {
        guard let fraction, fraction.isFinite else { return missing }
        return number(fraction * 100, decimals: decimals, signed: signed) + nbsp + "%"
    }

    /// A calendar day as Belgians write it: `23/11/2026`.
    public static func day(_ day: DayNumber?) -> String {
        guard let day else { return missing }
        let c = day.civil
        return "\(two(c.day))/\(two(c.month))/\(c.year)"
    }

    /// A day with its weekday name: `ma 23/11/2026` / `Mon 23/11/2026`.
    public static func dayWithWeekday(_ day: DayNumber, language: ReportLanguage) -> String {
        let names =
            language == .nl
            ? ["ma", "di", "wo", "do", "vr", "za", "zo"]
            : ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        return names[day.isoWeekday - 1] + " " + self.day(day)
    }

    /// Short month name for chart axes.
    public static func monthName(_ month: Int, language: ReportLanguage) -> String {
        let en = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let nl = ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"]
        let i = max(1, min(12, month)) - 1
        return language == .nl ? nl[i] : en[i]
    }

    /// The Brussels time zone (falls back to UTC when the system has no tz database, and says so
    /// through ``dateTime(_:)``'s suffix).
    static let brussels: TimeZone? = TimeZone(identifier: "Europe/Brussels")

    /// An instant in Europe/Brussels: `23/11/2026 08:15`.
    public static func dateTime(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = brussels ?? TimeZone(secondsFromGMT: 0) ?? calendar.timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        let text = "\(two(c.day ?? 0))/\(two(c.month ?? 0))/\(c.year ?? 0) \(two(c.hour ?? 0)):\(two(c.minute ?? 0))"
        return brussels == nil ? text + " UTC" : text
    }

    /// A period: its label, or `01/11/2026 – 30/11/2026`.
    public static func period(_ period: ReportPeriod) -> String {
        let range = day(period.start) + " – " + day(period.end)
        return period.label.isEmpty ? range : period.label + " (" + range + ")"
    }

    static func two(_ v: Int) -> String { v < 10 && v >= 0 ? "0\(v)" : "\(v)" }
}
