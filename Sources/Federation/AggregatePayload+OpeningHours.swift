public import Indicators

// Opening hours in the aggregate (issue 20): an optional member of a zone, `openingHours`
// (PROTOCOL.md §4.2). A payload without it is exactly what an older node sends.

extension AggregatePayload {
    /// A zone's shop opening hours as the node imported them: the usual hours per ISO weekday and
    /// the exceptions whose dates fall in the payload's period.
    ///
    /// Why sent: the share of footfall while most shops are closed (`day-shape`) needs each
    /// town's hours beside its counts, for the town and for its peers; the hours are public
    /// information (shop doors), not personal data.
    public struct OpeningHours: Sendable, Hashable, Codable {
        /// Most intervals per weekday or exception date (split shifts, late-night shopping).
        public static let maximumIntervalsPerDay = 4

        /// One open interval of an ISO weekday (1 = Monday … 7 = Sunday), `HH:MM` local, `opens` < `closes`.
        public struct Weekly: Sendable, Hashable, Codable {
            public var weekday: Int
            public var opens: String
            public var closes: String
            public init(weekday: Int, opens: String, closes: String) {
                self.weekday = weekday
                self.opens = opens
                self.closes = closes
            }
        }

        /// A date whose hours replace its weekday's: one interval, or closed all day (`opens` and
        /// `closes` absent). Several entries of one date are several intervals.
        public struct Exception: Sendable, Hashable, Codable {
            public var date: String
            public var opens: String?
            public var closes: String?
            public init(date: String, opens: String? = nil, closes: String? = nil) {
                self.date = date
                self.opens = opens
                self.closes = closes
            }
        }

        public var weekly: [Weekly]
        public var exceptions: [Exception]
        public init(weekly: [Weekly], exceptions: [Exception] = []) {
            self.weekly = weekly
            self.exceptions = exceptions
        }

        /// Minutes after midnight of `HH:MM` (`24:00` = 1440); nil for any other spelling.
        public static func minutes(_ text: String) -> Int? {
            let u = Array(text.utf8)
            guard u.count == 5, u[2] == UInt8(ascii: ":"), let h = CalendarDay.number(u[0..<2]), let m = CalendarDay.number(u[3..<5]),
                  m < 60, h < 24 || (h == 24 && m == 0) else { return nil }
            return h * 60 + m
        }

        /// The schedule the `day-shape` indicator reads.
        public func schedule() -> OpeningSchedule {
            var weeklyRanges: [Int: [Range<Int>]] = [:]
            for w in weekly {
                if let o = Self.minutes(w.opens), let c = Self.minutes(w.closes), o < c { weeklyRanges[w.weekday, default: []].append(o..<c) }
            }
            var exceptionRanges: [DayNumber: [Range<Int>]] = [:]
            for e in exceptions {
                guard let day = CalendarDay.dayNumber(e.date).map(DayNumber.init) else { continue }
                var list = exceptionRanges[day] ?? []
                if let o = e.opens.flatMap(Self.minutes), let c = e.closes.flatMap(Self.minutes), o < c { list.append(o..<c) }
                exceptionRanges[day] = list
            }
            return OpeningSchedule(weekly: weeklyRanges, exceptions: exceptionRanges)
        }

        /// Why these hours are not acceptable in a payload covering `from`…`to`, or nil.
        func problem(from: Int, to: Int) -> String? {
            var perWeekday: [Int: Int] = [:]
            for w in weekly {
                guard (1...7).contains(w.weekday) else { return "openingHours weekday \(w.weekday) is not 1 (Monday) … 7 (Sunday)." }
                guard let o = Self.minutes(w.opens), let c = Self.minutes(w.closes), o < c else {
                    return "openingHours of weekday \(w.weekday): opens \(w.opens.prefix(8)) and closes \(w.closes.prefix(8)) must be HH:MM with opens before closes."
                }
                perWeekday[w.weekday, default: 0] += 1
                if (perWeekday[w.weekday] ?? 0) > Self.maximumIntervalsPerDay {
                    return "openingHours of weekday \(w.weekday) has more than \(Self.maximumIntervalsPerDay) intervals."
                }
            }
            var perDate: [Int: Int] = [:]
            for e in exceptions {
                guard let d = CalendarDay.dayNumber(e.date), d >= from, d <= to else {
                    return "openingHours exception \(e.date.prefix(12)) is not a date inside the period."
                }
                switch (e.opens, e.closes) {
                case (nil, nil): break
                case (let opens?, let closes?):
                    guard let o = Self.minutes(opens), let c = Self.minutes(closes), o < c else {
                        return "openingHours exception \(e.date): opens \(opens.prefix(8)) and closes \(closes.prefix(8)) must be HH:MM with opens before closes."
                    }
                default: return "openingHours exception \(e.date): give both opens and closes, or neither (closed all day)."
                }
                perDate[d, default: 0] += 1
                if (perDate[d] ?? 0) > Self.maximumIntervalsPerDay {
                    return "openingHours exception \(e.date) has more than \(Self.maximumIntervalsPerDay) entries."
                }
            }
            return nil
        }

        func jsonValue() -> JSONValue {
            .object([
                "weekly": .array(weekly.map {
                    .object(["weekday": .number(Double($0.weekday)), "opens": .string($0.opens), "closes": .string($0.closes)])
                }),
                "exceptions": .array(exceptions.map { e in
                    var o: [String: JSONValue] = ["date": .string(e.date)]
                    if let opens = e.opens { o["opens"] = .string(opens) }
                    if let closes = e.closes { o["closes"] = .string(closes) }
                    return .object(o)
                }),
            ])
        }

        init(json: RawJSON, path: JSONPath) throws(FederationError) {
            let r = try JSONObjectReader(json, path: path, allowed: ["weekly", "exceptions"])
            var weekly: [Weekly] = []
            for (i, w) in try r.array("weekly").enumerated() {
                let wr = try JSONObjectReader(w, path: .element(path, "weekly", i), allowed: ["weekday", "opens", "closes"])
                weekly.append(Weekly(weekday: try wr.int("weekday"), opens: try wr.string("opens"), closes: try wr.string("closes")))
            }
            var exceptions: [Exception] = []
            for (i, e) in try r.array("exceptions").enumerated() {
                let er = try JSONObjectReader(e, path: .element(path, "exceptions", i), allowed: ["date", "opens", "closes"])
                exceptions.append(Exception(date: try er.string("date"), opens: er["opens"] == nil ? nil : try er.string("opens"),
                                            closes: er["closes"] == nil ? nil : try er.string("closes")))
            }
            self.init(weekly: weekly, exceptions: exceptions)
        }
    }
}
