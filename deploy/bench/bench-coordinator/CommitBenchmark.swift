// The writer's side of the submission path alone: verified submissions committed to the SQLite
// store in group-commit batches (each batch one durable transaction that also appends the log
// leaves and signs the tenant's checkpoint). Verification is done beforehand and not timed.
import Coordinator
import Federation
import Foundation
import Storage

enum CommitBenchmark {
    static func run(directory: URL, towns: Int, perTown: Int, batch: Int) throws {
        let (dir, store, keys) = try benchNetwork(at: directory, towns: towns)
        defer { try? store.close() }  // a benchmark: its numbers are printed already
        let tenant = benchTenant
        let scope = TenantScope.administrative(tenant)
        let created = Timestamp.format(Date())
        let policy = TenantSubmissionPolicy(tenantID: tenant)
        var submissions: [VerifiedSubmission] = []
        for sequence in 1...perTown {
            for t in 0..<towns {
                let body = try benchEnvelope(tenant: tenant, town: "town-\(t)", key: keys[t], sequence: sequence, created: created)
                let decision = try SubmissionCheck.check(body, policy: policy, now: Date(), keys: { try store.keyRecord(id: $0, scope) },
                                                         state: { _, _ in TownSubmissionState() })
                guard case .accepted(let accepted) = decision else { fatalError("the benchmark's envelope was refused: \(decision)") }
                submissions.append(VerifiedSubmission(scope: scope, accepted: accepted, body: body))
            }
        }
        let signer = try dir.checkpointSigner()
        let clock = ContinuousClock()
        var stored = 0
        func cpuSeconds() -> Double {
            var t = timespec()
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
            return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
        }
        let cpuBefore = cpuSeconds()
        let elapsed = try clock.measure {
            var i = 0
            while i < submissions.count {
                let outcomes = try store.commit(Array(submissions[i..<min(i + batch, submissions.count)]), at: Date(), signer: signer)
                stored += outcomes.filter { if case .stored = $0 { true } else { false } }.count
                i += batch
            }
        }
        let cpu = cpuSeconds() - cpuBefore
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(String(format: "commit_per_submission_us %.1f wall, %.1f CPU (%d stored in batches of %d, %.0f/s on the writer thread)",
                     seconds * 1e6 / Double(stored), cpu * 1e6 / Double(stored), stored, batch, Double(stored) / seconds))
    }
}
