// bench-federation: sign/s and verify/s of Ed25519 and of the envelope path, single thread, for
// comparison with `openssl speed ed25519` in the same run (deploy/bench/federation.sh).
// Also writes the committed test vectors: `bench-federation vectors Federation/vectors`.
//
// Usage: bench-federation [--seconds S] [--only NAME]
//        prints one `name wall-rate/s cpu-rate/cpu-s` line per measurement
//        bench-federation vectors DIR
import Federation
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "vectors" {
    let directory = URL(fileURLWithPath: arguments.dropFirst().first ?? "Federation/vectors")
    do {
        try VectorWriter.write(to: directory)
        print("bench-federation: wrote vectors to \(directory.path)")
    } catch {
        FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
        exit(1)
    }
    exit(0)
}

let seconds: Double = {
    if let i = arguments.firstIndex(of: "--seconds"), i + 1 < arguments.count, let s = Double(arguments[i + 1]) {
        return s
    }
    return 3
}()

let only: String? = {
    if let i = arguments.firstIndex(of: "--only"), i + 1 < arguments.count { return arguments[i + 1] }
    return nil
}()

/// The measurements, run in interleaved rounds by ``runAll()``. `nonisolated(unsafe)` is safe:
/// the benchmark is single-threaded top-level code; nothing else touches this array.
nonisolated(unsafe) var measurements: [(name: String, body: () throws -> Void)] = []

/// Registers a measurement (`--only NAME` skips every other one, for profiling).
func rate(_ name: String, _ body: @escaping () throws -> Void) {
    if let only, only != name { return }
    measurements.append((name, body))
}

/// CPU time of this thread, in seconds (`CLOCK_THREAD_CPUTIME_ID`).
func threadCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Runs every measurement in 5 interleaved rounds of `seconds / 5` each and prints, per
/// measurement, the best wall-clock rate and the best CPU-time rate (operations per second of
/// this thread's CPU time). `openssl speed` divides by user CPU time unless given `-elapsed`,
/// so on a shared, loaded machine the CPU-time rate is the one to compare with it; interleaving
/// exposes every measurement to the same load.
func runAll() throws {
    let rounds = 5
    let window = Duration.seconds(seconds / Double(rounds))
    let clock = ContinuousClock()
    var best = [Double](repeating: 0, count: measurements.count)
    var bestCPU = [Double](repeating: 0, count: measurements.count)
    for m in measurements { for _ in 0..<100 { try m.body() } }  // warm-up
    for _ in 0..<rounds {
        for (i, m) in measurements.enumerated() {
            let start = clock.now
            let cpuStart = threadCPUSeconds()
            var count = 0
            var elapsed = Duration.zero
            repeat {
                for _ in 0..<20 { try m.body() }
                count += 20
                elapsed = clock.now - start
            } while elapsed < window
            best[i] = max(best[i], Double(count) / (elapsed / .seconds(1)))
            bestCPU[i] = max(bestCPU[i], Double(count) / max(threadCPUSeconds() - cpuStart, 1e-9))
        }
    }
    for (i, m) in measurements.enumerated() {
        print("\(m.name) \(String(format: "%.0f", best[i]))/s \(String(format: "%.0f", bestCPU[i]))/cpu-s")
    }
}

do {
    let key = try VectorWriter.key(VectorWriter.test1Seed)
    let message = [UInt8](repeating: 0x61, count: 64)
    let signature = try key.signature(for: message)
    let payload = PrivacyPolicy.standard.apply(to: try VectorWriter.rawPayload(keyId: key.publicKey.keyID))
    let payloadBytes = try payload.canonicalBytes()
    let envelopeBytes = try payload.signedEnvelope(with: key).serialized()
    print("payload_bytes \(payloadBytes.count)")
    print("envelope_bytes \(envelopeBytes.count)")

    rate("ed25519_sign_64B") { _ = try key.signature(for: message) }
    rate("ed25519_verify_64B") { precondition(key.publicKey.isValidSignature(signature, for: message)) }
    // The same primitives over the PAE of the benchmark envelope (message-size effect).
    let pae = Envelope.preAuthenticationEncoding(payloadType: Envelope.aggregatePayloadType, payload: payloadBytes)
    let paeSignature = try key.signature(for: pae)
    rate("ed25519_sign_pae") { _ = try key.signature(for: pae) }
    rate("ed25519_verify_pae") { precondition(key.publicKey.isValidSignature(paeSignature, for: pae)) }
    rate("envelope_decode") { _ = try Envelope(parsing: envelopeBytes) }
    rate("payload_decode") { _ = try AggregatePayload(verifiedBytes: payloadBytes) }
    let payloadData = Data(payloadBytes)
    rate("payload_jsondecoder_only") { _ = try JSONDecoder().decode(AggregatePayload.self, from: payloadData) }
    rate("payload_jsonserialization") { _ = try JSONSerialization.jsonObject(with: payloadData) }
    rate("payload_validate") { try payload.validate() }
    rate("privacy_check") { precondition(PrivacyPolicy.standard.violation(in: payload) == nil) }
    // Node side: sign prepared payload bytes into envelope wire bytes.
    rate("envelope_sign") {
        _ = try Envelope.sign(payload: payloadBytes, payloadType: Envelope.aggregatePayloadType, with: key).serialized()
    }
    // Node side including canonical encoding of the payload.
    rate("payload_encode_and_sign") { _ = try payload.signedEnvelope(with: key).serialized() }
    // Coordinator side: the whole pure submission check (decode, PAE verify, payload parse, rules).
    let record = KeyRecord(
        keyID: key.publicKey.keyID, publicKey: key.publicKey, tenantID: VectorWriter.tenant,
        townID: VectorWriter.town, enrolledAt: .distantPast)
    let policy = TenantSubmissionPolicy(tenantID: VectorWriter.tenant)
    let now = Timestamp.parse(VectorWriter.now)!
    rate("submission_check") {
        let decision = SubmissionCheck.check(envelopeBytes, policy: policy, now: now, keys: { _ in record }) { _, _ in
            TownSubmissionState(lastSequence: 7)
        }
        guard case .accepted = decision else { fatalError("benchmark envelope refused: \(decision)") }
    }
    // Only the signature part of the check: outer decode + PAE + verify (no payload parse).
    rate("envelope_verify") {
        guard
            case .success = Envelope.verify(
                envelopeBytes, expectedType: Envelope.aggregatePayloadType, lookup: { _ in key.publicKey })
        else { fatalError("benchmark envelope does not verify") }
    }
    // Transparency log (issue 9): append cost against the submission path, and inclusion
    // proofs in a log of 1,000,000 leaves (in-memory node store; a database adds its reads).
    if let only, !only.hasPrefix("merkle") {
        try runAll()
        exit(0)
    }
    var tree = MerkleTree()
    let leafCount = 1_000_000
    let clock = ContinuousClock()
    let buildStart = clock.now
    for i in 0..<leafCount {
        var entry = envelopeBytes
        withUnsafeBytes(of: UInt64(i)) { entry.append(contentsOf: $0) }
        tree.append(leafHash: Merkle.leafHash(entry[(entry.count - 64)...]))
    }
    print("merkle_build_1M_seconds \(String(format: "%.2f", (clock.now - buildStart) / .seconds(1)))")
    var appendTree = MerkleTree()
    rate("merkle_append_envelope") { appendTree.append(entry: envelopeBytes) }
    let root = tree.rootHash()
    var generator = SystemRandomNumberGenerator()
    var proofLength = 0
    rate("merkle_inclusion_proof_1M") {
        let index = UInt64.random(in: 0..<UInt64(leafCount), using: &generator)
        let proof = try tree.inclusionProof(leafIndex: index)
        proofLength = proof.count
    }
    rate("merkle_inclusion_proof_and_verify_1M") {
        let index = UInt64.random(in: 0..<UInt64(leafCount), using: &generator)
        let proof = try tree.inclusionProof(leafIndex: index)
        try Merkle.verifyInclusion(
            leafIndex: index, treeSize: UInt64(leafCount), leafHash: tree.node(level: 0, index: index),
            proof: proof, root: root)
    }
    rate("merkle_consistency_proof_1M") {
        let size1 = UInt64.random(in: 1..<UInt64(leafCount), using: &generator)
        _ = try tree.consistencyProof(from: size1)
    }
    try runAll()
    if proofLength > 0 { print("merkle_inclusion_proof_1M_hashes \(proofLength)") }
} catch {
    FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
    exit(1)
}
