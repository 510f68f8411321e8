public import Indicators

// The day-shape parts of the network figures (issue 20; catalogue `Indicators/day-shape.md`).

extension NetworkFigures {
    /// One town's day shape for one zone kind: shares, closed/lunch/evening shares per day type,
    /// and Saturday/Sunday against weekdays. Relative figures only (no totals).
    public struct ZoneKindShape: Sendable, Codable, Equatable {
        public var zoneKind: String
        public var types: [DayShape.TypeShape]
        public var saturdayVsWeekday: Double?
        public var sundayVsWeekday: Double?
        public init(zoneKind: String, types: [DayShape.TypeShape], saturdayVsWeekday: Double? = nil, sundayVsWeekday: Double? = nil) {
            self.zoneKind = zoneKind
            self.types = types
            self.saturdayVsWeekday = saturdayVsWeekday
            self.sundayVsWeekday = sundayVsWeekday
        }

        /// The ``DayShape/Result`` these figures came from (without the totals).
        public var result: DayShape.Result {
            DayShape.Result(types: types, saturdayVsWeekday: saturdayVsWeekday, sundayVsWeekday: sundayVsWeekday, meanDailyTotal: [:])
        }
    }

    /// The peers' profile for one zone kind and day type: the band (median and quartiles per
    /// hour) and the medians of the closed, lunch and evening shares, each published only under
    /// the cross-town rule (≥ 3 towns, dominance).
    public struct DayShapeBand: Sendable, Codable, Equatable {
        public var zoneKind: String
        public var dayType: ShapeDayType
        public var band: DayShape.Band
        public var closedShare: Double?
        public var lunchShare: Double?
        public var eveningShare: Double?
        public init(zoneKind: String, dayType: ShapeDayType, band: DayShape.Band, closedShare: Double? = nil, lunchShare: Double? = nil,
                    eveningShare: Double? = nil) {
            self.zoneKind = zoneKind
            self.dayType = dayType
            self.band = band
            self.closedShare = closedShare
            self.lunchShare = lunchShare
            self.eveningShare = eveningShare
        }
    }

    /// The medians of Saturday and Sunday against weekdays for one zone kind.
    public struct DayShapeRatios: Sendable, Codable, Equatable {
        public var zoneKind: String
        public var towns: Int
        public var publication: String
        public var saturdayVsWeekday: Double?
        public var sundayVsWeekday: Double?
        public init(zoneKind: String, towns: Int, publication: String, saturdayVsWeekday: Double? = nil, sundayVsWeekday: Double? = nil) {
            self.zoneKind = zoneKind
            self.towns = towns
            self.publication = publication
            self.saturdayVsWeekday = saturdayVsWeekday
            self.sundayVsWeekday = sundayVsWeekday
        }
    }
}
