// Live tests: a real server on port 0, real clients (URLSession and raw sockets).
import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HTTPServer
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite struct HTTPServerLiveTests {
    @Test func routesPathParametersAndDecodedQuery() async throws {
        try await withLiveServer { server, _, _ in
            #expect(server.port != 0)
            var request = URLRequest(url: url(server, "/v1/tenants/daks/towns/Sint%20Niklaas%2Fcentrum/comparison?indicator=footfall&from=2026-01-01&label=a+b&x=%C3%A9%26&flag"))
            request.setValue("text/x-test", forHTTPHeaderField: "Content-Type")
            let (data, response) = try await URLSession.shared.data(for: request)
            let http = try #require(response as? HTTPURLResponse)
            #expect(http.statusCode == 200)
            #expect(http.value(forHTTPHeaderField: "Content-Type") == "application/json")
            let echo = try JSONDecoder().decode(Echo.self, from: data)
            #expect(echo == Echo(tenant: "daks", town: "Sint Niklaas/centrum",
                                 query: [["indicator", "footfall"], ["from", "2026-01-01"], ["label", "a b"],
                                         ["x", "é&"], ["flag", ""]],
                                 contentType: "text/x-test"))
        }
    }

    @Test func unknownPathIs404AndWrongMethodIs405WithJSONErrors() async throws {
        try await withLiveServer { server, metrics, log in
            let notFound = try #require(try rawRequest(port: server.port, "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n"))
            #expect(notFound.status == 404)
            #expect(notFound.headers["content-type"] == "application/json")
            #expect(errorObject(notFound.body)?.status == 404)
            #expect(errorObject(notFound.body)?.reason == "No resource at /nope. Check the URL.")

            let wrongMethod = try #require(try rawRequest(port: server.port, "DELETE /healthz HTTP/1.1\r\nHost: t\r\n\r\n"))
            #expect(wrongMethod.status == 405)
            #expect(wrongMethod.headers["allow"] == "GET")
            #expect(errorObject(wrongMethod.body)?.status == 405)
            _ = log.waitFor { $0.status == 405 }
            #expect(metrics.requestCount(method: .get, route: nil, status: .notFound) == 1)
        }
    }

    @Test func handlerErrorsMapToTheirStatusOrAGeneric500() async throws {
        try await withLiveServer { server, _, log in
            let known = try #require(try rawRequest(port: server.port, "GET /fail/known HTTP/1.1\r\nHost: t\r\n\r\n"))
            #expect(known.status == 409)
            #expect(known.bodyText == #"{"error":{"reason":"Sequence 7 was already used by another submission. Use the next sequence number.","status":409}}"#)

            let unknown = try #require(try rawRequest(port: server.port, "GET /fail/unknown HTTP/1.1\r\nHost: t\r\n\r\n"))
            #expect(unknown.status == 500)
            #expect(!unknown.bodyText.contains("hunter2"))
            #expect(errorObject(unknown.body)?.status == 500)
            // The details go to the log only.
            let entry = log.waitFor { $0.route == "/fail/unknown" }
            #expect(entry?.error?.contains("hunter2") == true)
            #expect(entry?.status == 500)
        }
    }

    @Test func largeBodyAccumulatedAcrossCallsArrivesIntact() async throws {
        let configuration = HTTPServer.Configuration(threadPoolSize: 2, maxBodySize: 8 << 20)
        try await withLiveServer(configuration) { server, _, log in
            let payload = patternBytes(count: 3 * 1024 * 1024 + 17)
            var request = URLRequest(url: url(server, "/echo"))
            request.httpMethod = "POST"
            request.httpBody = Data(payload)
            let (data, response) = try await URLSession.shared.data(for: request)
            #expect((response as? HTTPURLResponse)?.statusCode == 200)
            #expect(data.count == payload.count)
            #expect([UInt8](data) == payload)
            let entry = log.waitFor { $0.path == "/echo" }
            #expect(entry?.bytesIn == payload.count)
            #expect(entry?.bytesOut == payload.count)
        }
    }

    @Test func declaredOversizeBodyIs413() async throws {
        let configuration = HTTPServer.Configuration(threadPoolSize: 2, maxBodySize: 1000)
        try await withLiveServer(configuration) { server, _, _ in
            let connection = try RawConnection(port: server.port)
            connection.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n")
            connection.send(patternBytes(count: 200))
            let response = try #require(connection.readResponse())
            #expect(response.status == 413)
            let error = try #require(errorObject(response.body))
            #expect(error.status == 413)
            #expect(error.reason.contains("5000 bytes"))
            #expect(error.reason.contains("at most 1000 bytes"))

            // Exactly at the limit is fine.
            var request = URLRequest(url: url(server, "/echo"))
            request.httpMethod = "POST"
            request.httpBody = Data(patternBytes(count: 1000))
            let (data, ok) = try await URLSession.shared.data(for: request)
            #expect((ok as? HTTPURLResponse)?.statusCode == 200)
            #expect(data.count == 1000)
        }
    }

    @Test func chunkedOversizeBodyIs413() async throws {
        let configuration = HTTPServer.Configuration(threadPoolSize: 2, maxBodySize: 1000)
        try await withLiveServer(configuration) { server, _, log in
            let connection = try RawConnection(port: server.port)
            connection.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
            // 6 chunks of 400 bytes: the limit is crossed in the third.
            for _ in 0..<6 {
                connection.send("190\r\n")
                connection.send(patternBytes(count: 400))
                connection.send("\r\n")
            }
            connection.send("0\r\n\r\n")
            let response = try #require(connection.readResponse())
            #expect(response.status == 413)
            #expect(errorObject(response.body)?.reason.contains("at most 1000 bytes") == true)
            #expect(log.waitFor { $0.status == 413 } != nil)

            // A chunked body under the limit is accumulated and answered.
            let small = try RawConnection(port: server.port)
            small.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
            let echoed = try #require(small.readResponse())
            #expect(echoed.status == 200)
            #expect(echoed.bodyText == "hello world")
        }
    }

    @Test func missingBodyIsA400ThatSaysSo() async throws {
        try await withLiveServer { server, metrics, _ in
            let empty = try #require(try rawRequest(port: server.port,
                                                   "POST /v1/tenants/daks/submissions HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n"))
            #expect(empty.status == 400)
            #expect(errorObject(empty.body)?.reason
                        == "POST /v1/tenants/daks/submissions needs a request body, but none was sent. Send the JSON document in the body.")
            let filled = try #require(try rawRequest(port: server.port,
                                                    "POST /v1/tenants/daks/submissions HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n{}"))
            #expect(filled.status == 202)
            #expect(filled.bodyText == #"{"bytes":"2","tenant":"daks"}"#)
            #expect(metrics.value(of: "townbench_submissions_total", labels: ["outcome": "accepted"]) == 1)
        }
    }

    @Test func malformedRequestsDoNotCrashTheServer() async throws {
        let configuration = HTTPServer.Configuration(threadPoolSize: 2, connectionTimeout: .seconds(1),
                                                     connectionMemoryLimit: 8192)
        try await withLiveServer(configuration) { server, _, _ in
            let garbage: [String] = [
                "\u{1}\u{2}\u{3}garbage\r\n\r\n",
                "GET\r\n\r\n",
                "GET / HTTP/9.9\r\n\r\n",
                "GET / HTTP/1.1\r\nNo-Colon-Header\r\n\r\n",
                "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: -5\r\n\r\n",
                "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999999999999999\r\n\r\n",
                "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\nhello\r\n0\r\n\r\n",
                "GET /" + String(repeating: "a", count: 20000) + " HTTP/1.1\r\nHost: t\r\n\r\n",
                "GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: " + String(repeating: "b", count: 20000) + "\r\n\r\n",
                "GET /%ZZ%00%ff HTTP/1.1\r\nHost: t\r\n\r\n",
            ]
            for text in garbage {
                let connection = try RawConnection(port: server.port, receiveTimeout: 3)
                connection.send(text)
                if let response = connection.readResponse() {
                    #expect((400..<600).contains(response.status), "\(text.prefix(40)) → \(response.status)")
                }
            }
            // Still answering.
            let health = try #require(try rawRequest(port: server.port, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"))
            #expect(health.status == 200)
            #expect(health.bodyText == "ok\n")
        }
    }

    @Test func slowClientIsCutOffWhileOthersAreServed() async throws {
        let configuration = HTTPServer.Configuration(threadPoolSize: 1, connectionTimeout: .seconds(1))
        try await withLiveServer(configuration) { server, _, _ in
            let slow = try RawConnection(port: server.port, receiveTimeout: 6)
            slow.send("GET /healthz HTTP/1.1\r\nHost: t\r\nX-Half: ")  // and stall
            let started = Date()
            // Others are answered meanwhile, on the same (single) worker thread.
            for _ in 0..<5 {
                let response = try #require(try rawRequest(port: server.port, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"))
                #expect(response.status == 200)
            }
            #expect(slow.isClosedByPeer())
            let elapsed = Date().timeIntervalSince(started)
            #expect(elapsed >= 0.5)
            #expect(elapsed < 4.5)
        }
    }

    @Test func keepAliveServesTwoRequestsOnOneConnection() async throws {
        try await withLiveServer { server, _, log in
            let connection = try RawConnection(port: server.port)
            connection.send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            let first = try #require(connection.readResponse())
            #expect(first.status == 200)
            #expect(first.headers["connection"]?.lowercased() != "close")
            connection.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello")
            let second = try #require(connection.readResponse())
            #expect(second.status == 200)
            #expect(second.bodyText == "hello")
            connection.send("GET /v1/tenants/a/towns/b/comparison HTTP/1.1\r\nHost: t\r\n\r\n")
            let third = try #require(connection.readResponse())
            #expect(third.status == 200)
            #expect(log.waitFor { $0.path == "/v1/tenants/a/towns/b/comparison" }?.remoteAddress == "127.0.0.1")
        }
    }

    @Test func metricsEndpointRendersPrometheusText() async throws {
        try await withLiveServer { server, metrics, log in
            for _ in 0..<3 { _ = try rawRequest(port: server.port, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n") }
            _ = try rawRequest(port: server.port, "GET /fail/known HTTP/1.1\r\nHost: t\r\n\r\n")
            metrics.describeCounter("townbench_submissions_total", help: "Submissions by outcome and reason.")
            metrics.increment("townbench_submissions_total", labels: ["outcome": "refused", "reason": "bad-signature"], by: 2)
            // Metrics are recorded when a request completes, just after its response is sent.
            _ = log.waitFor { $0.route == "/fail/known" }
            _ = log.waitFor { log.all.filter { $0.route == "/healthz" }.count == 3 && $0.route == "/healthz" }
            let response = try #require(try rawRequest(port: server.port, "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n"))
            #expect(response.status == 200)
            #expect(response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
            let lines = Set(response.bodyText.split(separator: "\n").map(String.init))
            #expect(lines.contains(#"townbench_http_requests_total{method="GET",route="/healthz",status="200"} 3"#))
            #expect(lines.contains(#"townbench_http_requests_total{method="GET",route="/fail/known",status="409"} 1"#))
            #expect(lines.contains("# TYPE townbench_http_request_duration_seconds histogram"))
            #expect(lines.contains(#"townbench_http_request_duration_seconds_count{route="/healthz"} 3"#))
            #expect(lines.contains(#"townbench_http_request_duration_seconds_bucket{le="+Inf",route="/healthz"} 3"#))
            #expect(lines.contains("# HELP townbench_submissions_total Submissions by outcome and reason."))
            #expect(lines.contains(#"townbench_submissions_total{outcome="refused",reason="bad-signature"} 2"#))
        }
    }

    @Test func shutdownFinishesInFlightRequestsThenRefusesConnections() async throws {
        let metrics = Metrics()
        let server = HTTPServer(configuration: .init(threadPoolSize: 2), router: makeRouter(metrics: metrics),
                                metrics: metrics, accessLog: .disabled)
        try server.start()
        let port = server.port
        let connection = try RawConnection(port: port)
        connection.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
        // Wait until the handler is running, then shut down while it sleeps.
        let deadline = Date().addingTimeInterval(2)
        while server.activeRequests == 0 && Date() < deadline { usleep(2_000) }
        #expect(server.activeRequests == 1)
        server.shutdown(gracePeriod: .seconds(2))
        let response = try #require(connection.readResponse())
        #expect(response.status == 200)
        #expect(response.bodyText == "done")
        #expect(server.port == 0)
        #expect(throws: RawClientError.self) { try RawConnection(port: port) }
        server.shutdown()  // a second call is harmless
        server.waitUntilShutdown()
    }

    @Test func runUntilTerminatedReturnsOnSignalAndShutsDown() throws {
        let server = HTTPServer(configuration: .init(threadPoolSize: 1), router: Router(), accessLog: .disabled)
        try server.start()
        let port = server.port
        // Until runUntilTerminated installs its handler SIGUSR2 would kill the test process, so
        // ignore it first — before the call, or this could replace the handler it installs — then
        // send it until the server reports shutdown (up to 60 s on a loaded machine). The call
        // runs on a thread of its own: on the 2-thread cooperative pool of a busy test run, a Task
        // may not start for longer than that.
        signal(SIGUSR2, SIG_IGN)
        let received = Atomic<Int32>(-1)
        let returned = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            received.store(server.runUntilTerminated(signals: [SIGUSR2], gracePeriod: .milliseconds(100)), ordering: .releasing)
            returned.signal()
        }
        for _ in 0..<3000 where server.port != 0 {
            kill(getpid(), SIGUSR2)
            usleep(20_000)
        }
        if server.port != 0 { server.shutdown() }  // the signal never arrived: fail, don't hang
        #expect(returned.wait(timeout: .now() + 30) == .success)
        #expect(received.load(ordering: .acquiring) == SIGUSR2)
        #expect(server.port == 0)
        #expect(throws: RawClientError.self) { try RawConnection(port: port) }
    }

    @Test func startFailsWithAClearErrorWhenThePortIsTaken() throws {
        let first = HTTPServer(router: Router(), accessLog: .disabled)
        try first.start()
        defer { first.shutdown() }
        let second = HTTPServer(configuration: .init(port: first.port), router: Router(), accessLog: .disabled)
        let error = #expect(throws: HTTPServerError.self) { try second.start() }
        #expect(error?.code == .startFailed)
        #expect(error?.description.contains("port \(first.port)") == true)

        let badHost = HTTPServer(configuration: .init(host: "localhost"), router: Router(), accessLog: .disabled)
        let hostError = #expect(throws: HTTPServerError.self) { try badHost.start() }
        #expect(hostError?.code == .invalidConfiguration)
    }

    @Test func endlessChunkedBodyIsCutOff() async throws {
        let configuration = HTTPServer.Configuration(threadPoolSize: 1, maxBodySize: 1000)
        try await withLiveServer(configuration) { server, _, log in
            let connection = try RawConnection(port: server.port)
            connection.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
            let chunk = Array("4000\r\n".utf8) + patternBytes(count: 0x4000) + Array("\r\n".utf8)
            var sentEverything = true
            for _ in 0..<200 where sentEverything {  // 3.2 MB, never terminated
                sentEverything = connection.send(chunk)
            }
            #expect(connection.readResponse() == nil)
            let entry = log.waitFor { $0.path == "/echo" }
            #expect(entry?.status == nil)
            #expect(entry?.outcome == .error)
            #expect((entry?.bytesIn ?? 0) > 1000)
            #expect((entry?.bytesIn ?? .max) <= 1000 + (1 << 20) + 0x4000)
            let health = try #require(try rawRequest(port: server.port, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"))
            #expect(health.status == 200)
        }
    }

    @Test func connectionLimitRefusesExtraConnections() async throws {
        let configuration = HTTPServer.Configuration(threadPoolSize: 1, connectionLimit: 2)
        try await withLiveServer(configuration) { server, _, _ in
            let first = try RawConnection(port: server.port, receiveTimeout: 2)
            let second = try RawConnection(port: server.port, receiveTimeout: 2)
            first.send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            second.send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(first.readResponse()?.status == 200)
            #expect(second.readResponse()?.status == 200)
            // The third is either closed at accept or left in the backlog: never answered.
            let third = try RawConnection(port: server.port, receiveTimeout: 1)
            third.send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(third.readResponse() == nil)
            // Once connections close, a new one is served again.
            first.shutDown()
            third.shutDown()
            var status: Int?
            for _ in 0..<20 where status == nil {
                usleep(50_000)
                status = try rawRequest(port: server.port, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")?.status
            }
            #expect(status == 200)
        }
    }

    @Test func threadPerConnectionLetsBlockingHandlersOverlap() async throws {
        let configuration = HTTPServer.Configuration(threadPerConnection: true)
        try await withLiveServer(configuration) { server, _, _ in
            // Four connections send their request at once; the client needs no threads of its own.
            let connections = try (0..<4).map { _ in try RawConnection(port: server.port) }
            let started = Date()
            for connection in connections { connection.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n") }
            let statuses = connections.map { $0.readResponse()?.status ?? 0 }
            #expect(statuses == [200, 200, 200, 200])
            #expect(Date().timeIntervalSince(started) < 1.1)
        }
    }

    @Test func terminatesTLSInProcessWhenGivenAKeyAndCertificate() async throws {
        let openssl = URL(fileURLWithPath: "/usr/bin/openssl"), curl = URL(fileURLWithPath: "/usr/bin/curl")
        guard FileManager.default.isExecutableFile(atPath: openssl.path),
              FileManager.default.isExecutableFile(atPath: curl.path) else { return }
        try withTemporaryDirectory { directory in
            let key = directory.appendingPathComponent("key.pem").path
            let certificate = directory.appendingPathComponent("cert.pem").path
            let made = try runProcess(openssl, ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                                                "-out", certificate, "-days", "1", "-subj", "/CN=127.0.0.1"])
            #expect(made.status == 0, "\(made.stderr)")
            let tls = HTTPServer.Configuration.TLS(certificatePEM: try String(contentsOfFile: certificate, encoding: .utf8),
                                                   privateKeyPEM: try String(contentsOfFile: key, encoding: .utf8))
            let server = HTTPServer(configuration: .init(threadPoolSize: 2, tls: tls),
                                    router: makeRouter(metrics: Metrics()), accessLog: .disabled)
            try server.start()
            defer { server.shutdown() }
            let secure = try runProcess(curl, ["-sk", "--cacert", certificate, "https://127.0.0.1:\(server.port)/healthz"])
            #expect(secure.status == 0)
            #expect(secure.stdout == "ok\n")
            // Plain HTTP to the TLS port gets no HTTP answer.
            #expect(try rawRequest(port: server.port, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")?.status != 200)

            let broken = HTTPServer(configuration: .init(tls: .init(certificatePEM: "not a certificate", privateKeyPEM: "nor a key")),
                                    router: Router(), accessLog: .disabled)
            let error = #expect(throws: HTTPServerError.self) { try broken.start() }
            #expect(error?.code == .startFailed)
            #expect(error?.description.contains("PEM") == true)
        }
    }

    /// Foundation's Process spawns from a thread that blocks SIGTERM, and the child inherits
    /// that mask: runUntilTerminated must still see the signal (the coordinator's `serve` case).
    @Test func serveProcessStopsOnSIGTERMEvenWhenSpawnedWithItBlocked() throws {
        let executable = Repository.executable("bench-http")
        guard FileManager.default.isExecutableFile(atPath: executable.path) else { return }  // not built here
        let process = Process()
        process.executableURL = executable
        process.arguments = ["--threads", "2"]
        let output = Pipe()
        process.standardOutput = output
        try launch(process)
        defer { if process.isRunning { process.terminate() } }
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        let port = try #require(UInt16(line.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "port=", with: "")))
        #expect(try rawRequest(port: port, "GET /empty HTTP/1.1\r\nHost: t\r\n\r\n")?.status == 200)
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        #expect(!process.isRunning)
        if !process.isRunning {
            #expect(process.terminationReason == .exit)
            #expect(process.terminationStatus == 0)
        }
    }

    @Test func bindsIPv6Loopback() async throws {
        let server = HTTPServer(configuration: .init(host: "::1"), router: makeRouter(metrics: Metrics()), accessLog: .disabled)
        do { try server.start() } catch { return }  // no IPv6 in this sandbox: nothing to test
        defer { server.shutdown() }
        // URLSession on Linux refuses bracketed IPv6 URLs (NSURLErrorBadURL); curl does not.
        let curl = URL(fileURLWithPath: "/usr/bin/curl")
        guard FileManager.default.isExecutableFile(atPath: curl.path) else { return }
        let result = try runProcess(curl, ["-sg", "http://[::1]:\(server.port)/healthz"])
        #expect(result.status == 0)
        #expect(result.stdout == "ok\n")
    }
}
