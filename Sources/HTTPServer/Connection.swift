// The libmicrohttpd callbacks: body accumulation, the 413 limit, routing, queuing the
// response, and freeing per-request state when the request completes.
import CMicroHTTPD
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Per-request state, stored in libmicrohttpd's `*con_cls` from the handler's first call to
/// `MHD_OPTION_NOTIFY_COMPLETED`. libmicrohttpd calls back for one connection on one thread at
/// a time, so this class is never touched concurrently and is deliberately not Sendable.
final class RequestState {
    let start = ContinuousClock.now
    let method: String
    let path: String
    let remoteAddress: String?
    var body: [UInt8] = []
    var bytesIn = 0
    var route: String?
    var status: Int?
    var bytesOut = 0
    var hasResponded = false
    var hiddenError: String?
    var isTooLarge = false

    init(method: String, path: String, remoteAddress: String?) {
        self.method = method
        self.path = path
        self.remoteAddress = remoteAddress
    }
}

/// `MHD_AccessHandlerCallback`. Called several times per request: once when the head has
/// arrived, once per chunk of body, and once more with `*upload_data_size == 0` when the body
/// is complete. Answering only on that last call keeps keep-alive working (answering a GET on
/// the first call makes libmicrohttpd 0.9.75 send `Connection: close`).
func accessHandler(_ cls: UnsafeMutableRawPointer?, _ connection: OpaquePointer?, _ url: UnsafePointer<CChar>?,
                   _ method: UnsafePointer<CChar>?, _ version: UnsafePointer<CChar>?,
                   _ uploadData: UnsafePointer<CChar>?, _ uploadDataSize: UnsafeMutablePointer<Int>?,
                   _ conCls: UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> MHD_Result {
    guard let cls, let connection, let uploadDataSize, let conCls else { return MHD_Result.NO }
    let context = Unmanaged<ServerContext>.fromOpaque(cls).takeUnretainedValue()

    guard let statePointer = conCls.pointee else {
        // First call: the head is complete. Create the state; refuse a declared oversize body now.
        let state = RequestState(method: method.map { String(cString: $0) } ?? "",
                                 path: url.map { String(cString: $0) } ?? "/",
                                 remoteAddress: remoteAddress(of: connection))
        conCls.pointee = Unmanaged.passRetained(state).toOpaque()
        context.activeRequests.add(1, ordering: .relaxed)
        context.watch.headReceived(ConnectionWatch.key(connection))
        if let problem = framingProblem(headers(of: connection), version: version.map { String(cString: $0) }) {
            return refuseFraming(connection, state, context, problem)
        }
        if let declared = MHD_lookup_connection_value(connection, .HEADER_KIND, "Content-Length"),
           let length = Int(String(cString: declared).trimmingCharacters(in: .whitespaces)),
           length > context.maxBodySize
        {
            state.isTooLarge = true
            return refuseTooLarge(connection, state, context, declared: length)
        }
        return .YES
    }
    let state = Unmanaged<RequestState>.fromOpaque(statePointer).takeUnretainedValue()

    let size = uploadDataSize.pointee
    if size > 0 {
        state.bytesIn += size
        context.watch.bodyReceived(ConnectionWatch.key(connection), bytes: size)
        uploadDataSize.pointee = 0
        if state.hasResponded { return .YES }  // discarding the rest of a refused body
        if state.isTooLarge || state.body.count + size > context.maxBodySize {
            // libmicrohttpd 0.9.75 refuses MHD_queue_response in the middle of an upload, so a
            // body that grows past the limit without a declared length (chunked) is discarded
            // as it arrives and refused with 413 on the last call. Past a further allowance
            // the connection is closed instead, so a client cannot stream forever.
            state.isTooLarge = true
            state.body = []
            return state.bytesIn > context.maxBodySize + context.discardAllowance ? .NO : .YES
        }
        if let uploadData {
            state.body.append(contentsOf: UnsafeRawBufferPointer(start: uploadData, count: size))
        }
        return .YES
    }

    // Last call: the request is complete.
    if state.hasResponded { return .YES }
    context.watch.requestComplete(ConnectionWatch.key(connection))
    if state.isTooLarge { return refuseTooLarge(connection, state, context, declared: nil) }
    let request = HTTPRequest(method: HTTPMethod(rawValue: state.method), path: state.path,
                              query: queryParameters(of: connection), headers: headers(of: connection),
                              body: state.body, remoteAddress: state.remoteAddress,
                              version: version.map { String(cString: $0) } ?? "HTTP/1.1")
    state.body = []
    let (response, pattern, error) = context.router.respond(to: request)
    state.route = pattern
    if let error { state.hiddenError = String(describing: error) }
    return queue(response, on: connection, state, context)
}

private func refuseTooLarge(_ connection: OpaquePointer, _ state: RequestState, _ context: ServerContext,
                            declared: Int?) -> MHD_Result {
    let what = declared.map { "The request body is \($0) bytes" } ?? "The request body is larger than allowed"
    var response = context.router.errorResponse(
        .payloadTooLarge, "\(what); this server accepts at most \(context.maxBodySize) bytes. Send a smaller body.")
    response.headers["Connection"] = "close"
    let result = queue(response, on: connection, state, context)
    // If libmicrohttpd refuses the response, .NO makes it close the connection.
    return result
}

/// Why a request head's message framing cannot be trusted (RFC 9112 §6.1, §6.3), or nil.
///
/// libmicrohttpd 0.9.75 lets `Transfer-Encoding` win over `Content-Length` and keeps the
/// connection, so a request carrying both (request smuggling through a proxy that reads the
/// other one) was served and the bytes after its chunked body were answered as a second
/// request. The RFC says: answer 400 and close. The same for codings other than `chunked`
/// (libmicrohttpd would read the body until the client closes), for `Transfer-Encoding` in
/// HTTP/1.0, and for more than one of either field.
func framingProblem(_ headers: HTTPHeaders, version: String?) -> String? {
    let encodings = headers.values(for: "Transfer-Encoding")
    let lengths = headers.values(for: "Content-Length")
    if !encodings.isEmpty && !lengths.isEmpty {
        return "The request has both Transfer-Encoding and Content-Length, so its length is ambiguous (RFC 9112 §6.3). Send only one of them."
    }
    if lengths.count > 1 {
        return "The request has \(lengths.count) Content-Length fields. Send exactly one."
    }
    guard !encodings.isEmpty else { return nil }
    if version == "HTTP/1.0" {
        return "Transfer-Encoding is not allowed in an HTTP/1.0 request (RFC 9112 §6.1). Use HTTP/1.1 or Content-Length."
    }
    if encodings.count > 1 || encodings[0].trimmingCharacters(in: .whitespaces).lowercased() != "chunked" {
        return "This server accepts only 'Transfer-Encoding: chunked', not '\(encodings.joined(separator: ", "))'. Send the body chunked or with Content-Length."
    }
    return nil
}

/// A 400 for a request whose framing cannot be trusted; `Connection: close` makes
/// libmicrohttpd close the connection after it instead of reading what follows as a request.
private func refuseFraming(_ connection: OpaquePointer, _ state: RequestState, _ context: ServerContext,
                           _ problem: String) -> MHD_Result {
    var response = context.router.errorResponse(.badRequest, problem)
    response.headers["Connection"] = "close"
    return queue(response, on: connection, state, context)
}

/// Copies the response into libmicrohttpd (`.RESPMEM_MUST_COPY`) and queues it, with the
/// server's default headers where the response does not set them.
private func queue(_ response: HTTPResponse, on connection: OpaquePointer, _ state: RequestState,
                   _ context: ServerContext) -> MHD_Result {
    let created = response.body.withUnsafeBytes { bytes in
        MHD_create_response_from_buffer(bytes.count, UnsafeMutableRawPointer(mutating: bytes.baseAddress),
                                        .RESPMEM_MUST_COPY)
    }
    guard let created else { return .NO }
    defer { MHD_destroy_response(created) }
    for field in response.headers where field.name.lowercased() != "content-length" {
        // libmicrohttpd refuses names/values with CR or LF (header injection); drop those.
        _ = MHD_add_response_header(created, field.name, field.value)
    }
    for field in context.defaultHeaders where response.headers[field.name] == nil {
        _ = MHD_add_response_header(created, field.name, field.value)
    }
    let result = MHD_queue_response(connection, UInt32(response.status.rawValue), created)
    if result == .YES {
        context.watch.requestComplete(ConnectionWatch.key(connection))
        state.hasResponded = true
        state.status = response.status.rawValue
        state.bytesOut = response.body.count
    }
    return result
}

/// `MHD_RequestCompletedCallback`: logs, counts, and releases the per-request state. Fires for
/// finished, failed, timed-out and aborted requests alike.
func requestCompleted(_ cls: UnsafeMutableRawPointer?, _ connection: OpaquePointer?,
                      _ conCls: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
                      _ code: MHD_RequestTerminationCode) {
    guard let cls, let conCls, let statePointer = conCls.pointee else { return }
    conCls.pointee = nil
    let context = Unmanaged<ServerContext>.fromOpaque(cls).takeUnretainedValue()
    let wasCut = connection.map { context.watch.requestEnded(ConnectionWatch.key($0)) } ?? false
    let state = Unmanaged<RequestState>.fromOpaque(statePointer).takeRetainedValue()
    context.activeRequests.subtract(1, ordering: .relaxed)

    let duration = ContinuousClock.now - state.start
    let outcome: AccessLogEntry.Outcome
    switch code {
    case .REQUEST_TERMINATED_COMPLETED_OK: outcome = .completed
    case _ where wasCut: outcome = .timeout
    case .REQUEST_TERMINATED_TIMEOUT_REACHED: outcome = .timeout
    case .REQUEST_TERMINATED_DAEMON_SHUTDOWN: outcome = .shutdown
    case .REQUEST_TERMINATED_CLIENT_ABORT, .REQUEST_TERMINATED_READ_ERROR: outcome = .clientAbort
    default: outcome = .error
    }
    if let status = state.status {
        context.metrics?.recordRequest(method: HTTPMethod(rawValue: state.method), route: state.route,
                                       status: HTTPStatus(rawValue: status), duration: duration)
    }
    context.accessLog.record(AccessLogEntry(method: state.method, path: state.path, route: state.route,
                                            status: state.status, duration: duration, bytesIn: state.bytesIn,
                                            bytesOut: state.bytesOut, remoteAddress: state.remoteAddress,
                                            outcome: outcome, error: state.hiddenError))
}

// MARK: - Reading the request head

/// Collects key/value pairs from `MHD_get_connection_values_n`.
private final class PairCollector {
    var pairs: [(String, String)] = []
}

private func collectPair(_ cls: UnsafeMutableRawPointer?, _ kind: MHD_ValueKind, _ key: UnsafePointer<CChar>?,
                         _ keySize: Int, _ value: UnsafePointer<CChar>?, _ valueSize: Int) -> MHD_Result {
    guard let cls, let key else { return .YES }
    let collector = Unmanaged<PairCollector>.fromOpaque(cls).takeUnretainedValue()
    let name = String(decoding: UnsafeRawBufferPointer(start: key, count: keySize), as: UTF8.self)
    let text = value.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: valueSize), as: UTF8.self) } ?? ""
    collector.pairs.append((name, text))
    return .YES
}

private func pairs(of connection: OpaquePointer, kind: MHD_ValueKind) -> [(String, String)] {
    let collector = PairCollector()
    withExtendedLifetime(collector) {
        _ = MHD_get_connection_values_n(connection, kind, collectPair, Unmanaged.passUnretained(collector).toOpaque())
    }
    return collector.pairs
}

private func headers(of connection: OpaquePointer) -> HTTPHeaders {
    HTTPHeaders(pairs(of: connection, kind: .HEADER_KIND))
}

/// Query arguments arrive still escaped (the daemon's unescape callback is a no-op, see
/// shim.h), so `+` and `%HH` are decoded here, once.
private func queryParameters(of connection: OpaquePointer) -> QueryParameters {
    QueryParameters(pairs(of: connection, kind: .GET_ARGUMENT_KIND).map {
        QueryParameters.Item(name: PercentDecoding.decode($0.0, plusAsSpace: true),
                             value: PercentDecoding.decode($0.1, plusAsSpace: true))
    })
}

private func remoteAddress(of connection: OpaquePointer) -> String? {
    CMicroHTTPD_client_address(connection).flatMap(numericAddress)
}
