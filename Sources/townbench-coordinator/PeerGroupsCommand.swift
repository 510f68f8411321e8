// `townbench-coordinator peer-groups`: the tenant's peer groups (issue 17), set, imported, listed
// and removed on the coordinator's machine like tenants and towns.
import CLIKit
import Coordinator
import Foundation

/// The `peer-groups` command. `store` and `tenant` are the options every admin command shares
/// (declared in main.swift, passed in so this file reads none of main.swift's globals).
func makePeerGroupsCommand(store: OptionGroup<StoreLocation>, tenant: Option<String>,
                           existing: @escaping @Sendable (any CoordinatorStore, String) throws -> Tenant) -> Command {
    let group = Option<String>("group", "NAME", "The group's name, e.g. \"Small towns West Flanders\".", required: true,
                               hint: "the peer group's name")
    let towns = Option<[String]>("towns", "TOWN_ID,…", "The group's towns, comma-separated town ids (replacing its members).",
                                 required: true, hint: "the group's towns, e.g. oostkamp,veurne") { text in
        let ids = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !ids.isEmpty else { throw UsageError("--towns must list town ids separated by commas, e.g. oostkamp,veurne") }
        return ids
    }
    let json = Flag.json("Print the groups as JSON.")
    /// `body` on the open store once the tenant is known to exist (the store closes on every path).
    @Sendable func inTenant<T>(_ location: StoreLocation, _ id: String, _ body: (any CoordinatorStore) throws -> T) throws -> T {
        try location.withStore { _, store in
            _ = try existing(store, id)
            return try body(store)
        }
    }
    return Command(
        name: "peer-groups", abstract: "Set, import, list or remove a tenant's peer groups (towns compared with each other).",
        subcommands: [
            Command(
                name: "set", abstract: "Create a peer group or replace its towns.",
                options: [store, tenant, group, towns]
            ) { arguments in
                let location = try arguments(store)
                let id = try arguments.required(tenant)
                let name = try arguments.required(group)
                let members = try arguments.required(towns)
                return {
                    let stored = try inTenant(location, id) { store in
                        try store.setPeerGroups([PeerGroup(name: name, towns: members)], .administrative(id))
                        return try store.peerGroups(.administrative(id))
                    }
                    let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
                    let count = stored.first { $0.name == name }?.towns.count ?? members.count
                    print("Peer group \"\(name)\" of tenant \(id): \(count) towns.")
                }
            },
            Command(
                name: "import", abstract: "Set the groups of a CSV file (group,town lines) in one transaction.",
                discussion: """
                FILE.csv has one line per town in a group: group,town (a first line group,town is a
                header). Quote a name with a comma: "Small towns, coast",oostkamp. Each group in the
                file is set to exactly the towns listed; groups not in the file stay as they are. If a
                line is wrong, or a town is not in the tenant, nothing is changed.
                """,
                options: [store, tenant],
                positionals: [Positional("FILE.csv")]
            ) { arguments in
                let location = try arguments(store)
                let id = try arguments.required(tenant)
                let file = arguments.positionals[0]
                return {
                    guard let data = FileManager.default.contents(atPath: file) else {
                        throw CoordinatorError(.invalidArgument, "Cannot read \(file). Give the path of a CSV file of group,town lines.")
                    }
                    guard let text = String(data: data, encoding: .utf8) else {
                        throw CoordinatorError(.invalidArgument, "\(file) is not UTF-8 text. Save it as UTF-8 CSV and retry.")
                    }
                    let groups = try PeerGroup.parseCSV(text, source: file)
                    try inTenant(location, id) { store in
                        try store.setPeerGroups(groups, .administrative(id))
                    }
                    print("Set \(groups.count) peer groups of tenant \(id) (\(groups.map(\.towns.count).reduce(0, +)) memberships).")
                }
            },
            Command(
                name: "list", abstract: "List a tenant's peer groups and their towns.",
                options: [store, tenant, json]
            ) { arguments in
                let location = try arguments(store)
                let id = try arguments.required(tenant)
                let asJSON = arguments(json)
                return {
                    let groups = try inTenant(location, id) { store in
                        return try store.peerGroups(.administrative(id))
                    }
                    if asJSON { return try printJSON(groups) }
                    if groups.isEmpty { print("Tenant \(id) has no peer groups; add one with `peer-groups set` or `peer-groups import`.") }
                    for g in groups { print("\(g.name) (\(g.towns.count)): \(g.towns.joined(separator: ", "))") }
                }
            },
            Command(
                name: "remove", abstract: "Remove a peer group (its towns stay in the tenant).",
                options: [store, tenant, group]
            ) { arguments in
                let location = try arguments(store)
                let id = try arguments.required(tenant)
                let name = try arguments.required(group)
                return {
                    try inTenant(location, id) { store in
                        try store.removePeerGroup(named: name, .administrative(id))
                    }
                    print("Removed peer group \"\(name.trimmingCharacters(in: .whitespacesAndNewlines))\" of tenant \(id).")
                }
            },
        ])
}
