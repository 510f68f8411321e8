public import Foundation

/// A town's request to enrol its public key in a tenant, signed by that key (proof of possession).
///
/// Why: the coordinator must bind a key to exactly one town in one tenant, and must know the town
/// holds the private key (a signature over the request's exact bytes), before it trusts anything
/// signed with it. Wire form: a DSSE envelope of type ``Envelope/enrolmentPayloadType`` whose
/// single signature is by the enrolled key itself. The node prints it; an admin of the tenant
/// approves it on the coordinator.
public struct EnrolmentRequest: Codable, Sendable, Hashable {
    public var protocolVersion: Int
    public var tenantId: String
    public var townId: String
    /// ``Ed25519/PublicKey/keyID`` of `publicKey`.
    public var keyId: String
    /// The 32-byte Ed25519 public key, lowercase hex.
    public var publicKey: String
    /// RFC 3339 UTC (``Timestamp``).
    public var createdAt: String

    public init(tenantId: String, townId: String, publicKey: Ed25519.PublicKey, createdAt: Date) {
        protocolVersion = AggregatePayload.currentProtocolVersion
        self.tenantId = tenantId
        self.townId = townId
        keyId = publicKey.keyID
        self.publicKey = Hex.encode(publicKey.rawRepresentation)
        self.createdAt = Timestamp.format(createdAt)
    }

    /// The signed enrolment envelope for `key` (the node calls this and prints `serialized()`).
    public static func signed(
        tenantId: String, townId: String, key: Ed25519.PrivateKey,
        createdAt: Date
    ) throws(FederationError) -> Envelope {
        let request = EnrolmentRequest(
            tenantId: tenantId, townId: townId, publicKey: key.publicKey, createdAt: createdAt)
        return try Envelope.sign(
            payload: try CanonicalJSON.encode(request), payloadType: Envelope.enrolmentPayloadType, with: key)
    }

    /// Verifies an enrolment envelope: outer structure, type, one signature; then (the one place
    /// the payload is read before its signature is checked, because the key to check with is in
    /// it) parse, key id = SHA-256 prefix of the key, weak-key refusal, and the proof of
    /// possession over the exact bytes. Returns the request and its key, or a refusal.
    public static func verify(_ bytes: some ContiguousBytes) -> Result<
        (request: EnrolmentRequest, key: Ed25519.PublicKey), Refusal
    > {
        let envelope: Envelope
        do { envelope = try Envelope(parsing: bytes) } catch {
            return .failure(Refusal(.malformedEnvelope, error.message))
        }
        guard envelope.payloadType == Envelope.enrolmentPayloadType else {
            return .failure(
                Refusal(
                    .badPayloadType,
                    "payloadType is \"\(envelope.payloadType)\", expected \"\(Envelope.enrolmentPayloadType)\""))
        }
        guard envelope.signatures.count == 1, let signature = envelope.signatures.first else {
            return .failure(Refusal(.malformedEnvelope, "an enrolment request carries exactly one signature"))
        }
        guard signature.signature.count >= 64 else {
            return .failure(
                Refusal(.truncatedSignature, "the proof of possession has \(signature.signature.count) bytes"))
        }
        let request: EnrolmentRequest
        do {
            request = try JSONDecoder().decode(EnrolmentRequest.self, from: Data(envelope.payload))
        } catch {
            return .failure(Refusal(.malformedPayload, "the enrolment request is not valid: \(error)"))
        }
        guard request.protocolVersion == AggregatePayload.currentProtocolVersion, Identifier.isValid(request.tenantId),
            Identifier.isValid(request.townId), Timestamp.parse(request.createdAt) != nil,
            request.publicKey.utf8.count == 64, let raw = Hex.decode(request.publicKey)
        else {
            return .failure(
                Refusal(
                    .malformedPayload,
                    "the enrolment request needs protocolVersion 1, valid ids, createdAt and a 64-hex-digit publicKey"))
        }
        if let weakness = Ed25519.PublicKey.weakness(of: raw) {
            return .failure(
                Refusal(
                    .weakKey,
                    "the public key is \(weakness.rawValue); generate a new key with `townbench-node keys rotate`"))
        }
        guard let key = try? Ed25519.PublicKey(rawRepresentation: raw) else {
            return .failure(Refusal(.malformedPayload, "OpenSSL refused the public key bytes"))
        }
        guard request.keyId == key.keyID, signature.keyID == key.keyID else {
            return .failure(
                Refusal(
                    .keyMismatch,
                    "keyId must be the first 16 bytes of SHA-256(publicKey) in hex, in the payload and the signature"))
        }
        guard envelope.isValidSignature(signature, by: key) else {
            return .failure(Refusal(.badProofOfPossession, "the request is not signed by the key it enrols"))
        }
        return .success((request, key))
    }
}

/// A town's statement that its key `oldKeyId` is replaced by `newPublicKey`.
///
/// Why: rotation must not need a new out-of-band approval, yet a thief of nothing must not be
/// able to rotate. The statement is one DSSE envelope of type ``Envelope/rotationPayloadType``
/// with two signatures: the old (enrolled, active) key authorises, the new key proves possession.
public struct KeyRotationStatement: Codable, Sendable, Hashable {
    public var protocolVersion: Int
    public var tenantId: String
    public var townId: String
    public var oldKeyId: String
    public var newKeyId: String
    /// The new 32-byte Ed25519 public key, lowercase hex.
    public var newPublicKey: String
    public var createdAt: String

    /// The signed rotation envelope (old key's signature first, then the new key's).
    public static func signed(
        tenantId: String, townId: String, oldKey: Ed25519.PrivateKey, newKey: Ed25519.PrivateKey,
        createdAt: Date
    ) throws(FederationError) -> Envelope {
        let statement = KeyRotationStatement(
            protocolVersion: AggregatePayload.currentProtocolVersion, tenantId: tenantId,
            townId: townId, oldKeyId: oldKey.publicKey.keyID, newKeyId: newKey.publicKey.keyID,
            newPublicKey: Hex.encode(newKey.publicKey.rawRepresentation),
            createdAt: Timestamp.format(createdAt))
        let payload = try CanonicalJSON.encode(statement)
        let pae = Envelope.preAuthenticationEncoding(payloadType: Envelope.rotationPayloadType, payload: payload)
        return Envelope(
            payloadType: Envelope.rotationPayloadType, payload: payload,
            signatures: [
                .init(keyID: oldKey.publicKey.keyID, signature: try oldKey.signature(for: pae)),
                .init(keyID: newKey.publicKey.keyID, signature: try newKey.signature(for: pae)),
            ])
    }

    /// Verifies a rotation envelope against the registry: the first signature must be by an
    /// active key of `tenantId` (looked up with `lookup`) and verify before the payload is read;
    /// then the payload must name that key as old key, the same town and tenant, a non-weak new
    /// key, and the second signature must be the new key's proof of possession.
    public static func verify(
        _ bytes: some ContiguousBytes, tenantId: String,
        lookup: (String) -> KeyRecord?
    ) -> Result<(statement: KeyRotationStatement, newKey: Ed25519.PublicKey), Refusal> {
        let envelope: Envelope
        do { envelope = try Envelope(parsing: bytes) } catch {
            return .failure(Refusal(.malformedEnvelope, error.message))
        }
        guard envelope.payloadType == Envelope.rotationPayloadType else {
            return .failure(
                Refusal(
                    .badPayloadType,
                    "payloadType is \"\(envelope.payloadType)\", expected \"\(Envelope.rotationPayloadType)\""))
        }
        guard envelope.signatures.count == 2 else {
            return .failure(
                Refusal(.malformedEnvelope, "a rotation statement carries two signatures (old key, new key)"))
        }
        let old = envelope.signatures[0]
        let new = envelope.signatures[1]
        guard old.signature.count >= 64, new.signature.count >= 64 else {
            return .failure(Refusal(.truncatedSignature, "a signature is shorter than 64 bytes"))
        }
        guard let record = lookup(old.keyID), record.tenantID == tenantId else {
            return .failure(Refusal(.unknownKey, "no enrolled key has id \(old.keyID)"))
        }
        switch record.status {
        case .active: break
        case .revoked: return .failure(Refusal(.revokedKey, "key \(old.keyID) is revoked and cannot rotate"))
        case .retired: return .failure(Refusal(.retiredKey, "key \(old.keyID) was already rotated"))
        }
        guard envelope.isValidSignature(old, by: record.publicKey) else {
            return .failure(Refusal(.badSignature, "the old key's signature does not verify"))
        }
        let statement: KeyRotationStatement
        do {
            statement = try JSONDecoder().decode(KeyRotationStatement.self, from: Data(envelope.payload))
        } catch {
            return .failure(Refusal(.malformedPayload, "the rotation statement is not valid: \(error)"))
        }
        guard statement.oldKeyId == old.keyID else {
            return .failure(Refusal(.keyMismatch, "oldKeyId differs from the signing key"))
        }
        guard statement.tenantId == tenantId else {
            return .failure(Refusal(.wrongTenant, "the statement names tenant \(statement.tenantId)"))
        }
        guard statement.townId == record.townID else {
            return .failure(
                Refusal(.wrongTown, "the statement names town \(statement.townId), the key belongs to \(record.townID)")
            )
        }
        guard statement.newPublicKey.utf8.count == 64, let raw = Hex.decode(statement.newPublicKey),
            Timestamp.parse(statement.createdAt) != nil
        else {
            return .failure(Refusal(.malformedPayload, "newPublicKey must be 64 hex digits and createdAt RFC 3339 UTC"))
        }
        if let weakness = Ed25519.PublicKey.weakness(of: raw) {
            return .failure(Refusal(.weakKey, "the new key is \(weakness.rawValue)"))
        }
        guard let newKey = try? Ed25519.PublicKey(rawRepresentation: raw), newKey.keyID == statement.newKeyId,
            new.keyID == newKey.keyID
        else {
            return .failure(
                Refusal(
                    .keyMismatch, "newKeyId must be the SHA-256 prefix of newPublicKey, also in the second signature"))
        }
        guard envelope.isValidSignature(new, by: newKey) else {
            return .failure(Refusal(.badProofOfPossession, "the new key's signature does not verify"))
        }
        return .success((statement, newKey))
    }
}

/// What the coordinator knows about one enrolled key in one tenant (storage-agnostic: the
/// coordinator keeps these rows in its database and hands them to the checks here).
///
/// Why: all key decisions (which town, is it still usable, since when) are pure functions of this
/// record, so the node, the coordinator and tests apply the same rules.
public struct KeyRecord: Sendable, Hashable {
    /// Lifecycle of a key. Transitions: active → retired (rotation) or revoked; retired → revoked.
    public enum Status: Sendable, Hashable {
        case active
        /// Replaced by rotation at `at` by key `successor`: submissions created before `at` are
        /// still accepted (in-flight outbox items), later ones refused with `retired_key`.
        case retired(at: Date, successor: String)
        /// Revoked at `at` (compromise): every submission not already accepted is refused with
        /// `revoked_key`; those accepted before stay valid (the log is append-only).
        case revoked(at: Date)
    }

    public var keyID: String
    public var publicKey: Ed25519.PublicKey
    public var tenantID: String
    public var townID: String
    public var enrolledAt: Date
    public var status: Status

    public init(
        keyID: String, publicKey: Ed25519.PublicKey, tenantID: String, townID: String, enrolledAt: Date,
        status: Status = .active
    ) {
        self.keyID = keyID
        self.publicKey = publicKey
        self.tenantID = tenantID
        self.townID = townID
        self.enrolledAt = enrolledAt
        self.status = status
    }

    /// The record an approved enrolment creates.
    public init(approving request: EnrolmentRequest, key: Ed25519.PublicKey, at now: Date) {
        self.init(keyID: key.keyID, publicKey: key, tenantID: request.tenantId, townID: request.townId, enrolledAt: now)
    }

    /// The two records a verified rotation produces: this key retired, the new key active.
    public func rotated(to newKey: Ed25519.PublicKey, at now: Date) -> (old: KeyRecord, new: KeyRecord) {
        var old = self
        old.status = .retired(at: now, successor: newKey.keyID)
        return (
            old, KeyRecord(keyID: newKey.keyID, publicKey: newKey, tenantID: tenantID, townID: townID, enrolledAt: now)
        )
    }

    /// This record revoked at `now` (a revoked key stays revoked at its first revocation time).
    public func revoked(at now: Date) -> KeyRecord {
        var r = self
        if case .revoked = status { return r }
        r.status = .revoked(at: now)
        return r
    }
}
