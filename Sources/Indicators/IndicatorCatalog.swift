/// The list of implemented indicator definitions, by id and version.
///
/// Why: the catalogue (`Indicators/*.md`) is the standard and this module its reference
/// implementation; a test checks that the two name the same (id, version) pairs, and reports and
/// payloads name these pairs so a figure is always traceable to its definition.
public enum IndicatorCatalog {
    /// An indicator's catalogue identity.
    public struct Entry: Sendable, Hashable, Codable, CustomStringConvertible {
        public let id: String
        public let version: Int
        public init(id: String, version: Int) {
            self.id = id
            self.version = version
        }
        public var description: String { "\(id) v\(version)" }
    }

    /// Every implemented indicator.
    public static let all: [Entry] = [
        FootfallIndex.self, EventUplift.self, EventUpliftV2.self, ConversionRate.self, HourlyProfile.self, DayShape.self,
        PercentOfNormal.self, ParkingOccupancy.self, VisitorOrigin.self, DwellTime.self,
    ].map { (t: any CatalogedIndicator.Type) in Entry(id: t.id, version: t.version) }

    /// The newest implemented version of `id`, if any (an old version stays computable so old
    /// reports recompute: ask for it with ``entry(id:version:)``).
    public static func entry(id: String) -> Entry? { all.filter { $0.id == id }.max { $0.version < $1.version } }

    /// The entry with `id` and `version`, if implemented.
    public static func entry(id: String, version: Int) -> Entry? { all.first { $0.id == id && $0.version == version } }
}
