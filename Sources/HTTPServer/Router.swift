// Method + path-pattern routing with an enumerable route table.

/// The values of a route's `{param}` segments, percent-decoded.
///
/// Why: handlers get `{tenant}` and `{town}` by name instead of re-parsing the path.
public struct RouteParameters: Sendable, Equatable {
    public private(set) var values: [String: String]

    public init(_ values: [String: String] = [:]) { self.values = values }

    /// The value of `{name}`, or nil if the route has no such parameter.
    public subscript(name: String) -> String? { values[name] }

    /// The value of `{name}`; throws a 400 if it is missing or empty (a route declares its
    /// parameters, so this only fails for a route/handler mismatch or an empty segment).
    public func require(_ name: String) throws(HTTPServerError) -> String {
        guard let value = values[name], !value.isEmpty else {
            throw HTTPServerError(.invalidParameter, "The path parameter '\(name)' is missing or empty.")
        }
        return value
    }
}

/// A route handler: runs synchronously on a server worker thread and may block briefly.
public typealias RouteHandler = @Sendable (HTTPRequest, RouteParameters) throws -> HTTPResponse

/// One entry of the route table: method, pattern, tags and handler.
///
/// Why: the table is public and enumerable so tests can generate a case for every route (the
/// coordinator's route × role × tenant matrix) and a new route cannot escape them.
public struct Route: Sendable {
    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    /// The method this route answers.
    public let method: HTTPMethod
    /// The pattern as written, e.g. `/v1/tenants/{tenant}/towns/{town}/comparison`.
    public let pattern: String
    /// Free-form labels the application attaches (e.g. `"data"`, `"public"`, `"admin"`).
    public let tags: Set<String>
    /// The handler.
    public let handler: RouteHandler
    let segments: [Segment]

    /// The names of the pattern's `{param}` segments, in order.
    public var parameterNames: [String] {
        segments.compactMap { if case .parameter(let name) = $0 { name } else { nil } }
    }

    /// Fills the pattern with values (`["tenant": "daks"]` gives `/v1/tenants/daks/…`),
    /// percent-encoding each; nil if a parameter has no value. Handy for generated tests.
    public func path(with parameters: [String: String]) -> String? {
        var parts: [String] = []
        for segment in segments {
            switch segment {
            case .literal(let text): parts.append(text)
            case .parameter(let name):
                guard let value = parameters[name] else { return nil }
                parts.append(Route.encode(value))
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    init(method: HTTPMethod, pattern: String, tags: Set<String>, handler: @escaping RouteHandler) {
        precondition(pattern.hasPrefix("/"), "A route pattern starts with '/': \(pattern)")
        self.method = method
        self.pattern = pattern
        self.tags = tags
        self.handler = handler
        self.segments = pattern.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map { part in
            if part.hasPrefix("{") && part.hasSuffix("}") && part.count > 2 {
                return .parameter(String(part.dropFirst().dropLast()))
            }
            return .literal(String(part))
        }
        let names = parameterNames
        precondition(Set(names).count == names.count, "A route pattern names each parameter once: \(pattern)")
    }

    /// Matches decoded path segments; returns the parameters, or nil.
    func match(_ path: [String]) -> [String: String]? {
        guard path.count == segments.count else { return nil }
        var parameters: [String: String] = [:]
        for (segment, value) in zip(segments, path) {
            switch segment {
            case .literal(let text): if text != value { return nil }
            case .parameter(let name): parameters[name] = value
            }
        }
        return parameters
    }

    /// Literal segments outrank parameters, position by position (`/towns/new` beats `/towns/{town}`).
    var specificity: [Int] { segments.map { if case .literal = $0 { 1 } else { 0 } } }

    static func encode(_ value: String) -> String {
        var out = ""
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// Maps a method and path to a handler; answers 404 and 405 itself, with JSON error bodies.
///
/// Why: the coordinator's API is a table of routes; keeping the table a value the application
/// can read back (``routes``) lets its tests cover every route. Build it before starting the
/// server; the server keeps an immutable copy.
///
/// ```swift
/// var router = Router()
/// router.get("/healthz") { _, _ in .text("ok\n") }
/// router.post("/v1/tenants/{tenant}/submissions", tags: ["data"]) { request, params in … }
/// ```
public struct Router: Sendable {
    /// Every route, in the order added.
    public private(set) var routes: [Route] = []

    /// Renders the errors the router and server produce themselves: 404, 405 (the `Allow`
    /// header is added afterwards), 413 and the generic 500. Default: ``HTTPResponse/error(status:reason:headers:)``.
    /// Replace it to give those answers the same body shape as the application's own errors.
    public var errorResponse: @Sendable (_ status: HTTPStatus, _ reason: String) -> HTTPResponse = {
        HTTPResponse.error(status: $0, reason: $1)
    }

    public init() {}

    /// Adds a route. Adding the same method and pattern twice is a programming error and traps.
    public mutating func add(_ method: HTTPMethod, _ pattern: String, tags: Set<String> = [],
                             handler: @escaping RouteHandler) {
        let route = Route(method: method, pattern: pattern, tags: tags, handler: handler)
        precondition(!routes.contains { $0.method == method && $0.segments == route.segments },
                     "Route \(method) \(pattern) is already registered")
        routes.append(route)
    }

    public mutating func get(_ pattern: String, tags: Set<String> = [], handler: @escaping RouteHandler) {
        add(.get, pattern, tags: tags, handler: handler)
    }
    public mutating func post(_ pattern: String, tags: Set<String> = [], handler: @escaping RouteHandler) {
        add(.post, pattern, tags: tags, handler: handler)
    }
    public mutating func put(_ pattern: String, tags: Set<String> = [], handler: @escaping RouteHandler) {
        add(.put, pattern, tags: tags, handler: handler)
    }
    public mutating func delete(_ pattern: String, tags: Set<String> = [], handler: @escaping RouteHandler) {
        add(.delete, pattern, tags: tags, handler: handler)
    }

    /// The outcome of routing one request.
    public enum Resolution: Sendable {
        /// A route matched method and path.
        case matched(Route, RouteParameters)
        /// Some route matches the path, none the method; `allowed` lists the methods that would.
        case methodNotAllowed(allowed: [HTTPMethod])
        /// No route matches the path.
        case notFound
    }

    /// Finds the route for a method and decoded path segments. A `HEAD` falls back to `GET`.
    public func resolve(_ method: HTTPMethod, segments: [String]) -> Resolution {
        typealias Candidate = (route: Route, parameters: [String: String])
        func preferred(_ new: Candidate, over old: Candidate?) -> Candidate {
            guard let old else { return new }
            return old.route.specificity.lexicographicallyPrecedes(new.route.specificity) ? new : old
        }
        var best: Candidate?
        var headFallback: Candidate?
        var allowed: [HTTPMethod] = []
        for route in routes {
            guard let parameters = route.match(segments) else { continue }
            if route.method == method {
                best = preferred((route, parameters), over: best)
            } else {
                if !allowed.contains(route.method) { allowed.append(route.method) }
                if method == .head && route.method == .get {
                    headFallback = preferred((route, parameters), over: headFallback)
                }
            }
        }
        if let match = best ?? headFallback { return .matched(match.route, RouteParameters(match.parameters)) }
        if !allowed.isEmpty { return .methodNotAllowed(allowed: allowed) }
        return .notFound
    }

    /// Routes and runs one request in-process: the matched handler's response, a JSON 404/405,
    /// the status and reason of a thrown ``HTTPResponseError``, or a generic 500 for any other
    /// error. Returns the matched pattern (for logs and metrics) and the hidden error, if any.
    public func respond(to request: HTTPRequest) -> (response: HTTPResponse, pattern: String?, error: (any Error)?) {
        switch resolve(request.method, segments: request.pathSegments) {
        case .notFound:
            return (errorResponse(.notFound, "No resource at \(request.path). Check the URL."), nil, nil)
        case .methodNotAllowed(let allowed):
            let list = allowed.map(\.rawValue).joined(separator: ", ")
            var response = errorResponse(.methodNotAllowed, "\(request.path) does not accept \(request.method). Use \(list).")
            response.headers["Allow"] = list
            return (response, nil, nil)
        case .matched(let route, let parameters):
            do {
                return (try route.handler(request, parameters), route.pattern, nil)
            } catch let error as any HTTPResponseError {
                return (error.response, route.pattern, error.status.isServerError ? error : nil)
            } catch {
                return (errorResponse(.internalServerError, "Internal server error. The server logged the details; try again later."),
                        route.pattern, error)
            }
        }
    }
}
