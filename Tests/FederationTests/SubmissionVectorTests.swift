import Federation
import Foundation
import TestSupport
import Testing

/// Runs every case of `Federation/vectors/submissions.json` through ``SubmissionCheck``.
struct SubmissionManifest: Decodable {
    struct Key: Decodable {
        var keyId: String
        var publicKey: String
        var tenantId: String
        var townId: String
        var status: String
        var statusAt: String?
    }
    struct Case: Decodable {
        var name: String
        var file: String
        var expect: String
        var reason: String?
        var lastSequence: Int?
        var existingPayloadDigest: String?
    }
    var tenantId: String
    var now: String
    var maximumAgeDays: Int
    var clockSkewSeconds: Int
    var privacy: PrivacyPolicy
    var keys: [Key]
    var cases: [Case]

    static let directory = Repository.root.appendingPathComponent("Federation/vectors")
    static func load() throws -> SubmissionManifest {
        try JSONDecoder().decode(
            SubmissionManifest.self, from: Data(contentsOf: directory.appendingPathComponent("submissions.json")))
    }

    func records() throws -> [String: KeyRecord] {
        var out: [String: KeyRecord] = [:]
        for k in keys {
            var status = KeyRecord.Status.active
            if k.status == "revoked", let at = k.statusAt.flatMap(Timestamp.parse) { status = .revoked(at: at) }
            let key = try Ed25519.PublicKey(rawRepresentation: Hex.decode(k.publicKey)!)
            out[k.keyId] = KeyRecord(
                keyID: k.keyId, publicKey: key, tenantID: k.tenantId, townID: k.townId,
                enrolledAt: Date(timeIntervalSince1970: 0), status: status)
        }
        return out
    }
}

@Suite struct SubmissionVectorTests {
    static let caseNames: [String] = (try? SubmissionManifest.load().cases.map(\.name)) ?? []

    @Test func manifestCoversTheRequiredRefusals() throws {
        let manifest = try SubmissionManifest.load()
        let reasons = Set(manifest.cases.compactMap(\.reason))
        for required in [
            "bad_signature", "unknown_key", "wrong_tenant", "replay_different_bytes", "weak_key",
            "truncated_signature", "bad_payload_type", "sequence_not_increasing", "created_in_future",
            "too_old", "malformed_envelope", "malformed_payload", "privacy_violation", "revoked_key", "wrong_town",
        ] {
            #expect(reasons.contains(required), "no vector for \(required)")
            #expect(RefusalReason(code: required) != nil)
        }
        #expect(manifest.cases.contains { $0.expect == "accepted" })
        #expect(manifest.cases.contains { $0.expect == "duplicate" })
    }

    @Test(arguments: caseNames) func vector(name: String) throws {
        let manifest = try SubmissionManifest.load()
        let c = try #require(manifest.cases.first { $0.name == name })
        let bytes = try Data(contentsOf: SubmissionManifest.directory.appendingPathComponent(c.file))
        let records = try manifest.records()
        let policy = TenantSubmissionPolicy(
            tenantID: manifest.tenantId, privacy: manifest.privacy,
            maximumAge: TimeInterval(manifest.maximumAgeDays * 86400),
            clockSkew: TimeInterval(manifest.clockSkewSeconds))
        let now = try #require(Timestamp.parse(manifest.now))
        let decision = SubmissionCheck.check(bytes, policy: policy, now: now, keys: { records[$0] }) { _, _ in
            TownSubmissionState(
                lastSequence: c.lastSequence, existingPayloadDigest: c.existingPayloadDigest.flatMap { Hex.decode($0) })
        }
        switch (decision, c.expect) {
        case (.accepted(let accepted), "accepted"):
            // The exact bytes are reproducible: canonical re-encoding and deterministic signing.
            #expect(try accepted.payload.canonicalBytes() == accepted.envelope.payload)
            #expect(accepted.payloadDigest == SHA256.hash(accepted.envelope.payload))
            #expect(accepted.envelope.serialized() == Array(bytes))
        case (.duplicate, "duplicate"):
            break
        case (.refused(let refusal), "refused"):
            #expect(refusal.reason.code == c.reason, "\(name): \(refusal)")
        default:
            Issue.record("\(name): expected \(c.expect) \(c.reason ?? ""), got \(decision)")
        }
    }

    /// The accepted vector's bytes are re-created from the TEST 1 seed and the committed payload.
    @Test func acceptedVectorIsReproducibleFromTheTest1Seed() throws {
        let key = try Ed25519.PrivateKey(
            seed: Hex.decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")!)
        let payloadBytes = try Data(
            contentsOf: SubmissionManifest.directory.appendingPathComponent("aggregate-v1-payload.json"))
        let payload = try AggregatePayload(verifiedBytes: payloadBytes)
        #expect(try payload.canonicalBytes() == Array(payloadBytes))
        let envelope = try payload.signedEnvelope(with: key)
        let committed = try Data(
            contentsOf: SubmissionManifest.directory.appendingPathComponent("envelopes/accepted.json"))
        #expect(envelope.serialized() == Array(committed))
    }

    @Test func noVendorDeviceIdInAnyVector() throws {
        let manifest = try SubmissionManifest.load()
        for c in manifest.cases {
            let bytes = try Data(contentsOf: SubmissionManifest.directory.appendingPathComponent(c.file))
            guard let envelope = try? Envelope(parsing: bytes) else { continue }
            let text = String(decoding: envelope.payload, as: UTF8.self)
            for deviceID in ["RTF-DOOR", "CS-OOSTKAMP", "348917"] {
                #expect(!text.contains(deviceID), "\(c.name) leaks \(deviceID)")
            }
        }
    }
}
