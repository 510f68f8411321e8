// townbench-node: the town node's admin CLI. Imports vendor exports into the node's local store,
// shows what it holds, and (with later commands) computes indicators and pushes signed aggregates.
public import CLIKit
import Foundation
public import Node
import Indicators
import Reports

extension NodeError: ExitCodeProviding {
    public var exitCode: Int32 {
        if code == .invalidArgument { return 64 }
        return isDataError ? 65 : 1
    }
}

func directory(_ arguments: inout Arguments) throws -> URL {
    URL(fileURLWithPath: try arguments.required("dir", "DIR (the node's directory)"), isDirectory: true)
}

func report(_ summary: ImportSummary, json: Bool) throws {
    if json { return try printJSON(summary) }
    print("\(summary.file): \(summary.rowsRead) rows read, \(summary.rowsInserted) new, \(summary.rowsUnchanged) unchanged, \(summary.rowsReplaced) replaced")
}

let initCommand = Command(
    name: "init", abstract: "Create a node: its local store and its Ed25519 signing key.",
    usage: "init --dir DIR --town TOWN_ID --tenant TENANT_ID [--time-zone ZONE]",
    help: """
    OPTIONS:
      --dir DIR           Directory of the new node (created if missing; refused if it holds a node).
      --town TOWN_ID      The town's id in the network, e.g. harelbeke.
      --tenant TENANT_ID  The network (tenant) the town reports to, e.g. daks-west-flanders.
      --time-zone ZONE    IANA zone of the town's days and hours (default Europe/Brussels).
    """
) { arguments in
    let dir = try directory(&arguments)
    let town = try arguments.required("town", "TOWN_ID")
    let tenant = try arguments.required("tenant", "TENANT_ID")
    let zone = arguments.option("time-zone") ?? "Europe/Brussels"
    try arguments.checkAllConsumed()
    let store = try NodeStore.create(in: dir, town: town, tenant: tenant, timeZone: zone)
    let status = try store.status()
    print("Created node for \(town) (tenant \(tenant), \(zone)) in \(dir.path)")
    print("Signing key \(status.keyID ?? "?"); the private key is \(NodeStore.keysURL(in: dir).path)/signing.key (mode 0600).")
}

let sensorsCommand = Command(
    name: "sensors", abstract: "Declare the town's zones and sensors.",
    subcommands: [
        Command(
            name: "import", abstract: "Import zones and sensors from a CSV (all or nothing, idempotent).",
            usage: "import --dir DIR [--replace] [--json] FILE.csv",
            help: """
            The CSV has the header sensor,zone,zone_kind,kind,vendor and optionally
            paired_street_sensor,latitude,longitude,installed,removed (see README, "Data formats").

            OPTIONS:
              --dir DIR    The node's directory.
              --replace    Change stored sensors and zones whose attributes differ (otherwise an error).
              --json       Print the summary as JSON.
            """
        ) { arguments in
            let dir = try directory(&arguments)
            let options = ImportOptions(replace: arguments.flag("replace"))
            let json = arguments.flag("json")
            let file = try arguments.single("FILE.csv")
            try arguments.checkAllConsumed(positionals: 1)
            let store = try NodeStore.open(dir)
            try report(try store.importSensors(file, options: options), json: json)
        },
    ])

let importCommand = Command(
    name: "import", abstract: "Import a vendor export or calendar file (all or nothing, idempotent).",
    usage: "import --dir DIR --format FORMAT [--replace] [--json] FILE",
    help: """
    FORMATS (see README, "Data formats"):
      counts           CSV sensor,start,minutes,measure,count[,direction]
      telraam          JSON of Telraam's POST /v1/reports/traffic (hourly)
      spending         CSV zone,start,minutes,sector,transactions,buyers,value_eur
      events           CSV id,name,zone,start,end,kind
      school-holidays  CSV name,first_day,last_day

    OPTIONS:
      --dir DIR          The node's directory.
      --format FORMAT    One of the formats above.
      --replace          Overwrite stored rows whose values differ (otherwise such a row is an error).
      --json             Print the summary as JSON.
    """
) { arguments in
    let dir = try directory(&arguments)
    let formatName = try arguments.required("format", "FORMAT (\(ImportFormat.allCases.map(\.rawValue).joined(separator: ", ")))")
    guard let format = ImportFormat(rawValue: formatName) else {
        throw UsageError("unknown --format '\(formatName)'; use one of: \(ImportFormat.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    let options = ImportOptions(replace: arguments.flag("replace"), showsProgress: standardErrorIsTerminal)
    let json = arguments.flag("json")
    let file = try arguments.single("FILE")
    try arguments.checkAllConsumed(positionals: 1)
    let store = try NodeStore.open(dir)
    try report(try store.importFile(file, format: format, options: options), json: json)
}

let statusCommand = Command(
    name: "status", abstract: "Show zones, sensors, data ranges, row counts and gaps.",
    usage: "status --dir DIR [--json]",
    help: """
    OPTIONS:
      --dir DIR   The node's directory.
      --json      Print as JSON with stable keys.
    """
) { arguments in
    let dir = try directory(&arguments)
    let json = arguments.flag("json")
    try arguments.checkAllConsumed()
    let status = try NodeStore.open(dir).status()
    if json { try printJSON(status) } else { print(status.text, terminator: "") }
}

let indicatorsCommand = Command(
    name: "indicators", abstract: "Compute a catalogue indicator locally from the town's own data.",
    usage: "indicators --dir DIR --indicator ID [--indicator-version N] [--from DATE] [--to DATE] [--lag N] [--zone Z] [--event EVENT_ID] [--level L] [--calibration] [--opening-hours H-H] [--json]",
    help: """
    INDICATORS (see Indicators/ for their definitions):
      footfall-index   Like-for-like index against the same days --lag days earlier (default 364).
      event-uplift     Uplift of --event (or of --zone Z --from 'YYYY-MM-DD HH:MM' --to 'YYYY-MM-DD HH:MM',
                       local time, nothing recorded) against clean same-weekday days scaled by the same
                       weeks a year earlier, with an interval calibrated on the zone's ordinary days (v2).
                       --calibration --zone Z: the placebo test on the zone's last year instead.
      conversion-rate  Store entries ÷ passers-by per zone, over paired door and street counters.
      hourly-profile   Share of footfall per local hour, by weekday / Saturday / Sunday and holiday.

    OPTIONS:
      --dir DIR              The node's directory.
      --indicator ID         One of the indicators above.
      --indicator-version N  An older version of the definition (event-uplift 1: v1's range), so old figures recompute.
      --from DATE, --to DATE The period (YYYY-MM-DD, local days); default the last 28 days with data.
      --lag N                Days between compared days (footfall-index; 364 year-on-year, 7 week-on-week).
      --zone Z               Only the sensors of this zone.
      --event EVENT_ID       The event (event-uplift), as in the imported calendar.
      --level L              The interval level of event-uplift v2, 0.5–0.99 (default 0.9).
      --calibration          event-uplift v2: each ordinary day of the last year as a fake event (false-positive rate, detectable uplift).
      --opening-hours H-H    Shop opening hours on weekdays and Saturdays, e.g. 9-18 (hourly-profile).
      --json                 Print JSON with the indicator's id, version and coverage.
    """,
    flags: ["calibration"]
) { arguments in
    let dir = try directory(&arguments)
    let id = try arguments.required("indicator", "ID (footfall-index, event-uplift, conversion-rate, hourly-profile)")
    func day(_ name: String) throws -> DayNumber? {
        guard let text = arguments.option(name) else { return nil }
        guard let day = try? DayNumber(supported: text) else { throw UsageError("--\(name) '\(text)' is not a supported date; write YYYY-MM-DD in the range \(DayNumber.supportedRangeText)") }
        return day
    }
    // event-uplift's --from/--to are a local window with hours, unless it runs the placebo test.
    let calibration = arguments.flag("calibration")
    let window = id == "event-uplift" && !calibration
    let windowFrom = window ? arguments.option("from") : nil, windowTo = window ? arguments.option("to") : nil
    if window, (windowFrom == nil) != (windowTo == nil) {
        throw UsageError("an event window needs both --from and --to, e.g. --from '2025-09-19 18:00' --to '2025-09-20 02:00'")
    }
    var query = IndicatorQuery(indicator: id, from: window ? nil : try day("from"), to: window ? nil : try day("to"))
    query.windowFrom = windowFrom
    query.windowTo = windowTo
    query.calibration = calibration
    if let text = arguments.option("indicator-version") {
        guard let version = Int(text), version > 0 else { throw UsageError("--indicator-version '\(text)' must be a version number such as 1") }
        query.version = version
    }
    if let text = arguments.option("level") {
        guard let level = Double(text), (0.5...0.99).contains(level) else {
            throw UsageError("--level '\(text)' must be a number between 0.5 and 0.99, e.g. 0.9")
        }
        query.level = level
    }
    if let lag = arguments.option("lag") {
        guard let value = Int(lag), value > 0 else { throw UsageError("--lag '\(lag)' must be a positive number of days") }
        query.lag = value
    }
    query.zone = arguments.option("zone")
    query.eventID = arguments.option("event")
    if let text = arguments.option("opening-hours") {
        let parts = text.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 2, parts[0] >= 0, parts[0] < parts[1], parts[1] <= 24 else {
            throw UsageError("--opening-hours '\(text)' must be two hours like 9-18")
        }
        query.openingHours = OpeningHours(weekday: parts[0]..<parts[1], saturday: parts[0]..<parts[1], sundayOrHoliday: nil)
    }
    let json = arguments.flag("json")
    try arguments.checkAllConsumed()
    let report = try NodeStore.open(dir).computeIndicator(query)
    if json { try printJSON(report) } else { print(report.text, terminator: "") }
}

func coordinatorURL(_ arguments: inout Arguments, store: NodeStore) throws -> URL {
    try coordinatorURL(given: arguments.option("coordinator"), store: store)
}

/// The `--coordinator` URL if given (then remembered), else the remembered one.
func coordinatorURL(given: String?, store: NodeStore) throws -> URL {
    if let given {
        guard let url = URL(string: given), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            throw UsageError("--coordinator '\(given)' is not an http(s) URL, e.g. https://coordinator.example.org/")
        }
        try store.setSetting("coordinator_url", given)
        return url
    }
    guard let saved = try store.setting("coordinator_url"), let url = URL(string: saved) else {
        throw UsageError("missing --coordinator URL (it is remembered after the first push)")
    }
    return url
}

let pushCommand = Command(
    name: "push", abstract: "Sign and queue the aggregates of every new or changed week, then send the queue.",
    usage: "push --dir DIR [--coordinator URL] [--send-only] [--max-attempts N] [--json]",
    help: """
    Each ISO week (Monday–Sunday, local days) with data up to yesterday becomes one signed
    submission, written to the outbox before anything is sent; a week whose aggregates changed
    since it was sent becomes a correction. Failures are retried with exponential backoff,
    honouring Retry-After; what cannot be sent stays queued for the next push.

    OPTIONS:
      --dir DIR            The node's directory.
      --coordinator URL    The coordinator, e.g. https://coordinator.example.org/ (remembered).
      --send-only          Queue nothing new; only send what is queued.
      --max-attempts N     Attempts per submission in this run (default 6).
      --json               Print the summary as JSON.
    """,
    flags: ["send-only"]
) { arguments in
    let dir = try directory(&arguments)
    let store = try NodeStore.open(dir)
    let url = try coordinatorURL(&arguments, store: store)
    var options = PushOptions()
    options.sendOnly = arguments.flag("send-only")
    if let attempts = arguments.option("max-attempts") {
        guard let n = Int(attempts), n >= 1 else { throw UsageError("--max-attempts must be a whole number ≥ 1") }
        options.maximumAttempts = n
    }
    let json = arguments.flag("json")
    try arguments.checkAllConsumed()
    let summary = try store.push(to: url, options: options) { line in
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
    if json { try printJSON(summary) } else {
        print("\(summary.queued) queued, \(summary.acknowledged) acknowledged, \(summary.refused) refused, \(summary.pending) still pending"
              + (summary.unconfirmed > 0 ? ", \(summary.unconfirmed) answered with a receipt for other bytes" : "")
              + (summary.unqueued.isEmpty ? "" : ", \(summary.unqueued.count) week(s) not queued"))
    }
    if !summary.unqueued.isEmpty {
        throw NodeError(.badInput, "\(summary.unqueued.count) week(s) were not queued because their figures break the protocol's rules (listed above); the other weeks were queued and sent. Correct the data and push again")
    }
    if summary.unconfirmed > 0 {
        throw NodeError(.io, "\(summary.unconfirmed) submission(s) were answered with a receipt that does not match the bytes sent; they stay queued (see `outbox`). Check --coordinator and any proxy in between, then push again")
    }
    if summary.pending > 0 {
        throw NodeError(.io, "\(summary.pending) submission(s) could not be delivered to \(url.absoluteString); they stay queued: run push again later")
    }
}

let outboxCommand = Command(
    name: "outbox", abstract: "Show what is queued, acknowledged and refused (and why).",
    usage: "outbox --dir DIR [--json]",
    help: """
    OPTIONS:
      --dir DIR   The node's directory.
      --json      Print as JSON.
    """
) { arguments in
    let dir = try directory(&arguments)
    let json = arguments.flag("json")
    try arguments.checkAllConsumed()
    let entries = try NodeStore.open(dir).outbox()
    if json { return try printJSON(entries) }
    if entries.isEmpty { print("The outbox is empty: nothing has been queued yet (run push).") }
    for entry in entries {
        var line = "#\(entry.sequence)  \(entry.periodFrom) – \(entry.periodTo)  \(entry.state)  \(entry.bytes) bytes  \(entry.attempts) attempt(s)"
        if entry.state == "refused", let error = entry.lastError { line += "\n     refused: \(error)" }
        if entry.state == "queued", let error = entry.lastError { line += "\n     last error: \(error)" }
        print(line)
    }
}

let aggregatesCommand = Command(
    name: "aggregates", abstract: "Show exactly what would leave the machine for a period, before anything is sent.",
    usage: "aggregates --dir DIR --period FROM[..TO] [--json]",
    help: """
    Prints the canonical JSON payload (RFC 8785) that push would sign for the period: per zone
    and local day, per-sensor sums under salted pseudonyms, coverage, day flags, hourly totals,
    conversion sums and spending sums, after the privacy rules. Only the header fields chosen when
    the submission is queued (submission id, sequence, created-at) differ.

    OPTIONS:
      --dir DIR             The node's directory.
      --period FROM[..TO]   Local days, e.g. 2025-06-02..2025-06-08 (one day when TO is omitted).
      --json                Accepted for symmetry: the output is always the payload's JSON.
    """
) { arguments in
    let dir = try directory(&arguments)
    let text = try arguments.required("period", "FROM[..TO]")
    let parts = text.components(separatedBy: "..")
    guard (1...2).contains(parts.count), let from = try? DayNumber(supported: parts[0]), let to = try? DayNumber(supported: parts.last ?? ""), from <= to else {
        throw UsageError("--period '\(text)' must be YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD, days in the range \(DayNumber.supportedRangeText)")
    }
    _ = arguments.flag("json")
    try arguments.checkAllConsumed()
    let bytes = try NodeStore.open(dir).previewPayload(period: from...to)
    FileHandle.standardOutput.write(Data(bytes + [10]))
}

let enrollRequestCommand = Command(
    name: "enroll-request", abstract: "Print the enrolment request for this node's key (give it to the coordinator's operator).",
    usage: "enroll-request --dir DIR",
    help: """
    The request names the town, the tenant and the public key, and is signed with the key itself
    (proof of possession). The operator runs `townbench-coordinator town enroll --tenant T FILE`.

    OPTIONS:
      --dir DIR   The node's directory.
    """
) { arguments in
    let dir = try directory(&arguments)
    try arguments.checkAllConsumed()
    FileHandle.standardOutput.write(Data(try NodeStore.open(dir).enrolmentRequest() + [10]))
}

let keysCommand = Command(
    name: "keys", abstract: "Manage the node's signing key.",
    subcommands: [
        Command(
            name: "rotate", abstract: "Make a new signing key, announced in a statement signed by the old one.",
            usage: "rotate --dir DIR",
            help: """
            Prints the rotation statement (give it to the coordinator's operator). The new key signs
            every later submission; the old key file is kept.

            OPTIONS:
              --dir DIR   The node's directory.
            """
        ) { arguments in
            let dir = try directory(&arguments)
            try arguments.checkAllConsumed()
            FileHandle.standardOutput.write(Data(try NodeStore.open(dir).rotateKey() + [10]))
        },
    ])

let configureCommand = Command(
    name: "configure", abstract: "Set the coordinator URL and the tenant's privacy minimums.",
    usage: "configure --dir DIR [--coordinator URL] [--coordinator-key HEX] [--token-file FILE] [--min-store-entries N] [--min-spending-buyers N]",
    help: """
    OPTIONS:
      --dir DIR                 The node's directory.
      --coordinator URL         The coordinator's base URL.
      --coordinator-key HEX     Pin the coordinator's report-signing key (as `townbench-coordinator init` printed it).
      --token-file FILE         A file holding the town token the coordinator's operator issued (kept mode 0600).
      --min-store-entries N     Store-entry cells below N are suppressed before signing (tenant policy; default 10).
      --min-spending-buyers N   Spending cells with fewer buyers are suppressed (tenant policy; default 10).
    """
) { arguments in
    let dir = try directory(&arguments)
    let store = try NodeStore.open(dir)
    if arguments.option("coordinator") != nil { _ = try coordinatorURL(&arguments, store: store) }
    if let hex = arguments.option("coordinator-key") {
        let key = try store.pinCoordinatorKey(hex)
        print("pinned coordinator key \(key.keyID)")
    }
    if let file = arguments.option("token-file") {
        guard let token = try? String(contentsOfFile: file, encoding: .utf8), !token.isEmpty else {
            throw UsageError("--token-file '\(file)' cannot be read")
        }
        try store.saveToken(token)
    }
    for (flag, key) in [("min-store-entries", "privacy_min_store_entries"), ("min-spending-buyers", "privacy_min_spending_buyers")] {
        guard let text = arguments.option(flag) else { continue }
        guard let n = Int(text), n >= 1 else { throw UsageError("--\(flag) must be a whole number ≥ 1") }
        try store.setSetting(key, String(n))
    }
    try arguments.checkAllConsumed()
    let policy = try store.privacyPolicy
    print("coordinator: \(try store.setting("coordinator_url") ?? "not set")")
    print("privacy: store entries ≥ \(policy.minimumStoreEntries), spending buyers ≥ \(policy.minimumSpendingBuyers)")
}

let simulateCommand = Command(
    name: "simulate", abstract: "Fill a demo node with realistic simulated data for its town (no real vendor data needed).",
    usage: "simulate --dir DIR [--years N] [--end DATE] [--seed N] [--json]",
    help: """
    Writes sensors, hourly counts, store entries, vehicle counts, events and school holidays for
    the node's town (a DAKS 2.0 or Lokaal 3D preset: \(SimulatedTown.presets.map(\.id).joined(separator: ", ")))
    into DIR/simulated/ and imports them, as an admin would import vendor exports. The same seed
    gives the same data; every town simulated with one seed shares its weather.

    OPTIONS:
      --dir DIR     The node's directory (init it first with the town's id).
      --years N     Whole years of data ending on --end (default 2).
      --end DATE    Last local day (default yesterday).
      --seed N      Random seed (default 1).
      --json        Print the summary as JSON.
    """
) { arguments in
    let dir = try directory(&arguments)
    let years = Int(arguments.option("years") ?? "2") ?? 0
    guard (1...20).contains(years) else { throw UsageError("--years must be a whole number from 1 to 20") }
    let seed = UInt64(arguments.option("seed") ?? "1")
    guard let seed else { throw UsageError("--seed must be a whole number ≥ 0") }
    var end: DayNumber?
    if let text = arguments.option("end") {
        guard let day = try? DayNumber(supported: text) else { throw UsageError("--end '\(text)' is not a supported date; write YYYY-MM-DD in the range \(DayNumber.supportedRangeText)") }
        end = day
    }
    let json = arguments.flag("json")
    try arguments.checkAllConsumed()
    let store = try NodeStore.open(dir)
    guard let town = SimulatedTown.preset(store.settings.town) else {
        throw NodeError(.invalidArgument, "no simulation preset for town '\(store.settings.town)'; init the node with one of: \(SimulatedTown.presets.map(\.id).joined(separator: ", "))")
    }
    let lastDay = end ?? (LocalClock(timeZone: store.timeZone).local(Int64(Date().timeIntervalSince1970)).day - 1)
    let files = try Simulator.write(town: town, years: years, endingOn: lastDay, seed: seed,
                                    to: dir.appendingPathComponent("simulated", isDirectory: true))
    var summaries: [ImportSummary] = []
    for (format, file) in files.importOrder {
        if let format, let importFormat = ImportFormat(rawValue: format) {
            summaries.append(try store.importFile(file.path, format: importFormat,
                                                  options: ImportOptions(showsProgress: standardErrorIsTerminal)))
        } else {
            summaries.append(try store.importSensors(file.path))
        }
    }
    if json { return try printJSON(summaries) }
    print("Simulated \(town.name) from \(files.firstDay) to \(files.lastDay): \(files.countRows) count rows")
    for summary in summaries { try report(summary, json: false) }
    for event in files.namedEvents {
        print("  event \(event.id): \(event.name) in \(event.zone), \(event.days.lowerBound)…\(event.days.upperBound), simulated uplift \(String(format: "%+.0f%%", event.appliedUplift * 100))")
    }
}

let reportCommand = Command(
    name: "report", abstract: "Render the town-against-peers page offline from local data and the latest verified network report.",
    usage: "report --dir DIR --out FILE.html [--fetch] [--from DATE --to DATE] [--language en|nl]",
    help: """
    The page shows the town's own footfall index, events, hourly profile and conversion, computed
    here from its raw data, beside the network's figures from the latest coordinator report whose
    signature verified with the pinned coordinator key. Nothing is sent.

    OPTIONS:
      --dir DIR              The node's directory.
      --out FILE.html        Where to write the page.
      --fetch                First fetch and verify the network report for the period (needs
                             `configure --coordinator-key` and `--token-file`).
      --from DATE, --to DATE The period (default: the stored report's, or the last 28 days).
      --language en|nl       The page's language (default en).
    """,
    flags: ["fetch"]
) { arguments in
    let dir = try directory(&arguments)
    let out = try arguments.required("out", "FILE.html")
    let fetch = arguments.flag("fetch")
    func day(_ name: String) throws -> DayNumber? {
        guard let text = arguments.option(name) else { return nil }
        guard let day = try? DayNumber(supported: text) else { throw UsageError("--\(name) '\(text)' is not a supported date; write YYYY-MM-DD in the range \(DayNumber.supportedRangeText)") }
        return day
    }
    let from = try day("from"), to = try day("to")
    let languageName = arguments.option("language") ?? "en"
    guard let language = ReportLanguage(rawValue: languageName) else { throw UsageError("--language must be en or nl") }
    try arguments.checkAllConsumed()
    let store = try NodeStore.open(dir)
    if fetch {
        guard let from, let to else { throw UsageError("--fetch needs --from and --to") }
        let url = try coordinatorURL(&arguments, store: store)
        try store.fetchReport(from: from.description, to: to.description, coordinator: url)
    }
    let model = try store.townReport(from: from, to: to)
    let html = TownReportPage.render(model, options: RenderOptions(language: language))
    do {
        try html.write(toFile: out, atomically: true, encoding: .utf8)
    } catch {
        throw NodeError(.io, "cannot write \(out): \(error.localizedDescription)")
    }
    print("Wrote \(out)\(model.notes.isEmpty ? "" : "\n" + model.notes.joined(separator: "\n"))")
}

let verifyCommand = Command(
    name: "verify", abstract: "Check the coordinator's transparency log: signature, history, and every acknowledged submission.",
    usage: "verify --dir DIR [--coordinator URL] [--from DATE --to DATE] [--json]",
    help: """
    Fetches the tenant's latest log checkpoint and checks, with the pinned coordinator key
    (Federation/PROTOCOL.md §8.3):
      - its signature and origin (<coordinator>/townbench/<tenant>, as stored before);
      - consistency with the last checkpoint this node stored (history was not rewritten; equal
        sizes with different roots are a split view);
      - the inclusion of every acknowledged submission, by the exact bytes in the outbox (a
        missing one was dropped; another leaf hash means the stored envelope was altered);
      - the network report's signature and the log state it names (consistent with the checkpoint).
    The new checkpoint is stored only when everything passed. On any failure every reason is
    printed, nothing is stored, and the exit code is 65.

    OPTIONS:
      --dir DIR              The node's directory (needs `configure --coordinator-key` and `--token-file`).
      --coordinator URL      The coordinator (default: the one remembered by push).
      --from DATE, --to DATE The report's period (default: the stored report's, else the last acknowledged week).
      --json                 Print the result as JSON.
    """
) { arguments in
    let dir = try directory(&arguments)
    let store = try NodeStore.open(dir)
    let url = try coordinatorURL(&arguments, store: store)
    let from = arguments.option("from"), to = arguments.option("to")
    for (flag, value) in [("from", from), ("to", to)] {
        if let value, (try? DayNumber(supported: value)) == nil { throw UsageError("--\(flag) '\(value)' is not a supported date; write YYYY-MM-DD in the range \(DayNumber.supportedRangeText)") }
    }
    guard (from == nil) == (to == nil) else { throw UsageError("give both --from and --to, or neither") }
    let json = arguments.flag("json")
    try arguments.checkAllConsumed()
    let result = try store.verifyLog(coordinator: url, reportPeriod: from.flatMap { f in to.map { (f, $0) } })
    if json { try printJSON(result) } else { print(result.text, terminator: "") }
    if !result.passed {
        throw NodeError(.verificationFailed, "the coordinator's log failed verification: \(result.failures.map(\.message).joined(separator: "; ")). The new checkpoint was not stored; keep this output as evidence and raise it with the coordinator's operator and the other towns")
    }
}

let checkpointCommand = Command(
    name: "checkpoint", abstract: "Show this node's verified log checkpoint, or compare another town's with it.",
    subcommands: [
        Command(
            name: "show", abstract: "Print the latest verified checkpoint's signed note, exactly as the coordinator signed it.",
            usage: "show --dir DIR [--json]",
            help: """
            Save the output to a file and give it to another town of the tenant: it runs
            `townbench-node checkpoint compare --dir ITS_DIR FILE` to check both towns see one log.

            OPTIONS:
              --dir DIR   The node's directory.
              --json      Print origin, size, root, note, verifier key and when it was verified as JSON.
            """
        ) { arguments in
            let dir = try directory(&arguments)
            let json = arguments.flag("json")
            try arguments.checkAllConsumed()
            let store = try NodeStore.open(dir)
            guard let checkpoint = try store.latestCheckpoint() else {
                throw NodeError(.noCheckpoint, "no verified checkpoint is stored yet: run `townbench-node verify --dir \(dir.path)` first")
            }
            if json { return try printJSON(checkpoint) }
            FileHandle.standardOutput.write(Data(checkpoint.note.utf8))
        },
        Command(
            name: "compare", abstract: "Check another town's checkpoint note against this node's: same log, or proof of a split view.",
            usage: "compare --dir DIR [--coordinator URL] [--json] FILE",
            help: """
            FILE is the output of `townbench-node checkpoint show` on another town's node of the
            same tenant. Its signature must verify with the pinned coordinator key and its origin
            must be this node's. Equal sizes with different roots prove a split view (the
            coordinator showed the towns different logs). Different sizes: the coordinator must
            prove the smaller log is a prefix of the larger (consistency proof); if it cannot,
            that is a split view or rewritten history. Exit code 65 when the check fails.

            OPTIONS:
              --dir DIR           The node's directory (run `verify` first).
              --coordinator URL   The coordinator (default: the one remembered by push); needed for different sizes.
              --json              Print the comparison as JSON.
            """
        ) { arguments in
            let dir = try directory(&arguments)
            let store = try NodeStore.open(dir)
            let given = arguments.option("coordinator")
            let json = arguments.flag("json")
            let file = try arguments.single("FILE")
            try arguments.checkAllConsumed(positionals: 1)
            let note: String
            do { note = try String(contentsOfFile: file, encoding: .utf8) } catch {
                throw NodeError(.io, "cannot read \(file): \(error.localizedDescription)")
            }
            let comparison = try store.compareCheckpoint(note: note) { try coordinatorURL(given: given, store: store) }
            if json { try printJSON(comparison) } else { print(comparison.message) }
        },
    ])

runCommandLine(
    executable: "townbench-node", version: townBenchVersion,
    root: Command(
        name: "townbench-node",
        abstract: "A TownBench town node: keeps the town's sensor data local and shares signed aggregates.",
        subcommands: [initCommand, sensorsCommand, importCommand, statusCommand, indicatorsCommand, configureCommand,
                      aggregatesCommand, enrollRequestCommand, keysCommand, pushCommand, outboxCommand, verifyCommand, checkpointCommand,
                      simulateCommand, reportCommand]))
