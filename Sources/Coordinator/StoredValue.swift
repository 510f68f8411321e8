// Reading back what the stores wrote, the same way for SQLite and PostgreSQL.
import Federation
import Foundation

/// Decodes values the stores keep as text (timestamps, JSON) and refuses what does not decode.
///
/// Why: a default for a corrupt column (`?? .distantPast`, `try? … ?? []`) would silently change
/// what the coordinator computes and signs (a day's events vanish from its flags, a revoked
/// token's revocation reads as none). Corrupt data is an error that names the column.
enum StoredValue {
    /// A timestamp written with `Timestamp.format`.
    static func date(_ text: String, _ column: String) throws -> Date {
        guard let date = Timestamp.parse(text) else { throw corrupt(column, text, "is not a timestamp") }
        return date
    }

    /// A nullable timestamp column: NULL is nil, anything else must parse.
    static func date(_ text: String?, _ column: String) throws -> Date? {
        try text.map { try date($0, column) }
    }

    /// A zone day's events, stored as the JSON array of the submission's events.
    static func events(_ text: String, _ column: String) throws -> [AggregatePayload.Event] {
        if text == "[]" { return [] }
        do {
            return try JSONDecoder().decode([AggregatePayload.Event].self, from: Data(text.utf8))
        } catch {
            throw corrupt(column, text, "is not a JSON array of events")
        }
    }

    static func corrupt(_ column: String, _ text: String, _ problem: String) -> CoordinatorError {
        CoordinatorError(.storage, "Corrupt stored data: \(column) '\(text.prefix(40))' \(problem). The store was changed outside the coordinator: restore it from a backup.")
    }
}
