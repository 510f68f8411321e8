// In-process tests of routing, parameters, error mapping and the enumerable route table.
import Foundation
import HTTPServer
import Testing

@Suite struct RouterTests {
    private func router() -> Router {
        var router = Router()
        router.get("/v1/tenants/{tenant}/towns/{town}/comparison", tags: ["data"]) { _, parameters in
            .text("comparison \(parameters["tenant"] ?? "?") \(parameters["town"] ?? "?")")
        }
        router.get("/v1/tenants/{tenant}/towns/new") { _, parameters in .text("new in \(parameters["tenant"] ?? "?")") }
        router.get("/v1/tenants/{tenant}/towns/{town}") { _, parameters in .text("town \(parameters["town"] ?? "?")") }
        router.post("/v1/tenants/{tenant}/submissions", tags: ["data", "signed"]) { request, _ in
            .text("got \(try request.requireBody().count)", status: .accepted)
        }
        router.get("/") { _, _ in .text("root") }
        return router
    }

    private func body(_ response: HTTPResponse) -> String { String(decoding: response.body, as: UTF8.self) }

    @Test func matchesParametersAndPrefersLiteralSegments() {
        let router = router()
        let comparison = router.respond(to: HTTPRequest(method: .get, target: "/v1/tenants/daks/towns/ieper/comparison"))
        #expect(body(comparison.response) == "comparison daks ieper")
        #expect(comparison.pattern == "/v1/tenants/{tenant}/towns/{town}/comparison")
        #expect(body(router.respond(to: HTTPRequest(method: .get, target: "/v1/tenants/daks/towns/new")).response) == "new in daks")
        #expect(body(router.respond(to: HTTPRequest(method: .get, target: "/v1/tenants/daks/towns/roeselare")).response) == "town roeselare")
        #expect(body(router.respond(to: HTTPRequest(method: .get, target: "/v1/tenants/daks/towns/a%2Fb")).response) == "town a/b")
        #expect(body(router.respond(to: HTTPRequest(method: .get, target: "/")).response) == "root")
    }

    @Test func headFallsBackToGet() {
        let result = router().respond(to: HTTPRequest(method: .head, target: "/v1/tenants/daks/towns/ieper"))
        #expect(result.response.status == .ok)
        #expect(result.pattern == "/v1/tenants/{tenant}/towns/{town}")
    }

    @Test func notFoundAndMethodNotAllowedAreJSON() {
        let router = router()
        let missing = router.respond(to: HTTPRequest(method: .get, target: "/v1/tenants/daks"))
        #expect(missing.response.status == .notFound)
        #expect(missing.pattern == nil)
        #expect(body(missing.response) == #"{"error":{"reason":"No resource at /v1/tenants/daks. Check the URL.","status":404}}"#)
        // A trailing slash is a different path.
        #expect(router.respond(to: HTTPRequest(method: .get, target: "/v1/tenants/daks/towns/ieper/")).response.status == .notFound)

        let wrong = router.respond(to: HTTPRequest(method: .put, target: "/v1/tenants/daks/submissions"))
        #expect(wrong.response.status == .methodNotAllowed)
        #expect(wrong.response.headers["allow"] == "POST")
        #expect(wrong.response.headers["Content-Type"] == "application/json")
    }

    @Test func errorRenderingCanBeCustomised() {
        struct Coded: HTTPResponseError {
            var status: HTTPStatus { .forbidden }
            var reason: String { "not yours" }
            var response: HTTPResponse { .json(status: status, bytes: Array(#"{"code":"forbidden"}"#.utf8)) }
        }
        var router = router()
        router.errorResponse = { status, reason in .text("\(status.code): \(reason)", status: status) }
        router.get("/coded") { _, _ in throw Coded() }
        router.get("/boom") { _, _ in throw CancellationError() }
        #expect(body(router.respond(to: HTTPRequest(method: .get, target: "/nope")).response) == "404: No resource at /nope. Check the URL.")
        let wrong = router.respond(to: HTTPRequest(method: .delete, target: "/coded")).response
        #expect(body(wrong) == "405: /coded does not accept DELETE. Use GET.")
        #expect(wrong.headers["Allow"] == "GET")
        let boom = router.respond(to: HTTPRequest(method: .get, target: "/boom"))
        #expect(boom.response.status == .internalServerError)
        #expect(body(boom.response).hasPrefix("500: Internal server error."))
        #expect(boom.error is CancellationError)
        let coded = router.respond(to: HTTPRequest(method: .get, target: "/coded")).response
        #expect(coded.status == .forbidden)
        #expect(body(coded) == #"{"code":"forbidden"}"#)
    }

    @Test func missingBodyIs400() {
        let result = router().respond(to: HTTPRequest(method: .post, target: "/v1/tenants/daks/submissions"))
        #expect(result.response.status == .badRequest)
        #expect(body(result.response).contains("needs a request body"))
        let ok = router().respond(to: HTTPRequest(method: .post, target: "/v1/tenants/daks/submissions", body: [1, 2, 3]))
        #expect(ok.response.status == .accepted)
        #expect(body(ok.response) == "got 3")
    }

    @Test func routeTableIsEnumerableForGeneratedTests() {
        let routes = router().routes
        #expect(routes.map { "\($0.method) \($0.pattern)" } == [
            "GET /v1/tenants/{tenant}/towns/{town}/comparison",
            "GET /v1/tenants/{tenant}/towns/new",
            "GET /v1/tenants/{tenant}/towns/{town}",
            "POST /v1/tenants/{tenant}/submissions",
            "GET /",
        ])
        #expect(routes[0].parameterNames == ["tenant", "town"])
        #expect(routes[3].tags == ["data", "signed"])
        #expect(routes.filter { $0.tags.contains("data") }.count == 2)
        #expect(routes[0].path(with: ["tenant": "daks", "town": "Sint Niklaas/c"])
                    == "/v1/tenants/daks/towns/Sint%20Niklaas%2Fc/comparison")
        #expect(routes[0].path(with: ["tenant": "daks"]) == nil)
        // A generated path routes back to the same route with the same values.
        let path = routes[0].path(with: ["tenant": "é", "town": "a b"]) ?? ""
        #expect(body(router().respond(to: HTTPRequest(method: .get, target: path)).response) == "comparison é a b")
    }

    @Test func decodeJSONNamesTheOffendingKey() throws {
        struct Envelope: Decodable {
            struct Period: Decodable { var from: String }
            var town: String
            var period: Period
        }
        let missing = HTTPRequest(method: .post, target: "/", body: Array(#"{"town":"ieper","period":{}}"#.utf8))
        let error = #expect(throws: HTTPServerError.self) { try missing.decodeJSON(Envelope.self) }
        #expect(error?.code == .invalidBody)
        #expect(error?.status == .badRequest)
        #expect(error?.reason == "The request body is not the expected JSON: key 'from' is missing at 'period'.")

        let wrongType = HTTPRequest(method: .post, target: "/", body: Array(#"{"town":5,"period":{"from":"x"}}"#.utf8))
        #expect(#expect(throws: HTTPServerError.self) { try wrongType.decodeJSON(Envelope.self) }?.reason
                    == "The request body is not the expected JSON: 'town' has the wrong type.")

        let invalidUTF8 = HTTPRequest(method: .post, target: "/", body: [0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x7D])
        #expect(#expect(throws: HTTPServerError.self) { try invalidUTF8.decodeJSON(Envelope.self) }?.status == .badRequest)

        let empty = HTTPRequest(method: .post, target: "/")
        #expect(#expect(throws: HTTPServerError.self) { try empty.decodeJSON(Envelope.self) }?.code == .bodyRequired)

        let good = HTTPRequest(method: .post, target: "/", body: Array(#"{"town":"ieper","period":{"from":"2026-01"}}"#.utf8))
        #expect(try good.decodeJSON(Envelope.self).period.from == "2026-01")
    }

    @Test func queryParametersDecodePercentAndPlus() throws {
        let query = QueryParameters(parsing: "a=1&b=x+y&c=%C3%A9%3D&d&a=2&bad=%G1%&e=")
        #expect(query.items == [
            .init(name: "a", value: "1"), .init(name: "b", value: "x y"), .init(name: "c", value: "é="),
            .init(name: "d", value: ""), .init(name: "a", value: "2"), .init(name: "bad", value: "%G1%"),
            .init(name: "e", value: ""),
        ])
        #expect(query["a"] == "1")
        #expect(query.values(for: "a") == ["1", "2"])
        #expect(query["zz"] == nil)
        #expect(throws: HTTPServerError.self) { try query.require("e") }
        #expect(throws: HTTPServerError.self) { try query.require("zz") }
        #expect(try query.require("c") == "é=")
    }

    @Test func headersAreCaseInsensitiveAndKeepRepeats() {
        var headers: HTTPHeaders = ["Content-Type": "application/json", "X-Tag": "a"]
        headers.add(name: "x-tag", value: "b")
        #expect(headers["content-type"] == "application/json")
        #expect(headers.values(for: "X-TAG") == ["a", "b"])
        headers["X-Tag"] = "c"
        #expect(headers.values(for: "x-tag") == ["c"])
        headers["content-type"] = nil
        #expect(headers["Content-Type"] == nil)
    }

    @Test func errorResponseHasTheAgreedShape() throws {
        let response = HTTPResponse.error(status: .payloadTooLarge, reason: "Too \"big\" / 2")
        #expect(response.status.code == 413)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: [String: Any]])
        #expect(object["error"]?["status"] as? Int == 413)
        #expect(object["error"]?["reason"] as? String == "Too \"big\" / 2")
        #expect(object.count == 1 && object["error"]?.count == 2)
    }
}

@Suite struct MetricsAndLogTests {
    @Test func rendersPrometheusTextExactly() {
        let metrics = Metrics(namespace: "tb", latencyBuckets: [0.01, 0.1])
        metrics.recordRequest(method: .get, route: "/healthz", status: .ok, duration: .milliseconds(5))
        metrics.recordRequest(method: .get, route: "/healthz", status: .ok, duration: .milliseconds(50))
        metrics.recordRequest(method: .get, route: nil, status: .notFound, duration: .milliseconds(500))
        metrics.describeCounter("tb_submissions_total", help: "Submissions by outcome.")
        metrics.increment("tb_submissions_total", labels: ["outcome": "refused", "reason": "say \"no\"\n"])
        metrics.increment("tb_submissions_total", labels: ["outcome": "accepted"], by: 4)
        let expected = """
        # HELP tb_http_requests_total HTTP requests answered, by method, route pattern and status.
        # TYPE tb_http_requests_total counter
        tb_http_requests_total{method="GET",route="/healthz",status="200"} 2
        tb_http_requests_total{method="GET",route="unmatched",status="404"} 1
        # HELP tb_http_request_duration_seconds Time from request to response, by route pattern.
        # TYPE tb_http_request_duration_seconds histogram
        tb_http_request_duration_seconds_bucket{le="0.01",route="/healthz"} 1
        tb_http_request_duration_seconds_bucket{le="0.1",route="/healthz"} 2
        tb_http_request_duration_seconds_bucket{le="+Inf",route="/healthz"} 2
        tb_http_request_duration_seconds_sum{route="/healthz"} 0.055
        tb_http_request_duration_seconds_count{route="/healthz"} 2
        tb_http_request_duration_seconds_bucket{le="0.01",route="unmatched"} 0
        tb_http_request_duration_seconds_bucket{le="0.1",route="unmatched"} 0
        tb_http_request_duration_seconds_bucket{le="+Inf",route="unmatched"} 1
        tb_http_request_duration_seconds_sum{route="unmatched"} 0.5
        tb_http_request_duration_seconds_count{route="unmatched"} 1
        # HELP tb_submissions_total Submissions by outcome.
        # TYPE tb_submissions_total counter
        tb_submissions_total{outcome="accepted"} 4
        tb_submissions_total{outcome="refused",reason="say \\"no\\"\\n"} 1

        """
        #expect(metrics.render() == expected)
        #expect(metrics.value(of: "tb_submissions_total", labels: ["outcome": "accepted"]) == 4)
    }

    @Test func countsCorrectlyUnderConcurrency() async {
        let metrics = Metrics()
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for _ in 0..<1000 {
                        metrics.increment("townbench_x_total", labels: ["w": String(worker % 2)])
                        metrics.recordRequest(method: .post, route: "/r", status: .accepted, duration: .microseconds(100))
                    }
                }
            }
        }
        #expect(metrics.value(of: "townbench_x_total", labels: ["w": "0"]) == 4000)
        #expect(metrics.value(of: "townbench_x_total", labels: ["w": "1"]) == 4000)
        #expect(metrics.requestCount(method: .post, route: "/r", status: .accepted) == 8000)
    }

    @Test func accessLogLineIsLogfmt() {
        let entry = AccessLogEntry(method: "POST", path: "/v1/tenants/daks/submissions", route: "/v1/tenants/{tenant}/submissions",
                                   status: 202, duration: .microseconds(1234), bytesIn: 2048, bytesOut: 97,
                                   remoteAddress: "127.0.0.1", outcome: .completed, error: nil)
        #expect(entry.logfmt == "method=POST path=/v1/tenants/daks/submissions route=/v1/tenants/{tenant}/submissions status=202 duration_ms=1.234 bytes_in=2048 bytes_out=97 remote=127.0.0.1 outcome=completed")
        let failed = AccessLogEntry(method: "GET", path: "/x", route: nil, status: nil, duration: .seconds(2),
                                    bytesIn: 0, bytesOut: 0, remoteAddress: nil, outcome: .timeout,
                                    error: "said \"no\" = bad")
        #expect(failed.logfmt == #"method=GET path=/x route=- status=- duration_ms=2000.000 bytes_in=0 bytes_out=0 remote=- outcome=timeout error="said \"no\" = bad""#)
    }
}
