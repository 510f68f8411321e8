import Storage

/// Peer groups in the SQLite store (issue 17): one row per (group, town), migration 5.
extension SQLiteCoordinatorStore {
    static let peerGroupsSchema = """
        -- Issue 17: the tenant's peer groups, one row per member town; a town may be in several groups.
        CREATE TABLE peer_groups (
            tenant_id TEXT NOT NULL, group_name TEXT NOT NULL, town_id TEXT NOT NULL,
            PRIMARY KEY (tenant_id, group_name, town_id),
            FOREIGN KEY (tenant_id, town_id) REFERENCES towns) STRICT, WITHOUT ROWID;
        """

    public func setPeerGroups(_ groups: [PeerGroup], _ scope: TenantScope) throws {
        try write("setting the peer groups of tenant \(scope.tenantID)") { box in
            try box.connection.transaction {
                let known = Set(try box.rows("SELECT town_id FROM towns WHERE tenant_id = ?", [.text(scope.tenantID)]).map { try $0.string(0) })
                let existing = Set(try box.rows("SELECT DISTINCT group_name FROM peer_groups WHERE tenant_id = ?", [.text(scope.tenantID)])
                    .map { try $0.string(0) })
                let checked = try PeerGroup.validated(groups, known: known, existing: existing, tenantID: scope.tenantID)
                for group in checked {
                    try box.run("DELETE FROM peer_groups WHERE tenant_id = ? AND group_name = ?", [.text(scope.tenantID), .text(group.name)])
                    for town in group.towns {
                        try box.run("INSERT INTO peer_groups (tenant_id, group_name, town_id) VALUES (?, ?, ?)",
                                    [.text(scope.tenantID), .text(group.name), .text(town)])
                    }
                }
            }
        }
    }

    public func peerGroups(_ scope: TenantScope) throws -> [PeerGroup] {
        try read("reading the peer groups of tenant \(scope.tenantID)") { box in
            let rows = try box.rows("SELECT group_name, town_id FROM peer_groups WHERE tenant_id = ?", [.text(scope.tenantID)])
            return try PeerGroup.grouped(rows.map { (try $0.string(0), try $0.string(1)) })
        }
    }

    public func removePeerGroup(named name: String, _ scope: TenantScope) throws {
        let name = try PeerGroup.checkedName(name)
        try write("removing peer group \(name)") { box in
            try box.run("DELETE FROM peer_groups WHERE tenant_id = ? AND group_name = ?", [.text(scope.tenantID), .text(name)])
            guard box.connection.changes > 0 else { throw PeerGroup.noSuchGroup(name, scope) }
        }
    }
}

extension PeerGroup {
    /// Groups from (group, town) rows, sorted by name (the same order from both stores, whatever
    /// the database's collation).
    static func grouped(_ rows: [(String, String)]) -> [PeerGroup] {
        var members: [String: [String]] = [:]
        for (group, town) in rows { members[group, default: []].append(town) }
        return members.keys.sorted().map { PeerGroup(name: $0, towns: members[$0] ?? []) }
    }

    static func noSuchGroup(_ name: String, _ scope: TenantScope) -> CoordinatorError {
        CoordinatorError(.notFound, "Tenant \(scope.tenantID) has no peer group \"\(name)\". List the groups with `townbench-coordinator peer-groups list --tenant \(scope.tenantID)`.")
    }
}
