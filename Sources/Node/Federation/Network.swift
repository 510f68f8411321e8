public import Federation
public import Foundation
internal import Storage

/// One network (a tenant on a coordinator) this node reports to: its enrolment and privacy policy.
///
/// Why several: a town is in its regional network and in its province's (and maybe a Flemish one);
/// each has its own coordinator, token, pinned key and privacy minimums, and gets only what its own
/// policy lets through (`Federation/PROTOCOL.md` §10). A node made before networks existed has one,
/// named `default`, holding the settings it had.
public struct Network: Codable, Sendable, Equatable {
    /// The local name (`--network NAME`), an id such as `daks` or `west-flanders`.
    public var name: String
    /// The tenant the town reports to in this network.
    public var tenant: String
    /// The coordinator's base URL, once configured.
    public var coordinator: URL?
    /// The pinned report-signing key of the coordinator (hex), once configured.
    public var coordinatorKey: String?
    /// What leaves the node for this network: cells below these minimums are suppressed before signing.
    public var privacy: PrivacyPolicy
    /// The town token's file, relative to the node's directory (mode 0600).
    public var tokenFile: String

    /// The name of the network a node made by `init` (or before networks existed) has.
    public static let defaultName = "default"
}

/// What `configure --network NAME` changes; nil leaves a value as it is.
public struct NetworkChange: Sendable {
    public var tenant: String?
    public var coordinator: URL?
    public var coordinatorKey: Ed25519.PublicKey?
    public var token: String?
    public var minimumStoreEntries: Int?
    public var minimumSpendingBuyers: Int?
    public init() {}
}

extension NodeStore {
    /// Every network the node reports to, by name.
    public func networks() throws -> [Network] {
        try db.query("""
            SELECT name, tenant, coordinator_url, coordinator_key, token_file, min_store_entries, min_spending_buyers
            FROM networks ORDER BY name
            """).map { row in
            let url = try row.optionalString("coordinator_url")
            return Network(
                name: try row.string("name"), tenant: try row.string("tenant"), coordinator: url.flatMap { URL(string: $0) },
                coordinatorKey: try row.optionalString("coordinator_key"),
                privacy: PrivacyPolicy(minimumStoreEntries: (try row.optionalInt64("min_store_entries")).map { Int($0) } ?? 10,
                                       minimumSpendingBuyers: (try row.optionalInt64("min_spending_buyers")).map { Int($0) } ?? 10),
                tokenFile: try row.string("token_file"))
        }
    }

    /// The network `name`, or an error listing the ones there are.
    public func network(_ name: String) throws -> Network {
        let all = try networks()
        guard let network = all.first(where: { $0.name == name }) else {
            throw NodeError(.noNetwork, "this node reports to no network '\(name)' (it has: \(all.map(\.name).joined(separator: ", ").ifEmpty("none")))",
                            remedy: .configure(directory: directory.path, network: name, settings: [.tenant, .coordinator, .coordinatorKey, .token]))
        }
        return network
    }

    /// The network commands use when none is named: `default`, else the only one there is.
    public func defaultNetwork() throws -> Network {
        let all = try networks()
        if let network = all.first(where: { $0.name == Network.defaultName }) ?? (all.count == 1 ? all.first : nil) { return network }
        guard !all.isEmpty else {
            throw NodeError(.noNetwork, "this node reports to no network",
                            remedy: .configure(directory: directory.path, network: Network.defaultName, settings: [.tenant, .coordinator, .coordinatorKey, .token]))
        }
        throw NodeError(.noNetwork, "this node has no network named default but \(all.count): \(all.map(\.name).joined(separator: ", "))", remedy: .nameNetwork)
    }

    /// The networks `name` selects: that one, or every network when nil.
    public func networks(selecting name: String?) throws -> [Network] {
        if let name { return [try network(name)] }
        let all = try networks()
        guard !all.isEmpty else {
            throw NodeError(.noNetwork, "this node reports to no network",
                            remedy: .configure(directory: directory.path, network: Network.defaultName, settings: [.tenant, .coordinator, .coordinatorKey, .token]))
        }
        return all
    }

    /// Adds the network `name` or updates it. A new network needs `change.tenant`; its token goes to
    /// `keys/network-NAME.token` (0600). Everything is written in one transaction after every check.
    @discardableResult
    public func configureNetwork(_ name: String, _ change: NetworkChange) throws -> Network {
        guard Identifier.isValid(name) else {
            throw NodeError(.invalidArgument, "the network name '\(name)' is not valid: use 1–64 lowercase letters, digits, '-', '_' or '.', e.g. west-flanders")
        }
        if let tenant = change.tenant, !Identifier.isValid(tenant) {
            throw NodeError(.invalidArgument, "the tenant '\(tenant)' is not a valid id: use 1–64 lowercase letters, digits, '-', '_' or '.', e.g. daks-west-flanders")
        }
        let existing = try networks().first { $0.name == name }
        var network: Network
        if let existing {
            network = existing
            if let tenant = change.tenant, tenant != existing.tenant,
               try db.queryFirst("SELECT 1 AS found FROM outbox WHERE network = ? LIMIT 1", [.text(name)]) != nil {
                throw NodeError(.invalidArgument, "network '\(name)' already has submissions for tenant \(existing.tenant); a town cannot move them to tenant \(tenant). Add the other tenant as another network")
            }
        } else {
            guard let tenant = change.tenant else {
                throw NodeError(.invalidArgument, "network '\(name)' is new and has no tenant yet",
                                remedy: .configure(directory: directory.path, network: name, settings: [.tenant, .coordinator, .coordinatorKey, .token]))
            }
            network = Network(name: name, tenant: tenant, coordinator: nil, coordinatorKey: nil, privacy: .standard,
                              tokenFile: name == Network.defaultName ? "keys/coordinator.token" : "keys/network-\(name).token")
        }
        if let tenant = change.tenant { network.tenant = tenant }
        if let url = change.coordinator { network.coordinator = url }
        if let key = change.coordinatorKey { network.coordinatorKey = Hex.encode(key.rawRepresentation) }
        if let n = change.minimumStoreEntries { network.privacy.minimumStoreEntries = n }
        if let n = change.minimumSpendingBuyers { network.privacy.minimumSpendingBuyers = n }
        if let url = network.coordinator,
           let twin = try networks().first(where: { $0.name != name && $0.tenant == network.tenant && $0.coordinator == url }) {
            throw NodeError(.invalidArgument, "network '\(twin.name)' already is tenant \(network.tenant) on \(url.absoluteString); one enrolment per tenant and coordinator: change network '\(twin.name)' instead")
        }
        try db.transaction {
            try db.run("""
                INSERT INTO networks (name, tenant, coordinator_url, coordinator_key, token_file, min_store_entries, min_spending_buyers)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET tenant = excluded.tenant, coordinator_url = excluded.coordinator_url,
                    coordinator_key = excluded.coordinator_key, min_store_entries = excluded.min_store_entries,
                    min_spending_buyers = excluded.min_spending_buyers
                """, [.text(name), .text(network.tenant), .optional(network.coordinator?.absoluteString), .optional(network.coordinatorKey),
                      .text(network.tokenFile), .int(network.privacy.minimumStoreEntries), .int(network.privacy.minimumSpendingBuyers)])
            // Last, inside the transaction: a token that cannot be written leaves the settings unchanged.
            if let token = change.token { try saveToken(token, for: network) }
        }
        return network
    }

    /// Removes the network `name`: its settings, token, outbox, reports and checkpoints. The other
    /// networks are untouched.
    public func removeNetwork(_ name: String) throws {
        let network = try self.network(name)
        try db.transaction {
            for table in ["networks WHERE name = ?", "outbox WHERE network = ?", "reports WHERE network = ?", "checkpoints WHERE network = ?"] {
                try db.run("DELETE FROM \(table)", [.text(name)])
            }
        }
        try? FileManager.default.removeItem(at: directory.appendingPathComponent(network.tokenFile))
    }

    /// The client of `network`'s coordinator: `given` (then remembered for that network) or the configured one.
    public func client(for network: Network, coordinator given: URL? = nil) throws -> CoordinatorClient {
        if let given, given != network.coordinator {
            var change = NetworkChange()
            change.coordinator = given
            try configureNetwork(network.name, change)
        }
        guard let url = given ?? network.coordinator else {
            throw NodeError(.invalidArgument, "network '\(network.name)' has no coordinator URL",
                            remedy: .configure(directory: directory.path, network: network.name, settings: [.coordinator]))
        }
        return CoordinatorClient(baseURL: url, tenant: network.tenant, tokenFile: directory.appendingPathComponent(network.tokenFile),
                                 network: network.name, directory: directory.path)
    }

    /// The pinned coordinator key of `network`, or an error telling the admin to pin it.
    public func pinnedKey(of network: Network) throws -> Ed25519.PublicKey {
        guard let hex = network.coordinatorKey, let bytes = Hex.decode(hex) else {
            throw NodeError(.invalidArgument, "no coordinator key is pinned for network '\(network.name)'",
                            remedy: .configure(directory: directory.path, network: network.name, settings: [.coordinatorKey]))
        }
        return try Ed25519.PublicKey(rawRepresentation: bytes)
    }

    /// Stores the bearer token a coordinator issued for this town (mode 0600, replacing the old one).
    func saveToken(_ token: String, for network: Network) throws {
        let url = directory.appendingPathComponent(network.tokenFile)
        try? FileManager.default.removeItem(at: url)
        try NodeStore.writeSecret(token.trimmingCharacters(in: .whitespacesAndNewlines) + "\n", to: url)
    }
}

extension String {
    func ifEmpty(_ other: String) -> String { isEmpty ? other : self }
}
