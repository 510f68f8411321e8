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

/// The two set-up commands install what the build needs: every Debian package a `systemLibrary`
/// target names in `Package.swift` is in the demo's and the test command's package lists (the demo
/// once missed libxlsxwriter-dev and failed to build on a fresh machine).
@Suite struct SetupPackageTests {
    @Test func demoAndTestCommandsInstallEverySystemLibrarysPackage() throws {
        let manifest = try String(contentsOf: Repository.root.appendingPathComponent("Package.swift"), encoding: .utf8)
        // `.apt(["libssl-dev"])` → libssl-dev
        var needed: [String] = []
        for part in manifest.components(separatedBy: ".apt([").dropFirst() {
            guard let list = part.split(separator: "]").first else { continue }
            needed += list.split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " \"")) }
        }
        #expect(needed.count >= 6, "Package.swift should name the six C libraries' Debian packages")
        for script in ["deploy/demo.sh", "deploy/check.sh"] {
            let text = try String(contentsOf: Repository.root.appendingPathComponent(script), encoding: .utf8)
            let words = Set(text.split(whereSeparator: { " \n()\"".contains($0) }).map(String.init))
            for package in needed {
                let installed = words.contains(package)
                #expect(installed, "\(script) does not install \(package), which Package.swift's system libraries need")
            }
        }
    }
}
