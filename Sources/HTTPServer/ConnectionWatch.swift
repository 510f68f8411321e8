// Slow clients: a deadline for each request head, a minimum body rate and a per-address
// connection limit, which libmicrohttpd 0.9.75 does not have.
import CMicroHTTPD
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Watches every open connection and closes the ones that send too slowly.
///
/// Why: libmicrohttpd's `MHD_OPTION_CONNECTION_TIMEOUT` restarts with every byte received, so a
/// client that sends one header line every few seconds holds its connection (and, with a thread
/// per connection, a thread) forever; about a thousand such clients used up the connection limit
/// and every other request failed (issue 16, finding 3). This type keeps, per connection, what it
/// is waiting for and since when, from libmicrohttpd's connection notifications, its request-line
/// callback (`MHD_OPTION_URI_LOG_CALLBACK`) and the access handler; a reaper thread shuts the
/// socket down (`shutdown(2)`, which makes libmicrohttpd close it on its own thread) when:
/// - a new connection has not delivered a complete request head within ``Limits/head``;
/// - a kept-alive connection waits longer than ``Limits/idle`` for its next request line (however
///   slowly the bytes dribble), or does not complete that head within ``Limits/head`` after it;
/// - a body arrives slower than ``Limits/minimumBodyRate`` on average after ``Limits/head``.
/// A request whose handler runs, or whose response is being sent, is never cut here.
///
/// It also counts connections per peer address for ``Limits/perAddress``, checked in the accept
/// policy callback. Loopback peers are exempt: behind the reverse proxy every request comes from
/// 127.0.0.1, and libmicrohttpd's own `MHD_OPTION_PER_IP_CONNECTION_LIMIT` cannot exempt them.
///
/// Safe to shut a socket down from the reaper: entries are removed under the same lock in the
/// `MHD_CONNECTION_NOTIFY_CLOSED` callback, which libmicrohttpd calls before it closes the socket.
final class ConnectionWatch: Sendable {
    struct Limits: Sendable {
        /// How long a request head may take: from accept for a connection's first request, from
        /// its request line for later ones. Also the grace before ``minimumBodyRate`` applies.
        var head: Duration
        /// How long a kept-alive connection may wait for its next request line (nil: no bound).
        var idle: Duration?
        /// Bytes per second a request body must average (0: no minimum).
        var minimumBodyRate: Int
        /// Open connections per non-loopback peer address, an IPv6 one by its /64 (0: no limit).
        var perAddress: Int
    }

    enum Phase: Sendable, Equatable {
        case firstHead, awaitingRequest, head, body, handling, closing
    }

    struct Entry: Sendable {
        var socket: Int32
        /// The peer address counted against ``Limits/perAddress``; nil for loopback/unknown.
        var limitedAddress: String?
        var phase: Phase
        var since: ContinuousClock.Instant
        var bodyBytes = 0
    }

    private struct State {
        var entries: [Int: Entry] = [:]
        var perAddress: [String: Int] = [:]
        var isRunning = false
    }

    let limits: Limits
    private let state = Mutex(State())
    private let wakeUp = DispatchSemaphore(value: 0)
    private let reaperDone = DispatchSemaphore(value: 0)
    private let metrics: Metrics?
    /// Connections closed for being too slow, since start.
    let closedCount = Atomic<Int>(0)

    static let closedMetric = "http_slow_connections_closed_total"

    init(limits: Limits, metrics: Metrics?) {
        self.limits = limits
        self.metrics = metrics
        metrics?.describeCounter(Self.closedMetric,
                                 help: "Connections closed because the request head or body arrived too slowly.")
    }

    /// Starts the reaper thread (if it is not running).
    func start() {
        let wasRunning = state.withLock { state -> Bool in
            defer { state.isRunning = true }
            return state.isRunning
        }
        guard !wasRunning else { return }
        Thread.detachNewThread { [self] in
            let interval = min(max(limits.head / 10, .milliseconds(50)), .milliseconds(500))
            let (seconds, attoseconds) = interval.components
            let wait = Double(seconds) + Double(attoseconds) / 1e18
            while state.withLock({ $0.isRunning }) {
                _ = wakeUp.wait(timeout: .now() + wait)
                reap(now: ContinuousClock.now)
            }
            reaperDone.signal()
        }
    }

    /// Stops the reaper thread and waits for it.
    func stop() {
        let wasRunning = state.withLock { state -> Bool in
            defer { state.isRunning = false }
            return state.isRunning
        }
        guard wasRunning else { return }
        wakeUp.signal()
        reaperDone.wait()
    }

    /// Shuts down every connection past its deadline.
    func reap(now: ContinuousClock.Instant) {
        var closed = 0
        state.withLock { state in
            for (key, entry) in state.entries where isLate(entry, now: now) {
                shutdown(entry.socket, Int32(SHUT_RDWR))
                state.entries[key]?.phase = .closing
                closed += 1
            }
        }
        if closed > 0 {
            closedCount.add(closed, ordering: .relaxed)
            metrics?.increment(Self.closedMetric, by: UInt64(closed))
        }
    }

    func isLate(_ entry: Entry, now: ContinuousClock.Instant) -> Bool {
        let elapsed = now - entry.since
        switch entry.phase {
        case .firstHead, .head:
            return elapsed > limits.head
        case .awaitingRequest:
            return limits.idle.map { elapsed > $0 } ?? false
        case .body:
            guard limits.minimumBodyRate > 0, elapsed > limits.head else { return false }
            let (seconds, attoseconds) = (elapsed - limits.head).components
            let owed = Double(seconds) * Double(limits.minimumBodyRate)
                + Double(attoseconds) / 1e18 * Double(limits.minimumBodyRate)
            return Double(entry.bodyBytes) < owed
        case .handling, .closing:
            return false
        }
    }

    // MARK: Events (libmicrohttpd's threads)

    /// Whether a new connection from `address` is admitted (the accept policy).
    func admits(address: String?) -> Bool {
        guard limits.perAddress > 0, let address, !Self.isLoopback(address) else { return true }
        let key = IPAddress.clientKey(address)
        return state.withLock { ($0.perAddress[key] ?? 0) < limits.perAddress }
    }

    func opened(_ key: Int, socket: Int32, address: String?) {
        let limited = address.flatMap { Self.isLoopback($0) ? nil : IPAddress.clientKey($0) }
        state.withLock { state in
            state.entries[key] = Entry(socket: socket, limitedAddress: limited, phase: .firstHead, since: .now)
            if let limited { state.perAddress[limited, default: 0] += 1 }
        }
    }

    func closed(_ key: Int) {
        state.withLock { state in
            guard let entry = state.entries.removeValue(forKey: key) else { return }
            if let address = entry.limitedAddress {
                let count = (state.perAddress[address] ?? 1) - 1
                state.perAddress[address] = count > 0 ? count : nil
            }
        }
    }

    /// The request line arrived; the rest of the head is now due within ``Limits/head``.
    func requestLineReceived(_ key: Int) {
        state.withLock { state in
            guard let entry = state.entries[key], entry.phase == .awaitingRequest else { return }
            state.entries[key]?.phase = .head
            state.entries[key]?.since = .now
        }
    }

    func headReceived(_ key: Int) { move(key, to: .body) }

    func bodyReceived(_ key: Int, bytes: Int) {
        state.withLock { state in
            guard state.entries[key]?.phase == .body else { return }
            state.entries[key]?.bodyBytes += bytes
        }
    }

    func requestComplete(_ key: Int) { move(key, to: .handling) }

    /// A request ended (answered, or not): the connection now waits for the next one. Returns
    /// true if this watch had cut the connection for being too slow.
    @discardableResult
    func requestEnded(_ key: Int) -> Bool {
        state.withLock { state in
            guard let entry = state.entries[key] else { return false }
            if entry.phase == .closing { return true }
            state.entries[key] = Entry(socket: entry.socket, limitedAddress: entry.limitedAddress, phase: .awaitingRequest,
                                       since: .now)
            return false
        }
    }

    private func move(_ key: Int, to phase: Phase) {
        state.withLock { state in
            guard let entry = state.entries[key], entry.phase != .closing else { return }
            state.entries[key] = Entry(socket: entry.socket, limitedAddress: entry.limitedAddress, phase: phase,
                                       since: .now)
        }
    }

    var openConnections: Int { state.withLock { $0.entries.count } }

    /// 127.0.0.0/8, ::1 and their IPv4-mapped forms.
    static func isLoopback(_ address: String) -> Bool {
        address == "::1" || address.hasPrefix("127.") || address.lowercased().hasPrefix("::ffff:127.")
    }

    static func key(_ connection: OpaquePointer) -> Int { Int(bitPattern: UnsafeRawPointer(connection)) }
}

// MARK: - The C callbacks (`cls` is the ConnectionWatch, unretained: the server owns it)

/// `MHD_AcceptPolicyCallback`: refuses a peer that already has ``ConnectionWatch/Limits/perAddress``
/// connections open.
func acceptPolicy(_ cls: UnsafeMutableRawPointer?, _ address: UnsafePointer<sockaddr>?, _ length: socklen_t)
    -> MHD_Result {
    guard let cls else { return .YES }
    let watch = Unmanaged<ConnectionWatch>.fromOpaque(cls).takeUnretainedValue()
    return watch.admits(address: address.flatMap(numericAddress)) ? .YES : .NO
}

/// `MHD_NotifyConnectionCallback`: a connection opened or closed.
func connectionNotification(_ cls: UnsafeMutableRawPointer?, _ connection: OpaquePointer?,
                            _ socketContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
                            _ code: MHD_ConnectionNotificationCode) {
    guard let cls, let connection else { return }
    let watch = Unmanaged<ConnectionWatch>.fromOpaque(cls).takeUnretainedValue()
    switch code {
    case .CONNECTION_NOTIFY_STARTED:
        watch.opened(ConnectionWatch.key(connection), socket: CMicroHTTPD_connection_fd(connection),
                     address: CMicroHTTPD_client_address(connection).flatMap(numericAddress))
    case .CONNECTION_NOTIFY_CLOSED:
        watch.closed(ConnectionWatch.key(connection))
    default:
        break
    }
}

/// `MHD_OPTION_URI_LOG_CALLBACK`: a request line arrived. Returns nil, so the access handler's
/// `*con_cls` still starts empty.
func requestLineReceived(_ cls: UnsafeMutableRawPointer?, _ uri: UnsafePointer<CChar>?,
                         _ connection: OpaquePointer?) -> UnsafeMutableRawPointer? {
    guard let cls, let connection else { return nil }
    Unmanaged<ConnectionWatch>.fromOpaque(cls).takeUnretainedValue().requestLineReceived(ConnectionWatch.key(connection))
    return nil
}

/// The numeric text of an IPv4 or IPv6 socket address (`127.0.0.1`, `::1`), or nil.
func numericAddress(_ address: UnsafePointer<sockaddr>) -> String? {
    var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
    switch Int32(address.pointee.sa_family) {
    case AF_INET:
        return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { ipv4 in
            var raw = ipv4.pointee.sin_addr
            return inet_ntop(AF_INET, &raw, &buffer, socklen_t(buffer.count)).map { String(cString: $0) }
        }
    case AF_INET6:
        return address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { ipv6 in
            var raw = ipv6.pointee.sin6_addr
            return inet_ntop(AF_INET6, &raw, &buffer, socklen_t(buffer.count)).map { String(cString: $0) }
        }
    default:
        return nil
    }
}

/// IP address text helpers shared by the connection limits and ``HTTPRequest/clientAddress``.
public enum IPAddress {
    /// Whether `text` is an IPv4 or IPv6 literal (`inet_pton`).
    public static func isNumeric(_ text: String) -> Bool {
        guard text.utf8.count <= 64 else { return false }
        var buffer = in6_addr()
        return inet_pton(AF_INET, text, &buffer) == 1 || inet_pton(AF_INET6, text, &buffer) == 1
    }

    /// The key under which a client is counted: an IPv4 address as is (an IPv4-mapped IPv6 one
    /// as IPv4), an IPv6 address by its /64 network (one subscriber usually holds a whole /64,
    /// RFC 6177), anything else as given.
    public static func clientKey(_ text: String) -> String {
        var ipv6 = in6_addr()
        guard text.contains(":"), inet_pton(AF_INET6, text, &ipv6) == 1 else { return text }
        let bytes = withUnsafeBytes(of: ipv6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
            return bytes[12...].map(String.init).joined(separator: ".")
        }
        return bytes[0..<8].map { String(format: "%02x", $0) }.joined() + "::/64"
    }
}
