import Federation
import Foundation
@testable import Node
import TestSupport
import Testing

/// `townbench-node` as a process: help on stdout with exit 0, errors on stderr with the
/// conventional exit codes (64 usage, 65 bad data, 1 other failures).
@Suite struct CommandLineTests {
    let node = Repository.executable("townbench-node")

    @Test func helpListsEverySubcommand() throws {
        let result = try runProcess(node, ["--help"])
        #expect(result.status == 0)
        #expect(result.stderr.isEmpty)
        #expect(result.stdout.hasPrefix("OVERVIEW: A TownBench town node"))
        for sub in ["init", "sensors", "import", "status", "indicators", "verify", "checkpoint"] {
            #expect(result.stdout.contains("\n  \(sub) "), "missing \(sub)")
        }
        #expect(try runProcess(node, ["help", "import"]).stdout == runProcess(node, ["import", "--help"]).stdout)
        #expect(try runProcess(node, ["--version"]).stdout.hasPrefix("townbench-node "))
    }

    @Test func importHelpIsStable() throws {
        let result = try runProcess(node, ["import", "--help"])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("""
            OVERVIEW: Import a vendor export or calendar file (all or nothing unless --rejects; idempotent).

            USAGE: townbench-node import --dir DIR --format FORMAT [--replace] [--delimiter comma|semicolon|tab] [--decimal comma|point] [--thousands point|comma|space|apostrophe] [--layout long|wide] [--minutes N] [--measure NAME] [--sheet NAME] [--rejects FILE.csv] [--json] FILE

            FORMATS (see README, "Data formats"):
            """))
    }

    @Test func usageErrorsExit64WithAPointerToHelp() throws {
        let unknown = try runProcess(node, ["improt"])
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("Error: unknown command 'improt'. Did you mean 'import'?"))
        let missing = try runProcess(node, ["import", "--format", "counts", "x.csv"])
        #expect(missing.status == 64)
        #expect(missing.stderr == """
            Error: missing --dir DIR (the node's directory)
            Usage: townbench-node import --dir DIR --format FORMAT [--replace] [--delimiter comma|semicolon|tab] [--decimal comma|point] [--thousands point|comma|space|apostrophe] [--layout long|wide] [--minutes N] [--measure NAME] [--sheet NAME] [--rejects FILE.csv] [--json] FILE
            See 'townbench-node import --help'.

            """)
        let typo = try runProcess(node, ["status", "--dri", "x"])
        #expect(typo.status == 64)
        #expect(typo.stderr.contains("--dir"))
        #expect(typo.stdout.isEmpty)
    }

    @Test func rejectsExits3AndExportWritesJSONLD() throws {
        try withTemporaryDirectory { dir in
            let nodeDir = dir.appendingPathComponent("n").path
            #expect(try runProcess(node, ["init", "--dir", nodeDir, "--town", "menen", "--tenant", "daks"]).status == 0)
            let sensors = dir.appendingPathComponent("s.csv")
            try "sensor,zone,zone_kind,kind,vendor\np1,markt,market-square,pedestrian,crowdscan\n".write(to: sensors, atomically: true, encoding: .utf8)
            #expect(try runProcess(node, ["sensors", "import", "--dir", nodeDir, sensors.path]).status == 0)
            let counts = dir.appendingPathComponent("c.csv")
            try "sensor;start;minutes;measure;count\np1;2025-06-02T10:00:00Z;60;pedestrians;1.500\np1;2025-06-02T11:00:00Z;60;pedestrians;x\n"
                .write(to: counts, atomically: true, encoding: .utf8)
            let rejects = dir.appendingPathComponent("r.csv").path
            let result = try runProcess(node, ["import", "--dir", nodeDir, "--format", "counts", "--thousands", "point", "--rejects", rejects, counts.path])
            #expect(result.status == 3, "\(result.stderr)")
            #expect(result.stdout.contains("c.csv: detected semicolon-separated"), "\(result.stdout)")
            #expect(result.stdout.contains("2 rows read, 1 new, 0 unchanged, 0 replaced, 1 refused"), "\(result.stdout)")
            #expect(result.stderr.contains("1 row(s) were refused and written to \(rejects)"), "\(result.stderr)")
            #expect(try String(contentsOfFile: rejects, encoding: .utf8).hasPrefix("line,column,reason,row\n3,"))
            // Both streams into one pipe (a log file, `| tee`): the summary comes before the error,
            // though a piped stdout is buffered.
            let quoted = [node.path, "import", "--dir", nodeDir, "--format", "counts", "--thousands", "point", "--replace", "--rejects", rejects, counts.path]
                .map { "'" + $0 + "'" }.joined(separator: " ")
            let piped = try runProcess(URL(fileURLWithPath: "/bin/sh"), ["-c", quoted + " 2>&1 | cat"])
            let summary = try #require(piped.stdout.range(of: "rows read"), "\(piped.stdout)")
            let error = try #require(piped.stdout.range(of: "Error: "), "\(piped.stdout)")
            #expect(summary.lowerBound < error.lowerBound, "\(piped.stdout)")

            let out = dir.appendingPathComponent("open.jsonld").path
            let export = try runProcess(node, ["export", "--dir", nodeDir, "--format", "oslo", "--from", "2025-06-02", "--to", "2025-06-02", "--out", out])
            #expect(export.status == 0, "\(export.stderr)")
            let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any])
            let graph = try #require(document["@graph"] as? [[String: Any]])
            #expect(graph.contains { ($0["Verkeersmeting.resultaat"] as? Int) == 1500 })
            #expect(try runProcess(node, ["export", "--dir", nodeDir, "--format", "csv", "--from", "2025-06-02", "--to", "2025-06-02"]).status == 64)
            #expect(try runProcess(node, ["export", "--dir", nodeDir, "--format", "oslo", "--from", "2025-06-03", "--to", "2025-06-02"]).status == 64)
        }
    }

    @Test func badDataExits65AndNamesFileLineAndColumn() throws {
        try withTemporaryDirectory { dir in
            let nodeDir = dir.appendingPathComponent("n").path
            #expect(try runProcess(node, ["init", "--dir", nodeDir, "--town", "menen", "--tenant", "daks"]).status == 0)
            let again = try runProcess(node, ["init", "--dir", nodeDir, "--town", "menen", "--tenant", "daks"])
            #expect(again.status == 1 && again.stderr.contains("already holds a node"))
            let sensors = dir.appendingPathComponent("s.csv")
            try "sensor,zone,zone_kind,kind,vendor\np1,markt,market-square,pedestrian,crowdscan\n".write(to: sensors, atomically: true, encoding: .utf8)
            #expect(try runProcess(node, ["sensors", "import", "--dir", nodeDir, sensors.path]).status == 0)
            let counts = dir.appendingPathComponent("c.csv")
            try "sensor,start,minutes,measure,count\np1,2025-06-02T10:00:00Z,15,pedestrians,-1\n".write(to: counts, atomically: true, encoding: .utf8)
            let result = try runProcess(node, ["import", "--dir", nodeDir, "--format", "counts", counts.path])
            #expect(result.status == 65)
            #expect(result.stderr == "Error: c.csv:2:40: count '-1' must be a whole number from 0 to 10000000 (the most a sensor can count in a day)\n")
            let status = try runProcess(node, ["status", "--dir", nodeDir, "--json"])
            #expect(status.status == 0)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
            #expect(json["town"] as? String == "menen")
            #expect((json["sensors"] as? [[String: Any]])?.first?["rows"] as? Int == 0)
        }
    }

    /// A mistake anywhere on a `configure` line (an unknown option, a bad number, an unreadable
    /// token file) changes nothing: before, the key was pinned, the URL and token saved and the
    /// first minimum written before a later mistake was refused.
    @Test func configureChangesNothingWhenTheLineHasAMistake() throws {
        try withTemporaryDirectory { dir in
            let nodeDir = dir.appendingPathComponent("n")
            #expect(try runProcess(node, ["init", "--dir", nodeDir.path, "--town", "menen", "--tenant", "daks"]).status == 0)
            let tokenFile = dir.appendingPathComponent("token")
            try "secret-token\n".write(to: tokenFile, atomically: true, encoding: .utf8)
            let key = Hex.encode(try Ed25519.PrivateKey().publicKey.rawRepresentation)
            let line = ["configure", "--dir", nodeDir.path, "--coordinator", "http://127.0.0.1:9/", "--coordinator-key", key,
                        "--token-file", tokenFile.path, "--min-store-entries", "20"]
            for mistake in [["--bogus", "1"], ["--min-spending-buyers", "0"], ["--token-file", dir.appendingPathComponent("absent").path]] {
                var arguments = line
                if mistake[0] == "--token-file" { arguments.removeLast(4); arguments += ["--min-store-entries", "20"] }
                let result = try runProcess(node, arguments + mistake)
                #expect(result.status == 64, "\(mistake): \(result.stderr)")
                #expect(result.stdout.isEmpty, "\(mistake): \(result.stdout)")
            }
            let store = try NodeStore.open(nodeDir)
            #expect(try store.defaultCoordinator() == nil)
            #expect(try store.defaultPinnedKey() == nil)
            #expect(try store.defaultNetwork().privacy.minimumStoreEntries == 10)
            #expect(!FileManager.default.fileExists(atPath: NodeStore.keysURL(in: nodeDir).appendingPathComponent("coordinator.token").path))
            // The same line without the mistake applies all of it.
            #expect(try runProcess(node, line).status == 0)
            #expect(try store.defaultCoordinator() == "http://127.0.0.1:9/")
            #expect(try store.defaultPinnedKey() != nil)
        }
    }

    /// `push` and `verify` remember `--coordinator` only once the whole line was checked.
    @Test func pushAndVerifySaveNoCoordinatorFromAWrongLine() throws {
        try withTemporaryDirectory { dir in
            let nodeDir = dir.appendingPathComponent("n")
            #expect(try runProcess(node, ["init", "--dir", nodeDir.path, "--town", "menen", "--tenant", "daks"]).status == 0)
            for arguments in [["push", "--coordinator", "http://127.0.0.1:9/", "--bogus"],
                              ["push", "--coordinator", "http://127.0.0.1:9/", "--max-attempts", "0"],
                              ["verify", "--coordinator", "http://127.0.0.1:9/", "--from", "2025-13-01", "--to", "2025-06-01"],
                              ["verify", "--coordinator", "http://127.0.0.1:9/", "--from", "2025-06-01"]] {
                let result = try runProcess(node, arguments + ["--dir", nodeDir.path])
                #expect(result.status == 64, "\(arguments): \(result.stderr)")
            }
            #expect(try NodeStore.open(nodeDir).defaultCoordinator() == nil)
        }
    }
}
