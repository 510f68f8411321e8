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

/// The `--database` URL of this invocation (or `TOWNBENCH_DATABASE`), read with `--dir`: a
/// PostgreSQL store instead of the directory's SQLite file. One CLI invocation, one value.
let databaseURL = Mutex<String?>(ProcessInfo.processInfo.environment["TOWNBENCH_DATABASE"])

func directory(_ arguments: inout Arguments) throws -> CoordinatorDirectory {
    if let database = arguments.option("database") { databaseURL.withLock { $0 = database } }
    return try CoordinatorDirectory.open(URL(fileURLWithPath: try arguments.required("dir", "DIR (the coordinator's directory)"), isDirectory: true))
}

/// The coordinator's store: PostgreSQL when `--database postgres://…` (or `TOWNBENCH_DATABASE`)
/// is given, else the SQLite file in the directory (which still holds the signing key).
func openStore(_ dir: CoordinatorDirectory) throws -> any CoordinatorStore {
    try CoordinatorDatabase.open(databaseURL.withLock { $0 }, directory: dir)
}

/// Closes `store` where a failure can only be reported (a `defer`, or after the server stopped):
/// everything was committed already, so the command's outcome stands and the operator is told.
func closeReportingFailure(_ store: any CoordinatorStore) {
    do { try store.close() } catch {
        FileHandle.standardError.write(Data("Warning: \(error)\n".utf8))
    }
}

func tenantID(_ arguments: inout Arguments) throws -> String { try arguments.required("tenant", "TENANT_ID") }

func existingTenant(_ store: any CoordinatorStore, _ id: String) throws -> Tenant {
    guard let tenant = try store.tenant(.administrative(id)) else {
        throw CoordinatorError(.notFound, "Tenant \(id) does not exist. Add it with `townbench-coordinator tenant add --tenant \(id)`.")
    }
    return tenant
}

func peerNaming(_ text: String?) throws -> PeerNaming? {
    guard let text else { return nil }
    guard let naming = PeerNaming(rawValue: text) else { throw UsageError("--peers must be named or anonymised, not '\(text)'") }
    return naming
}

extension Date {
    /// Year, month and day of this instant in UTC.
    var civilUTC: (year: Int, month: Int, day: Int) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let c = calendar.dateComponents([.year, .month, .day], from: self)
        return (c.year ?? 1970, c.month ?? 1, c.day ?? 1)
    }
}

/// The whole number of `--name`, if given; a usage error naming the flag and `range` otherwise.
func integer(_ arguments: inout Arguments, _ name: String, in range: ClosedRange<Int> = 0...1_000_000) throws -> Int? {
    guard let text = arguments.option(name) else { return nil }
    guard let value = Int(text), range.contains(value) else {
        throw UsageError("--\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(text)'")
    }
    return value
}

let initCommand = Command(
    name: "init", abstract: "Create a coordinator: its store and its Ed25519 report-signing key.",
    usage: "init --dir DIR [--name NAME] [--json]",
    help: """
    OPTIONS:
      --dir DIR   Directory of the new coordinator (created if missing; refused if it holds one).
      --name NAME The coordinator's public host name, e.g. coordinator.example.org (default
                  townbench-coordinator). Every tenant's log checkpoint names it in its origin
                  (NAME/townbench/TENANT), so choose it once.
      --json      Print the key id, public key and name as JSON.
    """
) { arguments in
    let url = URL(fileURLWithPath: try arguments.required("dir", "DIR"), isDirectory: true)
    let name = arguments.option("name") ?? CoordinatorService.defaultName
    let json = arguments.flag("json")
    try arguments.checkAllConsumed()
    let dir = try CoordinatorDirectory.create(at: url, name: name)
    let key = try dir.signingKey().publicKey
    if json { return try printJSON(CoordinatorService.keyDocument(key).merging(["name": name]) { a, _ in a }) }
    print("Created coordinator \(name) in \(url.path)")
    print("Report-signing key \(key.keyID), public key \(key) (nodes pin it; also at GET /v1/coordinator-key).")
    print("Checkpoint verifier key: \(try dir.checkpointSigner().verifierKey)")
}

let tenantCommand = Command(
    name: "tenant", abstract: "Add a tenant (a regional network) or change its policy.",
    subcommands: [
        Command(
            name: "add", abstract: "Add a tenant.",
            usage: "add --dir DIR --tenant TENANT_ID [--name NAME] [--peers named|anonymised]",
            help: """
            OPTIONS:
              --dir DIR          The coordinator's directory.
              --tenant ID        The tenant's id, e.g. daks-west-flanders.
              --name NAME        Display name (default: the id).
              --peers POLICY     How towns see their peers: named or anonymised (default anonymised).
            """
        ) { arguments in
            let dir = try directory(&arguments)
            let id = try tenantID(&arguments)
            let name = arguments.option("name") ?? id
            let naming = try peerNaming(arguments.option("peers")) ?? .anonymised
            try arguments.checkAllConsumed()
            try openStore(dir).addTenant(Tenant(id: id, name: name, peerNaming: naming))
            print("Added tenant \(id) (peers \(naming.rawValue)).")
        },
        Command(
            name: "policy", abstract: "Show or change a tenant's policy.",
            usage: "policy --dir DIR --tenant TENANT_ID [--peers named|anonymised] [--min-store-entries N] [--min-spending-buyers N] [--max-age-days N] [--json]",
            help: """
            OPTIONS:
              --dir DIR                 The coordinator's directory.
              --tenant ID               The tenant.
              --peers POLICY            named or anonymised peers for towns.
              --min-store-entries N     Smallest store-entry count a node may send unsuppressed (≥ 10 recommended).
              --min-spending-buyers N   Smallest buyer count of a spending cell.
              --max-age-days N          Submissions created longer ago are refused (too_old); 7–3650, default 400.
              --json                    Print the policy as JSON.
            """
        ) { arguments in
            let dir = try directory(&arguments)
            let id = try tenantID(&arguments)
            let naming = try peerNaming(arguments.option("peers"))
            let entries = try integer(&arguments, "min-store-entries")
            let buyers = try integer(&arguments, "min-spending-buyers")
            let age = try integer(&arguments, "max-age-days", in: 7...3650)
            let json = arguments.flag("json")
            try arguments.checkAllConsumed()
            let store = try openStore(dir)
            var tenant = try existingTenant(store, id)
            if let naming { tenant.peerNaming = naming }
            if let entries { tenant.privacy.minimumStoreEntries = entries }
            if let buyers { tenant.privacy.minimumSpendingBuyers = buyers }
            if let age { tenant.maximumAgeDays = age }
            try store.updateTenant(tenant, .administrative(id))
            if json { return try printJSON(tenant) }
            print("Tenant \(id): peers \(tenant.peerNaming.rawValue), minimum store entries \(tenant.privacy.minimumStoreEntries), minimum spending buyers \(tenant.privacy.minimumSpendingBuyers), maximum age \(tenant.maximumAgeDays) days.")
        },
    ])

let townCommand = Command(
    name: "town", abstract: "Enrol a town's key or revoke it.",
    subcommands: [
        Command(
            name: "enroll", abstract: "Approve a town's enrolment request (checks the proof of possession, refuses weak keys).",
            usage: "enroll --dir DIR --tenant TENANT_ID [--name NAME] REQUEST.json",
            help: """
            REQUEST.json is the signed enrolment request the town's node printed.

            OPTIONS:
              --dir DIR        The coordinator's directory.
              --tenant ID      The tenant the town joins; must match the request.
              --name NAME      The town's display name (default: its id).
            """
        ) { arguments in
            let dir = try directory(&arguments)
            let id = try tenantID(&arguments)
            let name = arguments.option("name")
            let file = try arguments.single("REQUEST.json")
            try arguments.checkAllConsumed(positionals: 1)
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
            let store = try openStore(dir)
            _ = try existingTenant(store, id)
            try store.addTown(Town(id: request.townId, name: name ?? request.townId), .administrative(id))
            try store.enrol(KeyRecord(approving: request, key: key, at: Date()), .administrative(id))
            print("Enrolled key \(key.keyID) for town \(request.townId) in tenant \(id).")
        },
        Command(
            name: "revoke-key", abstract: "Revoke a town's key (never undone; the town enrols a new one).",
            usage: "revoke-key --dir DIR --tenant TENANT_ID --key KEY_ID [--at TIMESTAMP]",
            help: """
            OPTIONS:
              --dir DIR        The coordinator's directory.
              --tenant ID      The tenant.
              --key KEY_ID     The key id (32 hex digits).
              --at TIMESTAMP   Revocation time, RFC 3339 UTC (default now); submissions not accepted before are refused.
            """
        ) { arguments in
            let dir = try directory(&arguments)
            let id = try tenantID(&arguments)
            let keyID = try arguments.required("key", "KEY_ID")
            let atText = arguments.option("at")
            try arguments.checkAllConsumed()
            var at = Date()
            if let atText {
                guard let parsed = Timestamp.parse(atText) else { throw UsageError("--at must be RFC 3339 UTC like 2026-11-23T06:00:00Z") }
                at = parsed
            }
            let store = try openStore(dir)
            guard let record = try store.keyRecord(id: keyID, .administrative(id)) else {
                throw CoordinatorError(.notFound, "No key \(keyID) in tenant \(id).")
            }
            let revoked = record.revoked(at: at)
            try store.updateKey(revoked, .administrative(id))
            if case .revoked(let when) = revoked.status {
                print("Key \(keyID) of town \(record.townID) is revoked since \(Timestamp.format(when)).")
            }
        },
    ])

let tokenCommand = Command(
    name: "token", abstract: "Issue or revoke bearer tokens.",
    subcommands: [
        Command(
            name: "issue", abstract: "Issue a bearer token; it is printed once and stored only as SHA-256.",
            usage: "issue --dir DIR --role town|coordinator|admin|auditor --tenant TENANT_ID [--town TOWN_ID] --expires WHEN [--json]",
            help: """
            OPTIONS:
              --dir DIR        The coordinator's directory.
              --role ROLE      town (one town's view), coordinator (the tenant's towns), admin, or
                               auditor (the tenant's log proofs and reports, nothing else).
              --tenant ID      The tenant the token belongs to.
              --town TOWN_ID   The town (required for role town, refused otherwise).
              --expires WHEN   RFC 3339 UTC time, or a duration such as 90d, 12h, 30m; at most 3650 days ahead.
              --json           Print id, token and expiry as JSON.
            """
        ) { arguments in
            let dir = try directory(&arguments)
            let roleText = try arguments.required("role", "ROLE (town, coordinator, admin or auditor)")
            guard let role = Role(rawValue: roleText) else {
                throw UsageError("--role must be town, coordinator, admin or auditor, not '\(roleText)'")
            }
            let id = try tenantID(&arguments)
            let town = arguments.option("town")
            let expiresText = try arguments.required("expires", "WHEN (e.g. 90d or 2027-01-01T00:00:00Z)")
            let json = arguments.flag("json")
            try arguments.checkAllConsumed()
            guard let expires = BearerToken.expiry(expiresText), expires > Date() else {
                let days = BearerToken.maximumLifetimeDays
                throw UsageError("--expires must be a future time at most \(days) days ahead: a duration 1–\(days)d, 1–\(days * 24)h or 1–\(days * 1440)m, or an RFC 3339 UTC time like 2027-01-01T00:00:00Z; not '\(expiresText)'")
            }
            if role == .town && town == nil { throw UsageError("--town is required for role town") }
            if role != .town && town != nil { throw UsageError("--town is only for role town") }
            let store = try openStore(dir)
            _ = try existingTenant(store, id)
            if let town, try !store.towns(.administrative(id)).contains(where: { $0.id == town }) {
                throw CoordinatorError(.notFound, "Town \(town) is not in tenant \(id). Enrol it first with `town enroll`.")
            }
            let (token, record) = try BearerToken.issue(role: role, tenantID: id, townID: town, expiresAt: expires)
            try store.addToken(record)
            if json {
                return try printJSON(["id": record.id, "token": token, "expiresAt": Timestamp.format(expires)])
            }
            print("Token id: \(record.id)")
            print("Token: \(token)")
            print("Expires: \(Timestamp.format(expires)). It is shown only now; store it safely.")
        },
        Command(
            name: "revoke", abstract: "Revoke a token by its id.",
            usage: "revoke --dir DIR --id TOKEN_ID",
            help: """
            OPTIONS:
              --dir DIR       The coordinator's directory.
              --id TOKEN_ID   The id printed by `token issue`.
            """
        ) { arguments in
            let dir = try directory(&arguments)
            let id = try arguments.required("id", "TOKEN_ID")
            try arguments.checkAllConsumed()
            try openStore(dir).revokeToken(id: id, at: Date())
            print("Token \(id) is revoked.")
        },
    ])

let reportCommand = Command(
    name: "report", abstract: "Write the report pages as static files, from the store, without a server.",
    subcommands: [
        Command(
            name: "render", abstract: "Write a tenant's region report, or one town's page, with its tables.",
            usage: "render --dir DIR --tenant TENANT_ID [--town TOWN_ID] [--period YYYY-MM | --from YYYY-MM-DD --to YYYY-MM-DD] [--weeks N] --out DIR [--language en|nl]",
            help: """
            OPTIONS:
              --dir DIR          The coordinator's directory.
              --tenant ID        The tenant whose region report (or town page) to write.
              --town ID          Write this town's page against its peers instead of the region report.
              --period YYYY-MM   The month to report (default: the last complete month, UTC).
              --from, --to DAY   Or the first and last day to report (at most 3 years).
              --weeks N          Weeks in the charts, ending with the period's last day (default 26).
              --out DIR          Directory to write index.html, report.json and tables/*.csv|json into.
              --language LANG    en (default) or nl.
            The path of index.html is printed.
            """
        ) { arguments in
            let dir = try directory(&arguments)
            let tenant = try tenantID(&arguments)
            let town = arguments.option("town")
            var month = arguments.option("period")
            let from = arguments.option("from"), to = arguments.option("to")
            let weeks = try integer(&arguments, "weeks", in: 1...156) ?? 26
            let out = URL(fileURLWithPath: try arguments.required("out", "DIR (where to write the report)"), isDirectory: true)
            let language = arguments.option("language") ?? "en"
            try arguments.checkAllConsumed()
            guard language == "en" || language == "nl" else { throw UsageError("--language must be en or nl, not '\(language)'") }
            guard (1...156).contains(weeks) else { throw UsageError("--weeks must be 1…156, not \(weeks)") }
            guard month == nil || (from == nil && to == nil) else { throw UsageError("give --period or --from and --to, not both") }
            guard (from == nil) == (to == nil) else { throw UsageError("--from and --to go together") }
            if month == nil && from == nil {
                let (y, m, _) = Date().civilUTC
                month = m == 1 ? String(format: "%04d-12", y - 1) : String(format: "%04d-%02d", y, m - 1)
            }
            let period: DayPeriod
            switch DayPeriod.parse(period: month, from: from, to: to) {
            case .success(let parsed): period = parsed
            case .failure(let error):
                throw UsageError("--period must be YYYY-MM, or --from and --to days YYYY-MM-DD with from ≤ to, at most \(DayPeriod.maximumDays) days apart: \(error.message)")
            }
            let store = try openStore(dir)
            defer { closeReportingFailure(store) }
            _ = try existingTenant(store, tenant)
            let page = try ReportPages.write(.administrative(tenant), store: store, origin: try dir.checkpointSigner().origin(tenant),
                                             period: period,
                                             label: ReportPages.label(period: month, days: period), town: town,
                                             language: language, weeks: weeks, to: out)
            print(page.path)
        },
        Command(
            name: "recompute", abstract: "Re-derive every report published at a checkpoint from the log's entries alone and compare, byte for byte.",
            usage: "recompute --dir DIR --tenant TENANT_ID --checkpoint N [--json]",
            help: """
            OPTIONS:
              --dir DIR         The coordinator's directory.
              --tenant ID       The tenant.
              --checkpoint N    The tree size of the checkpoint the reports name (figures.checkpoint.treeSize).
              --json            Print the verdicts as JSON.
            The log's first N entries must hash to the signed checkpoint's root; each report published at N
            is computed again from them (same period, lag, audience and time) and signed again (Ed25519 is
            deterministic). Exit status 0 when every report is equal, 1 when one differs.
            """
        ) { arguments in
            let dir = try directory(&arguments)
            let tenant = try tenantID(&arguments)
            let sizeText = try arguments.required("checkpoint", "N (the checkpoint's tree size)")
            let json = arguments.flag("json")
            try arguments.checkAllConsumed()
            guard let size = UInt64(sizeText) else { throw UsageError("--checkpoint must be a tree size (a whole number), not '\(sizeText)'") }
            let store = try openStore(dir)
            defer { closeReportingFailure(store) }
            _ = try existingTenant(store, tenant)
            let (checkpoint, verdicts) = try ReportRecompute.run(.administrative(tenant), treeSize: size, store: store,
                                                                 signer: try dir.checkpointSigner(), signingKey: try dir.signingKey())
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
        },
    ])

let logCommand = Command(
    name: "log", abstract: "The tenants' transparency logs: sign or show checkpoints.",
    subcommands: [
        Command(
            name: "checkpoint", abstract: "Print a tenant's signed checkpoint (signing the current state on demand).",
            usage: "checkpoint --dir DIR --tenant TENANT_ID [--tree-size N] [--json]",
            help: """
            OPTIONS:
              --dir DIR        The coordinator's directory.
              --tenant ID      The tenant.
              --tree-size N    A stored checkpoint of this size (default: the log's current size, signed if needed).
              --json           Print origin, size, root, note and verifier key as JSON.
            """
        ) { arguments in
            let dir = try directory(&arguments)
            let tenant = try tenantID(&arguments)
            let sizeText = arguments.option("tree-size")
            let json = arguments.flag("json")
            try arguments.checkAllConsumed()
            let size = try sizeText.map { text -> UInt64 in
                guard let value = UInt64(text) else { throw UsageError("--tree-size must be a whole number, not '\(text)'") }
                return value
            }
            let store = try openStore(dir)
            defer { closeReportingFailure(store) }
            _ = try existingTenant(store, tenant)
            let checkpoint = try store.checkpoint(treeSize: size, signer: try dir.checkpointSigner(), .administrative(tenant))
            if json { return try printJSON(checkpoint) }
            print(checkpoint.note, terminator: "")
        },
    ])

let serveCommand = Command(
    name: "serve", abstract: "Serve the coordinator API until SIGTERM or SIGINT.",
    usage: "serve --dir DIR [--database postgres://…] --port PORT [--host ADDRESS] [--threads connection|N] [--max-connections N] [--quiet]",
    help: """
    OPTIONS:
      --dir DIR          The coordinator's directory (signing key; SQLite store by default).
      --database URL     A postgres:// URL: keep the store in PostgreSQL (also for every other
                         command, or set TOWNBENCH_DATABASE). Several coordinators may share it.
      --port PORT        TCP port (0 picks a free one; the bound port is printed).
      --host ADDRESS     Address to bind (default 127.0.0.1; put a TLS proxy in front).
      --threads MODE     'connection' (default): one thread per connection, so a submission waiting for
                         its batch's commit delays no other client; or N: a pool of N epoll threads.
      --max-connections N
                         Open connections at most (default 10000; the open-file limit is raised to
                         fit, or the limit lowered to what it allows, with a warning).
      --quiet            No access log on stderr.
    """
) { arguments in
    let dir = try directory(&arguments)
    let portText = try arguments.required("port", "PORT")
    guard let port = UInt16(portText) else { throw UsageError("--port must be 0…65535, not '\(portText)'") }
    let host = arguments.option("host") ?? "127.0.0.1"
    let threadsText = arguments.option("threads") ?? "connection"
    let perConnection = threadsText == "connection"
    guard perConnection || (Int(threadsText).map { (1...1024).contains($0) } ?? false) else {
        throw UsageError("--threads must be 'connection' or a number of pool threads 1…1024, not '\(threadsText)'")
    }
    let threads = Int(threadsText) ?? 1
    let maxConnectionsText = arguments.option("max-connections") ?? "10000"
    guard let maxConnections = Int(maxConnectionsText), (1...1_000_000).contains(maxConnections),
          perConnection || maxConnections >= threads else {
        throw UsageError("--max-connections must be a whole number 1…1000000 (at least the pool's threads), not '\(maxConnectionsText)'")
    }
    let quiet = arguments.flag("quiet")
    try arguments.checkAllConsumed()
    // A parent (a test harness, some supervisors) may start us with SIGTERM/SIGINT blocked, and
    // threads inherit the mask: unblock them before any server thread exists, or they never arrive.
    var stopSignals = sigset_t()
    sigemptyset(&stopSignals)
    sigaddset(&stopSignals, SIGTERM)
    sigaddset(&stopSignals, SIGINT)
    pthread_sigmask(SIG_UNBLOCK, &stopSignals, nil)
    let store = try openStore(dir)
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

runCommandLine(
    executable: "townbench-coordinator", version: townBenchVersion,
    root: Command(
        name: "townbench-coordinator",
        abstract: "A TownBench coordinator: verifies towns' signed aggregates and computes network indicators per tenant.",
        subcommands: [initCommand, tenantCommand, townCommand, tokenCommand, reportCommand, logCommand, serveCommand]))
