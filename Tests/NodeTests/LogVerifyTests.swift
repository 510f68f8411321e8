import Federation
import Foundation
import Indicators
@testable import Node
import TestSupport
import Testing

/// `townbench-node verify` and `checkpoint show|compare` (issue 9, PROTOCOL.md §8.3) as processes
/// against a live ``TestCoordinator``: the honest log passes and is kept; each threat — a dropped
/// submission, an altered envelope, rewritten history, a split view between two towns, a bad
/// signature, a report naming another root — fails with its reason, exit 65, nothing stored.
@Suite(.serialized) struct LogVerifyTests {
    let node = Repository.executable("townbench-node")

    /// One node per town in `dir/<town>`, each with a month of data, and a coordinator that
    /// enrolled their keys; every node pins the coordinator's key and holds its town token.
    static func network(_ dir: URL, towns: [String] = ["harelbeke"]) throws -> ([NodeFixture], TestCoordinator) {
        let fixtures = try towns.map { try NodeFixture(in: dir.appendingPathComponent($0), town: $0) }
        for fixture in fixtures { try PushTests.importMonth(fixture) }
        let coordinator = try TestCoordinator(keys: try fixtures.map { try PushTests.keyRecord($0.store) })
        for fixture in fixtures {
            try fixture.store.configureDefault(key: Hex.encode(coordinator.reportKey.publicKey.rawRepresentation))
            try fixture.store.configureDefault(token: TestCoordinator.token(for: fixture.store.settings.town))
            try fixture.store.configureDefault(coordinator: coordinator.url.absoluteString)
        }
        return (fixtures, coordinator)
    }

    /// Queues and sends the node's weeks; all must be acknowledged.
    static func push(_ fixture: NodeFixture, _ coordinator: TestCoordinator) throws {
        var options = PushOptions()
        options.initialDelay = .milliseconds(10)
        let summary = try fixture.store.push(to: coordinator.url, options: options)
        #expect(summary.pending == 0 && summary.refused == 0)
    }

    /// A corrected count for 2025-06-10: one more submission (a correction of that week).
    static func correct(_ fixture: NodeFixture, _ coordinator: TestCoordinator) throws {
        let start = LocalClock(timeZone: fixture.store.timeZone).startOfDay(try DayNumber(year: 2025, month: 6, day: 10)).utcString
        let fix = try fixture.write("fix.csv", "sensor,start,minutes,measure,count\nped-markt,\(start),60,pedestrians,999\n")
        _ = try fixture.store.importFile(fix, format: .counts, options: .init(replace: true))
        try push(fixture, coordinator)
    }

    func run(_ arguments: [String], _ fixture: NodeFixture, _ rest: [String] = []) throws -> ProcessResult {
        try runProcess(node, arguments + ["--dir", fixture.store.directory.path] + rest)
    }

    /// Asserts a failed verify: exit 65, the reason on stdout and stderr, nothing stored.
    func expectFailure(_ result: ProcessResult, _ reason: String, storedSizes: [UInt64] = [], _ fixture: NodeFixture,
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(result.status == 65, "\(result.stdout)\(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stdout.contains("  - \(reason)"), "stdout: \(result.stdout)", sourceLocation: sourceLocation)
        #expect(result.stdout.hasSuffix("The new checkpoint was NOT stored.\n"), sourceLocation: sourceLocation)
        #expect(result.stderr.hasPrefix("Error: the coordinator's log failed verification: "), sourceLocation: sourceLocation)
        #expect(result.stderr.contains(reason), "stderr: \(result.stderr)", sourceLocation: sourceLocation)
        #expect(try fixture.store.checkpoints().map(\.treeSize) == storedSizes, sourceLocation: sourceLocation)
    }

    @Test func anHonestLogVerifiesIsKeptAndTheNextVerifyChecksConsistency() throws {
        try withTemporaryDirectory { dir in
            let (fixtures, coordinator) = try Self.network(dir)
            defer { coordinator.stop() }
            let town = fixtures[0]
            try Self.push(town, coordinator)
            let first = try run(["verify"], town)
            #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
            let root4 = Base64.encode(Self.root(coordinator, size: 4))
            #expect(first.stdout == """
                Checkpoint test-coordinator/townbench/daks: size 4, root \(root4)
                No stored checkpoint yet: this is the first one (nothing to compare with).
                4 of 4 acknowledged submission(s) are in the log.
                Report: the report of 2025-06-23–2025-06-29 is signed and names size 4 (the verified checkpoint)
                Verified: stored the checkpoint of size 4.

                """)
            let stored = try #require(try town.store.latestCheckpoint())
            #expect(stored.treeSize == 4 && stored.rootHash == root4 && stored.origin == "test-coordinator/townbench/daks")
            #expect(stored.note.hasPrefix("test-coordinator/townbench/daks\n4\n\(root4)\n\n— test-coordinator "))
            #expect(try town.store.latestReport() != nil)  // stored with the checkpoint

            // A correction makes the log 5 long; the report still names size 4: consistent.
            try Self.correct(town, coordinator)
            coordinator.state.withLock { $0.report = .size(4) }
            let second = try run(["verify"], town, ["--json"])
            #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(second.stdout.utf8)) as? [String: Any])
            #expect(json["treeSize"] as? Int == 5)
            #expect(json["previousTreeSize"] as? Int == 4)
            #expect(json["submissionsChecked"] as? Int == 5 && json["submissionsIncluded"] as? Int == 5)
            #expect(json["report"] as? String == "the report of 2025-06-23–2025-06-29 is signed and names size 4, consistent with the verified checkpoint")
            #expect((json["failures"] as? [Any])?.isEmpty == true && json["stored"] as? Bool == true)
            #expect(try town.store.checkpoints().map(\.treeSize) == [4, 5])

            // `checkpoint show` prints the stored note exactly.
            let show = try run(["checkpoint", "show"], town)
            #expect(show.status == 0)
            #expect(show.stdout == (try town.store.latestCheckpoint())?.note)
            #expect(show.stdout.hasPrefix("test-coordinator/townbench/daks\n5\n"))
        }
    }

    static func root(_ coordinator: TestCoordinator, size: UInt64) -> [UInt8] {
        TestCoordinator.tree(coordinator.state.withLock { $0.log }).rootHash(treeSize: size)
    }

    @Test func aDroppedSubmissionIsMissing() throws {
        try withTemporaryDirectory { dir in
            let (fixtures, coordinator) = try Self.network(dir)
            defer { coordinator.stop() }
            let town = fixtures[0]
            try Self.push(town, coordinator)
            let dropped = try town.store.outbox()[1].submissionId
            coordinator.state.withLock { $0.malice = .dropSubmission(dropped) }
            let result = try run(["verify"], town)
            try expectFailure(result, "missing submission \(dropped): acknowledged on ", town)
            #expect(result.stdout.contains("but not in the log of size 3 (the coordinator dropped it)"))
            #expect(result.stdout.contains("3 of 4 acknowledged submission(s) are in the log."))
        }
    }

    @Test func anAlteredEnvelopeIsNotTheBytesTheNodeSent() throws {
        try withTemporaryDirectory { dir in
            let (fixtures, coordinator) = try Self.network(dir)
            defer { coordinator.stop() }
            let town = fixtures[0]
            try Self.push(town, coordinator)
            let altered = try town.store.outbox()[2].submissionId
            coordinator.state.withLock { $0.malice = .alterEnvelope(altered) }
            let result = try run(["verify"], town)
            try expectFailure(result, "altered: the log's leaf 2 is not the bytes this node sent for submission \(altered)", town)
            #expect(result.stdout.contains("3 of 4 acknowledged submission(s) are in the log."))
        }
    }

    @Test func rewrittenHistoryIsCaughtByConsistencyWithTheStoredCheckpoint() throws {
        try withTemporaryDirectory { dir in
            let (fixtures, coordinator) = try Self.network(dir)
            defer { coordinator.stop() }
            let town = fixtures[0]
            coordinator.appendForeign(town: "menen", bytes: Array("menen week 1".utf8))
            try Self.push(town, coordinator)
            #expect(try run(["verify"], town).status == 0)
            #expect(try town.store.checkpoints().map(\.treeSize) == [5])

            // The log grows, and the other town's old leaf 0 is rewritten under a new signed root.
            coordinator.appendForeign(town: "menen", bytes: Array("menen week 2".utf8))
            coordinator.state.withLock { $0.malice = .rewriteLeaf(0) }
            let rewritten = try run(["verify"], town)
            try expectFailure(rewritten, "history was rewritten: the log of size 6 (served now) does not extend the one of size 5 (stored)",
                              storedSizes: [5], town)
            #expect(rewritten.stdout.contains("Consistency with the stored checkpoint of size 5: FAILED"))
            #expect(rewritten.stdout.contains("4 of 4 acknowledged submission(s) are in the log."))  // the town's own leaves are intact

            // The same size with another root: a split view.
            coordinator.state.withLock { $0.malice = .dropSubmission("foreign-0") }
            let sameSize = try run(["verify"], town)
            try expectFailure(sameSize, "split view: two different roots for tree size 5: ", storedSizes: [5], town)

            // Honest again: passes, and the log of 6 is kept.
            coordinator.state.withLock { $0.malice = nil }
            #expect(try run(["verify"], town).status == 0)
            #expect(try town.store.checkpoints().map(\.treeSize) == [5, 6])
        }
    }

    @Test func aSplitViewBetweenTwoTownsIsProvedByCheckpointCompare() throws {
        try withTemporaryDirectory { dir in
            let (fixtures, coordinator) = try Self.network(dir, towns: ["harelbeke", "menen"])
            defer { coordinator.stop() }
            let (harelbeke, menen) = (fixtures[0], fixtures[1])
            try Self.push(harelbeke, coordinator)
            try Self.push(menen, coordinator)
            // Menen is shown a log where one of Harelbeke's leaves is forged; its own leaves are intact.
            coordinator.state.withLock { $0.malice = .splitView(town: "menen") }
            #expect(try run(["verify"], harelbeke).status == 0)
            let alone = try run(["verify"], menen)
            #expect(alone.status == 0, "each town alone cannot see it: \(alone.stdout)")
            let own = try #require(try harelbeke.store.latestCheckpoint())
            let theirs = try #require(try menen.store.latestCheckpoint())
            #expect(own.treeSize == 8 && theirs.treeSize == 8 && own.rootHash != theirs.rootHash)

            // Harelbeke hands its note to Menen.
            let file = dir.appendingPathComponent("harelbeke.note")
            try Data(try run(["checkpoint", "show"], harelbeke).stdout.utf8).write(to: file)
            let compare = try run(["checkpoint", "compare"], menen, [file.path])
            #expect(compare.status == 65)
            #expect(compare.stdout.isEmpty)
            #expect(compare.stderr == "Error: split view: two different roots for tree size 8: \(theirs.rootHash) (this node's) and \(own.rootHash) (the other town's); the coordinator showed the two towns different logs\n")
        }
    }

    @Test func anotherTownsCheckpointIsComparedWithAConsistencyProof() throws {
        try withTemporaryDirectory { dir in
            let (fixtures, coordinator) = try Self.network(dir, towns: ["harelbeke", "menen"])
            defer { coordinator.stop() }
            let (harelbeke, menen) = (fixtures[0], fixtures[1])
            try Self.push(harelbeke, coordinator)
            #expect(try run(["verify"], harelbeke).status == 0)  // size 4
            try Self.push(menen, coordinator)
            #expect(try run(["verify"], menen).status == 0)  // size 8

            let small = dir.appendingPathComponent("harelbeke.note"), large = dir.appendingPathComponent("menen.note")
            try Data(try run(["checkpoint", "show"], harelbeke).stdout.utf8).write(to: small)
            try Data(try run(["checkpoint", "show"], menen).stdout.utf8).write(to: large)
            let atMenen = try run(["checkpoint", "compare"], menen, [small.path])
            #expect(atMenen.status == 0, "\(atMenen.stderr)")
            #expect(atMenen.stdout == "consistent: the log of size 4 (the other town's) is a prefix of the log of size 8 (this node's), proved by the coordinator's consistency proof\n")
            let atHarelbeke = try run(["checkpoint", "compare"], harelbeke, ["--json", large.path])
            #expect(atHarelbeke.status == 0)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(atHarelbeke.stdout.utf8)) as? [String: Any])
            #expect(json["consistent"] as? Bool == true && json["ownTreeSize"] as? Int == 4 && json["otherTreeSize"] as? Int == 8)
            let same = try run(["checkpoint", "compare"], menen, [large.path])
            #expect(same.stdout.hasPrefix("consistent: both checkpoints have size 8 and root "))

            // If the coordinator cannot prove the prefix (it rewrote a leaf since), that is reported.
            // (Leaf 5 is outside the first 4, so only the proof's right side changes.)
            coordinator.state.withLock { $0.malice = .rewriteLeaf(5) }
            let forged = try run(["checkpoint", "compare"], menen, [small.path])
            #expect(forged.status == 65)
            #expect(forged.stderr.hasPrefix("Error: split view or rewritten history: the coordinator cannot prove that the other town's log of size 4 is a prefix of this node's log of size 8: "))

            // A note that does not verify with the pinned key is refused.
            let signer = try SignedNote.Signer(name: TestCoordinator.name, key: try Ed25519.PrivateKey())
            let fake = dir.appendingPathComponent("fake.note")
            try Data(try SignedNote.sign(text: "test-coordinator/townbench/daks\n8\n\(Base64.encode(Merkle.emptyRoot))\n", signers: [signer]).utf8).write(to: fake)
            let refused = try run(["checkpoint", "compare"], menen, [fake.path])
            #expect(refused.status == 65)
            #expect(refused.stderr.hasPrefix("Error: bad signature: the other town's checkpoint does not verify with the pinned coordinator key"))
        }
    }

    @Test func aBadSignatureOrAnotherKeyIsRefused() throws {
        try withTemporaryDirectory { dir in
            let (fixtures, coordinator) = try Self.network(dir)
            defer { coordinator.stop() }
            let town = fixtures[0]
            try Self.push(town, coordinator)
            coordinator.state.withLock { $0.malice = .badSignature }
            try expectFailure(try run(["verify"], town), "bad signature: the checkpoint of size 4 does not verify with the pinned coordinator key", town)

            // A checkpoint signed by a key that is not the pinned one.
            coordinator.state.withLock { $0.malice = nil }
            let other = try Ed25519.PrivateKey().publicKey
            try town.store.configureDefault(key: Hex.encode(other.rawRepresentation))
            try expectFailure(try run(["verify"], town), "bad signature: the checkpoint is signed with key \(coordinator.reportKey.publicKey.keyID), not the pinned coordinator key \(other.keyID)", town)
        }
    }

    @Test func theReportMustNameAStateOfTheVerifiedLog() throws {
        try withTemporaryDirectory { dir in
            let (fixtures, coordinator) = try Self.network(dir)
            defer { coordinator.stop() }
            let town = fixtures[0]
            try Self.push(town, coordinator)
            coordinator.state.withLock { $0.report = .forgedRoot }
            try expectFailure(try run(["verify"], town), "split view: the report of 2025-06-23–2025-06-29 names root ", town)
            // Signed by the coordinator but not a network report: a failure, not "not checked".
            coordinator.state.withLock { $0.report = .notAReport }
            try expectFailure(try run(["verify"], town), "the signed report of 2025-06-23–2025-06-29 is not a network report", town)

            // No report for the period: said so, and the rest still verifies.
            coordinator.state.withLock { $0.report = .none }
            let none = try run(["verify"], town, ["--from", "2025-06-02", "--to", "2025-06-29"])
            #expect(none.status == 0)
            #expect(none.stdout.contains("Report: no report for the period 2025-06-02–2025-06-29 (the coordinator has none): not checked\n"))
            #expect(try town.store.checkpoints().map(\.treeSize) == [4])
        }
    }

    @Test func showAndCompareNeedAStoredCheckpoint() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            let show = try run(["checkpoint", "show"], fixture)
            #expect(show.status == 1)
            #expect(show.stderr == "Error: no verified checkpoint is stored yet: run `townbench-node verify --dir \(fixture.store.directory.path)` first\n")
            let help = try runProcess(node, ["checkpoint", "compare", "--help"])
            #expect(help.status == 0)
            #expect(help.stdout.hasPrefix("""
                OVERVIEW: Check another town's checkpoint note against this node's: same log, or proof of a split view.

                USAGE: townbench-node checkpoint compare --dir DIR [--network NAME] [--coordinator URL] [--json] FILE

                """))
            let verify = try runProcess(node, ["verify", "--dir", fixture.store.directory.path, "--coordinator", "http://127.0.0.1:9/"])
            #expect(verify.status == 64)
            #expect(verify.stderr.hasPrefix("Error: no coordinator key is pinned for network 'default': run `townbench-node configure --dir "))
        }
    }
}
