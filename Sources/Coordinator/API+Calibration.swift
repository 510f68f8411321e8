import Federation
import Foundation
import HTTPServer
import Indicators

/// `GET /v1/tenants/{tenant}/calibration`: how well a town's data can tell an event's effect
/// (issue 18), the placebo test of event-uplift v2 at the coordinator (``NetworkCalibration``).
extension API {
    func registerCalibrationRoutes(on router: inout Router) {
        let all = API.allRoles
        router.group("/v1/tenants/{tenant}", tags: API.tags(all), middleware: data(all)) { group in
            group.get("/calibration") { [self] request, _, principal in
                let query = request.query
                // A town reads its own calibration only; asked for another, it is refused before the
                // town is looked up, so the answer says nothing of whether that town exists.
                let town = query["town"] ?? principal.townID
                if principal.role == .town, let town, town != principal.townID {
                    throw CoordinatorError(.forbidden, "A town token reads its own town's calibration only; leave out town= to read yours.")
                }
                let question = try NetworkCalibration.Question(
                    town: town, zone: query["zone"], period: query["period"], from: query["from"], to: query["to"],
                    level: query["level"], now: clock())
                return try API.json(try NetworkCalibration.compute(question, store: store, principal.scope))
            }
        }
    }
}
