@testable import Coordinator
import Federation
import Foundation
import Synchronization
import Testing
import TestSupport

/// `Federation/vectors/submissions.json`, as far as the coordinator needs it.
struct Manifest: Decodable {
    struct Key: Decodable {
        var keyId: String
        var publicKey: String
        var townId: String
        var status: String
        var statusAt: String?
    }
    struct Case: Decodable {
        var name: String
        var file: String
        var expect: String
        var reason: String?
        var lastSequence: Int?
        var existingPayloadDigest: String?
    }
    var tenantId: String
    var now: String
    var keys: [Key]
    var cases: [Case]

    static let directory = Repository.root.appendingPathComponent("Federation/vectors")
    static func load() throws -> Manifest {
        try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: directory.appendingPathComponent("submissions.json")))
    }
    static func bytes(_ file: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: directory.appendingPathComponent(file))) }
}

@Suite("Submissions over real HTTP")
struct SubmissionTests {
    /// A fixture holding exactly the manifest's registry, clock pinned to its `now`.
    static func vectorFixture(_ manifest: Manifest, revokedActive: Bool, backend: StoreBackend = .sqlite) throws -> BackendFixture {
        let now = try #require(Timestamp.parse(manifest.now))
        let fixture = try BackendFixture(backend, clock: now, withTowns: false)
        let scope = TenantScope.administrative(manifest.tenantId)
        for key in manifest.keys {
            try fixture.store.addTown(Town(id: key.townId, name: key.townId), scope)
            let publicKey = try Ed25519.PublicKey(rawRepresentation: try #require(Hex.decode(key.publicKey)))
            var status = KeyRecord.Status.active
            if key.status == "revoked", !revokedActive { status = .revoked(at: try #require(key.statusAt.flatMap(Timestamp.parse))) }
            // Stored directly, as if enrolled wrongly (the identity key): enrolment refuses weak keys, tested below.
            try fixture.store.enrol(KeyRecord(keyID: key.keyId, publicKey: publicKey, tenantID: manifest.tenantId, townID: key.townId,
                                              enrolledAt: .distantPast, status: status), scope)
        }
        return fixture
    }

    @Test("every vector case gets its verdict and documented code over HTTP", arguments: StoreBackend.available, try Manifest.load().cases)
    func vector(_ backend: StoreBackend, _ testCase: Manifest.Case) throws {
        let manifest = try Manifest.load()
        let tenant = manifest.tenantId
        let earlierRevoked = testCase.name == "revoked-key-earlier-submission"
        let fixture = try Self.vectorFixture(manifest, revokedActive: earlierRevoked, backend: backend)
        let bytes = try Manifest.bytes(testCase.file)
        // Reproduce the stored state the case assumes.
        if testCase.existingPayloadDigest != nil {
            let first = try fixture.submit(tenant, earlierRevoked ? bytes : try Manifest.bytes("envelopes/accepted.json"))
            #expect(first.status == 202, "\(first.bodyText)")
            if earlierRevoked {
                let key = try #require(manifest.keys.first { $0.status == "revoked" })
                let scope = TenantScope.administrative(tenant)
                let record = try #require(try fixture.store.keyRecord(id: key.keyId, scope))
                try fixture.store.updateKey(record.revoked(at: try #require(key.statusAt.flatMap(Timestamp.parse))), scope)
            }
        } else if let last = testCase.lastSequence {
            let key = try Ed25519.PrivateKey(seed: test1Seed)
            let seed = try envelope(tenant: tenant, town: "oostkamp", key: key, sequence: last,
                                    days: [DayData(date: "2026-11-20", sensors: [("a", 100)])],
                                    createdAt: try #require(Timestamp.parse(manifest.now)))
            #expect(try fixture.submit(tenant, seed).status == 202)
        }
        let response = try fixture.submit(tenant, bytes)
        switch testCase.expect {
        case "accepted":
            #expect(response.status == 202, "\(response.bodyText)")
            let receipt = try #require(response.json?["receipt"] as? [String: Any])
            #expect(receipt["digest"] as? String == "sha256:" + Hex.encode(SHA256.hash(bytes)))
            // Stored: an identical retry is a 200 with the same receipt, answered from the store.
            let retry = try fixture.submit(tenant, bytes)
            #expect(retry.status == 200)
            #expect(retry.json?["receipt"] as? [String: String] == receipt as? [String: String])
        case "duplicate":
            #expect(response.status == 200, "\(response.bodyText)")
            #expect(try fixture.store.submissionCount(.administrative(tenant)) == 1)
        default:
            #expect((400..<500).contains(response.status), "\(response.bodyText)")
            #expect(response.errorCode == testCase.reason, "\(response.bodyText)")
            #expect(response.status == SubmissionStatus.status(for: try #require(RefusalReason(code: testCase.reason ?? ""))).rawValue)
            #expect((response.json?["error"] as? [String: Any])?["status"] as? Int == response.status)
            // The server records a request after sending its response: poll briefly.
            let counted = "townbench_coordinator_submissions_total{outcome=\"refused\",reason=\"\(testCase.reason ?? "")\"} 1"
            let request = "townbench_http_requests_total{method=\"POST\",route=\"/v1/tenants/{tenant}/submissions\",status=\"\(response.status)\"}"
            var metrics = ""
            for _ in 0..<100 {
                metrics = try http(fixture.port, "GET", "/metrics").bodyText
                if metrics.contains(counted) && metrics.contains(request) { break }
                usleep(20_000)
            }
            #expect(metrics.contains(counted))
            #expect(metrics.contains(request))
        }
        // The server still answers, and the metric counted the outcome.
        #expect(try http(fixture.port, "GET", "/healthz").status == 200)
    }

    @Test("bad bodies get a 4xx or are cut off, and the server still answers")
    func badBodies() throws {
        let fixture = try Fixture(maxBodySize: 64 << 10, connectionTimeout: .seconds(1))
        let path = "/v1/tenants/\(Fixture.tenantA)/submissions"
        let cases: [(String, [UInt8], Int)] = [
            ("malformed JSON", Array("{\"payload\":".utf8), 400),
            ("invalid UTF-8", [0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d], 400),
            ("deep nesting", Array(String(repeating: "[", count: 20_000).utf8) + Array(String(repeating: "]", count: 20_000).utf8), 400),
            ("no body", [], 400),
        ]
        for (name, body, status) in cases {
            let response = try http(fixture.port, "POST", path, body: body)
            #expect(response.status == status, "\(name): \(response.bodyText)")
            #expect(response.errorCode == "malformed_envelope", "\(name)")
        }
        let tooLarge = try http(fixture.port, "POST", path, body: [UInt8](repeating: 0x20, count: 100 << 10))
        #expect(tooLarge.status == 413)

        // A slow client: half a request head, then nothing. Cut off after the 1 s timeout.
        let slow = try RawConnection(port: fixture.port, receiveTimeout: 5)
        slow.send("POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{\"pay")
        let started = Date()
        #expect(slow.isClosedByPeer())
        #expect(Date().timeIntervalSince(started) < 4.5)
        #expect(try http(fixture.port, "GET", "/healthz").status == 200)
    }

    @Test("two submissions of one town with the same sequence never both win")
    func sequenceRace() throws {
        let fixture = try Fixture()
        let key = try #require(fixture.keys["\(Fixture.tenantA)/veurne"])
        let bodies = try (0..<16).map { i in
            try envelope(tenant: Fixture.tenantA, town: "veurne", key: key, sequence: 5,
                         days: [DayData(date: "2026-11-02", sensors: [("a", Double(100 + i))])])
        }
        let statuses = LockedArray<Int>()
        let port = fixture.port
        DispatchQueue.concurrentPerform(iterations: bodies.count) { i in
            statuses.append((try? http(port, "POST", "/v1/tenants/\(Fixture.tenantA)/submissions", body: bodies[i]).status) ?? -1)
        }
        #expect(statuses.values.filter { $0 == 202 }.count == 1)
        #expect(statuses.values.filter { $0 == 409 }.count == 15)
        #expect(try fixture.store.submissions(town: "veurne", .administrative(Fixture.tenantA)).count == 1)
    }

    @Test("a key rotation retires the old key: later submissions signed by it are refused, the new key's accepted")
    func rotation() throws {
        let manifest = try Manifest.load()
        let fixture = try Self.vectorFixture(manifest, revokedActive: false)
        let tenant = manifest.tenantId
        let path = "/v1/tenants/\(tenant)/key-rotations"
        let statement = try Manifest.bytes("rotation-test1-to-test2.json")
        // To another tenant: the old key is unknown there.
        let elsewhere = try http(fixture.port, "POST", "/v1/tenants/lokaal-3d/key-rotations", body: statement)
        #expect(elsewhere.status == 403 && elsewhere.errorCode == "unknown_key")
        let rotated = try http(fixture.port, "POST", path, body: statement)
        #expect(rotated.status == 201, "\(rotated.bodyText)")
        #expect(rotated.json?["keyId"] as? String == "39f713d0a644253f04529421b9f51b9b")
        let again = try http(fixture.port, "POST", path, body: statement)
        #expect(again.status == 403 && again.errorCode == "retired_key")
        // The clock is the vectors' now (after the rotation): TEST 1 signatures are refused, TEST 2's accepted.
        let now = try #require(Timestamp.parse(manifest.now))
        let old = try envelope(tenant: tenant, town: "oostkamp", key: try Ed25519.PrivateKey(seed: test1Seed), sequence: 20,
                               days: [DayData(date: "2026-11-20", sensors: [("a", 1)])], createdAt: now)
        #expect(try fixture.submit(tenant, old).errorCode == "retired_key")
        let test2Seed = try #require(Hex.decode("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"))
        let new = try envelope(tenant: tenant, town: "oostkamp", key: try Ed25519.PrivateKey(seed: test2Seed), sequence: 21,
                               days: [DayData(date: "2026-11-20", sensors: [("a", 1)])], createdAt: now)
        #expect(try fixture.submit(tenant, new).status == 202)
    }

    @Test("enrolment refuses weak keys and a bad proof of possession; accepts the vector")
    func enrolmentVectors() throws {
        #expect(throws: Never.self) { try EnrolmentRequest.verify(Manifest.bytes("enrolment-test1.json")).get() }
        guard case .failure(let refusal) = EnrolmentRequest.verify(try Manifest.bytes("enrolment-weak-identity.json")) else {
            Issue.record("the weak identity key was accepted")
            return
        }
        #expect(refusal.reason == .weakKey)
    }
}

final class LockedArray<T: Sendable>: Sendable {
    private let storage = Mutex<[T]>([])
    func append(_ value: T) { storage.withLock { $0.append(value) } }
    var values: [T] { storage.withLock { $0 } }
}
