/// The words of the 300-town region page and the peer-group comparisons (issue 17).
extension Strings {
    var allTowns: String { t("All towns", "Alle gemeenten") }
    var peerGroups: String { t("Peer groups", "Peergroepen") }
    var peerGroup: String { t("Peer group", "Peergroep") }
    var ranking: String { t("Towns ranked by footfall index", "Gemeenten gerangschikt op index passanten") }
    var rankingNote: String {
        t(
            "Each dot is a town, highest index on the left. Shaded: the middle half of the network (Q1–Q3); dashed: the network median.",
            "Elke stip is een gemeente, hoogste index links. Gearceerd: de middelste helft van het netwerk (Q1–Q3); gestreept: de netwerkmediaan.")
    }
    func highlighted(_ group: String) -> String {
        t("Dark dots and the solid line: \(group) and its median.", "Donkere stippen en de volle lijn: \(group) en zijn mediaan.")
    }
    var groupsNote: String {
        t(
            "Each row: the towns of a group (dots), their middle half (box) and median (bar), on one scale with the whole network.",
            "Elke rij: de gemeenten van een groep (stippen), hun middelste helft (kader) en mediaan (streep), op één schaal met het hele netwerk.")
    }
    var wholeNetwork: String { t("Whole network", "Hele netwerk") }
    var show: String { t("Show", "Toon") }
    func page(_ n: Int, of total: Int) -> String { t("Page \(n) of \(total)", "Pagina \(n) van \(total)") }
    var previous: String { t("previous", "vorige") }
    var next: String { t("next", "volgende") }
    func townsShown(_ from: Int, _ to: Int, _ total: Int) -> String {
        t("towns \(from)–\(to) of \(total)", "gemeenten \(from)–\(to) van \(total)")
    }
    func multiplesNote(shown: Int, of total: Int) -> String {
        t(
            "The \(shown) highest-ranked of \(total) towns. Choose a peer group above to see the charts of its towns.",
            "De \(shown) hoogst gerangschikte van \(total) gemeenten. Kies hierboven een peergroep om de grafieken van haar gemeenten te zien.")
    }
    func multiplesCapped(shown: Int, of total: Int) -> String {
        t("The \(shown) highest-ranked of the group's \(total) towns.", "De \(shown) hoogst gerangschikte van de \(total) gemeenten van de groep.")
    }
    func andMore(_ n: Int) -> String { t("and \(n) more", "en nog \(n)") }
    func rowsCapped(_ shown: Int, _ total: Int) -> String {
        t("The first \(shown) of \(total) rows; all are in the CSV and JSON.", "De eerste \(shown) van \(total) rijen; alle staan in de CSV en JSON.")
    }
    func completeTowns(_ n: Int) -> String {
        t("\(n) towns have complete data (see the towns table).", "\(n) gemeenten hebben volledige data (zie de tabel van de gemeenten).")
    }
    var townVsGroups: String { t("Against its peer groups", "Tegenover de eigen peergroepen") }
    var townVsGroupsNote: String {
        t(
            "Box: the middle half (Q1–Q3) of each group's towns, bar: its median, dot: this town. Group figures need at least 3 towns with an index; no peer is named.",
            "Kader: de middelste helft (Q1–Q3) van de gemeenten van elke groep, streep: de mediaan, stip: deze gemeente. Groepscijfers vragen minstens 3 gemeenten met een index; geen enkele peer wordt genoemd.")
    }
    var rankInGroup: String { t("Rank in group", "Rang in de groep") }
    var members: String { t("Towns", "Gemeenten") }
    var withIndex: String { t("with an index", "met een index") }
}
