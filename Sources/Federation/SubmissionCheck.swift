public import Foundation

/// What a tenant requires of submissions (stored by the coordinator per tenant).
///
/// Why: the acceptance window and privacy minimums are the tenant's decisions, not the code's.
public struct TenantSubmissionPolicy: Sendable, Hashable {
    public var tenantID: String
    public var privacy: PrivacyPolicy
    /// Submissions created longer ago than this are refused (`too_old`). Default 400 days.
    public var maximumAge: TimeInterval
    /// How far in the future created-at may be (clock skew). 5 minutes.
    public var clockSkew: TimeInterval

    public init(
        tenantID: String, privacy: PrivacyPolicy = .standard, maximumAge: TimeInterval = 400 * 86400,
        clockSkew: TimeInterval = 300
    ) {
        self.tenantID = tenantID
        self.privacy = privacy
        self.maximumAge = maximumAge
        self.clockSkew = clockSkew
    }
}

/// The coordinator's stored state relevant to one incoming submission of one town in one tenant.
///
/// Why: keeps ``SubmissionCheck`` pure; the coordinator answers these two questions from its store.
public struct TownSubmissionState: Sendable, Hashable {
    /// The highest accepted sequence of this town in this tenant, if any.
    public var lastSequence: Int?
    /// The SHA-256 of the payload bytes accepted earlier under the same submission id, if any.
    public var existingPayloadDigest: [UInt8]?
    public init(lastSequence: Int? = nil, existingPayloadDigest: [UInt8]? = nil) {
        self.lastSequence = lastSequence
        self.existingPayloadDigest = existingPayloadDigest
    }
}

/// A submission that passed every check, with what the coordinator stores.
public struct AcceptedSubmission: Sendable, Hashable {
    public var payload: AggregatePayload
    public var envelope: Envelope
    /// SHA-256 of the exact payload bytes (the idempotency digest for the submission id).
    public var payloadDigest: [UInt8]
    /// SHA-256 of the exact envelope bytes received.
    public var envelopeDigest: [UInt8]
    public var keyID: String
}

/// The verdict on one submission.
public enum SubmissionDecision: Sendable, Hashable {
    /// Store it (append-only) and acknowledge.
    case accepted(AcceptedSubmission)
    /// The same submission id with the same payload bytes was accepted before: acknowledge again,
    /// store nothing (this makes retries safe).
    case duplicate(submissionID: String)
    /// Refuse with the reason's code (HTTP 4xx); nothing is stored.
    case refused(Refusal)
}

/// The coordinator's submission checks as one pure function.
///
/// Why: every rule of acceptance in one place, in a fixed order, testable with vectors and
/// without a database or a server. The order is the protocol's (PROTOCOL.md, "Verification"):
/// nothing inside the payload is read before its signature has verified.
public enum SubmissionCheck {
    /// Checks `bytes` (the exact request body) submitted to tenant `policy.tenantID` at `now`.
    ///
    /// - Parameters:
    ///   - keys: the tenant's key registry: the record with this key id in this tenant, or nil.
    ///   - state: the coordinator's state for (town, submission id) in this tenant.
    public static func check(
        _ bytes: some ContiguousBytes, policy: TenantSubmissionPolicy, now: Date,
        keys: (String) throws -> KeyRecord?,
        state: (_ townID: String, _ submissionID: String) throws -> TownSubmissionState
    ) rethrows -> SubmissionDecision {
        // 1–6: outer structure, payload type, one signature of 64 bytes, key lookup, weak key,
        // signature over PAE(type, exact payload bytes).
        var record: KeyRecord?
        let verified = try Envelope.verify(bytes, expectedType: Envelope.aggregatePayloadType) { keyID in
            record = try keys(keyID)
            guard let r = record, r.tenantID == policy.tenantID else { return nil }
            return r.publicKey
        }
        let envelope: Envelope
        let keyID: String
        switch verified {
        case .failure(let refusal): return .refused(refusal)
        case .success(let v): (envelope, keyID) = (v.envelope, v.keyID)
        }
        guard let record else { return .refused(Refusal(.unknownKey, "no enrolled key has id \(keyID)")) }

        // 7: only now parse the payload.
        let payload: AggregatePayload
        do {
            payload = try AggregatePayload(verifiedBytes: envelope.payload)
        } catch {
            return .refused(Refusal(.malformedPayload, error.message))
        }
        // 8–10: the signed content must match the key's binding and the endpoint.
        guard payload.keyId == keyID else {
            return .refused(Refusal(.keyMismatch, "the payload names key \(payload.keyId), signed by \(keyID)"))
        }
        guard payload.tenantId == policy.tenantID else {
            return .refused(
                Refusal(.wrongTenant, "the payload is for tenant \(payload.tenantId), submitted to \(policy.tenantID)"))
        }
        guard payload.townId == record.townID else {
            return .refused(
                Refusal(
                    .wrongTown, "the payload names town \(payload.townId), key \(keyID) belongs to \(record.townID)"))
        }
        // 11: replay. Same id + same bytes = idempotent success, even after a later revocation.
        let digest = SHA256.hash(envelope.payload)
        let townState = try state(payload.townId, payload.submissionId)
        switch replay(townState, submissionID: payload.submissionId, payloadDigest: digest) {
        case .new: break
        case .duplicate: return .duplicate(submissionID: payload.submissionId)
        case .refused(let refusal): return .refused(refusal)
        }
        // 12: key status.
        let createdAt = Timestamp.parse(payload.createdAt) ?? .distantPast
        switch record.status {
        case .active: break
        case .revoked(let at) where now >= at:
            return .refused(Refusal(.revokedKey, "key \(keyID) was revoked at \(Timestamp.format(at))"))
        case .revoked: break
        case .retired(let at, let successor) where createdAt >= at:
            return .refused(
                Refusal(
                    .retiredKey,
                    "key \(keyID) was replaced by \(successor) at \(Timestamp.format(at)); sign with the new key"))
        case .retired: break
        }
        // 13: time window.
        if createdAt > now.addingTimeInterval(policy.clockSkew) {
            return .refused(
                Refusal(
                    .createdInFuture,
                    "createdAt \(payload.createdAt) is more than \(Int(policy.clockSkew)) s ahead of the coordinator's clock"
                ))
        }
        if createdAt < now.addingTimeInterval(-policy.maximumAge) {
            return .refused(
                Refusal(
                    .tooOld,
                    "createdAt \(payload.createdAt) is older than the tenant's window of \(Int(policy.maximumAge / 86400)) days"
                ))
        }
        // 13b: a period of days that have not begun yet is not a measurement.
        if let problem = AggregateLimits.futurePeriodProblem(to: payload.period.to, now: now) {
            return .refused(Refusal(.malformedPayload, problem))
        }
        // 14: ordering.
        if let refusal = ordering(townState, sequence: payload.sequence) { return .refused(refusal) }
        // 15: privacy, against the declared policy and the tenant's.
        if let violation = policy.privacy.violation(in: payload) { return .refused(violation) }

        let envelopeDigest = bytes.withUnsafeBytes { SHA256.hash(Array($0)) }
        return .accepted(
            AcceptedSubmission(
                payload: payload, envelope: envelope, payloadDigest: digest,
                envelopeDigest: envelopeDigest, keyID: keyID))
    }
}
