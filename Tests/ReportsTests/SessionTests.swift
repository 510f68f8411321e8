import Reports
import Testing

/// The login form's body and the session cookie, against hand-written expectations.
struct SessionTests {
    @Test func parsesAURLEncodedLoginForm() {
        let form = LoginForm.parse(Array("token=ab%2Bc+d%3D&next=%2Freports%2Fregion%3Flang%3Dnl&extra=1".utf8))
        #expect(form.token == "ab+c d=")
        #expect(form.next == "/reports/region?lang=nl")
        #expect(LoginForm.parse(Array("token=++&next=".utf8)) == LoginForm(token: nil, next: "/"))
        #expect(LoginForm.parse(Array("token=%zz".utf8)).token == nil)
        #expect(LoginForm.parse(Array("".utf8)) == LoginForm(token: nil, next: "/"))
        // The first occurrence wins.
        #expect(LoginForm.parse(Array("token=a&token=b".utf8)).token == "a")
    }

    @Test func nextIsNeverAnOpenRedirect() {
        #expect(LoginForm.safeNext("/reports/town?lang=nl") == "/reports/town?lang=nl")
        for bad in [
            "https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)", "reports",
            "/a\r\nSet-Cookie: x=1", nil,
        ] {
            #expect(LoginForm.safeNext(bad) == "/", "\(String(describing: bad))")
        }
    }

    @Test func cookieAttributes() {
        #expect(
            SessionCookie.set("s3ss10n", maxAge: 3600)
                == "__Host-townbench_session=s3ss10n; Path=/; Max-Age=3600; HttpOnly; SameSite=Strict; Secure")
        #expect(
            SessionCookie.set("x", maxAge: 60, secure: false)
                == "townbench_session=x; Path=/; Max-Age=60; HttpOnly; SameSite=Strict")
        #expect(
            SessionCookie.clear() == "__Host-townbench_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict; Secure")
        #expect(SessionCookie.value(fromCookieHeader: "a=1; __Host-townbench_session=abc; b=2") == "abc")
        #expect(SessionCookie.value(fromCookieHeader: "townbench_session=abc") == nil)
        #expect(SessionCookie.value(fromCookieHeader: "townbench_session=abc", secure: false) == "abc")
        #expect(SessionCookie.value(fromCookieHeader: nil) == nil)
    }
}
