/// The weather beside an event (issue 18): the event days' against its baseline days', so a
/// reader sees whether rain or cold may explain a figure. Not an adjustment of the figure.
public struct EventWeatherFigures: Codable, Sendable, Hashable {
    /// Mean over the event's days that have weather.
    public var precipitationMillimetres: Double?
    public var meanTemperatureCelsius: Double?
    /// Mean over the baseline days that have weather, and how many those are.
    public var baselinePrecipitationMillimetres: Double?
    public var baselineMeanTemperatureCelsius: Double?
    public var baselineDays: Int

    public init(precipitationMillimetres: Double?, meanTemperatureCelsius: Double?, baselinePrecipitationMillimetres: Double?,
                baselineMeanTemperatureCelsius: Double?, baselineDays: Int) {
        self.precipitationMillimetres = precipitationMillimetres
        self.meanTemperatureCelsius = meanTemperatureCelsius
        self.baselinePrecipitationMillimetres = baselinePrecipitationMillimetres
        self.baselineMeanTemperatureCelsius = baselineMeanTemperatureCelsius
        self.baselineDays = baselineDays
    }
}

extension Strings {
    var rainDay: String { t("Rain mm", "Neerslag mm") }
    var rainBaseline: String { t("Rain mm, baseline", "Neerslag mm, basis") }
    var temperatureDay: String { t("°C", "°C") }
    var temperatureBaseline: String { t("°C, baseline", "°C, basis") }
}

/// The events table's weather columns, only when some event has weather (so pages and
/// downloads without imported weather stay as they were).
func eventWeatherColumns(_ events: [EventUpliftRow], _ s: Strings) -> (columns: [ReportTable.Column], cells: (EventUpliftRow) -> [ReportCell]) {
    guard events.contains(where: { $0.weather != nil }) else { return ([], { _ in [] }) }
    let columns: [ReportTable.Column] = [
        .init(key: "rain_mm", title: s.rainDay), .init(key: "baseline_rain_mm", title: s.rainBaseline),
        .init(key: "temperature_c", title: s.temperatureDay), .init(key: "baseline_temperature_c", title: s.temperatureBaseline),
    ]
    return (columns, { e in
        let w = e.weather
        return [.number(w?.precipitationMillimetres, decimals: 1), .number(w?.baselinePrecipitationMillimetres, decimals: 1),
                .signedNumber(w?.meanTemperatureCelsius, decimals: 1), .signedNumber(w?.baselineMeanTemperatureCelsius, decimals: 1)]
    })
}
