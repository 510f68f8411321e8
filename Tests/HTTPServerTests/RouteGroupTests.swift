// Route groups: one declaration of tags and middleware for every route of the group.
import HTTPServer
import Testing

@Suite struct RouteGroupTests {
    /// A group admitting only requests with `X-Role: admin`, passing the role on to its handlers.
    private func router() -> Router {
        var router = Router()
        router.group("/v1/tenants/{tenant}", tags: ["data", "role:admin"], middleware: { request, _, next in
            guard let role = request.headers["X-Role"], role == "admin" else { return .text("refused", status: .forbidden) }
            return try next(role)
        }) { group in
            group.get("/towns") { _, parameters, role in .text("towns of \(parameters["tenant"] ?? "?") for \(role)") }
            group.post("/towns") { _, _, role in .text("added by \(role)", status: .created) }
        }
        router.group(tags: ["public"]) { group in
            group.get("/healthz") { _, _, _ in .text("ok") }
        }
        return router
    }

    private func body(_ response: HTTPResponse) -> String { String(decoding: response.body, as: UTF8.self) }

    @Test func everyRouteOfAGroupCarriesItsTagsAndPrefix() {
        let routes = router().routes
        #expect(routes.map(\.pattern) == ["/v1/tenants/{tenant}/towns", "/v1/tenants/{tenant}/towns", "/healthz"])
        #expect(routes.map(\.method) == [.get, .post, .get])
        #expect(routes[0].tags == ["data", "role:admin"] && routes[1].tags == ["data", "role:admin"])
        #expect(routes[2].tags == ["public"])
    }

    @Test func theMiddlewareRunsBeforeEveryHandlerAndPassesItsContext() {
        let router = router()
        var admin = HTTPRequest(method: .get, target: "/v1/tenants/daks/towns")
        admin.headers["X-Role"] = "admin"
        #expect(body(router.respond(to: admin).response) == "towns of daks for admin")
        var post = HTTPRequest(method: .post, target: "/v1/tenants/daks/towns")
        post.headers["X-Role"] = "admin"
        #expect(router.respond(to: post).response.status == .created)
        for method in [HTTPMethod.get, .post] {
            let refused = router.respond(to: HTTPRequest(method: method, target: "/v1/tenants/daks/towns")).response
            #expect(refused.status == .forbidden && body(refused) == "refused")
        }
        #expect(body(router.respond(to: HTTPRequest(method: .get, target: "/healthz")).response) == "ok")
    }
}
