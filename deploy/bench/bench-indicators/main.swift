// bench-indicators: the footfall index (lag 364) for every day of 3 years for 300 towns × 10
// sensors, timed. Run by deploy/bench/indicators.sh, which checks the results against DuckDB.
//
// Usage: bench-indicators --dir DIR [--towns 300] [--sensors 10] [--days 1096] [--repeat 5]
// Writes DIR/counts.csv (town,sensor,day,total: valid sensor-days only; a gap is a missing row),
// reads it back into a DailyPanel (timed: "load"), computes every town's per-day index (timed:
// "compute", best and median of --repeat runs), writes DIR/swift.csv (town,day,index,pairs) and
// prints `key=value` lines.
import Dispatch
import Foundation
import Indicators

struct Options {
    var dir = ""
    var towns = 300
    var sensors = 10
    var days = 1096
    var repeats = 5
}

func parseOptions() -> Options? {
    var o = Options()
    var args = CommandLine.arguments.dropFirst().makeIterator()
    while let a = args.next() {
        guard let v = args.next() else { return nil }
        switch a {
        case "--dir": o.dir = v
        case "--towns":
            guard let n = Int(v), n > 0 else { return nil }
            o.towns = n
        case "--sensors":
            guard let n = Int(v), n > 0 else { return nil }
            o.sensors = n
        case "--days":
            guard let n = Int(v), n > 364 else { return nil }
            o.days = n
        case "--repeat":
            guard let n = Int(v), n > 0 else { return nil }
            o.repeats = n
        default: return nil
        }
    }
    return o.dir.isEmpty ? nil : o
}

/// SplitMix64, so every run generates the same data.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

guard let options = parseOptions() else {
    FileHandle.standardError.write(
        Data("Usage: bench-indicators --dir DIR [--towns N] [--sensors N] [--days N>364] [--repeat N]\n".utf8))
    exit(64)
}
let clock = ContinuousClock()
let firstDay = DayNumber(19_723)  // 2024-01-01
let rows = options.towns * options.sensors

// 1. Generate: weekly pattern, season, town and sensor levels, noise; gaps: ~3% random invalid
//    days, outages of 1–30 days, and every 7th town's last sensor installed after day 500.
do {
    var g = SplitMix(state: 20_261_123)
    let weekly: [Double] = [0.95, 0.9, 0.95, 1.0, 1.15, 1.45, 0.6]  // Mon … Sun
    var csv = "town,sensor,day,total\n"
    csv.reserveCapacity(rows * options.days * 24)
    var written = 0
    for t in 0..<options.towns {
        let townLevel = Double.random(in: 2_000...40_000, using: &g)
        let trend = Double.random(in: -0.1...0.1, using: &g) / 365
        for s in 0..<options.sensors {
            let level = townLevel * Double.random(in: 0.2...1.0, using: &g)
            let installed = (t % 7 == 0 && s == options.sensors - 1) ? 500 : 0
            var outage = 0
            for d in 0..<options.days {
                if outage > 0 {
                    outage -= 1
                    continue
                }
                if Int.random(in: 0..<1000, using: &g) < 2 {
                    outage = Int.random(in: 0..<30, using: &g)
                    continue
                }
                if d < installed || Int.random(in: 0..<100, using: &g) < 3 { continue }
                let day = firstDay + d
                let season = 1 + 0.2 * sin(Double(d) * 2 * .pi / 365.25)
                let noise = Double.random(in: 0.8...1.2, using: &g)
                let total =
                    (level * weekly[day.isoWeekday - 1] * season * (1 + trend * Double(d)) * noise * 1000).rounded()
                    / 1000
                csv += "\(t),\(s),\(day.rawValue),\(total)\n"
                written += 1
            }
        }
    }
    try Data(csv.utf8).write(to: URL(fileURLWithPath: options.dir).appendingPathComponent("counts.csv"))
    print("rows_written=\(written)")
    print("sensor_days=\(rows * options.days)")
} catch {
    FileHandle.standardError.write(Data("Error: cannot write counts.csv in \(options.dir): \(error)\n".utf8))
    exit(1)
}

// 2. Load: parse the CSV bytes (integers by hand, totals with strtod) into one panel.
var panel: DailyPanel
let loadStart = clock.now
do {
    var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: options.dir).appendingPathComponent("counts.csv")))
    bytes.append(0)
    var counts = [Double](repeating: 0, count: rows * options.days)
    var valid = [Bool](repeating: false, count: rows * options.days)
    try bytes.withUnsafeBufferPointer { buf in
        guard let base = buf.baseAddress else { return }
        var i = 0
        while i < buf.count - 1, buf[i] != 10 { i += 1 }  // header
        i += 1
        func int(_ i: inout Int) -> Int {
            var v = 0
            var neg = false
            if buf[i] == 45 {
                neg = true
                i += 1
            }
            while buf[i] >= 48, buf[i] <= 57 {
                v = v * 10 + Int(buf[i] - 48)
                i += 1
            }
            i += 1  // separator
            return neg ? -v : v
        }
        while i < buf.count - 1 {
            let t = int(&i)
            let s = int(&i)
            let day = int(&i)
            var end: UnsafeMutablePointer<CChar>?
            let start = UnsafeMutableRawPointer(mutating: base + i).assumingMemoryBound(to: CChar.self)
            let total = strtod(start, &end)
            guard let end else { throw IndicatorsError(.invalidArgument, "bad number at byte \(i)") }
            i += start.distance(to: end) + 1
            let o = day - firstDay.rawValue
            guard t < options.towns, s < options.sensors, o >= 0, o < options.days else {
                throw IndicatorsError(.invalidArgument, "row out of range at byte \(i)")
            }
            let cell = (t * options.sensors + s) * options.days + o
            counts[cell] = total
            valid[cell] = true
        }
    }
    panel = try DailyPanel(
        firstDay: firstDay, dayCount: options.days, sensorCount: rows, counts: counts, validity: valid)
} catch {
    FileHandle.standardError.write(Data("Error: cannot load counts.csv: \(error)\n".utf8))
    exit(1)
}
print("swift_load_s=\(seconds(clock.now - loadStart))")

// 3. Compute every town's per-day index, single-threaded and on all cores.
func computeAll(_ panel: DailyPanel, towns: Int, sensors: Int, threads: Int) -> [FootfallIndex.Series] {
    final class Box: @unchecked Sendable {
        // Safe: each concurrentPerform iteration writes only its own town's slot, and the
        // array is read only after concurrentPerform has returned.
        var results: [FootfallIndex.Series?]
        init(_ n: Int) { results = Array(repeating: nil, count: n) }
    }
    let box = Box(towns)
    if threads == 1 {
        for t in 0..<towns {
            box.results[t] = try? FootfallIndex.dailySeries(
                panel: panel, lag: 364, sensors: (t * sensors)..<((t + 1) * sensors))
        }
    } else {
        let chunk = (towns + threads - 1) / threads
        box.results.withUnsafeMutableBufferPointer { out in
            // Safe: each iteration writes only the slots of its own towns (disjoint ranges).
            nonisolated(unsafe) let out = out
            DispatchQueue.concurrentPerform(iterations: threads) { k in
                for t in (k * chunk)..<min(towns, (k + 1) * chunk) {
                    out[t] = try? FootfallIndex.dailySeries(
                        panel: panel, lag: 364, sensors: (t * sensors)..<((t + 1) * sensors))
                }
            }
        }
    }
    return box.results.compactMap { $0 }
}

let cores = ProcessInfo.processInfo.activeProcessorCount
var result: [FootfallIndex.Series] = []
for threads in [1, cores] {
    var times: [Double] = []
    for _ in 0..<options.repeats {
        let start = clock.now
        result = computeAll(panel, towns: options.towns, sensors: options.sensors, threads: threads)
        times.append(seconds(clock.now - start))
    }
    times.sort()
    print("swift_compute_threads\(threads)_best_s=\(times[0])")
    print("swift_compute_threads\(threads)_median_s=\(times[times.count / 2])")
}
print("threads=\(cores)")

// 4. Write the results for the oracle check.
do {
    var out = "town,day,idx,pairs\n"
    var n = 0
    for (t, series) in result.enumerated() {
        for o in 0..<series.pairs.count {
            guard let v = series.value(at: o) else { continue }
            out += "\(t),\(series.firstDay.rawValue + o),\(v),\(series.pairs[o])\n"
            n += 1
        }
    }
    try Data(out.utf8).write(to: URL(fileURLWithPath: options.dir).appendingPathComponent("swift.csv"))
    print("index_values=\(n)")
} catch {
    FileHandle.standardError.write(Data("Error: cannot write swift.csv: \(error)\n".utf8))
    exit(1)
}
