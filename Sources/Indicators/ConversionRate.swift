/// A store-door counter and the street counter in front of it.
///
/// Why: conversion (passers-by → entries) only means something for a door counter with a
/// street counter beside it; a store without one is reported as unpaired, never guessed.
public struct StorePair: Sendable, Hashable, Codable {
    /// Panel row of the store-door (entries) sensor.
    public var door: Int
    /// Panel row of the paired street (pedestrian) sensor, `nil` when the store has none.
    public var street: Int?

    public init(door: Int, street: Int?) {
        self.door = door
        self.street = street
    }
}

/// conversion-rate v1: the share of passers-by who enter a store.
///
/// Why: shops ask what share of the people passing come in, and towns compare that across
/// zones; pooling over pairs and days keeps it like-for-like (only days when both the door and
/// the street counter are valid). Catalogue: `Indicators/conversion-rate.md`.
///
/// Per pair: Σ entries ÷ Σ passers-by over days in the period on which both are valid.
/// Per zone: Σ entries ÷ Σ passers-by pooled over its contributing pairs. Publishable across
/// towns only when at least ``minimumPairsForPublication`` pairs contribute.
public enum ConversionRate: CatalogedIndicator {
    public static let id = "conversion-rate"
    public static let version = 1
    /// Pairs a zone figure needs before it may be shown to other towns.
    public static let minimumPairsForPublication = 3

    /// One pair's figure.
    public struct PairResult: Sendable, Equatable, Codable {
        public var pair: StorePair
        /// entries ÷ passers-by; `nil` without a street sensor, without a common valid day, or
        /// with zero passers-by.
        public var value: Double?
        public var entries: Double
        public var passersBy: Double
        /// Days on which both sensors were valid.
        public var days: Int
    }

    /// The zone's pooled figure.
    public struct Result: Sendable, Equatable, Codable {
        /// Σ entries ÷ Σ passers-by over contributing pairs; `nil` when none contributes.
        public var value: Double?
        public var entries: Double
        public var passersBy: Double
        /// Pairs with at least one common valid day and passers-by > 0.
        public var contributingPairs: Int
        /// Stores without a paired street sensor (excluded).
        public var unpairedStores: Int
        /// Whether other towns may see the zone figure (≥ 3 contributing pairs).
        public var isPublishableAcrossTowns: Bool
        public var pairs: [PairResult]
    }

    /// Conversion over `period` for `pairs`; door and street rows live in the same `panel`
    /// (the door rows hold entries, the street rows pedestrian counts).
    public static func compute(panel: DailyPanel, pairs: [StorePair], period: ClosedRange<DayNumber>) throws -> Result {
        let rows = pairs.flatMap { [$0.door] + ($0.street.map { [$0] } ?? []) }
        // A street counter may serve two neighbouring stores, so repeats are allowed here.
        _ = try FootfallIndex.checkedRows(rows, sensorCount: panel.sensorCount, allowRepeats: true)
        var results: [PairResult] = []
        var entries = 0.0
        var passers = 0.0
        var contributing = 0
        var unpaired = 0
        for pair in pairs {
            guard let street = pair.street else {
                unpaired += 1
                results.append(PairResult(pair: pair, value: nil, entries: 0, passersBy: 0, days: 0))
                continue
            }
            var e = 0.0
            var p = 0.0
            var days = 0
            var d = max(period.lowerBound, panel.firstDay)
            while d <= period.upperBound, d < panel.firstDay + panel.dayCount {
                if let en = panel.total(sensor: pair.door, day: d), let pb = panel.total(sensor: street, day: d) {
                    e += en
                    p += pb
                    days += 1
                }
                d = d + 1
            }
            let value: Double? = days > 0 && p > 0 ? e / p : nil
            if value != nil {
                entries += e
                passers += p
                contributing += 1
            }
            results.append(PairResult(pair: pair, value: value, entries: e, passersBy: p, days: days))
        }
        return Result(
            value: contributing > 0 ? entries / passers : nil, entries: entries, passersBy: passers,
            contributingPairs: contributing, unpairedStores: unpaired,
            isPublishableAcrossTowns: contributing >= minimumPairsForPublication, pairs: results)
    }
}
