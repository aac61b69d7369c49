// swift-tools-version: 6.1
import PackageDescription

// Linux only: the sources call Glibc directly (no platforms entry, so no Apple platform is claimed).

let package = Package(
    name: "Stowage",
    products: [
        .library(name: "BlobStore", targets: ["BlobStore"]),
        .library(name: "Registry", targets: ["Registry"]),
        .executable(name: "stowage", targets: ["stowage"]),
        .executable(name: "stowage-fsck", targets: ["stowage-fsck"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        // traits: [] drops swift-configuration, which Stowage does not use.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
    ],
    targets: [
        // Hardware SHA-256 block functions; each carries its own target attribute, so no global flags.
        .target(name: "CSHA256"),
        // System calls Swift's Glibc module does not expose.
        .target(name: "CStowageSystem"),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CXXHash", pkgConfig: "libxxhash", providers: [.apt(["libxxhash-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .target(
            name: "BlobStore",
            dependencies: ["CSHA256", "CStowageSystem", "CZstd", "CXXHash", "CZlib"]
        ),
        // The S3 client of the cluster store: SigV4 and the few S3 operations it needs, over async-http-client.
        .target(
            name: "ObjectStore",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .target(
            name: "Registry",
            dependencies: [
                "BlobStore", "ObjectStore", "CSQLite", "CStowageSystem",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HummingbirdHTTP2", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "_ConnectionPoolModule", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Mustache", package: "swift-mustache"),
            ]
        ),
        .executableTarget(
            name: "stowage",
            dependencies: [
                "BlobStore", "Registry", "ObjectStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // Checks and repairs a data directory; thin over BlobStore's Check/ and Registry's Integrity/.
        .executableTarget(
            name: "stowage-fsck",
            dependencies: [
                "BlobStore", "Registry", "ObjectStore", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tools/stowage-fsck"
        ),
        .testTarget(
            name: "BlobStoreTests",
            dependencies: ["BlobStore", "CrashWriter", "TestSupport", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // Helpers the test targets share: finding built executables, collecting a child's output.
        .target(
            name: "TestSupport",
            dependencies: [
                "CStowageSystem", "ObjectStore", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/TestSupport"
        ),
        // The child process the crash test kills; a dependency of the tests so that it is built.
        .executableTarget(name: "CrashWriter", dependencies: ["BlobStore"], path: "Tests/CrashWriter"),
        .testTarget(
            name: "RegistryTests",
            dependencies: [
                "Registry", "ObjectStore", "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // Depends on the executable so that `swift build --build-tests` builds the binary it runs.
        .testTarget(name: "StowageTests", dependencies: ["stowage", "stowage-fsck", "BlobStore", "ObjectStore", "TestSupport"]),
        // The S3 client against AWS's published signatures and a real radosgw (Tools/radosgw-test-cluster.sh).
        .testTarget(name: "ObjectStoreTests", dependencies: ["ObjectStore", "TestSupport"]),
        // Fault injection on real stores, checked and repaired by the built stowage-fsck.
        .testTarget(name: "FsckTests", dependencies: ["stowage-fsck", "stowage", "BlobStore", "Registry", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)

// Micro-benchmarks pull in ordo-one/benchmark and its dependencies; gate them so that ordinary
// builds and CI never resolve them. Run with
// `STOWAGE_BENCHMARKS=1 swift package benchmark --target HashBenchmarks`.
if Context.environment["STOWAGE_BENCHMARKS"] != nil {
    package.dependencies.append(
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"])
    )
    package.targets.append(
        .executableTarget(
            name: "HashBenchmarks",
            dependencies: [
                "BlobStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/HashBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    )
    package.targets.append(.executableTarget(name: "EngineBench", dependencies: ["BlobStore"], path: "Benchmarks/EngineBench"))
}

// The registry benchmark harness talks HTTP through async-http-client too; gate it so that
// ordinary builds and CI never compile it. Build with
// `STOWAGE_BENCH_TOOL=1 swift build -c release --scratch-path .build-bench-tool --product stowage-bench`.
if Context.environment["STOWAGE_BENCH_TOOL"] != nil {
    package.targets.append(
        .executableTarget(
            name: "stowage-bench",
            dependencies: [
                "BlobStore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Tools/stowage-bench"
        )
    )
}
