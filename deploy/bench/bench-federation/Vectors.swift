// Writes Federation/vectors/: fixed-key envelopes (RFC 8032 TEST 1 seed) with their exact bytes
// and the expected verdict of each. Run: `bench-federation vectors Federation/vectors`.
// The committed files are the reference; FederationTests compares the module against them.
import Federation
import Foundation

enum VectorWriter {
    static let test1Seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
    static let test2Seed = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"
    static let tenant = "daks-west-flanders"
    static let town = "oostkamp"
    static let now = "2026-11-23T06:00:00Z"
    static let salt: [UInt8] = Array(0..<32)

    static func key(_ hex: String) throws -> Ed25519.PrivateKey { try Ed25519.PrivateKey(seed: Hex.decode(hex)!) }

    static func pseudonym(_ kind: String, _ id: String) throws -> String {
        try SensorPseudonym.make(salt: salt, vendorKind: kind, vendorSensorID: id)
    }

    /// A realistic one-zone, one-day payload before privacy suppression.
    static func rawPayload(
        keyId: String, submissionId: String = "00112233445566778899aabbccddeeff", sequence: Int = 8,
        tenantId: String = tenant, townId: String = town, createdAt: String = "2026-11-23T05:59:00Z"
    ) throws -> AggregatePayload {
        let street = try pseudonym("crowdscan", "CS-OOSTKAMP-0007")
        let street2 = try pseudonym("telraam", "348917")
        let door1 = try pseudonym("retail_factory", "RTF-DOOR-112")
        let door2 = try pseudonym("retail_factory", "RTF-DOOR-113")
        var hourlyEntries: [Double?] = Array(repeating: 0, count: 24)
        for (h, v) in [9: 14.0, 10: 31, 11: 42, 12: 55, 13: 47, 14: 38, 15: 40, 16: 36, 17: 24, 18: 7] {
            hourlyEntries[h] = v
        }
        var hourlyPedestrians: [Double?] = [
            12, 5, 3, 2, 4, 18, 60, 140, 260, 410, 520, 610, 700, 650, 580, 560, 540, 480, 330, 200, 120, 80, 40, 22,
        ]
        hourlyPedestrians[2] = 3
        let day = AggregatePayload.Day(
            date: "2026-11-21",
            flags: .init(
                publicHoliday: false, schoolHoliday: false,
                events: [.init(eventId: "weekmarkt-2026-11-21", kind: "market")]),
            measures: [
                .init(
                    measure: "pedestrians",
                    sensors: [
                        .init(
                            sensor: street, vendorKind: "crowdscan", total: 7006, coveredMinutes: 1440,
                            expectedMinutes: 1440, uptimeMinutes: 1425, validHours: 24),
                        .init(
                            sensor: street2, vendorKind: "telraam", total: 812.5, coveredMinutes: 780,
                            expectedMinutes: 780, uptimeMinutes: 569, validHours: 12),
                    ], total: 7818.5, hourly: hourlyPedestrians),
                .init(
                    measure: "entries",
                    sensors: [
                        .init(
                            sensor: door1, vendorKind: "retail_factory", total: 334, coveredMinutes: 1440,
                            expectedMinutes: 1440, uptimeMinutes: 1440, validHours: 24),
                        .init(
                            sensor: door2, vendorKind: "retail_factory", total: 4, coveredMinutes: 1440,
                            expectedMinutes: 1440, uptimeMinutes: 1440, validHours: 24),
                        .init(
                            sensor: try pseudonym("retail_factory", "RTF-DOOR-114"), vendorKind: "retail_factory",
                            total: 61, coveredMinutes: 1440, expectedMinutes: 1440, uptimeMinutes: 1440, validHours: 24),
                    ], total: 399, hourly: hourlyEntries),
            ],
            conversions: [
                .init(door: door1, street: street, entries: 334, passersBy: 7006),
                .init(door: door2, street: street, entries: 4, passersBy: 7006),
            ],
            spending: [
                .init(sector: "retail", transactions: 412, buyers: 377, valueCents: 1_873_450),
                .init(sector: "horeca", transactions: 9, buyers: 8, valueCents: 21_800),
            ])
        return AggregatePayload(
            tenantId: tenantId, townId: townId, keyId: keyId, submissionId: submissionId, sequence: sequence,
            createdAt: createdAt, period: .init(from: "2026-11-21", to: "2026-11-21"),
            timeZone: "Europe/Brussels", privacy: .standard,
            zones: [.init(zoneId: "centrum", zoneKind: "core_shopping_street", days: [day])])
    }

    struct Case: Encodable {
        var name: String
        var file: String
        var description: String
        /// accepted | duplicate | refused
        var expect: String
        var reason: String?
        var lastSequence: Int?
        /// SHA-256 hex of the payload bytes stored earlier under the same submission id.
        var existingPayloadDigest: String?
    }

    struct KeyEntry: Encodable {
        var keyId: String
        var publicKey: String
        var tenantId: String
        var townId: String
        var status: String
        var statusAt: String?
    }

    static func write(to directory: URL) throws {
        let fm = FileManager.default
        let envelopes = directory.appendingPathComponent("envelopes")
        try fm.createDirectory(at: envelopes, withIntermediateDirectories: true)
        let k1 = try key(test1Seed)
        let k2 = try key(test2Seed)
        let revokedKey = try key("0000000000000000000000000000000000000000000000000000000000000001")
        let identity = try Ed25519.PublicKey(rawRepresentation: Hex.decode("01" + String(repeating: "0", count: 62))!)
        let policy = PrivacyPolicy.standard
        var cases: [Case] = []

        func save(_ name: String, _ bytes: [UInt8]) throws -> String {
            let file = "envelopes/\(name).json"
            try Data(bytes).write(to: directory.appendingPathComponent(file))
            return file
        }
        func add(
            _ name: String, _ description: String, _ bytes: [UInt8], expect: String, reason: String? = nil,
            lastSequence: Int? = 7, existing: [UInt8]? = nil
        ) throws {
            cases.append(
                Case(
                    name: name, file: try save(name, bytes), description: description, expect: expect, reason: reason,
                    lastSequence: lastSequence, existingPayloadDigest: existing.map { Hex.encode($0) }))
        }

        // The good submission, after the node's privacy step.
        let good = policy.apply(to: try rawPayload(keyId: k1.publicKey.keyID))
        let goodEnvelope = try good.signedEnvelope(with: k1)
        let goodBytes = goodEnvelope.serialized()
        try Data(try good.canonicalBytes()).write(to: directory.appendingPathComponent("aggregate-v1-payload.json"))
        try add(
            "accepted", "A valid aggregate v1 submission signed with the RFC 8032 TEST 1 key, privacy rules applied.",
            goodBytes,
            expect: "accepted")
        try add(
            "duplicate", "The same bytes again after they were accepted: an idempotent success, nothing stored.",
            goodBytes,
            expect: "duplicate", lastSequence: 8, existing: SHA256.hash(goodEnvelope.payload))
        try add(
            "accepted-first", "A town's first submission (no previous sequence).", goodBytes, expect: "accepted",
            lastSequence: nil)

        // Tampered payload: one byte of the payload changed, signature kept.
        var tampered = goodEnvelope
        tampered.payload = Array(
            String(decoding: goodEnvelope.payload, as: UTF8.self)
                .replacingOccurrences(of: #""sequence":8,"#, with: #""sequence":9,"#).utf8)
        try add(
            "tampered-payload", "The payload's bytes were changed after signing (sequence 8 → 9).",
            tampered.serialized(),
            expect: "refused", reason: "bad_signature")

        // Wrong key: signed by TEST 2 but naming TEST 1's key id.
        var wrongKey = goodEnvelope
        wrongKey.signatures[0].signature = try k2.signature(
            for: Envelope.preAuthenticationEncoding(
                payloadType: goodEnvelope.payloadType, payload: goodEnvelope.payload))
        try add(
            "wrong-key", "Signed with the RFC 8032 TEST 2 key under TEST 1's key id.", wrongKey.serialized(),
            expect: "refused", reason: "bad_signature")

        // Unknown key: TEST 2 signs as itself; it is not enrolled.
        let unknown = try policy.apply(to: rawPayload(keyId: k2.publicKey.keyID)).signedEnvelope(with: k2)
        try add(
            "unknown-key", "Signed with the RFC 8032 TEST 2 key, which is not enrolled.", unknown.serialized(),
            expect: "refused", reason: "unknown_key")

        // Wrong tenant: a valid signature by an enrolled key, payload names another tenant.
        let wrongTenant = try policy.apply(to: rawPayload(keyId: k1.publicKey.keyID, tenantId: "lokaal-3d"))
            .signedEnvelope(with: k1)
        try add(
            "wrong-tenant",
            "Validly signed, but the payload names tenant lokaal-3d and was submitted to daks-west-flanders.",
            wrongTenant.serialized(), expect: "refused", reason: "wrong_tenant")

        // Wrong town: the payload names a town the key is not bound to.
        let wrongTown = try policy.apply(to: rawPayload(keyId: k1.publicKey.keyID, townId: "brugge")).signedEnvelope(
            with: k1)
        try add(
            "wrong-town", "Validly signed by Oostkamp's key, but the payload names brugge.", wrongTown.serialized(),
            expect: "refused", reason: "wrong_town")

        // Replay with other bytes: same submission id, other content (sequence 9).
        let replay = try policy.apply(to: rawPayload(keyId: k1.publicKey.keyID, sequence: 9)).signedEnvelope(with: k1)
        try add(
            "replay-different-bytes",
            "Submission id 00112233… was accepted with other bytes; this one differs (sequence 9).",
            replay.serialized(), expect: "refused", reason: "replay_different_bytes", lastSequence: 8,
            existing: SHA256.hash(goodEnvelope.payload))

        // Sequence not increasing.
        let sameSequence = try policy.apply(
            to: rawPayload(keyId: k1.publicKey.keyID, submissionId: "ffeeddccbbaa99887766554433221100", sequence: 8)
        ).signedEnvelope(with: k1)
        try add(
            "sequence-not-increasing", "A new submission id with sequence 8 after 8 was accepted.",
            sameSequence.serialized(),
            expect: "refused", reason: "sequence_not_increasing", lastSequence: 8)

        // Created in the future (6 minutes) and too old (401 days).
        let future = try policy.apply(to: rawPayload(keyId: k1.publicKey.keyID, createdAt: "2026-11-23T06:06:00Z"))
            .signedEnvelope(with: k1)
        try add(
            "created-in-future", "createdAt 6 minutes after the coordinator's clock (skew allowed: 5 minutes).",
            future.serialized(),
            expect: "refused", reason: "created_in_future")
        let skewOK = try policy.apply(to: rawPayload(keyId: k1.publicKey.keyID, createdAt: "2026-11-23T06:05:00Z"))
            .signedEnvelope(with: k1)
        try add(
            "clock-skew-allowed", "createdAt exactly 5 minutes ahead: accepted.", skewOK.serialized(),
            expect: "accepted")
        let old = try policy.apply(to: rawPayload(keyId: k1.publicKey.keyID, createdAt: "2025-10-18T05:59:59Z"))
            .signedEnvelope(with: k1)
        try add(
            "too-old", "createdAt 401 days before now; the tenant's window is 400 days.", old.serialized(),
            expect: "refused", reason: "too_old")

        // Weak key: the identity point "enrolled" (as if a registry had failed to refuse it);
        // R = identity, S = 0 verifies under it for any message in OpenSSL.
        var weak = goodEnvelope
        weak.signatures = [
            .init(keyID: identity.keyID, signature: Hex.decode("01" + String(repeating: "0", count: 126))!)
        ]
        try add(
            "weak-key",
            "Signed \"by\" the identity key (01 00…00) with R = identity, S = 0, which OpenSSL accepts for any message.",
            weak.serialized(), expect: "refused", reason: "weak_key")

        // Truncated signature.
        var truncated = goodEnvelope
        truncated.signatures[0].signature.removeLast()
        try add(
            "truncated-signature", "The signature lost its last byte (63 bytes).", truncated.serialized(),
            expect: "refused", reason: "truncated_signature")

        // Wrong payload type (the signature is valid for that type).
        let wrongType = try Envelope.sign(
            payload: goodEnvelope.payload, payloadType: "application/vnd.townbench.aggregate.v2+json", with: k1)
        try add(
            "wrong-payload-type", "A valid signature over the same bytes as payload type aggregate.v2.",
            wrongType.serialized(),
            expect: "refused", reason: "bad_payload_type")

        // Malformed envelope and malformed payload.
        try add(
            "malformed-envelope", "Not a DSSE envelope (no signatures field).",
            Array(#"{"payload":"e30=","payloadType":"application/vnd.townbench.aggregate.v1+json"}"#.utf8),
            expect: "refused", reason: "malformed_envelope")
        let notAggregate = try Envelope.sign(
            payload: Array(#"{"hello":"world"}"#.utf8), payloadType: Envelope.aggregatePayloadType, with: k1)
        try add(
            "malformed-payload", "A valid signature over JSON that is not an aggregate v1 payload.",
            notAggregate.serialized(),
            expect: "refused", reason: "malformed_payload")

        // Privacy: store entries of 4 shown (the node skipped its privacy step).
        let leaky = try rawPayload(keyId: k1.publicKey.keyID).signedEnvelope(with: k1)
        try add(
            "privacy-violation", "Store entries of 4 at one door shown: the declared minimum is 10.",
            leaky.serialized(),
            expect: "refused", reason: "privacy_violation")

        // Revoked key: its earlier accepted submission is a duplicate (still valid); a new one is refused.
        let byRevoked = try policy.apply(to: rawPayload(keyId: revokedKey.publicKey.keyID, townId: "diksmuide"))
            .signedEnvelope(with: revokedKey)
        try add(
            "revoked-key", "Signed by Diksmuide's key, revoked at 2026-11-22T00:00:00Z; this submission is new.",
            byRevoked.serialized(),
            expect: "refused", reason: "revoked_key")
        try add(
            "revoked-key-earlier-submission",
            "The same submission had been accepted before the revocation: still an idempotent success.",
            byRevoked.serialized(), expect: "duplicate", lastSequence: 8, existing: SHA256.hash(byRevoked.payload))

        // Enrolment: TEST 1 key, good; identity key with the universal signature, refused.
        let enrolment = try EnrolmentRequest.signed(
            tenantId: tenant, townId: town, key: k1, createdAt: Timestamp.parse("2026-11-01T09:00:00Z")!)
        try Data(enrolment.serialized()).write(to: directory.appendingPathComponent("enrolment-test1.json"))
        var weakRequest = EnrolmentRequest(
            tenantId: tenant, townId: town, publicKey: identity, createdAt: Timestamp.parse("2026-11-01T09:00:00Z")!)
        weakRequest.keyId = identity.keyID
        let weakEnrolment = Envelope(
            payloadType: Envelope.enrolmentPayloadType, payload: try CanonicalJSON.encode(weakRequest),
            signatures: [
                .init(keyID: identity.keyID, signature: Hex.decode("01" + String(repeating: "0", count: 126))!)
            ])
        try Data(weakEnrolment.serialized()).write(to: directory.appendingPathComponent("enrolment-weak-identity.json"))
        let rotation = try KeyRotationStatement.signed(
            tenantId: tenant, townId: town, oldKey: k1, newKey: k2,
            createdAt: Timestamp.parse("2026-11-20T10:00:00Z")!)
        try Data(rotation.serialized()).write(to: directory.appendingPathComponent("rotation-test1-to-test2.json"))

        try writeLog(to: directory.appendingPathComponent("log"), first: goodBytes, townKey: k1, coordinatorKey: k2)

        struct Manifest: Encodable {
            var description: String
            var tenantId: String
            var now: String
            var maximumAgeDays: Int
            var clockSkewSeconds: Int
            var privacy: PrivacyPolicy
            var keys: [KeyEntry]
            var pseudonymSaltHex: String
            var cases: [Case]
        }
        let manifest = Manifest(
            description:
                "Aggregate v1 submission vectors. Each case: submit the exact bytes of `file` to tenant `tenantId` at `now`, with the town's previous state (lastSequence, existingPayloadDigest for the payload's submissionId) and the keys below; expect the verdict and reason code.",
            tenantId: tenant, now: now, maximumAgeDays: 400, clockSkewSeconds: 300, privacy: policy,
            keys: [
                KeyEntry(
                    keyId: k1.publicKey.keyID, publicKey: k1.publicKey.description, tenantId: tenant, townId: town,
                    status: "active"),
                KeyEntry(
                    keyId: identity.keyID, publicKey: identity.description, tenantId: tenant, townId: town,
                    status: "active"),
                KeyEntry(
                    keyId: revokedKey.publicKey.keyID, publicKey: revokedKey.publicKey.description, tenantId: tenant,
                    townId: "diksmuide",
                    status: "revoked", statusAt: "2026-11-22T00:00:00Z"),
            ],
            pseudonymSaltHex: Hex.encode(salt), cases: cases)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try (encoder.encode(manifest) + Data("\n".utf8)).write(to: directory.appendingPathComponent("submissions.json"))
    }

    /// `log/`: a 5-entry transparency log of accepted envelopes, two checkpoints signed by the
    /// coordinator (RFC 8032 TEST 2 key), proofs, and a split-view checkpoint (entry 1 replaced).
    static func writeLog(
        to directory: URL, first: [UInt8], townKey: Ed25519.PrivateKey, coordinatorKey: Ed25519.PrivateKey
    ) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: directory.appendingPathComponent("entries"), withIntermediateDirectories: true)
        var entries = [first]
        let ids = [
            "10112233445566778899aabbccddeeff", "20112233445566778899aabbccddeeff", "30112233445566778899aabbccddeeff",
            "40112233445566778899aabbccddeeff",
        ]
        for (i, id) in ids.enumerated() {
            let p = PrivacyPolicy.standard.apply(
                to: try rawPayload(keyId: townKey.publicKey.keyID, submissionId: id, sequence: 9 + i))
            entries.append(try p.signedEnvelope(with: townKey).serialized())
        }
        var tree = MerkleTree()
        for (i, e) in entries.enumerated() {
            try Data(e).write(to: directory.appendingPathComponent("entries/\(i).json"))
            tree.append(entry: e)
        }
        let origin = "coordinator.example.org/townbench/daks-west-flanders"
        let signer = try SignedNote.Signer(name: "coordinator.example.org/townbench", key: coordinatorKey)
        try Data((signer.verifier.encoded + "\n").utf8).write(to: directory.appendingPathComponent("coordinator.vkey"))
        for size in [UInt64(3), 5] {
            let note = try SignedNote.sign(
                text: Checkpoint(origin: origin, size: size, rootHash: tree.rootHash(treeSize: size)).text,
                signers: [signer])
            try Data(note.utf8).write(to: directory.appendingPathComponent("checkpoint-\(size).note"))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let inclusion = TransparencyLog.InclusionProof(
            leafIndex: 2, treeSize: 5, leafHash: tree.node(level: 0, index: 2),
            proof: try tree.inclusionProof(leafIndex: 2, treeSize: 5))
        try (encoder.encode(inclusion) + Data("\n".utf8)).write(
            to: directory.appendingPathComponent("inclusion-2-in-5.json"))
        let consistency = TransparencyLog.ConsistencyProof(
            size1: 3, size2: 5, proof: try tree.consistencyProof(from: 3, to: 5))
        try (encoder.encode(consistency) + Data("\n".utf8)).write(
            to: directory.appendingPathComponent("consistency-3-to-5.json"))
        // Split view: the same coordinator key signs a size-5 tree whose entry 1 was replaced.
        var forged = MerkleTree()
        for (i, e) in entries.enumerated() { forged.append(entry: i == 1 ? Array("replaced".utf8) : e) }
        let split = try SignedNote.sign(
            text: Checkpoint(origin: origin, size: 5, rootHash: forged.rootHash()).text, signers: [signer])
        try Data(split.utf8).write(to: directory.appendingPathComponent("checkpoint-5-split-view.note"))
        let forgedConsistency = TransparencyLog.ConsistencyProof(
            size1: 3, size2: 5, proof: try forged.consistencyProof(from: 3, to: 5))
        try (encoder.encode(forgedConsistency) + Data("\n".utf8)).write(
            to: directory.appendingPathComponent("consistency-3-to-5-split-view.json"))
    }
}
