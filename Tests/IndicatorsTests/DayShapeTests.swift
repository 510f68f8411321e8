// The day-shape and percent-of-normal vectors (Indicators/vectors/day-shape-*.json,
// percent-of-normal-*.json): their own fields, read beside the shared `Vector` format.
import Foundation
import Indicators
import Testing

/// The fields the two new indicators' vectors add to the shared format.
struct DayShapeVector: Decodable {
    struct Schedule: Decodable {
        var weekly: [String: [[String]]]
        var exceptions: [String: [[String]]]?
    }
    struct TypeExpectation: Decodable {
        var days: Int
        var shares: [String: Double]?
        var closedShare: Double?
        var lunchShare: Double?
        var eveningShare: Double?
        var usualClosingHour: Int?
        var usualOpeningHour: Int?
    }
    struct ShapeExpectation: Decodable {
        var weekday: TypeExpectation
        var saturday: TypeExpectation
        var sunday: TypeExpectation
        var school: TypeExpectation
        var saturdayVsWeekday: Double?
        var sundayVsWeekday: Double?
        var meanDailyTotal: [String: Double]
        enum CodingKeys: String, CodingKey {
            case weekday, saturday, saturdayVsWeekday, sundayVsWeekday, meanDailyTotal
            case sunday = "sunday-or-holiday", school = "school-holiday"
        }
    }
    struct BandTown: Decodable {
        var shares: [String: Double]
        var weight: Double
    }
    struct BandExpectation: Decodable {
        var publication: String
        var median: [String: Double]
        var lowerQuartile: [String: Double]
        var upperQuartile: [String: Double]
    }
    struct PeerBand: Decodable {
        var towns: [BandTown]
        var expected: BandExpectation
        var dominatedWeights: [Double]
        var dominatedPublication: String
        var tooFewTowns: Int
        var tooFewPublication: String
    }
    struct FindingExpectation: Decodable {
        var measure: String
        var dayType: String?
        var town: Double
        var peers: Double
        var closingHour: Int?
    }
    struct Findings: Decodable {
        var peers: [String: PeerValue]
        var expected: [FindingExpectation]
    }
    /// A peer median: per day type, or one number (the ratios).
    enum PeerValue: Decodable {
        case byType([String: Double]), single(Double)
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let v = try? c.decode(Double.self) { self = .single(v) } else { self = .byType(try c.decode([String: Double].self)) }
        }
    }
    struct PercentExpectation: Decodable {
        var day: DayNumber
        var referenceDays: [DayNumber]
        var percent: [String: Double]
        var hasReason: Bool?
    }

    var schedule: Schedule?
    var schoolHolidays: [[DayNumber]]?
    var expectedShape: ShapeExpectation?
    var peerBand: PeerBand?
    var findings: Findings?
    var expectedPercent: [PercentExpectation]?

    static func load(_ name: String) throws -> DayShapeVector {
        try JSONDecoder().decode(DayShapeVector.self, from: Data(contentsOf: Vector.directory.appendingPathComponent(name)))
    }

    static func minutes(_ text: String) throws -> Int {
        let parts = text.split(separator: ":")
        return try #require(Int(parts[0])) * 60 + (parts.count > 1 ? try #require(Int(parts[1])) : 0)
    }

    func openingSchedule() throws -> OpeningSchedule? {
        guard let schedule else { return nil }
        func ranges(_ list: [[String]]) throws -> [Range<Int>] { try list.map { try Self.minutes($0[0])..<Self.minutes($0[1]) } }
        var weekly: [Int: [Range<Int>]] = [:]
        for (k, v) in schedule.weekly { weekly[try #require(Int(k))] = try ranges(v) }
        var exceptions: [DayNumber: [Range<Int>]] = [:]
        for (k, v) in schedule.exceptions ?? [:] { exceptions[try DayNumber(iso: k)] = try ranges(v) }
        return OpeningSchedule(weekly: weekly, exceptions: exceptions)
    }
}

func hours24(_ map: [String: Double]) -> [Double] {
    var h = [Double](repeating: 0, count: 24)
    for (k, v) in map { if let i = Int(k), (0..<24).contains(i) { h[i] = v } }
    return h
}

func closeAll(_ a: [Double]?, _ b: [Double]) -> Bool {
    guard let a, a.count == b.count else { return false }
    return zip(a, b).allSatisfy { abs($0 - $1) < 1e-9 }
}

extension VectorTests {
    func checkDayShape(_ v: Vector, _ name: String) throws {
        let x = try DayShapeVector.load(name)
        let q = try #require(v.query)
        let e = try #require(x.expectedShape)
        let rows = try (q.sensors ?? []).map { try #require(v.row($0)) }
        let holidays = SchoolHolidays(periods: (x.schoolHolidays ?? []).map { $0[0]...$0[1] })
        let r = try DayShape.compute(panel: v.hourlyPanel(), sensors: rows, period: try #require(q.from)...(try #require(q.to)),
                                     schedule: try x.openingSchedule(), schoolHolidays: holidays)
        for (type, want) in [(ShapeDayType.weekday, e.weekday), (.saturday, e.saturday), (.sundayOrHoliday, e.sunday),
                             (.schoolHoliday, e.school)] {
            let got = try #require(r[type])
            #expect(got.days == want.days, "\(name) \(type): days")
            #expect(closeAll(got.shares, hours24(want.shares ?? [:])), "\(name) \(type): shares \(String(describing: got.shares))")
            #expect(close(got.closedShare, want.closedShare), "\(name) \(type): closed \(String(describing: got.closedShare))")
            #expect(close(got.lunchShare, want.lunchShare), "\(name) \(type): lunch")
            #expect(close(got.eveningShare, want.eveningShare), "\(name) \(type): evening")
            #expect(got.usualClosingHour == want.usualClosingHour, "\(name) \(type): closing hour")
            #expect(got.usualOpeningHour == want.usualOpeningHour, "\(name) \(type): opening hour")
        }
        #expect(close(r.saturdayVsWeekday, e.saturdayVsWeekday), "\(name): Saturday vs weekday")
        #expect(close(r.sundayVsWeekday, e.sundayVsWeekday), "\(name): Sunday vs weekday")
        for (k, want) in e.meanDailyTotal {
            #expect(close(r.meanDailyTotal[try #require(ShapeDayType(rawValue: k))], want), "\(name): mean total \(k)")
        }
        if let b = x.peerBand {
            let towns = b.towns.map { DayShape.Contribution(shares: hours24($0.shares), weight: $0.weight) }
            let band = DayShape.peerBand(towns)
            #expect(band.publication == b.expected.publication)
            #expect(band.towns == towns.count)
            #expect(closeAll(band.median, hours24(b.expected.median)), "\(name): median \(String(describing: band.median))")
            #expect(closeAll(band.lowerQuartile, hours24(b.expected.lowerQuartile)), "\(name): Q1")
            #expect(closeAll(band.upperQuartile, hours24(b.expected.upperQuartile)), "\(name): Q3")
            let dominated = DayShape.peerBand(b.dominatedWeights.enumerated().map { DayShape.Contribution(shares: towns[$0.offset].shares, weight: $0.element) })
            #expect(dominated.publication == b.dominatedPublication && dominated.median == nil)
            let few = DayShape.peerBand(Array(towns.prefix(b.tooFewTowns)))
            #expect(few.publication == b.tooFewPublication && few.median == nil)
        }
        if let f = x.findings {
            var peers: [DayShape.Measure: [ShapeDayType?: Double]] = [:]
            for (k, value) in f.peers {
                let m = try #require(DayShape.Measure(rawValue: k))
                switch value {
                case .single(let v): peers[m] = [nil: v]
                case .byType(let map):
                    for (t, v) in map { peers[m, default: [:]][ShapeDayType(rawValue: t)] = v }
                }
            }
            let got = DayShape.findings(town: r, peers: peers)
            #expect(got.count == f.expected.count, "\(name): findings \(got)")
            for (g, w) in zip(got, f.expected) {
                #expect(g.measure.rawValue == w.measure && g.dayType?.rawValue == w.dayType, "\(name): finding \(g)")
                #expect(close(g.town, w.town) && close(g.peers, w.peers) && g.closingHour == w.closingHour, "\(name): finding \(g)")
            }
        }
    }

    func checkPercentOfNormal(_ v: Vector, _ name: String) throws {
        let x = try DayShapeVector.load(name)
        let q = try #require(v.query)
        let rows = try (q.sensors ?? []).map { try #require(v.row($0)) }
        let days = try PercentOfNormal.compute(panel: v.hourlyPanel(), sensors: rows, period: try #require(q.from)...(try #require(q.to)),
                                               excludedDays: Set(q.excludedDays ?? []))
        let want = try #require(x.expectedPercent)
        #expect(days.count == want.count)
        for (got, w) in zip(days, want) {
            #expect(got.day == w.day)
            #expect(got.referenceDays == w.referenceDays, "\(name) \(got.day): references \(got.referenceDays)")
            for h in 0..<24 {
                #expect(close(got.percent[h], w.percent[String(h)]), "\(name) \(got.day) h\(h): \(String(describing: got.percent[h]))")
            }
            #expect((got.reason != nil) == (w.hasReason ?? false), "\(name) \(got.day): reason")
        }
    }
}

@Suite("Day shape and percent of normal")
struct DayShapeTests {
    @Test("an opening schedule outside 00:00…24:00 or on weekday 8 is refused with a sentence")
    func badSchedule() throws {
        #expect(throws: IndicatorsError.self) { try OpeningSchedule(weekly: [8: [540..<1080]]).validate() }
        #expect(throws: IndicatorsError.self) { try OpeningSchedule(weekly: [1: [540..<1500]]).validate() }
    }

    @Test("quantiles interpolate like PERCENTILE.INC")
    func quantiles() {
        #expect(IndicatorMath.quantile([1, 2, 3, 4], 0.25) == 1.75)
        #expect(IndicatorMath.quantile([], 0.5) == nil)
    }
}
