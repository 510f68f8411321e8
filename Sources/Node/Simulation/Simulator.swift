public import Foundation
public import Indicators

/// What ``Simulator/write(town:years:endingOn:seed:to:)`` wrote.
///
/// Why: the demo and the tests import exactly these files, in this order, and need to know which
/// events exist to ask for their uplift.
public struct SimulationFiles: Sendable {
    /// An event written to `events.csv`.
    public struct Event: Sendable, Hashable {
        public var id: String
        public var name: String
        public var zone: String
        public var kind: String
        public var days: ClosedRange<DayNumber>
        /// The uplift the simulator applied in the event's zone (fraction).
        public var appliedUplift: Double
    }

    /// `sensors.csv`: import first, with `townbench-node sensors import`.
    public var sensors: URL
    /// `counts.csv`: hourly pedestrians of street counters, entries of store doors, vehicles by mode.
    public var counts: URL
    /// `events.csv`: weekly markets and named events (`import --format events`).
    public var events: URL
    /// `school-holidays.csv` (`import --format school-holidays`).
    public var schoolHolidays: URL
    /// `opening-hours.csv` (`import --format opening-hours`): the shops' hours per zone.
    public var openingHours: URL
    public var firstDay: DayNumber
    public var lastDay: DayNumber
    /// Rows written to `counts.csv`.
    public var countRows: Int
    /// Named events (not the weekly markets), in date order.
    public var namedEvents: [Event]

    /// The `townbench-node import` calls, in order: (format or `nil` for `sensors import`, file).
    public var importOrder: [(format: String?, file: URL)] {
        [(nil, sensors), ("school-holidays", schoolHolidays), ("events", events), ("opening-hours", openingHours), ("counts", counts)]
    }
}

/// Writes realistic, deterministic import files for one town: a demo network and tests without
/// real vendor data.
///
/// Why: towns' raw data never leaves them, so the demo network (issue 6) needs its own. Hourly
/// pedestrian counts per street counter are shaped by weekday, hour, season, the town's weekly
/// market, a coastal summer (Blankenberge), Belgian public holidays and Flemish school holidays,
/// named events with a real uplift, sensor outages (missing rows, never zeros) and one weather
/// factor per day shared by every town simulated with the same `seed` (so peer adjustment has a
/// network trend to remove). Store-door counters count a share of their street counter's passers-by
/// during opening hours; one access-road counter counts cars, bikes and heavy vehicles.
///
/// Timestamps are written in UTC (`…Z`); days and hours are shaped in Europe/Brussels time (EU
/// summer time rules), the node's default zone. Same inputs → the same bytes.
public enum Simulator {
    /// Writes `sensors.csv`, `counts.csv`, `events.csv` and `school-holidays.csv` for `town` into
    /// `directory` (created if needed), covering `years` whole years of local days ending on
    /// `endingOn` (inclusive).
    public static func write(
        town: SimulatedTown, years: Int, endingOn lastDay: DayNumber, seed: UInt64,
        to directory: URL
    ) throws -> SimulationFiles {
        guard (1...20).contains(years) else {
            throw NodeError(.invalidArgument, "--years must be between 1 and 20, got \(years).")
        }
        let end = lastDay.civil
        // The same date `years` earlier (29 February → 28 February), plus one: whole years of days.
        let sameDate =
            (try? DayNumber(year: end.year - years, month: end.month, day: end.day))
            ?? (try? DayNumber(year: end.year - years, month: end.month, day: 28)) ?? lastDay - 365 * years
        let firstDay = sameDate + 1
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw NodeError(
                .io, "Could not create \(directory.path) (\(error.localizedDescription)). Choose a writable directory.")
        }
        var sim = Simulation(town: town, firstDay: firstDay, lastDay: lastDay, seed: seed)
        let sensorsURL = directory.appendingPathComponent("sensors.csv")
        let countsURL = directory.appendingPathComponent("counts.csv")
        let eventsURL = directory.appendingPathComponent("events.csv")
        let holidaysURL = directory.appendingPathComponent("school-holidays.csv")
        let openingURL = directory.appendingPathComponent("opening-hours.csv")
        try writeFile(sensorsURL, Array(sim.sensorsCSV().utf8))
        try writeFile(openingURL, Array(sim.openingHoursCSV().utf8))
        try writeFile(holidaysURL, Array(sim.schoolHolidaysCSV().utf8))
        try writeFile(eventsURL, Array(sim.eventsCSV().utf8))
        let rows = try sim.writeCounts(to: countsURL)
        return SimulationFiles(
            sensors: sensorsURL, counts: countsURL, events: eventsURL, schoolHolidays: holidaysURL, openingHours: openingURL,
            firstDay: firstDay, lastDay: lastDay, countRows: rows, namedEvents: sim.namedEvents)
    }

    static func writeFile(_ url: URL, _ bytes: [UInt8]) throws {
        do {
            try Data(bytes).write(to: url, options: .atomic)
        } catch {
            throw NodeError(
                .io,
                "Could not write \(url.path) (\(error.localizedDescription)). Check the directory is writable and the disk not full."
            )
        }
    }

    /// Flemish school holidays (an approximation of the calendar in force since 2022–23: two weeks
    /// in autumn around 1 November, two at Christmas, two at carnival, two at Easter, and July and
    /// August), for the school years touching `years`.
    public static func schoolHolidays(years: ClosedRange<Int>) -> [(name: String, first: DayNumber, last: DayNumber)] {
        var result: [(String, DayNumber, DayNumber)] = []
        for y in years {
            let easter = BelgianCalendar.easterSunday(year: y)
            let carnivalMonday = easter - 48
            result.append(("Krokusvakantie \(y)", carnivalMonday, carnivalMonday + 13))
            let easterMonday = easter + 1
            // The Easter holiday: the two weeks around Easter Monday (Monday to Sunday).
            result.append(("Paasvakantie \(y)", easterMonday - 7, easterMonday + 6))
            if let jul1 = try? DayNumber(year: y, month: 7, day: 1),
                let aug31 = try? DayNumber(year: y, month: 8, day: 31)
            {
                result.append(("Zomervakantie \(y)", jul1, aug31))
            }
            if let nov1 = try? DayNumber(year: y, month: 11, day: 1) {
                let monday = nov1 - (nov1.isoWeekday - 1)
                result.append(("Herfstvakantie \(y)", monday - 7, monday + 6))
            }
            if let dec25 = try? DayNumber(year: y, month: 12, day: 25) {
                let monday = dec25 - (dec25.isoWeekday - 1)
                result.append(("Kerstvakantie \(y)-\(y + 1)", monday, monday + 13))
            }
        }
        return result.sorted { $0.1 < $1.1 }
    }
}

// MARK: - The simulation

/// Deterministic noise: SplitMix64 over the inputs, so a value depends only on what it is for.
struct Noise {
    let seed: UInt64

    @inline(__always) static func mix(_ z0: UInt64) -> UInt64 {
        var z = z0 &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in (0, 1).
    @inline(__always) func uniform(_ a: UInt64, _ b: UInt64 = 0, _ c: UInt64 = 0) -> Double {
        let h = Noise.mix(Noise.mix(Noise.mix(seed ^ a) ^ b) ^ c)
        return (Double(h >> 11) + 0.5) / 9_007_199_254_740_992.0
    }

    /// Standard normal (Box–Muller).
    @inline(__always) func normal(_ a: UInt64, _ b: UInt64 = 0, _ c: UInt64 = 0) -> Double {
        let u1 = uniform(a, b, c)
        let u2 = uniform(a ^ 0x5555, b, c ^ 0xAAAA)
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    static func hash(_ text: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return h
    }
}

struct Simulation {
    enum Kind { case street, door, vehicle }

    struct Sensor {
        var id: String
        var zone: String
        var zoneKind: String
        var kind: Kind
        var vendor: String
        var pairedStreet: Int?  // index into sensors
        var dailyVolume: Double
        var conversion: Double
        /// Outages: day offsets without any row.
        var outage: Set<Int>
    }

    let town: SimulatedTown
    let firstDay: DayNumber
    let lastDay: DayNumber
    let townNoise: Noise
    let weather: Noise
    var sensors: [Sensor] = []
    var namedEvents: [SimulationFiles.Event] = []
    var schoolHoliday: [Bool] = []
    /// Per day offset: (zone → uplift fraction) of named events.
    var eventUplift: [[String: Double]] = []
    var dayCount: Int { lastDay.rawValue - firstDay.rawValue + 1 }

    init(town: SimulatedTown, firstDay: DayNumber, lastDay: DayNumber, seed: UInt64) {
        self.town = town
        self.firstDay = firstDay
        self.lastDay = lastDay
        townNoise = Noise(seed: Noise.mix(seed ^ Noise.hash(town.id)))
        weather = Noise(seed: Noise.mix(seed ^ 0x5EA5_0000))
        let n = lastDay.rawValue - firstDay.rawValue + 1
        buildSensors()
        schoolHoliday = Array(repeating: false, count: n)
        for h in Simulator.schoolHolidays(years: (firstDay.civil.year - 1)...(lastDay.civil.year)) {
            var d = max(h.first, firstDay)
            while d <= min(h.last, lastDay) {
                schoolHoliday[d.rawValue - firstDay.rawValue] = true
                d = d + 1
            }
        }
        eventUplift = Array(repeating: [:], count: n)
        for year in firstDay.civil.year...lastDay.civil.year {
            for e in town.events {
                guard let start = e.firstDay(in: year) else { continue }
                let last = start + (e.days - 1)
                guard start >= firstDay, last <= lastDay else { continue }
                let slug = e.name.lowercased().map { $0.isLetter || $0.isNumber ? String($0) : "-" }.joined()
                namedEvents.append(
                    .init(
                        id: "\(slug)-\(year)", name: e.name, zone: e.zone, kind: "event",
                        days: start...last, appliedUplift: e.uplift))
                for d in start.rawValue...last.rawValue {
                    eventUplift[d - firstDay.rawValue][e.zone, default: 0] += e.uplift
                }
            }
        }
        namedEvents.sort { $0.days.lowerBound < $1.days.lowerBound }
    }

    mutating func buildSensors() {
        let base = Double(town.coreShops) * 28 + Double(town.horeca) * 12 + Double(town.inhabitants) * 0.04
        var zones: [(String, String)] = [("market", "market-square")]
        if town.hasBusinessPark { zones.append(("business-park", "business-park")) }
        if town.isCoastal { zones.append(("zeedijk", "tourist-site")) }
        var counters: [String: Int] = [:]
        for i in 0..<max(1, town.streetSensors) {
            let (zone, kind) = i < zones.count ? zones[i] : ("centre", "core-shopping")
            counters[zone, default: 0] += 1
            let weight = 0.55 + 0.9 * townNoise.uniform(1, UInt64(i))
            let volume = base * weight * (zone == "business-park" ? 0.5 : 1)
            sensors.append(
                Sensor(
                    id: "\(zone)-\(counters[zone] ?? 1)", zone: zone, zoneKind: kind, kind: .street,
                    vendor: "crowdscan", pairedStreet: nil, dailyVolume: volume, conversion: 0,
                    outage: outages(sensor: UInt64(i))))
        }
        let centre = sensors.indices.filter { sensors[$0].zone == "centre" }
        for j in 0..<town.storeDoors where !centre.isEmpty {
            let street = centre[j % centre.count]
            let rate = 0.06 + 0.12 * townNoise.uniform(2, UInt64(j))
            sensors.append(
                Sensor(
                    id: "shop-\(j + 1)", zone: "centre", zoneKind: "core-shopping", kind: .door,
                    vendor: "retailfactory", pairedStreet: street, dailyVolume: 0, conversion: rate,
                    outage: outages(sensor: 100 + UInt64(j))))
        }
        sensors.append(
            Sensor(
                id: "access-1", zone: "access-road", zoneKind: "access-road", kind: .vehicle,
                vendor: "movias", pairedStreet: nil, dailyVolume: Double(town.inhabitants) * 0.3,
                conversion: 0, outage: outages(sensor: 200)))
    }

    /// About one outage a year of 2–10 days per sensor, plus scattered single days.
    func outages(sensor: UInt64) -> Set<Int> {
        var days = Set<Int>()
        let n = lastDay.rawValue - firstDay.rawValue + 1
        let years = max(1, n / 365)
        for y in 0..<years where townNoise.uniform(3, sensor, UInt64(y)) < 0.7 {
            let start = Int(townNoise.uniform(4, sensor, UInt64(y)) * Double(n - 12))
            let length = 2 + Int(townNoise.uniform(5, sensor, UInt64(y)) * 9)
            for d in start..<min(n, start + length) { days.insert(d) }
        }
        for k in 0..<(n / 120) { days.insert(Int(townNoise.uniform(6, sensor, UInt64(k)) * Double(n))) }
        return days
    }

    func sensorsCSV() -> String {
        var out = "sensor,zone,zone_kind,kind,vendor,paired_street_sensor,latitude,longitude,installed,removed\n"
        for s in sensors {
            let kind =
                switch s.kind {
                case .street: "pedestrian"
                case .door: "entries"
                case .vehicle: "vehicle"
                }
            let paired = s.pairedStreet.map { sensors[$0].id } ?? ""
            out += "\(s.id),\(s.zone),\(s.zoneKind),\(kind),\(s.vendor),\(paired),,,\(firstDay),\n"
        }
        return out
    }

    /// The shops' hours the door counters follow (``shopHours``, Monday–Saturday) for every zone,
    /// with late-night shopping until 21:00 on the Fridays of December.
    func openingHoursCSV() -> String {
        var out = "zone,weekday,opens,closes\n"
        let zones = Array(Set(sensors.map(\.zone))).sorted()
        func hh(_ h: Int) -> String { (h < 10 ? "0" : "") + "\(h):00" }
        for zone in zones {
            for weekday in ["mon", "tue", "wed", "thu", "fri", "sat"] {
                out += "\(zone),\(weekday),\(hh(Simulation.shopHours.lowerBound)),\(hh(Simulation.shopHours.upperBound))\n"
            }
            out += "\(zone),sun,,\n"
            var d = firstDay
            while d <= lastDay {
                if d.civil.month == 12, d.isoWeekday == 5 {
                    out += "\(zone),\(d),\(hh(Simulation.shopHours.lowerBound)),21:00\n"
                }
                d = d + 1
            }
        }
        return out
    }

    func schoolHolidaysCSV() -> String {
        var out = "name,first_day,last_day\n"
        for h in Simulator.schoolHolidays(years: (firstDay.civil.year - 1)...(lastDay.civil.year))
        where h.last >= firstDay && h.first <= lastDay {
            out += "\(h.name),\(h.first),\(h.last)\n"
        }
        return out
    }

    func eventsCSV() -> String {
        var out = "id,name,zone,start,end,kind\n"
        var d = firstDay + ((town.marketWeekday - firstDay.isoWeekday + 7) % 7)
        while d <= lastDay {
            if !BelgianCalendar.isPublicHoliday(d) {
                out += "market-\(d),Weekmarkt,market,\(d)T08:00:00,\(d)T13:00:00,market\n"
            }
            d = d + 7
        }
        for e in namedEvents {
            out += "\(e.id),\(e.name),\(e.zone),\(e.days.lowerBound),\(e.days.upperBound),\(e.kind)\n"
        }
        return out
    }

    // MARK: shapes

    static func bumps(_ list: [(centre: Double, width: Double, height: Double)], floor: Double) -> [Double] {
        (0..<24).map { h in
            let x = Double(h) + 0.5
            return floor + list.reduce(0) { $0 + $1.height * exp(-pow(x - $1.centre, 2) / (2 * $1.width * $1.width)) }
        }
    }

    static func normalised(_ w: [Double]) -> [Double] {
        let total = w.reduce(0, +)
        return w.map { $0 / total }
    }

    // Hour shapes (shares of the local day), by day type and zone.
    static let weekdayShape = normalised(
        bumps([(11, 1.6, 1.0), (15.5, 2.0, 1.1), (12.8, 0.8, 0.35), (19.5, 1.5, 0.25)], floor: 0.01))
    static let saturdayShape = normalised(bumps([(11.5, 1.8, 1.1), (15, 2.2, 1.4), (20, 1.6, 0.3)], floor: 0.01))
    static let sundayShape = normalised(bumps([(11, 1.5, 0.6), (15.5, 2.4, 1.0), (19, 1.5, 0.3)], floor: 0.012))
    static let lunchShape = normalised(bumps([(8.2, 0.7, 0.7), (12.7, 0.7, 1.6), (17.2, 0.8, 0.8)], floor: 0.005))
    static let marketShape = normalised(bumps([(10.3, 1.5, 1.6), (15, 2, 0.5)], floor: 0.01))
    static let eventShape = normalised(bumps([(15, 2.5, 1.0), (20.5, 2, 0.8)], floor: 0.015))
    static let trafficShape = normalised(bumps([(8, 1.0, 1.0), (12.5, 2.5, 0.6), (17.3, 1.2, 1.1)], floor: 0.03))
    static let shopHours = 9..<18

    /// The day's expected street footfall factor (1 = an ordinary Wednesday in March) and its shape.
    func dayFactor(zone: String, offset: Int, day: DayNumber) -> (factor: Double, shape: [Double]) {
        let holiday = BelgianCalendar.isPublicHoliday(day)
        let weekday = holiday ? 7 : day.isoWeekday
        let month = day.civil.month
        let coastal = town.isCoastal
        let weekdayFactors =
            coastal ? [0.8, 0.85, 0.9, 0.9, 1.0, 1.35, 1.25] : [0.85, 0.9, 1.0, 0.95, 1.1, 1.35, 0.42]
        let seasonInland = [0.86, 0.88, 0.96, 1.0, 1.02, 1.0, 0.97, 0.94, 1.0, 1.0, 1.04, 1.28]
        let seasonCoast = [0.55, 0.6, 0.75, 0.95, 1.1, 1.35, 2.0, 2.25, 1.1, 0.85, 0.65, 0.9]
        var factor = weekdayFactors[weekday - 1] * (coastal ? seasonCoast : seasonInland)[month - 1]
        if schoolHoliday[offset] { factor *= coastal ? 1.3 : 1.04 }
        // Shared weather: one value per day for every town of the same seed; the coast feels it twice.
        let w = weather.normal(UInt64(bitPattern: Int64(day.rawValue)))
        factor *= exp((coastal && (6...9).contains(month) ? 0.16 : 0.08) * w)
        // The town's trend, compounded over the years since the first day.
        factor *= pow(1 + town.trend, Double(offset) / 365.25)
        var shape =
            weekday == 6 ? Simulation.saturdayShape : (weekday == 7 ? Simulation.sundayShape : Simulation.weekdayShape)
        if zone == "business-park" {
            factor *= weekday >= 6 ? 0.25 : 1.0
            if weekday < 6 { shape = Simulation.lunchShape }
        }
        if day.isoWeekday == town.marketWeekday && !holiday {
            if zone == "market" {
                factor *= 1.7
                shape = zip(shape, Simulation.marketShape).map { 0.3 * $0 + 0.7 * $1 }
            } else if zone == "centre" {
                factor *= 1.12
            }
        }
        for (eventZone, uplift) in eventUplift[offset] {
            let u = eventZone == zone ? uplift : uplift / 3
            let blend = u / (1 + u)
            factor *= 1 + u
            shape = zip(shape, Simulation.eventShape).map { (1 - blend) * $0 + blend * $1 }
        }
        return (factor, shape)
    }

    // MARK: counts

    /// Writes the counts file, streaming; returns the number of rows.
    mutating func writeCounts(to url: URL) throws -> Int {
        // UTC hours covering the local days: local midnight of the first day is at most 2 h earlier in UTC.
        let startHour = firstDay.rawValue * 24 - 2
        let endHour = (lastDay.rawValue + 1) * 24
        var hours: [(utc: Int, offset: Int, localHour: Int)] = []
        hours.reserveCapacity(endHour - startHour)
        var stamps: [[UInt8]] = []
        for utc in startHour..<endHour {
            let local = utc + Simulation.brusselsOffset(utcHour: utc)
            let localDay = local >= 0 ? local / 24 : (local - 23) / 24
            let offset = localDay - firstDay.rawValue
            guard offset >= 0, offset < dayCount else { continue }
            hours.append((utc, offset, local - localDay * 24))
            let day = DayNumber(utc >= 0 ? utc / 24 : (utc - 23) / 24)
            let h = utc - day.rawValue * 24
            stamps.append(Array("\(day)T\(h < 10 ? "0" : "")\(h):00:00Z".utf8))
        }
        // Per street zone and day: factor and shape, computed once.
        var cache: [String: [(Double, [Double])]] = [:]
        for zone in Set(sensors.map(\.zone)) {
            cache[zone] = (0..<dayCount).map { dayFactor(zone: zone, offset: $0, day: firstDay + $0) }
        }
        guard FileManager.default.createFile(atPath: url.path, contents: nil),
            let handle = try? FileHandle(forWritingTo: url)
        else {
            throw NodeError(.io, "Could not create \(url.path). Check the directory is writable.")
        }
        defer { try? handle.close() }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20)
        buffer += Array("sensor,start,minutes,measure,count,direction\n".utf8)
        var rows = 0
        func flush(_ force: Bool) throws {
            guard force || buffer.count > (1 << 20) - 4096 else { return }
            do { try handle.write(contentsOf: buffer) } catch {
                throw NodeError(.io, "Could not write \(url.path) (\(error.localizedDescription)). Is the disk full?")
            }
            buffer.removeAll(keepingCapacity: true)
        }
        func row(_ sensor: [UInt8], _ stamp: [UInt8], _ measure: [UInt8], _ count: Int, _ direction: [UInt8]) {
            buffer += sensor
            buffer.append(UInt8(ascii: ","))
            buffer += stamp
            buffer += Simulation.sixty
            buffer += measure
            buffer.append(UInt8(ascii: ","))
            Simulation.appendInt(&buffer, count)
            buffer.append(UInt8(ascii: ","))
            buffer += direction
            buffer.append(UInt8(ascii: "\n"))
            rows += 1
        }
        // Street counts first, remembered per hour for the doors that pair with them.
        var streetCounts: [Int: [Int]] = [:]
        let pedestrians = Array("pedestrians".utf8)
        let entries = Array("entries".utf8)
        let inDir = Array("in".utf8)
        for (index, sensor) in sensors.enumerated() {
            let id = Array(sensor.id.utf8)
            let sid = UInt64(index + 1)
            switch sensor.kind {
            case .street:
                guard let days = cache[sensor.zone] else { continue }
                var kept: [Int] = Array(repeating: 0, count: hours.count)
                var dayNoise = 1.0
                var lastOffset = -1
                var partial = false
                for (i, hour) in hours.enumerated() {
                    if hour.offset != lastOffset {
                        lastOffset = hour.offset
                        dayNoise = exp(0.05 * townNoise.normal(7, sid, UInt64(hour.offset)))
                        partial = townNoise.uniform(8, sid, UInt64(hour.offset)) < 0.004
                    }
                    if sensor.outage.contains(hour.offset) {
                        kept[i] = -1
                        continue
                    }
                    // A partial day: the counter drops out from 10:00 to 16:00 (the day is invalid).
                    if partial && (10..<16).contains(hour.localHour) {
                        kept[i] = -1
                        continue
                    }
                    let (factor, shape) = days[hour.offset]
                    let expected = sensor.dailyVolume * factor * dayNoise * shape[hour.localHour]
                    let count = max(
                        0, Int((expected * exp(0.07 * townNoise.normal(9, sid, UInt64(hour.utc)))).rounded()))
                    kept[i] = count
                    row(id, stamps[i], pedestrians, count, [])
                }
                streetCounts[index] = kept
            case .door:
                guard let street = sensor.pairedStreet, let passers = streetCounts[street] else { continue }
                for (i, hour) in hours.enumerated() {
                    if sensor.outage.contains(hour.offset) { continue }
                    let day = firstDay + hour.offset
                    let open =
                        Simulation.shopHours.contains(hour.localHour) && day.isoWeekday != 7
                        && !BelgianCalendar.isPublicHoliday(day)
                    var count = 0
                    if open {
                        // A door counter keeps counting when its street counter is out: estimate from the shape.
                        let p =
                            passers[i] >= 0
                            ? Double(passers[i])
                            : (cache["centre"]?[hour.offset]).map {
                                sensors[street].dailyVolume * $0.0 * $0.1[hour.localHour]
                            } ?? 0
                        count = max(
                            0,
                            Int(
                                (p * sensor.conversion * exp(0.1 * townNoise.normal(10, sid, UInt64(hour.utc))))
                                    .rounded()))
                    }
                    row(id, stamps[i], entries, count, inDir)
                }
            case .vehicle:
                let modes: [([UInt8], Double)] = [
                    (Array("cars".utf8), 1.0), (Array("bikes".utf8), 0.16), (Array("heavy".utf8), 0.07),
                ]
                for (i, hour) in hours.enumerated() {
                    if sensor.outage.contains(hour.offset) { continue }
                    let day = firstDay + hour.offset
                    let weekend = day.isoWeekday >= 6 || BelgianCalendar.isPublicHoliday(day)
                    let base = sensor.dailyVolume * (weekend ? 0.65 : 1) * Simulation.trafficShape[hour.localHour]
                    for (m, (measure, share)) in modes.enumerated() {
                        let summer = m == 1 && (5...9).contains(day.civil.month) ? 1.6 : 1
                        let noise = exp(0.08 * townNoise.normal(11, UInt64(m), UInt64(hour.utc)))
                        row(id, stamps[i], measure, max(0, Int((base * share * summer * noise).rounded())), [])
                    }
                }
            }
            try flush(false)
        }
        try flush(true)
        return rows
    }

    static let sixty = Array(",60,".utf8)

    static func appendInt(_ buffer: inout [UInt8], _ value: Int) {
        if value == 0 {
            buffer.append(UInt8(ascii: "0"))
            return
        }
        var digits: [UInt8] = []
        var v = value
        while v > 0 {
            digits.append(UInt8(ascii: "0") + UInt8(v % 10))
            v /= 10
        }
        buffer += digits.reversed()
    }

    /// Europe/Brussels: UTC+2 from the last Sunday of March 01:00 UTC to the last Sunday of October
    /// 01:00 UTC (EU rule since 1996), UTC+1 otherwise. Hours in, hours out.
    static func brusselsOffset(utcHour: Int) -> Int {
        let day = DayNumber(utcHour >= 0 ? utcHour / 24 : (utcHour - 23) / 24)
        let year = day.civil.year
        func lastSunday(_ month: Int) -> Int {
            let next = (try? DayNumber(year: year, month: month + 1, day: 1)) ?? day
            let last = next - 1
            return (last - (last.isoWeekday % 7)).rawValue
        }
        let start = lastSunday(3) * 24 + 1
        let end = lastSunday(10) * 24 + 1
        return utcHour >= start && utcHour < end ? 2 : 1
    }
}
