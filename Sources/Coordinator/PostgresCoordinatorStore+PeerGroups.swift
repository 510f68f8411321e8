import PostgreSQL

/// Peer groups in the PostgreSQL store (issue 17): one row per (group, town), migration 6, under
/// the tenant policy of row-level security like every tenant table.
extension PostgresCoordinatorSchema {
    /// The peer groups' table (migration 6).
    static let peerGroupTables = ["peer_groups"]
    static let peerGroupsSchema = """
        -- Issue 17: the tenant's peer groups, one row per member town; a town may be in several groups.
        CREATE TABLE peer_groups (
            tenant_id TEXT NOT NULL, group_name TEXT NOT NULL, town_id TEXT NOT NULL,
            PRIMARY KEY (tenant_id, group_name, town_id),
            FOREIGN KEY (tenant_id, town_id) REFERENCES towns (tenant_id, town_id));

        """
}

extension PostgresCoordinatorStore {
    public func setPeerGroups(_ groups: [PeerGroup], _ scope: TenantScope) throws {
        try inTenant(scope.tenantID, "setting the peer groups of tenant \(scope.tenantID)") { db in
            let known = Set(try db.query("SELECT town_id FROM towns WHERE tenant_id = $1", [.text(scope.tenantID)]).map { try $0.string(0) })
            let existing = Set(try db.query("SELECT DISTINCT group_name FROM peer_groups WHERE tenant_id = $1", [.text(scope.tenantID)])
                .map { try $0.string(0) })
            let checked = try PeerGroup.validated(groups, known: known, existing: existing, tenantID: scope.tenantID)
            for group in checked {
                try db.run("DELETE FROM peer_groups WHERE tenant_id = $1 AND group_name = $2", [.text(scope.tenantID), .text(group.name)])
                try db.run("""
                    INSERT INTO peer_groups (tenant_id, group_name, town_id) SELECT $1, $2, unnest($3::text[])
                    """, [.text(scope.tenantID), .text(group.name), .textArray(group.towns)])
            }
        }
    }

    public func peerGroups(_ scope: TenantScope) throws -> [PeerGroup] {
        try inTenant(scope.tenantID, "reading the peer groups of tenant \(scope.tenantID)") { db in
            let rows = try db.query("SELECT group_name, town_id FROM peer_groups WHERE tenant_id = $1", [.text(scope.tenantID)])
            return PeerGroup.grouped(try rows.map { (try $0.string(0), try $0.string(1)) })
        }
    }

    public func removePeerGroup(named name: String, _ scope: TenantScope) throws {
        let name = try PeerGroup.checkedName(name)
        try inTenant(scope.tenantID, "removing peer group \(name)") { db in
            guard try db.run("DELETE FROM peer_groups WHERE tenant_id = $1 AND group_name = $2", [.text(scope.tenantID), .text(name)]) > 0 else {
                throw PeerGroup.noSuchGroup(name, scope)
            }
        }
    }
}
