public import Indicators

/// A named event a simulated town holds every year, with a real uplift in its zone.
///
/// Why: event uplift must be demonstrable end to end: the simulator raises footfall on the
/// event's days by a known factor, so `indicators --indicator event-uplift` has something to find.
public struct SimulatedEvent: Sendable, Hashable {
    public var name: String
    /// Where it happens: `centre` or `market` (the simulated zones), or a tourist zone.
    public var zone: String
    public var month: Int
    /// The event starts on the `nth` (1–4, or −1 for the last) `weekday` (ISO, 1 = Monday) of `month`.
    public var weekday: Int
    public var nth: Int
    public var days: Int
    /// Extra footfall in the event's zone, as a fraction (0.5 = +50 %); other zones get a third of it.
    public var uplift: Double

    public init(name: String, zone: String, month: Int, weekday: Int, nth: Int, days: Int, uplift: Double) {
        self.name = name
        self.zone = zone
        self.month = month
        self.weekday = weekday
        self.nth = nth
        self.days = days
        self.uplift = uplift
    }

    /// The event's first day in `year`.
    public func firstDay(in year: Int) -> DayNumber? {
        guard (1...12).contains(month), (1...7).contains(weekday) else { return nil }
        if nth > 0 {
            guard let first = try? DayNumber(year: year, month: month, day: 1) else { return nil }
            let offset = (weekday - first.isoWeekday + 7) % 7
            return first + offset + 7 * (nth - 1)
        }
        let nextMonth =
            month == 12
            ? (try? DayNumber(year: year + 1, month: 1, day: 1))
            : (try? DayNumber(year: year, month: month + 1, day: 1))
        guard let last = nextMonth.map({ $0 - 1 }) else { return nil }
        return last - (last.isoWeekday - weekday + 7) % 7
    }
}

/// The figures and habits that shape one simulated town's data.
///
/// Why: the demo network needs towns that differ the way the real ones do — size, market day,
/// a coastal summer, a business park's lunchtime crowd — so the network's comparisons show
/// something. Inhabitants, shops and horeca from "Provincies in Cijfers" (2024); market days and events are
/// illustrative, not a town's official calendar.
public struct SimulatedTown: Sendable, Hashable {
    /// The town's id in the network, e.g. `harelbeke`.
    public var id: String
    public var name: String
    public var inhabitants: Int
    public var coreShops: Int
    public var horeca: Int
    /// ISO weekday (1 = Monday) of the weekly market.
    public var marketWeekday: Int
    /// A seaside town: summer and sunny Sundays double the footfall.
    public var isCoastal: Bool
    /// A business park nearby: an extra weekday lunchtime peak.
    public var hasBusinessPark: Bool
    /// Street (pedestrian) counters; store-door counters pair with the first few of them.
    public var streetSensors: Int
    public var storeDoors: Int
    /// Year-on-year change of the town's footfall (0.02 = +2 % a year).
    public var trend: Double
    public var events: [SimulatedEvent]

    public init(
        id: String, name: String, inhabitants: Int, coreShops: Int, horeca: Int, marketWeekday: Int,
        isCoastal: Bool = false, hasBusinessPark: Bool = false, streetSensors: Int = 6, storeDoors: Int = 3,
        trend: Double = 0, events: [SimulatedEvent] = []
    ) {
        self.id = id
        self.name = name
        self.inhabitants = inhabitants
        self.coreShops = coreShops
        self.horeca = horeca
        self.marketWeekday = marketWeekday
        self.isCoastal = isCoastal
        self.hasBusinessPark = hasBusinessPark
        self.streetSensors = streetSensors
        self.storeDoors = storeDoors
        self.trend = trend
        self.events = events
    }

    static func braderie(_ month: Int, uplift: Double) -> SimulatedEvent {
        SimulatedEvent(name: "Braderie", zone: "centre", month: month, weekday: 6, nth: 1, days: 2, uplift: uplift)
    }
    static func christmasMarket(uplift: Double) -> SimulatedEvent {
        SimulatedEvent(name: "Kerstmarkt", zone: "market", month: 12, weekday: 5, nth: 2, days: 3, uplift: uplift)
    }

    public static let oostkamp = SimulatedTown(
        id: "oostkamp", name: "Oostkamp", inhabitants: 24_276, coreShops: 89, horeca: 67, marketWeekday: 5,
        hasBusinessPark: true, trend: 0.015,
        events: [braderie(9, uplift: 0.45), christmasMarket(uplift: 0.35)])
    public static let blankenberge = SimulatedTown(
        id: "blankenberge", name: "Blankenberge", inhabitants: 20_578, coreShops: 207, horeca: 233, marketWeekday: 2,
        isCoastal: true, streetSensors: 7, trend: 0.03,
        events: [
            SimulatedEvent(name: "Bloemencorso", zone: "centre", month: 8, weekday: 7, nth: -1, days: 1, uplift: 0.8),
            SimulatedEvent(name: "Carnaval", zone: "centre", month: 3, weekday: 6, nth: 1, days: 2, uplift: 0.6),
        ])
    public static let diksmuide = SimulatedTown(
        id: "diksmuide", name: "Diksmuide", inhabitants: 17_226, coreShops: 82, horeca: 70, marketWeekday: 1,
        streetSensors: 5, trend: -0.01,
        events: [
            SimulatedEvent(name: "IJzerfeesten", zone: "market", month: 8, weekday: 6, nth: 4, days: 2, uplift: 0.5),
            christmasMarket(uplift: 0.3),
        ])
    public static let harelbeke = SimulatedTown(
        id: "harelbeke", name: "Harelbeke", inhabitants: 29_931, coreShops: 52, horeca: 90, marketWeekday: 4,
        trend: 0.0, events: [braderie(6, uplift: 0.4), christmasMarket(uplift: 0.25)])
    public static let menen = SimulatedTown(
        id: "menen", name: "Menen", inhabitants: 34_554, coreShops: 82, horeca: 122, marketWeekday: 4,
        trend: -0.02, events: [braderie(7, uplift: 0.35)])
    public static let veurne = SimulatedTown(
        id: "veurne", name: "Veurne", inhabitants: 12_551, coreShops: 62, horeca: 71, marketWeekday: 3,
        streetSensors: 5, storeDoors: 2, trend: 0.01,
        events: [
            SimulatedEvent(name: "Boetprocessie", zone: "centre", month: 7, weekday: 7, nth: -1, days: 1, uplift: 0.9),
            christmasMarket(uplift: 0.3),
        ])
    public static let waregem = SimulatedTown(
        id: "waregem", name: "Waregem", inhabitants: 40_025, coreShops: 204, horeca: 156, marketWeekday: 2,
        streetSensors: 7, trend: 0.02,
        events: [
            SimulatedEvent(name: "Waregem Koerse", zone: "centre", month: 8, weekday: 2, nth: 4, days: 1, uplift: 0.7),
            braderie(9, uplift: 0.4),
        ])
    // Dendermonde and Ronse were not in the figures we took from "Provincies in Cijfers": their figures here are rounded
    // approximations for the demo, not official statistics.
    public static let dendermonde = SimulatedTown(
        id: "dendermonde", name: "Dendermonde", inhabitants: 46_800, coreShops: 190, horeca: 150, marketWeekday: 1,
        streetSensors: 7, trend: 0.01,
        events: [
            SimulatedEvent(name: "Katuit", zone: "market", month: 5, weekday: 7, nth: 2, days: 1, uplift: 0.6),
            christmasMarket(uplift: 0.3),
        ])
    public static let ronse = SimulatedTown(
        id: "ronse", name: "Ronse", inhabitants: 26_700, coreShops: 110, horeca: 95, marketWeekday: 6,
        trend: -0.005,
        events: [
            SimulatedEvent(name: "Bommelsfeesten", zone: "centre", month: 1, weekday: 6, nth: 2, days: 2, uplift: 0.55),
            braderie(6, uplift: 0.35),
        ])

    /// DAKS 2.0, West Flanders.
    public static let daks: [SimulatedTown] = [oostkamp, blankenberge, diksmuide, harelbeke, menen, veurne, waregem]
    /// Lokaal 3D, East Flanders (the two towns of the demo).
    public static let lokaal3D: [SimulatedTown] = [dendermonde, ronse]
    /// Every preset.
    public static let presets: [SimulatedTown] = daks + lokaal3D

    /// The preset with `id` (case-insensitive), if any.
    public static func preset(_ id: String) -> SimulatedTown? {
        presets.first { $0.id == id.lowercased() }
    }
}
