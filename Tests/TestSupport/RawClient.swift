// A deliberately dumb HTTP/1.1 client over a raw socket, for the cases a real client will not
// produce: half a header, a stalled upload, garbage, two requests on one connection. Shared by the
// HTTPServer and Coordinator tests.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public struct RawResponse {
    public var status: Int
    public var headers: [String: String]  // lower-cased names
    public var body: [UInt8]
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

public struct RawClientError: Error, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}

public final class RawConnection {
    public let fd: Int32
    private var buffer: [UInt8] = []

    public init(port: UInt16, receiveTimeout: Double = 5) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawClientError(description: "socket() failed: \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let error = errno
            close(fd)
            throw RawClientError(description: "connect() failed: errno \(error)")
        }
        var timeout = timeval(tv_sec: Int(receiveTimeout), tv_usec: Int((receiveTimeout - receiveTimeout.rounded(.down)) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    private var isOpen = true

    deinit { shutDown() }

    /// Closes the socket now.
    public func shutDown() {
        if isOpen { close(fd) }
        isOpen = false
    }

    /// Sends all bytes; returns false if the peer closed or reset the connection.
    @discardableResult
    public func send(_ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }

    @discardableResult
    public func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Reads more bytes into the buffer; false on EOF, error or timeout.
    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { return false }
        buffer.append(contentsOf: chunk[0..<n])
        return true
    }

    /// Reads one response (Content-Length framed, as this server always sends). nil on EOF/timeout.
    public func readResponse() -> RawResponse? {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        while headEnd == nil {
            if let range = buffer.firstRange(of: separator) {
                headEnd = range.upperBound
            } else if !fill() {
                return nil
            }
        }
        guard let headEnd else { return nil }
        let head = String(decoding: buffer[..<headEnd], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        guard !lines.isEmpty else { return nil }
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        while buffer.count < headEnd + length {
            if !fill() { return nil }
        }
        let body = Array(buffer[headEnd..<(headEnd + length)])
        buffer.removeFirst(headEnd + length)
        return RawResponse(status: status, headers: headers, body: body)
    }

    /// True if the server has already closed the connection (EOF or reset); does not wait.
    /// Unread response bytes count as open.
    public func hasBeenClosedByPeer() -> Bool {
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_DONTWAIT | MSG_PEEK))
        if n == 0 { return true }
        return n < 0 && errno == ECONNRESET
    }

    /// Everything the server sends until it closes the connection or the receive timeout passes.
    public func readToEnd() -> (bytes: [UInt8], closed: Bool) {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                buffer.append(contentsOf: chunk[0..<n])
                continue
            }
            let closed = n == 0 || errno == ECONNRESET
            defer { buffer = [] }
            return (buffer, closed)
        }
    }

    /// True if the server closed the connection (recv returns 0 or a reset) within the receive timeout.
    public func isClosedByPeer() -> Bool {
        var byte: UInt8 = 0
        while true {
            let n = recv(fd, &byte, 1, 0)
            if n == 0 { return true }
            if n < 0 { return errno == ECONNRESET }
        }
    }
}

/// One request on a fresh connection.
public func rawRequest(port: UInt16, _ text: String) throws -> RawResponse? {
    let connection = try RawConnection(port: port)
    connection.send(text)
    return connection.readResponse()
}
