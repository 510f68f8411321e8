// Helpers shared by the test targets: temporary directories, the repository's paths
// (vectors live in Federation/, Indicators/ and Tests/Vectors/) and running built executables.
public import Foundation

/// A fresh directory under the system's temp directory, removed when the closure returns.
/// Each test gets its own so tests can run in parallel.
@discardableResult
public func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("townbench-test-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url)
}

/// Async variant of ``withTemporaryDirectory(_:)``.
public func withTemporaryDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("townbench-test-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try await body(url)
}

/// Paths of the repository the tests were built from.
public enum Repository {
    /// The repository root (the directory holding Package.swift), found from this source file.
    public static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
                return url
            }
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()

    /// `Tests/Vectors/`: public test vectors copied into the repository (Wycheproof, RFC 8032, …),
    /// each source with its licence; `Tests/Vectors/SOURCES.md` says where each came from.
    public static var vectors: URL {
        root.appendingPathComponent("Tests/Vectors", isDirectory: true)
    }

    /// A built product in the same build directory as the running test bundle.
    public static func executable(_ name: String) -> URL {
        let bundle = Bundle.main.bundleURL
        var candidates = [bundle.deletingLastPathComponent().appendingPathComponent(name),
                          bundle.appendingPathComponent(name)]
        for argument in CommandLine.arguments.prefix(1) {
            candidates.append(URL(fileURLWithPath: argument).deletingLastPathComponent().appendingPathComponent(name))
        }
        for bundleURL in Bundle.allBundles.map(\.bundleURL) {
            candidates.append(bundleURL.deletingLastPathComponent().appendingPathComponent(name))
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }
}

/// Starts `process`, one launch at a time across the whole test run.
///
/// Why: Foundation's `Process.run()` on Linux (toolchain 6.3.1) crashes intermittently with an
/// illegal instruction when several threads launch processes at once (an over-read while it lists
/// `/proc/self/fd`, swiftlang/swift-corelibs-foundation#5472). Tests launch processes from
/// parallel suites, so every launch in the tests goes through this lock; the processes still run
/// in parallel once started.
public func launch(_ process: Process) throws {
    launchLock.lock()
    defer { launchLock.unlock() }
    try process.run()
}

private let launchLock = NSLock()

/// What a finished process printed and how it exited.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs an executable to completion with the given arguments and optional standard input.
public func runProcess(_ executable: URL, _ arguments: [String], stdin: Data? = nil,
                       environment: [String: String]? = nil) throws -> ProcessResult {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let environment { process.environment = environment }
    let outPipe = Pipe(), errPipe = Pipe(), inPipe = Pipe()
    process.standardOutput = outPipe
    process.standardError = errPipe
    process.standardInput = inPipe
    try launch(process)
    if let stdin { inPipe.fileHandleForWriting.write(stdin) }
    try? inPipe.fileHandleForWriting.close()
    // Read both pipes concurrently so a chatty child cannot fill one and block.
    nonisolated(unsafe) var errData = Data()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
        errData = errPipe.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    let outData = outPipe.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    // Close the read ends now rather than when the handles are freed: a descriptor closed late,
    // from a deinit, may by then be another thread's (swiftlang/swift#57827, "Bad file descriptor"
    // in tests that spawn processes concurrently).
    try? outPipe.fileHandleForReading.close()
    try? errPipe.fileHandleForReading.close()
    process.waitUntilExit()
    return ProcessResult(status: process.terminationStatus,
                         stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
}
