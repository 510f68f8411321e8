import Foundation
import TestSupport
import Testing

/// `townbench-node indicators --indicator event-uplift` options as a process: usage errors exit 64
/// with a remedy; `--calibration` is a flag (takes no value).
@Suite struct EventUpliftCommandLineTests {
    let node = Repository.executable("townbench-node")

    @Test func eventUpliftOptionsParseAndBadValuesExit64() throws {
        try withTemporaryDirectory { dir in
            let nodeDir = dir.appendingPathComponent("node").path
            #expect(try runProcess(node, ["init", "--dir", nodeDir, "--town", "harelbeke", "--tenant", "daks"]).status == 0)
            let base = ["indicators", "--dir", nodeDir, "--indicator", "event-uplift"]
            // --calibration takes no value: --zone's value is not a stray argument.
            let calibration = try runProcess(node, base + ["--calibration", "--zone", "markt"])
            #expect(!calibration.stderr.contains("unexpected argument"), "\(calibration.stderr)")
            #expect(calibration.stderr.contains("no pedestrian sensors") || calibration.stderr.contains("no counts"))
            let level = try runProcess(node, base + ["--zone", "markt", "--from", "2025-09-19 18:00", "--to", "2025-09-20 02:00", "--level", "2"])
            #expect(level.status == 64)
            #expect(level.stderr.contains("--level '2' must be a number between 0.5 and 0.99"))
            let half = try runProcess(node, base + ["--zone", "markt", "--from", "2025-09-19 18:00"])
            #expect(half.status == 64)
            #expect(half.stderr.contains("needs both --from and --to"))
            let version = try runProcess(node, base + ["--indicator-version", "one", "--event", "x"])
            #expect(version.status == 64)
        }
    }
}
