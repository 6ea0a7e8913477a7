/// A silence mutes the alerts its matchers select between `startsAt` and `endsAt`
/// (milliseconds since 1970); an expired silence mutes nothing.
public struct Silence: Sendable, Equatable, Codable {
    public var id: Int64
    public var matchers: [LabelMatcher]
    public var startsAt: Int64
    public var endsAt: Int64

    public init(id: Int64, matchers: [LabelMatcher], startsAt: Int64, endsAt: Int64) {
        self.id = id; self.matchers = matchers; self.startsAt = startsAt; self.endsAt = endsAt
    }

    public func isActive(at now: Int64) -> Bool { startsAt <= now && now < endsAt }

    /// A silence with no matchers would mute everything: it never matches.
    public func mutes(_ labels: [String: String], at now: Int64) -> Bool {
        !matchers.isEmpty && isActive(at: now) && matchers.matches(labels)
    }
}

/// An operator's acknowledgement of an alert: no repeats while it holds. It holds from `at`
/// until `expiresAt` (if any), and only for the firing episode it was given in: an alert
/// that resolves and fires again pages again.
public struct Acknowledgement: Sendable, Equatable, Codable {
    public var alertKey: String
    public var by: String
    public var at: Int64
    public var expiresAt: Int64?

    public init(alertKey: String, by: String, at: Int64, expiresAt: Int64? = nil) {
        self.alertKey = alertKey; self.by = by; self.at = at; self.expiresAt = expiresAt
    }

    public func holds(at now: Int64, firingSince: Int64) -> Bool {
        at >= firingSince && (expiresAt.map { now < $0 } ?? true)
    }
}

/// An inhibition rule, as in Alertmanager: while an alert matching `source` fires, alerts
/// matching `target` that agree with it on every `equal` label are muted. For example a
/// model's volume alert mutes that model's per-feature drift alerts.
public struct InhibitRule: Sendable, Equatable {
    public var source: [LabelMatcher]
    public var target: [LabelMatcher]
    public var equal: [String]

    public init(source: [LabelMatcher], target: [LabelMatcher], equal: [String]) {
        self.source = source; self.target = target; self.equal = equal
    }

    public func inhibits(_ target: [String: String], by source: [String: String]) -> Bool {
        self.target.matches(target) && self.source.matches(source)
            && equal.allSatisfy { (target[$0] ?? "") == (source[$0] ?? "") }
    }
}
