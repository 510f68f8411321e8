import Federation
import Foundation
import TestSupport
import Testing

private let vectors = Repository.root.appendingPathComponent("Federation/vectors")
private let test1 = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
private let test2 = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"

@Suite struct KeysTests {
    @Test func enrolmentVectorVerifies() throws {
        let bytes = try Data(contentsOf: vectors.appendingPathComponent("enrolment-test1.json"))
        let (request, key) = try EnrolmentRequest.verify(bytes).get()
        #expect(request.tenantId == "daks-west-flanders" && request.townId == "oostkamp")
        #expect(key.description == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        #expect(request.keyId == "21fe31dfa154a261626bf854046fd227")
        // Deterministic: the node re-creates the same bytes from the seed.
        let again = try EnrolmentRequest.signed(
            tenantId: "daks-west-flanders", townId: "oostkamp",
            key: Ed25519.PrivateKey(seed: Hex.decode(test1)!),
            createdAt: Timestamp.parse("2026-11-01T09:00:00Z")!)
        #expect(again.serialized() == Array(bytes))
    }

    @Test func weakKeyEnrolmentIsRefusedEvenWithAVerifyingSignature() throws {
        let bytes = try Data(contentsOf: vectors.appendingPathComponent("enrolment-weak-identity.json"))
        let envelope = try Envelope(parsing: bytes)
        let identity = try Ed25519.PublicKey(rawRepresentation: Hex.decode("01" + String(repeating: "0", count: 62))!)
        #expect(envelope.isValidSignature(envelope.signatures[0], by: identity))  // OpenSSL accepts it…
        guard case .failure(let refusal) = EnrolmentRequest.verify(bytes) else {
            Issue.record("weak key enrolled")
            return
        }
        #expect(refusal.reason == .weakKey)  // …the registry does not.
    }

    @Test func enrolmentWithoutPossessionIsRefused() throws {
        let owner = try Ed25519.PrivateKey()
        let thief = try Ed25519.PrivateKey()
        let request = EnrolmentRequest(tenantId: "t", townId: "town", publicKey: owner.publicKey, createdAt: Date())
        let payload = try CanonicalJSON.encode(request)
        let pae = Envelope.preAuthenticationEncoding(payloadType: Envelope.enrolmentPayloadType, payload: payload)
        let forged = Envelope(
            payloadType: Envelope.enrolmentPayloadType, payload: payload,
            signatures: [.init(keyID: owner.publicKey.keyID, signature: try thief.signature(for: pae))])
        guard case .failure(let refusal) = EnrolmentRequest.verify(forged.serialized()) else {
            Issue.record("enrolled without proof of possession")
            return
        }
        #expect(refusal.reason == .badProofOfPossession)
    }

    @Test func rotationVectorAndLifecycle() throws {
        let bytes = try Data(contentsOf: vectors.appendingPathComponent("rotation-test1-to-test2.json"))
        let old = try Ed25519.PrivateKey(seed: Hex.decode(test1)!)
        let new = try Ed25519.PrivateKey(seed: Hex.decode(test2)!)
        let enrolled = KeyRecord(
            keyID: old.publicKey.keyID, publicKey: old.publicKey, tenantID: "daks-west-flanders",
            townID: "oostkamp", enrolledAt: Date(timeIntervalSince1970: 0))
        let (statement, newKey) = try KeyRotationStatement.verify(bytes, tenantId: "daks-west-flanders") {
            $0 == enrolled.keyID ? enrolled : nil
        }.get()
        #expect(newKey == new.publicKey)
        #expect(statement.oldKeyId == old.publicKey.keyID && statement.newKeyId == new.publicKey.keyID)

        let at = Timestamp.parse("2026-11-20T10:00:00Z")!
        let (retired, active) = enrolled.rotated(to: newKey, at: at)
        #expect(retired.status == .retired(at: at, successor: new.publicKey.keyID))
        #expect(active.status == .active && active.townID == "oostkamp")

        // The retired key cannot rotate again; a revoked key cannot rotate.
        let again = KeyRotationStatement.verify(bytes, tenantId: "daks-west-flanders") {
            $0 == retired.keyID ? retired : nil
        }
        #expect(again.failureReason == .retiredKey)
        let revoked = enrolled.revoked(at: at)
        #expect(
            KeyRotationStatement.verify(bytes, tenantId: "daks-west-flanders") { _ in revoked }.failureReason
                == .revokedKey)
        // Another tenant does not know the key.
        #expect(
            KeyRotationStatement.verify(bytes, tenantId: "lokaal-3d") { _ in enrolled }.failureReason == .unknownKey)
    }

    @Test func rotationSignedOnlyByTheNewKeyIsRefused() throws {
        let old = try Ed25519.PrivateKey()
        let attacker = try Ed25519.PrivateKey()
        let enrolled = KeyRecord(
            keyID: old.publicKey.keyID, publicKey: old.publicKey, tenantID: "t", townID: "town", enrolledAt: Date())
        var envelope = try KeyRotationStatement.signed(
            tenantId: "t", townId: "town", oldKey: attacker, newKey: attacker, createdAt: Date())
        envelope.signatures[0].keyID = old.publicKey.keyID
        #expect(
            KeyRotationStatement.verify(envelope.serialized(), tenantId: "t") { _ in enrolled }.failureReason
                == .badSignature)
    }

    /// A retired key's in-flight submissions (created before the rotation) are accepted; later
    /// ones are refused. A revoked key's new submissions are refused.
    @Test func retiredAndRevokedKeysInSubmissionCheck() throws {
        let key = try Ed25519.PrivateKey()
        let rotation = Timestamp.parse("2026-11-22T12:00:00Z")!
        let now = Timestamp.parse("2026-11-23T06:00:00Z")!
        var record = KeyRecord(
            keyID: key.publicKey.keyID, publicKey: key.publicKey, tenantID: "t", townID: "town",
            enrolledAt: .distantPast)
        (record, _) = record.rotated(to: try Ed25519.PrivateKey().publicKey, at: rotation)
        func envelope(_ createdAt: String) throws -> [UInt8] {
            let p = AggregatePayload(
                tenantId: "t", townId: "town", keyId: key.publicKey.keyID, submissionId: try SubmissionID.random(),
                sequence: 3, createdAt: createdAt, period: .init(from: "2026-11-21", to: "2026-11-21"),
                timeZone: "Europe/Brussels", privacy: .standard, zones: [])
            return try p.signedEnvelope(with: key).serialized()
        }
        let policy = TenantSubmissionPolicy(tenantID: "t")
        let before = SubmissionCheck.check(
            try envelope("2026-11-22T11:59:59Z"), policy: policy, now: now, keys: { _ in record }
        ) { _, _ in .init() }
        if case .accepted = before {} else { Issue.record("in-flight submission refused: \(before)") }
        let after = SubmissionCheck.check(
            try envelope("2026-11-22T12:00:00Z"), policy: policy, now: now, keys: { _ in record }
        ) { _, _ in .init() }
        guard case .refused(let refusal) = after else {
            Issue.record("retired key accepted after rotation")
            return
        }
        #expect(refusal.reason == .retiredKey)
        let revoked = record.revoked(at: rotation)
        let late = SubmissionCheck.check(
            try envelope("2026-11-22T11:00:00Z"), policy: policy, now: now, keys: { _ in revoked }
        ) { _, _ in .init() }
        guard case .refused(let r) = late else {
            Issue.record("revoked key accepted")
            return
        }
        #expect(r.reason == .revokedKey)
    }
}
