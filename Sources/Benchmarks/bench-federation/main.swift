// bench-federation: sign/s and verify/s of the envelope path, single thread, for comparison with
// `openssl speed ed25519` in the same run (deploy/bench/federation.sh). Also writes the committed
// test vectors: `bench-federation vectors Federation/vectors`.
import Federation
import Foundation

let arguments = CommandLine.arguments.dropFirst()
if arguments.first == "vectors" {
    let directory = URL(fileURLWithPath: arguments.dropFirst().first ?? "Federation/vectors")
    do {
        try VectorWriter.write(to: directory)
        print("bench-federation: wrote vectors to \(directory.path)")
    } catch {
        FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
        exit(1)
    }
    exit(0)
}
print("bench-federation: benchmark not written yet")
