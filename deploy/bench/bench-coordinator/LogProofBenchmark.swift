// The transparency log's proofs from the coordinator's SQLite store: a tenant log of N synthetic
// leaves (node rows written as the store writes them), then inclusion and consistency proofs
// through the store's public API, each verified once against the root.
import Coordinator
import Federation
import Foundation
import Storage

enum LogProofBenchmark {
    static func run(leaves: Int, directory: URL) throws {
        let (dir, store, _) = try benchNetwork(at: directory, towns: 0)
        let tenant = benchTenant
        let scope = TenantScope.administrative(tenant)
        try store.close()

        // Write the node rows of N leaves straight into the store's tables, as commits would.
        let started = Date()
        let db = try Connection(path: dir.databaseURL.path)
        var frontier = MerkleFrontier()
        try db.transaction {
            let insert = try db.prepare("INSERT INTO log_nodes (tenant_id, level, idx, hash) VALUES (?, ?, ?, ?)")
            for i in 0..<leaves {
                for node in frontier.append(leafHash: Merkle.leafHash(Array("envelope \(i)".utf8)))
                where LogNodeStorage.isStored(level: node.level) {
                    try insert.bind([.text(tenant), .int(node.level), .integer(Int64(node.index)), .blob(node.hash)])
                    while try insert.step() {}
                    try insert.reset()
                }
            }
            try db.run("INSERT INTO log_heads (tenant_id, size, frontier) VALUES (?, ?, ?)",
                       [.text(tenant), .integer(Int64(frontier.size)), .blob(frontier.encoded)])
        }
        try db.close()
        print(String(format: "log_build_%d_leaves_s %.2f", leaves, Date().timeIntervalSince(started)))

        let reopened = try dir.openStore()
        defer { try? reopened.close() }  // a benchmark: its numbers are printed already
        let head = try reopened.logHead(scope)
        let n = UInt64(leaves)
        var generator = SystemRandomNumberGenerator()
        // Warm the page cache as a serving coordinator would be.
        for _ in 0..<200 {
            _ = try reopened.inclusionProof(of: LogEntry(leafIndex: UInt64.random(in: 0..<n, using: &generator), townID: "", submissionID: "",
                                                         envelope: []), treeSize: n, scope)
        }
        let rounds = 5000
        var longest = 0
        var verified = 0
        let clock = ContinuousClock()
        let inclusion = try clock.measure {
            for r in 0..<rounds {
                let index = UInt64.random(in: 0..<n, using: &generator)
                let proof = try reopened.inclusionProof(of: LogEntry(leafIndex: index, townID: "", submissionID: "", envelope: []),
                                                        treeSize: n, scope)
                longest = max(longest, proof.proof.count)
                if r < 100 {
                    try Merkle.verifyInclusion(leafIndex: index, treeSize: n, leafHash: Merkle.leafHash(Array("envelope \(index)".utf8)),
                                               proof: proof.proof.map { Base64.decode($0) ?? [] }, root: head.rootHash)
                    verified += 1
                }
            }
        }
        let consistency = try clock.measure {
            for _ in 0..<rounds {
                _ = try reopened.consistencyProof(from: UInt64.random(in: 1..<n, using: &generator), to: n, scope)
            }
        }
        func micros(_ d: Duration) -> Double {
            (Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) / 1e12) / Double(rounds)
        }
        print(String(format: "sqlite_inclusion_proof_%d_us %.1f (longest %d hashes, log2 n = %.1f; %d verified)", leaves,
                     micros(inclusion), longest, log2(Double(leaves)), verified))
        print(String(format: "sqlite_consistency_proof_%d_us %.1f", leaves, micros(consistency)))
        // A lookup by leaf hash scans the tenant's leaves (no index on random hashes; PROTOCOL.md §8).
        let lookups = 20
        let lookup = try clock.measure {
            for _ in 0..<lookups {
                let index = UInt64.random(in: 0..<n, using: &generator)
                _ = try reopened.logEntry(leafHash: Merkle.leafHash(Array("envelope \(index)".utf8)), scope)
            }
        }
        print(String(format: "sqlite_leaf_hash_lookup_%d_ms %.1f (a scan of the leaf rows)", leaves,
                     (Double(lookup.components.seconds) * 1e3 + Double(lookup.components.attoseconds) / 1e15) / Double(lookups)))
    }
}
