/// The size check both panels make before allocating.
///
/// Why one place: ``DailyPanel`` and ``HourlyPanel`` take their sizes from the caller's day range
/// and sensor list; a negative size or a product that overflows is an error, never a trap.
enum PanelShape {
    /// `sensorCount × dayCount × perDay` cells, or `invalidPanelShape`.
    static func cells(sensorCount: Int, dayCount: Int, perDay: Int = 1) throws -> Int {
        guard dayCount >= 0, sensorCount >= 0 else {
            throw IndicatorsError(
                .invalidPanelShape, "A panel needs non-negative sizes, got \(sensorCount) sensors × \(dayCount) days.")
        }
        let days = dayCount.multipliedReportingOverflow(by: sensorCount)
        let cells = days.partialValue.multipliedReportingOverflow(by: perDay)
        guard !days.overflow, !cells.overflow else {
            throw IndicatorsError(
                .invalidPanelShape,
                "A panel of \(sensorCount) sensors × \(dayCount) days is too large; compute over a shorter period or fewer sensors.")
        }
        return cells.partialValue
    }
}
