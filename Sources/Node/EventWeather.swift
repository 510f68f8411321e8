import Indicators
public import Reports

/// The weather beside an event (issue 18): each event day's, and the mean of the baseline days'
/// (the days the expected value comes from). Shown, never used to adjust the figure.
public struct EventWeather: Codable, Sendable, Equatable {
    /// The event's days that have imported weather.
    public var days: [DailyWeather]
    /// Means over the event's days and over the baseline days with weather; `nil` without any.
    public var figures: EventWeatherFigures
}

extension NodeStore {
    /// The weather of `eventDays` beside the mean of `baselineDays`; `nil` when none of them has
    /// imported weather (`import --format weather`).
    func eventWeather(eventDays: [DayNumber], baselineDays: [DayNumber]) throws -> EventWeather? {
        let all = eventDays + baselineDays
        guard let first = all.min(), let last = all.max() else { return nil }
        let stored = try weather(days: first...last)
        let onEvent = Array(Set(eventDays)).sorted().compactMap { stored[$0] }
        let onBaseline = Array(Set(baselineDays)).sorted().compactMap { stored[$0] }
        guard !onEvent.isEmpty || !onBaseline.isEmpty else { return nil }
        func mean(_ values: [Double]) -> Double? { values.isEmpty ? nil : values.reduce(0, +) / Double(values.count) }
        return EventWeather(days: onEvent, figures: EventWeatherFigures(
            precipitationMillimetres: mean(onEvent.map(\.precipitationMillimetres)),
            meanTemperatureCelsius: mean(onEvent.map(\.meanTemperatureCelsius)),
            baselinePrecipitationMillimetres: mean(onBaseline.map(\.precipitationMillimetres)),
            baselineMeanTemperatureCelsius: mean(onBaseline.map(\.meanTemperatureCelsius)),
            baselineDays: onBaseline.count))
    }
}

extension EventWeather {
    /// One line for `indicators`' text output.
    var text: String {
        func mm(_ v: Double?) -> String { v.map { String(format: "%.1f mm", $0) } ?? "-" }
        func celsius(_ v: Double?) -> String { v.map { String(format: "%.1f °C", $0) } ?? "-" }
        let f = figures
        return "  weather: event \(mm(f.precipitationMillimetres)), \(celsius(f.meanTemperatureCelsius)); "
            + "baseline days (\(f.baselineDays)) \(mm(f.baselinePrecipitationMillimetres)), \(celsius(f.baselineMeanTemperatureCelsius))\n"
    }
}
