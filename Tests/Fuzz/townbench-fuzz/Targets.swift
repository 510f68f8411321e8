// The fuzz targets: each takes arbitrary bytes to the code that reads input from outside, and
// checks what must hold for every input (no trap, parse ∘ serialise round trips, no 500).
import Coordinator
import Federation
import Foundation
import HTTPServer
import Indicators
import Node

/// One fuzz target: a name, and a set-up that returns the function run on every input.
struct FuzzTarget: Sendable {
    typealias Run = ([UInt8]) -> Void
    let name: String
    let setUp: @Sendable () throws -> Run

    static let all: [FuzzTarget] = [
        FuzzTarget(name: "csv", setUp: CSVTarget.setUp),
        FuzzTarget(name: "json", setUp: { JSONTarget.run }),
        FuzzTarget(name: "envelope", setUp: EnvelopeTarget.setUp),
        FuzzTarget(name: "dates", setUp: { DatesTarget.run }),
        FuzzTarget(name: "http", setUp: HTTPTarget.setUp),
        FuzzTarget(name: "lots", setUp: LotsTarget.setUp),
    ]
    static var names: String { all.map(\.name).joined(separator: ", ") }
}

/// Stops the run with a message when a property that must hold for every input does not: the
/// fuzzer reports it as a crash and saves the input.
func expect(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition {
        printError("townbench-fuzz: property violated: \(message())\n")
        abort()
    }
}

/// Whether to describe what each input did (`TOWNBENCH_FUZZ_VERBOSE=1`, for writing seeds).
let verbose = ProcessInfo.processInfo.environment["TOWNBENCH_FUZZ_VERBOSE"] == "1"

/// A scratch directory for the targets that need files: under `TOWNBENCH_FUZZ_WORK` (deploy/fuzz.sh
/// removes it afterwards), else the system's temporary directory.
func scratchDirectory(_ name: String) throws -> URL {
    let base = ProcessInfo.processInfo.environment["TOWNBENCH_FUZZ_WORK"].map { URL(fileURLWithPath: $0) }
        ?? FileManager.default.temporaryDirectory
    let url = base.appendingPathComponent("townbench-fuzz-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// The repository this was built from (the targets read its examples and vectors).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

/// The Federation vectors' world (Federation/vectors/submissions.json): tenant, clock, keys.
enum Vectors {
    static let tenant = "daks-west-flanders"
    static let now = Timestamp.parse("2026-11-23T06:00:00Z") ?? Date(timeIntervalSince1970: 0)
    /// RFC 8032 TEST 1: the key of oostkamp that signed the vectors' envelopes.
    static let test1Seed: [UInt8] = Hex.decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60") ?? []
}

// MARK: - CSV (and the importers behind it)

/// The node's importers on a real node store: the first byte picks the format (its value mod 6:
/// `0` counts, `1` telraam, `2` spending, `3` events, `4` school-holidays, `5` sensors), the
/// rest is the file. Drives CSVReader, CSVHeader, the timestamp parser and every importer, and
/// checks that a refused import changed nothing (`status` before and after are the same).
enum CSVTarget {
    static func setUp() throws -> FuzzTarget.Run {
        let dir = try scratchDirectory("csv")
        let store = try NodeStore.create(in: dir.appendingPathComponent("node"), town: "harelbeke", tenant: "daks")
        _ = try store.importSensors(repositoryRoot.appendingPathComponent("deploy/data-examples/sensors.csv").path)
        let input = dir.appendingPathComponent("input.csv")
        let formats: [ImportFormat?] = [.counts, .telraam, .spending, .events, .schoolHolidays, nil]
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        func status() -> Data? { try? encoder.encode(store.status()) }
        // The status changes only when an import succeeds.
        var stored = status()
        return { bytes in
            guard let first = bytes.first else { return }
            guard (try? Data(bytes.dropFirst()).write(to: input)) != nil else { return }
            var options = ImportOptions()
            options.maximumLineLength = 4096  // so long-line refusals are reachable with small inputs
            do {
                let summary = try formats[Int(first) % formats.count].map { try store.importFile(input.path, format: $0, options: options) }
                    ?? store.importSensors(input.path, options: options)
                if verbose { printError("  \(summary)\n") }
                stored = status()
            } catch {
                if verbose { printError("  \(error)\n") }
                let now = status()
                expect(now == stored, "a refused import (\(error)) changed the node's status")
            }
        }
    }
}

// MARK: - JSON

/// The strict JSON parser and RFC 8785 canonical JSON: whatever parses serialises, and the
/// canonical bytes parse back to the same value and serialise to the same bytes.
enum JSONTarget {
    static func run(_ bytes: [UInt8]) {
        guard let value = try? JSONParser.parse(bytes) else { return }
        let canonical: [UInt8]
        do { canonical = try CanonicalJSON.serialize(value) } catch {
            expect(false, "a parsed value does not serialise: \(error)")
            return
        }
        guard let again = try? JSONParser.parse(canonical) else {
            expect(false, "canonical bytes do not parse: \(String(decoding: canonical, as: UTF8.self))")
            return
        }
        expect(again == value, "canonical JSON changed the value: \(String(decoding: canonical, as: UTF8.self))")
        expect((try? CanonicalJSON.serialize(again)) == canonical, "canonical JSON is not stable")
    }
}

// MARK: - Envelopes and payloads

/// Everything that reads a signed message: the DSSE envelope, the full submission check with the
/// vectors' keys and clock, enrolment and rotation envelopes, the aggregate payload (as if its
/// signature had verified), checkpoints and signed notes, and the receipt in an answer.
enum EnvelopeTarget {
    static func setUp() throws -> FuzzTarget.Run {
        let key = try Ed25519.PrivateKey(seed: Vectors.test1Seed)
        let record = KeyRecord(keyID: key.publicKey.keyID, publicKey: key.publicKey, tenantID: Vectors.tenant,
                               townID: "oostkamp", enrolledAt: Date(timeIntervalSince1970: 0))
        let policy = TenantSubmissionPolicy(tenantID: Vectors.tenant)
        let verifier = SignedNote.Verifier(name: "townbench-coordinator", publicKey: key.publicKey)
        return { bytes in
            // The envelope's outer structure round-trips through its wire form.
            if let envelope = try? Envelope(parsing: bytes) {
                expect((try? Envelope(parsing: envelope.serialized())) == envelope, "an envelope does not round-trip")
            }
            _ = SubmissionCheck.check(bytes, policy: policy, now: Vectors.now,
                                      keys: { $0 == record.keyID ? record : nil },
                                      state: { _, _ in TownSubmissionState(lastSequence: 7) })
            _ = EnrolmentRequest.verify(bytes)
            _ = KeyRotationStatement.verify(bytes, tenantId: Vectors.tenant) { $0 == record.keyID ? record : nil }
            // The payload as the check reads it once the signature verified.
            if let payload = try? AggregatePayload(verifiedBytes: bytes) {
                _ = policy.privacy.violation(in: payload)
                let canonical = try? payload.canonicalBytes()
                expect(canonical.flatMap { try? AggregatePayload(verifiedBytes: $0) } == payload,
                       "an aggregate payload does not round-trip through its canonical bytes")
            }
            let text = String(decoding: bytes, as: UTF8.self)
            _ = try? Checkpoint(text: text)
            _ = try? SignedNote.open(text, verifiers: [verifier])
            _ = try? SignedNote.Verifier(encoded: text)
            _ = Receipt.problem(answer: bytes, envelope: [], submissionID: "00112233445566778899aabbccddeeff")
        }
    }
}

// MARK: - Dates and periods

/// The day, timestamp and period parsers (query strings, CLI options, payload fields): each
/// accepted spelling formats back to itself, and the two day parsers agree.
/// Parsing only: the range arithmetic behind a period (look-back days) is left out for now.
enum DatesTarget {
    static func run(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        let day = try? DayNumber(iso: text)
        if let day { expect(day.description == text, "DayNumber(iso: \(text)) formats as \(day)") }
        expect(CalendarDay.dayNumber(text) == day?.rawValue,
               "the day parsers disagree on '\(text)': \(String(describing: CalendarDay.dayNumber(text))) vs \(String(describing: day?.rawValue))")
        if let date = Timestamp.parse(text) {
            expect(Timestamp.format(date) == text, "Timestamp.parse(\(text)) formats as \(Timestamp.format(date))")
        }
        // `token issue --expires`: what is accepted must be storable (the store spells it back).
        if let expiry = BearerToken.expiry(text, now: Vectors.now) {
            expect(Timestamp.parse(Timestamp.format(expiry)) == expiry, "the expiry '\(text)' cannot be stored")
        }
        // As a query string (`period=2026-11` or `from=…&to=…`), the way the API reads it.
        let query = QueryParameters(parsing: text)
        if case .success(let period) = DayPeriod.parse(period: query["period"], from: query["from"], to: query["to"]) {
            expect(DayPeriod(period.range) == period, "period \(period) does not round-trip")
        }
    }
}

// MARK: - HTTP

/// The coordinator's real router (the JSON API and the report pages) over a real SQLite store in
/// a scratch directory, seeded like the tests' fixture: the vectors' tenant with three towns (one
/// holding the vectors' key) and a submission per town, a second tenant, and a token per role.
///
/// Input: `METHOD TARGET` on the first line, header lines, an empty line, the body. `$TOWN`,
/// `$COORDINATOR`, `$ADMIN`, `$AUDITOR` and `$OTHER` (a token of the other tenant) become real
/// bearer tokens, `$TOWN_SESSION` and `$COORDINATOR_SESSION` session cookies; a body starting `$SIGN` followed by a line feed is signed as an aggregate
/// payload with oostkamp's key (so the fuzzer reaches the checks after the signature). Any 5xx
/// answer fails the run: no input may reach an unexpected error.
enum HTTPTarget {
    static func setUp() throws -> FuzzTarget.Run {
        let dir = try CoordinatorDirectory.create(at: try scratchDirectory("http"))
        let store = try dir.openStore()
        let service = try CoordinatorService(store: store, signingKey: try dir.signingKey(), clock: { Vectors.now })
        let oostkamp = try Ed25519.PrivateKey(seed: Vectors.test1Seed)
        var tokens: [String: String] = [:]
        let expires = Vectors.now.addingTimeInterval(86400)
        for (tenant, placeholder) in [(Vectors.tenant, ""), ("lokaal-3d", "$OTHER")] {
            try store.addTenant(Tenant(id: tenant, name: tenant))
            for role in [Role.coordinator, .admin, .auditor] {
                let (token, record) = try BearerToken.issue(role: role, tenantID: tenant, townID: nil, expiresAt: expires)
                try store.addToken(record)
                if placeholder.isEmpty { tokens["$" + role.rawValue.uppercased()] = token } else if role == .coordinator { tokens[placeholder] = token }
            }
        }
        // Three towns (the minimum for network figures), each with one day of the vectors' data.
        let vector = try Data(contentsOf: repositoryRoot.appendingPathComponent("Federation/vectors/envelopes/accepted.json"))
        let template = try AggregatePayload(verifiedBytes: try Envelope(parsing: vector).payload)
        for (i, town) in ["oostkamp", "veurne", "diksmuide"].enumerated() {
            let key = i == 0 ? oostkamp : try Ed25519.PrivateKey()
            let scope = TenantScope.administrative(Vectors.tenant)
            try store.addTown(Town(id: town, name: town.capitalized), scope)
            try store.enrol(KeyRecord(keyID: key.publicKey.keyID, publicKey: key.publicKey, tenantID: Vectors.tenant,
                                      townID: town, enrolledAt: Date(timeIntervalSince1970: 0)), scope)
            if town == "oostkamp" {
                let (token, record) = try BearerToken.issue(role: .town, tenantID: Vectors.tenant, townID: town, expiresAt: expires)
                try store.addToken(record)
                tokens["$TOWN"] = token
            }
            var payload = template
            payload.townId = town
            payload.keyId = key.publicKey.keyID
            payload.sequence = 1
            payload.submissionId = Hex.encode(SHA256.hash(Array(town.utf8)).prefix(16))
            let body = try payload.signedEnvelope(with: key).serialized()
            let answer = service.router.respond(to: HTTPRequest(method: .post, target: "/v1/tenants/\(Vectors.tenant)/submissions", body: body))
            guard answer.response.status == .accepted else {
                throw CocoaError(.featureUnsupported, userInfo: [NSDebugDescriptionErrorKey: "seeding \(town): \(answer.response.status) \(String(decoding: answer.response.body, as: UTF8.self))"])
            }
        }
        // Browser sessions for the report pages: the cookie a login with the town's and the
        // coordinator's token sets.
        for role in ["TOWN", "COORDINATOR"] {
            let login = HTTPRequest(method: .post, target: "/login", headers: ["Origin": "http://127.0.0.1", "Host": "127.0.0.1"],
                                    body: Array("token=\(tokens["$" + role] ?? "")".utf8))
            let cookie = service.router.respond(to: login).response.headers["Set-Cookie"]?.split(separator: ";").first
            guard let cookie else { throw CocoaError(.featureUnsupported, userInfo: [NSDebugDescriptionErrorKey: "login as \(role) set no cookie"]) }
            tokens["$\(role)_SESSION"] = String(cookie)
        }
        let placeholders = tokens.sorted { $0.key.count > $1.key.count }.map { (Array($0.key.utf8), Array($0.value.utf8)) }
        return { bytes in
            guard let request = request(replacing(placeholders, in: bytes), key: oostkamp) else { return }
            let (response, pattern, error) = service.router.respond(to: request)
            if verbose { printError("  \(response.status) \(String(decoding: response.body.prefix(300), as: UTF8.self))\n") }
            expect(!response.status.isServerError,
                   "\(request.method) \(request.path) (\(pattern ?? "no route")) answered \(response.status): \(String(describing: error)) \(String(decoding: response.body, as: UTF8.self))")
        }
    }

    static func replacing(_ placeholders: [([UInt8], [UInt8])], in bytes: [UInt8]) -> [UInt8] {
        guard bytes.contains(UInt8(ascii: "$")) else { return bytes }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 64)
        var i = 0
        outer: while i < bytes.count {
            if bytes[i] == UInt8(ascii: "$") {
                for (name, value) in placeholders where bytes[i...].starts(with: name) {
                    out.append(contentsOf: value)
                    i += name.count
                    continue outer
                }
            }
            out.append(bytes[i])
            i += 1
        }
        return out
    }

    /// The request in `bytes`, or nil when the first line is not `METHOD TARGET`.
    static func request(_ bytes: [UInt8], key: Ed25519.PrivateKey) -> HTTPRequest? {
        let blank = bytes.indices.first { bytes[$0] == 0x0a && $0 + 1 < bytes.count && bytes[$0 + 1] == 0x0a }
        let head = String(decoding: bytes[..<(blank ?? bytes.count)], as: UTF8.self)
        var bodyBytes = blank.map { Array(bytes[($0 + 2)...]) } ?? []
        var lines = head.split(separator: "\n", omittingEmptySubsequences: false)
        guard !lines.isEmpty else { return nil }
        let requestLine = lines.removeFirst().split(separator: " ", maxSplits: 1)
        guard requestLine.count == 2, !requestLine[0].isEmpty, requestLine[1].hasPrefix("/") else { return nil }
        var headers = HTTPHeaders()
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.add(name: String(line[..<colon]), value: line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        let sign = Array("$SIGN\n".utf8)
        if bodyBytes.starts(with: sign) {
            let payload = Array(bodyBytes.dropFirst(sign.count))
            bodyBytes = (try? Envelope.sign(payload: payload, payloadType: Envelope.aggregatePayloadType, with: key).serialized()) ?? []
        }
        return HTTPRequest(method: HTTPMethod(rawValue: String(requestLine[0])), target: String(requestLine[1]),
                           headers: headers, body: bodyBytes)
    }
}

/// Writes `text` to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
}
