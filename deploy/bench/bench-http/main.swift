// bench-http: the smallest HTTPServer application, for deploy/bench/http-empty.sh.
// Routes: GET /empty (200, empty body), POST /sink (body accumulated, 202 with a small JSON),
// GET /block (sleeps --block-ms, like a handler waiting for a group commit), GET /metrics.
// Usage: bench-http [--threads N|connection] [--block-ms MS]; prints "port=N", serves until SIGTERM.
import Foundation
import HTTPServer

var threads = "16"
var blockMilliseconds = 2
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--threads": threads = arguments.next() ?? threads
    case "--block-ms": blockMilliseconds = Int(arguments.next() ?? "") ?? blockMilliseconds
    default:
        FileHandle.standardError.write(Data("Usage: bench-http [--threads N|connection] [--block-ms MS]\n".utf8))
        exit(64)
    }
}

let metrics = Metrics()
var router = Router()
router.get("/empty") { _, _ in HTTPResponse(status: .ok) }
router.post("/sink") { request, _ in
    let body = try request.requireBody()
    return .json(status: .accepted, bytes: Array(#"{"bytes":\#(body.count)}"#.utf8))
}
let sleepMicroseconds = useconds_t(blockMilliseconds * 1000)
router.get("/block") { _, _ in
    usleep(sleepMicroseconds)
    return HTTPResponse(status: .ok)
}
router.get("/metrics") { _, _ in metrics.response() }

var configuration = HTTPServer.Configuration(port: 0, connectionLimit: 4096)
if threads == "connection" {
    configuration.threadPerConnection = true
} else {
    configuration.threadPoolSize = Int(threads) ?? 16
}
let server = HTTPServer(configuration: configuration, router: router, metrics: metrics, accessLog: .disabled)
do {
    try server.start()
} catch {
    FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
    exit(1)
}
print("port=\(server.port)")
fflush(nil)
server.runUntilTerminated(gracePeriod: .seconds(1))
