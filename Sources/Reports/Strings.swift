/// The pages' words in English and Dutch.
///
/// Why: a cheap language switch; one struct, so a missing translation is a compile error.
struct Strings {
    let language: ReportLanguage
    init(_ language: ReportLanguage) { self.language = language }
    func t(_ en: String, _ nl: String) -> String { language == .nl ? nl : en }

    var signIn: String { t("Sign in", "Aanmelden") }
    var signInHelp: String {
        t(
            "Paste the access token your coordinator gave you.",
            "Plak het toegangstoken dat je van je coördinator kreeg.")
    }
    var token: String { t("Access token", "Toegangstoken") }
    var regionReport: String { t("Region report", "Regiorapport") }
    var townReport: String { t("Town against peers", "Gemeente tegenover de peers") }
    var period: String { t("Period", "Periode") }
    var generated: String { t("Generated", "Aangemaakt") }
    var networkIndex: String { t("Network footfall index", "Netwerkindex passanten") }
    var pooledIndex: String { t("pooled", "gepoold") }
    var townIndex: String { t("Footfall index", "Index passanten") }
    var change: String { t("Change", "Verandering") }
    var rank: String { t("Rank", "Rang") }
    var town: String { t("Town", "Gemeente") }
    var towns: String { t("towns", "gemeenten") }
    var contributing: String { t("contributing towns", "bijdragende gemeenten") }
    var indexOverTime: String { t("Footfall index over time", "Index passanten doorheen de tijd") }
    var indexOverTimeNote: String {
        t(
            "100 = the same weekdays a year earlier, like-for-like sensors. All towns on one scale; gaps are missing data, not zero.",
            "100 = dezelfde weekdagen een jaar eerder, met dezelfde sensoren. Alle gemeenten op dezelfde schaal; een onderbreking is ontbrekende data, geen nul."
        )
    }
    var townsTable: String { t("Towns this period", "Gemeenten deze periode") }
    var events: String { t("Event uplift", "Effect van evenementen") }
    var eventsNote: String {
        t(
            "Extra footfall against the median of recent ordinary same weekdays. The interval runs from the busiest to the quietest of those days; peer-adjusted divides by the peers' change on the same days.",
            "Extra passanten tegenover de mediaan van recente gewone dezelfde weekdagen. Het interval loopt van de drukste tot de rustigste van die dagen; peer-gecorrigeerd deelt door de verandering bij de peers op dezelfde dagen."
        )
    }
    var event: String { t("Event", "Evenement") }
    var kind: String { t("Kind", "Soort") }
    var zone: String { t("Zone", "Zone") }
    var days: String { t("Days", "Dagen") }
    var uplift: String { t("Uplift", "Effect") }
    var interval: String { t("Interval", "Interval") }
    var peerAdjusted: String { t("Peer-adjusted", "Peer-gecorrigeerd") }
    var peers: String { t("Peers", "Peers") }
    var note: String { t("Note", "Opmerking") }
    var conversion: String { t("Conversion by zone kind", "Conversie per soort zone") }
    var conversionNote: String {
        t(
            "Store entries ÷ passers-by on the paired street counter.",
            "Binnenstappers ÷ passanten aan de gekoppelde straatteller.")
    }
    var zoneKind: String { t("Zone kind", "Soort zone") }
    var median: String { t("Median", "Mediaan") }
    var quartiles: String { t("Quartiles", "Kwartielen") }
    var benchmark: String { t("Benchmark", "Referentie") }
    var pairs: String { t("Pairs", "Paren") }
    var coverage: String { t("Data coverage", "Volledigheid van de data") }
    var status: String { t("Status", "Status") }
    var completeness: String { t("Complete", "Volledig") }
    var lastDay: String { t("Last data", "Laatste data") }
    var sensors: String { t("Sensors active", "Actieve sensoren") }
    var methodology: String { t("Methodology", "Methode") }
    var indicator: String { t("Indicator", "Indicator") }
    var version: String { t("Version", "Versie") }
    var withheld: String { t("withheld", "niet getoond") }
    var noEvents: String { t("No events in this period.", "Geen evenementen in deze periode.") }
    var noData: String { t("No data.", "Geen data.") }
    var hourly: String { t("Hourly profile against peers", "Uurprofiel tegenover de peers") }
    var hourlyNote: String {
        t(
            "Share of the day's footfall per hour. Shaded: usual opening hours; framed: lunchtime 12–14 h.",
            "Aandeel van de passanten van de dag per uur. Gearceerd: gangbare openingsuren; omkaderd: middag 12–14 u.")
    }
    var openingShare: String { t("Share in opening hours", "Aandeel binnen openingsuren") }
    var lunchShare: String { t("Lunchtime share", "Aandeel middag") }
    var thisTown: String { t("this town", "deze gemeente") }
    var network: String { t("network", "netwerk") }
    var closed: String { t("closed", "gesloten") }
    var townVsNetwork: String { t("Index beside the network's", "Index naast die van het netwerk") }
    var of: String { t("of", "van") }
    var signature: String { t("Signature", "Handtekening") }
    var unsigned: String { t("Not signed.", "Niet ondertekend.") }
    var notes: String { t("Notes", "Opmerkingen") }
    var dayTypeColumn: String { t("Day type", "Soort dag") }
    var openingHours: String { t("Opening hours", "Openingsuren") }
    var inOpeningHours: String { t("In opening hours", "Binnen openingsuren") }
    var lunchtime: String { t("Lunchtime", "Middag") }
    var missingDays: String { t("days without data", "dagen zonder data") }

    func dayType(_ raw: String) -> String {
        switch raw {
        case "weekday": t("Weekdays", "Weekdagen")
        case "saturday": t("Saturdays", "Zaterdagen")
        case "sunday-or-holiday", "sundayOrHoliday": t("Sundays and holidays", "Zon- en feestdagen")
        case "school-holiday": t("School-holiday weekdays", "Weekdagen in de schoolvakantie")
        default: raw
        }
    }

    func coverageStatus(_ s: CoverageStatus) -> String {
        switch s {
        case .complete: t("complete", "volledig")
        case .partial: t("partial", "onvolledig")
        case .stale: t("stale", "verouderd")
        case .missing: t("missing", "ontbreekt")
        }
    }

    func eventKind(_ raw: String) -> String {
        switch raw {
        case "market": t("market", "markt")
        case "event": t("event", "evenement")
        case "campaign": t("campaign", "campagne")
        case "works": t("works", "werken")
        default: raw
        }
    }
}
