public import Foundation
public import Indicators

/// Converts between UTC instants and the town's local calendar: day numbers, local hours, and
/// naive local timestamps (those a vendor wrote without an offset).
///
/// Why: every day, hour and weekday is computed in the town's time zone (instants are
/// stored in UTC; the zone is a node setting chosen at `init`), and an import converts millions of instants; asking Foundation per row is too slow,
/// so offsets are cached per 15-minute bucket (all real zones change offset on such a boundary).
/// Not thread-safe: one per import.
public final class LocalClock {
    public let timeZone: TimeZone
    private var cache: [Int64: Int32] = [:]
    private var lastBucket: Int64 = .min
    private var lastOffset: Int32 = 0

    public init(timeZone: TimeZone) {
        self.timeZone = timeZone
    }

    /// Seconds east of UTC in force at `epoch` (UTC seconds).
    public func offset(at epoch: Int64) -> Int {
        let bucket = epoch >= 0 ? epoch / 900 : (epoch - 899) / 900
        if bucket == lastBucket { return Int(lastOffset) }
        let offset: Int32
        if let cached = cache[bucket] {
            offset = cached
        } else {
            offset = Int32(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(bucket * 900))))
            cache[bucket] = offset
        }
        lastBucket = bucket
        lastOffset = offset
        return Int(offset)
    }

    /// The local calendar day and hour (0–23) of an instant. In the repeated hour of the autumn
    /// change both occurrences map to the same local hour (02).
    public func local(_ epoch: Int64) -> (day: DayNumber, hour: Int) {
        let local = epoch + Int64(offset(at: epoch))
        let day = local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
        return (DayNumber(Int(day)), Int((local - day * 86_400) / 3600))
    }

    /// How a naive local timestamp maps to instants.
    public enum Resolution: Equatable, Sendable {
        /// Exactly one instant.
        case unique(Int64)
        /// Two instants (the repeated hour when clocks go back): earlier, later.
        case ambiguous(Int64, Int64)
        /// No instant: the skipped hour when clocks go forward.
        case nonexistent
    }

    /// Resolves a naive local timestamp, given as seconds since 1970-01-01T00:00 *local*.
    public func resolve(naive: Int64) -> Resolution {
        // Every offset a zone uses within a day of this time is one of those around it.
        let candidates = Set([offset(at: naive - 86_400), offset(at: naive), offset(at: naive + 86_400)])
        let instants = candidates.map { naive - Int64($0) }.filter { offset(at: $0) == Int(naive - $0) }.sorted()
        switch instants.count {
        case 0: return .nonexistent
        case 1: return .unique(instants[0])
        default: return .ambiguous(instants[0], instants[instants.count - 1])
        }
    }

    /// The instant of local midnight starting `day` (midnight is never skipped in the zones we serve;
    /// if it were, the first instant of the day is returned).
    public func startOfDay(_ day: DayNumber) -> Int64 {
        let naive = Int64(day.rawValue) * 86_400
        switch resolve(naive: naive) {
        case .unique(let t), .ambiguous(let t, _): return t
        case .nonexistent:
            var probe = naive
            while true {
                probe += 900
                if case .unique(let t) = resolve(naive: probe) { return t - (probe - naive) + 3600 }
            }
        }
    }

    /// Minutes in a local day: 1440, or 1380 / 1500 on the days clocks change.
    public func minutesInDay(_ day: DayNumber) -> Int {
        Int((startOfDay(day + 1) - startOfDay(day)) / 60)
    }
}

/// A timestamp as written in an input file: a local wall-clock time plus the offset, if the
/// file gave one.
struct WrittenTimestamp: Equatable {
    /// Seconds since 1970-01-01T00:00 of the wall-clock reading (as if it were UTC).
    var naive: Int64
    /// Seconds east of UTC, if the text had `Z` or `±hh:mm`.
    var offset: Int?
}

/// Parses ISO 8601 timestamps from bytes: `YYYY-MM-DD[T| ]hh:mm[:ss[.fff…]][Z|±hh[:]mm]`, or a bare
/// `YYYY-MM-DD` when `allowDateOnly` (midnight). Returns nil with a reason on anything else.
func parseTimestamp(_ bytes: UnsafeBufferPointer<UInt8>, allowDateOnly: Bool = false) -> Result<WrittenTimestamp, TimestampError> {
    let n = bytes.count
    func digits(_ at: Int, _ count: Int) -> Int? {
        guard at + count <= n else { return nil }
        var value = 0
        for i in at..<(at + count) {
            let b = bytes[i]
            guard b >= 48 && b <= 57 else { return nil }
            value = value * 10 + Int(b - 48)
        }
        return value
    }
    func byte(_ at: Int) -> UInt8? { at < n ? bytes[at] : nil }
    guard let year = digits(0, 4), byte(4) == UInt8(ascii: "-"), let month = digits(5, 2), byte(7) == UInt8(ascii: "-"),
          let day = digits(8, 2) else { return .failure(.syntax) }
    guard let date = try? DayNumber(year: year, month: month, day: day) else { return .failure(.noSuchDate) }
    guard date.isSupported else { return .failure(.unsupportedDate) }
    if n == 10 {
        return allowDateOnly ? .success(WrittenTimestamp(naive: Int64(date.rawValue) * 86_400, offset: nil)) : .failure(.missingTime)
    }
    guard byte(10) == UInt8(ascii: "T") || byte(10) == UInt8(ascii: " "), let hour = digits(11, 2),
          byte(13) == UInt8(ascii: ":"), let minute = digits(14, 2) else { return .failure(.syntax) }
    var i = 16
    var second = 0
    if byte(i) == UInt8(ascii: ":") {
        guard let s = digits(i + 1, 2) else { return .failure(.syntax) }
        second = s
        i += 3
        if byte(i) == UInt8(ascii: ".") || byte(i) == UInt8(ascii: ",") {
            i += 1
            let fractionStart = i
            while let b = byte(i), b >= 48 && b <= 57 { i += 1 }
            if i == fractionStart { return .failure(.syntax) }
        }
    }
    guard hour <= 23, minute <= 59, second <= 59 else { return .failure(.noSuchTime) }
    let naive = Int64(date.rawValue) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    guard let designator = byte(i) else { return .success(WrittenTimestamp(naive: naive, offset: nil)) }
    if designator == UInt8(ascii: "Z") || designator == UInt8(ascii: "z") {
        return i + 1 == n ? .success(WrittenTimestamp(naive: naive, offset: 0)) : .failure(.syntax)
    }
    guard designator == UInt8(ascii: "+") || designator == UInt8(ascii: "-"), let oh = digits(i + 1, 2) else { return .failure(.syntax) }
    var om = 0
    if byte(i + 3) == UInt8(ascii: ":") {
        guard let m = digits(i + 4, 2), i + 6 == n else { return .failure(.syntax) }
        om = m
    } else if i + 3 < n {
        guard let m = digits(i + 3, 2), i + 5 == n else { return .failure(.syntax) }
        om = m
    }
    guard oh <= 18, om <= 59 else { return .failure(.syntax) }
    let offset = (oh * 3600 + om * 60) * (designator == UInt8(ascii: "-") ? -1 : 1)
    return .success(WrittenTimestamp(naive: naive, offset: offset))
}

/// Why a timestamp did not parse; each case's text tells the user how to write it.
enum TimestampError: Error {
    case syntax, noSuchDate, unsupportedDate, noSuchTime, missingTime

    var reason: String {
        switch self {
        case .syntax: "is not an ISO 8601 timestamp; write e.g. 2025-03-30T14:15:00+02:00 or 2025-03-30T12:15:00Z"
        case .noSuchDate: "names a date that does not exist"
        case .unsupportedDate: "is outside the supported dates \(DayNumber.supportedRangeText); check the file's dates"
        case .noSuchTime: "has an hour, minute or second out of range"
        case .missingTime: "has a date but no time; write e.g. 2025-03-30T14:15:00+02:00"
        }
    }
}

extension String {
    /// Runs `body` over the string's UTF-8 bytes (for the byte-level parsers).
    func withUTF8Buffer<T>(_ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T {
        var copy = self
        return try copy.withUTF8 { try body($0) }
    }
}
