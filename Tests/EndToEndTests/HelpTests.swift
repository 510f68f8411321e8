import Foundation
import TestSupport
import Testing

/// Every command's `--help`, of both executables, against a reviewed golden file
/// (`Tests/Goldens/help/EXECUTABLE.txt`): the help is generated from the commands' option
/// declarations, so a changed option shows up here as a diff to review. After an intended
/// change, regenerate with `TOWNBENCH_UPDATE_GOLDENS=1 swift test --filter HelpTests` and read
/// the diff before committing it.
@Suite(.serialized) struct HelpTests {
    /// Every command path, found by walking each help's SUBCOMMANDS section.
    static func helps(of executable: URL) throws -> String {
        var text = ""
        var pending: [[String]] = [[]]
        while !pending.isEmpty {
            let path = pending.removeFirst()
            let result = try runProcess(executable, path + ["--help"])
            #expect(result.status == 0 && result.stderr.isEmpty, "\(path): \(result.stderr)")
            #expect(try runProcess(executable, ["help"] + path).stdout == result.stdout, "help \(path)")
            text += "=== \(([executable.lastPathComponent] + path + ["--help"]).joined(separator: " ")) ===\n" + result.stdout
            if let section = result.stdout.components(separatedBy: "\nSUBCOMMANDS:\n").dropFirst().first {
                for line in section.split(separator: "\n") where line.hasPrefix("  ") && !line.hasPrefix("  See ") {
                    if let name = line.split(separator: " ").first { pending.append(path + [String(name)]) }
                }
            }
        }
        return text
    }

    @Test(arguments: ["townbench-node", "townbench-coordinator"])
    func everyHelpMatchesItsGolden(name: String) throws {
        let golden = Repository.root.appendingPathComponent("Tests/Goldens/help/\(name).txt")
        let text = try Self.helps(of: Repository.executable(name))
        if ProcessInfo.processInfo.environment["TOWNBENCH_UPDATE_GOLDENS"] == "1" {
            try text.write(to: golden, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: golden, encoding: .utf8)
        #expect(text == expected, "the help of \(name) differs from \(golden.path); review and regenerate it (see HelpTests)")
    }
}
