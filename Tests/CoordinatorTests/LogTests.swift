// The coordinator's transparency log (issue 9) on the embedded SQLite store, over real HTTP.
@testable import Coordinator
import Federation
import Foundation
import Storage
import Testing
import TestSupport

@Suite("transparency log")
struct LogTests {
    static let a = Fixture.tenantA

    /// The coordinator's verifier and the tenant's origin, as a town configures them.
    static func open(_ fixture: Fixture, _ document: TransparencyLog.SignedCheckpoint, tenant: String = a) throws -> Checkpoint {
        try TransparencyLog.openCheckpoint(
            document.note, verifier: SignedNote.Verifier(name: CoordinatorService.defaultName, publicKey: fixture.service.signingKey.publicKey),
            origin: "\(CoordinatorService.defaultName)/townbench/\(tenant)")
    }

    static func get<T: Decodable>(_ fixture: Fixture, _ path: String, token key: String, as type: T.Type = T.self) throws -> T {
        let response = try http(fixture.port, "GET", path, token: try fixture.token(key))
        guard response.status == 200 else { throw RawClientError(description: "\(path): \(response.status) \(response.bodyText)") }
        return try JSONDecoder().decode(T.self, from: Data(response.body))
    }

    /// Each town of tenant A submits one week (sequence 1); returns the bodies by town.
    static func submitWeek(_ fixture: Fixture, sequence: Int = 1, totals: [String: Double] = [:]) throws -> [String: [UInt8]] {
        var bodies: [String: [UInt8]] = [:]
        for town in Fixture.townsA {
            let key = try #require(fixture.keys["\(a)/\(town)"])
            let body = try envelope(tenant: a, town: town, key: key, sequence: sequence, days: [
                DayData(date: "2025-11-03", sensors: [("a", 1000)]),
                DayData(date: "2026-11-02", sensors: [("a", totals[town] ?? 1100)]),
            ])
            let response = try fixture.submit(a, body)
            #expect(response.status == 202, "\(response.bodyText)")
            bodies[town] = body
        }
        return bodies
    }

    @Test("every accepted submission is one leaf holding its exact bytes, in acceptance order; duplicates add none; batches are signed")
    func appends() throws {
        let fixture = try Fixture()
        let scope = TenantScope.administrative(Self.a)
        #expect(try fixture.store.logHead(scope) == .empty)
        let bodies = try Self.submitWeek(fixture)
        // A re-sent submission is a duplicate: 200, no new leaf.
        #expect(try fixture.submit(Self.a, try #require(bodies["veurne"])).status == 200)
        let head = try fixture.store.logHead(scope)
        #expect(head.size == 3)
        let entries = try fixture.store.logEntries(0..<3, scope)
        #expect(entries.map(\.leafIndex) == [0, 1, 2])
        #expect(Set(entries.map(\.envelope)) == Set(bodies.values))
        var tree = MerkleTree()
        for entry in entries { tree.append(entry: entry.envelope) }
        #expect(tree.rootHash() == head.rootHash)
        // The other tenant's log is untouched.
        #expect(try fixture.store.logHead(.administrative(Fixture.tenantB)) == .empty)

        // Each commit signed a checkpoint in its transaction: size 3 is stored and verifies.
        let stored = try #require(try fixture.store.storedCheckpoint(treeSize: 3, scope))
        let checkpoint = try Self.open(fixture, stored)
        #expect(checkpoint.size == 3 && checkpoint.rootHash == head.rootHash)
        // The route serves the same note; a town verifies its own bytes in it, by id and by leaf hash.
        let served: TransparencyLog.SignedCheckpoint = try Self.get(fixture, "/v1/tenants/\(Self.a)/log/checkpoint", token: "\(Self.a)/town:veurne")
        #expect(served == stored)
        let veurne = try #require(bodies["veurne"])
        let submissionID = try AggregatePayload(verifiedBytes: try Envelope(parsing: veurne).payload).submissionId
        let byID: TransparencyLog.InclusionProof = try Self.get(
            fixture, "/v1/tenants/\(Self.a)/log/inclusion?submission=\(submissionID)&treeSize=3", token: "\(Self.a)/town:veurne")
        try TransparencyLog.verifyInclusion(of: veurne, proof: byID, in: checkpoint)
        #expect(byID.proof.count <= 2)
        let leafHash = Base64.encode(Merkle.leafHash(veurne)).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let byHash: TransparencyLog.InclusionProof = try Self.get(
            fixture, "/v1/tenants/\(Self.a)/log/inclusion?leafHash=\(leafHash)", token: "\(Self.a)/town:veurne")
        #expect(byHash == byID)
        // Someone else's bytes do not verify against this proof.
        #expect(throws: FederationError.self) {
            try TransparencyLog.verifyInclusion(of: try #require(bodies["oostkamp"]), proof: byID, in: checkpoint)
        }

        // A second week: the new checkpoint is consistent with the first.
        _ = try Self.submitWeek(fixture, sequence: 2)
        let later = try Self.open(fixture, try Self.get(fixture, "/v1/tenants/\(Self.a)/log/checkpoint", token: "\(Self.a)/auditor"))
        #expect(later.size == 6)
        let proof: TransparencyLog.ConsistencyProof = try Self.get(
            fixture, "/v1/tenants/\(Self.a)/log/consistency?from=3&to=6", token: "\(Self.a)/town:oostkamp")
        try TransparencyLog.verifyConsistency(from: checkpoint, to: later, proof: proof)
        // The old checkpoint is kept and still served by size.
        let old: TransparencyLog.SignedCheckpoint = try Self.get(fixture, "/v1/tenants/\(Self.a)/log/checkpoint?treeSize=3",
                                                                 token: "\(Self.a)/coordinator")
        #expect(old == stored)
    }

    @Test("a town gets proofs for its own submissions only; coordinator and auditor for any; bad sizes answer 400")
    func scoping() throws {
        let fixture = try Fixture()
        let bodies = try Self.submitWeek(fixture)
        let oostkamp = try #require(bodies["oostkamp"])
        let id = try AggregatePayload(verifiedBytes: try Envelope(parsing: oostkamp).payload).submissionId
        let leafHash = Base64.encode(Merkle.leafHash(oostkamp)).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let base = "/v1/tenants/\(Self.a)/log/inclusion"
        func status(_ query: String, _ token: String) throws -> (Int, String?) {
            let response = try http(fixture.port, "GET", base + "?" + query, token: try fixture.token(token))
            return (response.status, response.errorCode)
        }
        #expect(try status("submission=\(id)", "\(Self.a)/town:oostkamp").0 == 200)
        // Veurne may not see Oostkamp's proof, whether it names the town or not, or asks by hash: 404 as for a missing one.
        #expect(try status("submission=\(id)", "\(Self.a)/town:veurne") == (404, "not_found"))
        #expect(try status("submission=\(id)&town=oostkamp", "\(Self.a)/town:veurne") == (404, "not_found"))
        #expect(try status("leafHash=\(leafHash)", "\(Self.a)/town:veurne") == (404, "not_found"))
        for role in ["coordinator", "admin", "auditor"] {
            #expect(try status("submission=\(id)&town=oostkamp", "\(Self.a)/\(role)").0 == 200)
            #expect(try status("leafHash=\(leafHash)", "\(Self.a)/\(role)").0 == 200)
            #expect(try status("submission=\(id)", "\(Self.a)/\(role)") == (400, "invalid_argument"))  // which town?
        }
        // Another tenant's token sees nothing of this log.
        #expect(try status("leafHash=\(leafHash)", "\(Fixture.tenantB)/auditor").0 == 404)
        #expect(try status("submission=unknown&town=oostkamp", "\(Self.a)/auditor").0 == 404)
        #expect(try status("submission=\(id)&town=oostkamp&treeSize=9", "\(Self.a)/auditor") == (400, "invalid_argument"))
        #expect(try status("leafHash=nothex", "\(Self.a)/auditor") == (400, "invalid_argument"))
        let leaf = try #require(try fixture.store.logEntry(town: "oostkamp", submissionID: id, .administrative(Self.a))).leafIndex
        // A tree that ends before the submission's leaf cannot include it.
        #expect(try status("submission=\(id)&town=oostkamp&treeSize=\(leaf)", "\(Self.a)/auditor") == (400, "invalid_argument"))
        let consistency = "/v1/tenants/\(Self.a)/log/consistency"
        for bad in ["from=0&to=3", "from=3&to=2", "from=1&to=4", "to=3", "from=x"] {
            let response = try http(fixture.port, "GET", consistency + "?" + bad, token: try fixture.token("\(Self.a)/auditor"))
            #expect(response.status == 400, "\(bad): \(response.status)")
        }
        let missing = try http(fixture.port, "GET", "/v1/tenants/\(Self.a)/log/checkpoint?treeSize=99",
                               token: try fixture.token("\(Self.a)/auditor"))
        #expect(missing.status == 404)
        // The auditor reads the log and the report, not the indicators or the towns' submissions.
        let indicators = try http(fixture.port, "GET", "/v1/tenants/\(Self.a)/indicators?period=2026-11",
                                  token: try fixture.token("\(Self.a)/auditor"))
        #expect(indicators.status == 403)
    }

    /// Issue 16: every report answered is kept, so one token asking the same question again stores
    /// nothing more, and one asking ever new questions gets a 429 with Retry-After once its budget
    /// is spent (one more per two minutes: none in this test's second); another token keeps its own.
    @Test("report requests cannot grow the published reports without bound")
    func reportBudget() throws {
        let fixture = try Fixture()
        let scope = TenantScope.administrative(Self.a)
        _ = try Self.submitWeek(fixture, totals: ["oostkamp": 1234, "veurne": 900, "diksmuide": 1050])
        let town = try fixture.token("\(Self.a)/town:veurne")
        let same = "/v1/tenants/\(Self.a)/report?from=2026-11-02&to=2026-11-02"
        for _ in 0..<60 { #expect(try http(fixture.port, "GET", same, token: town).status == 200) }
        #expect(try fixture.store.publishedReports(treeSize: 3, scope).count == 1)

        var statuses: [Int] = []
        var refused: RawResponse?
        for day in 1...(ReportBudget.capacity + 20) {
            let path = "/v1/tenants/\(Self.a)/report?from=2026-09-01&to=2026-10-\(String(format: "%02d", day % 31 + 1))&lag=\(day > 31 ? 7 : 364)"
            let response = try http(fixture.port, "GET", path, token: town)
            statuses.append(response.status)
            if response.status == 429 { refused = response }
        }
        // The first question used one of the budget.
        #expect(statuses.filter { $0 == 200 }.count == ReportBudget.capacity - 1)
        #expect(statuses.filter { $0 == 429 }.count == 21)
        #expect(try fixture.store.publishedReports(treeSize: 3, scope).count == ReportBudget.capacity)
        let answer = try #require(refused)
        #expect(answer.errorCode == "too_many_requests")
        #expect(answer.headers["retry-after"].flatMap { Int($0) }.map { (1...Int(ReportBudget.interval)).contains($0) } == true)
        #expect(answer.bodyText.contains("A question already answered at this log size is free"))
        // Answered questions are still served; another token is not starved.
        #expect(try http(fixture.port, "GET", same, token: town).status == 200)
        #expect(try http(fixture.port, "GET", same, token: try fixture.token("\(Self.a)/coordinator")).status == 200)
        #expect(try fixture.store.publishedReports(treeSize: 3, scope).count == ReportBudget.capacity + 1)
    }

    @Test("reports name their checkpoint, are published once per question, and recompute from the log equals them byte for byte")
    func reports() throws {
        let fixture = try Fixture()
        let scope = TenantScope.administrative(Self.a)
        _ = try Self.submitWeek(fixture, totals: ["oostkamp": 1234, "veurne": 900, "diksmuide": 1050])
        let path = "/v1/tenants/\(Self.a)/report?from=2026-11-02&to=2026-11-02"
        func report(_ token: String) throws -> (bytes: [UInt8], report: NetworkReport) {
            let response = try http(fixture.port, "GET", path, token: try fixture.token(token))
            #expect(response.status == 200, "\(response.bodyText)")
            let envelope = try Envelope(parsing: response.body)
            return (response.body, try JSONDecoder().decode(NetworkReport.self, from: Data(envelope.payload)))
        }
        let first = try report("\(Self.a)/coordinator")
        let head = try fixture.store.logHead(scope)
        let named = try #require(first.report.figures.checkpoint)
        #expect(named.treeSize == 3 && named.rootHash == Base64.encode(head.rootHash))
        #expect(named.origin == "\(CoordinatorService.defaultName)/townbench/\(Self.a)")
        let oostkamp = try #require(first.report.figures.towns.first { $0.town == "oostkamp" }?.footfallIndex)
        #expect(abs(oostkamp - 123.4) < 1e-9)  // 100 × 1234 ÷ 1000
        // Asked again: the same bytes (published, not recomputed with a new time).
        Thread.sleep(forTimeInterval: 1.1)
        #expect(try report("\(Self.a)/coordinator").bytes == first.bytes)
        let town = try report("\(Self.a)/town:veurne")
        #expect(town.report.audience == ["role": "town", "town": "veurne", "peers": "anonymised"])
        _ = try report("\(Self.a)/auditor")

        var verdicts = try ReportRecompute.run(scope, treeSize: 3, store: fixture.store, signer: fixture.service.checkpointSigner,
                                               signingKey: fixture.service.signingKey).verdicts
        #expect(verdicts.count == 3 && verdicts.allSatisfy(\.matches), "\(verdicts)")

        // A correction: a new leaf, a new figure; the old report still recomputes from the old size.
        let key = try #require(fixture.keys["\(Self.a)/oostkamp"])
        let correction = try envelope(tenant: Self.a, town: "oostkamp", key: key, sequence: 2, days: [
            DayData(date: "2026-11-02", sensors: [("a", 1500)]),
        ])
        #expect(try fixture.submit(Self.a, correction).status == 202)
        let corrected = try report("\(Self.a)/coordinator")
        #expect(corrected.report.figures.checkpoint?.treeSize == 4)
        #expect(abs((corrected.report.figures.towns.first { $0.town == "oostkamp" }?.footfallIndex ?? 0) - 150) < 1e-9)
        verdicts = try ReportRecompute.run(scope, treeSize: 4, store: fixture.store, signer: fixture.service.checkpointSigner,
                                           signingKey: fixture.service.signingKey).verdicts
        #expect(verdicts.count == 1 && verdicts.allSatisfy(\.matches), "\(verdicts)")
        #expect(try ReportRecompute.run(scope, treeSize: 3, store: fixture.store, signer: fixture.service.checkpointSigner,
                                        signingKey: fixture.service.signingKey).verdicts.allSatisfy(\.matches))

        // The store's derived rows are altered (not the log): a report published from them no longer
        // equals what the log gives, and recompute says which.
        let db = try Connection(path: fixture.store.path)
        let day = try #require(CalendarDay.dayNumber("2026-11-02"))
        try db.run("UPDATE sensor_days SET total = 2000 WHERE tenant_id = ? AND town_id = 'veurne' AND day = ?", [.text(Self.a), .int(day)])
        // The figures read the packed copy of those rows (issue 17): alter it the same way.
        let sensorNo = try #require(try db.queryFirst("SELECT sensor_no FROM series_sensors WHERE tenant_id = ? AND town_id = 'veurne'",
                                                      [.text(Self.a)])?.int64(0))
        try db.run("UPDATE series_cells SET sensors = ? WHERE tenant_id = ? AND town_id = 'veurne' AND day = ?", [
            .blob(PackedCell.encode([.init(sensorNo: sensorNo, total: 2000, covered: 1440, expected: 1440, uptime: 1440, validHours: 24)])),
            .text(Self.a), .int(day)])
        let tampered = try report("\(Self.a)/town:diksmuide")  // a new audience: published now, from the altered rows
        #expect(tampered.report.figures.towns.contains { abs(($0.footfallIndex ?? 0) - 200) < 1e-9 })
        verdicts = try ReportRecompute.run(scope, treeSize: 4, store: fixture.store, signer: fixture.service.checkpointSigner,
                                           signingKey: fixture.service.signingKey).verdicts
        #expect(verdicts.count == 2)
        #expect(verdicts.filter { !$0.matches }.map(\.audience) == [NetworkReport.audienceKey(tampered.report.audience)])
        #expect(verdicts.first { !$0.matches }?.difference.contains("byte") == true)

        // A stored envelope is altered (the operator removed the guard): the log no longer hashes to its checkpoint.
        try db.execute("DROP TRIGGER submissions_envelope_kept")
        try db.run("UPDATE submissions SET envelope = CAST(? AS BLOB) WHERE tenant_id = ? AND leaf_index = 1",
                   [.text("{\"tampered\":true}"), .text(Self.a)])
        try db.close()
        #expect {
            try ReportRecompute.run(scope, treeSize: 4, store: fixture.store, signer: fixture.service.checkpointSigner,
                                    signingKey: fixture.service.signingKey)
        } throws: { error in
            (error as? CoordinatorError)?.message.contains("not to the checkpoint's root") == true
        }
    }

    @Test("the stores keep leaves and even levels only; every node at an odd level is recomputed from its two children")
    func storedLevels() throws {
        var tree = MerkleTree()
        for n in 1...40 {
            tree.append(entry: Array("entry \(n)".utf8))
            for (level, hashes) in tree.levels.enumerated() {
                for index in hashes.indices {
                    let node = try LogNodeStorage.node(level: level, index: UInt64(index)) { level, index in
                        guard LogNodeStorage.isStored(level: level) else { throw RawClientError(description: "read odd level \(level)") }
                        return tree.node(level: level, index: index)
                    }
                    #expect(node == hashes[index], "(\(level), \(index)) of \(n) leaves")
                }
            }
        }
        // What a store wrote for six leaves: the leaves and the one complete node at level 2.
        let fixture = try Fixture()
        _ = try Self.submitWeek(fixture)
        _ = try Self.submitWeek(fixture, sequence: 2)
        let db = try Connection(path: fixture.store.path)
        defer { #expect(throws: Never.self) { try db.close() } }
        let rows = try db.query("SELECT level, count(*) FROM log_nodes WHERE tenant_id = ? GROUP BY level ORDER BY level", [.text(Self.a)])
        #expect(try rows.map { [try $0.int(0), try $0.int(1)] } == [[0, 6], [2, 1]])
    }

    @Test("the log's append-only guards refuse updates and deletes of leaves, checkpoints and logged submissions")
    func appendOnly() throws {
        let fixture = try Fixture()
        _ = try Self.submitWeek(fixture)
        let published = try http(fixture.port, "GET", "/v1/tenants/\(Self.a)/report?period=2026-11",
                                 token: try fixture.token("\(Self.a)/coordinator"))
        #expect(published.status == 200)
        let db = try Connection(path: fixture.store.path)
        defer { #expect(throws: Never.self) { try db.close() } }
        for sql in ["UPDATE log_nodes SET hash = x'00' WHERE level = 0", "DELETE FROM log_nodes", "DELETE FROM checkpoints",
                    "UPDATE checkpoints SET note = ''", "DELETE FROM submissions", "UPDATE submissions SET envelope = x'00'",
                    "DELETE FROM log_heads", "UPDATE log_heads SET size = 1", "DELETE FROM published_reports"] {
            #expect(throws: (any Error).self, "\(sql)") { try db.execute(sql) }
        }
    }
}
