import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TestSupport
import Testing

/// The whole network as real processes: a coordinator serving on loopback, a town node that
/// imports data, enrols, and pushes signed weekly aggregates; then the town's own figure as the
/// coordinator computes it must equal the one the node computes locally from its raw data.
@Suite(.serialized) struct NetworkTests {
    let node = Repository.executable("townbench-node")
    let coordinator = Repository.executable("townbench-coordinator")

    func run(_ executable: URL, _ arguments: [String], _ file: StaticString = #filePath, line: UInt = #line) throws -> ProcessResult {
        let result = try runProcess(executable, arguments)
        #expect(result.status == 0, "\(executable.lastPathComponent) \(arguments.joined(separator: " ")): \(result.stderr)")
        return result
    }

    /// Five weeks of hourly pedestrian counts in two zones, with an outage day (invalid), a
    /// street whose level changes, so like-for-like matters, and a dead counter (`markt-3`) that
    /// reports zeros in the last week: flatline days, which must reach the coordinator as missing.
    func counts(from first: String) -> String {
        var csv = "sensor,start,minutes,measure,count\n"
        let formatter = ISO8601DateFormatter()
        let start = formatter.date(from: first + "T00:00:00+02:00")!
        for hour in 0..<(35 * 24) {
            let instant = formatter.string(from: start.addingTimeInterval(Double(hour) * 3600))
            let day = hour / 24, h = hour % 24
            csv += "markt-1,\(instant),60,pedestrians,\(50 + (day * 7 + h * 3) % 40)\n"
            if day != 17 || h < 6 {  // markt-2 is out for most of day 17
                csv += "markt-2,\(instant),60,pedestrians,\(80 + (day * 11 + h) % 30 + (day >= 21 ? 25 : 0))\n"
            }
            csv += "straat-1,\(instant),60,pedestrians,\(120 + (day * 5 + h * 2) % 50)\n"
            csv += "markt-3,\(instant),60,pedestrians,\(day >= 28 ? 0 : 60 + (day * 3 + h) % 20)\n"
        }
        return csv
    }

    @Test func townFigureAtTheCoordinatorEqualsTheNodesOwn() throws {
        try withTemporaryDirectory { dir in
            let coordinatorDir = dir.appendingPathComponent("coordinator").path
            let nodeDir = dir.appendingPathComponent("harelbeke").path
            let initialised = try run(coordinator, ["init", "--dir", coordinatorDir, "--json"])
            let coordinatorKey = try #require((try JSONSerialization.jsonObject(with: Data(initialised.stdout.utf8)) as? [String: Any])?["publicKey"] as? String)
            _ = try run(coordinator, ["tenant", "add", "--dir", coordinatorDir, "--tenant", "daks", "--peers", "named"])

            _ = try run(node, ["init", "--dir", nodeDir, "--town", "harelbeke", "--tenant", "daks"])
            let sensors = dir.appendingPathComponent("sensors.csv")
            try """
                sensor,zone,zone_kind,kind,vendor
                markt-1,markt,market-square,pedestrian,crowdscan
                markt-2,markt,market-square,pedestrian,crowdscan
                markt-3,markt,market-square,pedestrian,crowdscan
                straat-1,winkelstraat,core-shopping,pedestrian,crowdscan

                """.write(to: sensors, atomically: true, encoding: .utf8)
            _ = try run(node, ["sensors", "import", "--dir", nodeDir, sensors.path])
            let countsFile = dir.appendingPathComponent("counts.csv")
            try counts(from: "2025-05-05").write(to: countsFile, atomically: true, encoding: .utf8)
            _ = try run(node, ["import", "--dir", nodeDir, "--format", "counts", countsFile.path])

            let request = dir.appendingPathComponent("enrol.json")
            try Data(try run(node, ["enroll-request", "--dir", nodeDir]).stdout.utf8).write(to: request)
            _ = try run(coordinator, ["town", "enroll", "--dir", coordinatorDir, "--tenant", "daks", request.path])
            let issued = try run(coordinator, ["token", "issue", "--dir", coordinatorDir, "--role", "town", "--tenant", "daks",
                                               "--town", "harelbeke", "--expires", "1h", "--json"])
            let token = try #require((try JSONSerialization.jsonObject(with: Data(issued.stdout.utf8)) as? [String: Any])?["token"] as? String)

            // Serve on an ephemeral port; the first line names it.
            let server = Process()
            server.executableURL = coordinator
            server.arguments = ["serve", "--dir", coordinatorDir, "--port", "0", "--quiet"]
            let output = Pipe()
            server.standardOutput = output
            server.standardError = FileHandle.nullDevice
            try launch(server)
            defer { if server.isRunning { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() } }
            var firstLine = Data()
            while !firstLine.contains(10) {
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                firstLine.append(chunk)
            }
            let listening = String(decoding: firstLine, as: UTF8.self)
            let port = try #require(listening.split(separator: ":").last.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) },
                                    "serve printed \(listening)")
            let base = "http://127.0.0.1:\(port)/"

            let pushed = try run(node, ["push", "--dir", nodeDir, "--coordinator", base, "--json"])
            let summary = try #require(try JSONSerialization.jsonObject(with: Data(pushed.stdout.utf8)) as? [String: Any])
            #expect(summary["acknowledged"] as? Int == 5 && summary["refused"] as? Int == 0 && summary["pending"] as? Int == 0)
            #expect((summary["unqueued"] as? [Any])?.isEmpty == true)
            // A second push has nothing new to say.
            let again = try run(node, ["push", "--dir", nodeDir, "--json"])
            #expect((try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any])?["queued"] as? Int == 0)

            for (from, to, lag) in [("2025-05-26", "2025-06-08", 7), ("2025-05-19", "2025-05-25", 7)] {
                let local = try run(node, ["indicators", "--dir", nodeDir, "--indicator", "footfall-index", "--from", from, "--to", to,
                                           "--lag", String(lag), "--json"])
                let localResult = try #require((try JSONSerialization.jsonObject(with: Data(local.stdout.utf8)) as? [String: Any])?["footfallIndex"] as? [String: Any])

                var request = URLRequest(url: URL(string: "\(base)v1/tenants/daks/towns/harelbeke/comparison?from=\(from)&to=\(to)&lag=\(lag)")!)
                request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
                let (body, status) = try fetch(request)
                #expect(status == 200, "\(String(decoding: body, as: UTF8.self))")
                let comparison = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
                let town = try #require(comparison["town"] as? [String: Any])
                let remote = try #require(town["footfall"] as? [String: Any])
                let localValue = try #require(localResult["value"] as? Double)
                let remoteValue = try #require(remote["value"] as? Double)
                #expect(abs(localValue - remoteValue) < 1e-9, "node \(localValue) vs coordinator \(remoteValue) for \(from)…\(to)")
                #expect(localResult["pairs"] as? Int == remote["pairs"] as? Int)
                #expect(localResult["sensors"] as? Int == remote["sensors"] as? Int)
            }
            // The town's offline page: the network report fetched, verified with the pinned key, kept.
            let tokenFile = dir.appendingPathComponent("town.token")
            try token.write(to: tokenFile, atomically: true, encoding: .utf8)
            _ = try run(node, ["configure", "--dir", nodeDir, "--coordinator-key", coordinatorKey, "--token-file", tokenFile.path])
            let page = dir.appendingPathComponent("report.html")
            _ = try run(node, ["report", "--dir", nodeDir, "--fetch", "--from", "2025-05-26", "--to", "2025-06-08", "--out", page.path])
            let html = try String(contentsOf: page, encoding: .utf8)
            #expect(html.contains("signature verified"))
            #expect(html.contains("harelbeke"))
            // A report altered in the node's store no longer verifies, and nothing renders from it.
            let storePath = dir.appendingPathComponent("harelbeke/node.sqlite").path
            let tamper = try runProcess(URL(fileURLWithPath: "/usr/bin/sqlite3"),
                                        [storePath, "UPDATE reports SET envelope = CAST(replace(CAST(envelope AS TEXT), 'eyJ', 'eyK') AS BLOB)"])
            #expect(tamper.status == 0, "\(tamper.stderr)")
            let refused = try runProcess(node, ["report", "--dir", nodeDir, "--out", page.path])
            #expect(refused.status == 65)
            #expect(refused.stderr.contains("does not verify"), "\(refused.stderr)")

            // The transparency log (issue 9): the node finds each acknowledged submission's exact bytes in
            // the coordinator's signed log and the report naming a state of it; the coordinator's
            // recompute from the log's entries equals the report it published.
            let verified = try run(node, ["verify", "--dir", nodeDir, "--from", "2025-05-26", "--to", "2025-06-08", "--json"])
            let verdict = try #require(try JSONSerialization.jsonObject(with: Data(verified.stdout.utf8)) as? [String: Any])
            #expect(verdict["treeSize"] as? Int == 5 && verdict["submissionsIncluded"] as? Int == 5 && verdict["stored"] as? Bool == true,
                    "\(verified.stdout)")
            let shown = try run(node, ["checkpoint", "show", "--dir", nodeDir])
            #expect(shown.stdout.hasPrefix("townbench-coordinator/townbench/daks\n5\n"), "\(shown.stdout)")
            let recomputed = try run(coordinator, ["report", "recompute", "--dir", coordinatorDir, "--tenant", "daks", "--checkpoint", "5"])
            #expect(recomputed.stdout.contains("All 1 reports published at checkpoint 5 are equal"), "\(recomputed.stdout)")

            // A coordinator operator alters the envelope the node sent first (after removing the guard).
            let coordinatorStore = dir.appendingPathComponent("coordinator/coordinator.sqlite").path
            let altered = try runProcess(URL(fileURLWithPath: "/usr/bin/sqlite3"), [coordinatorStore, """
                DROP TRIGGER submissions_envelope_kept;
                UPDATE submissions SET envelope = CAST(replace(CAST(envelope AS TEXT), 'eyJ', 'eyK') AS BLOB) WHERE leaf_index = 0;
                """])
            #expect(altered.status == 0, "\(altered.stderr)")
            let caught = try runProcess(node, ["verify", "--dir", nodeDir, "--from", "2025-05-26", "--to", "2025-06-08"])
            #expect(caught.status == 65, "\(caught.stdout) \(caught.stderr)")
            #expect((caught.stdout + caught.stderr).contains("not the bytes this node sent"), "\(caught.stdout) \(caught.stderr)")
            let mismatch = try runProcess(coordinator, ["report", "recompute", "--dir", coordinatorDir, "--tenant", "daks", "--checkpoint", "5"])
            #expect(mismatch.status == 1 && mismatch.stderr.contains("not to the checkpoint's root"), "\(mismatch.stderr)")

            // SIGTERM stops the server cleanly (within its grace period), never a hang.
            server.terminate()
            let deadline = Date().addingTimeInterval(20)
            while server.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            #expect(!server.isRunning, "serve did not stop within 20 s of SIGTERM")
            if !server.isRunning { #expect(server.terminationStatus == 0) }
        }
    }

    func fetch(_ request: URLRequest) throws -> (Data, Int) {
        final class Box: @unchecked Sendable {  // written once by the callback before the semaphore is signalled
            var data = Data()
            var status = 0
        }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: request) { data, response, _ in
            box.data = data ?? Data()
            box.status = (response as? HTTPURLResponse)?.statusCode ?? 0
            done.signal()
        }.resume()
        done.wait()
        return (box.data, box.status)
    }
}
