// The node's one HTTP client: every request to the coordinator (push, verify, report --fetch,
// checkpoint compare) goes through `httpRequest`, which follows no redirect and reads at most a
// fixed number of bytes of an answer.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
internal import Synchronization

/// How many bytes of an answer the node reads at most, per endpoint.
///
/// Why: the node's memory must not follow whatever the coordinator (or anyone on the path)
/// sends. Each limit is far above what an honest answer needs.
enum ResponseLimit {
    /// A submission's answer: a receipt or a refusal (a few hundred bytes).
    static let receipt = 1 << 20
    /// A log checkpoint, inclusion or consistency proof (a signed note, or a few dozen hashes).
    static let logProof = 4 << 20
    /// A signed network report (one row per town of the tenant).
    static let report = 16 << 20
}

/// One HTTP exchange's answer.
struct HTTPAnswer: Sendable {
    var status: Int
    var body: [UInt8]
    var retryAfter: Int?
}

/// Sends one request and waits for the answer (the CLI is synchronous).
///
/// A redirect is refused, not followed: the request may carry the town token, which must never
/// reach another address (and a same-origin redirect is a configuration to fix, not to guess).
/// An answer longer than `limit` bytes is not read further: the connection is closed and a
/// `answerRefused` error says so. Network failures are `io` errors (push retries those).
/// `headers` are sent as given (a vendor's API key, for example).
func httpRequest(_ url: URL, method: String, body: [UInt8]?, bearer: String?, headers: [String: String] = [:],
                 timeout: TimeInterval, limit: Int) throws -> HTTPAnswer {
    var request = URLRequest(url: url, timeoutInterval: timeout)
    request.httpMethod = method
    if let body {
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(body)
    }
    if let bearer { request.setValue("Bearer \(bearer)", forHTTPHeaderField: "Authorization") }
    for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
    let exchange = BoundedExchange(url: url, limit: limit)
    let configuration = URLSessionConfiguration.ephemeral
    configuration.httpShouldSetCookies = false
    let session = URLSession(configuration: configuration, delegate: exchange, delegateQueue: nil)
    session.dataTask(with: request).resume()
    exchange.done.wait()
    // Not `invalidateAndCancel()`: it waits for the session's work queue, which may still be busy
    // reading a refused answer. A refused task is cancelled already.
    session.finishTasksAndInvalidate()
    return try exchange.result()
}

/// Collects one answer through URLSession's delegate calls, counting bytes as they arrive.
///
/// Why a delegate: `data(for:)` buffers the whole body before the caller sees a byte, and the
/// default redirect policy resends the request (with its `Authorization` header) to the new URL.
final class BoundedExchange: NSObject, URLSessionDataDelegate, Sendable {
    struct State {
        var response: HTTPURLResponse?
        var body: [UInt8] = []
        /// Set once: the answer, or why there is none (the node may refuse before the task ends).
        var outcome: Result<HTTPAnswer, NodeError>?
    }

    let url: URL
    let limit: Int
    let state = Mutex(State())
    /// Signalled once, when the task completed.
    let done = DispatchSemaphore(value: 0)

    init(url: URL, limit: Int) {
        self.url = url
        self.limit = limit
    }

    func result() throws(NodeError) -> HTTPAnswer {
        guard let outcome = state.withLock({ $0.outcome }) else { throw NodeError(.io, "no response from \(url.absoluteString)") }
        return try outcome.get()
    }

    private var tooLarge: NodeError {
        NodeError(.answerRefused, "the answer of \(url.absoluteString) is larger than \(limit / (1 << 20)) MiB, the most the node reads from that endpoint; it stopped reading. Check --coordinator (and any proxy in between): an honest coordinator's answer is far smaller")
    }

    /// Records the first outcome and wakes the caller; later calls change nothing.
    private func finish(_ outcome: Result<HTTPAnswer, NodeError>) {
        let first = state.withLock { state -> Bool in
            guard state.outcome == nil else { return false }
            state.outcome = outcome
            state.body = []
            return true
        }
        if first { done.signal() }
    }

    /// Stops the exchange: the caller gets `refusal` at once, and the task is cancelled.
    ///
    /// Why not wait for the cancellation: on Linux, FoundationNetworking carries out `cancel()`
    /// on the session's work queue, which keeps reading a fast stream first (seconds, hundreds of
    /// MiB on loopback). The caller fails now; what still arrives is dropped unread by
    /// `didReceive(data:)`, and the CLI exits, which closes the connection.
    private func refuse(_ refusal: NodeError, _ task: URLSessionTask) {
        finish(.failure(refusal))
        task.cancel()
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
        let location = response.value(forHTTPHeaderField: "Location") ?? request.url?.absoluteString ?? "(no Location)"
        completionHandler(nil)
        refuse(NodeError(.answerRefused, "\(url.absoluteString) answered \(response.statusCode), redirecting to \(location); the node follows no redirect, so that its town token never goes to another address. Set the coordinator's final URL with --coordinator"), task)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void) {
        completionHandler(.allow)
        if response.expectedContentLength > Int64(limit) { return refuse(tooLarge, dataTask) }
        state.withLock { $0.response = response as? HTTPURLResponse }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let over = state.withLock { state -> Bool in
            guard state.outcome == nil else { return false }  // refused already: drop the rest unread
            guard data.count <= limit - state.body.count else { return true }
            state.body.append(contentsOf: data)
            return false
        }
        if over { refuse(tooLarge, dataTask) }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        if let error {
            return finish(.failure(NodeError(.io, "cannot reach \(url.absoluteString): \(error.localizedDescription)")))
        }
        guard let http = state.withLock({ $0.response }) ?? task.response as? HTTPURLResponse else {
            return finish(.failure(NodeError(.io, "cannot reach \(url.absoluteString): no response")))
        }
        let body = state.withLock { $0.body }
        finish(.success(HTTPAnswer(status: http.statusCode, body: body,
                                   retryAfter: http.value(forHTTPHeaderField: "Retry-After").flatMap { Int($0) })))
    }
}
