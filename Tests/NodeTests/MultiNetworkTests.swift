import Federation
import Foundation
import Indicators
@testable import Node
import Storage
import TestSupport
import Testing

/// One node in two networks on two coordinators (issue 17, PROTOCOL.md §10): each network gets
/// its own submissions under its own privacy policy and sequence, a stricter policy's suppressed
/// cells never reach its network, one coordinator's failure never stops the push to the other.
@Suite(.serialized) struct MultiNetworkTests {
    let node = Repository.executable("townbench-node")

    /// The town `harelbeke` with a month of data (12 store entries at 12:00 each day), in `daks`
    /// (coordinator A, minimum 10 store entries) and `west-flanders` (coordinator B, minimum 20).
    func twoNetworks(_ dir: URL) throws -> (NodeFixture, TestCoordinator, TestCoordinator) {
        let fixture = try NodeFixture(in: dir)
        try PushTests.importMonth(fixture, entries: 12)
        let key = try fixture.store.signingKey().publicKey
        let a = try TestCoordinator(keys: [KeyRecord(keyID: key.keyID, publicKey: key, tenantID: "daks", townID: "harelbeke", enrolledAt: Date())])
        let b = try TestCoordinator(keys: [KeyRecord(keyID: key.keyID, publicKey: key, tenantID: "west-flanders", townID: "harelbeke", enrolledAt: Date())])
        let token = try fixture.write("token", TestCoordinator.token(for: "harelbeke"))
        let dirPath = fixture.store.directory.path
        for (network, tenant, coordinator, minimum) in [("default", "daks", a, "10"), ("province", "west-flanders", b, "20")] {
            let result = try runProcess(node, ["configure", "--dir", dirPath, "--network", network, "--tenant", tenant,
                                               "--coordinator", coordinator.url.absoluteString,
                                               "--coordinator-key", Hex.encode(coordinator.reportKey.publicKey.rawRepresentation),
                                               "--token-file", token, "--min-store-entries", minimum])
            #expect(result.status == 0, "\(result.stderr)")
        }
        return (fixture, a, b)
    }

    /// The store-entry figures at 12:00 every payload of `coordinator` carries, per day.
    func noonEntries(_ coordinator: TestCoordinator) -> [Double?] {
        coordinator.state.withLock { Array($0.payloads.values) }.flatMap { payload in
            payload.zones.flatMap(\.days).flatMap(\.measures).filter { $0.measure == "entries" }.map { $0.hourly?[12] ?? nil }
        }
    }

    @Test func eachNetworkGetsItsOwnSubmissionsAndNeverWhatItsPolicySuppresses() throws {
        try withTemporaryDirectory { dir in
            let (fixture, a, b) = try twoNetworks(dir)
            defer { a.stop(); b.stop() }
            let dirPath = fixture.store.directory.path
            let push = try runProcess(node, ["push", "--dir", dirPath])
            #expect(push.status == 0, "\(push.stderr)")
            #expect(push.stdout == """
                network default: 4 queued, 4 acknowledged, 0 refused, 0 still pending
                network province: 4 queued, 4 acknowledged, 0 refused, 0 still pending

                """)
            // Each tenant received four weeks, with its own sequences 1…4 and its own submission ids.
            let daks = a.state.withLock { Array($0.payloads.values) }, province = b.state.withLock { Array($0.payloads.values) }
            #expect(daks.map(\.sequence).sorted() == [1, 2, 3, 4] && province.map(\.sequence).sorted() == [1, 2, 3, 4])
            #expect(Set(daks.map(\.tenantId)) == ["daks"] && Set(province.map(\.tenantId)) == ["west-flanders"])
            #expect(Set(daks.map(\.submissionId)).isDisjoint(with: province.map(\.submissionId)))
            #expect(Set(daks.map(\.privacy.minimumStoreEntries)) == [10] && Set(province.map(\.privacy.minimumStoreEntries)) == [20])
            // The 12 entries at noon: sent to daks (minimum 10), never to west-flanders (minimum 20).
            #expect(noonEntries(a).count == 28 && noonEntries(a).allSatisfy { $0 == 12 })
            #expect(noonEntries(b).count == 28 && noonEntries(b).allSatisfy { $0 == nil })
            #expect(try fixture.store.outbox(network: "province").map(\.sequence) == [1, 2, 3, 4])

            // `aggregates --network` shows what each network would receive.
            for (network, noon) in [("default", 12.0), ("province", nil)] as [(String, Double?)] {
                let preview = try runProcess(node, ["aggregates", "--dir", dirPath, "--network", network, "--period", "2025-06-02..2025-06-08"])
                #expect(preview.status == 0, "\(preview.stderr)")
                let payload = try JSONDecoder().decode(AggregatePayload.self, from: Data(preview.stdout.utf8))
                let entries = payload.zones.flatMap(\.days).flatMap(\.measures).filter { $0.measure == "entries" }
                #expect(entries.count == 7 && entries.allSatisfy { ($0.hourly?[12] ?? nil) == noon }, "\(network)")
            }

            // verify checks each network's log against its own pinned key.
            let verify = try runProcess(node, ["verify", "--dir", dirPath])
            #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
            #expect(verify.stdout.contains("Network default (tenant daks):\nCheckpoint test-coordinator/townbench/daks: size 4"))
            #expect(verify.stdout.contains("Network province (tenant west-flanders):\nCheckpoint test-coordinator/townbench/west-flanders: size 4"))
            #expect(try fixture.store.checkpoints(network: fixture.store.network("province")).map(\.treeSize) == [4])

            // The town page per network: the province's page shows its tenant.
            let page = dir.appendingPathComponent("province.html")
            let report = try runProcess(node, ["report", "--dir", dirPath, "--network", "province", "--out", page.path])
            #expect(report.status == 0, "\(report.stderr)")
            #expect(try String(contentsOf: page, encoding: .utf8).contains("west-flanders"))
        }
    }

    @Test func aFailingCoordinatorDoesNotStopThePushToTheOther() throws {
        try withTemporaryDirectory { dir in
            let (fixture, a, b) = try twoNetworks(dir)
            defer { a.stop() }
            let provinceURL = b.url.absoluteString
            b.stop()
            let push = try runProcess(node, ["push", "--dir", fixture.store.directory.path, "--max-attempts", "1"])
            #expect(push.status == 3, "\(push.stderr)")
            #expect(push.stdout.contains("network default: 4 queued, 4 acknowledged, 0 refused, 0 still pending\n"))
            #expect(push.stdout.contains("network province: 4 queued, 0 acknowledged, 0 refused, 4 still pending\n"))
            #expect(push.stderr.contains("Error: partial failure: push worked for default but not for network 'province': 4 submission(s) could not be delivered to \(provinceURL)"),
                    "\(push.stderr)")
            #expect(a.state.withLock { $0.accepted.count } == 4)
            #expect(try fixture.store.outbox(network: "province").allSatisfy { $0.state == "queued" })
            // --network pushes only that network.
            let only = try runProcess(node, ["push", "--dir", fixture.store.directory.path, "--network", "default"])
            #expect(only.status == 0 && only.stdout == "network default: 0 queued, 0 acknowledged, 0 refused, 0 still pending\n", "\(only.stderr)")
        }
    }

    @Test func networksListsAddsAndRemovesWithConfirmation() throws {
        try withTemporaryDirectory { dir in
            let (fixture, a, b) = try twoNetworks(dir)
            defer { a.stop(); b.stop() }
            let dirPath = fixture.store.directory.path
            let list = try runProcess(node, ["networks", "--dir", dirPath])
            #expect(list.status == 0)
            #expect(list.stdout.hasPrefix("default: tenant daks, coordinator \(a.url.absoluteString), key \(a.reportKey.publicKey.keyID), token saved, privacy: store entries ≥ 10"))
            #expect(list.stdout.contains("\nprovince: tenant west-flanders, coordinator \(b.url.absoluteString)"))
            // The token of the second network is its own file, mode 0600.
            let token = fixture.store.directory.appendingPathComponent("keys/network-province.token").path
            #expect((try FileManager.default.attributesOfItem(atPath: token)[.posixPermissions] as? Int) == 0o600)

            // A rotation is announced to each network's tenant, signed by the key both enrolled.
            let oldKey = try fixture.store.signingKey().publicKey
            let rotate = try runProcess(node, ["keys", "rotate", "--dir", dirPath])
            #expect(rotate.status == 0, "\(rotate.stderr)")
            #expect(rotate.stdout == "network default: \(dirPath)/rotation-default.json\nnetwork province: \(dirPath)/rotation-province.json\n")
            for (network, tenant) in [("default", "daks"), ("province", "west-flanders")] {
                let bytes = try Data(contentsOf: fixture.store.directory.appendingPathComponent("rotation-\(network).json"))
                let record = KeyRecord(keyID: oldKey.keyID, publicKey: oldKey, tenantID: tenant, townID: "harelbeke", enrolledAt: Date())
                let verified = KeyRotationStatement.verify(Array(bytes.dropLast()), tenantId: tenant) { $0 == oldKey.keyID ? record : nil }
                #expect(try verified.get().newKey == fixture.store.signingKey().publicKey, "\(network)")
            }

            let unconfirmed = try runProcess(node, ["networks", "--dir", dirPath, "--remove", "province"])
            #expect(unconfirmed.status == 64)
            #expect(unconfirmed.stderr.hasPrefix("Error: --remove province deletes that network's settings, token, outbox, reports and checkpoints: add --confirm to do it"))
            #expect(try fixture.store.networks().count == 2)
            let removed = try runProcess(node, ["networks", "--dir", dirPath, "--remove", "province", "--confirm"])
            #expect(removed.status == 0 && removed.stdout == "removed network province\n", "\(removed.stderr)")
            #expect(try fixture.store.networks().map(\.name) == ["default"])
            #expect(!FileManager.default.fileExists(atPath: token))

            // A new network needs its tenant; an unknown one is named with the ones there are.
            let noTenant = try runProcess(node, ["configure", "--dir", dirPath, "--network", "flanders"])
            #expect(noTenant.status == 64)
            #expect(noTenant.stderr == "Error: network 'flanders' is new and has no tenant yet: run `townbench-node configure --dir \(dirPath) --network flanders --tenant TENANT --coordinator URL --coordinator-key HEX --token-file FILE` with the key `townbench-coordinator init` printed\n")
            let unknown = try runProcess(node, ["push", "--dir", dirPath, "--network", "flanders"])
            #expect(unknown.status == 1 && unknown.stderr.hasPrefix("Error: this node reports to no network 'flanders' (it has: default): run `townbench-node configure --dir \(dirPath) --network flanders --tenant TENANT"), "\(unknown.stderr)")
            // The library states the remedy without the CLI's flags; the CLI maps it to its command line.
            let error = try #require(throws: NodeError.self) { try fixture.store.network("flanders") }
            #expect(error.remedy == .configure(directory: dirPath, network: "flanders", settings: [.tenant, .coordinator, .coordinatorKey, .token]))
            #expect(error.description == "this node reports to no network 'flanders' (it has: default): set the tenant, coordinator URL, pinned coordinator key, town token of network 'flanders' (the coordinator's operator gives them)")
        }
    }

    /// A node made before networks (schema 1–4: settings in `meta`, one outbox) opens as the
    /// network `default` with every setting, submission, checkpoint and report kept, and its
    /// sequence numbers continue.
    @Test func aSingleNetworkNodeMigratesToTheDefaultNetworkWithNothingLost() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            try PushTests.importMonth(fixture)
            let path = NodeStore.storeURL(in: fixture.store.directory).path
            // The same node's data, in a database made by the schema before networks.
            let old = dir.appendingPathComponent("old.sqlite").path
            let db = try Connection(path: old)
            try Migrator(Array(NodeSchema.migrator.migrations.prefix(4))).migrate(db)
            try db.execute("ATTACH DATABASE '\(path)' AS current")
            for table in ["meta", "zones", "sensors", "imports", "counts", "daily", "hourly"] {
                try db.execute("INSERT INTO main.\(table) SELECT * FROM current.\(table)")
            }
            try db.execute("DETACH DATABASE current")
            let key = Hex.encode(try Ed25519.PrivateKey().publicKey.rawRepresentation)
            for (k, v) in [("coordinator_url", "https://coordinator.example/"), ("coordinator_key", key),
                           ("privacy_min_store_entries", "20"), ("privacy_min_spending_buyers", "15")] {
                try db.run("INSERT INTO meta (key, value) VALUES (?, ?)", [.text(k), .text(v)])
            }
            try db.run("""
                INSERT INTO outbox (sequence, submission_id, tenant, period_from, period_to, content_digest, envelope, created_at, state)
                VALUES (1, 'aaaa', 'daks', 20241, 20247, 'x', x'01', '2025-06-09T00:00:00Z', 'acknowledged'),
                       (2, 'bbbb', 'daks', 20248, 20254, 'y', x'02', '2025-06-16T00:00:00Z', 'queued')
                """)
            try db.run("""
                INSERT INTO checkpoints (origin, tree_size, root_hash, note, verifier_key, verified_at)
                VALUES ('c/townbench/daks', 2, 'root', 'note', 'verifier', '2025-06-17T00:00:00Z')
                """)
            try db.run("INSERT INTO reports (fetched_at, period_from, period_to, key_id, envelope) VALUES ('t', '2025-06-02', '2025-06-08', 'k', x'03')")
            try db.close()
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            try FileManager.default.moveItem(atPath: old, toPath: path)

            let store = try NodeStore.open(fixture.store.directory)
            let network = try store.network("default")
            #expect(network == Network(name: "default", tenant: "daks", coordinator: URL(string: "https://coordinator.example/"),
                                       coordinatorKey: key, privacy: PrivacyPolicy(minimumStoreEntries: 20, minimumSpendingBuyers: 15),
                                       tokenFile: "keys/coordinator.token"))
            #expect(try store.setting("coordinator_url") == nil)  // moved, not copied
            #expect(try store.outbox().map { "\($0.network) \($0.sequence) \($0.submissionId) \($0.state)" }
                    == ["default 1 aaaa acknowledged", "default 2 bbbb queued"])
            #expect(try store.checkpoints().map(\.treeSize) == [2])
            #expect(try store.db.query("SELECT network FROM reports").map { try $0.string("network") } == ["default"])
            // Sequence numbers continue after the migrated ones.
            let queued = try store.queueSubmissions(through: try DayNumber(year: 2025, month: 6, day: 29))
            #expect(queued.map(\.sequence) == [3, 4, 5, 6])
        }
    }
}
