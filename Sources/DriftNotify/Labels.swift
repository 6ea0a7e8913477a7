import Foundation
import DriftCore

/// The labels of an alert: what routes, groups, silences and inhibitions match on.
/// `model`, `feature` (empty for a model-level rule), `rule` and `severity` come from the
/// alert; a model's extra labels (e.g. `team`) come from the configuration and never
/// override those four.
public enum AlertLabels {
    public static let builtIn: Set<String> = ["model", "feature", "rule", "severity"]

    public static func of(_ fingerprint: AlertFingerprint, severity: AlertSeverity?, extra: [String: String] = [:]) -> [String: String] {
        var labels = extra
        labels["model"] = fingerprint.model
        labels["feature"] = fingerprint.feature
        labels["rule"] = fingerprint.rule
        labels["severity"] = severity?.rawValue ?? ""
        return labels
    }
}

/// One condition on a label, as in Alertmanager: `=` and `!=` compare the value, `=~` and
/// `!~` match a regular expression against the whole value. A missing label reads as "".
public struct LabelMatcher: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Operator: String, Sendable, Codable, CaseIterable {
        case equal = "=", notEqual = "!=", matches = "=~", notMatches = "!~"
    }

    public var name: String
    public var op: Operator
    public var value: String

    /// A matcher; a regular expression that does not compile is an error here, never later.
    public init(name: String, op: Operator, value: String) throws(MatcherError) {
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-" }) else {
            throw MatcherError(reason: "a label name is letters, digits, '_', '.' or '-', got '\(name)'")
        }
        if op == .matches || op == .notMatches {
            do { _ = try Regex(value) } catch {
                throw MatcherError(reason: "'\(value)' is not a valid regular expression")
            }
        }
        self.name = name; self.op = op; self.value = value
    }

    /// Parses `name=value`, `name!=value`, `name=~regex` or `name!~regex`; the value may
    /// be quoted with double quotes.
    public init(parsing text: String) throws(MatcherError) {
        let operators: [Operator] = [.matches, .notMatches, .notEqual, .equal]
        var best: (Range<String.Index>, Operator)?
        for op in operators {
            guard let r = text.range(of: op.rawValue) else { continue }
            if best == nil || r.lowerBound < best!.0.lowerBound { best = (r, op) }
        }
        guard let (range, op) = best else {
            throw MatcherError(reason: "expected name=value, name!=value, name=~regex or name!~regex, got '\(text)'")
        }
        let name = text[..<range.lowerBound].trimmingWhitespace()
        var value = text[range.upperBound...].trimmingWhitespace()
        if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
        try self.init(name: name, op: op, value: value)
    }

    public func matches(_ labels: [String: String]) -> Bool {
        let actual = labels[name] ?? ""
        switch op {
        case .equal: return actual == value
        case .notEqual: return actual != value
        case .matches: return Self.wholeMatch(actual, value)
        case .notMatches: return !Self.wholeMatch(actual, value)
        }
    }

    static func wholeMatch(_ text: String, _ pattern: String) -> Bool {
        guard let regex = try? Regex(pattern) else { return false }
        return (try? regex.wholeMatch(in: text)) != nil
    }

    public var description: String { "\(name)\(op.rawValue)\"\(value)\"" }

    enum CodingKeys: String, CodingKey { case name, op, value }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(name: try c.decode(String.self, forKey: .name), op: try c.decode(Operator.self, forKey: .op),
                      value: try c.decode(String.self, forKey: .value))
    }
}

public struct MatcherError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}

extension [LabelMatcher] {
    /// All matchers hold (an empty list matches everything).
    public func matches(_ labels: [String: String]) -> Bool { allSatisfy { $0.matches(labels) } }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while s.first?.isWhitespace == true { s = s.dropFirst() }
        while s.last?.isWhitespace == true { s = s.dropLast() }
        return String(s)
    }
}
