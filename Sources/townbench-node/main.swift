// townbench-node: the town node's admin CLI. Imports vendor exports into the node's local store,
// shows what it holds, and (with later commands) computes indicators and pushes signed aggregates.
public import CLIKit
import Foundation
public import Node
import Indicators
public import Reports

extension NodeError: ExitCodeProviding {
    public var exitCode: Int32 {
        if code == .invalidArgument { return 64 }
        // 3: partly done (an import that set rows aside, a push some networks did not take).
        if code == .rowsRejected || code == .partialFailure { return 3 }
        return isDataError ? 65 : 1
    }
}

let dirOption = Option<URL>("dir", "DIR", "The node's directory.", required: true, hint: "the node's directory") {
    URL(fileURLWithPath: $0, isDirectory: true)
}
let jsonFlag = Flag.json("Print as JSON.")

/// A local day `--name` names, in the range the node supports: the one date parser of the CLI.
func supportedDay(_ name: String, _ text: String) throws -> DayNumber {
    guard let day = try? DayNumber(supported: text) else {
        throw UsageError("--\(name) '\(text)' is not a supported date; write YYYY-MM-DD in the range \(DayNumber.supportedRangeText)")
    }
    return day
}

let fromOption = Option<DayNumber>("from", "DATE", "The period's first local day (YYYY-MM-DD).") { try supportedDay("from", $0) }
let toOption = Option<DayNumber>("to", "DATE", "The period's last local day (YYYY-MM-DD).") { try supportedDay("to", $0) }

/// `--from DATE --to DATE`, each a supported day, either may be absent.
let daysOptions = OptionGroup<(from: DayNumber?, to: DayNumber?)>([fromOption.spec, toOption.spec]) { arguments in
    (try arguments(fromOption), try arguments(toOption))
}

/// An http(s) `--coordinator` URL; remembered for its network only when the command runs (after every check).
let coordinatorOption = Option<URL>("coordinator", "URL", "The network's coordinator (default: the one configured).") { given in
    guard let url = URL(string: given), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
        throw UsageError("--coordinator '\(given)' is not an http(s) URL, e.g. https://coordinator.example.org/")
    }
    return url
}

func report(_ summary: ImportSummary, json: Bool) throws {
    if json { return try printJSON(summary) }
    if let detected = summary.detected { print("\(summary.file): detected \(detected)") }
    print("\(summary.file): \(summary.rowsRead) rows read, \(summary.rowsInserted) new, \(summary.rowsUnchanged) unchanged, \(summary.rowsReplaced) replaced"
          + (summary.rowsRejected.map { ", \($0) refused" } ?? ""))
}

let townOption = Option<String>("town", "TOWN_ID", "The town's id in the network, e.g. harelbeke.", required: true)
let tenantOption = Option<String>("tenant", "TENANT_ID", "The network (tenant) the town reports to, e.g. daks-west-flanders.", required: true)
let timeZoneOption = Option<String>("time-zone", "ZONE", "IANA zone of the town's days and hours (default Europe/Brussels).")

let initCommand = Command(
    name: "init", abstract: "Create a node: its local store and its Ed25519 signing key.",
    options: [dirOption.help("Directory of the new node (created if missing; refused if it holds a node)."), townOption, tenantOption, timeZoneOption]
) { arguments in
    let dir = try arguments.required(dirOption)
    let town = try arguments.required(townOption)
    let tenant = try arguments.required(tenantOption)
    let zone = try arguments(timeZoneOption) ?? "Europe/Brussels"
    return {
        let store = try NodeStore.create(in: dir, town: town, tenant: tenant, timeZone: zone)
        let status = try store.status()
        print("Created node for \(town) (tenant \(tenant), \(zone)) in \(dir.path)")
        print("Signing key \(status.keyID ?? "?"); the private key is \(NodeStore.keysURL(in: dir).path)/signing.key (mode 0600).")
    }
}

/// `import FILE.csv` of a declaration file (sensors and zones, parking sites): the same options,
/// parsing and summary for each; `replaceHelp` says what `--replace` changes.
func declarationImportCommand(abstract: String, discussion: String, replaceHelp: String,
                              _ importFile: @escaping @Sendable (NodeStore, String, ImportOptions) throws -> ImportSummary) -> Command {
    let replace = Flag("replace", replaceHelp)
    return Command(
        name: "import", abstract: abstract, discussion: discussion,
        options: [dirOption, replace, Flag.json("Print the summary as JSON.")],
        positionals: [Positional("FILE.csv")]
    ) { arguments in
        let dir = try arguments.required(dirOption)
        let options = ImportOptions(replace: arguments(replace))
        let json = arguments(jsonFlag)
        let file = arguments.positionals[0]
        return { try report(try importFile(try NodeStore.open(dir), file, options), json: json) }
    }
}

let sensorsCommand = Command(
    name: "sensors", abstract: "Declare the town's zones and sensors.",
    subcommands: [
        declarationImportCommand(
            abstract: "Import zones and sensors from a CSV (all or nothing, idempotent).",
            discussion: """
            The CSV has the header sensor,zone,zone_kind,kind,vendor and optionally
            paired_street_sensor,latitude,longitude,installed,removed (see README, "Data formats").
            """,
            replaceHelp: "Change stored sensors and zones whose attributes differ (otherwise an error)."
        ) { store, file, options in try store.importSensors(file, options: options) },
    ])

extension ImportFormat: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument) }
    public static var expectation: String { "one of: \(allCases.map(\.rawValue).joined(separator: ", "))" }
}

let formatOption = Option<ImportFormat>("format", "FORMAT", "One of the formats above.", required: true,
                                        hint: ImportFormat.allCases.map(\.rawValue).joined(separator: ", "))
let replaceFlag = Flag("replace", "Overwrite stored rows whose values differ (otherwise such a row is an error).")

extension TableLayout: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument) }
    public static var expectation: String { "long or wide" }
}

let delimiterOption = Option<UInt8>("delimiter", "comma|semicolon|tab", "CSV separator (default: decided from the header line).") { text in
    guard let byte = NumberFormat.separatorByte(text), [UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "\t")].contains(byte) else {
        throw UsageError("--delimiter must be comma, semicolon or tab, not '\(text)'")
    }
    return byte
}
let decimalOption = Option<UInt8>("decimal", "comma|point", "The decimal mark (default: either; a mark before exactly 3 digits is then an error).") { text in
    guard let byte = NumberFormat.separatorByte(text), [UInt8(ascii: ","), UInt8(ascii: ".")].contains(byte) else {
        throw UsageError("--decimal must be comma or point, not '\(text)'")
    }
    return byte
}
let thousandsOption = Option<UInt8>("thousands", "point|comma|space|apostrophe", "The thousands separator, if the file groups digits (default: none).") { text in
    guard let byte = NumberFormat.separatorByte(text), [UInt8(ascii: ","), UInt8(ascii: "."), UInt8(ascii: " "), UInt8(ascii: "'")].contains(byte) else {
        throw UsageError("--thousands must be point, comma, space or apostrophe, not '\(text)'")
    }
    return byte
}
let layoutOption = Option<TableLayout>("layout", "long|wide", "counts: one row per sensor and interval, or a time column and one column per sensor (default: from the header).")
let intervalMinutesOption = Option<Int>.integer("minutes", "N", "counts, wide layout: the minutes each line covers, 1–1440.", in: 1...1440)
let measureOption = Option<Measure>("measure", "NAME", "counts, wide layout: the measure of every column (default: pedestrians or entries, from the sensor's kind).") { text in
    guard let measure = Measure(name: text) else { throw UsageError("--measure must be one of \(Measure.allCases.map(\.description).joined(separator: ", ")), not '\(text)'") }
    return measure
}
let sheetOption = Option<String>("sheet", "NAME", "XLSX: the sheet to read (default: the first).")
let rejectsOption = Option<String>("rejects", "FILE.csv", """
    Write each refused row (line, column, reason, row) to FILE.csv and import the others;
    exit code 3 when rows were refused (default: one bad row refuses the whole file).
    """)

let importCommand = Command(
    name: "import", abstract: "Import a vendor export or calendar file (all or nothing unless --rejects; idempotent).",
    discussion: """
    FORMATS (see README, "Data formats"):
      counts           CSV or XLSX sensor,start,minutes,measure,count[,direction], or wide:
                       a time column and one column per sensor (--minutes, --measure)
      telraam          JSON of Telraam's POST /v1/reports/traffic (hourly)
      spending         CSV or XLSX zone,start,minutes,sector,transactions,buyers,value_eur
      events           CSV or XLSX id,name,zone,start,end,kind
      school-holidays  CSV or XLSX name,first_day,last_day
      opening-hours    CSV zone,weekday,opens,closes (weekday mon…sun or a date; empty = closed)
      parking          CSV site,time,occupied,vacant,capacity (occupied or vacant; capacity optional)
      parking-datex    XML DATEX II ParkingStatusPublication (sites matched by datex_reference)
      visitor-origin   CSV zone,day,origin,visitors (own-municipality, neighbouring, rest-of-province, elsewhere)
      dwell-time       CSV zone,day,from_minutes,to_minutes,visitors (a histogram; to_minutes empty: open-ended)
      public-holidays  CSV or XLSX date,name: for every year with an imported holiday these replace the
                       computed Belgian calendar (the default in Europe/Brussels; elsewhere none until imported)
      weather          CSV or XLSX day,precipitation_mm,mean_temperature_c (KMI or Open-Meteo daily
                       export, columns renamed), shown beside events; 0–500 mm, −60–50 °C
    An XLSX workbook is recognised by its content; a CSV file's separator, byte order mark
    and layout are detected and reported. Exit codes: 0 imported, 3 imported except the rows
    written to --rejects, 64 usage error, 65 bad data (nothing imported), 1 other failure.
    """,
    options: [dirOption, formatOption, replaceFlag, delimiterOption, decimalOption, thousandsOption, layoutOption,
              intervalMinutesOption, measureOption, sheetOption, rejectsOption, Flag.json("Print the summary as JSON.")],
    positionals: [Positional("FILE")]
) { arguments in
    let dir = try arguments.required(dirOption)
    let format = try arguments.required(formatOption)
    var options = ImportOptions(replace: arguments(replaceFlag), showsProgress: standardErrorIsTerminal)
    options.delimiter = try arguments(delimiterOption)
    options.numbers = NumberFormat(decimalMark: try arguments(decimalOption), thousandsSeparator: try arguments(thousandsOption))
    if let mark = options.numbers.decimalMark, mark == options.numbers.thousandsSeparator {
        throw UsageError("--decimal and --thousands name the same character; a file uses one for each")
    }
    options.layout = try arguments(layoutOption)
    options.intervalMinutes = try arguments(intervalMinutesOption)
    options.measure = try arguments(measureOption)
    options.sheet = try arguments(sheetOption)
    options.rejectsPath = try arguments(rejectsOption)
    let json = arguments(jsonFlag)
    let file = arguments.positionals[0]
    return {
        let summary = try NodeStore.open(dir).importFile(file, format: format, options: options)
        try report(summary, json: json)
        if let rejected = summary.rowsRejected, rejected > 0, let rejects = options.rejectsPath {
            throw NodeError(.rowsRejected, "\(rejected) row(s) were refused and written to \(rejects) (line, column, reason); the other rows were imported. Correct those rows and import them again")
        }
    }
}

let exportFormatOption = Option<String>("format", "oslo", "The open-data format: oslo (JSON-LD in the OSLO profile Verkeersmetingen).", required: true) { text in
    guard text == "oslo" else { throw UsageError("--format must be oslo (the only open-data format so far), not '\(text)'") }
    return text
}
let exportOutOption = Option<String>("out", "FILE.jsonld", "Where to write the document (default: standard output).")
let baseIRIOption = Option<String>("base-iri", "IRI", "Prefix of the zones' and observations' IRIs, e.g. https://data.harelbeke.be/telling/ (default urn:townbench:TENANT:TOWN:).")

let exportCommand = Command(
    name: "export", abstract: "Write the town's counts as open data (OSLO Verkeersmetingen, JSON-LD).",
    discussion: """
    One observation (Verkeersmeting) per zone, mode and local day, and per local hour: the zone
    totals the node shares with the network (privacy rules applied), never a sensor's own rows;
    cells below the tenant's minimum are left out. Modes: pedestrians (voetganger), bikes
    (fietser), cars (klein). The document carries its own JSON-LD context.
    """,
    options: [dirOption, exportFormatOption, fromOption.required(), toOption.required(), exportOutOption, baseIRIOption]
) { arguments in
    let dir = try arguments.required(dirOption)
    _ = try arguments.required(exportFormatOption)
    let from = try arguments.required(fromOption), to = try arguments.required(toOption)
    guard from <= to else { throw UsageError("--from \(from) is after --to \(to)") }
    let out = try arguments(exportOutOption)
    let base = try arguments(baseIRIOption)
    return {
        let data = try NodeStore.open(dir).osloExport(period: from...to, base: base)
        guard let out else { return FileHandle.standardOutput.write(data + Data([10])) }
        do { try (data + Data([10])).write(to: URL(fileURLWithPath: out), options: .atomic) } catch {
            throw NodeError(.io, "cannot write \(out): \(error.localizedDescription). Check the directory and permissions")
        }
        print("Wrote \(out)")
    }
}

let statusCommand = Command(
    name: "status", abstract: "Show zones, sensors, data ranges, row counts and gaps.",
    options: [dirOption, Flag.json("Print as JSON with stable keys.")]
) { arguments in
    let dir = try arguments.required(dirOption)
    let json = arguments(jsonFlag)
    return {
        let status = try NodeStore.open(dir).status()
        if json { try printJSON(status) } else { print(status.text, terminator: "") }
    }
}

let indicatorOption = Option<String>("indicator", "ID", "One of the indicators above.", required: true,
                                     hint: "footfall-index, event-uplift, conversion-rate, hourly-profile, parking-occupancy, visitor-origin, dwell-time")
let indicatorVersionOption = Option<Int>("indicator-version", "N", "An older version of the definition (event-uplift 1: v1's range), so old figures recompute.") { text in
    guard let version = Int(text), version > 0 else { throw UsageError("--indicator-version '\(text)' must be a version number such as 1") }
    return version
}
let lagOption = Option<Int>("lag", "N", "Days between compared days (footfall-index; 364 year-on-year, 7 week-on-week).") { text in
    guard let value = Int(text), value > 0 else { throw UsageError("--lag '\(text)' must be a positive number of days") }
    return value
}
let zoneOption = Option<String>("zone", "Z", "Only the sensors of this zone.")
let eventOption = Option<String>("event", "EVENT_ID", "The event (event-uplift), as in the imported calendar.")
let levelOption = Option<Double>("level", "L", "The interval level of event-uplift v2, 0.5–0.99 (default 0.9).") { text in
    guard let level = Double(text), (0.5...0.99).contains(level) else {
        throw UsageError("--level '\(text)' must be a number between 0.5 and 0.99, e.g. 0.9")
    }
    return level
}
let calibrationFlag = Flag("calibration", "event-uplift v2: each ordinary day of the last year as a fake event (false-positive rate, detectable uplift).")
let openingHoursOption = Option<OpeningHours>("opening-hours", "H-H", "Shop opening hours on weekdays and Saturdays, e.g. 9-18 (hourly-profile).") { text in
    let parts = text.split(separator: "-").compactMap { Int($0) }
    guard parts.count == 2, parts[0] >= 0, parts[0] < parts[1], parts[1] <= 24 else {
        throw UsageError("--opening-hours '\(text)' must be two hours like 9-18")
    }
    return OpeningHours(weekday: parts[0]..<parts[1], saturday: parts[0]..<parts[1], sundayOrHoliday: nil)
}

let indicatorsCommand = Command(
    name: "indicators", abstract: "Compute a catalogue indicator locally from the town's own data.",
    discussion: """
    INDICATORS (see Indicators/ for their definitions):
      footfall-index   Like-for-like index against the same days --lag days earlier (default 364).
      event-uplift     Uplift of --event (or of --zone Z --from 'YYYY-MM-DD HH:MM' --to 'YYYY-MM-DD HH:MM',
                       local time, nothing recorded) against clean same-weekday days scaled by the same
                       weeks a year earlier, with an interval calibrated on the zone's ordinary days (v2).
                       --calibration --zone Z: the placebo test on the zone's last year instead.
      conversion-rate  Store entries ÷ passers-by per zone, over paired door and street counters.
      hourly-profile   Share of footfall per local hour, by weekday / Saturday / Sunday and holiday.
      parking-occupancy  Occupied ÷ capacity per hour and day, peak, hours ≥ 85 %, per site kind (--zone Z).
      visitor-origin   Local and hinterland share of visitors, small cells suppressed (--zone Z).
      dwell-time       Median stay from the dwell-time histogram (--zone Z).
    """,
    options: [dirOption, indicatorOption, indicatorVersionOption,
              OptionGroup<Void>([
                fromOption.spec.withHelp("The period's first local day, YYYY-MM-DD (default: the last 28 days with data);\nevent-uplift: the window's start, 'YYYY-MM-DD HH:MM' local time."),
                toOption.spec.withHelp("The period's last local day; event-uplift: the window's end."),
              ]) { _ in },
              lagOption, zoneOption, eventOption, levelOption, calibrationFlag, openingHoursOption,
              Flag.json("Print JSON with the indicator's id, version and coverage.")]
) { arguments in
    let dir = try arguments.required(dirOption)
    let id = try arguments.required(indicatorOption)
    // event-uplift's --from/--to are a local window with hours, unless it runs the placebo test.
    let calibration = arguments(calibrationFlag)
    let window = id == "event-uplift" && !calibration
    let windowFrom = window ? arguments.text("from") : nil, windowTo = window ? arguments.text("to") : nil
    if window, (windowFrom == nil) != (windowTo == nil) {
        throw UsageError("an event window needs both --from and --to, e.g. --from '2025-09-19 18:00' --to '2025-09-20 02:00'")
    }
    let days = window ? (from: nil, to: nil) : try arguments(daysOptions)
    var query = IndicatorQuery(indicator: id, from: days.from, to: days.to)
    query.windowFrom = windowFrom
    query.windowTo = windowTo
    query.calibration = calibration
    if let version = try arguments(indicatorVersionOption) { query.version = version }
    if let level = try arguments(levelOption) { query.level = level }
    if let lag = try arguments(lagOption) { query.lag = lag }
    query.zone = try arguments(zoneOption)
    query.eventID = try arguments(eventOption)
    if let hours = try arguments(openingHoursOption) { query.openingHours = hours }
    let json = arguments(jsonFlag)
    return {
        let report = try NodeStore.open(dir).computeIndicator(query)
        if json { try printJSON(report) } else { print(report.text, terminator: "") }
    }
}

let maxAttemptsOption = Option<Int>("max-attempts", "N", "Attempts per submission in this run (default 6).") { text in
    guard let n = Int(text), n >= 1 else { throw UsageError("--max-attempts must be a whole number ≥ 1") }
    return n
}
let sendOnlyFlag = Flag("send-only", "Queue nothing new; only send what is queued.")

let pushCommand = Command(
    name: "push", abstract: "Sign and queue the aggregates of every new or changed week, then send the queue.",
    discussion: """
    Each ISO week (Monday–Sunday, local days) with data up to yesterday becomes one signed
    submission, written to the outbox before anything is sent; a week whose aggregates changed
    since it was sent becomes a correction. Failures are retried with exponential backoff,
    honouring Retry-After; what cannot be sent stays queued for the next push.
    Without --network, every network gets its own submissions (its own privacy policy and
    sequence) at its own coordinator; one network failing does not stop the others, and the
    exit code is 3 when some networks were delivered and others not.
    """,
    options: [dirOption, networkOption,
              coordinatorOption.help("The network's coordinator, e.g. https://coordinator.example.org/ (remembered; needs one network)."),
              sendOnlyFlag, maxAttemptsOption, Flag.json("Print the summary as JSON (an array of networks when the node has several).")]
) { arguments in
    let dir = try arguments.required(dirOption)
    let name = try arguments(networkOption)
    let given = try arguments(coordinatorOption)
    var options = PushOptions()
    options.sendOnly = arguments(sendOnlyFlag)
    if let n = try arguments(maxAttemptsOption) { options.maximumAttempts = n }
    let json = arguments(jsonFlag)
    return {
        let store = try NodeStore.open(dir)
        let networks = try selectedNetworks(name, store)
        let results = try store.push(networks: networks, coordinator: given, options: options) { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        let several = try store.networks().count > 1
        if json {
            if several { try printJSON(results) } else if let only = results.first { try printJSON(only.summary) }
        } else {
            for result in results {
                let summary = result.summary
                let line = "\(summary.queued) queued, \(summary.acknowledged) acknowledged, \(summary.refused) refused, \(summary.pending) still pending"
                    + (summary.unconfirmed > 0 ? ", \(summary.unconfirmed) answered with a receipt for other bytes" : "")
                    + (summary.unqueued.isEmpty ? "" : ", \(summary.unqueued.count) week(s) not queued")
                    + (result.error == nil ? "" : ", FAILED")
                print(several ? "network \(result.network): \(line)" : line)
            }
        }
        if let problem = combined(results.map { ($0.network, pushProblem($0)) }, command: "push") { throw problem }
    }
}

let outboxCommand = Command(
    name: "outbox", abstract: "Show what is queued, acknowledged and refused (and why).",
    options: [dirOption, jsonFlag]
) { arguments in
    let dir = try arguments.required(dirOption)
    let json = arguments(jsonFlag)
    return {
        let entries = try NodeStore.open(dir).outbox()
        if json { return try printJSON(entries) }
        if entries.isEmpty { print("The outbox is empty: nothing has been queued yet (run push).") }
        let several = Set(entries.map(\.network)).count > 1
        for entry in entries {
            var line = (several ? "\(entry.network) " : "") + "#\(entry.sequence)  \(entry.periodFrom) – \(entry.periodTo)  \(entry.state)  \(entry.bytes) bytes  \(entry.attempts) attempt(s)"
            if entry.state == "refused", let error = entry.lastError { line += "\n     refused: \(error)" }
            if entry.state == "queued", let error = entry.lastError { line += "\n     last error: \(error)" }
            print(line)
        }
    }
}

let aggregatePeriodOption = Option<ClosedRange<DayNumber>>("period", "FROM[..TO]", "Local days, e.g. 2025-06-02..2025-06-08 (one day when TO is omitted).",
                                                           required: true) { text in
    let parts = text.components(separatedBy: "..")
    guard (1...2).contains(parts.count), let from = try? DayNumber(supported: parts[0]), let to = try? DayNumber(supported: parts.last ?? ""), from <= to else {
        throw UsageError("--period '\(text)' must be YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD, days in the range \(DayNumber.supportedRangeText)")
    }
    return from...to
}

let aggregatesCommand = Command(
    name: "aggregates", abstract: "Show exactly what would leave the machine for a period, before anything is sent.",
    discussion: """
    Prints the canonical JSON payload (RFC 8785) that push would sign for the period: per zone
    and local day, per-sensor sums under salted pseudonyms, coverage, day flags, hourly totals,
    conversion sums and spending sums, after the privacy rules of the network (--network). Only
    the header fields chosen when the submission is queued (submission id, sequence, created-at) differ.
    """,
    options: [dirOption, aggregatePeriodOption, oneNetworkOption, Flag.json("Accepted for symmetry: the output is always the payload's JSON.")]
) { arguments in
    let dir = try arguments.required(dirOption)
    let period = try arguments.required(aggregatePeriodOption)
    let name = try arguments(networkOption)
    return {
        let store = try NodeStore.open(dir)
        let bytes = try store.previewPayload(period: period, network: try oneNetwork(name, store))
        FileHandle.standardOutput.write(Data(bytes + [10]))
    }
}

let enrollRequestCommand = Command(
    name: "enroll-request", abstract: "Print the enrolment request for this node's key (give it to the coordinator's operator).",
    discussion: """
    The request names the town, the tenant and the public key, and is signed with the key itself
    (proof of possession). The operator runs `townbench-coordinator town enroll --tenant T FILE`.
    Each network enrols the same key under its own tenant: give --network for another one.
    """,
    options: [dirOption, oneNetworkOption]
) { arguments in
    let dir = try arguments.required(dirOption)
    let name = try arguments(networkOption)
    return {
        let store = try NodeStore.open(dir)
        FileHandle.standardOutput.write(Data(try store.enrolmentRequest(network: try oneNetwork(name, store)) + [10]))
    }
}

let keysCommand = Command(
    name: "keys", abstract: "Manage the node's signing key.",
    subcommands: [
        Command(
            name: "rotate", abstract: "Make a new signing key, announced in a statement signed by the old one.",
            discussion: """
            Prints the rotation statement (give it to the coordinator's operator). The new key signs
            every later submission; the old key file is kept. A node in several networks writes one
            statement per network (its tenant) to DIR/rotation-NETWORK.json and prints their paths.
            """,
            options: [dirOption]
        ) { arguments in
            let dir = try arguments.required(dirOption)
            return {
                let statements = try NodeStore.open(dir).rotateKey()
                if statements.count == 1, let only = statements.first {
                    return FileHandle.standardOutput.write(Data(only.statement + [10]))
                }
                for (network, statement) in statements {
                    let file = dir.appendingPathComponent("rotation-\(network).json")
                    do {
                        try Data(statement + [10]).write(to: file)
                        print("network \(network): \(file.path)")
                    } catch {
                        // The new key is active already: the statement must not be lost.
                        print("network \(network) (cannot write \(file.path): \(error.localizedDescription)):")
                        FileHandle.standardOutput.write(Data(statement + [10]))
                    }
                }
            }
        },
    ])

let coordinatorKeyOption = Option<String>("coordinator-key", "HEX", "Pin the coordinator's report-signing key (as `townbench-coordinator init` printed it).") { hex in
    _ = try NodeStore.coordinatorKey(hex)
    return hex
}
let tokenFileOption = Option<String>("token-file", "FILE", "A file holding the town token the coordinator's operator issued (kept mode 0600).") { file in
    guard let token = try? String(contentsOfFile: file, encoding: .utf8), !token.isEmpty else {
        throw UsageError("--token-file '\(file)' cannot be read")
    }
    return token
}
func minimumOption(_ name: String, _ help: String) -> Option<Int> {
    Option<Int>(name, "N", help) { text in
        guard let n = Int(text), n >= 1 else { throw UsageError("--\(name) must be a whole number ≥ 1") }
        return n
    }
}
let telraamKeyFileOption = Option<String>("telraam-key-file", "FILE", "A file holding the Telraam API key (kept mode 0600 in the node's keys/).") { file in
    guard let key = try? String(contentsOfFile: file, encoding: .utf8), !key.isEmpty else {
        throw UsageError("--telraam-key-file '\(file)' cannot be read")
    }
    return key
}
let telraamURLOption = Option<URL>("telraam-url", "URL", "The Telraam API's base URL (default \(NodeStore.defaultTelraamURL.absoluteString)).") { given in
    guard let url = URL(string: given), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
        throw UsageError("--telraam-url '\(given)' is not an http(s) URL, e.g. \(NodeStore.defaultTelraamURL.absoluteString)")
    }
    return url
}
let minStoreEntriesOption = minimumOption("min-store-entries", "Store-entry cells below N are suppressed before signing (tenant policy; default 10).")
let minSpendingBuyersOption = minimumOption("min-spending-buyers", "Spending cells with fewer buyers are suppressed (tenant policy; default 10).")
let minOriginVisitorsOption = minimumOption("min-origin-visitors", "Visitor-origin cells below N are suppressed, for every network (default 10).")

let configureNetworkOption = Option<String>("network", "NAME", "The network to add or change (default: the one named default, or the only one).")
let networkTenantOption = Option<String>("tenant", "TENANT_ID", "The network's tenant (needed to add a network), e.g. west-flanders.")

let configureCommand = Command(
    name: "configure", abstract: "Add or change a network (coordinator, key, token, privacy minimums), or the node's vendor settings.",
    discussion: """
    A town can report to several networks (tenants, on one or several coordinators): each
    --network NAME has its own coordinator, pinned key, town token (kept mode 0600) and privacy
    minimums, applied to what goes to that network only. `networks` lists them.
    --min-origin-visitors and the Telraam settings belong to the node and apply to every network.
    """,
    options: [dirOption, configureNetworkOption, networkTenantOption, coordinatorOption.help("The coordinator's base URL."),
              coordinatorKeyOption, tokenFileOption, minStoreEntriesOption, minSpendingBuyersOption, minOriginVisitorsOption,
              telraamKeyFileOption, telraamURLOption]
) { arguments in
    // Every value is read and checked here, so a mistake anywhere on the line changes nothing.
    let dir = try arguments.required(dirOption)
    let name = try arguments(configureNetworkOption)
    var change = NetworkChange()
    change.tenant = try arguments(networkTenantOption)
    change.coordinator = try arguments(coordinatorOption)
    change.coordinatorKey = try arguments(coordinatorKeyOption).map { try NodeStore.coordinatorKey($0) }
    change.token = try arguments(tokenFileOption)
    change.minimumStoreEntries = try arguments(minStoreEntriesOption)
    change.minimumSpendingBuyers = try arguments(minSpendingBuyersOption)
    let originMinimum = try arguments(minOriginVisitorsOption)
    let telraamKey = try arguments(telraamKeyFileOption)
    let telraamURL = try arguments(telraamURLOption)
    let nodeSettingsOnly = name == nil && change.tenant == nil && change.coordinator == nil && change.coordinatorKey == nil
        && change.token == nil && change.minimumStoreEntries == nil && change.minimumSpendingBuyers == nil
        && (originMinimum != nil || telraamKey != nil || telraamURL != nil)
    return {
        let store = try NodeStore.open(dir)
        if let originMinimum { try store.setSetting("privacy_min_origin_visitors", String(originMinimum)) }
        if let telraamKey { try store.saveTelraamKey(telraamKey) }
        if let telraamURL { try store.setSetting("telraam_url", telraamURL.absoluteString) }
        if originMinimum != nil { print("privacy: origin visitors ≥ \(try store.minimumOriginVisitors) (every network)") }
        if telraamKey != nil || telraamURL != nil { print("telraam: settings saved") }
        if nodeSettingsOnly { return }
        let target = name ?? ((try? store.defaultNetwork())?.name ?? Network.defaultName)
        let network = try store.configureNetwork(target, change)
        if let key = change.coordinatorKey { print("pinned coordinator key \(key.keyID)") }
        print("network \(network.name): tenant \(network.tenant)")
        print("coordinator: \(network.coordinator?.absoluteString ?? "not set")")
        print("privacy: store entries ≥ \(network.privacy.minimumStoreEntries), spending buyers ≥ \(network.privacy.minimumSpendingBuyers)")
    }
}

let yearsOption = Option<Int>("years", "N", "Whole years of data ending on --end (default 2).") { text in
    guard let years = Int(text), (1...20).contains(years) else { throw UsageError("--years must be a whole number from 1 to 20") }
    return years
}
let endOption = Option<DayNumber>("end", "DATE", "Last local day (default yesterday).") { try supportedDay("end", $0) }
let seedOption = Option<UInt64>("seed", "N", "Random seed (default 1).") { text in
    guard let seed = UInt64(text) else { throw UsageError("--seed must be a whole number ≥ 0") }
    return seed
}

let simulateCommand = Command(
    name: "simulate", abstract: "Fill a demo node with realistic simulated data for its town (no real vendor data needed).",
    discussion: """
    Writes sensors, hourly counts, store entries, vehicle counts, events and school holidays for
    the node's town (a DAKS 2.0 or Lokaal 3D preset: \(SimulatedTown.presets.map(\.id).joined(separator: ", ")))
    into DIR/simulated/ and imports them, as an admin would import vendor exports. The same seed
    gives the same data; every town simulated with one seed shares its weather.
    """,
    options: [dirOption.help("The node's directory (init it first with the town's id)."), yearsOption, endOption, seedOption,
              Flag.json("Print the summary as JSON.")]
) { arguments in
    let dir = try arguments.required(dirOption)
    let years = try arguments(yearsOption) ?? 2
    let end = try arguments(endOption)
    let seed = try arguments(seedOption) ?? 1
    let json = arguments(jsonFlag)
    return {
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
}

extension ReportLanguage: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument) }
    public static var expectation: String { "en or nl" }
}

let outFileOption = Option<String>("out", "FILE.html", "Where to write the page.", required: true)
let fetchFlag = Flag("fetch", """
    First fetch and verify the network report for the period (needs
    `configure --coordinator-key` and `--token-file`).
    """)
let languageOption = Option<ReportLanguage>("language", "en|nl", "The page's language (default en).")

let reportCommand = Command(
    name: "report", abstract: "Render the town-against-peers page offline from local data and the latest verified network report.",
    discussion: """
    The page shows the town's own footfall index, events, hourly profile and conversion, computed
    here from its raw data, beside the network's figures from the latest coordinator report whose
    signature verified with the pinned coordinator key. Nothing is sent.
    """,
    options: [dirOption, outFileOption, oneNetworkOption, fetchFlag,
              coordinatorOption.help("With --fetch: the network's coordinator (default: the one configured)."),
              OptionGroup(daysOptions.specs.map { $0.withHelp($0.name == "from" ? "The period's first day (default: the stored report's, or the last 28 days)." : "The period's last day.") },
                          read: daysOptions.read),
              languageOption]
) { arguments in
    let dir = try arguments.required(dirOption)
    let out = try arguments.required(outFileOption)
    let fetch = arguments(fetchFlag)
    let name = try arguments(networkOption)
    let given = try arguments(coordinatorOption)
    let (from, to) = try arguments(daysOptions)
    let language = try arguments(languageOption) ?? .en
    if fetch && (from == nil || to == nil) { throw UsageError("--fetch needs --from and --to") }
    if given != nil && !fetch { throw UsageError("--coordinator is only for --fetch") }
    return {
        let store = try NodeStore.open(dir)
        let network = try oneNetwork(name, store)
        if fetch, let from, let to {
            try store.fetchReport(from: from.description, to: to.description, network: network,
                                  client: try store.client(for: network, coordinator: given))
        }
        let model = try store.townReport(from: from, to: to, network: try store.network(network.name))
        let html = TownReportPage.render(model, options: RenderOptions(language: language))
        do {
            try html.write(toFile: out, atomically: true, encoding: .utf8)
        } catch {
            throw NodeError(.io, "cannot write \(out): \(error.localizedDescription)")
        }
        print("Wrote \(out)\(model.notes.isEmpty ? "" : "\n" + model.notes.joined(separator: "\n"))")
    }
}

let verifyCommand = Command(
    name: "verify", abstract: "Check the coordinator's transparency log: signature, history, and every acknowledged submission.",
    discussion: """
    Fetches the tenant's latest log checkpoint and checks, with the pinned coordinator key
    (Federation/PROTOCOL.md §8.3):
      - its signature and origin (<coordinator>/townbench/<tenant>, as stored before);
      - consistency with the last checkpoint this node stored (history was not rewritten; equal
        sizes with different roots are a split view);
      - the inclusion of every acknowledged submission, by the exact bytes in the outbox (a
        missing one was dropped; another leaf hash means the stored envelope was altered);
      - the network report's signature and the log state it names (consistent with the checkpoint).
    The new checkpoint is stored only when everything passed. On any failure every reason is
    printed, nothing is stored, and the exit code is 65. Without --network, every network's log
    is verified in turn (each under a "Network NAME" heading when there are several).
    """,
    options: [dirOption.help("The node's directory (needs `configure --coordinator-key` and `--token-file`)."), networkOption,
              coordinatorOption.help("The network's coordinator (default: the one configured; needs one network)."),
              OptionGroup(daysOptions.specs.map { $0.withHelp($0.name == "from" ? "The report period's first day (default: the stored report's, else the last acknowledged week)." : "The report period's last day.") },
                          read: daysOptions.read),
              Flag.json("Print the result as JSON.")]
) { arguments in
    let dir = try arguments.required(dirOption)
    let name = try arguments(networkOption)
    let given = try arguments(coordinatorOption)
    let (from, to) = try arguments(daysOptions)
    guard (from == nil) == (to == nil) else { throw UsageError("give both --from and --to, or neither") }
    let json = arguments(jsonFlag)
    return {
        let store = try NodeStore.open(dir)
        let networks = try selectedNetworks(name, store)
        if given != nil && networks.count != 1 {
            throw UsageError("--coordinator names one network's coordinator, but this node has \(networks.count) networks; add --network NAME")
        }
        let several = try store.networks().count > 1
        var results: [String: LogVerification] = [:]
        var problems: [(network: String, error: NodeError?)] = []
        for network in networks {
            do {
                let client = try store.client(for: network, coordinator: given)
                let result = try store.verifyLog(network: network, client: client,
                                                 reportPeriod: from.flatMap { f in to.map { (f.description, $0.description) } })
                results[network.name] = result
                if !json { print((several ? "Network \(network.name) (tenant \(network.tenant)):\n" : "") + result.text, terminator: "") }
                problems.append((network.name, result.passed ? nil : NodeError(.verificationFailed, "the coordinator's log failed verification: \(result.failures.map(\.message).joined(separator: "; ")). The new checkpoint was not stored; keep this output as evidence and raise it with the coordinator's operator and the other towns")))
            } catch let error as NodeError where networks.count > 1 {
                if !json { print("Network \(network.name) (tenant \(network.tenant)):\nNot checked: \(error.message)") }
                problems.append((network.name, error))
            }
        }
        if json {
            if several { try printJSON(results) } else if let only = results.values.first { try printJSON(only) }
        }
        // A failed verification (exit 65) outweighs a network that could not be checked.
        if networks.count > 1, problems.contains(where: { $0.error?.code == .verificationFailed }) {
            let failed = problems.filter { $0.error?.code == .verificationFailed }.map(\.network)
            throw NodeError(.verificationFailed, "the coordinator's log failed verification for network(s) \(failed.joined(separator: ", ")) (see above). Their new checkpoints were not stored; keep this output as evidence and raise it with the coordinators' operators and the other towns")
        }
        if let problem = combined(problems, command: "verify") { throw problem }
    }
}

let checkpointCommand = Command(
    name: "checkpoint", abstract: "Show this node's verified log checkpoint, or compare another town's with it.",
    subcommands: [
        Command(
            name: "show", abstract: "Print the latest verified checkpoint's signed note, exactly as the coordinator signed it.",
            discussion: """
            Save the output to a file and give it to another town of the tenant: it runs
            `townbench-node checkpoint compare --dir ITS_DIR FILE` to check both towns see one log.
            """,
            options: [dirOption, oneNetworkOption, Flag.json("Print origin, size, root, note, verifier key and when it was verified as JSON.")]
        ) { arguments in
            let dir = try arguments.required(dirOption)
            let name = try arguments(networkOption)
            let json = arguments(jsonFlag)
            return {
                let store = try NodeStore.open(dir)
                guard let checkpoint = try store.latestCheckpoint(network: try oneNetwork(name, store)) else {
                    throw NodeError(.noCheckpoint, "no verified checkpoint is stored yet: run `townbench-node verify --dir \(dir.path)` first")
                }
                if json { return try printJSON(checkpoint) }
                FileHandle.standardOutput.write(Data(checkpoint.note.utf8))
            }
        },
        Command(
            name: "compare", abstract: "Check another town's checkpoint note against this node's: same log, or proof of a split view.",
            discussion: """
            FILE is the output of `townbench-node checkpoint show` on another town's node of the
            same tenant. Its signature must verify with the pinned coordinator key and its origin
            must be this node's. Equal sizes with different roots prove a split view (the
            coordinator showed the towns different logs). Different sizes: the coordinator must
            prove the smaller log is a prefix of the larger (consistency proof); if it cannot,
            that is a split view or rewritten history. Exit code 65 when the check fails.
            """,
            options: [dirOption.help("The node's directory (run `verify` first)."), oneNetworkOption,
                      coordinatorOption.help("The network's coordinator (default: the one configured); needed for different sizes."),
                      Flag.json("Print the comparison as JSON.")],
            positionals: [Positional("FILE")]
        ) { arguments in
            let dir = try arguments.required(dirOption)
            let name = try arguments(networkOption)
            let given = try arguments(coordinatorOption)
            let json = arguments(jsonFlag)
            let file = arguments.positionals[0]
            return {
                let store = try NodeStore.open(dir)
                let note: String
                do { note = try String(contentsOfFile: file, encoding: .utf8) } catch {
                    throw NodeError(.io, "cannot read \(file): \(error.localizedDescription)")
                }
                let network = try oneNetwork(name, store)
                let comparison = try store.compareCheckpoint(note: note, network: network) { try store.client(for: network, coordinator: given) }
                if json { try printJSON(comparison) } else { print(comparison.message) }
            }
        },
    ])

let segmentOption = Option<[Int64]>("segment", "ID[,ID…]", "Telraam segment ids (default: every sensor named telraam-<id>).") { text in
    let ids = text.split(separator: ",").map { Int64($0.trimmingCharacters(in: .whitespaces)) }
    guard !ids.isEmpty, ids.allSatisfy({ ($0 ?? 0) > 0 }) else {
        throw UsageError("--segment '\(text)' must be Telraam segment ids separated by commas, e.g. 348917,9000001234")
    }
    return ids.compactMap { $0 }
}
let sinceOption = Option<DayNumber>("since", "DATE", "Where a segment without stored hours starts (local day; default 90 days ago).") { try supportedDay("since", $0) }
let ifConfiguredFlag = Flag("if-configured", "Do nothing (exit 0) when no Telraam key is stored (for the systemd unit).")

let parkingCommand = Command(
    name: "parking", abstract: "Declare the town's parking sites (their readings come with `import --format parking|parking-datex`).",
    subcommands: [
        Command(
            name: "sites", abstract: "Manage parking sites.",
            subcommands: [
                declarationImportCommand(
                    abstract: "Import parking sites from a CSV (all or nothing, idempotent).",
                    discussion: """
                    The CSV has the header site,zone,kind,capacity and optionally datex_reference:
                    kind is garage or on-street, the zone one declared with `sensors import`, and
                    datex_reference the parkingRecord id of the site in DATEX II publications.
                    """,
                    replaceHelp: "Change stored sites whose attributes differ (otherwise an error)."
                ) { store, file, options in try store.importParkingSites(file, options: options) },
            ]),
    ])

let fetchCommand = Command(
    name: "fetch", abstract: "Fetch counts straight from a vendor's API and import them.",
    subcommands: [
        Command(
            name: "telraam", abstract: "Fetch every new complete hour of Telraam segments (POST /v1/reports/traffic) and import it.",
            discussion: """
            Per segment, from the hour after the last one stored, asking again for the last 72
            hours (a device uploads late: Telraam revises recent hours, and a revised hour replaces
            the stored one). UTC hours, requests of at most 90 days, about one a second. HTTP 429
            and 5xx are retried after Retry-After or a backoff (at most 2 minutes, 6 attempts). Each
            answer is kept in DIR/fetched/telraam/ for 30 days and imported like `import --format
            telraam` (uptime and the four modes, directions kept).
            Needs `configure --telraam-key-file FILE`; `configure --telraam-url` changes the API.
            """,
            options: [dirOption, segmentOption, sinceOption, ifConfiguredFlag, Flag.json("Print the summary as JSON.")]
        ) { arguments in
            let dir = try arguments.required(dirOption)
            var options = TelraamFetchOptions()
            options.segments = try arguments(segmentOption) ?? []
            let since = try arguments(sinceOption)
            let ifConfigured = arguments(ifConfiguredFlag)
            let json = arguments(jsonFlag)
            return {
                let store = try NodeStore.open(dir)
                if ifConfigured && !store.hasTelraamKey {
                    if !json { print("no Telraam key configured: nothing fetched") }
                    if json { try printJSON(TelraamFetchSummary()) }
                    return
                }
                if let since { options.firstStart = LocalClock(timeZone: store.timeZone).startOfDay(since) }
                let summary = try store.fetchTelraam(options: options) { line in
                    FileHandle.standardError.write(Data((line + "\n").utf8))
                }
                if json { return try printJSON(summary) }
                for segment in summary.segments {
                    if let from = segment.from, let to = segment.to {
                        print("segment \(segment.segment): \(from) – \(to): \(segment.requests) request(s), \(segment.rowsRead) rows read, \(segment.rowsInserted) new, \(segment.rowsUnchanged) unchanged, \(segment.rowsReplaced) revised")
                    } else {
                        print("segment \(segment.segment): up to date")
                    }
                }
            }
        },
    ])

runCommandLine(
    executable: "townbench-node", version: townBenchVersion,
    root: Command(
        name: "townbench-node",
        abstract: "A TownBench town node: keeps the town's sensor data local and shares signed aggregates.",
        subcommands: [initCommand, sensorsCommand, importCommand, statusCommand, indicatorsCommand, configureCommand,
                      aggregatesCommand, enrollRequestCommand, keysCommand, networksCommand, pushCommand, outboxCommand, verifyCommand, checkpointCommand,
                      simulateCommand, reportCommand, exportCommand, fetchCommand, parkingCommand]))
