import Foundation
import TestSupport
import Testing

/// What a release needs beyond the code: one version for both executables, matching the newest
/// entry of `CHANGELOG.md` (the Debian package takes its version from the binary).
@Suite struct ReleaseTests {
    @Test func bothExecutablesPrintTheChangelogsNewestVersion() throws {
        let changelog = try String(contentsOf: Repository.root.appendingPathComponent("CHANGELOG.md"), encoding: .utf8)
        // The newest release heading, e.g. "## [0.2.0] - 2026-12-02".
        let heading = try #require(changelog.split(separator: "\n").first { $0.hasPrefix("## [") && !$0.hasPrefix("## [Unreleased]") })
        let newest = try #require(heading.dropFirst(4).split(separator: "]").first.map(String.init))
        for name in ["townbench-node", "townbench-coordinator"] {
            let result = try runProcess(Repository.executable(name), ["--version"])
            #expect(result.status == 0)
            #expect(result.stdout == "\(name) \(newest)\n")
        }
    }
}
