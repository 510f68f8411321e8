// townbench-coordinator: serve the coordinator API and administer tenants, towns, keys and tokens.
public import CLIKit
public import Coordinator
import Federation
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import HTTPServer
import Synchronization

extension CoordinatorError: ExitCodeProviding {
    public var exitCode: Int32 {
        switch code {
        case .invalidArgument: 64
        case .refused: 65
        default: 1
        }
    }
}

/// Where a command's store lives: the coordinator's directory (`--dir`, which holds the signing
/// keys and the SQLite store) and, with `--database postgres://…` (or `TOWNBENCH_DATABASE`), a
/// PostgreSQL store instead of the SQLite file.
struct StoreLocation: Sendable {
    var directory: URL
    var database: String?

    /// Opens the directory and the store, runs `body`, and closes the store on every path. A
    /// failing close is reported, not thrown: what `body` did was committed already.
    func withStore<T>(_ body: (CoordinatorDirectory, any CoordinatorStore) throws -> T) throws -> T {
        let dir = try openDirectory()
        let store = try CoordinatorDatabase.open(database, directory: dir)
        defer { closeReportingFailure(store) }
        return try body(dir, store)
    }

    /// The coordinator directory of `--dir`; the library's error, told in the command line's terms.
    func openDirectory() throws -> CoordinatorDirectory {
        do {
            return try CoordinatorDirectory.open(directory)
        } catch let error as CoordinatorError where error.code == .directory {
            throw CoordinatorError(.directory, "--dir \(directory.path): \(error.message) (`townbench-coordinator init --dir \(directory.path)` creates one.)")
        }
    }
}

let dirOption = Option<URL>("dir", "DIR", "The coordinator's directory.", required: true, hint: "the coordinator's directory") {
    URL(fileURLWithPath: $0, isDirectory: true)
}

/// `--dir` and `--database`: every command that opens the store.
let storeOptions = OptionGroup<StoreLocation>([
    dirOption.spec,
    OptionSpec(name: "database", valueName: "URL",
               help: "A postgres:// URL: keep the store in PostgreSQL (or set TOWNBENCH_DATABASE).\nSeveral coordinators may share it."),
]) { arguments in
    let database = arguments.text("database") ?? ProcessInfo.processInfo.environment["TOWNBENCH_DATABASE"]
    // Validated with the other arguments, before the command does anything.
    if let database, !CoordinatorDatabase.isPostgres(database) {
        throw UsageError("--database (or TOWNBENCH_DATABASE) must be a postgres:// or postgresql:// URL, or left out for the directory's SQLite file")
    }
    return StoreLocation(directory: try arguments.required(dirOption), database: database)
}

/// Closes `store` where a failure can only be reported (a `defer`, or after the server stopped):
/// everything was committed already, so the command's outcome stands and the operator is told.
func closeReportingFailure(_ store: any CoordinatorStore) {
    do { try store.close() } catch {
        FileHandle.standardError.write(Data("Warning: \(error)\n".utf8))
    }
}

let tenantOption = Option<String>("tenant", "TENANT_ID", "The tenant.", required: true)
let jsonFlag = Flag.json("Print as JSON.")

func existingTenant(_ store: any CoordinatorStore, _ id: String) throws -> Tenant {
    guard let tenant = try store.tenant(.administrative(id)) else {
        throw CoordinatorError(.notFound, "Tenant \(id) does not exist. Add it with `townbench-coordinator tenant add --tenant \(id)`.")
    }
    return tenant
}

extension PeerNaming: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument) }
    public static var expectation: String { "named or anonymised" }
}

let peersOption = Option<PeerNaming>("peers", "POLICY", "How towns see their peers: named or anonymised.")

extension Date {
    /// Year, month and day of this instant in UTC.
    var civilUTC: (year: Int, month: Int, day: Int) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let c = calendar.dateComponents([.year, .month, .day], from: self)
        return (c.year ?? 1970, c.month ?? 1, c.day ?? 1)
    }
}

let coordinatorNameOption = Option<String>("name", "NAME", """
    The coordinator's public host name, e.g. coordinator.example.org (default
    townbench-coordinator). Every tenant's log checkpoint names it in its origin
    (NAME/townbench/TENANT), so choose it once.
    """)

let initCommand = Command(
    name: "init", abstract: "Create a coordinator: its store and its Ed25519 report-signing key.",
    options: [
        dirOption.help("Directory of the new coordinator (created if missing; refused if it holds one)."),
        coordinatorNameOption,
        Flag.json("Print the key id, public key and name as JSON."),
    ]
) { arguments in
    let url = try arguments.required(dirOption)
    let name = try arguments(coordinatorNameOption) ?? CoordinatorService.defaultName
    let json = arguments(jsonFlag)
    return {
        let dir: CoordinatorDirectory
        do {
            dir = try CoordinatorDirectory.create(at: url, name: name)
        } catch let error as CoordinatorError where error.code == .directory {
            throw CoordinatorError(.directory, "--dir \(url.path): \(error.message)")
        }
        let key = try dir.signingKey().publicKey
        if json { return try printJSON(CoordinatorService.keyDocument(key).merging(["name": name]) { a, _ in a }) }
        print("Created coordinator \(name) in \(url.path)")
        print("Report-signing key \(key.keyID), public key \(key) (nodes pin it; also at GET /v1/coordinator-key).")
        print("Checkpoint verifier key: \(try dir.checkpointSigner().verifierKey)")
    }
}

let nameOption = Option<String>("name", "NAME", "Display name (default: the id).")
let minStoreEntries = Option.integer("min-store-entries", "N", "Smallest store-entry count a node may send unsuppressed (≥ 10 recommended).", in: 0...1_000_000)
let minSpendingBuyers = Option.integer("min-spending-buyers", "N", "Smallest buyer count of a spending cell.", in: 0...1_000_000)
let maxAgeDays = Option.integer("max-age-days", "N", "Submissions created longer ago are refused (too_old); 7–3650, default 400.", in: 7...3650)

let tenantCommand = Command(
    name: "tenant", abstract: "Add a tenant (a regional network) or change its policy.",
    subcommands: [
        Command(
            name: "add", abstract: "Add a tenant.",
            options: [storeOptions, tenantOption.help("The tenant's id, e.g. daks-west-flanders."), nameOption,
                      peersOption.help("How towns see their peers: named or anonymised (default anonymised).")]
        ) { arguments in
            let location = try arguments(storeOptions)
            let id = try arguments.required(tenantOption)
            let name = try arguments(nameOption) ?? id
            let naming = try arguments(peersOption) ?? .anonymised
            return {
                try location.withStore { _, store in try store.addTenant(Tenant(id: id, name: name, peerNaming: naming)) }
                print("Added tenant \(id) (peers \(naming.rawValue)).")
            }
        },
        Command(
            name: "policy", abstract: "Show or change a tenant's policy.",
            options: [storeOptions, tenantOption, peersOption.help("named or anonymised peers for towns."),
                      minStoreEntries, minSpendingBuyers, maxAgeDays, Flag.json("Print the policy as JSON.")]
        ) { arguments in
            let location = try arguments(storeOptions)
            let id = try arguments.required(tenantOption)
            let naming = try arguments(peersOption)
            let entries = try arguments(minStoreEntries)
            let buyers = try arguments(minSpendingBuyers)
            let age = try arguments(maxAgeDays)
            let json = arguments(jsonFlag)
            return {
                let tenant = try location.withStore { _, store in
                    var tenant = try existingTenant(store, id)
                    if let naming { tenant.peerNaming = naming }
                    if let entries { tenant.privacy.minimumStoreEntries = entries }
                    if let buyers { tenant.privacy.minimumSpendingBuyers = buyers }
                    if let age { tenant.maximumAgeDays = age }
                    try store.updateTenant(tenant, .administrative(id))
                    return tenant
                }
                if json { return try printJSON(tenant) }
                print("Tenant \(id): peers \(tenant.peerNaming.rawValue), minimum store entries \(tenant.privacy.minimumStoreEntries), minimum spending buyers \(tenant.privacy.minimumSpendingBuyers), maximum age \(tenant.maximumAgeDays) days.")
            }
        },
    ])

let revokeAtOption = Option<Date>("at", "TIMESTAMP", "Revocation time, RFC 3339 UTC (default now); submissions not accepted before are refused.") { text in
    guard let parsed = Timestamp.parse(text) else { throw UsageError("--at must be RFC 3339 UTC like 2026-11-23T06:00:00Z") }
    return parsed
}

let keyOption = Option<String>("key", "KEY_ID", "The key id (32 hex digits).", required: true)

let townCommand = Command(
    name: "town", abstract: "Enrol a town's key or revoke it.",
    subcommands: [
        Command(
            name: "enroll", abstract: "Approve a town's enrolment request (checks the proof of possession, refuses weak keys).",
            discussion: "REQUEST.json is the signed enrolment request the town's node printed.",
            options: [storeOptions, tenantOption.help("The tenant the town joins; must match the request."),
                      nameOption.help("The town's display name (default: its id).")],
            positionals: [Positional("REQUEST.json")]
        ) { arguments in
            let location = try arguments(storeOptions)
            let id = try arguments.required(tenantOption)
            let name = try arguments(nameOption)
            let file = arguments.positionals[0]
            return {
                guard let bytes = FileManager.default.contents(atPath: file) else {
                    throw CoordinatorError(.invalidArgument, "Cannot read \(file). Give the path of the node's enrolment request.")
                }
                let (request, key): (EnrolmentRequest, Ed25519.PublicKey)
                switch EnrolmentRequest.verify([UInt8](bytes)) {
                case .failure(let refusal): throw CoordinatorError(refusal: refusal)
                case .success(let verified): (request, key) = verified
                }
                guard request.tenantId == id else {
                    throw CoordinatorError(refusal: Refusal(.wrongTenant, "the request is for tenant \(request.tenantId), not \(id)"))
                }
                try location.withStore { _, store in
                    _ = try existingTenant(store, id)
                    try store.addTown(Town(id: request.townId, name: name ?? request.townId), .administrative(id))
                    try store.enrol(KeyRecord(approving: request, key: key, at: Date()), .administrative(id))
                }
                print("Enrolled key \(key.keyID) for town \(request.townId) in tenant \(id).")
            }
        },
        Command(
            name: "revoke-key", abstract: "Revoke a town's key (never undone; the town enrols a new one).",
            options: [storeOptions, tenantOption,
                      keyOption, revokeAtOption]
        ) { arguments in
            let location = try arguments(storeOptions)
            let id = try arguments.required(tenantOption)
            let keyID = try arguments.required(keyOption)
            let at = try arguments(revokeAtOption) ?? Date()
            return {
                let (record, revoked) = try location.withStore { _, store in
                    guard let record = try store.keyRecord(id: keyID, .administrative(id)) else {
                        throw CoordinatorError(.notFound, "No key \(keyID) in tenant \(id).")
                    }
                    let revoked = record.revoked(at: at)
                    try store.updateKey(revoked, .administrative(id))
                    return (record, revoked)
                }
                if case .revoked(let when) = revoked.status {
                    print("Key \(keyID) of town \(record.townID) is revoked since \(Timestamp.format(when)).")
                }
            }
        },
    ])

extension Role: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument) }
    public static var expectation: String { "town, coordinator, admin or auditor" }
}

let roleOption = Option<Role>("role", "ROLE", """
    town (one town's view), coordinator (the tenant's towns), admin, or
    auditor (the tenant's log proofs and reports, nothing else).
    """, required: true, hint: "town, coordinator, admin or auditor")
let townOption = Option<String>("town", "TOWN_ID", "The town (required for role town, refused otherwise).")
let expiresOption = Option<Date>("expires", "WHEN", "RFC 3339 UTC time, or a duration such as 90d, 12h, 30m; at most 3650 days ahead.",
                                 required: true, hint: "e.g. 90d or 2027-01-01T00:00:00Z") { text in
    guard let expires = BearerToken.expiry(text), expires > Date() else {
        let days = BearerToken.maximumLifetimeDays
        throw UsageError("--expires must be a future time at most \(days) days ahead: a duration 1–\(days)d, 1–\(days * 24)h or 1–\(days * 1440)m, or an RFC 3339 UTC time like 2027-01-01T00:00:00Z; not '\(text)'")
    }
    return expires
}
let tokenIDOption = Option<String>("id", "TOKEN_ID", "The id printed by `token issue`.", required: true)

let tokenCommand = Command(
    name: "token", abstract: "Issue or revoke bearer tokens.",
    subcommands: [
        Command(
            name: "issue", abstract: "Issue a bearer token; it is printed once and stored only as SHA-256.",
            options: [storeOptions, roleOption, tenantOption.help("The tenant the token belongs to."), townOption, expiresOption,
                      Flag.json("Print id, token and expiry as JSON.")]
        ) { arguments in
            let location = try arguments(storeOptions)
            let role = try arguments.required(roleOption)
            let id = try arguments.required(tenantOption)
            let town = try arguments(townOption)
            let expires = try arguments.required(expiresOption)
            let json = arguments(jsonFlag)
            if role == .town && town == nil { throw UsageError("--town is required for role town") }
            if role != .town && town != nil { throw UsageError("--town is only for role town") }
            return {
                let (token, record) = try location.withStore { _, store in
                    _ = try existingTenant(store, id)
                    if let town, try !store.towns(.administrative(id)).contains(where: { $0.id == town }) {
                        throw CoordinatorError(.notFound, "Town \(town) is not in tenant \(id). Enrol it first with `town enroll`.")
                    }
                    let (token, record) = try BearerToken.issue(role: role, tenantID: id, townID: town, expiresAt: expires)
                    try store.addToken(record)
                    return (token, record)
                }
                if json {
                    return try printJSON(["id": record.id, "token": token, "expiresAt": Timestamp.format(expires)])
                }
                print("Token id: \(record.id)")
                print("Token: \(token)")
                print("Expires: \(Timestamp.format(expires)). It is shown only now; store it safely.")
            }
        },
        Command(
            name: "revoke", abstract: "Revoke a token by its id.",
            options: [storeOptions, tokenIDOption]
        ) { arguments in
            let location = try arguments(storeOptions)
            let id = try arguments.required(tokenIDOption)
            return {
                try location.withStore { _, store in try store.revokeToken(id: id, at: Date()) }
                print("Token \(id) is revoked.")
            }
        },
    ])

/// The period of a report: `--period YYYY-MM`, or `--from` and `--to` days; parsed once, into the
/// period and the label the report shows (default: the last complete month, UTC).
let periodOptions = OptionGroup<(period: DayPeriod, month: String?)>([
    OptionSpec(name: "period", valueName: "YYYY-MM", help: "The month to report (default: the last complete month, UTC)."),
    OptionSpec(name: "from", valueName: "YYYY-MM-DD", help: "With --to: the first and last day to report instead (at most 3 years)."),
    OptionSpec(name: "to", valueName: "YYYY-MM-DD", help: "The last day to report."),
], usage: "[--period YYYY-MM | --from YYYY-MM-DD --to YYYY-MM-DD]") { arguments in
    var month = arguments.text("period")
    let from = arguments.text("from"), to = arguments.text("to")
    guard month == nil || (from == nil && to == nil) else { throw UsageError("give --period or --from and --to, not both") }
    guard (from == nil) == (to == nil) else { throw UsageError("--from and --to go together") }
    if month == nil && from == nil {
        let (y, m, _) = Date().civilUTC
        month = m == 1 ? String(format: "%04d-12", y - 1) : String(format: "%04d-%02d", y, m - 1)
    }
    switch DayPeriod.parse(period: month, from: from, to: to) {
    case .success(let parsed): return (parsed, month)
    case .failure(let error):
        throw UsageError("--period must be YYYY-MM, or --from and --to days YYYY-MM-DD with from ≤ to, at most \(DayPeriod.maximumDays) days apart: \(error.message)")
    }
}

let weeksOption = Option.integer("weeks", "N", "Weeks in the charts, ending with the period's last day (default 26).", in: 1...156)
let outOption = Option<URL>("out", "DIR", "Directory to write index.html, report.json and tables/*.csv|json into.",
                            required: true, hint: "where to write the report") { URL(fileURLWithPath: $0, isDirectory: true) }
let languageOption = Option<String>("language", "LANG", "en (default) or nl.") { text in
    guard text == "en" || text == "nl" else { throw UsageError("--language must be en or nl, not '\(text)'") }
    return text
}
let checkpointSizeOption = Option<UInt64>("checkpoint", "N", "The tree size of the checkpoint the reports name (figures.checkpoint.treeSize).",
                                          required: true, hint: "the checkpoint's tree size") { text in
    guard let size = UInt64(text) else { throw UsageError("--checkpoint must be a tree size (a whole number), not '\(text)'") }
    return size
}
let treeSizeOption = Option<UInt64>("tree-size", "N", "A stored checkpoint of this size (default: the log's current size, signed if needed).")

let reportCommand = Command(
    name: "report", abstract: "Write the report pages as static files, from the store, without a server.",
    subcommands: [
        Command(
            name: "render", abstract: "Write a tenant's region report, or one town's page, with its tables.",
            options: [storeOptions, tenantOption.help("The tenant whose region report (or town page) to write."),
                      townOption.help("Write this town's page against its peers instead of the region report."),
                      periodOptions, weeksOption, outOption, languageOption],
            epilogue: "The path of index.html is printed."
        ) { arguments in
            let location = try arguments(storeOptions)
            let tenant = try arguments.required(tenantOption)
            let town = try arguments(townOption)
            let (period, month) = try arguments(periodOptions)
            let weeks = try arguments(weeksOption) ?? 26
            let out = try arguments.required(outOption)
            let language = try arguments(languageOption) ?? "en"
            return {
                let page = try location.withStore { dir, store in
                    _ = try existingTenant(store, tenant)
                    return try ReportPages.write(.administrative(tenant), store: store, origin: try dir.checkpointSigner().origin(tenant),
                                                 period: period,
                                                 label: ReportPages.label(period: month, days: period), town: town,
                                                 language: language, weeks: weeks, to: out)
                }
                print(page.path)
            }
        },
        Command(
            name: "recompute", abstract: "Re-derive every report published at a checkpoint from the log's entries alone and compare, byte for byte.",
            options: [storeOptions, tenantOption, checkpointSizeOption, Flag.json("Print the verdicts as JSON.")],
            epilogue: """
            The log's first N entries must hash to the signed checkpoint's root; each report published at N
            is computed again from them (same period, lag, audience and time) and signed again (Ed25519 is
            deterministic). Exit status 0 when every report is equal, 1 when one differs.
            """
        ) { arguments in
            let location = try arguments(storeOptions)
            let tenant = try arguments.required(tenantOption)
            let size = try arguments.required(checkpointSizeOption)
            let json = arguments(jsonFlag)
            return {
                let (checkpoint, verdicts) = try location.withStore { dir, store in
                    _ = try existingTenant(store, tenant)
                    do {
                        return try ReportRecompute.run(.administrative(tenant), treeSize: size, store: store,
                                                       signer: try dir.checkpointSigner(), signingKey: try dir.signingKey())
                    } catch let error as CoordinatorError where error.code == .notFound {
                        throw CoordinatorError(.notFound, "--checkpoint \(size): \(error.message) `townbench-coordinator log checkpoint --tenant \(tenant) --tree-size N` shows (and signs) the checkpoint of a size the log has.")
                    }
                }
                let differing = verdicts.filter { !$0.matches }
                if json {
                    try printJSON(["checkpoint": checkpoint.reference.rootHash, "treeSize": String(size),
                                   "reports": String(verdicts.count), "differing": String(differing.count)])
                } else {
                    print("Checkpoint \(checkpoint.origin) size \(size) root \(checkpoint.rootHash): the log's entries match it.")
                    for v in verdicts {
                        print("\(v.matches ? "equal  " : "DIFFERS") \(v.period.from)…\(v.period.to) lag \(v.lag) for \(v.audience)\(v.matches ? "" : ": " + v.difference)")
                    }
                    if verdicts.isEmpty { print("No report was published at this checkpoint.") }
                }
                guard differing.isEmpty else {
                    throw CoordinatorError(.storage, "\(differing.count) of \(verdicts.count) reports published at checkpoint \(size) differ from what the log gives. Do not trust them; investigate the store.")
                }
                if !json { print("All \(verdicts.count) reports published at checkpoint \(size) are equal to their recomputation.") }
            }
        },
    ])

let logCommand = Command(
    name: "log", abstract: "The tenants' transparency logs: sign or show checkpoints.",
    subcommands: [
        Command(
            name: "checkpoint", abstract: "Print a tenant's signed checkpoint (signing the current state on demand).",
            options: [storeOptions, tenantOption, treeSizeOption, Flag.json("Print origin, size, root, note and verifier key as JSON.")]
        ) { arguments in
            let location = try arguments(storeOptions)
            let tenant = try arguments.required(tenantOption)
            let size = try arguments(treeSizeOption)
            let json = arguments(jsonFlag)
            return {
                let checkpoint = try location.withStore { dir, store in
                    _ = try existingTenant(store, tenant)
                    return try store.checkpoint(treeSize: size, signer: try dir.checkpointSigner(), .administrative(tenant))
                }
                if json { return try printJSON(checkpoint) }
                print(checkpoint.note, terminator: "")
            }
        },
    ])

let portOption = Option<UInt16>("port", "PORT", "TCP port (0 picks a free one; the bound port is printed).", required: true) { text in
    guard let port = UInt16(text) else { throw UsageError("--port must be 0…65535, not '\(text)'") }
    return port
}
let hostOption = Option<String>("host", "ADDRESS", "Address to bind (default 127.0.0.1; put a TLS proxy in front).")
/// `nil` for one thread per connection, else the pool's size.
let threadsOption = Option<Int?>("threads", "MODE", """
    'connection' (default): one thread per connection, so a submission waiting for
    its batch's commit delays no other client; or N: a pool of N epoll threads.
    """) { text in
    if text == "connection" { return nil }
    guard let n = Int(text), (1...1024).contains(n) else {
        throw UsageError("--threads must be 'connection' or a number of pool threads 1…1024, not '\(text)'")
    }
    return n
}
let maxConnectionsOption = Option.integer("max-connections", "N", """
    Open connections at most (default 10000; the open-file limit is raised to
    fit, or the limit lowered to what it allows, with a warning).
    """, in: 1...1_000_000)
let quietFlag = Flag("quiet", "No access log on stderr.")

let serveCommand = Command(
    name: "serve", abstract: "Serve the coordinator API until SIGTERM or SIGINT.",
    options: [storeOptions, portOption, hostOption, threadsOption, maxConnectionsOption, quietFlag]
) { arguments in
    let location = try arguments(storeOptions)
    let port = try arguments.required(portOption)
    let host = try arguments(hostOption) ?? "127.0.0.1"
    let pool = try arguments(threadsOption) ?? nil
    let perConnection = pool == nil
    let threads = pool ?? 1
    let maxConnections = try arguments(maxConnectionsOption) ?? 10000
    guard perConnection || maxConnections >= threads else {
        throw UsageError("--max-connections must be a whole number 1…1000000 (at least the pool's threads), not '\(maxConnections)'")
    }
    let quiet = arguments(quietFlag)
    return {
    let dir = try location.openDirectory()
    // A parent (a test harness, some supervisors) may start us with SIGTERM/SIGINT blocked, and
    // threads inherit the mask: unblock them before any server thread exists, or they never arrive.
    var stopSignals = sigset_t()
    sigemptyset(&stopSignals)
    sigaddset(&stopSignals, SIGTERM)
    sigaddset(&stopSignals, SIGINT)
    pthread_sigmask(SIG_UNBLOCK, &stopSignals, nil)
    let store = try CoordinatorDatabase.open(location.database, directory: dir)
    let service = try CoordinatorService(store: store, signingKey: try dir.signingKey(), name: dir.name())
    let server = service.makeServer(configuration: .init(host: host, port: port, threadPoolSize: threads,
                                                         connectionLimit: maxConnections,
                                                         threadPerConnection: perConnection),
                                    accessLog: quiet ? .disabled : .standardError)
    try server.start()
    if server.effectiveConnectionLimit < maxConnections {
        FileHandle.standardError.write(Data("Warning: the open-file limit allows only \(server.effectiveConnectionLimit) connections, not \(maxConnections). Raise it (systemd LimitNOFILE=, ulimit -n) to at least \(maxConnections + 128).\n".utf8))
    }
    print("Listening on \(host):\(server.port)")
    fflush(nil)
    let signal = server.runUntilTerminated()
    service.stop()
    closeReportingFailure(store)
    print("Stopped (signal \(signal)).")
    fflush(nil)
    // Everything is stopped, stored and closed. Leave now, holding the last references: letting
    // `exit` tear the runtime down while a finished worker thread may still be releasing the
    // server was seen to crash at exit (and a crashing process waits for its backtracer).
    withExtendedLifetime((server, service, store)) { _exit(0) }
    }
}

runCommandLine(
    executable: "townbench-coordinator", version: townBenchVersion,
    root: Command(
        name: "townbench-coordinator",
        abstract: "A TownBench coordinator: verifies towns' signed aggregates and computes network indicators per tenant.",
        subcommands: [initCommand, tenantCommand, townCommand, makePeerGroupsCommand(store: storeOptions, tenant: tenantOption, existing: existingTenant),
                      tokenCommand, reportCommand, makeCalibrationCommand(store: storeOptions, tenant: tenantOption, existing: existingTenant),
                      logCommand, serveCommand]))
