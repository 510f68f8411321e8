// The server: a libmicrohttpd daemon with a worker thread pool, body limits, timeouts,
// access logging, metrics and a clean shutdown.
import Dispatch
import CMicroHTTPD
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// An HTTP/1.1 server on GNU libmicrohttpd that hands complete requests to a ``Router``.
///
/// Why: the coordinator needs an HTTP service without a SwiftPM dependency and without
/// hand-written HTTP parsing; libmicrohttpd (the server systemd-journal-remote uses) parses,
/// and this type handles its pitfalls once: request bodies arrive over many callbacks and are
/// accumulated up to ``Configuration/maxBodySize`` (413 above it, checked against
/// `Content-Length` up front and against the bytes actually received, so chunked bodies are
/// bounded too); the answer is queued on the handler's *second* call so keep-alive survives;
/// per-request state is freed in `MHD_OPTION_NOTIFY_COMPLETED`, which also fires on aborts.
///
/// **Threads.** By default libmicrohttpd runs a pool of ``Configuration/threadPoolSize``
/// threads, each with its own epoll loop (`MHD_USE_EPOLL_INTERNAL_THREAD` +
/// `MHD_OPTION_THREAD_POOL_SIZE`). Handlers run synchronously on those threads and may block
/// for a few milliseconds (e.g. waiting for a group commit). While one blocks, the other
/// connections owned by its thread wait (a thread may accept several connections in one go), so
/// the pool is sized for blocking handlers, not for cores: the default of 16 keeps at least 16
/// requests in flight on 2 cores. ``Configuration/threadPerConnection`` instead gives every
/// connection its own thread (`MHD_USE_THREAD_PER_CONNECTION`, poll): a blocked handler then
/// delays nobody else, at some cost in throughput and one thread per open connection
/// (bounded by ``Configuration/connectionLimit``). Measured with `deploy/bench/http-empty.sh`
/// on a loaded 2-core machine: an empty GET ran at 19–20 k/s in both modes, but a handler that
/// blocks 2 ms reached 6.0 k/s with the pool of 16 and 13.0 k/s with a thread per connection
/// (32 connections): **use `threadPerConnection` when handlers block** (the coordinator does).
///
/// **Limits.** ``Configuration/connectionLimit`` bounds open connections (more are refused
/// at accept; the open-file limit is raised to fit), ``Configuration/perAddressConnectionLimit``
/// those of one non-loopback peer; ``Configuration/connectionTimeout`` closes a connection idle
/// for that long; ``Configuration/headTimeout`` and ``Configuration/minimumBodyRate`` close a
/// client that sends its head or body too slowly, however steadily it dribbles (see
/// `ConnectionWatch`); ``Configuration/connectionMemoryLimit`` bounds the request head
/// (libmicrohttpd answers an oversized header itself). Requests with ambiguous framing
/// (`Content-Length` with `Transfer-Encoding`, RFC 9112 §6.3) get 400 and the connection closes.
///
/// **TLS.** By default TLS is terminated by a reverse proxy in front of the server (see
/// `deploy/` and `Sources/HTTPServer/README.md`); bind to `127.0.0.1` then. libmicrohttpd can
/// terminate TLS itself: set ``Configuration/tls`` (`MHD_USE_TLS` with
/// `MHD_OPTION_HTTPS_MEM_KEY`/`_CERT`, GnuTLS underneath; certificate reloads need a restart).
///
/// ```swift
/// let server = HTTPServer(configuration: .init(port: 8080), router: router, metrics: metrics)
/// try server.start()
/// let signal = server.runUntilTerminated()   // blocks until SIGTERM/SIGINT, then shuts down
/// ```
public final class HTTPServer: Sendable {
    /// Settings of one server. Defaults suit the coordinator behind a reverse proxy.
    public struct Configuration: Sendable {
        /// IPv4 or IPv6 literal to bind (`127.0.0.1`, `0.0.0.0`, `::1`, `::`). Not a host name.
        public var host: String
        /// TCP port; 0 picks a free one (read it back from ``HTTPServer/port``).
        public var port: UInt16
        /// Worker threads (each its own epoll loop); handlers may block, so keep it above the
        /// number of requests you expect to block at once. Default 16.
        public var threadPoolSize: Int
        /// One thread per connection instead of the pool (``threadPoolSize`` is then ignored).
        /// Default false.
        public var threadPerConnection: Bool
        /// Maximum open connections; more are closed at accept. With a pool, libmicrohttpd
        /// divides it evenly among the threads. ``HTTPServer/start()`` raises the process's open-file
        /// limit to fit it, or lowers it to what the limit allows (see
        /// ``HTTPServer/effectiveConnectionLimit``). Default 10 000.
        public var connectionLimit: Int
        /// Open connections per peer address, loopback excepted (behind the reverse proxy every
        /// peer is 127.0.0.1); more are closed at accept. 0: no limit. Default 64.
        public var perAddressConnectionLimit: Int
        /// A connection with no traffic for this long is closed; a kept-alive connection is also
        /// closed when its next request line has not arrived this long after the last response,
        /// however slowly bytes trickle in. libmicrohttpd counts whole seconds; a fraction rounds
        /// up. Default 30 s.
        public var connectionTimeout: Duration
        /// A request head (request line and header fields) must be complete this long after the
        /// connection opened (first request) or after its request line (later ones); otherwise
        /// the connection is closed. Also the grace before ``minimumBodyRate`` applies. Default 10 s.
        public var headTimeout: Duration
        /// Bytes per second a request body must average after ``headTimeout``, or the connection
        /// is closed (0: no minimum). Default 1024.
        public var minimumBodyRate: Int
        /// Largest accepted request body in bytes; above it the answer is 413. Default 1 MiB.
        public var maxBodySize: Int
        /// Memory per connection for the request head and buffers (libmicrohttpd's
        /// `MHD_OPTION_CONNECTION_MEMORY_LIMIT`). Default 64 KiB.
        public var connectionMemoryLimit: Int
        /// Let libmicrohttpd print its own error messages to stderr (`MHD_USE_ERROR_LOG`).
        public var logsLibraryErrors: Bool
        /// Headers added to every response that does not set them itself (404s, 413s and 500s
        /// included). Default: `X-Content-Type-Options: nosniff` (no browser guesses a JSON error
        /// to be HTML) and `Content-Security-Policy: default-src 'none'; frame-ancestors 'none'`
        /// (nothing in an API response may load or run, and no site may frame it); an HTML page
        /// sends its own policy.
        public var defaultResponseHeaders: HTTPHeaders
        /// Terminate TLS in-process (libmicrohttpd over GnuTLS). Default nil: plain HTTP behind
        /// a TLS-terminating reverse proxy, the recommended deployment.
        public var tls: TLS?

        /// A certificate (chain) and its private key, both PEM text, for in-process TLS.
        public struct TLS: Sendable {
            public var certificatePEM: String
            public var privateKeyPEM: String
            public init(certificatePEM: String, privateKeyPEM: String) {
                self.certificatePEM = certificatePEM
                self.privateKeyPEM = privateKeyPEM
            }
        }

        public init(host: String = "127.0.0.1", port: UInt16 = 0, threadPoolSize: Int = 16,
                    connectionLimit: Int = 10_000, connectionTimeout: Duration = .seconds(30),
                    maxBodySize: Int = 1 << 20, connectionMemoryLimit: Int = 64 << 10,
                    logsLibraryErrors: Bool = false, threadPerConnection: Bool = false) {
            self.init(host: host, port: port, threadPoolSize: threadPoolSize, connectionLimit: connectionLimit,
                      connectionTimeout: connectionTimeout, maxBodySize: maxBodySize,
                      connectionMemoryLimit: connectionMemoryLimit, logsLibraryErrors: logsLibraryErrors,
                      threadPerConnection: threadPerConnection, tls: nil)
        }

        /// As above, with in-process TLS. (A separate initializer so code built against the
        /// one without `tls` keeps linking.)
        public init(host: String = "127.0.0.1", port: UInt16 = 0, threadPoolSize: Int = 16,
                    connectionLimit: Int = 10_000, connectionTimeout: Duration = .seconds(30),
                    maxBodySize: Int = 1 << 20, connectionMemoryLimit: Int = 64 << 10,
                    logsLibraryErrors: Bool = false, threadPerConnection: Bool = false, tls: TLS?) {
            self.tls = tls
            self.perAddressConnectionLimit = 64
            self.headTimeout = .seconds(10)
            self.minimumBodyRate = 1024
            self.defaultResponseHeaders = HTTPServer.defaultResponseHeaders
            self.threadPerConnection = threadPerConnection
            self.host = host
            self.port = port
            self.threadPoolSize = threadPoolSize
            self.connectionLimit = connectionLimit
            self.connectionTimeout = connectionTimeout
            self.maxBodySize = maxBodySize
            self.connectionMemoryLimit = connectionMemoryLimit
            self.logsLibraryErrors = logsLibraryErrors
        }
    }

    /// The daemon handle. `@unchecked Sendable` because `OpaquePointer` is not Sendable, but this
    /// handle is only read or taken under the `Mutex` that owns it, and libmicrohttpd allows
    /// `MHD_quiesce_daemon`/`MHD_stop_daemon` from any thread other than its own workers.
    private struct Daemon: @unchecked Sendable {
        var handle: OpaquePointer
        /// C copies of the TLS key and certificate, freed after `MHD_stop_daemon`.
        var tlsStrings: [UnsafeMutablePointer<CChar>] = []

        func stop() {
            MHD_stop_daemon(handle)
            for pointer in tlsStrings { free(pointer) }
        }
    }

    public let configuration: Configuration
    let context: ServerContext

    /// The default of ``Configuration/defaultResponseHeaders``.
    public static let defaultResponseHeaders: HTTPHeaders = [
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    ]
    private let daemon = Mutex<Daemon?>(nil)
    private let boundPort = Atomic<UInt16>(0)
    private let effectiveLimit = Atomic<Int>(0)
    private let running = DispatchGroup()

    /// Creates a server; nothing is bound until ``start()``.
    public init(configuration: Configuration = Configuration(), router: Router, metrics: Metrics? = nil,
                accessLog: AccessLog = .standardError) {
        self.configuration = configuration
        self.context = ServerContext(router: router, metrics: metrics, accessLog: accessLog,
                                     maxBodySize: configuration.maxBodySize,
                                     defaultHeaders: configuration.defaultResponseHeaders,
                                     watch: ConnectionWatch(limits: .init(configuration), metrics: metrics))
    }

    deinit {
        if let daemon = daemon.withLock({ $0.take() }) {
            daemon.stop()
            context.watch.stop()
            running.leave()  // a DispatchGroup must be balanced when it is freed
        }
    }

    /// The bound port (the ephemeral one when ``Configuration/port`` is 0); 0 before ``start()``.
    public var port: UInt16 { boundPort.load(ordering: .acquiring) }

    /// Requests currently between their first byte and their completion.
    public var activeRequests: Int { context.activeRequests.load(ordering: .relaxed) }

    /// Binds and starts the worker threads. Throws ``HTTPServerError/Code/invalidConfiguration``
    /// for a bad setting, ``HTTPServerError/Code/startFailed`` if libmicrohttpd cannot start
    /// (port in use, permission).
    public func start() throws(HTTPServerError) {
        let config = configuration
        guard config.threadPoolSize >= 1, config.threadPoolSize <= 1024 else {
            throw HTTPServerError(.invalidConfiguration, "threadPoolSize is \(config.threadPoolSize); use 1…1024.")
        }
        guard config.threadPerConnection || config.connectionLimit >= config.threadPoolSize else {
            throw HTTPServerError(.invalidConfiguration,
                                  "connectionLimit (\(config.connectionLimit)) must be at least threadPoolSize (\(config.threadPoolSize)): libmicrohttpd divides it among the pool's threads.")
        }
        guard config.connectionLimit >= 1, config.connectionLimit <= 1_000_000, config.maxBodySize >= 0,
              config.connectionMemoryLimit >= 4096 else {
            throw HTTPServerError(.invalidConfiguration,
                                  "connectionLimit must be 1…1000000, maxBodySize ≥ 0 and connectionMemoryLimit ≥ 4096.")
        }
        guard config.perAddressConnectionLimit >= 0, config.minimumBodyRate >= 0,
              config.headTimeout > .zero, config.headTimeout < .seconds(86_400) else {
            throw HTTPServerError(.invalidConfiguration,
                                  "perAddressConnectionLimit and minimumBodyRate must be ≥ 0, headTimeout between 0 and one day.")
        }
        let (seconds, attoseconds) = config.connectionTimeout.components
        guard seconds >= 0, seconds < 86_400 * 365 else {
            throw HTTPServerError(.invalidConfiguration, "connectionTimeout must be between 0 and one year.")
        }
        let timeoutSeconds = UInt32(seconds) + (attoseconds > 0 ? 1 : 0)
        guard daemon.withLock({ $0 == nil }) else {
            throw HTTPServerError(.invalidConfiguration, "The server is already running; call shutdown() first.")
        }

        var flags = MHD_USE_ITC.rawValue
        if config.threadPerConnection {
            flags |= MHD_USE_THREAD_PER_CONNECTION.rawValue | MHD_USE_POLL_INTERNAL_THREAD.rawValue
        } else {
            flags |= MHD_USE_EPOLL_INTERNAL_THREAD.rawValue
        }
        if config.logsLibraryErrors { flags |= MHD_USE_ERROR_LOG.rawValue }
        var tlsStrings: [UnsafeMutablePointer<CChar>] = []
        if let tls = config.tls {
            guard let key = strdup(tls.privateKeyPEM), let certificate = strdup(tls.certificatePEM) else {
                throw HTTPServerError(.invalidConfiguration, "Out of memory copying the TLS key and certificate.")
            }
            tlsStrings = [key, certificate]
            flags |= MHD_USE_TLS.rawValue
        }
        let contextPointer = Unmanaged.passUnretained(context).toOpaque()

        var ipv4 = sockaddr_in()
        var ipv6 = sockaddr_in6()
        let handle: OpaquePointer?
        if inet_pton(AF_INET, config.host, &ipv4.sin_addr) == 1 {
            ipv4.sin_family = sa_family_t(AF_INET)
            ipv4.sin_port = config.port.bigEndian
            handle = withUnsafePointer(to: &ipv4) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                    startDaemon(flags: flags, address: address, context: contextPointer, timeout: timeoutSeconds,
                                tls: tlsStrings)
                }
            }
        } else if inet_pton(AF_INET6, config.host, &ipv6.sin6_addr) == 1 {
            ipv6.sin6_family = sa_family_t(AF_INET6)
            ipv6.sin6_port = config.port.bigEndian
            handle = withUnsafePointer(to: &ipv6) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                    startDaemon(flags: flags | MHD_USE_IPv6.rawValue, address: address, context: contextPointer,
                                timeout: timeoutSeconds, tls: tlsStrings)
                }
            }
        } else {
            for pointer in tlsStrings { free(pointer) }
            throw HTTPServerError(.invalidConfiguration,
                                  "host '\(config.host)' is not an IPv4 or IPv6 address. Use e.g. 127.0.0.1, 0.0.0.0 or ::1.")
        }
        let error = errno
        guard let handle else {
            for pointer in tlsStrings { free(pointer) }
            if config.tls != nil {
                throw HTTPServerError(.startFailed,
                                      "Could not start the HTTPS server on \(config.host) port \(config.port). Check that the TLS key and certificate are PEM, belong together and are readable, and that the port is free (errno \(error)).",
                                      errno: error)
            }
            throw HTTPServerError(.startFailed,
                                  "Could not start the HTTP server on \(config.host) port \(config.port) (errno \(error): \(String(cString: strerror(error)))). Is the port in use or below 1024? Choose another port or stop the other process.",
                                  errno: error)
        }
        boundPort.store(CMicroHTTPD_bound_port(handle), ordering: .releasing)
        context.watch.start()
        let installed = daemon.withLock { current -> Bool in
            guard current == nil else { return false }
            current = Daemon(handle: handle, tlsStrings: tlsStrings)
            return true
        }
        guard installed else {
            Daemon(handle: handle, tlsStrings: tlsStrings).stop()
            throw HTTPServerError(.invalidConfiguration, "The server was started twice at once; call start() once.")
        }
        running.enter()
    }

    private func startDaemon(flags: UInt32, address: UnsafePointer<sockaddr>, context: UnsafeMutableRawPointer,
                             timeout: UInt32, tls: [UnsafeMutablePointer<CChar>]) -> OpaquePointer? {
        let limit = UInt32(Self.fitConnectionLimit(configuration.connectionLimit))
        effectiveLimit.store(Int(limit), ordering: .releasing)
        errno = 0
        let poolSize = configuration.threadPerConnection ? 0 : UInt32(configuration.threadPoolSize)
        let watch = Unmanaged.passUnretained(self.context.watch).toOpaque()
        if tls.count == 2 {
            return CMicroHTTPD_start_tls_daemon(flags, address, accessHandler, context, requestCompleted, context,
                                                poolSize, limit, timeout, configuration.connectionMemoryLimit,
                                                acceptPolicy, connectionNotification, requestLineReceived, watch,
                                                tls[0], tls[1])
        }
        return CMicroHTTPD_start_daemon(flags, address, accessHandler, context, requestCompleted, context,
                                        poolSize, limit, timeout, configuration.connectionMemoryLimit,
                                        acceptPolicy, connectionNotification, requestLineReceived, watch)
    }

    /// Descriptors kept free for everything but client sockets (listening socket, stores, logs).
    static let reservedDescriptors = 128

    /// Raises the soft `RLIMIT_NOFILE` to the hard limit (it is often 1024, fewer than the
    /// connections a server must hold) and returns `wanted`, lowered to what the limit then
    /// allows: past it `accept` fails with `EMFILE` and no one is served.
    static func fitConnectionLimit(_ wanted: Int) -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return wanted }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        guard limit.rlim_cur != rlim_t.max else { return wanted }
        let available = Int(clamping: limit.rlim_cur)
        let reserve = min(reservedDescriptors, available / 2)
        return max(1, min(wanted, available - reserve))
    }

    /// The connection limit in force: ``Configuration/connectionLimit``, or less if the process's
    /// open-file limit (raised to its hard limit at ``start()``) cannot hold that many (0 before
    /// ``start()``). Raise `LimitNOFILE` (systemd) or `ulimit -n` if it is lower than configured.
    public var effectiveConnectionLimit: Int { effectiveLimit.load(ordering: .acquiring) }

    /// Stops accepting connections, lets requests already in a handler finish for up to
    /// `gracePeriod`, then stops the daemon (`MHD_stop_daemon`: closes every connection and
    /// joins the worker threads). Safe to call more than once and from any thread except a
    /// handler's.
    public func shutdown(gracePeriod: Duration = .seconds(5)) {
        guard let daemon = daemon.withLock({ $0.take() }) else { return }
        let listenSocket = MHD_quiesce_daemon(daemon.handle)
        let deadline = ContinuousClock.now + gracePeriod
        while context.activeRequests.load(ordering: .acquiring) > 0 && ContinuousClock.now < deadline {
            usleep(5_000)
        }
        daemon.stop()
        context.watch.stop()
        // After a quiesce the listening socket is ours to close, once the threads are gone.
        if listenSocket >= 0 { close(listenSocket) }
        boundPort.store(0, ordering: .releasing)
        running.leave()
    }

    /// Blocks until ``shutdown(gracePeriod:)`` has completed (returns at once if not started).
    public func waitUntilShutdown() {
        running.wait()
    }

    /// For a `serve` command: blocks until one of `signals` arrives (default SIGTERM = 15,
    /// SIGINT = 2), then shuts down gracefully and returns the signal number. Also returns (with
    /// 0) if another thread calls ``shutdown(gracePeriod:)``. The signals' previous handlers are
    /// restored on return. One call at a time per process (signal handlers are process-wide).
    ///
    /// Implemented with `sigaction` and a self-pipe rather than `DispatchSource.makeSignalSource`:
    /// on Linux, libdispatch reads signals through a `signalfd`, which only sees a signal that is
    /// blocked in every thread; libmicrohttpd's and the main thread do not block them, so the
    /// signal was delivered to one of those and lost (measured: the test hung).
    @discardableResult
    public func runUntilTerminated(signals: [Int32] = [15, 2], gracePeriod: Duration = .seconds(5)) -> Int32 {
        let watcher: SignalWatcher
        do {
            watcher = try SignalWatcher(signals: signals)
        } catch {
            // No pipe (out of descriptors): still serve, until shutdown() is called.
            FileHandle.standardError.write(Data("HTTPServer: cannot watch signals (\(error)); stop the server with shutdown().\n".utf8))
            waitUntilShutdown()
            return 0
        }
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread { [self] in
            if let signalNumber = watcher.waitForSignal() {
                watcher.received.store(signalNumber, ordering: .releasing)
                shutdown(gracePeriod: gracePeriod)
            }
            done.signal()
        }
        waitUntilShutdown()
        watcher.stopWaiting()
        done.wait()
        watcher.restore()
        return watcher.received.load(ordering: .acquiring)
    }
}

/// What the C callbacks need, reached through libmicrohttpd's context pointer.
/// Immutable except for the atomic counter, hence Sendable.
final class ServerContext: Sendable {
    let router: Router
    let metrics: Metrics?
    let accessLog: AccessLog
    let maxBodySize: Int
    /// How many bytes beyond ``maxBodySize`` an undeclared (chunked) body may stream, discarded,
    /// before the connection is closed without an answer: enough to answer an honest client
    /// with 413, bounded so a hostile one cannot keep a worker busy forever.
    var discardAllowance: Int { max(maxBodySize, 1 << 20) }
    let activeRequests = Atomic<Int>(0)
    /// Deadlines and per-address counts of the open connections.
    let watch: ConnectionWatch

    let defaultHeaders: HTTPHeaders

    init(router: Router, metrics: Metrics?, accessLog: AccessLog, maxBodySize: Int, defaultHeaders: HTTPHeaders,
         watch: ConnectionWatch) {
        self.watch = watch
        self.defaultHeaders = defaultHeaders
        self.router = router
        self.metrics = metrics
        self.accessLog = accessLog
        self.maxBodySize = maxBodySize
    }
}

extension ConnectionWatch.Limits {
    init(_ configuration: HTTPServer.Configuration) {
        self.init(head: configuration.headTimeout,
                  idle: configuration.connectionTimeout > .zero ? configuration.connectionTimeout : nil,
                  minimumBodyRate: configuration.minimumBodyRate,
                  perAddress: configuration.perAddressConnectionLimit)
    }
}
