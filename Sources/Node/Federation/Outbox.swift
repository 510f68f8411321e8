public import Federation
public import Foundation
public import Indicators
internal import Storage

/// A week `push` could not queue, and why (the protocol's reason, naming zone, day and figure).
public struct UnqueuedWeek: Codable, Sendable, Hashable, CustomStringConvertible {
    public var from: DayNumber
    public var to: DayNumber
    public var reason: String

    public var description: String {
        "the week \(from)…\(to) was not queued: \(reason) Correct the data (import the fixed file with --replace) and push again"
    }
}

/// One submission in the node's outbox.
public struct OutboxEntry: Codable, Sendable, Hashable {
    /// The network it goes to; sequence numbers count per network.
    public var network: String
    public var sequence: Int
    public var submissionId: String
    public var tenant: String
    public var periodFrom: DayNumber
    public var periodTo: DayNumber
    /// `queued` (not yet acknowledged), `acknowledged`, or `refused` (with `lastError`).
    public var state: String
    public var attempts: Int
    public var lastError: String?
    public var receipt: String?
    public var createdAt: String
    public var bytes: Int
}

extension NodeStore {
    /// The node's active signing key, read from its 0600 file.
    public func signingKey() throws -> Ed25519.PrivateKey {
        let file = directory.appendingPathComponent(try meta("key_file") ?? "keys/signing.key")
        let text: String
        do { text = try String(contentsOf: file, encoding: .utf8) } catch {
            throw NodeError(.io, "cannot read the signing key \(file.path): \(error.localizedDescription). Check the file's owner and mode (0600)")
        }
        guard let seed = Hex.decode(text.trimmingCharacters(in: .whitespacesAndNewlines)), seed.count == 32 else {
            throw NodeError(.io, "\(file.path) is not a TownBench signing key (64 hex characters); restore it from a backup")
        }
        return try Ed25519.PrivateKey(seed: seed)
    }

    /// Sets node settings used by `push` and reports (`coordinator_url`, privacy minimums, …).
    public func setSetting(_ key: String, _ value: String) throws {
        try db.run("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                   [.text(key), .text(value)])
    }

    /// A stored setting.
    public func setting(_ key: String) throws -> String? { try meta(key) }

    /// The periods the node submits: ISO weeks (Monday–Sunday, local days) from the first day with
    /// data to the last complete day (`through`, default yesterday in the town's zone).
    public func submissionPeriods(through last: DayNumber? = nil) throws -> [ClosedRange<DayNumber>] {
        guard let range = try dataRange() else { return [] }
        let clock = LocalClock(timeZone: timeZone)
        let yesterday = clock.local(Int64(Date().timeIntervalSince1970)).day - 1
        let end = min(range.upperBound, last ?? yesterday)
        var monday = range.lowerBound - (range.lowerBound.isoWeekday - 1)
        var periods: [ClosedRange<DayNumber>] = []
        // Only supported days leave the node (PROTOCOL.md §4.4); the first week of the range is cut.
        let supported = DayNumber.supportedRange
        while monday <= min(end, supported.upperBound) {
            if monday + 6 >= supported.lowerBound {
                periods.append(max(monday, supported.lowerBound)...min(monday + 6, end, supported.upperBound))
            }
            monday = monday + 7
        }
        return periods
    }

    /// Builds, signs and queues a submission for every period whose aggregates differ from those
    /// last queued or acknowledged for it (a first submission, or a correction), for each of
    /// `networks` (default: all). Everything is written to the outbox in one transaction before
    /// anything is sent. Returns the new entries; throws ``NodeError`` naming the first week that
    /// could not be built (the good weeks are queued all the same: see
    /// ``queueSubmissionsReporting(through:now:networks:)``).
    @discardableResult
    public func queueSubmissions(through last: DayNumber? = nil, now: Date = Date(), networks: [Network]? = nil) throws -> [OutboxEntry] {
        let outcome = try queueSubmissionsReporting(through: last, now: now, networks: networks)
        if let first = outcome.unqueued.first { throw NodeError(.badInput, first.description) }
        return outcome.queued
    }

    /// Like ``queueSubmissions(through:now:networks:)``, but a week whose aggregates the protocol
    /// refuses (data imported before a rule existed, an implausible daily sum) is reported, not
    /// thrown: one bad week never keeps the others from being queued.
    ///
    /// Each network gets the week's zones after its OWN privacy policy, its own sequence numbers
    /// and submission ids: what one network's stricter policy suppresses never reaches it, however
    /// lenient another network's is.
    public func queueSubmissionsReporting(through last: DayNumber? = nil, now: Date = Date(), networks: [Network]? = nil) throws
        -> (queued: [OutboxEntry], unqueued: [UnqueuedWeek]) {
        let networks = try networks ?? self.networks()
        let key = try signingKey()
        var queued: [String: [Int]] = [:]
        var unqueued: [UnqueuedWeek] = []
        func refuse(_ week: UnqueuedWeek) { if !unqueued.contains(week) { unqueued.append(week) } }
        if let range = try dataRange(), range.lowerBound < DayNumber.supportedRange.lowerBound {
            refuse(UnqueuedWeek(
                from: range.lowerBound, to: min(range.upperBound, DayNumber.supportedRange.lowerBound - 1),
                reason: "the store holds data on days before \(DayNumber.supportedRange.lowerBound), outside the supported dates \(DayNumber.supportedRangeText); they are never sent (imports now refuse such dates)."))
        }
        guard !networks.isEmpty else { return ([], unqueued) }
        try db.transaction {
            var sequences: [String: Int] = [:]
            for network in networks {
                sequences[network.name] = try db.queryFirst("SELECT coalesce(max(sequence), 0) AS last FROM outbox WHERE network = ?",
                                                            [.text(network.name)])?.int("last") ?? 0
            }
            // Judged once over the whole history: data arriving later can make a day of a week already
            // sent a flatline, and then that week's aggregates differ and it is sent again as a correction.
            let flatlines = try flatlineSensorDays()
            for period in try submissionPeriods(through: last) {
                let raw = try aggregateZones(period: period, flatlines: flatlines)
                for network in networks {
                    let sequence = (sequences[network.name] ?? 0) + 1
                    let zones = applyPrivacy(of: network, to: raw, period: period)
                    let envelope: [UInt8]
                    let digest: String
                    let payload: AggregatePayload
                    do {
                        guard !zones.isEmpty else { continue }
                        digest = Hex.encode(SHA256.hash(try CanonicalJSON.encode(zones)))
                        let latest = try db.queryFirst("""
                            SELECT content_digest FROM outbox WHERE network = ? AND tenant = ? AND period_from = ? AND period_to = ?
                            AND state != 'refused' ORDER BY sequence DESC LIMIT 1
                            """, [.text(network.name), .text(network.tenant), .int(period.lowerBound.rawValue), .int(period.upperBound.rawValue)])
                        if try latest?.string("content_digest") == digest { continue }
                        payload = AggregatePayload(
                            tenantId: network.tenant, townId: settings.town, keyId: key.publicKey.keyID,
                            submissionId: try SubmissionID.random(), sequence: sequence, createdAt: Timestamp.format(now),
                            period: .init(from: period.lowerBound.description, to: period.upperBound.description),
                            timeZone: settings.timeZone, privacy: network.privacy, zones: zones)
                        envelope = try payload.signedEnvelope(with: key).serialized()
                    } catch let error as FederationError where error.code == .invalidPayload {
                        refuse(UnqueuedWeek(from: period.lowerBound, to: period.upperBound, reason: error.message))
                        continue
                    }
                    sequences[network.name] = sequence
                    try db.run("""
                        INSERT INTO outbox (network, sequence, submission_id, tenant, period_from, period_to, content_digest, envelope, created_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, [.text(network.name), .int(sequence), .text(payload.submissionId), .text(network.tenant),
                              .int(period.lowerBound.rawValue), .int(period.upperBound.rawValue), .text(digest), .blob(envelope),
                              .text(payload.createdAt)])
                    queued[network.name, default: []].append(sequence)
                }
            }
        }
        return (try outbox().filter { queued[$0.network]?.contains($0.sequence) ?? false }, unqueued)
    }

    /// Every outbox entry of `network` (default: every network), by network, oldest first.
    public func outbox(network: String? = nil) throws -> [OutboxEntry] {
        try db.query("""
            SELECT network, sequence, submission_id, tenant, period_from, period_to, state, attempts, last_error, receipt, created_at,
                length(envelope) AS bytes
            FROM outbox WHERE ?1 IS NULL OR network = ?1 ORDER BY network, sequence
            """, [.optional(network)]).map { row in
            OutboxEntry(network: try row.string("network"), sequence: try row.int("sequence"), submissionId: try row.string("submission_id"),
                        tenant: try row.string("tenant"), periodFrom: DayNumber(try row.int("period_from")),
                        periodTo: DayNumber(try row.int("period_to")), state: try row.string("state"), attempts: try row.int("attempts"),
                        lastError: try row.optionalString("last_error"), receipt: try row.optionalString("receipt"),
                        createdAt: try row.string("created_at"), bytes: try row.int("bytes"))
        }
    }

    /// The exact bytes of a queued or sent submission of `network`.
    public func envelopeBytes(sequence: Int, network: String = Network.defaultName) throws -> [UInt8] {
        guard let row = try db.queryFirst("SELECT envelope FROM outbox WHERE network = ? AND sequence = ?",
                                          [.text(network), .int(sequence)]) else {
            throw NodeError(.invalidArgument, "no outbox entry \(sequence) of network '\(network)'")
        }
        return try row.bytes("envelope")
    }

    func recordAttempt(_ entry: OutboxEntry, state: String, error: String?, receipt: String?) throws {
        try db.run("""
            UPDATE outbox SET attempts = attempts + 1, state = ?, last_error = ?, receipt = coalesce(?, receipt),
                done_at = CASE WHEN ? = 'queued' THEN NULL ELSE datetime('now') END WHERE network = ? AND sequence = ?
            """, [.text(state), .optional(error), .optional(receipt), .text(state), .text(entry.network), .int(entry.sequence)])
    }

    /// The aggregates of one period exactly as `push` would sign them, as canonical JSON
    /// (`townbench-node aggregates`): what would leave the machine, byte for byte, minus the header
    /// fields chosen at queue time (submission id, sequence, created-at, key id).
    /// For `network` (default: ``defaultNetwork()``), after its privacy policy.
    public func previewPayload(period: ClosedRange<DayNumber>, network: Network? = nil) throws -> [UInt8] {
        let network = try network ?? defaultNetwork()
        let payload = AggregatePayload(
            tenantId: network.tenant, townId: settings.town, keyId: try signingKey().publicKey.keyID,
            submissionId: String(repeating: "0", count: 32), sequence: 1, createdAt: Timestamp.format(Date()),
            period: .init(from: period.lowerBound.description, to: period.upperBound.description),
            timeZone: settings.timeZone, privacy: network.privacy, zones: try aggregateZones(period: period, network: network))
        return try payload.canonicalBytes()
    }

    /// The enrolment request for this node's key (to hand to the coordinator's operator).
    /// For `network`'s tenant (default: ``defaultNetwork()``): each network enrols the one key.
    public func enrolmentRequest(now: Date = Date(), network: Network? = nil) throws -> [UInt8] {
        try EnrolmentRequest.signed(tenantId: try (network ?? defaultNetwork()).tenant, townId: settings.town, key: try signingKey(), createdAt: now).serialized()
    }

    /// Creates a new signing key and a rotation statement signed by the old key (and the new one)
    /// for each network's tenant (they all enrolled the one key), makes the new key active, and
    /// returns the statements for the coordinators' operators, by network name. The old key file
    /// is kept (renamed) so earlier submissions can still be explained.
    public func rotateKey(now: Date = Date()) throws -> [(network: String, statement: [UInt8])] {
        // Queued submissions carry the old key id and signature; the coordinator accepts them only
        // while the old key is current, so deliver them first.
        let queued = try db.queryFirst("SELECT count(*) AS queued FROM outbox WHERE state = 'queued'")?.int("queued") ?? 0
        guard queued == 0 else {
            throw NodeError(.invalidArgument, "\(queued) submission(s) signed with the current key are still queued; run `townbench-node push` until the outbox is delivered, then rotate")
        }
        let old = try signingKey()
        let new = try Ed25519.PrivateKey()
        let networks = try self.networks()
        let tenants = networks.isEmpty ? [(Network.defaultName, settings.tenant)] : networks.map { ($0.name, $0.tenant) }
        let statements = try tenants.map { name, tenant in
            (name, try KeyRotationStatement.signed(tenantId: tenant, townId: settings.town, oldKey: old, newKey: new, createdAt: now).serialized())
        }
        let relative = "keys/\(new.publicKey.keyID).key"
        try NodeStore.writeSecret(Hex.encode(try new.seed()) + "\n", to: directory.appendingPathComponent(relative))
        try db.transaction {
            try setSetting("key_file", relative)
            try setSetting("key_id", new.publicKey.keyID)
        }
        return statements
    }
}
