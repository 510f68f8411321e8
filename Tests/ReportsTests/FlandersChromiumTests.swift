import Foundation
import Reports
import TestSupport
import Testing

/// The 300-town pages in headless Chromium (issue 17): not blank and without console output
/// (deploy/check-pages.sh) at an A4 page's width (794 px), under 2 MB, and nothing wider than the
/// page: a copy of each page with a measuring script (the served pages run none) lists every
/// element whose right edge passes the viewport and every table that would scroll.
/// Set `TOWNBENCH_SCREENSHOTS=DIR` to keep the PNGs for a look.
struct FlandersChromiumTests {
    static let a4Width = 794

    static func pages() -> [(name: String, html: String)] {
        var group = RegionScaleTests.served
        group.group = "Small towns West Flanders"
        return [
            ("region-300", RegionReportPage.render(Samples.flanders, view: RegionScaleTests.served)),
            ("region-300-group-nl", RegionReportPage.render(Samples.flanders, options: RenderOptions(language: .nl), view: group)),
            ("town-300-groups", TownReportPage.render(Samples.flandersTown)),
            // Parking, visitor origin and dwell time (issue 19) on both pages.
            ("region-300-lots-nl", RegionReportPage.render(Samples.flandersWithLots, options: RenderOptions(language: .nl), view: RegionScaleTests.served)),
            ("town-300-lots-nl", TownReportPage.render(Samples.flandersTownWithLots, options: RenderOptions(language: .nl))),
            // The small samples too: their events carry notes and long names.
            ("region-7-nl", RegionReportPage.render(Samples.region, options: RenderOptions(language: .nl))),
            ("town-7", TownReportPage.render(Samples.town)),
            // Event-uplift v2 (issue 18): the events table with the level, verdict and calibration.
            ("region-300-v2-nl", RegionReportPage.render(Samples.flandersV2, options: RenderOptions(language: .nl), view: RegionScaleTests.served)),
            ("region-7-v2", RegionReportPage.render(Samples.regionV2)),
            ("town-7-v2", TownReportPage.render(Samples.townV2)),
            ("town-7-v2-nl", TownReportPage.render(Samples.townV2, options: RenderOptions(language: .nl))),
        ]
    }

    /// The script that measures overflow, appended to a copy of a page (its CSP meta removed).
    static let measure = """
        <script>
        (function () {
          var width = document.documentElement.clientWidth, found = [];
          if (document.documentElement.scrollWidth > width) found.push("document " + document.documentElement.scrollWidth + " > " + width);
          document.querySelectorAll("body *").forEach(function (e) {
            var r = e.getBoundingClientRect();
            if (r.width > 0 && r.right > width + 0.5 && !e.closest(".tablewrap")) found.push(e.tagName + "." + e.className + " right " + Math.round(r.right));
          });
          document.querySelectorAll(".tablewrap").forEach(function (w) {
            if (w.scrollWidth > w.clientWidth + 1) found.push("table " + (w.querySelector("caption") || {}).textContent + " " + w.scrollWidth + " > " + w.clientWidth
              + " (columns " + Array.prototype.map.call(w.querySelectorAll("thead th"), function (h) { return h.textContent + " " + Math.round(h.getBoundingClientRect().width); }).join(", ") + ")");
          });
          var out = document.createElement("pre");
          out.id = "overflow-report";
          out.textContent = "OVERFLOW[" + found.slice(0, 20).join(" | ") + "]";
          document.body.appendChild(out);
        })();
        </script>
        """

    @Test(
        .enabled(if: ChromiumRenderTests.chromium != nil, "Chromium is not installed: apt-get install -y chromium (skipping the browser check)"),
        .timeLimit(.minutes(5)))
    func flandersPagesRenderAtA4Width() throws {
        let chromium = try #require(ChromiumRenderTests.chromium)
        try withTemporaryDirectory { dir in
            var files: [URL] = []
            for page in Self.pages() {
                #expect(page.html.utf8.count < 2_000_000, "\(page.name): \(page.html.utf8.count) bytes")
                let folder = dir.appendingPathComponent(page.name, isDirectory: true)
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                let url = folder.appendingPathComponent("index.html")
                try Data(page.html.utf8).write(to: url)
                files.append(url)
            }
            let out = ProcessInfo.processInfo.environment["TOWNBENCH_SCREENSHOTS"] ?? dir.appendingPathComponent("png").path
            let script = Repository.root.appendingPathComponent("deploy/check-pages.sh")
            let shots = try runProcess(
                URL(fileURLWithPath: "/usr/bin/env"), ["WIDTH=\(Self.a4Width)", "HEIGHT=3000", "/bin/sh", script.path, "-o", out] + files.map(\.path))
            #expect(shots.status == 0, "check-pages.sh failed:\n\(shots.stdout)\n\(shots.stderr)")
            #expect(shots.stdout.split(separator: "\n").filter { $0.hasPrefix("ok ") }.count == files.count, "\(shots.stdout)")

            let profile = dir.appendingPathComponent("profile").path
            for page in Self.pages() {
                let csp = "<meta http-equiv=\"Content-Security-Policy\" content=\"\(HTML.escape(HTML.contentSecurityPolicy))\">\n"
                let measured = page.html.replacingOccurrences(of: csp, with: "")
                    .replacingOccurrences(of: "</body>", with: Self.measure + "</body>")
                let copy = URL(fileURLWithPath: out).appendingPathComponent("\(page.name)-measure.html")
                try Data(measured.utf8).write(to: copy)
                let dom = try runProcess(
                    URL(fileURLWithPath: chromium),
                    ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run", "--disable-extensions",
                     "--disable-background-networking", "--user-data-dir=\(profile)", "--window-size=\(Self.a4Width),1200",
                     "--dump-dom", copy.absoluteString])
                #expect(dom.stdout.contains("OVERFLOW[]"), "\(page.name) overflows an A4 page's width: \(dom.stdout.components(separatedBy: "OVERFLOW[").dropFirst().first?.prefix(1500) ?? "no report (\(dom.stderr.suffix(400)))")")
            }
        }
    }
}
