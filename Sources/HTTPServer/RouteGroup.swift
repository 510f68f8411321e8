/// Routes that share a path prefix, tags and the middleware that admits a request, declared once
/// for the group (hummingbird's `RouterGroup` and its middleware).
///
/// Why: a route's tags say who may call it (an application's route-matrix tests read them) and
/// the code before its handler decides who can; declared apart, the two drift. In a group, the
/// tags and the ``Middleware`` (authentication, the roles it admits, how errors are answered)
/// are given once, and every route of the group gets both. A handler receives the `Context` the
/// middleware passed on (e.g. the authenticated principal).
///
/// ```swift
/// router.group("/v1/tenants/{tenant}", tags: ["data", "role:admin"], middleware: admins) { group in
///     group.get("/towns") { request, parameters, principal in … }
/// }
/// ```
public struct RouteGroup<Context> {
    /// A route's handler, given what the group's middleware passed on.
    public typealias Handler = @Sendable (HTTPRequest, RouteParameters, Context) throws -> HTTPResponse
    /// Runs before every handler of the group: answers by itself (a refusal, a redirect) or calls
    /// `next` with the handler's context; it may also turn what `next` throws into an answer.
    public typealias Middleware = @Sendable (HTTPRequest, RouteParameters, _ next: (Context) throws -> HTTPResponse) throws
        -> HTTPResponse

    /// The prefix every pattern of the group starts with (may contain `{param}` segments).
    public let prefix: String
    /// The tags every route of the group carries.
    public let tags: Set<String>
    let middleware: Middleware
    fileprivate(set) var routes: [(method: HTTPMethod, pattern: String, handler: RouteHandler)] = []

    init(prefix: String, tags: Set<String>, middleware: @escaping Middleware) {
        self.prefix = prefix
        self.tags = tags
        self.middleware = middleware
    }

    /// Adds a route at `prefix + path`, its handler behind the group's middleware.
    public mutating func add(_ method: HTTPMethod, _ path: String, handler: @escaping Handler) {
        let middleware = middleware
        routes.append((method, prefix + path, { request, parameters in
            try middleware(request, parameters) { context in try handler(request, parameters, context) }
        }))
    }

    public mutating func get(_ path: String, handler: @escaping Handler) { add(.get, path, handler: handler) }
    public mutating func post(_ path: String, handler: @escaping Handler) { add(.post, path, handler: handler) }
    public mutating func put(_ path: String, handler: @escaping Handler) { add(.put, path, handler: handler) }
    public mutating func delete(_ path: String, handler: @escaping Handler) { add(.delete, path, handler: handler) }
}

extension Router {
    /// Declares a group of routes (see ``RouteGroup``) and adds them in the order declared.
    /// - Parameters:
    ///   - prefix: prepended to every pattern of the group ("" for none).
    ///   - tags: the tags of every route of the group.
    ///   - middleware: runs before every handler of the group.
    public mutating func group<Context>(_ prefix: String = "", tags: Set<String>,
                                        middleware: @escaping RouteGroup<Context>.Middleware,
                                        _ declare: (inout RouteGroup<Context>) -> Void) {
        var group = RouteGroup(prefix: prefix, tags: tags, middleware: middleware)
        declare(&group)
        for route in group.routes { add(route.method, route.pattern, tags: tags, handler: route.handler) }
    }

    /// A group whose handlers run as they are (no middleware, no context).
    public mutating func group(_ prefix: String = "", tags: Set<String>, _ declare: (inout RouteGroup<Void>) -> Void) {
        group(prefix, tags: tags, middleware: { _, _, next in try next(()) }, declare)
    }
}
