internal import Federation
public import Indicators
internal import Storage

/// Imports the shops' opening hours per zone: `zone,weekday,opens,closes`.
///
/// `weekday` is `mon`…`sun` (or `ma`…`zo`, or 1…7) for the usual hours, or a date `YYYY-MM-DD`
/// for an exception that replaces that date's hours (a Sunday shopping day, late-night shopping);
/// `opens`/`closes` are local `HH:MM` (`24:00` allowed), both empty for "closed". Several rows of
/// one weekday or date are several intervals (at most 4). A zone's rows in the file replace its
/// whole schedule; importing the same file again changes nothing, a different schedule for a
/// zone needs `--replace`.
struct OpeningHoursImporter {
    let session: ImportSession

    /// One stored row: a weekday (1…7) or a day, and an interval in minutes or closed.
    struct Row: Hashable, Comparable {
        var weekday: Int?
        var day: Int?
        var opens: Int?
        var closes: Int?
        static func < (a: Row, b: Row) -> Bool {
            (a.weekday ?? 0, a.day ?? 0, a.opens ?? -1, a.closes ?? -1) < (b.weekday ?? 0, b.day ?? 0, b.opens ?? -1, b.closes ?? -1)
        }
    }

    static let weekdayNames: [String: Int] = [
        "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7,
        "ma": 1, "di": 2, "wo": 3, "do": 4, "vr": 5, "za": 6, "zo": 7,
        "1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "6": 6, "7": 7,
    ]

    /// Minutes of `H:MM` or `HH:MM` (00:00…24:00), or nil.
    static func minutes(_ text: String) -> Int? {
        AggregatePayload.OpeningHours.minutes(text.utf8.count == 4 ? "0" + text : text)
    }

    func run(_ summary: inout ImportSummary) throws {
        try session.loadCatalogue()
        let db = session.db
        var byZone: [Int64: (name: String, rows: [Row], lines: [Row: Int])] = [:]
        try session.forEachRow(required: ["zone", "weekday", "opens", "closes"], summary: &summary) { fields, at, _ in
            let line = at(nil).line
            let (zoneName, zone) = try session.zone(fields, at: at)
            let when = try fields.text("weekday")
            var row = Row()
            if let weekday = Self.weekdayNames[when.lowercased()] {
                row.weekday = weekday
            } else if when.utf8.count == 10 {
                row.day = try fields.day("weekday").rawValue
            } else {
                throw NodeError(.badInput, "weekday '\(when.prefix(20))' is neither a weekday (mon…sun, ma…zo or 1…7) nor a date YYYY-MM-DD for an exception", at: at(fields.column("weekday")))
            }
            switch (try fields.optionalText("opens"), try fields.optionalText("closes")) {
            case (nil, nil): break  // closed
            case (let o?, let c?):
                guard let opens = Self.minutes(o), let closes = Self.minutes(c) else {
                    throw NodeError(.badInput, "opens '\(o.prefix(8))' and closes '\(c.prefix(8))' must be local times HH:MM from 00:00 to 24:00", at: at(fields.column(Self.minutes(o) == nil ? "opens" : "closes")))
                }
                guard opens < closes else {
                    throw NodeError(.badInput, "the shops close (\(c)) before they open (\(o)); for hours past midnight write two rows, the second on the next day", at: at(fields.column("closes")))
                }
                row.opens = opens
                row.closes = closes
            default:
                throw NodeError(.badInput, "give both opens and closes, or leave both empty for a closed day", at: at(fields.column("opens")))
            }
            var entry = byZone[zone] ?? (zoneName, [], [:])
            let sameDay = entry.rows.filter { $0.weekday == row.weekday && $0.day == row.day }
            if sameDay.contains(where: { $0.opens == nil }) || (row.opens == nil && !sameDay.isEmpty) {
                throw NodeError(.badInput, "\(when) of zone '\(zoneName)' is both closed and open in this file (first at line \(sameDay.first.flatMap { entry.lines[$0] } ?? line)); keep one", at: at(nil))
            }
            if let o = row.opens, let c = row.closes, let other = sameDay.first(where: { ($0.opens ?? 0) < c && o < ($0.closes ?? 0) }) {
                throw NodeError(.badInput, "this interval overlaps the one at line \(entry.lines[other] ?? line) for \(when) of zone '\(zoneName)'; merge them", at: at(nil))
            }
            guard sameDay.count < AggregatePayload.OpeningHours.maximumIntervalsPerDay else {
                throw NodeError(.badInput, "more than \(AggregatePayload.OpeningHours.maximumIntervalsPerDay) intervals for \(when) of zone '\(zoneName)'", at: at(nil))
            }
            entry.rows.append(row)
            entry.lines[row] = line
            byZone[zone] = entry
        }
        for (zone, entry) in byZone.sorted(by: { $0.key < $1.key }) {
            let stored = try db.query("SELECT weekday, day, opens, closes FROM opening_hours WHERE zone_id = ?", [.integer(zone)]).map { r in
                Row(weekday: try r.optionalInt64("weekday").map { Int($0) }, day: try r.optionalInt64("day").map { Int($0) },
                    opens: try r.optionalInt64("opens").map { Int($0) }, closes: try r.optionalInt64("closes").map { Int($0) })
            }.sorted()
            let rows = entry.rows.sorted()
            if stored == rows { summary.rowsUnchanged += rows.count; continue }
            if !stored.isEmpty {
                guard session.options.replace else {
                    throw NodeError(.conflict, "zone '\(entry.name)' already has other opening hours from an earlier import; use --replace to replace its whole schedule with this file's", at: session.location(line: entry.lines.values.min() ?? 1, column: nil))
                }
                try db.run("DELETE FROM opening_hours WHERE zone_id = ?", [.integer(zone)])
            }
            for r in rows {
                func value(_ v: Int?) -> SQLValue { v.map { .integer(Int64($0)) } ?? .null }
                try db.run("INSERT INTO opening_hours (zone_id, weekday, day, opens, closes, import_id) VALUES (?, ?, ?, ?, ?, ?)",
                           [.integer(zone), value(r.weekday), value(r.day), value(r.opens), value(r.closes), .integer(session.importID)])
            }
            if stored.isEmpty { summary.rowsInserted += rows.count } else { summary.rowsReplaced += rows.count }
        }
    }
}

extension NodeStore {
    /// The opening hours of zone `zoneName` as sent in the aggregate for `period` (exceptions
    /// inside it only), or nil when none were imported: a payload then stays as older nodes sent it.
    func openingHours(zone zoneName: String, period: ClosedRange<DayNumber>) throws -> AggregatePayload.OpeningHours? {
        let rows = try db.query("""
            SELECT o.weekday, o.day, o.opens, o.closes FROM opening_hours o JOIN zones z ON z.id = o.zone_id WHERE z.name = ?
            ORDER BY o.weekday, o.day, o.opens
            """, [.text(zoneName)])
        guard !rows.isEmpty else { return nil }
        func hhmm(_ minutes: Int) -> String {
            (minutes / 60 < 10 ? "0" : "") + "\(minutes / 60):" + (minutes % 60 < 10 ? "0" : "") + "\(minutes % 60)"
        }
        var weekly: [AggregatePayload.OpeningHours.Weekly] = []
        var exceptions: [AggregatePayload.OpeningHours.Exception] = []
        for r in rows {
            let opens = try r.optionalDouble(2).map { Int($0) }, closes = try r.optionalDouble(3).map { Int($0) }
            if let weekday = try r.optionalDouble(0).map({ Int($0) }) {
                if let opens, let closes { weekly.append(.init(weekday: weekday, opens: hhmm(opens), closes: hhmm(closes))) }
            } else if let day = try r.optionalDouble(1).map({ DayNumber(Int($0)) }), period.contains(day) {
                exceptions.append(.init(date: day.description, opens: opens.map(hhmm), closes: closes.map(hhmm)))
            }
        }
        return AggregatePayload.OpeningHours(weekly: weekly, exceptions: exceptions)
    }

    /// The whole imported schedule of a zone (every exception), or nil when none was imported.
    public func openingSchedule(zone zoneName: String) throws -> OpeningSchedule? {
        try openingHours(zone: zoneName, period: DayNumber.supportedRange)?.schedule()
    }
}
