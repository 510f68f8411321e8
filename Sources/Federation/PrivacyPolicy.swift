/// The small-cell rules a tenant imposes, applied by the node before signing and checked again by
/// the coordinator. Its values travel inside the signed payload.
///
/// Why: store entries and card spending can re-identify people when counts are small (GDPR; the
/// framework contract asks for extra care). Policy values are data, not code, so a tenant can be
/// stricter than the default and a payload says exactly which rule produced it.
public struct PrivacyPolicy: Codable, Sendable, Hashable {
    /// Store-entry cells (per sensor, zone total, hour, conversion entries) below this are suppressed. Default 10.
    public var minimumStoreEntries: Int
    /// Spending cells with fewer buyers than this are suppressed entirely. Default 10.
    public var minimumSpendingBuyers: Int

    public init(minimumStoreEntries: Int = 10, minimumSpendingBuyers: Int = 10) {
        self.minimumStoreEntries = minimumStoreEntries
        self.minimumSpendingBuyers = minimumSpendingBuyers
    }

    /// The default policy (10 and 10).
    public static let standard = PrivacyPolicy()

    /// The measures whose cells are small-cell protected: people entering and leaving shops (the
    /// node's `Measure` names). The others count passers-by, presence and vehicles.
    public static let protectedMeasures: Set<String> = ["entries", "exits"]

    /// Whether this policy is at least as strict as `other` in every parameter.
    public func isAtLeastAsStrict(as other: PrivacyPolicy) -> Bool {
        minimumStoreEntries >= other.minimumStoreEntries && minimumSpendingBuyers >= other.minimumSpendingBuyers
    }

    func validate() throws(FederationError) {
        guard (1...1_000_000).contains(minimumStoreEntries), (1...1_000_000).contains(minimumSpendingBuyers) else {
            throw FederationError(
                code: .invalidPayload, message: "Privacy policy minimums must be between 1 and 1,000,000.")
        }
    }

    // MARK: Node side

    /// Suppresses and marks every small cell of `payload` under this policy and sets
    /// `payload.privacy` to it. The node calls this on the raw aggregates, then signs.
    ///
    /// Rules (PROTOCOL.md, "Privacy"): a store-entry value below `minimumStoreEntries` (zero
    /// included) is removed and marked, per sensor, zone total, hour and conversion pair; spending
    /// cells with fewer than `minimumSpendingBuyers` buyers (or unknown buyers) lose all three sums.
    /// Secondary suppression: when a visible total would let a reader subtract one suppressed
    /// sensor (or hour) back out, the smallest visible other one is suppressed too.
    public func apply(to payload: AggregatePayload) -> AggregatePayload {
        var p = payload
        p.privacy = self
        let minimum = Double(minimumStoreEntries)
        for z in p.zones.indices {
            for d in p.zones[z].days.indices {
                var day = p.zones[z].days[d]
                for m in day.measures.indices where Self.protectedMeasures.contains(day.measures[m].measure) {
                    var md = day.measures[m]
                    // Primary: sensors.
                    for s in md.sensors.indices {
                        if let t = md.sensors[s].total, t < minimum {
                            md.sensors[s].total = nil
                            md.sensors[s].suppressed = true
                        }
                    }
                    if let t = md.total, t < minimum {
                        md.total = nil
                        md.totalSuppressed = true
                    }
                    // Secondary: exactly one suppressed sensor and a visible total reveals it.
                    if md.total != nil, md.sensors.filter(\.suppressed).count == 1 {
                        let candidates = md.sensors.indices.filter {
                            !md.sensors[$0].suppressed && md.sensors[$0].total != nil
                        }
                        if let smallest = candidates.min(by: { (md.sensors[$0].total ?? 0) < (md.sensors[$1].total ?? 0) }) {
                            md.sensors[smallest].total = nil
                            md.sensors[smallest].suppressed = true
                        } else {
                            md.total = nil
                            md.totalSuppressed = true
                        }
                    }
                    // Hours: primary, then secondary against the day total.
                    if var hourly = md.hourly {
                        var suppressed = Set(md.suppressedHours)
                        for h in 0..<24 {
                            if let v = hourly[h], v < minimum {
                                hourly[h] = nil
                                suppressed.insert(h)
                            }
                        }
                        if md.total != nil, suppressed.count == 1 {
                            let visible = (0..<24).filter { hourly[$0] != nil }
                            if let smallest = visible.min(by: { (hourly[$0] ?? 0) < (hourly[$1] ?? 0) }) {
                                hourly[smallest] = nil
                                suppressed.insert(smallest)
                            }
                        }
                        md.hourly = hourly
                        md.suppressedHours = suppressed.sorted()
                    }
                    day.measures[m] = md
                }
                for c in day.conversions.indices {
                    if let e = day.conversions[c].entries, e < minimum {
                        day.conversions[c].entries = nil
                        day.conversions[c].suppressed = true
                    }
                }
                for s in day.spending.indices {
                    let buyers = day.spending[s].buyers ?? 0
                    if buyers < minimumSpendingBuyers {
                        day.spending[s].transactions = nil
                        day.spending[s].buyers = nil
                        day.spending[s].valueCents = nil
                        day.spending[s].suppressed = true
                    }
                }
                p.zones[z].days[d] = day
            }
        }
        return p
    }

    // MARK: Coordinator side

    /// Checks a received payload: its declared policy must be at least as strict as the tenant's
    /// (`self`), and no visible cell may break the declared policy (primary and secondary rules).
    /// Returns `nil` when it complies, else a refusal with reason `privacy_violation` naming the cell.
    public func violation(in payload: AggregatePayload) -> Refusal? {
        let declared = payload.privacy
        guard declared.isAtLeastAsStrict(as: self) else {
            return Refusal(
                .privacyViolation,
                "the payload declares minimums \(declared.minimumStoreEntries)/\(declared.minimumSpendingBuyers), the tenant requires at least \(minimumStoreEntries)/\(minimumSpendingBuyers)"
            )
        }
        let minimum = Double(declared.minimumStoreEntries)
        for zone in payload.zones {
            for day in zone.days {
                let place = "zone \(zone.zoneId), \(day.date)"
                for m in day.measures where Self.protectedMeasures.contains(m.measure) {
                    if let t = m.total, t < minimum {
                        return Refusal(
                            .privacyViolation, "\(place): store-entry total \(t) below \(declared.minimumStoreEntries)")
                    }
                    for s in m.sensors {
                        if let t = s.total, t < minimum {
                            return Refusal(
                                .privacyViolation,
                                "\(place): store entries of sensor \(s.sensor) below \(declared.minimumStoreEntries)")
                        }
                        if s.suppressed && s.total != nil {
                            return Refusal(
                                .privacyViolation, "\(place): sensor \(s.sensor) marked suppressed but shows a value")
                        }
                    }
                    if m.total != nil, m.sensors.count(where: \.suppressed) == 1 {
                        return Refusal(
                            .privacyViolation, "\(place): one suppressed sensor can be derived from the visible total")
                    }
                    if let hourly = m.hourly {
                        for (h, v) in hourly.enumerated() {
                            if let v, v < minimum {
                                return Refusal(
                                    .privacyViolation,
                                    "\(place): store entries in hour \(h) below \(declared.minimumStoreEntries)")
                            }
                        }
                        for h in m.suppressedHours where hourly[h] != nil {
                            return Refusal(.privacyViolation, "\(place): hour \(h) marked suppressed but shows a value")
                        }
                        if m.total != nil, m.suppressedHours.count == 1 {
                            return Refusal(
                                .privacyViolation, "\(place): one suppressed hour can be derived from the visible total"
                            )
                        }
                    }
                }
                for c in day.conversions {
                    if let e = c.entries, e < minimum {
                        return Refusal(
                            .privacyViolation,
                            "\(place): conversion entries of door \(c.door) below \(declared.minimumStoreEntries)")
                    }
                }
                for s in day.spending {
                    let visible = s.transactions != nil || s.buyers != nil || s.valueCents != nil
                    if visible && (s.buyers ?? 0) < declared.minimumSpendingBuyers {
                        return Refusal(
                            .privacyViolation,
                            "\(place): spending of sector \(s.sector) shown with fewer than \(declared.minimumSpendingBuyers) buyers"
                        )
                    }
                }
            }
        }
        return nil
    }
}

/// The cross-town publishing rule for a network figure (one cell built from several towns).
///
/// Why: statistical offices publish a cell only with at least 3 contributors and when the two
/// largest contributors do not exceed 85% of the cell (dominance, the (2, 85) rule); otherwise a
/// town could read a peer's figure out of the published one. Pure, for the coordinator's reports.
public enum PublishingRule {
    /// Why a cell may not be published.
    public enum Verdict: String, Sendable, Hashable {
        case publish
        /// Fewer than `minimumContributors` contributors with a value.
        case tooFewContributors = "too_few_contributors"
        /// The two largest contributions exceed `dominanceShare` of the total.
        case dominated
    }

    /// The verdict for a cell with these per-contributor (per-town) non-negative contributions.
    /// A zero total with enough contributors publishes (nothing to dominate).
    public static func verdict(
        contributions: [Double], minimumContributors: Int = 3,
        dominanceShare: Double = 0.85
    ) -> Verdict {
        guard contributions.count >= minimumContributors else { return .tooFewContributors }
        let total = contributions.reduce(0, +)
        guard total > 0 else { return .publish }
        let top = contributions.sorted(by: >)
        let topTwo = top[0] + (top.count > 1 ? top[1] : 0)
        return topTwo > dominanceShare * total ? .dominated : .publish
    }
}
