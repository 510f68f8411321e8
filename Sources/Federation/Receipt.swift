import Foundation

/// The coordinator's acknowledgement of a stored submission: the `receipt` of a 202 (stored) or
/// 200 (stored before) answer to `POST /v1/tenants/{t}/submissions`.
///
/// Why in Federation: the coordinator writes it and the node checks it. A node counts a
/// submission as acknowledged only when the receipt names its submission id and the SHA-256 of
/// the exact bytes it sent; anything else (a proxy that rewrote the body, a coordinator that
/// stored other bytes) leaves the submission queued with the reason.
public struct Receipt: Sendable, Hashable, Codable {
    public var submissionId: String
    /// `sha256:<hex>` of the exact request body bytes that were stored.
    public var digest: String
    /// RFC 3339 UTC time of the commit.
    public var acceptedAt: String

    public init(submissionId: String, digest: String, acceptedAt: String) {
        self.submissionId = submissionId
        self.digest = digest
        self.acceptedAt = acceptedAt
    }

    /// The receipt of a submission whose stored envelope has SHA-256 `envelopeDigest`.
    public init(submissionId: String, envelopeDigest: [UInt8], acceptedAt: String) {
        self.init(submissionId: submissionId, digest: Self.digestText(envelopeDigest), acceptedAt: acceptedAt)
    }

    /// `sha256:<lowercase hex>`, the receipt's spelling of a digest.
    public static func digestText(_ sha256: [UInt8]) -> String { "sha256:" + Hex.encode(sha256) }

    /// Why this receipt does not acknowledge `envelope` sent as `submissionID`, or nil when it does.
    public func mismatch(envelope: [UInt8], submissionID: String) -> String? {
        if submissionId != submissionID {
            return "the receipt names submission \(submissionId), not \(submissionID)"
        }
        let expected = Self.digestText(SHA256.hash(envelope))
        if digest != expected {
            return "the receipt's digest \(digest) is not that of the bytes sent (\(expected))"
        }
        return nil
    }

    /// The receipt in a submission answer's body (`{"receipt": {…}}`); nil when there is none.
    public static func inAnswer(_ body: [UInt8]) -> Receipt? {
        (try? JSONDecoder().decode(ReceiptAnswer.self, from: Data(body)))?.receipt
    }

    /// Why the 202/200 answer `body` does not acknowledge `envelope` sent as `submissionID`, or
    /// nil when it does: what a node checks before it counts a submission as acknowledged.
    public static func problem(answer body: [UInt8], envelope: [UInt8], submissionID: String) -> String? {
        guard let receipt = inAnswer(body) else { return "the answer holds no receipt" }
        return receipt.mismatch(envelope: envelope, submissionID: submissionID)
    }
}

/// The body of a 202/200 submission answer.
private struct ReceiptAnswer: Decodable {
    var receipt: Receipt
}
