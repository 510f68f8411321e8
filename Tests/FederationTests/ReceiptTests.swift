// The node's receipt check (Receipt.problem) against Federation/vectors/receipts/, whose digests
// were computed outside Swift.
import Federation
import Foundation
import Testing
import TestSupport

@Suite("Receipts")
struct ReceiptTests {
    static let vectors = Repository.root.appendingPathComponent("Federation/vectors")
    static func bytes(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: vectors.appendingPathComponent(path))) }
    static let submissionID = "00112233445566778899aabbccddeeff"

    @Test("a receipt for the envelope's id and exact bytes acknowledges it")
    func acknowledges() throws {
        let envelope = try Self.bytes("envelopes/accepted.json")
        #expect(Receipt.problem(answer: try Self.bytes("receipts/accepted.json"), envelope: envelope, submissionID: Self.submissionID) == nil)
        // The coordinator builds the same receipt from the stored envelope's digest.
        let answered = try #require(Receipt.inAnswer(try Self.bytes("receipts/accepted.json")))
        #expect(Receipt(submissionId: Self.submissionID, envelopeDigest: SHA256.hash(envelope), acceptedAt: answered.acceptedAt) == answered)
    }

    @Test("a receipt for other bytes, another id, or none does not, and says why",
          arguments: [("receipts/other-bytes.json", "is not that of the bytes sent"),
                      ("receipts/other-id.json", "the receipt names submission 00000000000000000000000000000000"),
                      ("envelopes/accepted.json", "the answer holds no receipt")])
    func refuses(_ answer: String, _ reason: String) throws {
        let problem = Receipt.problem(answer: try Self.bytes(answer), envelope: try Self.bytes("envelopes/accepted.json"),
                                      submissionID: Self.submissionID)
        #expect(problem?.contains(reason) == true, "\(String(describing: problem))")
    }
}
