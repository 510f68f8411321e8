import Foundation
import Reports
import TestSupport
import Testing

/// Renders the sample pages with headless Chromium through `deploy/check-pages.sh`: each must give
/// a non-blank screenshot and no console output (a script error or a CSP violation would show).
/// Skipped when Chromium is not installed (`apt-get install -y chromium`; deploy/check.sh does).
/// Set `TOWNBENCH_SCREENSHOTS=DIR` to keep the PNGs for a look.
struct ChromiumRenderTests {
    static var chromium: String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            for name in ["chromium", "chromium-browser"] {
                let candidate = "\(dir)/\(name)"
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        return nil
    }

    @Test(
        .enabled(
            if: chromium != nil, "Chromium is not installed: apt-get install -y chromium (skipping the browser check)"),
        .timeLimit(.minutes(5)))
    func samplePagesRenderInChromium() throws {
        try withTemporaryDirectory { dir in
            var pages: [URL] = []
            func save(_ html: String, _ name: String) throws {
                let folder = dir.appendingPathComponent(name, isDirectory: true)
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                let url = folder.appendingPathComponent("index.html")
                try Data(html.utf8).write(to: url)
                pages.append(url)
            }
            pages.append(try ReportExport.write(region: Samples.region, to: dir.appendingPathComponent("region-en")))
            pages.append(
                try ReportExport.write(town: Samples.town, language: .nl, to: dir.appendingPathComponent("town-nl")))
            try save(RegionReportPage.render(Samples.region, options: RenderOptions(language: .nl)), "region-nl")
            try save(TownReportPage.render(Samples.town), "town-en")
            try save(LoginPage.render(error: "Unknown or expired token."), "login")
            let out =
                ProcessInfo.processInfo.environment["TOWNBENCH_SCREENSHOTS"]
                ?? dir.appendingPathComponent("png").path
            let script = Repository.root.appendingPathComponent("deploy/check-pages.sh")
            let result = try runProcess(URL(fileURLWithPath: "/bin/sh"), [script.path, "-o", out] + pages.map(\.path))
            #expect(result.status == 0, "check-pages.sh failed:\n\(result.stdout)\n\(result.stderr)")
            let okLines = result.stdout.split(separator: "\n").filter { $0.hasPrefix("ok ") }
            #expect(okLines.count == pages.count, "\(result.stdout)")
        }
    }

    @Test(
        .enabled(
            if: chromium != nil, "Chromium is not installed: apt-get install -y chromium (skipping the browser check)"))
    func theCheckCatchesABlankPageAndAConsoleError() throws {
        try withTemporaryDirectory { dir in
            let blank = dir.appendingPathComponent("blank.html")
            try Data("<!doctype html><html><body></body></html>".utf8).write(to: blank)
            let failing = dir.appendingPathComponent("error.html")
            try Data("<!doctype html><html><body><h1>x</h1><script>nope()</script></body></html>".utf8).write(
                to: failing)
            let script = Repository.root.appendingPathComponent("deploy/check-pages.sh")
            let result = try runProcess(
                URL(fileURLWithPath: "/bin/sh"),
                [script.path, "-o", dir.appendingPathComponent("png").path, blank.path, failing.path])
            #expect(result.status == 1)
            #expect(result.stderr.contains("FAIL \(blank.path): blank page"))
            #expect(result.stderr.contains("FAIL \(failing.path): console output"))
        }
    }
}
