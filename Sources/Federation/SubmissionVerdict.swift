/// The replay and ordering rules of PROTOCOL.md ("Verification", steps 11 and 14), written once.
///
/// Why apart from ``SubmissionCheck/check(_:policy:now:keys:state:)``: the coordinator's stores
/// ask the same two questions again inside their write transaction (the worker's check read an
/// older snapshot), and must answer them with the same verdict, code and message.
extension SubmissionCheck {
    /// What the stored state says about a submission id.
    public enum ReplayVerdict: Sendable, Hashable {
        /// The id is new in its town.
        case new
        /// The id was accepted with these very payload bytes: acknowledge again, store nothing.
        case duplicate
        /// The id was accepted with other bytes.
        case refused(Refusal)
    }

    /// Step 11: the verdict on `submissionID` whose payload hashes to `payloadDigest`.
    public static func replay(_ state: TownSubmissionState, submissionID: String, payloadDigest: [UInt8]) -> ReplayVerdict {
        guard let existing = state.existingPayloadDigest else { return .new }
        if SecureRandom.constantTimeEqual(existing, payloadDigest) { return .duplicate }
        return .refused(Refusal(.replayDifferentBytes, "submission \(submissionID) was accepted before with other bytes"))
    }

    /// Step 14: the refusal of a sequence that is not above the town's last accepted one, or nil.
    public static func ordering(_ state: TownSubmissionState, sequence: Int) -> Refusal? {
        guard let last = state.lastSequence, sequence <= last else { return nil }
        return Refusal(.sequenceNotIncreasing, "sequence \(sequence) is not greater than the last accepted \(last)")
    }
}
