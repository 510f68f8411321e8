import Federation
import Synchronization

/// Network figures already computed, by (tenant, origin, period, lag, log size).
///
/// Why: a tenant's figures are a pure function of its log (aggregates are only ever appended,
/// and every accepted submission grows the log), so a repeated view at the same log size is
/// answered from memory; a new submission makes a larger log and misses naturally. Bounded:
/// at most ``capacity`` entries, the least recently used dropped first.
final class FiguresCache: Sendable {
    struct Key: Hashable, Sendable {
        var tenantID: String
        var origin: String
        var from: String
        var to: String
        var lag: Int
        var treeSize: UInt64
    }

    static let capacity = 64
    private struct Table {
        var entries: [Key: (figures: NetworkFigures, used: UInt64)] = [:]
        var clock: UInt64 = 0
    }
    private let table = Mutex(Table())

    func figures(_ key: Key) -> NetworkFigures? {
        table.withLock { table in
            guard let entry = table.entries[key] else { return nil }
            table.clock += 1
            table.entries[key]?.used = table.clock
            return entry.figures
        }
    }

    func store(_ figures: NetworkFigures, _ key: Key) {
        table.withLock { table in
            table.clock += 1
            table.entries[key] = (figures, table.clock)
            if table.entries.count > Self.capacity, let oldest = table.entries.min(by: { $0.value.used < $1.value.used })?.key {
                table.entries[oldest] = nil
            }
        }
    }
}
