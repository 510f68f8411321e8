// The transparency log (issue 9) on the PostgreSQL store: the same log as SQLite for the same
// submissions, contiguous and complete under two coordinators at once, reports that recompute
// from it, pre-log submissions appended on open, and the server's append-only guards.
@testable import Coordinator
import Dispatch
import Federation
import Foundation
import PostgreSQL
import Synchronization
import Testing
import TestSupport

@Suite("Transparency log on PostgreSQL", .enabled(if: PostgresTestServer.isAvailable, PostgresTestServer.skipComment))
struct PostgresLogTests {
    static let a = Fixture.tenantA
    static let b = Fixture.tenantB

    /// A submission as the HTTP workers hand it to the writer (checked against an empty state;
    /// the store re-checks replay and sequence inside its transaction).
    static func verified(tenant: String, town: String, key: Ed25519.PrivateKey, sequence: Int, total: Double,
                         submissionID: String? = nil) throws -> VerifiedSubmission {
        let bytes = try makeEnvelope(tenant: tenant, town: town, key: key, sequence: sequence,
                                     days: [DayData(date: "2026-11-02", sensors: [("a", total)])], submissionID: submissionID)
        let record = KeyRecord(keyID: key.publicKey.keyID, publicKey: key.publicKey, tenantID: tenant, townID: town,
                               enrolledAt: Date(timeIntervalSince1970: 0))
        let decision = SubmissionCheck.check(bytes, policy: TenantSubmissionPolicy(tenantID: tenant), now: Date(),
                                             keys: { $0 == record.keyID ? record : nil }, state: { _, _ in TownSubmissionState() })
        guard case .accepted(let accepted) = decision else {
            throw CoordinatorError(.invalidArgument, "the check did not accept the test submission: \(decision)")
        }
        return VerifiedSubmission(scope: .administrative(tenant), accepted: accepted, body: bytes)
    }

    static func kind(_ outcome: CommitOutcome) -> String {
        switch outcome {
        case .stored: "stored"
        case .duplicate: "duplicate"
        case .refused(let refusal): "refused \(refusal.reason)"
        }
    }

    /// Opens a stored checkpoint as a town does: the coordinator's key and the tenant's origin.
    static func open(_ checkpoint: TransparencyLog.SignedCheckpoint, signer: CheckpointSigner, key: Ed25519.PublicKey,
                     tenant: String) throws -> Checkpoint {
        try TransparencyLog.openCheckpoint(checkpoint.note, verifier: SignedNote.Verifier(name: signer.name, publicKey: key),
                                           origin: signer.origin(tenant))
    }

    /// A raw connection to a PostgreSQL test store's schema (bypassing the store, not row-level security).
    static func raw(_ storage: BackendStore) throws -> PostgresConnection {
        try PostgresConnection(url: try PostgresTestServer.url(schema: try #require(storage.schema)))
    }

    @Test("the same submissions give the same log on SQLite and PostgreSQL: head, checkpoints, entries, inclusion and consistency proofs, all verifying")
    func parityWithSQLite() throws {
        let sqlite = try BackendStore(.sqlite)
        let postgres = try BackendStore(.postgres)
        let stores = [sqlite.store, postgres.store]
        let signingKey = try Ed25519.PrivateKey()
        let signer = try CheckpointSigner(name: "coordinator.example.org", key: signingKey)
        var keys: [String: Ed25519.PrivateKey] = [:]
        for (tenant, towns) in [(Self.a, Fixture.townsA), (Self.b, Fixture.townsB)] {
            for store in stores { try store.addTenant(Tenant(id: tenant, name: tenant)) }
            for town in towns {
                let key = try Ed25519.PrivateKey()
                keys[town] = key
                for store in stores {
                    try store.addTown(Town(id: town, name: town), .administrative(tenant))
                    try store.enrol(KeyRecord(keyID: key.publicKey.keyID, publicKey: key.publicKey, tenantID: tenant, townID: town,
                                              enrolledAt: Date(timeIntervalSince1970: 0)), .administrative(tenant))
                }
            }
        }
        func v(_ tenant: String, _ town: String, _ sequence: Int, _ total: Double, id: String? = nil) throws -> VerifiedSubmission {
            try Self.verified(tenant: tenant, town: town, key: try #require(keys[town]), sequence: sequence, total: total,
                              submissionID: id)
        }
        let first = try v(Self.a, "oostkamp", 1, 100)
        var batches: [[VerifiedSubmission]] = [
            [first, try v(Self.a, "veurne", 1, 90), try v(Self.b, "ronse", 1, 70), try v(Self.a, "diksmuide", 1, 80)],
            // A duplicate, a lower sequence (refused), then accepted ones: no leaf for the first two, no gap.
            [first, try v(Self.a, "veurne", 1, 91, id: "00000000000000000000000000000bad"), try v(Self.a, "oostkamp", 2, 110),
             try v(Self.b, "ronse", 2, 71)],
        ]
        for round in 3...8 {
            batches.append([try v(Self.a, Fixture.townsA[round % 3], round, Double(round))])
        }
        let at = Date(timeIntervalSince1970: 1_800_000_000)
        var outcomes: [[String]] = [[], []]
        for batch in batches {
            for (s, store) in stores.enumerated() {
                outcomes[s] += try store.commit(batch, at: at, signer: signer).map(Self.kind)
            }
        }
        #expect(outcomes[0] == outcomes[1])
        #expect(outcomes[1].filter { $0 == "stored" }.count == 12)
        #expect(outcomes[1][4] == "duplicate" && outcomes[1][5] == "refused sequence_not_increasing", "\(outcomes[1])")

        for (tenant, size) in [(Self.a, UInt64(10)), (Self.b, UInt64(2))] {
            let scope = TenantScope.administrative(tenant)
            let head = try postgres.store.logHead(scope)
            #expect(head == (try sqlite.store.logHead(scope)), "\(tenant)")
            #expect(head.size == size)
            let entries = try postgres.store.logEntries(0..<size, scope)
            #expect(entries == (try sqlite.store.logEntries(0..<size, scope)))
            #expect(entries.map(\.leafIndex) == Array(0..<size))
            var tree = MerkleTree()
            for entry in entries { tree.append(entry: entry.envelope) }
            #expect(tree.rootHash() == head.rootHash)
            #expect(try postgres.store.storedCheckpoint(treeSize: nil, scope) == (try sqlite.store.storedCheckpoint(treeSize: nil, scope)))
            for entry in entries {
                #expect(try postgres.store.logEntry(leafHash: Merkle.leafHash(entry.envelope), scope) == entry)
                #expect(try postgres.store.logEntry(town: entry.townID, submissionID: entry.submissionID, scope) == entry)
            }
            for treeSize in 1...size {
                let root = try postgres.store.rootHash(treeSize: treeSize, scope)
                #expect(root == tree.rootHash(treeSize: treeSize))
                // Each batch signed its state in its transaction; the same key signs the same bytes.
                let stored = try postgres.store.storedCheckpoint(treeSize: treeSize, scope)
                #expect(stored == (try sqlite.store.storedCheckpoint(treeSize: treeSize, scope)), "checkpoint \(treeSize)")
                if let stored {
                    let opened = try Self.open(stored, signer: signer, key: signingKey.publicKey, tenant: tenant)
                    #expect(opened.size == treeSize && opened.rootHash == root)
                }
                for entry in entries.prefix(Int(treeSize)) {
                    let proof = try postgres.store.inclusionProof(of: entry, treeSize: treeSize, scope)
                    #expect(proof == (try sqlite.store.inclusionProof(of: entry, treeSize: treeSize, scope)))
                    try Merkle.verifyInclusion(leafIndex: entry.leafIndex, treeSize: treeSize, leafHash: Merkle.leafHash(entry.envelope),
                                               proof: try proof.proof.map { try #require(Base64.decode($0)) }, root: root)
                }
                for size1 in 1...treeSize {
                    let proof = try postgres.store.consistencyProof(from: size1, to: treeSize, scope)
                    #expect(proof == (try sqlite.store.consistencyProof(from: size1, to: treeSize, scope)))
                    try Merkle.verifyConsistency(size1: size1, size2: treeSize, root1: tree.rootHash(treeSize: size1), root2: root,
                                                 proof: try proof.proof.map { try #require(Base64.decode($0)) })
                }
            }
        }
        // Nodes that are not stored (beyond the head, or at an odd level) are absent, not invented.
        let missing = LogNodeCoordinate(level: 0, index: 99)
        let oddLevel = LogNodeCoordinate(level: 1, index: 0)
        let present = LogNodeCoordinate(level: 2, index: 0)
        let nodes = try postgres.store.logNodes([missing, oddLevel, present, present], .administrative(Self.a))
        #expect(Array(nodes.keys) == [present])
        #expect(nodes == (try sqlite.store.logNodes([missing, oddLevel, present], .administrative(Self.a))))
    }

    @Test("two coordinators committing to one tenant at once: leaf indices contiguous, every stored submission in the log once, in town order, checkpoints verify")
    func concurrentAppends() throws {
        let fixture = try BackendFixture(.postgres)
        for town in ["brugge", "gent", "kortrijk"] {
            try fixture.addTown(town, tenant: Self.a, key: try Ed25519.PrivateKey())
        }
        let second = try fixture.storage.reopen()
        defer { BackendStore.close(second) }
        let stores: [any CoordinatorStore] = [fixture.store, second]
        let signer = fixture.service.checkpointSigner
        // Each coordinator has towns of its own (so their batches share no town lock and really
        // run at once), and every fourth round both race for brugge's sequence.
        let townsOf = [["oostkamp", "veurne"], ["diksmuide", "gent", "kortrijk"]]
        let rounds = 40
        let bruggeRounds = Array(stride(from: 4, through: rounds, by: 4))
        let batches = try (0..<2).map { s in
            try (1...rounds).map { round in
                try (townsOf[s] + (bruggeRounds.contains(round) ? ["brugge"] : [])).map { town in
                    try Self.verified(tenant: Self.a, town: town, key: try #require(fixture.keys["\(Self.a)/\(town)"]), sequence: round,
                                      total: Double(100 * s + round))
                }
            }
        }
        let stored = Mutex<Int>(0)
        let errors = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 2) { s in
            for batch in batches[s] {
                do {
                    let outcomes = try stores[s].commit(batch, at: Date(), signer: signer)
                    stored.withLock { $0 += outcomes.filter { Self.kind($0) == "stored" }.count }
                } catch {
                    errors.withLock { $0.append("\(error)") }
                }
            }
        }
        #expect(errors.withLock { $0 } == [])
        let scope = TenantScope.administrative(Self.a)
        let count = try fixture.store.submissionCount(scope)
        #expect(count == stored.withLock { $0 })
        #expect(count == 5 * rounds + bruggeRounds.count)  // brugge: one of the two wins each sequence
        let head = try second.logHead(scope)
        #expect(head.size == UInt64(count))
        let entries = try fixture.store.logEntries(0..<head.size, scope)
        #expect(entries.map(\.leafIndex) == Array(0..<head.size))
        var tree = MerkleTree()
        for entry in entries { tree.append(entry: entry.envelope) }
        #expect(tree.rootHash() == head.rootHash)
        // Every stored submission is one leaf, with its exact stored bytes; per town in sequence order.
        for town in Set(townsOf.joined() + ["brugge"]) {
            let submissions = try fixture.store.submissions(town: town, scope)
            #expect(submissions.map(\.sequence) == (town == "brugge" ? bruggeRounds : Array(1...rounds)), "\(town)")
            let leaves = entries.filter { $0.townID == town }
            #expect(leaves.map(\.submissionID) == submissions.map(\.receipt.submissionId), "\(town): leaves in sequence order")
            for leaf in leaves {
                #expect(try fixture.store.envelope(town: town, submissionID: leaf.submissionID, scope) == leaf.envelope)
            }
        }
        // Each commit signed its state: every checkpoint opens, names the root of its size and is
        // consistent with the final head.
        var checkpoints = 0
        for size in 1...head.size {
            guard let stored = try fixture.store.storedCheckpoint(treeSize: size, scope) else { continue }
            checkpoints += 1
            let opened = try Self.open(stored, signer: signer, key: fixture.service.signingKey.publicKey, tenant: Self.a)
            #expect(opened.rootHash == tree.rootHash(treeSize: size), "checkpoint \(size)")
            let proof = try fixture.store.consistencyProof(from: size, to: head.size, scope)
            try Merkle.verifyConsistency(size1: size, size2: head.size, root1: opened.rootHash, root2: head.rootHash,
                                         proof: try proof.proof.map { try #require(Base64.decode($0)) })
        }
        #expect(checkpoints >= rounds)
        #expect(try fixture.store.storedCheckpoint(treeSize: nil, scope)?.treeSize == head.size)
    }

    @Test("reports published over a PostgreSQL store recompute from its log byte for byte; altered rows or entries are caught")
    func reportRecompute() throws {
        let fixture = try BackendFixture(.postgres)
        let scope = TenantScope.administrative(Self.a)
        for (town, total) in [("oostkamp", 1234.0), ("veurne", 900.0), ("diksmuide", 1050.0)] {
            let response = try fixture.submit(Self.a, try fixture.envelope(Self.a, town, sequence: 1, [
                DayData(date: "2025-11-03", sensors: [("a", 1000)]), DayData(date: "2026-11-02", sensors: [("a", total)]),
            ]))
            #expect(response.status == 202, "\(response.bodyText)")
        }
        let path = "/v1/tenants/\(Self.a)/report?from=2026-11-02&to=2026-11-02"
        func report(_ token: String) throws -> (bytes: [UInt8], report: NetworkReport) {
            let response = try http(fixture.port, "GET", path, token: try fixture.token(token))
            #expect(response.status == 200, "\(response.bodyText)")
            return (response.body, try JSONDecoder().decode(NetworkReport.self, from: Data(try Envelope(parsing: response.body).payload)))
        }
        func recompute(_ size: UInt64) throws -> [ReportRecompute.Verdict] {
            try ReportRecompute.run(scope, treeSize: size, store: fixture.store, signer: fixture.service.checkpointSigner,
                                    signingKey: fixture.service.signingKey).verdicts
        }
        let first = try report("\(Self.a)/coordinator")
        let head = try fixture.store.logHead(scope)
        #expect(first.report.figures.checkpoint?.treeSize == 3)
        #expect(first.report.figures.checkpoint?.rootHash == Base64.encode(head.rootHash))
        #expect(try report("\(Self.a)/coordinator").bytes == first.bytes)  // published: the same bytes again
        _ = try report("\(Self.a)/town:veurne")
        _ = try report("\(Self.a)/auditor")
        var verdicts = try recompute(3)
        #expect(verdicts.count == 3 && verdicts.allSatisfy(\.matches), "\(verdicts)")

        // A correction: a new leaf and a new report; both sizes still recompute.
        #expect(try fixture.submit(Self.a, try fixture.envelope(Self.a, "oostkamp", sequence: 2, [
            DayData(date: "2026-11-02", sensors: [("a", 1500)]),
        ])).status == 202)
        #expect(try report("\(Self.a)/coordinator").report.figures.checkpoint?.treeSize == 4)
        #expect(try recompute(4).allSatisfy(\.matches))
        #expect(try recompute(3).allSatisfy(\.matches))

        // Derived rows altered (not the log): a report published from them no longer equals the log's.
        let raw = try Self.raw(fixture.storage)
        defer { raw.close() }
        try raw.transaction {
            try raw.query("SELECT set_config('townbench.tenant', $1, true)", [.text(Self.a)])
            let day = try #require(CalendarDay.dayNumber("2026-11-02"))
            try raw.run("UPDATE sensor_days SET total = 2000 WHERE town_id = 'veurne' AND day = $1", [.int(day)])
            // The figures read the packed copy of those rows (issue 17, migration 9): alter it the same way.
            let sensorNo = try #require(try raw.query("SELECT sensor_no FROM series_sensors WHERE town_id = 'veurne'").first?.int64(0))
            try raw.run("UPDATE series_cells SET sensors = $1 WHERE town_id = 'veurne' AND day = $2", [
                .bytes(PackedCell.encode([.init(sensorNo: sensorNo, total: 2000, covered: 1440, expected: 1440, uptime: 1440, validHours: 24)])),
                .int(day)])
        }
        let tampered = try report("\(Self.a)/town:diksmuide")
        verdicts = try recompute(4)
        #expect(verdicts.count == 2)
        #expect(verdicts.filter { !$0.matches }.map(\.audience) == [NetworkReport.audienceKey(tampered.report.audience)])

        // A logged envelope altered (the owner switched the guard off): the log no longer hashes to its checkpoint.
        try raw.transaction {
            try raw.query("SELECT set_config('townbench.tenant', $1, true)", [.text(Self.a)])
            try raw.execute("ALTER TABLE submissions DISABLE TRIGGER submissions_logged_kept")
            try raw.run("UPDATE submissions SET envelope = convert_to('{\"tampered\":true}', 'UTF8') WHERE leaf_index = 1")
            try raw.execute("ALTER TABLE submissions ENABLE TRIGGER submissions_logged_kept")
        }
        #expect { try recompute(4) } throws: { error in
            (error as? CoordinatorError)?.message.contains("not to the checkpoint's root") == true
        }
    }

    @Test("submissions stored before the log (schema 2) are appended on open, in acceptance order, once, in bounded transactions")
    func backfillOnOpen() throws {
        let schema = PostgresTestServer.newSchemaName()
        defer { PostgresTestServer.dropSchema(schema) }
        let admin = try PostgresConnection(url: try #require(PostgresTestServer.url, PostgresTestServer.skipComment))
        try admin.execute("CREATE SCHEMA \(schema)")  // DDL takes no parameters; the name is ours (t_ + hex)
        admin.close()
        let raw = try PostgresConnection(url: try PostgresTestServer.url(schema: schema))
        defer { raw.close() }
        // A database as the previous release left it: migrations 1 and 2 only.
        let released = PostgresMigrator(Array(PostgresCoordinatorSchema.migrator.migrations.prefix(2)),
                                        lockKey: PostgresCoordinatorSchema.migrator.lockKey)
        #expect(try released.migrate(raw) == [1, 2])
        // Tenant A gets 1,500 rows (more than one backfill transaction), B 2, interleaved in acceptance order.
        func insert(_ tenant: String, _ sql: String) throws {
            try raw.transaction {
                try raw.query("SELECT set_config('townbench.tenant', $1, true)", [.text(tenant)])
                try raw.run(sql, [.text(tenant)])
            }
        }
        let columns = """
            INSERT INTO submissions (tenant_id, town_id, submission_id, sequence, key_id, created_at, accepted_at,
                period_from, period_to, payload_digest, envelope_digest, envelope)
            """
        try insert(Self.b, columns + " VALUES ($1, 'ronse', 'b-1', 1, 'k', 'c', 'a', 'f', 't', '\\x00', '\\x00', convert_to('b 1', 'UTF8'))")
        try insert(Self.a, columns + """
             SELECT $1, 'veurne', 'a-' || g, g, 'k', 'c', 'a', 'f', 't', '\\x00', '\\x00', convert_to('a ' || g, 'UTF8')
            FROM generate_series(1, 1500) AS g
            """)
        try insert(Self.b, columns + " VALUES ($1, 'ronse', 'b-2', 2, 'k', 'c', 'a', 'f', 't', '\\x00', '\\x00', convert_to('b 2', 'UTF8'))")

        let url = try #require(PostgresTestServer.url)
        let store = try PostgresCoordinatorStore(url: url, schema: schema, maximumConnections: 2)
        defer { store.close() }
        var treeA = MerkleTree()
        for g in 1...1500 { treeA.append(entry: Array("a \(g)".utf8)) }
        var treeB = MerkleTree()
        for g in 1...2 { treeB.append(entry: Array("b \(g)".utf8)) }
        let scopeA = TenantScope.administrative(Self.a)
        #expect(try store.logHead(scopeA) == LogHead(size: 1500, rootHash: treeA.rootHash()))
        #expect(try store.logHead(.administrative(Self.b)) == LogHead(size: 2, rootHash: treeB.rootHash()))
        let entries = try store.logEntries(999..<1001, scopeA)
        #expect(entries.map(\.submissionID) == ["a-1000", "a-1001"])
        #expect(entries.map(\.leafIndex) == [999, 1000])
        let proof = try store.inclusionProof(of: entries[0], treeSize: 1500, scopeA)
        try Merkle.verifyInclusion(leafIndex: 999, treeSize: 1500, leafHash: Merkle.leafHash(entries[0].envelope),
                                   proof: try proof.proof.map { try #require(Base64.decode($0)) }, root: treeA.rootHash())

        // Opened again (a restart, or a second process): nothing appended twice.
        let again = try PostgresCoordinatorStore(url: url, schema: schema, maximumConnections: 2)
        again.close()
        #expect(try store.logHead(scopeA).size == 1500)
        // And nothing left for the backfill policy to show.
        let left = try raw.transaction {
            try raw.query("SELECT set_config($1, 'on', true)", [.text(PostgresCoordinatorSchema.backfillSetting)])
            return try raw.query("SELECT count(*) FROM submissions")[0].int(0)
        }
        #expect(left == 0)
    }

    @Test("the server refuses to change or remove leaves, heads, checkpoints, published reports and logged submissions, also to the store's own role")
    func appendOnly() throws {
        let fixture = try BackendFixture(.postgres)
        #expect(try fixture.submit(Self.a, try fixture.envelope(Self.a, "veurne", sequence: 1, [
            DayData(date: "2026-11-02", sensors: [("a", 100)]),
        ])).status == 202)
        let scope = TenantScope.administrative(Self.a)
        _ = try fixture.store.checkpoint(treeSize: nil, signer: fixture.service.checkpointSigner, scope)
        _ = try fixture.store.publish(PublishedReport(key: PublishedReportKey(treeSize: 1, period: try DayPeriod.parse(
            period: "2026-11", from: nil, to: nil).get(), lag: 364, audience: "{}"), envelope: [1, 2, 3]), scope)
        let head = try fixture.store.logHead(scope)
        let raw = try Self.raw(fixture.storage)
        defer { raw.close() }
        let refused: [(sql: String, message: String)] = [
            ("UPDATE log_nodes SET hash = sha256('x'::bytea)", "the log is append-only"),
            ("DELETE FROM log_nodes", "the log is append-only"),
            ("TRUNCATE log_nodes", "log_nodes cannot be truncated"),
            ("UPDATE log_heads SET size = 0, frontier = ''::bytea", "a log never shrinks"),
            ("DELETE FROM log_heads", "a log head is kept"),
            ("UPDATE checkpoints SET note = 'forged'", "checkpoints are kept"),
            ("DELETE FROM checkpoints", "checkpoints are kept"),
            ("UPDATE published_reports SET envelope = '\\x00'::bytea", "published reports are kept"),
            ("DELETE FROM published_reports", "published reports are kept"),
            ("UPDATE submissions SET envelope = '\\x00'::bytea", "a logged submission is kept as accepted"),
            ("UPDATE submissions SET leaf_index = 7", "a logged submission is kept as accepted"),
            ("DELETE FROM submissions", "submissions are kept"),
            ("TRUNCATE submissions CASCADE", "cannot be truncated"),
        ]
        for (sql, message) in refused {
            let error = try #require(throws: PostgresError.self, "\(sql)") {
                try raw.transaction {
                    try raw.query("SELECT set_config('townbench.tenant', $1, true)", [.text(Self.a)])
                    try raw.execute(sql)
                }
            }
            #expect(error.code == PostgresError.Code("23001"), "\(sql): \(error)")
            #expect(error.message.contains(message), "\(sql): \(error.message)")
        }
        // Other columns of a logged submission may still change (as on SQLite), and the log is intact.
        try raw.transaction {
            try raw.query("SELECT set_config('townbench.tenant', $1, true)", [.text(Self.a)])
            #expect(try raw.run("UPDATE submissions SET accepted_at = accepted_at") == 1)
        }
        #expect(try fixture.store.logHead(scope) == head)
        #expect(try fixture.store.storedCheckpoint(treeSize: 1, scope)?.treeSize == 1)
    }
}
