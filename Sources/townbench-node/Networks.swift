// The node's networks on the command line: `--network NAME`, the `networks` command, and how a
// command for several networks maps each network's outcome to one exit code.
import CLIKit
import Foundation
public import Node

let networkOption = Option<String>("network", "NAME", "Only this network (default: every network; see `networks`).")

/// `--network NAME` for the commands that work on one network (default: `default`, or the only one).
let oneNetworkOption = networkOption.help("The network (default: the one named default, or the only one; see `networks`).")

/// The networks `name` selects on `store` (nil: every network).
func selectedNetworks(_ name: String?, _ store: NodeStore) throws -> [Network] { try store.networks(selecting: name) }

/// The one network `name` names, or the default one.
func oneNetwork(_ name: String?, _ store: NodeStore) throws -> Network {
    try name.map { try store.network($0) } ?? store.defaultNetwork()
}

/// The error `push` ends with for one network's result (nil: everything was delivered).
func pushProblem(_ result: NetworkPushSummary) -> NodeError? {
    if let failure = result.failure { return failure }
    let summary = result.summary
    if !summary.unqueued.isEmpty {
        return NodeError(.badInput, "\(summary.unqueued.count) week(s) were not queued because their figures break the protocol's rules (listed above); the other weeks were queued and sent. Correct the data and push again")
    }
    if summary.unconfirmed > 0 {
        return NodeError(.io, "\(summary.unconfirmed) submission(s) were answered with a receipt that does not match the bytes sent; they stay queued (see `outbox`). Check --coordinator and any proxy in between, then push again")
    }
    if summary.pending > 0 {
        return NodeError(.io, "\(summary.pending) submission(s) could not be delivered to \(result.coordinator ?? "the coordinator"); they stay queued: run push again later")
    }
    return nil
}

/// One error for a command run on several networks: nil when all went well; the network's own
/// error when only one ran; `partial_failure` (exit 3) naming each failed network when others
/// succeeded; else the first failure's kind, naming every failed network.
func combined(_ problems: [(network: String, error: NodeError?)], command: String) -> NodeError? {
    let failed = problems.compactMap { item in item.error.map { (item.network, $0) } }
    guard let first = failed.first else { return nil }
    if problems.count == 1 { return first.1 }
    let list = failed.map { "network '\($0.0)': \($0.1.message)" }.joined(separator: "; ")
    if failed.count < problems.count {
        let done = problems.filter { $0.error == nil }.map(\.network).joined(separator: ", ")
        return NodeError(.partialFailure, "partial failure: \(command) worked for \(done) but not for \(list). Fix those and run \(command) --network NAME again")
    }
    return NodeError(first.1.code, "\(command) failed for every network: \(list)")
}

let networksRemoveOption = Option<String>("remove", "NAME", "Remove this network: its settings, token, outbox, reports and checkpoints (needs --confirm).")
let confirmFlag = Flag("confirm", "Confirm --remove: what the node kept for that network is deleted.")

let networksCommand = Command(
    name: "networks", abstract: "List the networks this node reports to, or remove one.",
    discussion: """
    A town can be in several networks (tenants, on one or several coordinators). Add or change
    one with `configure --network NAME --tenant TENANT --coordinator URL --coordinator-key HEX
    --token-file FILE`; each has its own privacy minimums, outbox, checkpoints and reports.
    """,
    options: [dirOption, networksRemoveOption, confirmFlag, Flag.json("Print the networks as JSON.")]
) { arguments in
    let dir = try arguments.required(dirOption)
    let remove = try arguments(networksRemoveOption)
    let confirmed = arguments(confirmFlag)
    if remove != nil && !confirmed {
        throw UsageError("--remove \(remove ?? "") deletes that network's settings, token, outbox, reports and checkpoints: add --confirm to do it")
    }
    if remove == nil && confirmed { throw UsageError("--confirm is only for --remove NAME") }
    let json = arguments(jsonFlag)
    return {
        let store = try NodeStore.open(dir)
        if let remove {
            try store.removeNetwork(remove)
            print("removed network \(remove)")
            return
        }
        let networks = try store.networks()
        if json { return try printJSON(networks) }
        if networks.isEmpty { print("This node reports to no network: add one with `configure --network NAME --tenant TENANT …`.") }
        for network in networks { print(try networkLine(network, store)) }
    }
}

/// One line on a network: tenant, coordinator, pinned key, token, privacy, outbox.
func networkLine(_ network: Network, _ store: NodeStore) throws -> String {
    let entries = try store.outbox(network: network.name)
    let queued = entries.filter { $0.state == "queued" }.count, acknowledged = entries.filter { $0.state == "acknowledged" }.count
    let token = FileManager.default.fileExists(atPath: store.directory.appendingPathComponent(network.tokenFile).path)
    return "\(network.name): tenant \(network.tenant), coordinator \(network.coordinator?.absoluteString ?? "not set"), "
        + "key \((try? store.pinnedKey(of: network))?.keyID ?? "not pinned"), token \(token ? "saved" : "missing"), "
        + "privacy: store entries ≥ \(network.privacy.minimumStoreEntries), spending buyers ≥ \(network.privacy.minimumSpendingBuyers), "
        + "outbox: \(queued) queued, \(acknowledged) acknowledged"
}

extension NodeError {
    /// The error with its remedy as a `townbench-node` command line.
    public var commandLineMessage: String {
        guard let remedy else { return description }
        let text = "\(message): \(remedy.commandLine)"
        return location.map { "\($0): \(text)" } ?? text
    }
}

extension NodeError.Remedy {
    /// The remedy in this CLI's commands and flags.
    var commandLine: String {
        switch self {
        case .configure(let directory, let network, let settings):
            let flags = settings.map { setting in
                switch setting {
                case .tenant: "--tenant TENANT"
                case .coordinator: "--coordinator URL"
                case .coordinatorKey: "--coordinator-key HEX"
                case .token: "--token-file FILE"
                }
            }
            return "run `townbench-node configure --dir \(directory) --network \(network) \(flags.joined(separator: " "))`"
                + (settings.contains(.coordinatorKey) ? " with the key `townbench-coordinator init` printed" : "")
                + (settings.contains(.token) && settings.count == 1 ? " with the town token the coordinator's operator issued" : "")
        case .verify(let directory, let network):
            return "run `townbench-node verify --dir \(directory) --network \(network)` first"
        case .nameNetwork:
            return "add --network NAME (`townbench-node networks` lists them)"
        }
    }
}
