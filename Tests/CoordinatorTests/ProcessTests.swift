import Federation
import Foundation
import Synchronization
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `townbench-coordinator` as a real process: the admin CLI, and kill -9 during a stream.
@Suite("townbench-coordinator process")
struct ProcessTests {
    static let binary = Repository.executable("townbench-coordinator")
    static let tenant = "daks-west-flanders"

    static func run(_ arguments: [String]) throws -> ProcessResult { try runProcess(binary, arguments) }

    /// init + tenant add + enrol `towns` (keys returned) + a coordinator token.
    static func setUp(_ dir: URL, towns: [String]) throws -> (keys: [String: Ed25519.PrivateKey], token: String) {
        let path = dir.appendingPathComponent("coord").path
        #expect(try run(["init", "--dir", path]).status == 0)
        #expect(try run(["tenant", "add", "--dir", path, "--tenant", tenant, "--peers", "named"]).status == 0)
        var keys: [String: Ed25519.PrivateKey] = [:]
        for town in towns {
            let key = try Ed25519.PrivateKey()
            let request = dir.appendingPathComponent("\(town).json")
            try Data(try EnrolmentRequest.signed(tenantId: tenant, townId: town, key: key, createdAt: Date()).serialized()).write(to: request)
            let enrolled = try run(["town", "enroll", "--dir", path, "--tenant", tenant, request.path])
            #expect(enrolled.status == 0, "\(enrolled.stderr)")
            keys[town] = key
        }
        let issued = try run(["token", "issue", "--dir", path, "--role", "coordinator", "--tenant", tenant, "--expires", "1h", "--json"])
        #expect(issued.status == 0, "\(issued.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(issued.stdout.utf8)) as? [String: String]
        return (keys, try #require(json?["token"]))
    }

    /// Starts `serve` on port 0 and returns the process and the bound port (read from its stdout).
    static func serve(_ dir: URL) throws -> (Process, UInt16, Pipe) {
        try start(["serve", "--dir", dir.appendingPathComponent("coord").path, "--port", "0", "--quiet"])
    }

    /// Starts `townbench-coordinator` with `arguments` (a `serve` on port 0) and reads the bound port.
    static func start(_ arguments: [String]) throws -> (Process, UInt16, Pipe) {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try launch(process)
        var text = ""
        let deadline = Date().addingTimeInterval(15)
        while !text.contains("\n"), Date() < deadline {
            let data = out.fileHandleForReading.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
        }
        guard let portText = text.split(separator: "\n").first?.split(separator: ":").last, let port = UInt16(portText) else {
            process.terminate()
            throw RawClientError(description: "\(arguments.joined(separator: " ")) printed \(text)")
        }
        return (process, port, out)
    }

    /// The latest checkpoint, opened with the coordinator's key (from its directory) and origin.
    static func checkpoint(_ port: UInt16, token: String, dir: URL) throws -> Checkpoint {
        let response = try http(port, "GET", "/v1/tenants/\(tenant)/log/checkpoint", token: token)
        guard response.status == 200 else { throw RawClientError(description: "checkpoint: \(response.status) \(response.bodyText)") }
        let document = try JSONDecoder().decode(TransparencyLog.SignedCheckpoint.self, from: Data(response.body))
        let seed = try Data(contentsOf: dir.appendingPathComponent("coord/coordinator.key"))
        let key = try Ed25519.PrivateKey(seed: [UInt8](seed)).publicKey
        return try TransparencyLog.openCheckpoint(document.note, verifier: SignedNote.Verifier(name: "townbench-coordinator", publicKey: key),
                                                  origin: "townbench-coordinator/townbench/\(tenant)")
    }

    @Test("help, usage errors, weak-key and wrong-tenant enrolment exit codes")
    func cli() throws {
        try withTemporaryDirectory { dir in
            let help = try Self.run(["--help"])
            #expect(help.status == 0)
            #expect(help.stdout.contains("USAGE: townbench-coordinator <subcommand>"))
            for sub in ["init", "serve", "token", "town", "tenant"] { #expect(help.stdout.contains("  \(sub)")) }
            let path = dir.appendingPathComponent("coord").path
            #expect(try Self.run(["init", "--dir", path]).status == 0)
            let again = try Self.run(["init", "--dir", path])
            #expect(again.status == 1 && again.stderr.contains("already holds a coordinator"))
            let usage = try Self.run(["token", "issue", "--dir", path, "--role", "admin", "--tenant", Self.tenant])
            #expect(usage.status == 64)
            #expect(usage.stderr.hasPrefix("Error: missing --expires"))
            #expect(try Self.run(["tenant", "add", "--dir", path, "--tenant", Self.tenant]).status == 0)
            let vectors = Repository.root.appendingPathComponent("Federation/vectors")
            let weak = try Self.run(["town", "enroll", "--dir", path, "--tenant", Self.tenant,
                                     vectors.appendingPathComponent("enrolment-weak-identity.json").path])
            #expect(weak.status == 65 && weak.stderr.contains("weak_key"), "\(weak.stderr)")
            #expect(try Self.run(["tenant", "add", "--dir", path, "--tenant", "lokaal-3d"]).status == 0)
            let wrongTenant = try Self.run(["town", "enroll", "--dir", path, "--tenant", "lokaal-3d",
                                            vectors.appendingPathComponent("enrolment-test1.json").path])
            #expect(wrongTenant.status == 65 && wrongTenant.stderr.contains("wrong_tenant"))
            let ok = try Self.run(["town", "enroll", "--dir", path, "--tenant", Self.tenant,
                                   vectors.appendingPathComponent("enrolment-test1.json").path])
            #expect(ok.status == 0 && ok.stdout.contains("21fe31dfa154a261626bf854046fd227"))
            let revoke = try Self.run(["town", "revoke-key", "--dir", path, "--tenant", Self.tenant, "--key", "21fe31dfa154a261626bf854046fd227"])
            #expect(revoke.status == 0, "\(revoke.stderr)")
            let policy = try Self.run(["tenant", "policy", "--dir", path, "--tenant", Self.tenant, "--min-store-entries", "15", "--json"])
            #expect(policy.status == 0 && policy.stdout.contains("\"minimumStoreEntries\" : 15"))
            // The log: an empty tenant's checkpoint is signed on demand; recompute needs a stored checkpoint.
            let checkpoint = try Self.run(["log", "checkpoint", "--dir", path, "--tenant", Self.tenant])
            #expect(checkpoint.status == 0)
            #expect(checkpoint.stdout.hasPrefix("townbench-coordinator/townbench/\(Self.tenant)\n0\n\(Base64.encode(Merkle.emptyRoot))\n\n\u{2014} "),
                    "\(checkpoint.stdout)")
            let beyond = try Self.run(["log", "checkpoint", "--dir", path, "--tenant", Self.tenant, "--tree-size", "3"])
            #expect(beyond.status == 64 && beyond.stderr.contains("there is no tree of size 3"), "\(beyond.stderr)")
            let recompute = try Self.run(["report", "recompute", "--dir", path, "--tenant", Self.tenant, "--checkpoint", "7"])
            #expect(recompute.status == 1 && recompute.stderr.contains("no checkpoint of size 7"), "\(recompute.stderr)")
            let empty = try Self.run(["report", "recompute", "--dir", path, "--tenant", Self.tenant, "--checkpoint", "0"])
            #expect(empty.status == 0 && empty.stdout.contains("No report was published at this checkpoint."), "\(empty.stdout)")
            let badName = try Self.run(["init", "--dir", dir.appendingPathComponent("other").path, "--name", "two words"])
            #expect(badName.status == 64 && badName.stderr.contains("cannot name a coordinator's checkpoints"), "\(badName.stderr)")
        }
    }

    /// Issue 16: a report-page session outlives a restart of `serve` (sessions are in the store).
    @Test func aBrowserSessionSurvivesARestart() throws {
        try withTemporaryDirectory { dir in
            let (_, token) = try Self.setUp(dir, towns: [])
            var (process, port, _) = try Self.serve(dir)
            let login = try http(port, "POST", "/login", body: PageTests.form([("token", token)]))
            #expect(login.status == 303)
            let cookie = try #require(login.headers["set-cookie"]?.split(separator: ";").first.map(String.init))
            let region = "/tenants/\(Self.tenant)/region"
            #expect(try http(port, "GET", region, headers: ["Cookie": cookie]).status == 200)
            process.terminate()
            process.waitUntilExit()
            (process, port, _) = try Self.serve(dir)
            defer { process.terminate(); process.waitUntilExit() }
            let after = try http(port, "GET", region, headers: ["Cookie": cookie])
            #expect(after.status == 200, "\(after.status) \(after.headers)")
        }
    }

    /// Numbers out of range on the CLI (issue 16): a usage error (64) naming the flag and its
    /// range, and nothing changed: no crash, no token already expired, no tenant that refuses
    /// every submission.
    @Test func outOfRangeNumbersAreUsageErrors() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("coord").path
            #expect(try Self.run(["init", "--dir", path]).status == 0)
            #expect(try Self.run(["tenant", "add", "--dir", path, "--tenant", Self.tenant]).status == 0)
            for expires in ["9223372036854775807d", "999999999999d", "3651d", "87601h", "5256001m", "9999-01-01T00:00:00Z", "0d", "-5d", "2001-01-01T00:00:00Z"] {
                let issue = try Self.run(["token", "issue", "--dir", path, "--role", "admin", "--tenant", Self.tenant, "--expires", expires])
                #expect(issue.status == 64, "\(expires): \(issue.stdout)\(issue.stderr)")
                #expect(issue.stderr.hasPrefix("Error: --expires must be a future time at most 3650 days ahead: a duration 1–3650d, 1–87600h or 1–5256000m"),
                        "\(expires): \(issue.stderr)")
                #expect(issue.stderr.contains("not '\(expires)'"))
            }
            for expires in ["3650d", "87600h"] {
                let issue = try Self.run(["token", "issue", "--dir", path, "--role", "admin", "--tenant", Self.tenant, "--expires", expires])
                #expect(issue.status == 0, "\(expires): \(issue.stderr)")
            }
            for age in ["0", "6", "3651", "-1", "9223372036854775808"] {
                let policy = try Self.run(["tenant", "policy", "--dir", path, "--tenant", Self.tenant, "--max-age-days", age])
                #expect(policy.status == 64, "\(age): \(policy.stderr)")
                #expect(policy.stderr.hasPrefix("Error: --max-age-days must be a whole number from 7 to 3650, not '\(age)'"), "\(policy.stderr)")
            }
            let shown = try Self.run(["tenant", "policy", "--dir", path, "--tenant", Self.tenant, "--max-age-days", "7", "--json"])
            #expect(shown.status == 0 && shown.stdout.contains("\"maximumAgeDays\" : 7"), "\(shown.stdout)")
        }
    }

    @Test("kill -9 during a stream of submissions: every submission that got a 202 is stored and in the log after restart, and the log verifies from the first checkpoint to the last")
    func durability() throws {
        try withTemporaryDirectory { dir in
            let towns = ["oostkamp", "veurne", "diksmuide", "menen"]
            let (keys, token) = try Self.setUp(dir, towns: towns)
            let (server, port, _) = try Self.serve(dir)
            let acknowledged = Mutex<[String: [String]]>([:])
            let sentBodies = Mutex<[String: [UInt8]]>([:])
            let stop = Atomic<Bool>(false)
            let group = DispatchGroup()
            for town in towns {
                guard let key = keys[town] else { continue }
                DispatchQueue.global().async(group: group) {
                    var sequence = 0
                    while !stop.load(ordering: .relaxed) {
                        sequence += 1
                        guard let id = try? SubmissionID.random(),
                              let body = try? envelope(tenant: Self.tenant, town: town, key: key, sequence: sequence,
                                                       days: [DayData(date: "2026-11-02", sensors: [("a", Double(sequence))])],
                                                       submissionID: id),
                              let response = try? http(port, "POST", "/v1/tenants/\(Self.tenant)/submissions", body: body)
                        else { break }
                        if response.status == 202 {
                            sentBodies.withLock { $0[id] = body }
                            acknowledged.withLock { $0[town, default: []].append(id) }
                        }
                    }
                }
            }
            // A checkpoint early in the stream (what a town would have stored), then kill -9 in full flow.
            while acknowledged.withLock({ $0.values.map(\.count).reduce(0, +) }) < 50 { usleep(10_000) }
            let first = try Self.checkpoint(port, token: token, dir: dir)
            while acknowledged.withLock({ $0.values.map(\.count).reduce(0, +) }) < 200 { usleep(10_000) }
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
            stop.store(true, ordering: .relaxed)
            group.wait()
            let acked = acknowledged.withLock { $0 }
            #expect(acked.values.map(\.count).reduce(0, +) >= 200)

            let (restarted, newPort, output) = try Self.serve(dir)
            for town in towns {
                let response = try http(newPort, "GET", "/v1/tenants/\(Self.tenant)/towns/\(town)/submissions", token: token)
                #expect(response.status == 200)
                let stored = Set(((response.json?["submissions"] as? [[String: Any]]) ?? [])
                    .compactMap { ($0["receipt"] as? [String: Any])?["submissionId"] as? String })
                let missing = (acked[town] ?? []).filter { !stored.contains($0) }
                #expect(missing.isEmpty, "\(town): \(missing.count) acknowledged submissions lost")
            }
            // The log: every acknowledged submission's exact bytes are in the latest checkpoint, and
            // the log after the crash extends the checkpoint taken before it.
            let last = try Self.checkpoint(newPort, token: token, dir: dir)
            #expect(last.size >= UInt64(acked.values.map(\.count).reduce(0, +)))
            let bodies = sentBodies.withLock { $0 }
            for (town, ids) in acked {
                for id in ids {
                    let response = try http(newPort, "GET", "/v1/tenants/\(Self.tenant)/log/inclusion?submission=\(id)&town=\(town)&treeSize=\(last.size)",
                                            token: token)
                    #expect(response.status == 200, "\(town)/\(id) has no inclusion proof: \(response.bodyText)")
                    let proof = try JSONDecoder().decode(TransparencyLog.InclusionProof.self, from: Data(response.body))
                    try TransparencyLog.verifyInclusion(of: try #require(bodies[id]), proof: proof, in: last)
                }
            }
            let consistency = try http(newPort, "GET", "/v1/tenants/\(Self.tenant)/log/consistency?from=\(first.size)&to=\(last.size)", token: token)
            #expect(consistency.status == 200, "\(consistency.bodyText)")
            try TransparencyLog.verifyConsistency(
                from: first, to: last, proof: try JSONDecoder().decode(TransparencyLog.ConsistencyProof.self, from: Data(consistency.body)))
            // SIGTERM: a clean shutdown with exit status 0.
            restarted.terminate()
            restarted.waitUntilExit()
            #expect(restarted.terminationReason == .exit && restarted.terminationStatus == 0)
            let rest = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(rest.contains("Stopped (signal 15)."))
        }
    }
}
