import DriftCore
import DriftStore
import Foundation
import Yams

/// The `retention:` section: how long the store keeps each kind of row, and how often a
/// running daemon prunes. Every key is optional (RetentionPolicy.default):
/// ```yaml
/// retention:
///   window_reports: 14d     # a duration (90m, 12h, 30d, 2w), a count (keep the newest N; per model), or keep
///   resolved_alerts: 90d
///   deliveries: 30d
///   dead_letters: 7d
///   audit: keep
///   interval: 10m
/// ```
extension NodeReader {
    func retention(_ node: Node, path: String) throws -> RetentionPolicy {
        let m = try mapping(node, path: path, allowed: Set(RetentionKind.allCases.map(\.rawValue) + ["interval"]))
        var policy = RetentionPolicy.default
        for kind in RetentionKind.allCases {
            if let n = m[kind.rawValue] { policy.kinds[kind] = try retention(n, path: path + "." + kind.rawValue, kind: kind) }
        }
        if let n = m["interval"] {
            let milliseconds = try duration(n, path: path + ".interval")
            guard milliseconds >= 1_000 else { throw error(n, path + ".interval", "prune at most once a second; give a duration such as 10m") }
            policy.interval = Double(milliseconds) / 1000
        }
        return policy
    }

    /// `keep`, a whole number N (keep the newest N), or a duration with a unit of minutes or
    /// more: a bare number is a count here, never milliseconds as elsewhere, and a retention
    /// shorter than a minute would take reports the dashboard is still showing.
    func retention(_ node: Node, path: String, kind: RetentionKind) throws -> Retention {
        let text = try string(node, path: path).trimmingCharacters(in: .whitespaces)
        let expected = "expected a duration such as 90m, 12h, 30d or 2w, a count (keep the newest N\(kind == .windowReports ? " per model" : "")) or keep"
        if text == "keep" { return .keep }
        let digits = text.replacingOccurrences(of: "_", with: "")
        if !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) {
            guard let n = Int(digits), n >= 1 else {
                throw error(node, path, "a count keeps the newest N and must be at least 1, got '\(text)'; to keep everything write keep")
            }
            return .newest(n)
        }
        let units: [(String, Double)] = [("m", 60), ("h", 3_600), ("d", 86_400), ("w", 604_800)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let v = Double(text.dropLast(suffix.count)), v.isFinite else { break }
            guard v > 0 else { throw error(node, path, "a retention of \(text) would prune everything at once; \(expected)") }
            let seconds = v * scale
            guard seconds >= 60 else { throw error(node, path, "keep rows at least a minute (got \(text)); \(expected)") }
            guard seconds <= 100 * 365 * 86_400 else { throw error(node, path, "at most a century (got \(text)); to keep everything write keep") }
            return .age(seconds: seconds.rounded())
        }
        if text.hasSuffix("s") || text.hasSuffix("ms") {
            throw error(node, path, "keep rows at least a minute (got \(text)); \(expected)")
        }
        throw error(node, path, "\(expected), got '\(text)'")
    }
}
