import Foundation
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
            OVERVIEW: Import a vendor export or calendar file (all or nothing, idempotent).

            USAGE: townbench-node import --dir DIR --format FORMAT [--replace] [--json] FILE

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
            Usage: townbench-node import --dir DIR --format FORMAT [--replace] [--json] FILE
            See 'townbench-node import --help'.

            """)
        let typo = try runProcess(node, ["status", "--dri", "x"])
        #expect(typo.status == 64)
        #expect(typo.stderr.contains("--dir"))
        #expect(typo.stdout.isEmpty)
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
}
