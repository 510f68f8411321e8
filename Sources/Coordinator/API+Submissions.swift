import Federation
import Foundation
import HTTPServer

/// The signature-authenticated routes: submissions and key rotations (key rotations: PROTOCOL.md §1.2).
extension API {
    func registerSubmissionRoutes(on router: inout Router) {
        // Authenticated by the envelope's signature inside the handler, not by a token.
        router.group("/v1/tenants/{tenant}", tags: ["submission"], middleware: { _, _, next in try API.contract { try next(()) } }) { group in
            group.post("/submissions") { [self] request, parameters, _ in try submit(request, parameters) }
            group.post("/key-rotations") { [self] request, parameters, _ in try rotate(request, parameters) }
        }
    }

    func submit(_ request: HTTPRequest, _ parameters: RouteParameters) throws -> HTTPResponse {
        let tenantID = try parameters.require("tenant")
        let scope = TenantScope.submission(tenantID)
        // An unknown tenant has no keys: its submissions are refused `unknown_key` like any other.
        let policy = try policies.policy(scope, store: store, now: clock())
        var town: String?
        let body = request.body
        let decision = try SubmissionCheck.check(body, policy: policy, now: clock(),
                                                 keys: { try store.keyRecord(id: $0, scope) },
                                                 state: { townID, submissionID in
                                                     town = townID
                                                     return try store.submissionState(town: townID, submissionID: submissionID, scope)
                                                 })
        switch decision {
        case .refused(let refusal):
            return refused(refusal)
        case .duplicate(let submissionID):
            guard let town, let receipt = try store.receipt(town: town, submissionID: submissionID, scope) else {
                throw CoordinatorError(.storage, "A duplicate's receipt is missing.")
            }
            return try answer(receipt, status: .ok, outcome: "duplicate")
        case .accepted(let accepted):
            switch try writer.submit(VerifiedSubmission(scope: scope, accepted: accepted, body: body)) {
            case .stored(let receipt): return try answer(receipt, status: .accepted, outcome: "accepted")
            case .duplicate(let receipt): return try answer(receipt, status: .ok, outcome: "duplicate")
            case .refused(let refusal): return refused(refusal)
            }
        }
    }

    /// A key rotation statement (PROTOCOL.md §1.2), authenticated by the old key's signature.
    func rotate(_ request: HTTPRequest, _ parameters: RouteParameters) throws -> HTTPResponse {
        let tenantID = try parameters.require("tenant")
        let scope = TenantScope.submission(tenantID)
        var lookupError: (any Error)?
        let verified = KeyRotationStatement.verify(request.body, tenantId: tenantID) { keyID in
            do { return try store.keyRecord(id: keyID, scope) } catch {
                lookupError = error
                return nil
            }
        }
        if let lookupError { throw lookupError }
        switch verified {
        case .failure(let refusal):
            throw CoordinatorError(refusal: refusal)
        case .success(let (statement, newKey)):
            guard let old = try store.keyRecord(id: statement.oldKeyId, scope) else {
                throw CoordinatorError(refusal: Refusal(.unknownKey, "no enrolled key has id \(statement.oldKeyId)"))
            }
            let (retired, active) = old.rotated(to: newKey, at: clock())
            try store.rotate(retired, to: active, scope)
            return try API.json(["keyId": active.keyID, "retiredKeyId": retired.keyID, "townId": active.townID], status: .created)
        }
    }

    func answer(_ receipt: Receipt, status: HTTPStatus, outcome: String) throws -> HTTPResponse {
        metrics.increment(CoordinatorService.submissionsMetric, labels: ["outcome": outcome])
        // Built directly (the hot path; JSONEncoder cost ~3 % of a submission's CPU in a profile).
        let body = JSONValue.object(["receipt": .object([
            "submissionId": .string(receipt.submissionId), "digest": .string(receipt.digest),
            "acceptedAt": .string(receipt.acceptedAt),
        ])])
        return HTTPResponse.json(status: status, bytes: try CanonicalJSON.serialize(body))
    }

    func refused(_ refusal: Refusal) -> HTTPResponse {
        metrics.increment(CoordinatorService.submissionsMetric, labels: ["outcome": "refused", "reason": refusal.reason.code])
        return CoordinatorError(refusal: refusal).jsonResponse
    }
}
