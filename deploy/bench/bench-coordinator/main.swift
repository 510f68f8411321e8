// bench-coordinator: prepares a coordinator directory for deploy/bench/coordinator.sh — one tenant,
// N enrolled towns, a coordinator token — and writes distinct, validly signed submissions, one
// envelope per line, ordered round-robin over the towns (so each town's sequences arrive in order
// even with many connections in flight). Not a test; a load fixture.
// Usage: bench-coordinator DIR TOWNS PER_TOWN ENVELOPES_OUT
import Coordinator
import Federation
import Foundation

let arguments = CommandLine.arguments
// `bench-coordinator --log-proofs N DIR`: inclusion and consistency proofs served from the SQLite
// store's node rows for a tenant log of N leaves (issue 9's "1,000,000 leaves in under 1 ms").
if arguments.count == 4, arguments[1] == "--log-proofs", let leaves = Int(arguments[2]), leaves > 1 {
    try LogProofBenchmark.run(leaves: leaves, directory: URL(fileURLWithPath: arguments[3], isDirectory: true))
    exit(0)
}
// `bench-coordinator --commit-rate DIR TOWNS PER_TOWN BATCH`: the writer's commit cost per submission.
if arguments.count == 6, arguments[1] == "--commit-rate", let towns = Int(arguments[3]), let perTown = Int(arguments[4]),
   let batch = Int(arguments[5]), towns > 0, perTown > 0, batch > 0 {
    try CommitBenchmark.run(directory: URL(fileURLWithPath: arguments[2], isDirectory: true), towns: towns, perTown: perTown, batch: batch)
    exit(0)
}
// `bench-coordinator --indicators CACHE TOWNS WEEKS [sqlite|postgres]`: network indicators for a
// month, a year and the region page over TOWNS towns × WEEKS weekly submissions (issue 17); the
// built network is cached under CACHE (SQLite) or in a schema named there (PostgreSQL).
if (5...6).contains(arguments.count), arguments[1] == "--indicators", let towns = Int(arguments[3]), let weeks = Int(arguments[4]),
   towns > 0, weeks > 0, let backend = IndicatorsBenchmark.Backend(rawValue: arguments.count == 6 ? arguments[5] : "sqlite") {
    try IndicatorsBenchmark.run(cache: URL(fileURLWithPath: arguments[2], isDirectory: true), towns: towns, weeks: weeks, backend: backend)
    exit(0)
}
// `bench-coordinator --store-comparison TOWNS sqlite|postgres`: bulk load and single-submission
// commit rates on a fresh store (the former test-suite PostgresBenchmark).
if arguments.count == 4, arguments[1] == "--store-comparison", let towns = Int(arguments[2]), towns > 0,
   let backend = IndicatorsBenchmark.Backend(rawValue: arguments[3]) {
    try StoreComparison.run(towns: towns, backend: backend)
    exit(0)
}
guard arguments.count == 5, let towns = Int(arguments[2]), let perTown = Int(arguments[3]) else {
    FileHandle.standardError.write(Data("Usage: bench-coordinator DIR TOWNS PER_TOWN ENVELOPES_OUT\n".utf8))
    exit(64)
}
let tenant = benchTenant
let (_, store, keys) = try benchNetwork(at: URL(fileURLWithPath: arguments[1], isDirectory: true), towns: towns)
let (token, record) = try BearerToken.issue(role: .coordinator, tenantID: tenant, townID: nil, expiresAt: Date().addingTimeInterval(86400))
try store.addToken(record)
try store.close()

// One zone, one day, two sensors: a small but complete aggregate (~900 bytes on the wire).
let created = Timestamp.format(Date())
let out = FileHandle(forWritingAtPath: arguments[4]) ?? {
    _ = FileManager.default.createFile(atPath: arguments[4], contents: nil)
    return FileHandle(forWritingAtPath: arguments[4])!
}()
var buffer = [UInt8]()
for sequence in 1...perTown {
    for t in 0..<towns {
        let key = keys[t]
        buffer += try benchEnvelope(tenant: tenant, town: "town-\(t)", key: key, sequence: sequence, created: created)
        buffer.append(0x0a)
    }
    if buffer.count > 1 << 20 {
        out.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }
}
out.write(Data(buffer))
try out.close()
print(token)
