import Foundation

/// One case of `Tests/DriftStatsTests/Fixtures/goldens-public.jsonl`: two samples and the
/// values scipy, numpy and Evidently compute for them (that folder's README gives each convention).
public struct GoldenCase: Sendable, CustomStringConvertible {
    public let id: String
    public let kind: String
    /// Numbers for numeric cases.
    public let referenceNumbers: [Double]
    public let currentNumbers: [Double]
    /// Strings for categorical cases.
    public let referenceCategories: [String]
    public let currentCategories: [String]
    /// `expected[name][field]`, e.g. `expected["ks_auto"]["pvalue"]`.
    public let expected: [String: [String: Double]]
    public let expectedEdges: [Double]?

    public var isNumeric: Bool { kind == "numeric" }
    public var description: String { id }

    public func value(_ name: String, _ field: String) -> Double? { expected[name]?[field] }
}

public enum Fixtures {
    /// The repository root, found from this source file's location.
    public static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// The reference values live in the repository, beside the statistics tests.
    public static var goldensPath: String {
        repositoryRoot.appendingPathComponent("Tests/DriftStatsTests/Fixtures/goldens-public.jsonl").path
    }

    /// Every case of the public goldens (the metadata line skipped); empty when the file
    /// cannot be read, which `FixturePresenceTests` reports as a failure.
    public static let goldens: [GoldenCase] = {
        let url = URL(fileURLWithPath: goldensPath)
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line -> GoldenCase? in
            guard let object = try? JSONValue.parse(String(line)), let id = object["id"]?.string else { return nil }
            let kind = object["kind"]!.string!
            var expected: [String: [String: Double]] = [:]
            var edges: [Double]? = nil
            for (name, fields) in object["expected"]!.object! {
                var values: [String: Double] = [:]
                for (field, v) in fields.object! {
                    if let b = v.bool { values[field] = b ? 1 : 0 } else if let n = v.number { values[field] = n }
                }
                if name == "psi_decile_eps1e-4" { edges = fields["edges"]?.array?.map { $0.number! } }
                expected[name] = values
            }
            let ref = object["ref"]!.array!, cur = object["cur"]!.array!
            func text(_ v: JSONValue) -> String { v.string ?? v.number.map { "\($0)" } ?? "\(v)" }
            return GoldenCase(
                id: id, kind: kind,
                referenceNumbers: kind == "numeric" ? ref.map { $0.number! } : [],
                currentNumbers: kind == "numeric" ? cur.map { $0.number! } : [],
                referenceCategories: kind == "numeric" ? [] : ref.map(text),
                currentCategories: kind == "numeric" ? [] : cur.map(text),
                expected: expected, expectedEdges: edges)
        }
    }()

    public static var numericGoldens: [GoldenCase] { goldens.filter(\.isNumeric) }
    public static var categoricalGoldens: [GoldenCase] { goldens.filter { !$0.isNumeric } }
}

/// Relative closeness, with an absolute floor for values at or near zero.
public func isClose(_ a: Double, _ b: Double, relative: Double, absolute: Double = 0) -> Bool {
    if a == b { return true }
    return Swift.abs(a - b) <= Swift.max(relative * Swift.max(Swift.abs(a), Swift.abs(b)), absolute)
}
