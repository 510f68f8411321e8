// The lot parts of the network figures (issue 19): parking occupancy, visitor origin and dwell
// time per zone kind, each town's own values and the peers' median and quartiles. Relative
// figures only (rates, shares, minutes): no town's counts leave the coordinator.

extension NetworkFigures {
    /// What a ``LotBand`` describes.
    public enum LotFigure: String, Sendable, Codable, CaseIterable {
        case parkingMeanOccupancy = "parking-mean-occupancy"
        case parkingPeakOccupancy = "parking-peak-occupancy"
        /// Hours at or above 85 % per day with readings.
        case parkingSaturatedHours = "parking-saturated-hours"
        case localShare = "local-share"
        case hinterlandShare = "hinterland-share"
        case medianDwellMinutes = "median-dwell-minutes"
    }

    /// One town's parking sites of one kind (`garage`, `on-street`) in one zone kind over the period.
    public struct ParkingFigures: Sendable, Codable, Equatable {
        public var siteKind: String
        /// Mean of the hourly occupancy rates (0…1).
        public var meanOccupancy: Double?
        public var peakOccupancy: Double?
        /// Hours at or above 85 % per day with readings.
        public var saturatedHoursPerDay: Double?
        public var observedHours: Int
        public init(siteKind: String, meanOccupancy: Double?, peakOccupancy: Double?, saturatedHoursPerDay: Double?, observedHours: Int) {
            self.siteKind = siteKind
            self.meanOccupancy = meanOccupancy
            self.peakOccupancy = peakOccupancy
            self.saturatedHoursPerDay = saturatedHoursPerDay
            self.observedHours = observedHours
        }
    }

    /// One town's lots in one zone kind over the period; a member is nil when the town sends no
    /// such data or the figure is withheld (suppressed origin cell, median in the open-ended bin).
    public struct ZoneKindLots: Sendable, Codable, Equatable {
        public var zoneKind: String
        public var parking: [ParkingFigures]?
        public var localShare: Double?
        public var hinterlandShare: Double?
        public var medianDwellMinutes: Double?
        /// The open-ended dwell bin's lower edge when the median falls in it.
        public var medianDwellAtLeast: Int?
        public init(zoneKind: String, parking: [ParkingFigures]? = nil, localShare: Double? = nil, hinterlandShare: Double? = nil,
                    medianDwellMinutes: Double? = nil, medianDwellAtLeast: Int? = nil) {
            self.zoneKind = zoneKind
            self.parking = parking
            self.localShare = localShare
            self.hinterlandShare = hinterlandShare
            self.medianDwellMinutes = medianDwellMinutes
            self.medianDwellAtLeast = medianDwellAtLeast
        }
    }

    /// The peers' median and quartiles of one lot figure in one zone kind (and parking site
    /// kind), published under the cross-town rule (≥ the minimum number of towns, dominance).
    public struct LotBand: Sendable, Codable, Equatable {
        public var zoneKind: String
        public var figure: LotFigure
        /// The parking site kind, for the parking figures only.
        public var siteKind: String?
        /// Towns with a value.
        public var towns: Int
        /// `publish`, `too_few_contributors` or `dominated`.
        public var publication: String
        public var median: Double?
        public var lowerQuartile: Double?
        public var upperQuartile: Double?
        public init(zoneKind: String, figure: LotFigure, siteKind: String? = nil, towns: Int, publication: String, median: Double? = nil,
                    lowerQuartile: Double? = nil, upperQuartile: Double? = nil) {
            self.zoneKind = zoneKind
            self.figure = figure
            self.siteKind = siteKind
            self.towns = towns
            self.publication = publication
            self.median = median
            self.lowerQuartile = lowerQuartile
            self.upperQuartile = upperQuartile
        }
    }
}
