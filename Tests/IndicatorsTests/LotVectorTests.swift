// The vectors of parking-occupancy, visitor-origin and dwell-time (their inputs are not sensor
// panels, so they have their own fields: `parking`, `origin`, `dwell`).
import Foundation
import Indicators
import Testing

enum LotVector {
    struct File: Decodable {
        var indicator: String
        var parking: [Reading]?
        var expectedParking: Parking?
        var origin: [OriginCase]?
        var dwell: [DwellCase]?
    }
    struct Reading: Decodable {
        var site: String
        var day: DayNumber
        var hour: Int
        var occupied: Double
        var capacity: Double
    }
    struct Parking: Decodable {
        struct Hour: Decodable { var day: DayNumber; var hour: Int; var rate: Double; var sites: Int }
        var hours: [Hour]
        var days: [ParkingOccupancy.Day]
        var peakRate: Double?
        var saturatedHours: Int
        var observedHours: Int
        var meanRate: Double?
    }
    struct OriginCase: Decodable {
        struct Expected: Decodable {
            var total: Int64?
            var cells: [String: Int64?]
            var localShare: Double?
            var hinterlandShare: Double?
            var suppressedCells: Int
        }
        var minimumCell: Int64
        var days: [[String: Int64]]
        var expected: Expected
    }
    struct DwellCase: Decodable {
        struct Expected: Decodable {
            var visitors: Double
            var medianMinutes: Double?
            var medianAtLeast: Int?
            var hasReason: Bool
        }
        var bins: [DwellTime.Bin]
        var expected: Expected
    }

    static func check(_ name: String) throws {
        let data = try Data(contentsOf: Vector.directory.appendingPathComponent(name))
        let v = try JSONDecoder().decode(File.self, from: data)
        switch v.indicator {
        case ParkingOccupancy.id:
            let readings = try #require(v.parking, "\(name): no parking readings")
            let e = try #require(v.expectedParking, "\(name): no expectedParking")
            let r = ParkingOccupancy.compute(readings.map {
                .init(site: $0.site, day: $0.day, hour: $0.hour, occupied: $0.occupied, capacity: $0.capacity)
            })
            #expect(r.hours.count == e.hours.count, "\(name): hours")
            for (got, want) in zip(r.hours, e.hours) {
                #expect(got.day == want.day && got.hour == want.hour && got.sites == want.sites, "\(name): \(got)")
                #expect(close(got.rate, want.rate), "\(name): rate \(got.rate) vs \(want.rate)")
            }
            #expect(r.days.count == e.days.count, "\(name): days")
            for (got, want) in zip(r.days, e.days) {
                #expect(got.day == want.day && got.peakHour == want.peakHour && got.saturatedHours == want.saturatedHours
                        && got.observedHours == want.observedHours, "\(name): \(got)")
                #expect(close(got.meanRate, want.meanRate) && close(got.peakRate, want.peakRate), "\(name): \(got)")
            }
            #expect(close(r.peakRate, e.peakRate) && close(r.meanRate, e.meanRate), "\(name): period")
            #expect(r.saturatedHours == e.saturatedHours && r.observedHours == e.observedHours, "\(name): period counts")
        case VisitorOrigin.id:
            let cases = try #require(v.origin, "\(name): no origin cases")
            for (i, c) in cases.enumerated() {
                var sums: [VisitorOrigin.OriginClass: Int64] = [:]
                for day in c.days {
                    for (key, n) in day { sums[try #require(VisitorOrigin.OriginClass(rawValue: key)), default: 0] += n }
                }
                let r = VisitorOrigin.compute(sums, minimumCell: c.minimumCell)
                #expect(r.total == c.expected.total, "\(name) case \(i + 1): total")
                for cell in r.cells {
                    let want = try #require(c.expected.cells[cell.origin.rawValue], "\(name): \(cell.origin) not expected")
                    #expect(cell.visitors == want, "\(name) case \(i + 1): \(cell.origin)")
                }
                #expect(close(r.localShare, c.expected.localShare), "\(name) case \(i + 1): local share")
                #expect(close(r.hinterlandShare, c.expected.hinterlandShare), "\(name) case \(i + 1): hinterland share")
                #expect(r.suppressedCells == c.expected.suppressedCells, "\(name) case \(i + 1): suppressed")
            }
        case DwellTime.id:
            let cases = try #require(v.dwell, "\(name): no dwell cases")
            for (i, c) in cases.enumerated() {
                let r = DwellTime.median(c.bins)
                #expect(close(r.visitors, c.expected.visitors), "\(name) case \(i + 1): visitors")
                #expect(close(r.medianMinutes, c.expected.medianMinutes), "\(name) case \(i + 1): median \(String(describing: r.medianMinutes))")
                #expect(r.medianAtLeast == c.expected.medianAtLeast, "\(name) case \(i + 1): at least")
                #expect((r.reason != nil) == c.expected.hasReason, "\(name) case \(i + 1): reason \(String(describing: r.reason))")
            }
        default:
            Issue.record("\(name): not a lot indicator")
        }
    }
}
