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

/// How well the zone's own data can tell an event from an ordinary day (issue 18): the placebo
/// test of `event-uplift` v2 on the zone's ordinary days of the event's day class.
public struct EventCalibrationFigures: Codable, Sendable, Hashable {
    /// The interval level the row's interval and this calibration use; `nil` when the row's
    /// interval is v1's range (the network report's rows), which has no stated level.
    public var level: Double?
    /// Share of the zone's ordinary days whose interval excludes 0.
    public var falsePositiveRate: Double?
    /// The smallest uplift detected with 80 % power on those days.
    public var minimumDetectableUplift: Double?
    /// Ordinary days in the placebo test.
    public var days: Int

    public init(level: Double?, falsePositiveRate: Double?, minimumDetectableUplift: Double?, days: Int) {
        self.level = level
        self.falsePositiveRate = falsePositiveRate
        self.minimumDetectableUplift = minimumDetectableUplift
        self.days = days
    }
}

extension Strings {
    var level: String { t("Level", "Niveau") }
    var falsePositives: String { t("False positives, zone", "Vals alarm, zone") }
    var detectable: String { t("Detectable from", "Meetbaar vanaf") }
    var eventContext: String { t("Each event's calibration and weather", "Kalibratie en weer per evenement") }
}

/// Beside the events table (which stays as wide as an A4 page allows): per event, the
/// interval's level, the zone's calibration and the weather. `nil` when no event has either,
/// so pages and downloads without them stay as they were.
func eventContextTable(_ events: [EventUpliftRow], _ s: Strings) -> ReportTable? {
    let shown = events.filter { $0.calibration != nil || $0.weather != nil }
    guard !shown.isEmpty else { return nil }
    var columns: [ReportTable.Column] = [.init(key: "event", title: s.event), .init(key: "days", title: s.days)]
    let calibration = shown.contains { $0.calibration != nil }, weather = shown.contains { $0.weather != nil }
    if calibration {
        columns += [.init(key: "level", title: s.level), .init(key: "false_positive_rate", title: s.falsePositives),
                    .init(key: "detectable_uplift", title: s.detectable)]
    }
    if weather {
        columns += [.init(key: "rain_mm", title: s.rainDay), .init(key: "baseline_rain_mm", title: s.rainBaseline),
                    .init(key: "temperature_c", title: s.temperatureDay), .init(key: "baseline_temperature_c", title: s.temperatureBaseline)]
    }
    let rows: [[ReportCell]] = shown.map { e in
        var row: [ReportCell] = [.text(e.eventName), .days(e.days)]
        if calibration {
            let c = e.calibration
            row += [.percent(c?.level), .percent(c?.falsePositiveRate), .signedPercent(c?.minimumDetectableUplift)]
        }
        if weather {
            let w = e.weather
            row += [.number(w?.precipitationMillimetres, decimals: 1), .number(w?.baselinePrecipitationMillimetres, decimals: 1),
                    .signedNumber(w?.meanTemperatureCelsius, decimals: 1), .signedNumber(w?.baselineMeanTemperatureCelsius, decimals: 1)]
        }
        return row
    }
    return ReportTable(name: "event-context", title: s.eventContext, columns: columns, rows: rows)
}
