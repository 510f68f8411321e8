// Page layout shared by every page: escaping, the document shell, the stylesheet, navigation,
// the login page and plain message pages. No JavaScript anywhere, no external resources.

/// A link in a page's header (navigation, language switch, downloads).
///
/// Why: the coordinator and the node put different links on the same pages.
public struct NavLink: Sendable, Hashable {
    public var title: String
    /// An href as given (escaped when rendered); relative links work for static files.
    public var href: String
    public var isCurrent: Bool

    public init(title: String, href: String, isCurrent: Bool = false) {
        self.title = title
        self.href = href
        self.isCurrent = isCurrent
    }
}

/// How a report page is rendered: language, header links and where its tables can be downloaded.
///
/// Why: the same page is served by the coordinator (links to `/reports/…/tables/x.csv`) and
/// written as static files by the demo and the node (relative links).
public struct RenderOptions: Sendable, Hashable {
    public var language: ReportLanguage
    /// Links shown in the header bar (e.g. "Region", "Log out").
    public var navigation: [NavLink]
    /// Prefix for table downloads: `prefix + name + ".csv"` / `".xlsx"` / `".json"`; `nil` hides the links.
    public var tableLinkPrefix: String?
    /// Appended to each download link (e.g. the page's `?period=2026-11&lang=nl`); empty by default.
    public var tableLinkSuffix = ""
    /// Hrefs of the same page in English and Dutch; `nil` hides the switch.
    public var languageLinks: (en: String, nl: String)? {
        get { languageHrefs.map { ($0[0], $0[1]) } }
        set { languageHrefs = newValue.map { [$0.en, $0.nl] } }
    }
    var languageHrefs: [String]?

    public init(
        language: ReportLanguage = .en, navigation: [NavLink] = [], tableLinkPrefix: String? = nil,
        languageLinks: (en: String, nl: String)? = nil
    ) {
        self.language = language
        self.navigation = navigation
        self.tableLinkPrefix = tableLinkPrefix
        self.languageHrefs = languageLinks.map { [$0.en, $0.nl] }
    }
}

/// HTML building blocks: escaping and the document shell every page uses.
///
/// Why: one place escapes text, so a town called `<script>` stays text on every page.
public enum HTML {
    /// Escapes text for element content and double- or single-quoted attribute values.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for ch in text.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// The Content-Security-Policy the pages are written for: no scripts at all, inline styles and
    /// inline SVG only, forms post to the same origin. The coordinator should send it as a header;
    /// every page also carries it in a `<meta>` so static copies are protected too.
    public static let contentSecurityPolicy =
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; base-uri 'none'"

    /// The complete document: `<!doctype html>`, head with charset, CSP and the stylesheet, a header
    /// bar with `title` and the links, `body` (already HTML), and a footer.
    public static func document(
        title: String, language: ReportLanguage, navigation: [NavLink] = [],
        languageLinks: (en: String, nl: String)? = nil, body: String,
        footer: String = ""
    ) -> String {
        var html = "<!doctype html>\n<html lang=\"\(language == .nl ? "nl-BE" : "en")\">\n<head>\n"
        html += "<meta charset=\"utf-8\">\n"
        html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        html += "<meta http-equiv=\"Content-Security-Policy\" content=\"\(escape(contentSecurityPolicy))\">\n"
        html += "<meta name=\"referrer\" content=\"no-referrer\">\n"
        html += "<title>\(escape(title)) · TownBench</title>\n<style>\(stylesheet)</style>\n</head>\n<body>\n"
        html += "<header class=\"bar\"><span class=\"brand\">TownBench</span>"
        if !navigation.isEmpty {
            html += "<nav>"
            for link in navigation {
                let current = link.isCurrent ? " aria-current=\"page\"" : ""
                html += "<a href=\"\(escape(link.href))\"\(current)>\(escape(link.title))</a>"
            }
            html += "</nav>"
        }
        if let languageLinks {
            html += "<span class=\"lang\">"
            html += language == .en ? "<b>EN</b>" : "<a href=\"\(escape(languageLinks.en))\" hreflang=\"en\">EN</a>"
            html += " · "
            html += language == .nl ? "<b>NL</b>" : "<a href=\"\(escape(languageLinks.nl))\" hreflang=\"nl\">NL</a>"
            html += "</span>"
        }
        html += "</header>\n<main>\n" + body + "\n</main>\n"
        html += "<footer>" + footer + "</footer>\n</body>\n</html>\n"
        return html
    }

    /// `<h2>` plus an anchor id.
    static func section(_ id: String, _ title: String, _ content: String) -> String {
        "<section id=\"\(escape(id))\"><h2>\(escape(title))</h2>\n\(content)</section>\n"
    }

    /// A table: header cells (text), rows of already-escaped HTML cells; `numeric` columns right-aligned.
    /// `headerHTML`, when given, replaces the escaped header texts (e.g. sort links).
    static func table(
        caption: String, headers: [String], rows: [[String]], numeric: Set<Int> = [],
        downloads: String = "", isWide: Bool = false, headerHTML: [String]? = nil
    ) -> String {
        var t =
            "<div class=\"tablewrap\"><table\(isWide ? " class=\"wide\"" : "")>\n<caption>\(escape(caption))\(downloads)</caption>\n<thead><tr>"
        for (i, h) in headers.enumerated() {
            let cell = headerHTML.flatMap { i < $0.count ? $0[i] : nil } ?? escape(h)
            t += "<th scope=\"col\"\(numeric.contains(i) ? " class=\"num\"" : "")>\(cell)</th>"
        }
        t += "</tr></thead>\n<tbody>\n"
        for row in rows {
            t += "<tr>"
            for (i, cell) in row.enumerated() {
                t +=
                    i == 0
                    ? "<th scope=\"row\">\(cell)</th>"
                    : "<td\(numeric.contains(i) ? " class=\"num\"" : "")>\(cell)</td>"
            }
            t += "</tr>\n"
        }
        t += "</tbody></table></div>\n"
        return t
    }

    /// Download links for a table, or "" when the options hide them.
    static func downloads(_ name: String, _ options: RenderOptions) -> String {
        guard let prefix = options.tableLinkPrefix else { return "" }
        let p = escape(prefix + name)
        let q = escape(options.tableLinkSuffix)
        return
            " <span class=\"dl\"><a href=\"\(p).csv\(q)\" download>CSV</a> <a href=\"\(p).xlsx\(q)\" download>XLSX</a> <a href=\"\(p).json\(q)\" download>JSON</a></span>"
    }

    /// The stylesheet: readable tables, small multiples in a grid, print rules (A4, no header bar).
    public static let stylesheet = """
        :root{--ink:#1d2733;--muted:#5b6673;--line:#d5dbe1;--bg:#ffffff;--accent:#0b5fa5;--peer:#c05a00;--warn:#a61b1b;--ok:#2a7a2a}
        *{box-sizing:border-box}
        body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--ink);background:var(--bg)}
        .bar{display:flex;gap:1.2rem;align-items:center;padding:.6rem 1.2rem;background:#12324f;color:#fff}
        .bar a{color:#fff}.bar nav{display:flex;gap:1rem;flex:1}.brand{font-weight:700;letter-spacing:.02em}.lang{margin-left:auto}
        main{max-width:1100px;margin:0 auto;padding:1rem 1.2rem 2rem}
        h1{font-size:1.6rem;margin:.6rem 0 .2rem}h2{font-size:1.2rem;margin:1.8rem 0 .5rem;border-bottom:2px solid var(--line);padding-bottom:.2rem}
        .sub{color:var(--muted);margin:0 0 1rem}
        .kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:.8rem;margin:1rem 0}
        .kpi{border:1px solid var(--line);border-radius:6px;padding:.6rem .8rem}.kpi b{display:block;font-size:1.5rem}.kpi span{color:var(--muted);font-size:.85rem}
        .tablewrap{overflow-x:auto}
        table{border-collapse:collapse;width:100%;margin:.4rem 0 1rem;font-variant-numeric:tabular-nums}
        caption{text-align:left;color:var(--muted);font-size:.85rem;padding:.2rem 0}
        th,td{border-bottom:1px solid var(--line);padding:.3rem .5rem;text-align:left;vertical-align:top}
        thead th{border-bottom:2px solid var(--ink);font-size:.85rem}
        .num{text-align:right;white-space:nowrap}
        table.wide{font-size:.8rem}table.wide th,table.wide td{padding:.3rem .28rem}td{min-width:3.5rem}table.wide td{min-width:0}table.wide thead th{font-size:.76rem;overflow-wrap:anywhere}table.wide tbody th{overflow-wrap:anywhere;min-width:5.6em}thead th.num{white-space:normal}
        .dl{margin-left:.6rem;font-size:.8rem}.dl a{margin-right:.4rem}
        .multiples{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:.8rem}
        figure{margin:0}figcaption{font-size:.85rem;font-weight:600}
        svg{display:block;max-width:100%;height:auto}
        svg text{font:11px system-ui,"DejaVu Sans",sans-serif;fill:var(--muted)}
        .legend{font-size:.85rem;color:var(--muted)}.swatch{display:inline-block;width:.9em;height:.9em;vertical-align:-.1em;margin:0 .3em 0 .8em}
        .status-complete{color:var(--ok)}.status-partial{color:#8a6d00}.status-stale,.status-missing{color:var(--warn);font-weight:600}
        .note{color:var(--muted);font-size:.85rem}
        .filters{display:flex;flex-wrap:wrap;gap:.3rem .9rem;margin:.6rem 0 1rem;font-size:.9rem}.filters b{font-weight:700}
        .pager{display:flex;flex-wrap:wrap;gap:.3rem .7rem;font-size:.9rem;margin:.2rem 0 1rem}
        th a{color:inherit}
        .login{max-width:360px;margin:3rem auto;border:1px solid var(--line);border-radius:8px;padding:1.2rem 1.4rem}
        .login label{display:block;margin:.8rem 0 .3rem;font-weight:600}
        .login input{width:100%;padding:.5rem;font:inherit;border:1px solid #8894a0;border-radius:4px}
        .login button{margin-top:1rem;padding:.5rem 1.2rem;font:inherit;background:var(--accent);color:#fff;border:0;border-radius:4px}
        .error{color:var(--warn);font-weight:600}
        footer{max-width:1100px;margin:0 auto;padding:1rem 1.2rem 2rem;color:var(--muted);font-size:.8rem;border-top:1px solid var(--line)}
        @media (max-width:860px){table.wide{font-size:.72rem}}
        @media print{table.wide{font-size:.72rem}.bar,.dl,.lang{display:none}body{font-size:11pt}main{max-width:none;padding:0}h2{break-after:avoid}figure,tr{break-inside:avoid}a{color:inherit;text-decoration:none}@page{size:A4;margin:15mm}}
        """
}

/// The login form the coordinator serves: a bearer token in, a session cookie out.
///
/// Why: people open reports in a browser; a browser cannot send an `Authorization` header from a
/// link, so the coordinator exchanges the token for an HttpOnly, SameSite=Strict session cookie.
/// The form posts `token` (and `next`, the page to return to) as
/// `application/x-www-form-urlencoded` to `action`.
public enum LoginPage {
    public static func render(
        action: String = "/login", next: String? = nil, error: String? = nil,
        language: ReportLanguage = .en
    ) -> String {
        let s = Strings(language)
        var body = "<div class=\"login\"><h1>\(HTML.escape(s.signIn))</h1>\n"
        body += "<p class=\"sub\">\(HTML.escape(s.signInHelp))</p>\n"
        if let error { body += "<p class=\"error\" role=\"alert\">\(HTML.escape(error))</p>\n" }
        body += "<form method=\"post\" action=\"\(HTML.escape(action))\">\n"
        body += "<label for=\"token\">\(HTML.escape(s.token))</label>\n"
        body += "<input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"off\" required autofocus>\n"
        if let next { body += "<input type=\"hidden\" name=\"next\" value=\"\(HTML.escape(next))\">\n" }
        body += "<button type=\"submit\">\(HTML.escape(s.signIn))</button>\n</form></div>"
        return HTML.document(title: s.signIn, language: language, body: body)
    }
}

/// A plain page with a title and one message (logged out, not found, server error).
///
/// Why: the coordinator's browser routes need readable error pages in the same look.
public enum MessagePage {
    public static func render(
        title: String, message: String, link: NavLink? = nil,
        language: ReportLanguage = .en
    ) -> String {
        var body = "<h1>\(HTML.escape(title))</h1>\n<p>\(HTML.escape(message))</p>\n"
        if let link { body += "<p><a href=\"\(HTML.escape(link.href))\">\(HTML.escape(link.title))</a></p>\n" }
        return HTML.document(title: title, language: language, body: body)
    }
}
