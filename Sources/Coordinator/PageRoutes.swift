// The report pages the coordinator serves to people in a browser: a login form that exchanges a
// bearer token for a session cookie, logout, and the region and town pages (Reports module),
// scoped exactly like the JSON API.
import Federation
import Foundation
import HTTPServer
import Indicators
import Reports

/// The browser sessions of the report pages: a random session id in the cookie; in the store,
/// only the id's SHA-256, the SHA-256 of the token that logged in, and when the session ends.
///
/// Why in the store and keyed to the token's hash: a restart must not log everyone out, a copy of
/// the store must hold no live session id, and a session must die with its token (revocation and
/// expiry are re-checked on every page, from the store, as for a bearer token). At most
/// ``perToken`` sessions per token: logging in again evicts that token's own oldest session,
/// never anyone else's.
struct PageSessions: Sendable {
    /// How long a session lasts at most (it also ends when its token expires or is revoked).
    static let lifetime: TimeInterval = 8 * 3600
    /// Sessions kept per token (per principal); the token's oldest goes first.
    static let perToken = 20

    let store: any CoordinatorStore

    /// A new session for the token `record`; returns its id (32 random bytes, base64url).
    func create(for record: TokenRecord, expires: Date, now: Date) throws -> String {
        let id = BearerToken.base64URL(try SecureRandom.bytes(count: 32))
        try store.addSession(SessionRecord(idHash: Self.hash(id), tokenHash: record.hash, tenantID: record.tenantID,
                                           createdAt: now, expiresAt: expires),
                             keepingAtMost: Self.perToken, now: now)
        return id
    }

    func entry(_ id: String, now: Date) throws -> SessionRecord? {
        try store.session(idHash: Self.hash(id), now: now)
    }

    func remove(_ id: String) throws { try store.removeSession(idHash: Self.hash(id)) }

    static func hash(_ id: String) -> [UInt8] { SHA256.hash(Array(id.utf8)) }
}

extension CoordinatorService {
    /// Route tags of the browser routes. `html` marks every one of them (they are not part of the
    /// JSON API's OpenAPI contract); `page` marks a report page (role tags say who may see it);
    /// `session` marks login and logout.
    static let htmlTag = "html", pageTag = "page", sessionTag = "session"

    /// Registers `GET /login`, `POST /login`, `POST /logout`, `GET /tenants/{tenant}/region` and
    /// `GET /tenants/{tenant}/towns/{town}` on `router`, served from `api`'s store and clock.
    static func registerPageRoutes(on router: inout Router, api: API) {
        let pages = PageRoutes(api: api, sessions: PageSessions(store: api.store))
        // An auditor reads the tenant's reports (as on `GET /v1/tenants/{t}/report`), so its
        // pages too: its login lands on the region page.
        let regional: Set<Role> = [.coordinator, .admin, .auditor]
        let all: Set<Role> = [.town, .coordinator, .admin, .auditor]
        router.group(tags: ["public", htmlTag]) { group in
            group.get("/login") { request, _, _ in pages.loginForm(request) }
            group.get("/logout") { request, _, _ in pages.logoutForm(request) }
        }
        router.group(tags: [sessionTag, htmlTag]) { group in
            group.post("/login") { request, _, _ in try pages.login(request) }
            group.post("/logout") { request, _, _ in try pages.logout(request) }
        }
        router.group("/tenants/{tenant}", tags: pages.tags(regional), middleware: pages.page(regional)) { group in
            group.get("/region") { request, _, page in
                let inputs = try pages.inputs(request, page.principal)
                let report = ReportPages.region(inputs, language: page.language)
                return PageRoutes.html(RegionReportPage.render(report, options: pages.tableOptions(request, page.principal, page.language),
                                                               view: try PageRoutes.regionView(request, report: report)))
            }
            group.get("/region/tables/{file}") { request, parameters, page in
                let tables = ReportPages.region(try pages.inputs(request, page.principal), language: page.language).tables(language: page.language)
                return try PageRoutes.download(tables, file: try parameters.require("file"), language: page.language)
            }
        }
        router.group("/tenants/{tenant}", tags: pages.tags(all), middleware: pages.page(all)) { group in
            group.get("/towns/{town}") { request, parameters, page in
                let town = try api.visibleTown(parameters, page.principal)
                let inputs = try pages.inputs(request, page.principal)
                let report = try ReportPages.town(inputs, town: town, language: page.language)
                return PageRoutes.html(TownReportPage.render(report, options: pages.tableOptions(request, page.principal, page.language)))
            }
            group.get("/towns/{town}/tables/{file}") { request, parameters, page in
                let town = try api.visibleTown(parameters, page.principal)
                let report = try ReportPages.town(try pages.inputs(request, page.principal), town: town, language: page.language)
                return try PageRoutes.download(report.tables(language: page.language), file: try parameters.require("file"), language: page.language)
            }
        }
    }
}

/// The handlers behind the page routes.
struct PageRoutes: Sendable {
    let api: API
    let sessions: PageSessions

    func tags(_ roles: Set<Role>) -> Set<String> {
        Set([CoordinatorService.pageTag, CoordinatorService.htmlTag] + roles.map { "role:\($0.rawValue)" })
    }

    // MARK: Responses

    /// An HTML page with the headers every page carries.
    static func html(_ html: String, status: HTTPStatus = .ok) -> HTTPResponse {
        var response = HTTPResponse.html(html, status: status)
        secure(&response)
        return response
    }

    static func secure(_ response: inout HTTPResponse) {
        // frame-ancestors only works as a header (browsers ignore it in the pages' <meta>).
        response.headers["Content-Security-Policy"] = HTML.contentSecurityPolicy + "; frame-ancestors 'none'"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
    }

    static func redirect(_ location: String, cookie: String? = nil) -> HTTPResponse {
        var response = HTTPResponse(status: 303, headers: ["Location": location, "Content-Type": "text/plain; charset=utf-8"],
                                    body: Array("See \(location)\n".utf8))
        if let cookie { response.headers["Set-Cookie"] = cookie }
        secure(&response)
        return response
    }

    static func message(_ status: HTTPStatus, _ title: String, _ text: String, language: ReportLanguage) -> HTTPResponse {
        html(MessagePage.render(title: title, message: text, link: NavLink(title: "TownBench", href: "/login"), language: language),
             status: status)
    }

    /// Whether cookies get the `Secure` attribute and the `__Host-` name: always, except for a
    /// plain-HTTP request to a loopback host (the demo; a browser drops Secure cookies over HTTP
    /// elsewhere, so a deployment must sit behind the TLS proxy).
    static func isSecure(_ request: HTTPRequest) -> Bool {
        if request.headers["X-Forwarded-Proto"]?.lowercased() == "https" { return true }
        let host = hostname(request.headers["Host"] ?? "")
        return !(host == "localhost" || host == "127.0.0.1" || host == "[::1]" || host.hasSuffix(".localhost"))
    }

    static func sessionID(_ request: HTTPRequest) -> String? {
        let header = request.headers.values(for: "Cookie").joined(separator: "; ")
        return SessionCookie.value(fromCookieHeader: header, secure: true)
            ?? SessionCookie.value(fromCookieHeader: header, secure: false)
    }

    /// The path and query of the request, for `next=` (same-origin by construction).
    static func target(_ request: HTTPRequest) -> String {
        let query = request.query.items.map { escape($0.name) + "=" + escape($0.value) }.joined(separator: "&")
        return request.path + (query.isEmpty ? "" : "?" + query)
    }

    static func escape(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~/")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    static func language(_ request: HTTPRequest) -> ReportLanguage { ReportLanguage(tag: request.query["lang"]) }

    // MARK: Login and logout

    func loginForm(_ request: HTTPRequest) -> HTTPResponse {
        let next = request.query["next"].map { LoginForm.safeNext($0) }
        return Self.html(LoginPage.render(next: next, language: Self.language(request)))
    }

    /// Checks the posted token exactly as a bearer token; on success a session and a 303 to `next`
    /// (or the principal's own page), on failure the form again with the reason, 401.
    func login(_ request: HTTPRequest) throws -> HTTPResponse {
        let form = LoginForm.parse(request.body)
        let language = Self.language(request)
        if let refusal = Self.crossOrigin(request, language: language) { return refusal }
        let next = form.next == "/" ? nil : form.next
        guard let token = form.token else {
            return Self.html(LoginPage.render(next: next, error: "Enter your token.", language: language), status: .unauthorized)
        }
        let now = api.clock()
        let principal: Principal
        do {
            principal = try api.throttle.authenticate(request, token: token) {
                try BearerToken.authenticate(header: "Bearer " + token, store: api.store, now: now)
            }
        } catch let error as CoordinatorError where error.status == .unauthorized || error.status == .tooManyRequests {
            var page = Self.html(LoginPage.render(next: next, error: error.message, language: language), status: error.status)
            for field in error.headers where field.name != "WWW-Authenticate" { page.headers[field.name] = field.value }
            return page
        }
        let hash = SHA256.hash(Array(token.utf8))
        guard let record = try api.store.token(hash: hash) else {
            return Self.html(LoginPage.render(next: next, error: "The token is not valid.", language: language), status: .unauthorized)
        }
        let expires = min(record.expiresAt, now.addingTimeInterval(PageSessions.lifetime))
        let id = try sessions.create(for: record, expires: expires, now: now)
        let secure = Self.isSecure(request)
        let cookie = SessionCookie.set(id, maxAge: Int(expires.timeIntervalSince(now)), secure: secure)
        return Self.redirect(next ?? Self.home(principal), cookie: cookie)
    }

    /// A page with the logout button (navigation links cannot POST; logging out by GET would let
    /// any link end a session).
    func logoutForm(_ request: HTTPRequest) -> HTTPResponse {
        let language = Self.language(request)
        let title = language == .nl ? "Afmelden" : "Log out"
        let body = "<div class=\"login\"><h1>\(HTML.escape(title))</h1>\n<form method=\"post\" action=\"/logout\">"
            + "<button type=\"submit\">\(HTML.escape(title))</button></form></div>"
        return Self.html(HTML.document(title: title, language: language, body: body))
    }

    func logout(_ request: HTTPRequest) throws -> HTTPResponse {
        if let refusal = Self.crossOrigin(request, language: Self.language(request)) { return refusal }
        if let id = Self.sessionID(request) { try sessions.remove(id) }
        return Self.redirect("/login", cookie: SessionCookie.clear(secure: Self.isSecure(request)))
    }

    /// A 403 page for a form posted from another site (an `Origin` header naming another host), or
    /// nil. Why, besides SameSite=Strict: it also stops login CSRF (being logged in as someone else).
    static func crossOrigin(_ request: HTTPRequest, language: ReportLanguage) -> HTTPResponse? {
        guard let origin = request.headers["Origin"], let host = request.headers["Host"] else { return nil }
        // Host names only: behind the TLS proxy the Host header carries no port (nginx `$host`).
        if let scheme = origin.range(of: "://"), hostname(String(origin[scheme.upperBound...])) == hostname(host) { return nil }
        return message(.forbidden, "Not allowed", "This form was posted from another site (\(origin)). Open \(host)/login and log in there.",
                       language: language)
    }

    /// The host name of a `Host` header value or an origin's authority, lower-cased, without port.
    static func hostname(_ authority: String) -> String {
        let text = authority.lowercased()
        if text.hasPrefix("[") { return String(text.prefix { $0 != "]" }) + "]" }
        return String(text.prefix { $0 != ":" && $0 != "/" })
    }

    /// The page a principal lands on: the region for coordinators and admins, the town's own page.
    static func home(_ principal: Principal) -> String {
        let tenant = escape(principal.tenantID)
        if principal.role == .town, let town = principal.townID { return "/tenants/\(tenant)/towns/\(escape(town))" }
        return "/tenants/\(tenant)/region"
    }

    // MARK: Pages

    /// The principal of a page request: a bearer header if sent (checked as on the API), else the
    /// session cookie, re-checked against the token's stored record. `nil`: not logged in.
    func principal(_ request: HTTPRequest) throws -> Principal? {
        let now = api.clock()
        if let header = request.headers["Authorization"] {
            return try api.throttle.authenticate(request, token: BearerToken.presented(header)) {
                try BearerToken.authenticate(header: header, store: api.store, now: now)
            }
        }
        guard let id = Self.sessionID(request), let session = try sessions.entry(id, now: now) else { return nil }
        guard let record = try api.store.token(hash: session.tokenHash),
              SecureRandom.constantTimeEqual(record.hash, session.tokenHash),
              !(record.revokedAt.map { $0 <= now } ?? false), record.expiresAt > now else {
            try sessions.remove(id)
            return nil
        }
        return Principal(role: record.role, tenantID: record.tenantID, townID: record.townID, tokenID: record.id)
    }

    /// A page route: not logged in → 303 to the login form; the path's tenant not the principal's
    /// (or no such tenant) → 404 page; role not admitted → 403 page; a ``CoordinatorError`` → a
    /// page with its status and message; anything else → the server's generic 500.
    /// Who is reading a page, and in which language.
    struct Viewer {
        var principal: Principal
        var language: ReportLanguage
    }

    /// The middleware of a page group: the login page for no session, the tenant's and the
    /// roles' checks, and errors as HTML pages (a JSON body would be of no use in a browser).
    func page(_ roles: Set<Role>) -> RouteGroup<Viewer>.Middleware {
        { request, parameters, next in
            let language = Self.language(request)
            do {
                guard let principal = try principal(request) else {
                    return Self.redirect("/login?next=" + Self.escape(Self.target(request)))
                }
                guard try parameters.require("tenant") == principal.tenantID else {
                    throw CoordinatorError(.notFound, "No such tenant, or not yours. Check the URL and your token.")
                }
                guard roles.contains(principal.role) else {
                    throw CoordinatorError(.forbidden, "This page is for a tenant's \(roles.map(\.rawValue).sorted().joined(separator: " or ")); you are logged in as a \(principal.role.rawValue). Your page is \(Self.home(principal)).")
                }
                return try next(Viewer(principal: principal, language: language))
            } catch let error as CoordinatorError {
                if error.status.isServerError { throw error }
                let title = error.status == .notFound ? "Not found" : (error.status == .forbidden ? "Not allowed" : "Cannot show this page")
                var page = Self.message(error.status, title, error.message, language: language)
                if let wait = error.headers["Retry-After"] { page.headers["Retry-After"] = wait }
                return page
            }
        }
    }

    func inputs(_ request: HTTPRequest, _ principal: Principal) throws -> ReportPages.Inputs {
        let month = request.query["period"] ?? (request.query["from"] == nil && request.query["to"] == nil ? defaultMonth() : nil)
        let period = try DayPeriod.parse(period: month, from: request.query["from"], to: request.query["to"]).get()
        var weeks = ReportPages.defaultWeeks
        if let text = request.query["weeks"] {
            guard let value = Int(text), (1...156).contains(value) else {
                throw CoordinatorError(.invalidArgument, "weeks must be a whole number 1…156.")
            }
            weeks = value
        }
        return try ReportPages.inputs(principal.scope, store: api.store, origin: api.signer.origin(principal.tenantID), period: period,
                                      label: ReportPages.label(period: month, days: period), weeks: weeks, now: api.clock())
    }

    /// The last complete month by the coordinator's clock (UTC), `YYYY-MM`: the page without `period`.
    func defaultMonth() -> String {
        let today = DayNumber(Int((api.clock().timeIntervalSince1970 / 86400).rounded(.down)))
        let (y, m, _) = today.civil
        return m == 1 ? String(format: "%04d-12", y - 1) : String(format: "%04d-%02d", y, m - 1)
    }

    func options(_ request: HTTPRequest, _ principal: Principal, _ language: ReportLanguage) -> RenderOptions {
        var navigation = [NavLink(title: language == .nl ? "Mijn pagina" : "My page", href: Self.home(principal)),
                          NavLink(title: language == .nl ? "Afmelden" : "Log out", href: "/logout")]
        if principal.role == .town, let town = principal.townID {
            navigation[0].isCurrent = request.path.hasSuffix("/towns/" + town)
        } else {
            navigation[0].isCurrent = request.path.hasSuffix("/region")
        }
        var options = RenderOptions(language: language, navigation: navigation)
        func link(_ tag: String) -> String {
            let items = request.query.items.filter { $0.name != "lang" } + [QueryParameters.Item(name: "lang", value: tag)]
            return request.path + "?" + items.map { Self.escape($0.name) + "=" + Self.escape($0.value) }.joined(separator: "&")
        }
        options.languageLinks = (en: link("en"), nl: link("nl"))
        return options
    }
}
