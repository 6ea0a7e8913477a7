// swift-tools-version: 6.1
import Foundation
import PackageDescription

/// SwiftPM names a path dependency after its folder: the clone's folder name, whatever it is
/// (`driftd` for a plain `git clone`), lowercased.
let driftd = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent.lowercased()

/// driftd's benchmarks, in their own package so that `swift test` never builds them.
/// Run: `cd Benchmarks && swift package benchmark` (or `scripts/bench` at the top level).
let package = Package(
    name: "driftd-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "../"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "Statistics",
            dependencies: [
                .product(name: "DriftStats", package: driftd),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/Statistics",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "Pipeline",
            dependencies: [
                .product(name: "DriftCore", package: driftd),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/Pipeline",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "Store",
            dependencies: [
                .product(name: "DriftCore", package: driftd),
                .product(name: "DriftStore", package: driftd),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/Store",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
