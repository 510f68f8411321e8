// Peer groups (issue 17): the store on both backends, the CSV import, the CLI, and the region and
// town pages' group filter, sort and paging through the served routes.
@testable import Coordinator
import Federation
import Foundation
import Reports
import Testing
import TestSupport

@Suite("Peer groups")
struct PeerGroupTests {
    static let a = Fixture.tenantA
    static let b = Fixture.tenantB

    static func tenantWithTowns(_ store: any CoordinatorStore) throws {
        try store.addTenant(Tenant(id: a, name: "A"))
        try store.addTenant(Tenant(id: b, name: "B"))
        for town in ["oostkamp", "veurne", "diksmuide", "brugge"] { try store.addTown(Town(id: town, name: town.capitalized), .administrative(a)) }
        try store.addTown(Town(id: "ronse", name: "Ronse"), .administrative(b))
    }

    @Test("set, replace, list, remove; a town in several groups; other tenants see none", arguments: StoreBackend.available)
    func storeRoundTrip(_ backend: StoreBackend) throws {
        let storage = try BackendStore(backend)
        let store = storage.store
        try Self.tenantWithTowns(store)
        let scope = TenantScope.administrative(Self.a)
        try store.setPeerGroups([PeerGroup(name: "  Small towns West Flanders ", towns: ["veurne", "oostkamp", "veurne"]),
                                 PeerGroup(name: "Centre cities", towns: ["brugge"])], scope)
        #expect(try store.peerGroups(scope) == [PeerGroup(name: "Centre cities", towns: ["brugge"]),
                                                PeerGroup(name: "Small towns West Flanders", towns: ["oostkamp", "veurne"])])
        // Setting a group replaces its towns and leaves the others; a town may be in both.
        try store.setPeerGroups([PeerGroup(name: "Centre cities", towns: ["brugge", "oostkamp"])], scope)
        #expect(try store.peerGroups(scope).map(\.towns) == [["brugge", "oostkamp"], ["oostkamp", "veurne"]])
        #expect(try store.peerGroups(.administrative(Self.b)).isEmpty)
        #expect(try storage.reopen().peerGroups(scope).count == 2)
        try store.removePeerGroup(named: "Centre cities", scope)
        #expect(try store.peerGroups(scope).map(\.name) == ["Small towns West Flanders"])
        let missing = #expect(throws: CoordinatorError.self) { try store.removePeerGroup(named: "Centre cities", scope) }
        #expect(missing?.code == .notFound)
        #expect(missing?.message.contains("has no peer group \"Centre cities\"") == true)
    }

    @Test("unknown towns, another tenant's town, empty and repeated names are errors and change nothing", arguments: StoreBackend.available)
    func storeRefusals(_ backend: StoreBackend) throws {
        let storage = try BackendStore(backend)
        let store = storage.store
        try Self.tenantWithTowns(store)
        let scope = TenantScope.administrative(Self.a)
        try store.setPeerGroups([PeerGroup(name: "Coast", towns: ["veurne"])], scope)
        let before = try store.peerGroups(scope)
        // One good group and one with unknown towns in the same call: neither is written.
        let unknown = #expect(throws: CoordinatorError.self) {
            try store.setPeerGroups([PeerGroup(name: "Coast", towns: ["oostkamp"]),
                                     PeerGroup(name: "Inland", towns: ["diksmuide", "ronse", "nowhere"])], scope)
        }
        #expect(unknown?.code == .notFound)
        #expect(unknown?.message.contains("Peer group \"Inland\": towns nowhere, ronse are not in tenant \(Self.a)") == true, "\(unknown?.message ?? "")")
        #expect(try store.peerGroups(scope) == before)
        for (groups, expected) in [([PeerGroup(name: " \t", towns: ["veurne"])], "needs a name"),
                                   ([PeerGroup(name: "Coast", towns: [])], "has no towns"),
                                   ([PeerGroup(name: "A\nB", towns: ["veurne"])], "control character"),
                                   ([PeerGroup(name: "X", towns: ["veurne"]), PeerGroup(name: " X", towns: ["brugge"])], "is given twice")] {
            let error = #expect(throws: CoordinatorError.self) { try store.setPeerGroups(groups, scope) }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message.contains(expected) == true, "\(error?.message ?? "")")
        }
        #expect(try store.peerGroups(scope) == before)
        // The stored "Coast" counts towards the limit; setting it again does not add a group.
        let many = (1..<PeerGroup.maximumGroups).map { PeerGroup(name: "G\($0)", towns: ["veurne"]) }
        let tooMany = #expect(throws: CoordinatorError.self) { try store.setPeerGroups(many + [PeerGroup(name: "Extra", towns: ["veurne"])], scope) }
        #expect(tooMany?.code == .invalidArgument)
        #expect(tooMany?.message.contains("would have \(PeerGroup.maximumGroups + 1) peer groups; at most \(PeerGroup.maximumGroups)") == true, "\(tooMany?.message ?? "")")
        #expect(try store.peerGroups(scope) == before)
        try store.setPeerGroups(many + [PeerGroup(name: "Coast", towns: ["veurne"])], scope)
        #expect(try store.peerGroups(scope).count == PeerGroup.maximumGroups)
    }

    @Test("CSV: header, quotes, CRLF, blank lines; errors name file and line")
    func csv() throws {
        let groups = try PeerGroup.parseCSV(
            "group,town\r\n\"Small towns, coast\",veurne\r\nCentre cities,brugge\n\n\"Small towns, coast\", oostkamp\n\"Say \"\"hi\"\"\",x\n",
            source: "g.csv")
        #expect(groups == [PeerGroup(name: "Small towns, coast", towns: ["oostkamp", "veurne"]),
                           PeerGroup(name: "Centre cities", towns: ["brugge"]), PeerGroup(name: "Say \"hi\"", towns: ["x"])])
        for (text, expected) in [("a,b,c\n", "g.csv:1: expected 2 fields (group,town), found 3"),
                                 ("group,town\n,veurne\n", "g.csv:2: A peer group needs a name"),
                                 ("Coast,\n", "g.csv:1: the town is empty"),
                                 ("\"Coast,veurne\n", "g.csv:1: a quote is not closed"),
                                 ("\"Coast\"x,veurne\n", "g.csv:1: text after a closing quote"),
                                 ("group,town\n\n", "g.csv holds no group,town lines")] {
            let error = #expect(throws: CoordinatorError.self) { try PeerGroup.parseCSV(text, source: "g.csv") }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message.hasPrefix(expected) == true, "\(error?.message ?? "")")
        }
    }

    @Test("townbench-coordinator peer-groups set, import, list, remove; bad input exits non-zero and changes nothing")
    func commandLine() throws {
        try withTemporaryDirectory { dir in
            _ = try ProcessTests.setUp(dir, towns: ["oostkamp", "veurne", "brugge"])
            let path = dir.appendingPathComponent("coord").path
            func run(_ arguments: [String]) throws -> ProcessResult {
                try ProcessTests.run(["peer-groups"] + Array(arguments.prefix(1)) + ["--dir", path, "--tenant", ProcessTests.tenant] + arguments.dropFirst())
            }
            let set = try run(["set", "--group", "Centre cities", "--towns", "brugge"])
            #expect(set.status == 0 && set.stdout == "Peer group \"Centre cities\" of tenant \(ProcessTests.tenant): 1 towns.\n", "\(set.stderr)")
            let csv = dir.appendingPathComponent("groups.csv")
            try Data("group,town\n\"Small towns, coast\",veurne\n\"Small towns, coast\",oostkamp\n".utf8).write(to: csv)
            let imported = try run(["import", csv.path])
            #expect(imported.status == 0 && imported.stdout.contains("Set 1 peer groups"), "\(imported.stderr)")
            let list = try run(["list"])
            #expect(list.stdout == "Centre cities (1): brugge\nSmall towns, coast (2): oostkamp, veurne\n")
            let json = try run(["list", "--json"])
            #expect(json.status == 0 && json.stdout.contains("\"name\" : \"Small towns, coast\""))
            // A file naming an unknown town changes nothing (exit 1, the message names it).
            try Data("Centre cities,gent\nCoast,veurne\n".utf8).write(to: csv)
            let unknown = try run(["import", csv.path])
            #expect(unknown.status == 1 && unknown.stderr.contains("town gent is not in tenant"), "\(unknown.stderr)")
            try Data("Coast,veurne,extra\n".utf8).write(to: csv)
            let malformed = try run(["import", csv.path])
            #expect(malformed.status == 64 && malformed.stderr.contains("\(csv.path):1: expected 2 fields"), "\(malformed.stderr)")
            let empty = try run(["set", "--group", " ", "--towns", "brugge"])
            #expect(empty.status == 64 && empty.stderr.contains("needs a name"), "\(empty.stderr)")
            let noTowns = try run(["set", "--group", "X", "--towns", ","])
            #expect(noTowns.status == 64 && noTowns.stderr.contains("--towns must list town ids"), "\(noTowns.stderr)")
            #expect(try run(["list"]).stdout == list.stdout)
            #expect(try run(["remove", "--group", "Centre cities"]).status == 0)
            let again = try run(["remove", "--group", "Centre cities"])
            #expect(again.status == 1 && again.stderr.contains("has no peer group \"Centre cities\""))
            #expect(try run(["list"]).stdout == "Small towns, coast (2): oostkamp, veurne\n")
        }
    }

    // MARK: Pages

    static func groupedFixture() throws -> Fixture {
        let fixture = try PageTests.populated()
        try fixture.store.setPeerGroups([PeerGroup(name: "Coast & polders", towns: ["veurne", "diksmuide", "oostkamp"]),
                                         PeerGroup(name: "Pair", towns: ["veurne", "oostkamp"])], .administrative(Self.a))
        return fixture
    }

    @Test("region page: group filter links, the chosen group's table and charts, sort links; bad values are clear errors")
    func regionPage() throws {
        let fixture = try Self.groupedFixture()
        let cookie = try PageTests.session(fixture, "\(Self.a)/coordinator")
        let all = try PageTests.page(fixture, "/tenants/\(Self.a)/region?period=2026-11&lang=en", cookie: cookie)
        #expect(all.status == 200, "\(all.bodyText)")
        let html = all.bodyText
        // Filters are plain links that keep the period and language.
        #expect(html.contains("<b aria-current=\"page\">All towns (3)</b>"))
        #expect(html.contains("<a href=\"?period=2026-11&amp;lang=en&amp;group=Coast%20%26%20polders\">Coast &amp; polders (3)</a>"))
        // Every town is a dot of the ranked chart, with its name and index.
        #expect(html.contains("<title>1. Oostkamp · 123,4</title>") && html.contains("<title>3. Veurne · 90,0</title>"))
        // Sort links on the table; index sorts high to low first.
        #expect(html.contains("<a href=\"?period=2026-11&amp;lang=en&amp;sort=-index\">Footfall index</a>"))
        #expect(html.contains("Page 1 of 1 · towns 1–3 of 3"))
        // The two-town group's median is withheld (fewer than 3 towns), the three-town one's is 105.
        #expect(html.contains("<th scope=\"row\">Pair</th><td class=\"num\">2</td><td class=\"num\">2</td><td class=\"num\">–</td>"))
        #expect(html.contains("<th scope=\"row\">Coast &amp; polders</th><td class=\"num\">3</td><td class=\"num\">3</td><td class=\"num\">105,0</td>"))

        let pair = try PageTests.page(fixture, "/tenants/\(Self.a)/region?period=2026-11&group=Pair&sort=-index", cookie: cookie).bodyText
        #expect(pair.contains("<b aria-current=\"page\">Pair (2)</b>"))
        // The table holds the group's towns only, highest index first; two small multiples.
        let oostkamp = try #require(pair.range(of: "<th scope=\"row\">1</th><td>Oostkamp</td>"))
        let veurne = try #require(pair.range(of: "<th scope=\"row\">3</th><td>Veurne</td>"))
        #expect(oostkamp.lowerBound < veurne.lowerBound)
        #expect(!pair.contains("<td>Diksmuide</td>"))
        #expect(pair.components(separatedBy: "<figure>").count - 1 == 2)
        let ascending = try PageTests.page(fixture, "/tenants/\(Self.a)/region?period=2026-11&group=Pair&sort=index", cookie: cookie).bodyText
        #expect(try #require(ascending.range(of: "<td>Veurne</td>")).lowerBound < (try #require(ascending.range(of: "<td>Oostkamp</td>"))).lowerBound)

        let unknown = try PageTests.page(fixture, "/tenants/\(Self.a)/region?group=Inland", cookie: cookie)
        #expect(unknown.status == 404)
        #expect(unknown.bodyText.contains("This tenant has no peer group &quot;Inland&quot;. Its groups: &quot;Coast &amp; polders&quot;, &quot;Pair&quot;."))
        let sort = try PageTests.page(fixture, "/tenants/\(Self.a)/region?sort=size", cookie: cookie)
        #expect(sort.status == 400 && sort.bodyText.contains("sort must be one of rank, town, index, change, completeness, status"))
        let page = try PageTests.page(fixture, "/tenants/\(Self.a)/region?period=2026-11&page=2", cookie: cookie)
        #expect(page.status == 400 && page.bodyText.contains("page must be a whole number 1…1 (3 towns, 50 a page); not &#39;2&#39;."), "\(page.bodyText)")
    }

    @Test("town page: the town against the network and each of its own groups, naming no peer")
    func townPage() throws {
        let fixture = try Self.groupedFixture()
        let cookie = try PageTests.session(fixture, "\(Self.a)/town:veurne")
        let html = try PageTests.page(fixture, "/tenants/\(Self.a)/towns/veurne?period=2026-11", cookie: cookie).bodyText
        #expect(html.contains("<section id=\"groups\"><h2>Against its peer groups</h2>"))
        // Network: 3 towns, median 105, Veurne 90 ranked 3rd; in "Coast & polders" (3 towns) also 3rd;
        // in "Pair" (2 towns) the median is withheld and Veurne is 2nd.
        #expect(html.contains("<th scope=\"row\">Whole network</th><td class=\"num\">3</td><td class=\"num\">105,0</td><td class=\"num\">–</td><td class=\"num\">–</td><td class=\"num\">90,0</td><td class=\"num\">3</td>"))
        #expect(html.contains("<th scope=\"row\">Coast &amp; polders</th><td class=\"num\">3</td><td class=\"num\">105,0</td><td class=\"num\">–</td><td class=\"num\">–</td><td class=\"num\">90,0</td><td class=\"num\">3</td>"))
        #expect(html.contains("<th scope=\"row\">Pair</th><td class=\"num\">2</td><td class=\"num\">–</td><td class=\"num\">–</td><td class=\"num\">–</td><td class=\"num\">90,0</td><td class=\"num\">2</td>"))
        #expect(!html.contains("Oostkamp") && !html.contains("Diksmuide"))
        // A town outside every group gets no group section.
        try fixture.store.removePeerGroup(named: "Pair", .administrative(Self.a))
        try fixture.store.setPeerGroups([PeerGroup(name: "Coast & polders", towns: ["oostkamp", "diksmuide"])], .administrative(Self.a))
        let none = try PageTests.page(fixture, "/tenants/\(Self.a)/towns/veurne?period=2026-11", cookie: cookie).bodyText
        #expect(!none.contains("id=\"groups\""))
    }
}
