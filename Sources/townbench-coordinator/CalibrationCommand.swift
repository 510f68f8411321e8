// `townbench-coordinator calibration`: event-uplift v2's placebo test for one town's zone, from the
// coordinator's store (issue 18), as the API's GET /v1/tenants/{tenant}/calibration answers it.
import CLIKit
import Coordinator
import Foundation

/// The `calibration` command. `store`, `tenant` and `existing` are the ones every admin command
/// shares (declared in main.swift, passed in so this file reads none of main.swift's globals).
/// The texts go to ``NetworkCalibration/Question`` unparsed: the API and the command check them
/// the same way (a bad value exits 64 with the same message the API answers with a 400).
func makeCalibrationCommand(store: OptionGroup<StoreLocation>, tenant: Option<String>,
                            existing: @escaping @Sendable (any CoordinatorStore, String) throws -> Tenant) -> Command {
    let town = Option<String>("town", "TOWN_ID", "The town whose calibration to compute.", required: true, hint: "the town's id")
    let zone = Option<String>("zone", "ZONE_ID", "The town's zone (its events' zone), e.g. centrum.", required: true,
                              hint: "the zone's id")
    let from = Option<String>("from", "YYYY-MM-DD", "With --to: the ordinary days to test (default: the last 12 complete months).")
    let to = Option<String>("to", "YYYY-MM-DD", "The last day to test (at most 3 years after --from).")
    let level = Option<String>("level", "L", "The intervals' level, 0.5–0.99 (default 0.9).")
    let json = Flag.json("Print the result as JSON (as the API answers).")
    return Command(
        name: "calibration",
        abstract: "How well a town's data can tell an event's effect: event-uplift v2's placebo test, own and peer-adjusted.",
        discussion: """
        Every ordinary day of the period in the zone is treated as a one-day event: how often its
        interval excludes 0 (false positives; about 1 − level is honest), the smallest uplift
        detected with 80 % power, and how often a +20 % effect would be detected, for the town's own
        v2 and for the peer-adjusted v2 (the tenant's other towns as controls), per day class.
        """,
        options: [store, tenant, town, zone, from, to, level, json]
    ) { arguments in
        let location = try arguments(store)
        let id = try arguments.required(tenant)
        let townID = try arguments.required(town)
        let zoneID = try arguments.required(zone)
        let firstDay = try arguments(from), lastDay = try arguments(to)
        let levelText = try arguments(level)
        let asJSON = arguments(json)
        return {
            let question = try NetworkCalibration.Question(town: townID, zone: zoneID, period: nil, from: firstDay, to: lastDay,
                                                           level: levelText, now: Date())
            let result = try location.withStore { _, store in
                _ = try existing(store, id)
                return try NetworkCalibration.compute(question, store: store, .administrative(id))
            }
            if asJSON { return try printJSON(result) }
            print(result.text, terminator: "")
        }
    }
}
