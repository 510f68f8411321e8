// SIGTERM/SIGINT for `serve`: a sigaction handler that writes the signal number to a pipe.
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The write end of the active watcher's pipe, read by the signal handler. An `Atomic` load
/// is lock-free and therefore async-signal-safe; -1 when no watcher is active.
private let signalPipeWriteEnd = Atomic<Int32>(-1)

/// The signal handler: only async-signal-safe calls (an atomic load and `write`).
private func forwardSignal(_ signalNumber: Int32) {
    let fd = signalPipeWriteEnd.load(ordering: .relaxed)
    guard fd >= 0 else { return }
    let savedErrno = errno
    var byte = UInt8(truncatingIfNeeded: signalNumber)
    _ = write(fd, &byte, 1)
    errno = savedErrno
}

/// Installs handlers for some signals and lets one thread wait for the first of them.
/// Owned by ``HTTPServer/runUntilTerminated(signals:gracePeriod:)``; Sendable because its
/// descriptors are immutable after init and `stopWaiting`/`restore` are called in order by
/// that one function.
final class SignalWatcher: Sendable {
    let received = Atomic<Int32>(0)
    private let readEnd: Int32
    private let writeEnd: Int32
    private let previous: Mutex<[(Int32, sigaction)]>
    private let previousMask: Mutex<sigset_t>

    struct PipeError: Error, CustomStringConvertible {
        var errno: Int32
        var description: String { "pipe() failed with errno \(errno)" }
    }

    init(signals: [Int32]) throws {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw PipeError(errno: errno) }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        readEnd = fds[0]
        writeEnd = fds[1]
        let installed = signalPipeWriteEnd.compareExchange(expected: -1, desired: writeEnd, ordering: .acquiringAndReleasing).exchanged
        precondition(installed, "runUntilTerminated is already running in this process")
        var saved: [(Int32, sigaction)] = []
        for signalNumber in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = forwardSignal
            sigemptyset(&action.sa_mask)
            action.sa_flags = Int32(SA_RESTART)
            var old = sigaction()
            if sigaction(signalNumber, &action, &old) == 0 { saved.append((signalNumber, old)) }
        }
        previous = Mutex(saved)
        // A process may start with these signals blocked: the mask is inherited across
        // fork/exec, and Foundation's Process spawns from threads that block them. Blocked in
        // every thread, a signal stays pending for ever, so unblock them in this thread (the
        // one that waits in runUntilTerminated); restore() puts the mask back.
        var set = sigset_t()
        sigemptyset(&set)
        for signalNumber in signals { sigaddset(&set, signalNumber) }
        var oldMask = sigset_t()
        pthread_sigmask(SIG_UNBLOCK, &set, &oldMask)
        previousMask = Mutex(oldMask)
    }

    /// Blocks until a signal arrives (its number) or ``stopWaiting()`` is called (nil).
    func waitForSignal() -> Int32? {
        var byte: UInt8 = 0
        while true {
            let n = read(readEnd, &byte, 1)
            if n == 1 { return Int32(byte) }
            if n < 0 && errno == EINTR { continue }
            return nil  // EOF: stopWaiting() closed the write end
        }
    }

    /// Wakes ``waitForSignal()`` with nil if no signal came.
    func stopWaiting() {
        _ = signalPipeWriteEnd.compareExchange(expected: writeEnd, desired: -1, ordering: .acquiringAndReleasing)
        close(writeEnd)
    }

    /// Restores the previous handlers and signal mask and closes the pipe. Call after the
    /// waiting thread returned, on the thread that created the watcher.
    func restore() {
        var mask = previousMask.withLock { $0 }
        pthread_sigmask(SIG_SETMASK, &mask, nil)
        let saved = previous.withLock { $0 }
        for (signalNumber, old) in saved {
            var old = old
            sigaction(signalNumber, &old, nil)
        }
        close(readEnd)
    }
}
