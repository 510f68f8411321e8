import Foundation
import TestSupport
import Testing

/// Every input the fuzzers ever crashed on (Tests/Fuzz/regressions/TARGET) and every seed
/// (Tests/Fuzz/corpus/TARGET) replayed through the same fuzz target functions, with the same
/// property checks, in the normal build's `townbench-fuzz` replayer: a fixed crash stays fixed
/// without the instrumented build of deploy/fuzz.sh.
@Suite struct FuzzReplayTests {
    static let targets = ["csv", "json", "envelope", "dates", "http", "lots"]

    @Test(arguments: targets) func replaysSeedsAndRegressions(_ target: String) throws {
        let fuzz = Repository.root.appendingPathComponent("Tests/Fuzz", isDirectory: true)
        var inputs = [fuzz.appendingPathComponent("corpus/\(target)").path]
        let regressions = fuzz.appendingPathComponent("regressions/\(target)").path
        if FileManager.default.fileExists(atPath: regressions) { inputs.append(regressions) }
        try withTemporaryDirectory { dir in
            let result = try runProcess(Repository.executable("townbench-fuzz"), [target] + inputs,
                                        environment: ["TOWNBENCH_FUZZ_WORK": dir.path, "PATH": "/usr/bin:/bin"])
            #expect(result.status == 0, "townbench-fuzz \(target) stopped at the input named last:\n\(result.stderr.suffix(3000))")
            #expect(result.stdout.contains("without a crash"))
        }
    }
}
