import Foundation
/// A named destination of notifications. Secrets (webhook signing secrets, PagerDuty
/// routing keys, Slack webhook URLs) are kept here and printed only through `description`,
/// which redacts them.
public struct Receiver: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// POST of the group as JSON; signed with HMAC-SHA256 when `secret` is set.
        case webhook(url: String, secret: String?, headers: [String: String])
        /// PagerDuty Events API v2, one event per alert.
        case pagerDuty(routingKey: String, url: String)
        /// Slack incoming webhook; messages to one channel are coalesced.
        case slack(url: String, channel: String?)
        /// A command run with the alert JSON on standard input.
        case exec(command: [String])
    }

    public var name: String
    public var kind: Kind
    /// Milliseconds a request or command may take.
    public var timeout: Int64
    /// Requests per second, and how many may go at once after a quiet spell.
    public var ratePerSecond: Double
    public var burst: Int

    public init(name: String, kind: Kind, timeout: Int64 = 10_000, ratePerSecond: Double? = nil, burst: Int? = nil) {
        self.name = name; self.kind = kind; self.timeout = timeout
        if case .slack = kind {
            // Slack accepts about one message a second per channel.
            self.ratePerSecond = ratePerSecond ?? 1; self.burst = burst ?? 1
        } else {
            self.ratePerSecond = ratePerSecond ?? 10; self.burst = burst ?? 10
        }
    }

    public static let pagerDutyURL = "https://events.pagerduty.com/v2/enqueue"

    public var typeName: String {
        switch kind {
        case .webhook: "webhook"
        case .pagerDuty: "pagerduty"
        case .slack: "slack"
        case .exec: "exec"
        }
    }

    public var description: String {
        switch kind {
        case .webhook(let url, let secret, _): "\(name) (webhook \(Redaction.url(url))\(secret == nil ? "" : ", signed"))"
        case .pagerDuty: "\(name) (pagerduty, routing key \(Redaction.secret))"
        case .slack(_, let channel): "\(name) (slack\(channel.map { " \($0)" } ?? ""), webhook URL \(Redaction.secret))"
        case .exec(let command): "\(name) (exec \(command.first ?? ""))"
        }
    }
}

/// The one place secrets are turned into something printable.
public enum Redaction {
    public static let secret = "<redacted>"

    /// Keeps scheme, host and port; drops credentials, path and query (which often hold tokens).
    public static func url(_ text: String) -> String {
        guard let schemeEnd = text.range(of: "://") else { return secret }
        let rest = text[schemeEnd.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let host = authority.split(separator: "@").last.map(String.init) ?? ""
        return text[..<schemeEnd.upperBound] + host + (authority.count < rest.count ? "/…" : "")
    }

    /// Replaces every occurrence of the given secrets in a text (e.g. an error message).
    public static func scrub(_ text: String, secrets: [String]) -> String {
        var t = text
        for s in secrets where s.count >= 4 { t = t.replacingOccurrences(of: s, with: secret) }
        return t
    }
}

/// Notification settings of a configuration: receivers, the routing tree, inhibition rules,
/// extra labels per model, and the retry policy.
public struct NotifyConfiguration: Sendable, Equatable {
    public var receivers: [Receiver]
    public var route: Route?
    public var inhibitRules: [InhibitRule]
    /// Extra labels per model id (e.g. team).
    public var modelLabels: [String: [String: String]]
    /// Where driftd's HTTP API is reachable for people, for links in notifications.
    public var externalURL: String?
    public var retry: RetryPolicy
    /// Receivers whose `secret_env` variable is not set, with where and what to do. Only
    /// the commands that send (`driftd run`, `check-config`) need the secrets; store and API
    /// commands (acks, silences, `serve`) work without them.
    public var missingSecrets: [String] = []
    /// Environment variables that hold secrets (secret_env, the API token's): exec receivers
    /// run without them.
    public var secretVariables: Set<String> = []

    public init(receivers: [Receiver] = [], route: Route? = nil, inhibitRules: [InhibitRule] = [],
                modelLabels: [String: [String: String]] = [:], externalURL: String? = nil, retry: RetryPolicy = RetryPolicy()) {
        self.receivers = receivers; self.route = route; self.inhibitRules = inhibitRules
        self.modelLabels = modelLabels; self.externalURL = externalURL; self.retry = retry
    }

    /// Nothing to deliver to: the notifier need not run.
    public var isEmpty: Bool { receivers.isEmpty || route == nil }

    public func receiver(_ name: String) -> Receiver? { receivers.first { $0.name == name } }

    /// Every secret, for scrubbing error messages before they are stored or logged.
    public var secrets: [String] {
        receivers.flatMap { r -> [String] in
            switch r.kind {
            case .webhook(_, let secret, let headers): return (secret.map { [$0] } ?? []) + Array(headers.values)
            case .pagerDuty(let key, _): return [key]
            case .slack(let url, _): return [url]
            case .exec: return []
            }
        }
    }
}
