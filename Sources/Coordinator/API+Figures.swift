import Federation
import Foundation
import HTTPServer
import Indicators

/// The tenant's towns, their submissions, the network figures and the signed report.
extension API {
    func registerFigureRoutes(on router: inout Router) {
        let regional = API.regionalRoles, all = API.allRoles, readers = API.readerRoles
        router.group("/v1/tenants/{tenant}", tags: API.tags(regional), middleware: data(regional)) { group in
            group.get("/towns") { [self] _, _, principal in
                try API.json(["towns": try store.towns(principal.scope)])
            }
        }
        router.group("/v1/tenants/{tenant}", tags: API.tags(all), middleware: data(all)) { group in
            group.get("/towns/{town}/submissions") { [self] _, parameters, principal in
                let town = try visibleTown(parameters, principal)
                return try API.json(["submissions": try store.submissions(town: town, principal.scope)])
            }
            group.get("/indicators") { [self] request, _, principal in
                let figures = try figures(request, principal)
                if let indicator = request.query["indicator"] {
                    guard figures.indicators[indicator] != nil else {
                        throw CoordinatorError(.invalidArgument, "Unknown indicator '\(indicator)'; use one of \(figures.indicators.keys.sorted().joined(separator: ", ")).")
                    }
                }
                return try API.json(figures)
            }
            group.get("/towns/{town}/comparison") { [self] request, parameters, principal in
                let town = try visibleTown(parameters, principal)
                let figures = try figures(request, principal)
                guard let own = figures.towns.first(where: { $0.town == town }) else {
                    throw CoordinatorError(.notFound, "No such town in this tenant.")
                }
                struct Comparison: Encodable {
                    var town: NetworkFigures.TownFigures
                    var network: NetworkFigures.Footfall
                    var peers: [NetworkFigures.TownFigures]
                    var conversionByZoneKind: [NetworkFigures.ZoneKindConversion]
                    var period: DayPeriod
                }
                return try API.json(Comparison(town: own, network: figures.footfall,
                                               peers: figures.towns.filter { $0.town != town }.map {
                                                   var peer = $0
                                                   peer.footfall = nil
                                                   peer.events = nil
                                                   peer.conversion = nil
                                                   return peer
                                               }, conversionByZoneKind: figures.conversionByZoneKind, period: figures.period))
            }
        }
        router.group("/v1/tenants/{tenant}", tags: API.tags(readers), middleware: data(readers)) { group in
            group.get("/report") { [self] request, _, principal in
                HTTPResponse.json(bytes: try report(request, principal))
            }
        }
    }

    /// `{town}` of the path if the principal may see it: a town only itself; others any town of the tenant.
    func visibleTown(_ parameters: RouteParameters, _ principal: Principal) throws -> String {
        let town = try parameters.require("town")
        if principal.role == .town, principal.townID != town {
            throw CoordinatorError(.notFound, "No such town in this tenant.")
        }
        guard try store.towns(principal.scope).contains(where: { $0.id == town }) else {
            throw CoordinatorError(.notFound, "No such town in this tenant.")
        }
        return town
    }

    /// The signed report for this principal's question, published at the snapshot's log size:
    /// the first answer is stored and every later ask of the same question at the same size gets
    /// the same bytes (`report recompute` checks them against the log). A new question draws on the
    /// token's ``ReportBudget`` (a 429 when it is spent), so no token can fill the store.
    func report(_ request: HTTPRequest, _ principal: Principal) throws -> [UInt8] {
        let (period, lag) = try API.question(request)
        guard let tenant = try store.tenant(principal.scope) else { throw CoordinatorError(.notFound, "No such tenant.") }
        // Not from ``FiguresCache``: a new report is computed from the store's rows as they are now, so
        // that `report recompute` can catch rows altered behind the log's back (LogTests).
        let figures = try NetworkIndicators.compute(principal.scope, store: store, origin: signer.origin(principal.tenantID),
                                                    period: period, lag: lag)
        let audience = NetworkReport.audience(for: principal, naming: tenant.peerNaming)
        let key = PublishedReportKey(treeSize: figures.checkpoint?.treeSize ?? 0, period: period, lag: lag,
                                     audience: NetworkReport.audienceKey(audience))
        if let published = try store.publishedReport(key, principal.scope) { return published.envelope }
        if let wait = reportBudget.take(principal.tokenID) {
            throw CoordinatorError(.tooManyRequests, "This token has asked for \(ReportBudget.capacity) new reports in a short time (each is signed and kept for good; then one more per \(Int(ReportBudget.interval)) s). A question already answered at this log size is free: ask it again. Retry after \(wait) s.",
                                   headers: ["Retry-After": String(wait)])
        }
        // The checkpoint the report names is signed and kept before the report is.
        _ = try store.checkpoint(treeSize: key.treeSize, signer: signer, principal.scope)
        let envelope = try NetworkReport.signed(figures: NetworkIndicators.view(figures, for: principal, naming: tenant.peerNaming),
                                                audience: audience, generatedAt: Timestamp.format(clock()), signingKey: self.key)
        return try store.publish(PublishedReport(key: key, envelope: envelope), principal.scope).envelope
    }

    /// The period and lag of an indicators or report request.
    static func question(_ request: HTTPRequest) throws -> (DayPeriod, Int) {
        let period = try DayPeriod.parse(period: request.query["period"], from: request.query["from"], to: request.query["to"]).get()
        var lag = FootfallIndex.defaultLag
        if let text = request.query["lag"] {
            guard let value = Int(text), value == 7 || value == 364 else {
                throw CoordinatorError(.invalidArgument, "lag must be 364 (year on year) or 7 (week on week).")
            }
            lag = value
        }
        return (period, lag)
    }

    func figures(_ request: HTTPRequest, _ principal: Principal) throws -> NetworkFigures {
        let (period, lag) = try API.question(request)
        guard let tenant = try store.tenant(principal.scope) else { throw CoordinatorError(.notFound, "No such tenant.") }
        let figures = try networkFigures(principal.scope, period: period, lag: lag)
        return NetworkIndicators.view(figures, for: principal, naming: tenant.peerNaming)
    }

    /// The tenant's figures for a period at the log's current size, from ``FiguresCache`` when
    /// they were computed at that size already (the log head is one small read).
    func networkFigures(_ scope: TenantScope, period: DayPeriod, lag: Int) throws -> NetworkFigures {
        let origin = signer.origin(scope.tenantID)
        var key = FiguresCache.Key(tenantID: scope.tenantID, origin: origin, from: period.from, to: period.to, lag: lag,
                                   treeSize: try store.logHead(scope).size)
        if let cached = figuresCache.figures(key) {
            metrics.increment(CoordinatorService.figuresMetric, labels: ["source": "cached"])
            return cached
        }
        let figures = try NetworkIndicators.compute(scope, store: store, origin: origin, period: period, lag: lag)
        metrics.increment(CoordinatorService.figuresMetric, labels: ["source": "computed"])
        // The snapshot computed from may be newer than the head read above: key it by its own size.
        key.treeSize = figures.checkpoint?.treeSize ?? key.treeSize
        figuresCache.store(figures, key)
        return figures
    }
}
