import Federation
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import HTTPServer
@testable import Node
import Synchronization
import TestSupport
import Testing

/// The node's HTTP client against coordinators that misbehave on the wire (issue 16): one that
/// redirects to another address, one that streams an answer larger than the node reads.
@Suite(.serialized) struct HTTPClientTests {
    let node = Repository.executable("townbench-node")

    /// A node with a month of data, its town token and a pinned key, pointed at `url`.
    static func node(_ dir: URL, coordinator url: URL) throws -> NodeFixture {
        let fixture = try NodeFixture(in: dir)
        try PushTests.importMonth(fixture)
        try fixture.store.configureDefault(key: Hex.encode(try Ed25519.PrivateKey().publicKey.rawRepresentation))
        try fixture.store.configureDefault(token: TestCoordinator.token(for: "harelbeke"))
        try fixture.store.configureDefault(coordinator: url.absoluteString)
        return fixture
    }

    /// Every node request — push, verify, report --fetch — meets a 307 to a second server on
    /// another port: the node refuses it naming the Location, and the second server never sees
    /// the town token (nor any request).
    @Test func aRedirectIsRefusedAndTheTokenNeverReachesTheOtherHost() throws {
        let seen = Mutex<[String]>([])
        var elsewhere = Router()
        for path in ["/v1/tenants/{tenant}/submissions"] {
            elsewhere.post(path) { request, _ in
                seen.withLock { $0.append("POST " + (request.headers["Authorization"] ?? "-")) }
                return .json(bytes: Array("{}".utf8))
            }
        }
        for path in ["/v1/tenants/{tenant}/log/checkpoint", "/v1/tenants/{tenant}/report"] {
            elsewhere.get(path) { request, _ in
                seen.withLock { $0.append("GET " + (request.headers["Authorization"] ?? "-")) }
                return .json(bytes: Array("{}".utf8))
            }
        }
        let other = HTTPServer(configuration: .init(port: 0, threadPoolSize: 2), router: elsewhere, accessLog: AccessLog { _ in })
        try other.start()
        defer { other.shutdown(gracePeriod: .seconds(1)) }
        let target = "http://127.0.0.1:\(other.port)"
        var redirecting = Router()
        let redirect: RouteHandler = { request, _ in
            HTTPResponse(status: 307, headers: ["Location": target + request.path])
        }
        redirecting.post("/v1/tenants/{tenant}/submissions", handler: redirect)
        redirecting.get("/v1/tenants/{tenant}/log/checkpoint", handler: redirect)
        redirecting.get("/v1/tenants/{tenant}/report", handler: redirect)
        let coordinator = HTTPServer(configuration: .init(port: 0, threadPoolSize: 2), router: redirecting, accessLog: AccessLog { _ in })
        try coordinator.start()
        defer { coordinator.shutdown(gracePeriod: .seconds(1)) }
        let url = try #require(URL(string: "http://127.0.0.1:\(coordinator.port)/"))

        try withTemporaryDirectory { dir in
            let fixture = try Self.node(dir, coordinator: url)
            let dirArgument = ["--dir", fixture.store.directory.path]
            for command in [["push"], ["verify"], ["report", "--fetch", "--from", "2025-06-02", "--to", "2025-06-29", "--out", dir.appendingPathComponent("r.html").path]] {
                let result = try runProcess(node, command + dirArgument)
                #expect(result.status == 1, "\(command): \(result.stdout)\(result.stderr)")
                #expect(result.stderr.contains("redirecting to \(target)/v1/tenants/daks/"), "\(command): \(result.stderr)")
                #expect(result.stderr.contains("follows no redirect"), "\(command): \(result.stderr)")
            }
            // Push refused the redirect at once and kept every week queued.
            let outbox = try fixture.store.outbox()
            #expect(outbox.count == 4 && outbox.allSatisfy { $0.state == "queued" })
            let lastError = outbox.first?.lastError ?? ""
            #expect(lastError.contains("follows no redirect"), "\(lastError)")
        }
        #expect(seen.withLock { $0 } == [])
    }

    /// A coordinator that streams 256 MiB, declared up front or chunked: push (1 MiB limit) and
    /// report --fetch (16 MiB) stop with a clear error naming the limit, and the server sees the
    /// connection closed long before it could send it all.
    @Test(arguments: [true, false]) func anOversizedAnswerIsNotReadToTheEnd(declared: Bool) throws {
        let total = 256 << 20
        let server = try StreamingServer(bodySize: total, declaredLength: declared)
        defer { server.stop() }
        try withTemporaryDirectory { dir in
            let fixture = try Self.node(dir, coordinator: server.url)
            let push = try runProcess(node, ["push", "--dir", fixture.store.directory.path])
            #expect(push.status == 1)
            #expect(push.stderr.contains("is larger than 1 MiB, the most the node reads from that endpoint; it stopped reading"), "\(push.stderr)")
            // Refused at once, not retried; every week stays queued.
            #expect(!push.stderr.contains("retrying"), "\(push.stderr)")
            #expect(try fixture.store.outbox().allSatisfy { $0.state == "queued" })

            let fetch = try runProcess(node, ["report", "--fetch", "--from", "2025-06-02", "--to", "2025-06-29",
                                              "--out", dir.appendingPathComponent("r.html").path, "--dir", fixture.store.directory.path])
            #expect(fetch.status == 1)
            #expect(fetch.stderr.contains("is larger than 16 MiB"), "\(fetch.stderr)")
        }
        let sent = server.waitForConnections(2)
        #expect(sent.count == 2)
        // What the server could send before the node closed: the limit plus socket buffers.
        #expect(sent.allSatisfy { $0 < total / 2 }, "bytes sent per connection: \(sent)")
    }

    /// `report --fetch --coordinator URL` fetches from that URL (it was refused as an unknown
    /// option before): the node reaches the streaming server given on the line, not the
    /// remembered coordinator, and stops at the 16 MiB limit.
    @Test func reportFetchTakesTheCoordinatorFromTheLine() throws {
        let server = try StreamingServer(bodySize: 17 << 20, declaredLength: true)
        defer { server.stop() }
        try withTemporaryDirectory { dir in
            let fixture = try Self.node(dir, coordinator: try #require(URL(string: "http://127.0.0.1:9/")))
            let fetch = try runProcess(node, ["report", "--dir", fixture.store.directory.path, "--fetch", "--coordinator", server.url.absoluteString,
                                              "--from", "2025-06-02", "--to", "2025-06-29", "--out", dir.appendingPathComponent("r.html").path])
            #expect(fetch.status == 1, "\(fetch.stderr)")
            #expect(fetch.stderr.contains("is larger than 16 MiB"), "\(fetch.stderr)")
            #expect(try fixture.store.defaultCoordinator() == server.url.absoluteString)
        }
        #expect(server.waitForConnections(1).count == 1)
    }
}

/// A one-connection-at-a-time HTTP/1.1 server on a raw socket that answers every request with
/// `200` and a body of `bodySize` bytes, written as fast as the peer reads, declared with
/// `Content-Length` or sent chunked. It records how many body bytes it got onto each connection
/// before the peer closed it: what a client read at most, without timing anything.
final class StreamingServer: Sendable {
    let listener: Int32
    let port: UInt16
    let bodySize: Int
    let declaredLength: Bool
    let sent = Mutex<[Int]>([])
    let finished = DispatchSemaphore(value: 0)

    init(bodySize: Int, declaredLength: Bool) throws {
        self.bodySize = bodySize
        self.declaredLength = declaredLength
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard listener >= 0, bound == 0, listen(listener, 8) == 0 else { throw RawClientError(description: "cannot listen: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        guard listener >= 0 else { throw RawClientError(description: "no socket") }
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    var url: URL { URL(string: "http://127.0.0.1:\(port)/")! }

    private func acceptLoop() {
        while true {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { return }  // the listener was shut down
            let count = serve(connection)
            close(connection)
            sent.withLock { $0.append(count) }
            finished.signal()
        }
    }

    /// Reads the request head, then writes the answer until the peer stops reading.
    private func serve(_ fd: Int32) -> Int {
        // A stuck peer (one that neither reads nor closes) ends the write after 10 s.
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var head: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !head.ends(with: Array("\r\n\r\n".utf8)) {
            let n = recv(fd, &buffer, 1, 0)
            guard n > 0 else { return 0 }
            head.append(buffer[0])
        }
        let headers = declaredLength ? "Content-Length: \(bodySize)\r\n" : "Transfer-Encoding: chunked\r\n"
        guard write(fd, Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\(headers)Connection: close\r\n\r\n".utf8)) else { return 0 }
        let chunk = [UInt8](repeating: UInt8(ascii: " "), count: 64 << 10)
        var count = 0
        while count < bodySize {
            let frame = declaredLength ? chunk : Array("\(String(chunk.count, radix: 16))\r\n".utf8) + chunk + Array("\r\n".utf8)
            guard write(fd, frame) else { return count }
            count += chunk.count
        }
        if !declaredLength { _ = write(fd, Array("0\r\n\r\n".utf8)) }
        return count
    }

    private func write(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return false }
            offset += n
        }
        return true
    }

    /// The bytes sent on each of the first `count` connections, once they are closed.
    func waitForConnections(_ count: Int) -> [Int] {
        for _ in 0..<count where finished.wait(timeout: .now() + 30) == .timedOut { break }
        return sent.withLock { $0 }
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }
}

extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}
