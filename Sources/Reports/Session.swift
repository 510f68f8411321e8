import Foundation

/// The browser session of the report pages: the login form's body and the session cookie.
///
/// Why: people open reports in a browser, which cannot attach a bearer token to a link. The
/// coordinator serves ``LoginPage``, reads the posted token with ``LoginForm/parse(_:)``, checks it
/// like a bearer token, and answers with ``SessionCookie/set(_:maxAge:secure:)`` and a redirect to
/// ``LoginForm/next``. The cookie is HttpOnly (no script can read it — there is no script anyway),
/// SameSite=Strict (no cross-site request carries it) and Secure behind TLS.
public struct LoginForm: Sendable, Equatable {
    /// The token as typed (surrounding whitespace removed), `nil` when absent or empty.
    public var token: String?
    /// Where to go after logging in: a same-origin path, or `/` when the form named anything else.
    public var next: String

    public init(token: String?, next: String) {
        self.token = token
        self.next = next
    }

    /// Parses an `application/x-www-form-urlencoded` body (`token=…&next=…`): `+` is a space,
    /// `%XX` is a byte; unknown fields are ignored, a malformed escape leaves the field absent.
    public static func parse(_ body: some Sequence<UInt8>) -> LoginForm {
        let text = String(decoding: Array(body), as: UTF8.self)
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = decode(parts[0])
            let value = parts.count > 1 ? decode(parts[1]) : ""
            if let key, let value, fields[key] == nil { fields[key] = value }
        }
        let token = fields["token"]?.trimmingCharacters(in: .whitespacesAndNewlines)
        return LoginForm(token: token?.isEmpty == false ? token : nil, next: safeNext(fields["next"]))
    }

    /// `path` when it is a same-origin absolute path (`/…`, not `//…` nor `/\…`, no scheme, no
    /// control characters), otherwise `/`: a login form must not become an open redirect.
    public static func safeNext(_ path: String?) -> String {
        guard let path, path.hasPrefix("/"), !path.hasPrefix("//"), !path.hasPrefix("/\\"), path.count <= 2048,
            !path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else { return "/" }
        return path
    }

    static func decode(_ field: Substring) -> String? {
        String(field.replacingOccurrences(of: "+", with: " ")).removingPercentEncoding
    }
}

/// The `Set-Cookie` values of the report pages' session.
///
/// Why: one place decides the cookie's name and attributes, so login and logout agree.
public enum SessionCookie {
    /// The cookie name. `__Host-` makes browsers refuse it unless Secure, Path=/ and no Domain,
    /// so it is used only with `secure: true`.
    public static func name(secure: Bool) -> String { secure ? "__Host-townbench_session" : "townbench_session" }

    /// `Set-Cookie` value for a new session `value` (an opaque, random session id — never the
    /// bearer token itself) valid for `maxAge` seconds. `secure: false` only for plain-HTTP localhost.
    public static func set(_ value: String, maxAge: Int, secure: Bool = true) -> String {
        "\(name(secure: secure))=\(value); Path=/; Max-Age=\(max(0, maxAge)); HttpOnly; SameSite=Strict"
            + (secure ? "; Secure" : "")
    }

    /// `Set-Cookie` value that ends the session (logout).
    public static func clear(secure: Bool = true) -> String {
        "\(name(secure: secure))=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }

    /// The session value from a request's `Cookie` header, if present.
    public static func value(fromCookieHeader header: String?, secure: Bool = true) -> String? {
        guard let header else { return nil }
        let wanted = name(secure: secure)
        for part in header.split(separator: ";") {
            let kv = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if kv.count == 2, kv[0] == wanted, !kv[1].isEmpty { return String(kv[1]) }
        }
        return nil
    }
}
