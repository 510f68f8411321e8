/// Why a coordinator refused a message, as a stable string code the node stores in its outbox
/// and shows to the town admin.
///
/// Why a struct over an internal enum: codes can be added without breaking exhaustive switches in
/// callers; the string form (`bad_signature`, …) is the wire and log contract (PROTOCOL.md).
public struct RefusalReason: Hashable, Sendable, CustomStringConvertible {
    public let code: String
    init(_ code: String) { self.code = code }

    /// The bytes are not a DSSE envelope with exactly one signature.
    public static let malformedEnvelope = RefusalReason("malformed_envelope")
    /// `payloadType` is not the one this endpoint accepts.
    public static let badPayloadType = RefusalReason("bad_payload_type")
    /// The signature is shorter than 64 bytes.
    public static let truncatedSignature = RefusalReason("truncated_signature")
    /// The signature does not verify over PAE(type, payload), or has the wrong length.
    public static let badSignature = RefusalReason("bad_signature")
    /// No key with this key id is enrolled in this tenant.
    public static let unknownKey = RefusalReason("unknown_key")
    /// The key is a small-order or non-canonical Ed25519 point.
    public static let weakKey = RefusalReason("weak_key")
    /// The key was revoked; submissions not accepted before the revocation are refused.
    public static let revokedKey = RefusalReason("revoked_key")
    /// The key was replaced by rotation and the submission was created after that.
    public static let retiredKey = RefusalReason("retired_key")
    /// The signature verifies but the payload is not a valid aggregate v1.
    public static let malformedPayload = RefusalReason("malformed_payload")
    /// The payload's key id differs from the signing key's id.
    public static let keyMismatch = RefusalReason("key_mismatch")
    /// The payload names a tenant other than the one it was submitted to.
    public static let wrongTenant = RefusalReason("wrong_tenant")
    /// The payload names a town other than the signing key's town.
    public static let wrongTown = RefusalReason("wrong_town")
    /// The submission id was accepted before with different payload bytes.
    public static let replayDifferentBytes = RefusalReason("replay_different_bytes")
    /// The sequence number is not greater than the town's last accepted one.
    public static let sequenceNotIncreasing = RefusalReason("sequence_not_increasing")
    /// created-at is more than the allowed clock skew (5 minutes) in the future.
    public static let createdInFuture = RefusalReason("created_in_future")
    /// created-at is older than the tenant's acceptance window.
    public static let tooOld = RefusalReason("too_old")
    /// A cell is shown that the declared or the tenant's privacy policy requires to suppress,
    /// or the declared policy is weaker than the tenant's.
    public static let privacyViolation = RefusalReason("privacy_violation")
    /// A proof of possession does not verify (enrolment, rotation).
    public static let badProofOfPossession = RefusalReason("bad_proof_of_possession")

    /// Every reason this version knows, for documentation and the node's outbox display.
    public static let all: [RefusalReason] = [
        .malformedEnvelope, .badPayloadType, .truncatedSignature, .badSignature, .unknownKey, .weakKey,
        .revokedKey, .retiredKey, .malformedPayload, .keyMismatch, .wrongTenant, .wrongTown,
        .replayDifferentBytes, .sequenceNotIncreasing, .createdInFuture, .tooOld, .privacyViolation,
        .badProofOfPossession,
    ]

    /// The reason with this code, if this version knows it.
    public init?(code: String) {
        guard let known = RefusalReason.all.first(where: { $0.code == code }) else { return nil }
        self = known
    }

    public var description: String { code }
}

/// A refusal: the stable reason plus a human sentence for logs and the node's outbox.
///
/// Why separate from ``FederationError``: a refusal is an expected verdict on untrusted input
/// (answered as HTTP 4xx with the code), not a failure of our code or of OpenSSL.
public struct Refusal: Error, Hashable, Sendable, CustomStringConvertible {
    public var reason: RefusalReason
    public var detail: String
    public init(_ reason: RefusalReason, _ detail: String) {
        self.reason = reason
        self.detail = detail
    }
    public var description: String { "\(reason.code): \(detail)" }
}
