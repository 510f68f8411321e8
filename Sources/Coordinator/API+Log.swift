import Federation
import Foundation
import HTTPServer

/// The tenant's transparency log (PROTOCOL.md §8): checkpoints, inclusion and consistency proofs.
extension API {
    func registerLogRoutes(on router: inout Router) {
        let readers = API.readerRoles
        router.group("/v1/tenants/{tenant}", tags: API.tags(readers), middleware: data(readers)) { group in
            group.get("/log/checkpoint") { [self] request, _, principal in
                let size = try API.treeSize(request.query["treeSize"], name: "treeSize")
                if let size, try store.storedCheckpoint(treeSize: size, principal.scope) == nil, size != (try store.logHead(principal.scope).size) {
                    throw CoordinatorError(.notFound, "No checkpoint was signed at tree size \(size). Ask for the latest one without treeSize.")
                }
                return try API.json(try store.checkpoint(treeSize: size, signer: signer, principal.scope))
            }
            group.get("/log/inclusion") { [self] request, _, principal in
                try API.json(try inclusion(request, principal))
            }
            group.get("/log/consistency") { [self] request, _, principal in
                let head = try store.logHead(principal.scope)
                guard let from = try API.treeSize(request.query["from"], name: "from") else {
                    throw CoordinatorError(.invalidArgument, "Give from=N (the tree size you hold) and optionally to=M (default: the current size).")
                }
                let to = try API.treeSize(request.query["to"], name: "to") ?? head.size
                guard from > 0, from <= to, to <= head.size else {
                    throw CoordinatorError(.invalidArgument, "Need 0 < from ≤ to ≤ \(head.size) (the log's size); got from=\(from), to=\(to).")
                }
                return try API.json(try store.consistencyProof(from: from, to: to, principal.scope))
            }
        }
    }

    static func treeSize(_ text: String?, name: String) throws -> UInt64? {
        guard let text else { return nil }
        // At most Int64.max: the stores keep sizes as signed 64-bit integers.
        guard let value = UInt64(text), value <= UInt64(Int64.max) else {
            throw CoordinatorError(.invalidArgument, "\(name) must be a log size (digits only, at most \(Int64.max), e.g. 1024), not '\(text)'.")
        }
        return value
    }

    /// The inclusion proof of one submission (`submission` + `town`, or `leafHash`) at `treeSize`
    /// (default: the current size). A town may only ask about its own submissions: any other
    /// answers 404, exactly as a submission that is not in the log.
    func inclusion(_ request: HTTPRequest, _ principal: Principal) throws -> TransparencyLog.InclusionProof {
        let notFound = CoordinatorError(.notFound, "That submission is not in this tenant's log (or not yours).")
        let entry: LogEntry?
        if let submission = request.query["submission"] {
            let town: String
            if principal.role == .town, let own = principal.townID {
                guard request.query["town"] == nil || request.query["town"] == own else { throw notFound }
                town = own
            } else {
                guard let given = request.query["town"] else {
                    throw CoordinatorError(.invalidArgument, "Give town=TOWN_ID with submission=ID (submission ids are unique per town).")
                }
                town = given
            }
            entry = try store.logEntry(town: town, submissionID: submission, principal.scope)
        } else if let text = request.query["leafHash"] {
            guard let hash = Base64.decode(text), hash.count == 32 else {
                throw CoordinatorError(.invalidArgument, "leafHash must be the base64 of a 32-byte SHA-256 leaf hash.")
            }
            entry = try store.logEntry(leafHash: hash, principal.scope)
        } else {
            throw CoordinatorError(.invalidArgument, "Give submission=ID (and town=TOWN_ID unless you are the town) or leafHash=BASE64.")
        }
        guard let entry, principal.role != .town || entry.townID == principal.townID else { throw notFound }
        let head = try store.logHead(principal.scope)
        let size = try API.treeSize(request.query["treeSize"], name: "treeSize") ?? head.size
        guard size <= head.size else {
            throw CoordinatorError(.invalidArgument, "The log has \(head.size) entries; there is no tree of size \(size).")
        }
        guard entry.leafIndex < size else {
            throw CoordinatorError(.invalidArgument, "That submission is leaf \(entry.leafIndex), appended after tree size \(size); ask for a larger treeSize.")
        }
        return try store.inclusionProof(of: entry, treeSize: size, principal.scope)
    }
}
