// swift-tools-version:6.0
// TownBench: a federated benchmarking network for town centres.
// Dependencies: the Swift toolchain and Debian C libraries, each behind a thin
// `systemLibrary` target. No SwiftPM package dependencies (see README, "Dependencies").
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "TownBench",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "townbench-node", targets: ["townbench-node"]),
        .executable(name: "townbench-coordinator", targets: ["townbench-coordinator"]),
    ],
    targets: [
        // MARK: C wrappers: a module map and a commented shim.h each (README, "Dependencies")
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CMicroHTTPD", pkgConfig: "libmicrohttpd", providers: [.apt(["libmicrohttpd-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CMiniZip", pkgConfig: "minizip", providers: [.apt(["libminizip-dev"])]),
        .systemLibrary(name: "CXLSXWriter", pkgConfig: "xlsxwriter", providers: [.apt(["libxlsxwriter-dev"])]),

        // MARK: Foundations: pure formulas, the wire contract, storage, the HTTP server, rendering
        .target(name: "Indicators", swiftSettings: swiftSettings),
        .target(name: "Federation", dependencies: ["COpenSSL", "Indicators"], swiftSettings: swiftSettings),
        .target(name: "Storage", dependencies: ["CSQLite"], swiftSettings: swiftSettings),
        .target(name: "PostgreSQL", dependencies: ["CLibPQ"], swiftSettings: swiftSettings),
        .target(name: "HTTPServer", dependencies: ["CMicroHTTPD"], exclude: ["README.md"], swiftSettings: swiftSettings),
        .target(name: "Reports", dependencies: ["Indicators", "Federation", "CXLSXWriter"], exclude: ["README.md"], swiftSettings: swiftSettings),
        .target(name: "CLIKit", swiftSettings: swiftSettings),

        // MARK: The two sides (they never import each other)
        .target(name: "Node", dependencies: ["Storage", "Federation", "Indicators", "Reports", "CMiniZip"], swiftSettings: swiftSettings),
        .target(name: "Coordinator", dependencies: ["Storage", "Federation", "Indicators", "HTTPServer", "PostgreSQL", "Reports"],
                swiftSettings: swiftSettings),

        // MARK: Executables
        .executableTarget(name: "townbench-node", dependencies: ["Node", "CLIKit"], swiftSettings: swiftSettings),
        .executableTarget(name: "townbench-coordinator", dependencies: ["Coordinator", "CLIKit"], swiftSettings: swiftSettings),

        // MARK: Benchmarks (run by deploy/bench/*.sh; figures go to BENCHMARKS.md)
        .executableTarget(name: "bench-indicators", dependencies: ["Indicators"], path: "deploy/bench/bench-indicators",
                          swiftSettings: swiftSettings),
        .executableTarget(name: "bench-federation", dependencies: ["Federation"], path: "deploy/bench/bench-federation",
                          swiftSettings: swiftSettings),
        // The smallest HTTPServer application, driven by deploy/bench/http-empty.sh (wrk).
        .executableTarget(name: "bench-http", dependencies: ["HTTPServer"], path: "deploy/bench/bench-http",
                          swiftSettings: swiftSettings),
        .executableTarget(name: "bench-coordinator", dependencies: ["Coordinator", "Federation", "Indicators", "Storage"],
                          path: "deploy/bench/bench-coordinator", swiftSettings: swiftSettings),

        // MARK: Tests
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: swiftSettings),
        .testTarget(name: "IndicatorsTests", dependencies: ["Indicators", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "FederationTests", dependencies: ["Federation", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "StorageTests", dependencies: ["Storage", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "PostgreSQLTests", dependencies: ["PostgreSQL", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "CLIKitTests", dependencies: ["CLIKit"], swiftSettings: swiftSettings),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "NodeTests", dependencies: ["Node", "Federation", "HTTPServer", "Indicators", "Storage", "TestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "CoordinatorTests", dependencies: ["Coordinator", "Federation", "HTTPServer", "Storage", "TestSupport"],
                    swiftSettings: swiftSettings),
        // Real processes: townbench-node and townbench-coordinator on loopback.
        .testTarget(name: "EndToEndTests", dependencies: ["TestSupport"], swiftSettings: swiftSettings),
        // Fuzz targets: deploy/fuzz.sh builds them with -sanitize=fuzzer,address; a normal build
        // gives `townbench-fuzz TARGET FILE…`, which replays saved inputs (FuzzReplayTests).
        .executableTarget(name: "townbench-fuzz", dependencies: ["Node", "Coordinator", "Federation", "HTTPServer", "Indicators"],
                          path: "Tests/Fuzz/townbench-fuzz", swiftSettings: swiftSettings),
    ],
    swiftLanguageModes: [.v6]
)
