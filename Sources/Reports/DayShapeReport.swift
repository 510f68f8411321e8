public import Indicators

// The town page's day-shape parts (issue 20): plain-language findings against the peers, the
// peers' band in the hourly charts, and the "% of normal" heat strip.

extension Strings {
    var percentOfNormal: String { t("Each hour against normal", "Elk uur tegenover normaal") }
    var percentOfNormalNote: String {
        t(
            "Footfall per hour as a percentage of the typical value: the median of the same weekday and hour over the last 8 clean weeks (no holidays, events or sensor gaps). Blue: quieter than normal; orange: busier; grey: no typical value.",
            "Passanten per uur als percentage van de gewone waarde: de mediaan van dezelfde weekdag en hetzelfde uur over de laatste 8 zuivere weken (zonder feestdagen, evenementen of sensoronderbrekingen). Blauw: rustiger dan normaal; oranje: drukker; grijs: geen gewone waarde.")
    }
    var findingsTitle: String { t("What stands out against the peers", "Wat opvalt tegenover de peers") }
    var peerBand: String { t("Peers: middle half (quartiles)", "Peers: middelste helft (kwartielen)") }
    var closedShare: String { t("While most shops are closed", "Terwijl de meeste winkels dicht zijn") }
    var eveningShare: String { t("From 18 h", "Vanaf 18 u") }

    /// The day type inside a sentence ("Saturday footfall").
    func dayTypeInSentence(_ type: ShapeDayType) -> String {
        switch type {
        case .weekday: t("weekday", "weekdagen")
        case .saturday: t("Saturday", "zaterdag")
        case .sundayOrHoliday: t("Sunday and holiday", "zon- en feestdagen")
        case .schoolHoliday: t("school-holiday weekday", "weekdagen in de schoolvakantie")
        }
    }

    /// One finding as a sentence, e.g. "31 % of Saturday footfall comes while most shops here
    /// are closed (before opening or after 17:00); peers: 19 %."
    func finding(_ f: DayShape.Finding) -> String {
        let town = BelgianFormat.percent(f.town, decimals: 0), peers = BelgianFormat.percent(f.peers, decimals: 0)
        let type = f.dayType.map(dayTypeInSentence) ?? ""
        switch f.measure {
        case .closedShare:
            let after = f.closingHour.map { t(" (before opening or after \($0):00)", " (voor de opening of na \($0):00)") } ?? ""
            return t("\(town) of \(type) footfall comes while most shops here are closed\(after); peers: \(peers).",
                        "\(town) van de passanten op \(type) komt terwijl de meeste winkels hier dicht zijn\(after); peers: \(peers).")
        case .lunchShare:
            return t("Lunchtime (12–14 h) brings \(town) of \(type) footfall here; peers: \(peers).",
                        "Over de middag (12–14 u) komt hier \(town) van de passanten op \(type); peers: \(peers).")
        case .eveningShare:
            return t("\(town) of \(type) footfall comes after 18:00; peers: \(peers).",
                        "\(town) van de passanten op \(type) komt na 18:00; peers: \(peers).")
        case .saturdayVsWeekday:
            return t("A Saturday here counts \(town) of a weekday's footfall; peers: \(peers).",
                        "Een zaterdag telt hier \(town) van de passanten van een weekdag; peers: \(peers).")
        case .sundayVsWeekday:
            return t("A Sunday here counts \(town) of a weekday's footfall; peers: \(peers).",
                        "Een zondag telt hier \(town) van de passanten van een weekdag; peers: \(peers).")
        }
    }
}

extension SVGChart {
    /// The "% of normal" heat strip: one row per day, one cell per local hour, blue below 100 %,
    /// orange above (saturating at 50 % and 200 %), grey without a typical value. Each cell has a
    /// `<title>` with its day, hour and value.
    public static func heatStrip(_ days: [PercentOfNormal.Day], title: String, width: Int = 720) -> String {
        let left = 78.0, top = 4.0, bottom = 18.0, right = 4.0
        let rowHeight = 12.0
        let w = Double(width)
        let height = Int(top + bottom + rowHeight * Double(max(days.count, 1)))
        let slot = (w - left - right) / 24
        var svg = open(title: title, width: width, height: height)
        for (r, day) in days.enumerated() {
            let y = top + Double(r) * rowHeight
            svg += "<text x=\"\(n(left - 4))\" y=\"\(n(y + rowHeight - 3))\" text-anchor=\"end\">\(BelgianFormat.day(day.day))</text>"
            for h in 0..<24 {
                let v = h < day.percent.count ? day.percent[h] : nil
                let label = "\(BelgianFormat.day(day.day)) \(h):00 – " + (v.map { BelgianFormat.number($0, decimals: 0) + BelgianFormat.nbsp + "%" } ?? BelgianFormat.missing)
                svg += "<rect x=\"\(n(left + Double(h) * slot))\" y=\"\(n(y))\" width=\"\(n(slot - 1))\" height=\"\(n(rowHeight - 1))\" fill=\"\(heatColour(v))\"><title>\(HTML.escape(label))</title></rect>"
            }
        }
        for h in stride(from: 0, to: 24, by: 3) {
            svg += "<text x=\"\(n(left + (Double(h) + 0.5) * slot))\" y=\"\(n(Double(height) - 5))\" text-anchor=\"middle\">\(h) h</text>"
        }
        return svg + "</svg>"
    }

    /// White at 100 %, towards blue (#0b5fa5) at 50 % and below, towards orange (#c05a00) at 200 % and above.
    static func heatColour(_ percent: Double?) -> String {
        guard let p = percent, p.isFinite else { return "#e3e6ea" }
        let (target, t): ((Double, Double, Double), Double) =
            p < 100 ? ((11, 95, 165), min(1, (100 - p) / 50)) : ((192, 90, 0), min(1, (p - 100) / 100))
        func mix(_ c: Double) -> Int { Int((255 + (c - 255) * t).rounded()) }
        func hex(_ v: Int) -> String {
            let s = String(max(0, min(255, v)), radix: 16)
            return s.count == 1 ? "0" + s : s
        }
        return "#" + hex(mix(target.0)) + hex(mix(target.1)) + hex(mix(target.2))
    }
}

extension TownReport {
    /// The findings as sentences in `language`.
    public func findingSentences(language: ReportLanguage) -> [String] {
        let s = Strings(language)
        return (findings ?? []).map(s.finding)
    }

    /// The `percent-of-normal` chart data: one row per day and hour.
    func percentOfNormalTable(_ s: Strings) -> ReportTable {
        var rows: [[ReportCell]] = []
        for day in percentOfNormal ?? [] {
            for h in 0..<24 {
                rows.append([.day(day.day), .integer(h), .number(h < day.percent.count ? day.percent[h] : nil, decimals: 0),
                             .integer(day.referenceDays.count)])
            }
        }
        return ReportTable(
            name: "percent-of-normal", title: s.percentOfNormal,
            columns: [
                .init(key: "day", title: s.days), .init(key: "hour", title: "h"), .init(key: "percent_of_normal", title: "%"),
                .init(key: "reference_days", title: s.days + " (ref.)"),
            ],
            rows: rows, isChartData: true)
    }
}

/// The findings list and the heat strip section of the town page.
enum DayShapeSections {
    static func findings(_ report: TownReport, _ s: Strings) -> String {
        let sentences = report.findingSentences(language: s.language)
        guard !sentences.isEmpty else { return "" }
        return "<h3>\(HTML.escape(s.findingsTitle))</h3><ul class=\"findings\">"
            + sentences.map { "<li>\(HTML.escape($0))</li>" }.joined() + "</ul>\n"
    }

    static func heatStrip(_ report: TownReport, _ s: Strings, table: String) -> String {
        var body = "<p class=\"note\">\(HTML.escape(s.percentOfNormalNote))</p>\n"
        guard let days = report.percentOfNormal, !days.isEmpty else { return body + "<p>\(HTML.escape(s.noData))</p>" }
        body += SVGChart.heatStrip(days, title: s.percentOfNormal) + table
        return body
    }
}

/// The peers' figures for one day type, as the network publishes them (`NetworkFigures.DayShapeBand`).
public struct PeerDayShape: Sendable, Equatable {
    public var band: DayShape.Band
    public var closedShare: Double?
    public var lunchShare: Double?
    public var eveningShare: Double?
    public init(band: DayShape.Band, closedShare: Double? = nil, lunchShare: Double? = nil, eveningShare: Double? = nil) {
        self.band = band
        self.closedShare = closedShare
        self.lunchShare = lunchShare
        self.eveningShare = eveningShare
    }
}

extension HourlyComparison {
    /// A day-shape row (``dayShape(town:peers:)``) whose town sent no opening hours: its hours are
    /// unknown, not "closed".
    var isDayShapeWithoutHours: Bool { townClosedShare == nil && (townEveningShare != nil || peerTowns != nil) }

    /// The page's hourly rows from a town's day shape and the peers' per day type: one row per
    /// day type that either side has; the "in opening hours" share is 1 − the closed share.
    ///
    /// Why here: the coordinator's pages and the node's offline page fill the model the same way.
    public static func dayShape(town: DayShape.Result?, peers: [ShapeDayType: PeerDayShape]) -> [HourlyComparison] {
        ShapeDayType.allCases.compactMap { type in
            let own = town?[type].flatMap { $0.shares == nil ? nil : $0 }
            let peer = peers[type]
            guard own != nil || peer?.band.median != nil else { return nil }
            let none = [Double?](repeating: nil, count: 24)
            var row = HourlyComparison(
                dayType: type.rawValue, town: own?.shares?.map { Optional($0) } ?? none,
                peers: peer?.band.median?.map { Optional($0) } ?? none,
                openingHours: own.flatMap { t in t.usualOpeningHour.flatMap { o in t.usualClosingHour.map { c in o < c ? o..<c : nil } } } ?? nil,
                townOpeningHoursShare: own?.closedShare.map { 1 - $0 }, peersOpeningHoursShare: peer?.closedShare.map { 1 - $0 },
                townLunchtimeShare: own?.lunchShare, peersLunchtimeShare: peer?.lunchShare)
            row.peersLowerQuartile = peer?.band.lowerQuartile?.map { Optional($0) }
            row.peersUpperQuartile = peer?.band.upperQuartile?.map { Optional($0) }
            row.townClosedShare = own?.closedShare
            row.peersClosedShare = peer?.closedShare
            row.townEveningShare = own?.eveningShare
            row.peersEveningShare = peer?.eveningShare
            row.peerTowns = peer?.band.towns
            row.peersWithheld = peer.flatMap { $0.band.median == nil ? $0.band.publication : nil }
            return row
        }
    }
}
