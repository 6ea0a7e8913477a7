// swift-tools-version: 6.1
import PackageDescription

/// driftd: streaming drift monitoring for ML models.
/// Dependencies flow one way: DriftStats ← DriftCore ← adapters ← driftd (see ../shared/STYLE.md).
let package = Package(
    name: "driftd",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "driftd", targets: ["driftd"]),
        .library(name: "DriftStats", targets: ["DriftStats"]),
        .library(name: "DriftCore", targets: ["DriftCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // Pure numerics: SIMD kernels, accumulators, PSI/KS/JS/Wasserstein/chi², p-values.
        .target(name: "DriftStats"),
        // Pure domain: record scanning, columnar samples, feature comparison. No I/O.
        .target(name: "DriftCore", dependencies: ["DriftStats"]),
        // The command-line tool.
        .executableTarget(
            name: "driftd",
            dependencies: [
                "DriftCore", "DriftStats",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Fixture loaders and seeded data shared by the tests.
        .target(name: "DriftTesting", dependencies: ["DriftStats", "DriftCore"]),
        .testTarget(name: "DriftStatsTests", dependencies: ["DriftStats", "DriftTesting"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "DriftCoreTests", dependencies: ["DriftCore", "DriftTesting"]),
        .testTarget(name: "DriftdTests", dependencies: ["driftd", "DriftTesting"]),
    ],
    swiftLanguageModes: [.v6]
)
