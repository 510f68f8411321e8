public import Federation
public import Foundation

/// The coordinator's storage: tenants, towns, keys, tokens, submissions and the daily aggregates
/// extracted from them. Every method takes a ``TenantScope``; every row carries its tenant.
///
/// Why a protocol: SQLite (``SQLiteCoordinatorStore``) is the embedded default; a PostgreSQL
/// backend (issue 7) implements the same methods on libpq. The contract is written so that it
/// can: ``commit(_:at:)`` is one transaction whose COMMIT is durable before it returns (SQLite WAL
/// with `synchronous=FULL`; PostgreSQL's default `synchronous_commit=on`), it re-checks the
/// replay and sequence rules *inside* that transaction (unique keys (tenant, town, submission id)
/// and (tenant, town, sequence) back them up, so two processes on one database can never both
/// win a sequence number), and it appends each stored submission to its tenant's transparency
/// log (issue 9) in the same transaction: the leaf index is the acceptance order (per town it
/// agrees with the sequence; across towns, with several PostgreSQL writers, it may differ from
/// the row id).
///
/// Implementations must be safe to call from many threads; ``commit(_:at:)`` is called from one
/// writer thread at a time.
public protocol CoordinatorStore: Sendable {
    /// Closes the store's connections; the store must not be used afterwards. Throws if a
    /// connection could not be closed cleanly (committed data is safe either way).
    func close() throws

    // MARK: Tenants and towns (admin)
    func addTenant(_ tenant: Tenant) throws
    func tenant(_ scope: TenantScope) throws -> Tenant?
    func updateTenant(_ tenant: Tenant, _ scope: TenantScope) throws
    func addTown(_ town: Town, _ scope: TenantScope) throws
    func towns(_ scope: TenantScope) throws -> [Town]

    // MARK: Peer groups (issue 17; PeerGroups.swift)
    /// Sets each group of `groups` to exactly its towns, in one transaction; other groups stay.
    /// Throws `invalid_argument` for an empty or repeated name, `not_found` for a town not in the tenant.
    func setPeerGroups(_ groups: [PeerGroup], _ scope: TenantScope) throws
    /// The tenant's groups, by name.
    func peerGroups(_ scope: TenantScope) throws -> [PeerGroup]
    /// Removes a group. Throws `not_found` when the tenant has no group of that name.
    func removePeerGroup(named name: String, _ scope: TenantScope) throws

    // MARK: Keys
    /// Stores an approved key. Throws `already_exists` for a key id already in this tenant.
    func enrol(_ record: KeyRecord, _ scope: TenantScope) throws
    func keyRecord(id keyID: String, _ scope: TenantScope) throws -> KeyRecord?
    /// Replaces a key's status (revocation, rotation). Throws `not_found` for an unknown key.
    func updateKey(_ record: KeyRecord, _ scope: TenantScope) throws
    func keys(town townID: String, _ scope: TenantScope) throws -> [KeyRecord]
    /// Applies a verified rotation: `old` (now retired) and `new` (active) in one transaction.
    func rotate(_ old: KeyRecord, to new: KeyRecord, _ scope: TenantScope) throws

    // MARK: Tokens
    func addToken(_ token: TokenRecord) throws
    /// The token whose SHA-256 is `hash` (any tenant: the token *defines* the tenant).
    func token(hash: [UInt8]) throws -> TokenRecord?
    /// Revokes a token by id. Throws `not_found` for an unknown id.
    func revokeToken(id: String, at: Date) throws

    // MARK: Browser sessions (report pages)
    /// Stores `session`, first dropping its token's expired sessions and, when that token has
    /// `perToken` sessions or more, its oldest ones: one token can never evict another's.
    func addSession(_ session: SessionRecord, keepingAtMost perToken: Int, now: Date) throws
    /// The session whose id hashes to `idHash`, unless it expired by `now` (then it is removed).
    func session(idHash: [UInt8], now: Date) throws -> SessionRecord?
    /// Ends a session (logout, or its token is no longer valid); nothing happens if there is none.
    func removeSession(idHash: [UInt8]) throws

    // MARK: Submissions
    /// The state ``SubmissionCheck`` needs for (town, submission id) in this tenant.
    func submissionState(town townID: String, submissionID: String, _ scope: TenantScope) throws -> TownSubmissionState
    /// Stores a batch in one durable transaction, re-checking replay and sequence inside it;
    /// returns one outcome per input, in order. Throws only if the transaction as a whole failed
    /// (then nothing of the batch is stored).
    ///
    /// Each stored submission's exact body is appended to its tenant's transparency log in the
    /// same transaction (leaf index = acceptance order); with a `signer`, each touched tenant's
    /// new log state is signed as a checkpoint in that transaction too.
    func commit(_ batch: [VerifiedSubmission], at now: Date, signer: CheckpointSigner?) throws -> [CommitOutcome]
    func receipt(town townID: String, submissionID: String, _ scope: TenantScope) throws -> Receipt?
    func submissions(town townID: String, _ scope: TenantScope) throws -> [SubmissionSummary]
    /// The exact stored body of an accepted submission.
    func envelope(town townID: String, submissionID: String, _ scope: TenantScope) throws -> [UInt8]?
    func submissionCount(_ scope: TenantScope) throws -> Int

    // MARK: Transparency log (issue 9; PROTOCOL.md §8)
    /// The log's size and root (the empty log if nothing was accepted).
    func logHead(_ scope: TenantScope) throws -> LogHead
    /// Stored node hashes; a coordinate that is not stored is absent from the answer.
    func logNodes(_ coordinates: [LogNodeCoordinate], _ scope: TenantScope) throws -> [LogNodeCoordinate: [UInt8]]
    /// The stored checkpoint of `treeSize`, or the latest one when nil.
    func storedCheckpoint(treeSize: UInt64?, _ scope: TenantScope) throws -> TransparencyLog.SignedCheckpoint?
    /// Stores a checkpoint unless one of its size exists; returns the one stored for that size
    /// (checkpoints are kept, never replaced).
    func storeCheckpoint(_ checkpoint: TransparencyLog.SignedCheckpoint, _ scope: TenantScope) throws -> TransparencyLog.SignedCheckpoint
    /// The log entry of a town's submission, if it is in the log.
    func logEntry(town townID: String, submissionID: String, _ scope: TenantScope) throws -> LogEntry?
    /// The log entry whose leaf hash is `leafHash`, if any.
    func logEntry(leafHash: [UInt8], _ scope: TenantScope) throws -> LogEntry?
    /// Entries with leaf index in `range`, in leaf order.
    func logEntries(_ range: Range<UInt64>, _ scope: TenantScope) throws -> [LogEntry]
    /// The log head and the current aggregates as of exactly that head, in one read snapshot:
    /// sensor days of `measure` and zone days over `days`, conversion days over `conversionDays`.
    func networkInputs(measure: String, days: ClosedRange<Int>, conversionDays: ClosedRange<Int>, _ scope: TenantScope) throws
        -> NetworkInputs
    /// The same snapshot as ``networkInputs(measure:days:conversionDays:_:)`` as one panel per town
    /// (issue 17); a default builds it from those rows. With `values`, a store may fill only those
    /// days' values (the rest of `days` still decides which towns have data).
    func networkSeries(measure: String, days: ClosedRange<Int>, values: [ClosedRange<Int>]?, conversionDays: ClosedRange<Int>,
                       _ scope: TenantScope) throws -> NetworkSeries
    /// The report published for `key`, if any.
    func publishedReport(_ key: PublishedReportKey, _ scope: TenantScope) throws -> PublishedReport?
    /// Stores `report` unless one is published for its key; returns the one stored for that key.
    func publish(_ report: PublishedReport, _ scope: TenantScope) throws -> PublishedReport
    /// Every report published at `treeSize`.
    func publishedReports(treeSize: UInt64, _ scope: TenantScope) throws -> [PublishedReport]

    // MARK: Aggregates (current cells after supersession)
    func sensorDays(measure: String, days: ClosedRange<Int>, _ scope: TenantScope) throws -> [SensorDayRow]
    func zoneDays(days: ClosedRange<Int>, _ scope: TenantScope) throws -> [ZoneDayRow]
    func conversionDays(days: ClosedRange<Int>, _ scope: TenantScope) throws -> [ConversionDayRow]
}

extension CoordinatorStore {
    /// Default (not atomic): backends override it with one transaction.
    public func rotate(_ old: KeyRecord, to new: KeyRecord, _ scope: TenantScope) throws {
        try updateKey(old, scope)
        try enrol(new, scope)
    }
}
