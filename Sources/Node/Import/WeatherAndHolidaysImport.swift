internal import Foundation
public import Indicators
internal import Storage

/// Imports the town's public holidays: `date,name` (ISO dates). For every year with an imported
/// holiday the imported ones replace the computed (Belgian) calendar; see ``PublicHolidays``.
struct PublicHolidaysImporter {
    let session: ImportSession

    func run(_ summary: inout ImportSummary) throws {
        try session.forEachRow(required: ["date", "name"], summary: &summary) { fields, at, summary in
            let day = try fields.day("date")
            try session.upsert(table: "public_holidays", key: [("day", .int(day.rawValue))], values: [("name", .text(try fields.text("name")))],
                               what: "the public holiday \(day)", at: at(fields.column("date")), summary: &summary)
        }
    }
}

/// Imports the town's daily weather: `day,precipitation_mm,mean_temperature_c`, as KMI or
/// Open-Meteo daily exports give them (rename Open-Meteo's `time`, `precipitation_sum (mm)` and
/// `temperature_2m_mean (°C)`). Stored in hundredths; values outside plausible bounds are refused.
struct WeatherImporter {
    let session: ImportSession

    /// Daily precipitation accepted (the world's record day is about 1,800 mm; Belgium's about 280).
    static let precipitationMillimetres: ClosedRange<Int64> = 0...500_00
    /// Daily mean temperatures accepted, in hundredths of °C.
    static let meanTemperature: ClosedRange<Int64> = -60_00...50_00

    func run(_ summary: inout ImportSummary) throws {
        try session.forEachRow(required: ["day", "precipitation_mm", "mean_temperature_c"], summary: &summary) { fields, at, summary in
            let day = try fields.day("day")
            let rain = try fields.decimal("precipitation_mm", decimals: 2, numbers: session.numbers)
            guard Self.precipitationMillimetres.contains(rain) else {
                throw NodeError(.badInput, "precipitation_mm \(Double(rain) / 100) is above the plausible maximum of 500 mm a day; check that the column is millimetres per day", at: at(fields.column("precipitation_mm")))
            }
            let temperature = try signedDecimal(fields, "mean_temperature_c")
            guard Self.meanTemperature.contains(temperature) else {
                throw NodeError(.badInput, "mean_temperature_c \(Double(temperature) / 100) lies outside −60 to 50 °C; check that the column is the daily mean in degrees Celsius", at: at(fields.column("mean_temperature_c")))
            }
            try session.upsert(table: "weather", key: [("day", .int(day.rawValue))],
                               values: [("precipitation_hundredth_mm", .integer(rain)), ("mean_temperature_hundredth_c", .integer(temperature))],
                               what: "the weather of \(day)", at: at(fields.column("day")), summary: &summary)
        }
    }

    /// A decimal that may be negative (`-` or `−` first), in hundredths.
    private func signedDecimal(_ fields: FieldReader, _ name: String) throws -> Int64 {
        let text = try fields.text(name)
        let negative = text.hasPrefix("-") || text.hasPrefix("\u{2212}")
        let digits = negative ? String(text.unicodeScalars.dropFirst()) : text
        let numbers = session.numbers
        switch digits.withUTF8Buffer({ numbers.scaled($0, maxDecimals: 2) }) {
        case .success(let value): return negative ? -value : value
        case .failure(let problem):
            throw NodeError(.badInput, "\(name) '\(text)' \(problem.reason) (it must be a number of degrees Celsius with at most 2 decimals, e.g. -3.5 or 17.2)", at: fields.at(fields.column(name)))
        }
    }
}

/// One day's weather, as imported.
public struct DailyWeather: Codable, Sendable, Equatable {
    public var day: DayNumber
    public var precipitationMillimetres: Double
    public var meanTemperatureCelsius: Double
}

extension NodeStore {
    /// The town's public holidays: imported ones for the years they cover; otherwise the Belgian
    /// calendar for a node in Europe/Brussels, and none elsewhere.
    public func publicHolidays() throws -> PublicHolidays {
        let imported = try db.query("SELECT day FROM public_holidays").map { DayNumber(try $0.int(0)) }
        return PublicHolidays(default: settings.timeZone == "Europe/Brussels" ? .belgian : .none, imported: imported)
    }

    /// The imported weather of `days`, by day (days without weather are absent).
    public func weather(days: ClosedRange<DayNumber>) throws -> [DayNumber: DailyWeather] {
        var out: [DayNumber: DailyWeather] = [:]
        for row in try db.query("SELECT day, precipitation_hundredth_mm, mean_temperature_hundredth_c FROM weather WHERE day BETWEEN ? AND ?",
                                [.int(days.lowerBound.rawValue), .int(days.upperBound.rawValue)]) {
            let day = DayNumber(try row.int(0))
            out[day] = DailyWeather(day: day, precipitationMillimetres: Double(try row.int64(1)) / 100,
                                    meanTemperatureCelsius: Double(try row.int64(2)) / 100)
        }
        return out
    }
}
