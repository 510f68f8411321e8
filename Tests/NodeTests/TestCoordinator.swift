import Federation
import Foundation
import HTTPServer
import Synchronization

/// A real HTTP server (libmicrohttpd, through HTTPServer) that accepts submissions by the
/// protocol's own checks (`SubmissionCheck`) and keeps what it accepted in memory, with knobs to
/// misbehave: answer 503 a few times, or hold a request until the test releases it.
/// It lets the node's push be tested against the wire contract without the coordinator service.
final class TestCoordinator: Sendable {
    struct State {
        var accepted: [String: [UInt8]] = [:]          // submission id → payload digest
        var acceptedOrder: [String] = []
        var payloads: [String: AggregatePayload] = [:]
        var lastSequence: [String: Int] = [:]
        var requests = 0
        var unavailableAnswers = 0                      // answer 503 (Retry-After: 1) this many times
        var holdFrom: Int? = nil                        // hold the n-th request (1-based) and later ones
    }

    let state = Mutex(State())
    let released = DispatchSemaphore(value: 0)
    let held = DispatchSemaphore(value: 0)
    let key: KeyRecord
    private(set) nonisolated(unsafe) var server: HTTPServer! // set once in init, read-only after

    init(key: KeyRecord) throws {
        self.key = key
        var router = Router()
        let tenant = key.tenantID
        router.post("/v1/tenants/{tenant}/submissions") { [unowned self] request, parameters in
            let number = self.state.withLock { state -> Int in state.requests += 1; return state.requests }
            if let holdFrom = self.state.withLock({ $0.holdFrom }), number >= holdFrom {
                self.held.signal()
                self.released.wait()
            }
            if self.state.withLock({ state -> Bool in
                guard state.unavailableAnswers > 0 else { return false }
                state.unavailableAnswers -= 1
                return true
            }) {
                return .error(status: 503, reason: "busy", headers: ["Retry-After": "1"])
            }
            guard parameters["tenant"] == tenant else { return .error(status: 404, reason: "no such tenant") }
            let decision = SubmissionCheck.check(
                request.body, policy: TenantSubmissionPolicy(tenantID: tenant), now: Date(),
                keys: { $0 == self.key.keyID ? self.key : nil },
                state: { town, id in
                    self.state.withLock { TownSubmissionState(lastSequence: $0.lastSequence[town], existingPayloadDigest: $0.accepted[id]) }
                })
            switch decision {
            case .accepted(let submission):
                self.state.withLock { state in
                    state.accepted[submission.payload.submissionId] = submission.payloadDigest
                    state.acceptedOrder.append(submission.payload.submissionId)
                    state.payloads[submission.payload.submissionId] = submission.payload
                    state.lastSequence[submission.payload.townId] = submission.payload.sequence
                }
                return .json(status: 202, bytes: Array("{\"receipt\":{\"submissionId\":\"\(submission.payload.submissionId)\"}}".utf8))
            case .duplicate(let id):
                return .json(status: 200, bytes: Array("{\"receipt\":{\"submissionId\":\"\(id)\"}}".utf8))
            case .refused(let refusal):
                return .json(status: 409, bytes: Array("{\"error\":{\"status\":409,\"code\":\"\(refusal.reason)\",\"reason\":\"refused\"}}".utf8))
            }
        }
        server = HTTPServer(configuration: .init(port: 0, threadPoolSize: 4), router: router, accessLog: AccessLog { _ in })
        try server.start()
    }

    var url: URL { URL(string: "http://127.0.0.1:\(server.port)/")! }

    func stop() {
        // Release anything held so the server can stop.
        for _ in 0..<8 { released.signal() }
        server.shutdown(gracePeriod: .seconds(1))
    }
}
