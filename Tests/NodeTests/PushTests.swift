import Federation
import Foundation
import Indicators
@testable import Node
import Storage
import TestSupport
import Testing

/// The node's federation side: what leaves the machine, the outbox, push with retries, and a
/// push killed mid-way.
@Suite(.serialized) struct PushTests {
    /// Four weeks of hourly counts for the fixture's sensors, with small store-entry counts.
    static func importMonth(_ fixture: NodeFixture, entries: Int = 4) throws {
        let clock = LocalClock(timeZone: fixture.store.timeZone)
        var csv = "sensor,start,minutes,measure,count\n"
        let first = try DayNumber(year: 2025, month: 6, day: 2)
        for offset in 0..<28 {
            let day = first + offset
            for hour in 0..<24 {
                let start = (clock.startOfDay(day) + Int64(hour) * 3600).utcString
                csv += "ped-markt,\(start),60,pedestrians,\(100 + offset + hour)\n"
                csv += "ped-straat,\(start),60,pedestrians,\(200 + hour)\n"
                csv += "door-1,\(start),60,entries,\(hour == 12 ? entries : 20)\n"
            }
        }
        _ = try fixture.store.importFile(try fixture.write("month.csv", csv), format: .counts)
    }

    static func keyRecord(_ store: NodeStore) throws -> KeyRecord {
        let key = try store.signingKey().publicKey
        return KeyRecord(keyID: key.keyID, publicKey: key, tenantID: store.settings.tenant, townID: store.settings.town,
                         enrolledAt: Date())
    }

    @Test func nothingRawLeavesTheMachine() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            try Self.importMonth(fixture)
            let queued = try fixture.store.queueSubmissions(through: try DayNumber(year: 2025, month: 6, day: 29))
            #expect(queued.count == 4)  // four ISO weeks
            for entry in queued {
                let bytes = try fixture.store.envelopeBytes(sequence: entry.sequence)
                let envelope = try Envelope(parsing: bytes)
                let text = String(decoding: envelope.payload, as: UTF8.self)
                // No vendor device id, no vendor name, no interval timestamp.
                for name in ["ped-markt", "ped-straat", "door-1", "crowdscan", "retailfactory", "T10:00:00"] {
                    #expect(!text.contains(name), "\(name) leaked into \(entry.periodFrom)")
                }
                let payload = try AggregatePayload(verifiedBytes: envelope.payload)
                // Per sensor and day there is one figure, the day's sum: 24 hourly rows became one number.
                for zone in payload.zones {
                    for day in zone.days {
                        for measure in day.measures {
                            #expect(Set(measure.sensors.map(\.sensor)).count == measure.sensors.count)
                            #expect(measure.sensors.allSatisfy { SensorPseudonym.isValid($0.sensor) })
                        }
                    }
                }
                let markt = try #require(payload.zones.first { $0.zoneId == "markt" })
                let monday = try #require(markt.days.first)
                let pedestrians = try #require(monday.measures.first { $0.measure == "pedestrians" })
                let offset = try DayNumber(iso: monday.date).rawValue - DayNumber(year: 2025, month: 6, day: 2).rawValue
                #expect(pedestrians.sensors.first?.total == Double((0..<24).reduce(0) { $0 + 100 + offset + $1 }))
            }
        }
    }

    @Test func smallStoreEntryCellsAreSuppressedBeforeSigning() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            try Self.importMonth(fixture, entries: 4)
            let json = try fixture.store.previewPayload(period: try DayNumber(year: 2025, month: 6, day: 2)...DayNumber(year: 2025, month: 6, day: 2))
            let payload = try AggregatePayload(verifiedBytes: json)
            let shop = try #require(payload.zones.first { $0.zoneId == "winkelstraat" }?.days.first)
            let entries = try #require(shop.measures.first { $0.measure == "entries" })
            // Hour 12 had 4 entries (< 10): suppressed and marked, not shown as 0 or 4.
            #expect(entries.suppressedHours.contains(12))
            #expect(entries.hourly?[12] == nil)
            #expect(payload.privacy == PrivacyPolicy.standard)
        }
    }

    @Test func pushDeliversEveryWeekOnceAndCorrectionsSupersede() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            try Self.importMonth(fixture)
            let coordinator = try TestCoordinator(key: try Self.keyRecord(fixture.store))
            defer { coordinator.stop() }
            var options = PushOptions()
            options.initialDelay = .milliseconds(10)
            let first = try fixture.store.push(to: coordinator.url, options: options)
            #expect(first == PushSummary(queued: 4, acknowledged: 4, refused: 0, pending: 0))
            #expect(coordinator.state.withLock { $0.accepted.count } == 4)
            // Nothing changed: nothing to send.
            #expect(try fixture.store.push(to: coordinator.url, options: options) == PushSummary())
            // A corrected count makes that week a correction with a higher sequence.
            let fix = try fixture.write("fix.csv", "sensor,start,minutes,measure,count\nped-markt,\((LocalClock(timeZone: fixture.store.timeZone).startOfDay(try DayNumber(year: 2025, month: 6, day: 10))).utcString),60,pedestrians,999\n")
            _ = try fixture.store.importFile(fix, format: .counts, options: .init(replace: true))
            let correction = try fixture.store.push(to: coordinator.url, options: options)
            #expect(correction == PushSummary(queued: 1, acknowledged: 1, refused: 0, pending: 0))
            let outbox = try fixture.store.outbox()
            #expect(outbox.map(\.sequence) == [1, 2, 3, 4, 5])
            #expect(outbox.last?.periodFrom == (try DayNumber(year: 2025, month: 6, day: 9)))
            #expect(outbox.allSatisfy { $0.state == "acknowledged" })
        }
    }

    @Test func unavailableCoordinatorIsRetriedHonouringRetryAfter() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            try Self.importMonth(fixture)
            let coordinator = try TestCoordinator(key: try Self.keyRecord(fixture.store))
            defer { coordinator.stop() }
            coordinator.state.withLock { $0.unavailableAnswers = 2 }
            var options = PushOptions()
            options.initialDelay = .milliseconds(10)
            let started = Date()
            let summary = try fixture.store.push(to: coordinator.url, options: options)
            #expect(summary.acknowledged == 4 && summary.pending == 0)
            #expect(Date().timeIntervalSince(started) >= 2)  // two Retry-After: 1 waits
            let first = try #require(try fixture.store.outbox().first)
            #expect(first.attempts == 3)
        }
    }

    @Test func aReceiptForOtherBytesIsNotAnAcknowledgement() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            try Self.importMonth(fixture)
            let coordinator = try TestCoordinator(key: try Self.keyRecord(fixture.store))
            defer { coordinator.stop() }
            coordinator.state.withLock { $0.receiptForOtherBytes = true }
            let lied = try fixture.store.push(to: coordinator.url)
            #expect(lied == PushSummary(queued: 4, acknowledged: 0, refused: 0, pending: 0, unconfirmed: 4))
            let outbox = try fixture.store.outbox()
            #expect(outbox.allSatisfy { $0.state == "queued" && $0.receipt == nil })
            #expect(outbox.allSatisfy { ($0.lastError ?? "").contains("is not that of the bytes sent") }, "\(outbox.map(\.lastError))")
            // An honest answer (200: stored before) acknowledges them.
            coordinator.state.withLock { $0.receiptForOtherBytes = false }
            let honest = try fixture.store.push(to: coordinator.url)
            #expect(honest == PushSummary(queued: 0, acknowledged: 4, refused: 0, pending: 0))
            let receipts = try fixture.store.outbox().map { try #require(Receipt.inAnswer(Array(($0.receipt ?? "").utf8))) }
            for (entry, receipt) in zip(try fixture.store.outbox(), receipts) {
                #expect(receipt.mismatch(envelope: try fixture.store.envelopeBytes(sequence: entry.sequence), submissionID: entry.submissionId) == nil)
            }
        }
    }

    @Test func refusalsAreRecordedWithTheirReasonAndUnreachableStaysQueued() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            try Self.importMonth(fixture)
            // A coordinator that enrolled another key refuses every submission.
            let other = try Ed25519.PrivateKey().publicKey
            let coordinator = try TestCoordinator(key: KeyRecord(keyID: other.keyID, publicKey: other, tenantID: "daks", townID: "harelbeke", enrolledAt: Date()))
            var options = PushOptions()
            options.initialDelay = .milliseconds(10)
            options.maximumAttempts = 2
            let summary = try fixture.store.push(to: coordinator.url, options: options)
            #expect(summary.refused == 4)
            let refused = try fixture.store.outbox()
            #expect(refused.allSatisfy { $0.state == "refused" && ($0.lastError ?? "").contains("unknown_key") })
            coordinator.stop()
            // Nobody listening: the new queue stays queued, nothing is lost.
            let unreachable = try fixture.store.push(to: coordinator.url, options: options)
            #expect(unreachable.pending == 4 && unreachable.acknowledged == 0)
            #expect(try fixture.store.outbox().filter { $0.state == "queued" }.count == 4)
        }
    }

    /// The push process is killed (SIGKILL) while the coordinator holds its third request; a
    /// second push delivers the rest. Every week arrives exactly once and the node knows it.
    @Test func aPushKilledMidWayLosesNothingAndDuplicatesNothing() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            try Self.importMonth(fixture)
            try fixture.store.queueSubmissions(through: try DayNumber(year: 2025, month: 6, day: 29))
            let coordinator = try TestCoordinator(key: try Self.keyRecord(fixture.store))
            defer { coordinator.stop() }
            coordinator.state.withLock { $0.holdFrom = 3 }
            let process = Process()
            process.executableURL = Repository.executable("townbench-node")
            process.arguments = ["push", "--dir", fixture.store.directory.path, "--coordinator", coordinator.url.absoluteString, "--send-only"]
            process.standardError = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            try launch(process)
            #expect(coordinator.held.wait(timeout: .now() + 30) == .success)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            // The held request goes through after the client died: the coordinator stores it, the node never heard.
            coordinator.state.withLock { $0.holdFrom = nil }
            coordinator.released.signal()
            Thread.sleep(forTimeInterval: 0.3)
            #expect(coordinator.state.withLock { $0.accepted.count } == 3)
            let reopened = try NodeStore.open(fixture.store.directory)
            #expect(try reopened.outbox().filter { $0.state == "acknowledged" }.count == 2)
            var options = PushOptions()
            options.sendOnly = true
            let rest = try reopened.push(to: coordinator.url, options: options)
            #expect(rest.acknowledged == 2 && rest.pending == 0)  // #3 answered 200 (duplicate), #4 202
            #expect(coordinator.state.withLock { $0.acceptedOrder.count } == 4)
            #expect(Set(coordinator.state.withLock { $0.acceptedOrder }) == Set(try reopened.outbox().map(\.submissionId)))
            #expect(try reopened.outbox().allSatisfy { $0.state == "acknowledged" })
        }
    }
}
