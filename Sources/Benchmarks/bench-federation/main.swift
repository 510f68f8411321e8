// bench-federation: sign/s and verify/s of Ed25519 and of the envelope path, single thread, for
// comparison with `openssl speed ed25519` in the same run (deploy/bench/federation.sh).
// Also writes the committed test vectors: `bench-federation vectors Federation/vectors`.
//
// Usage: bench-federation [--seconds S]      prints one `name rate/s` line per measurement
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

/// Runs `body` repeatedly for about `seconds` and returns operations per second (`--only NAME`
/// skips every other measurement, for profiling one of them).
func rate(_ name: String, _ body: () throws -> Void) rethrows -> Double {
    if let only, only != name { return 0 }
    // Warm-up.
    for _ in 0..<200 { try body() }
    let clock = ContinuousClock()
    let start = clock.now
    var count = 0
    var elapsed = Duration.zero
    repeat {
        for _ in 0..<100 { try body() }
        count += 100
        elapsed = clock.now - start
    } while elapsed < .seconds(seconds)
    let s = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let r = Double(count) / s
    print("\(name) \(String(format: "%.0f", r))/s")
    return r
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

    _ = try rate("ed25519_sign_64B") { _ = try key.signature(for: message) }
    _ = rate("ed25519_verify_64B") { precondition(key.publicKey.isValidSignature(signature, for: message)) }
    // The same primitives over the PAE of the benchmark envelope (message-size effect).
    let pae = Envelope.preAuthenticationEncoding(payloadType: Envelope.aggregatePayloadType, payload: payloadBytes)
    let paeSignature = try key.signature(for: pae)
    _ = try rate("ed25519_sign_pae") { _ = try key.signature(for: pae) }
    _ = rate("ed25519_verify_pae") { precondition(key.publicKey.isValidSignature(paeSignature, for: pae)) }
    _ = try rate("envelope_decode") { _ = try Envelope(parsing: envelopeBytes) }
    _ = try rate("payload_decode") { _ = try AggregatePayload(verifiedBytes: payloadBytes) }
    let payloadData = Data(payloadBytes)
    _ = try rate("payload_jsondecoder_only") { _ = try JSONDecoder().decode(AggregatePayload.self, from: payloadData) }
    _ = try rate("payload_jsonserialization") { _ = try JSONSerialization.jsonObject(with: payloadData) }
    _ = try rate("payload_validate") { try payload.validate() }
    _ = rate("privacy_check") { precondition(PrivacyPolicy.standard.violation(in: payload) == nil) }
    // Node side: sign prepared payload bytes into envelope wire bytes.
    _ = try rate("envelope_sign") {
        _ = try Envelope.sign(payload: payloadBytes, payloadType: Envelope.aggregatePayloadType, with: key).serialized()
    }
    // Node side including canonical encoding of the payload.
    _ = try rate("payload_encode_and_sign") { _ = try payload.signedEnvelope(with: key).serialized() }
    // Coordinator side: the whole pure submission check (decode, PAE verify, payload parse, rules).
    let record = KeyRecord(
        keyID: key.publicKey.keyID, publicKey: key.publicKey, tenantID: VectorWriter.tenant,
        townID: VectorWriter.town, enrolledAt: .distantPast)
    let policy = TenantSubmissionPolicy(tenantID: VectorWriter.tenant)
    let now = Timestamp.parse(VectorWriter.now)!
    _ = rate("submission_check") {
        let decision = SubmissionCheck.check(envelopeBytes, policy: policy, now: now, keys: { _ in record }) { _, _ in
            TownSubmissionState(lastSequence: 7)
        }
        guard case .accepted = decision else { fatalError("benchmark envelope refused: \(decision)") }
    }
    // Only the signature part of the check: outer decode + PAE + verify (no payload parse).
    _ = rate("envelope_verify") {
        guard
            case .success = Envelope.verify(
                envelopeBytes, expectedType: Envelope.aggregatePayloadType, lookup: { _ in key.publicKey })
        else { fatalError("benchmark envelope does not verify") }
    }
    // Transparency log (issue 9): append cost against the submission path, and inclusion
    // proofs in a log of 1,000,000 leaves (in-memory node store; a database adds its reads).
    if let only, !only.hasPrefix("merkle") { exit(0) }
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
    _ = rate("merkle_append_envelope") { appendTree.append(entry: envelopeBytes) }
    let root = tree.rootHash()
    var generator = SystemRandomNumberGenerator()
    var proofLength = 0
    _ = try rate("merkle_inclusion_proof_1M") {
        let index = UInt64.random(in: 0..<UInt64(leafCount), using: &generator)
        let proof = try tree.inclusionProof(leafIndex: index)
        proofLength = proof.count
    }
    print("merkle_inclusion_proof_1M_hashes \(proofLength)")
    _ = try rate("merkle_inclusion_proof_and_verify_1M") {
        let index = UInt64.random(in: 0..<UInt64(leafCount), using: &generator)
        let proof = try tree.inclusionProof(leafIndex: index)
        try Merkle.verifyInclusion(
            leafIndex: index, treeSize: UInt64(leafCount), leafHash: tree.node(level: 0, index: index),
            proof: proof, root: root)
    }
    _ = try rate("merkle_consistency_proof_1M") {
        let size1 = UInt64.random(in: 1..<UInt64(leafCount), using: &generator)
        _ = try tree.consistencyProof(from: size1)
    }
} catch {
    FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
    exit(1)
}
