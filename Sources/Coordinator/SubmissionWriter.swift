import Dispatch
public import Foundation
import Synchronization

/// The one thread that writes submissions, in batches (group commit).
///
/// Why: Ed25519 verification is the expensive part of a submission and runs in parallel on the
/// HTTP worker threads; a durable COMMIT (an fsync) is the next most expensive, and SQLite has one
/// writer anyway. Handlers enqueue verified submissions and block; the writer takes everything
/// queued, stores it in one transaction (``CoordinatorStore/commit(_:at:)``, which re-checks
/// replay and sequence inside it), and only after the COMMIT returned wakes every waiting handler
/// with its outcome. One fsync then acknowledges a whole batch. A full queue answers 503 at once.
public final class SubmissionWriter: Sendable {
    /// Where a waiting handler finds its outcome. Sendable: the result sits in a `Mutex`.
    final class Slot: Sendable {
        let done = DispatchSemaphore(value: 0)
        let result = Mutex<Result<CommitOutcome, CoordinatorError>?>(nil)
    }

    struct Job: Sendable {
        var submission: VerifiedSubmission
        var slot: Slot
    }

    struct State: Sendable {
        var jobs: [Job] = []
        var stopping = false
    }

    private let store: any CoordinatorStore
    /// Signs each committed batch's new log states, in the batch's transaction.
    private let signer: CheckpointSigner?
    private let clock: @Sendable () -> Date
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    /// Queued submissions beyond which new ones are refused with 503.
    public let maximumQueue: Int
    /// Submissions per transaction at most.
    public let maximumBatch: Int
    /// Called after each committed batch with its size (metrics).
    private let onBatch: @Sendable (Int) -> Void

    public init(store: any CoordinatorStore, signer: CheckpointSigner?, clock: @escaping @Sendable () -> Date = Date.init, maximumQueue: Int = 4096,
                maximumBatch: Int = 512, onBatch: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.store = store
        self.signer = signer
        self.clock = clock
        self.maximumQueue = maximumQueue
        self.maximumBatch = maximumBatch
        self.onBatch = onBatch
        let thread = Thread { [self] in run() }
        thread.name = "townbench.coordinator.writer"
        thread.start()
    }

    /// Stores `submission` durably (or finds it stored); blocks until its batch committed.
    public func submit(_ submission: VerifiedSubmission) throws(CoordinatorError) -> CommitOutcome {
        let slot = Slot()
        let queued: Bool = state.withLock { state in
            guard !state.stopping, state.jobs.count < maximumQueue else { return false }
            state.jobs.append(Job(submission: submission, slot: slot))
            return true
        }
        guard queued else {
            throw CoordinatorError(.overloaded, "The coordinator is busy storing other submissions. Retry after the Retry-After delay.",
                                   headers: ["Retry-After": "1"])
        }
        wake.signal()
        slot.done.wait()
        switch slot.result.withLock({ $0 }) {
        case .success(let outcome): return outcome
        case .failure(let error): throw error
        case nil: throw CoordinatorError(.overloaded, "The submission was not stored. Retry.", headers: ["Retry-After": "1"])
        }
    }

    /// Stops taking submissions, stores what is queued, and ends the thread. Call once.
    public func stop() {
        state.withLock { $0.stopping = true }
        wake.signal()
        finished.wait()
    }

    private func run() {
        while true {
            wake.wait()
            while true {
                let (batch, stopping): ([Job], Bool) = state.withLock { state in
                    let n = min(state.jobs.count, maximumBatch)
                    let batch = Array(state.jobs.prefix(n))
                    state.jobs.removeFirst(n)
                    return (batch, state.stopping)
                }
                if batch.isEmpty {
                    if stopping {
                        finished.signal()
                        return
                    }
                    break
                }
                let result: Result<[CommitOutcome], CoordinatorError>
                do {
                    result = .success(try store.commit(batch.map(\.submission), at: clock(), signer: signer))
                } catch {
                    result = .failure(CoordinatorError.storage(error, "committing a batch"))
                }
                for (i, job) in batch.enumerated() {
                    job.slot.result.withLock { slot in
                        switch result {
                        case .success(let outcomes): slot = .success(outcomes[i])
                        case .failure(let error): slot = .failure(error)
                        }
                    }
                    job.slot.done.signal()
                }
                if case .success = result { onBatch(batch.count) }
            }
        }
    }
}
