// The entry points of the fuzz targets. deploy/fuzz.sh builds this target with
// `-sanitize=fuzzer,address -D TOWNBENCH_FUZZ`: libFuzzer's own `main` then drives
// `LLVMFuzzerTestOneInput`, and `TOWNBENCH_FUZZ_TARGET` names the target. A normal build gives a
// replayer instead (`townbench-fuzz TARGET FILE|DIR…`), which runs saved inputs through the same
// target function without sanitizers.
import Foundation

#if TOWNBENCH_FUZZ

/// The selected target's function. Why `nonisolated(unsafe)`: libFuzzer calls
/// `LLVMFuzzerInitialize` once and then `LLVMFuzzerTestOneInput` from its one thread, so this
/// is written once before any read and never shared.
nonisolated(unsafe) private var selectedTarget: FuzzTarget.Run?

@_cdecl("LLVMFuzzerInitialize")
func fuzzerInitialize(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    let name = ProcessInfo.processInfo.environment["TOWNBENCH_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget.all.first(where: { $0.name == name }) else {
        printError("townbench-fuzz: set TOWNBENCH_FUZZ_TARGET to one of: \(FuzzTarget.names)\n")
        exit(2)
    }
    do {
        selectedTarget = try target.setUp()
    } catch {
        printError("townbench-fuzz: cannot set up \(name): \(error)\n")
        exit(2)
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    selectedTarget?(bytes)
    return 0
}

#else

@main
enum Replay {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard let name = arguments.first, let target = FuzzTarget.all.first(where: { $0.name == name }),
              arguments.count >= 2 else {
            printError("""
                Usage: townbench-fuzz TARGET FILE|DIR…
                Runs each saved input through the fuzz target TARGET (one of: \(FuzzTarget.names)) once.
                A crash stops at the input printed last. Fuzzing itself: deploy/fuzz.sh.

                """)
            exit(64)
        }
        let run: FuzzTarget.Run
        do { run = try target.setUp() } catch {
            printError("townbench-fuzz: cannot set up \(name): \(error)\n")
            exit(1)
        }
        var count = 0
        for path in arguments.dropFirst() {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                printError("townbench-fuzz: no such file or directory: \(path)\n")
                exit(1)
            }
            let files = isDirectory.boolValue
                ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { path + "/" + $0 }
                : [path]
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                printError("\(file)\n")
                run(Array(data))
                count += 1
            }
        }
        print("townbench-fuzz: \(name): \(count) inputs ran without a crash")
    }
}

#endif
