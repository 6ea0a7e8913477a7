// swift-tools-version: 6.1
import PackageDescription

/// driftd: streaming drift monitoring for ML models.
/// Dependencies flow one way: DriftStats ← DriftCore ← adapters ← driftd (the README's architecture section).
let package = Package(
    name: "driftd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "driftd", targets: ["driftd"]),
        .library(name: "DriftStats", targets: ["DriftStats"]),
        .library(name: "DriftCore", targets: ["DriftCore"]),
        .library(name: "DriftStore", targets: ["DriftStore"]),
        .executable(name: "driftd-calibrate", targets: ["DriftCalibrate"]),
        .executable(name: "driftd-store-growth", targets: ["DriftStoreGrowth"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // Pure numerics: SIMD kernels, accumulators, PSI/KS/JS/Wasserstein/chi², p-values.
        .target(name: "DriftStats"),
        // Pure domain: record scanning, columnar samples, feature comparison. No I/O.
        .target(name: "DriftCore", dependencies: ["DriftStats"]),
        // SQLite alert store (GRDB): baselines, window reports, alerts, outbox, dead letters,
        // audit log, checkpoints.
        .target(name: "DriftStore", dependencies: ["DriftCore", .product(name: "GRDB", package: "GRDB.swift")]),
        // librdkafka through Debian's package; only DriftKafka imports it.
        .systemLibrary(name: "CRdKafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"])]),
        // Kafka source (consumer group, batch polling, offsets) and the embedded broker.
        .target(name: "DriftKafka", dependencies: ["DriftCore", "CRdKafka"]),
        // Pure notification logic: labels, routing tree, grouping scheduler (acks, silences,
        // inhibition), receiver payloads and HMAC signing, retry policy. No I/O; time is a parameter.
        .target(name: "DriftNotify", dependencies: ["DriftCore", .product(name: "Crypto", package: "swift-crypto")]),
        // Receiver transports: HTTP (AsyncHTTPClient) and exec (a child process with a timeout).
        .target(name: "DriftNotifier", dependencies: [
            "DriftNotify",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        // HTTP side (Hummingbird 2): JSON API, /metrics, the dashboard. It reads and acts on
        // the store through DriftCore's OperatorStore port only, never DriftStore itself.
        .target(
            name: "DriftHTTP",
            dependencies: [
                "DriftCore", "DriftStats", "DriftNotify",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Composition: configuration and the services that wire sources, pipeline and store.
        .target(name: "DriftDaemon", dependencies: ["DriftCore", "DriftStore", "DriftKafka", "DriftNotify", "DriftNotifier", "DriftHTTP",
                                                    .product(name: "Yams", package: "Yams"),
                                                    .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                                                    .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                                                    .product(name: "Logging", package: "swift-log")]),
        // The command-line tool.
        .executableTarget(
            name: "driftd",
            dependencies: [
                "DriftCore", "DriftStats", "DriftStore", "DriftDaemon", "DriftKafka", "DriftNotify", "DriftHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // Fixture loaders and seeded data shared by the tests.
        .target(name: "DriftTesting", dependencies: ["DriftStats", "DriftCore", .product(name: "Logging", package: "swift-log")]),
        // Test traits (imports Testing, so only test targets depend on it).
        .target(name: "DriftTestTraits"),
        // False alarms and detection delay of the default rules on generated streams, beside
        // the peers' default rules (BENCHMARKS.md, issue 9).
        .executableTarget(name: "DriftCalibrate", dependencies: ["DriftStats", "DriftCore", "DriftTesting"]),
        // How the store grows and how retention bounds it (BENCHMARKS.md, issue 15 §3).
        .executableTarget(name: "DriftStoreGrowth", dependencies: ["DriftCore", "DriftStore", "DriftTesting",
                                                                    .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "DriftStatsTests", dependencies: ["DriftStats", "DriftTesting"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "DriftCoreTests", dependencies: ["DriftCore", "DriftTesting", "DriftTestTraits"]),
        .testTarget(name: "DriftStoreTests", dependencies: ["DriftStore", "DriftTesting", "DriftTestTraits", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "DriftNotifyTests", dependencies: ["DriftNotify", "DriftCore"]),
        .testTarget(name: "DriftDaemonTests", dependencies: [
            "DriftDaemon", "DriftTesting", "DriftNotify", "DriftStore", "DriftTestTraits",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        .testTarget(name: "DriftHTTPTests", dependencies: ["DriftHTTP", "DriftStore", "DriftTesting", "DriftTestTraits",
                                                           .product(name: "Hummingbird", package: "hummingbird"),
                                                           .product(name: "HummingbirdTesting", package: "hummingbird")]),
        .testTarget(name: "DriftKafkaTests", dependencies: ["DriftKafka", "DriftTesting"]),
        .testTarget(name: "DriftdTests", dependencies: ["driftd", "DriftTesting", "DriftTestTraits", "DriftKafka", "DriftStore"]),
    ],
    swiftLanguageModes: [.v6]
)

// Every existential says `any`, and a file uses only what it imports (no member reaches it
// through another file's import): for every target.
for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + [
        .enableUpcomingFeature("ExistentialAny"),
        .enableUpcomingFeature("MemberImportVisibility"),
    ]
}

