import Crypto
import DriftCore
import Foundation

/// One HTTP request a receiver should get. Headers may hold secrets: never log them.
public struct OutgoingRequest: Sendable, Equatable {
    public var url: String
    public var headers: [String: String]
    public var body: [UInt8]
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
    public init(url: String, headers: [String: String], body: [UInt8]) { self.url = url; self.headers = headers; self.body = body }
}

/// HMAC-SHA256 signatures of webhook bodies: `X-Driftd-Signature: sha256=<hex>`.
public enum Signing {
    public static let header = "X-Driftd-Signature"

    public static func signature(of body: [UInt8], secret: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + Hex.of(code)
    }

    /// Constant-time comparison, for a receiver checking a signature.
    public static func isValid(_ signature: String, body: [UInt8], secret: String) -> Bool {
        let expected = Array(self.signature(of: body, secret: secret).utf8), given = Array(signature.utf8)
        guard expected.count == given.count else { return false }
        return zip(expected, given).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

enum PayloadJSON {
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return e
    }()
    static func bytes<T: Encodable>(_ value: T) -> [UInt8] { Array((try? encoder.encode(value)) ?? Data("{}".utf8)) }

    static func iso(_ ms: Int64) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }

    static func alertLink(_ base: String?, _ id: Int64) -> String? {
        base.map { ($0.hasSuffix("/") ? String($0.dropLast()) : $0) + "/api/v1/alerts/\(id)" }
    }
}

/// driftd's own webhook document (also the standard input of `exec` receivers).
public struct WebhookBody: Sendable, Codable, Equatable {
    public struct Alert: Sendable, Codable, Equatable {
        public var status: String
        public var alertId: Int64
        public var dedupKey: String
        public var fingerprint: String
        public var labels: [String: String]
        public var severity: String?
        /// The window's figure that caused the change, and the window.
        public var value: Double
        public var windowIndex: Int64
        public var changedAt: String
        public var acknowledgedBy: String?
        public var note: String?
        public var link: String?
        enum CodingKeys: String, CodingKey {
            case status, alertId = "alert_id", dedupKey = "dedup_key", fingerprint, labels, severity, value
            case windowIndex = "window_index", changedAt = "changed_at", acknowledgedBy = "acknowledged_by", note, link
        }
    }
    public var version: String
    public var receiver: String
    public var status: String
    public var groupKey: String
    public var groupLabels: [String: String]
    public var isRepeat: Bool
    public var alerts: [Alert]
    public var links: [String: String]

    enum CodingKeys: String, CodingKey {
        case version, receiver, status, groupKey = "group_key", groupLabels = "group_labels", isRepeat = "repeat", alerts, links
    }

    public init(_ n: GroupNotification, externalURL: String?) {
        version = "1"; receiver = n.receiver; status = n.status.rawValue; groupKey = n.groupKey; groupLabels = n.groupLabels
        isRepeat = n.isRepeat
        alerts = n.alerts.map { a in
            Alert(status: a.status.rawValue, alertId: a.alertID, dedupKey: a.dedupKey, fingerprint: a.alertKey, labels: a.labels,
                  severity: a.severity?.rawValue, value: a.value, windowIndex: a.windowIndex, changedAt: PayloadJSON.iso(a.at),
                  acknowledgedBy: a.by, note: a.note, link: PayloadJSON.alertLink(externalURL, a.alertID))
        }
        links = externalURL.map { ["alerts": ($0.hasSuffix("/") ? String($0.dropLast()) : $0) + "/api/v1/alerts"] } ?? [:]
    }

    public var bytes: [UInt8] { PayloadJSON.bytes(self) }

    /// The POST for a webhook receiver, signed when a secret is set.
    public static func request(_ n: GroupNotification, url: String, secret: String?, headers: [String: String] = [:],
                               externalURL: String?) -> OutgoingRequest {
        let body = WebhookBody(n, externalURL: externalURL).bytes
        var h = headers
        h["Content-Type"] = "application/json"
        h["Idempotency-Key"] = n.idempotencyKey
        if let secret { h[Signing.header] = Signing.signature(of: body, secret: secret) }
        return OutgoingRequest(url: url, headers: h, body: body)
    }
}

/// PagerDuty Events API v2: one event per alert, `dedup_key` stable per fingerprint.
public struct PagerDutyEvent: Sendable, Codable, Equatable {
    public struct Payload: Sendable, Codable, Equatable {
        public var summary: String
        public var source: String
        public var severity: String
        public var timestamp: String
        public var component: String
        public var group: String
        public var `class`: String
        public var customDetails: [String: String]
        enum CodingKeys: String, CodingKey {
            case summary, source, severity, timestamp, component, group, `class`, customDetails = "custom_details"
        }
    }
    public struct Link: Sendable, Codable, Equatable { public var href: String; public var text: String }

    public var routingKey: String
    public var eventAction: String
    public var dedupKey: String
    /// Only for `trigger`.
    public var payload: Payload?
    public var client: String?
    public var clientUrl: String?
    public var links: [Link]?

    enum CodingKeys: String, CodingKey {
        case routingKey = "routing_key", eventAction = "event_action", dedupKey = "dedup_key", payload, client
        case clientUrl = "client_url", links
    }

    public static let summaryLimit = 1024

    /// PagerDuty's severities are critical, error, warning and info.
    public static func severity(_ s: AlertSeverity?) -> String {
        switch s {
        case .critical?: "critical"
        case .warning?: "warning"
        case nil: "info"
        }
    }

    public static func summary(_ a: Notice) -> String {
        let what = a.fingerprint.feature.isEmpty ? "model \(a.fingerprint.model)" : "\(a.fingerprint.model) feature \(a.fingerprint.feature)"
        let text = "[\(a.severity?.rawValue ?? "info")] drift: \(what), rule \(a.fingerprint.rule) = \(Self.figure(a.value)) in window \(a.windowIndex)"
        return text.count <= summaryLimit ? text : String(text.prefix(summaryLimit - 1)) + "…"
    }

    static func figure(_ v: Double) -> String { v.isFinite ? String(format: "%.4g", v) : String(describing: v) }

    public init(_ a: Notice, routingKey: String, externalURL: String?) {
        self.routingKey = routingKey
        dedupKey = a.dedupKey
        switch a.status {
        case .firing:
            eventAction = "trigger"
            var details = a.labels
            details["value"] = Self.figure(a.value)
            details["window_index"] = String(a.windowIndex)
            details["alert_id"] = String(a.alertID)
            payload = Payload(summary: Self.summary(a), source: "driftd/\(a.fingerprint.model)", severity: Self.severity(a.severity),
                              timestamp: PayloadJSON.iso(a.at), component: a.fingerprint.feature.isEmpty ? a.fingerprint.model : a.fingerprint.feature,
                              group: a.fingerprint.model, class: a.fingerprint.rule, customDetails: details)
            client = "driftd"
            clientUrl = externalURL
            links = PayloadJSON.alertLink(externalURL, a.alertID).map { [Link(href: $0, text: "Alert in driftd")] }
        case .acknowledged: eventAction = "acknowledge"
        case .resolved: eventAction = "resolve"
        }
    }

    public static func requests(_ n: GroupNotification, routingKey: String, url: String, externalURL: String?) -> [OutgoingRequest] {
        n.alerts.map { a in
            OutgoingRequest(url: url, headers: ["Content-Type": "application/json"],
                            body: PayloadJSON.bytes(PagerDutyEvent(a, routingKey: routingKey, externalURL: externalURL)))
        }
    }
}

/// A Slack incoming-webhook message: `text` (the notification fallback) and Block Kit
/// `blocks` with the essentials and a link. Several notifications due for one channel at
/// once become one message.
public struct SlackMessage: Sendable, Codable, Equatable {
    public struct Text: Sendable, Codable, Equatable { public var type: String; public var text: String }
    public struct Block: Sendable, Codable, Equatable {
        public var type: String
        public var text: Text?
        public var elements: [Text]?
    }
    public var channel: String?
    public var text: String
    public var blocks: [Block]

    /// Slack truncates section text beyond 3000 characters.
    static let sectionLimit = 3000

    public init(_ notifications: [GroupNotification], channel: String?, externalURL: String?) {
        self.channel = channel
        let alerts = notifications.flatMap(\.alerts)
        let firing = alerts.filter { $0.status == .firing }.count
        let resolved = alerts.filter { $0.status == .resolved }.count
        let acknowledged = alerts.filter { $0.status == .acknowledged }.count
        let counts = [(firing, "firing"), (acknowledged, "acknowledged"), (resolved, "resolved")].filter { $0.0 > 0 }
            .map { "\($0.0) \($0.1)" }.joined(separator: ", ")
        // Slack's mrkdwn gives &, < and > meaning: names are escaped as Slack documents.
        func escaped(_ t: String) -> String {
            t.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        let models = Set(alerts.map(\.fingerprint.model)).sorted().map(escaped).joined(separator: ", ")
        text = "driftd: \(counts) — \(models)"
        var lines: [String] = []
        for a in alerts {
            let icon = a.status == .firing ? (a.severity == .critical ? ":red_circle:" : ":large_orange_circle:")
                : (a.status == .resolved ? ":white_check_mark:" : ":eyes:")
            let model = escaped(a.fingerprint.model), feature = escaped(a.fingerprint.feature)
            let what = feature.isEmpty ? "*\(model)*" : "*\(model)* / `\(feature)`"
            var line = "\(icon) \(a.status.rawValue.uppercased()) \(what) \(escaped(a.fingerprint.rule)) = \(PagerDutyEvent.figure(a.value)) (window \(a.windowIndex))"
            if let by = a.by { line += " by \(escaped(by))" }
            if let link = PayloadJSON.alertLink(externalURL, a.alertID) { line += " <\(link)|details>" }
            lines.append(line)
        }
        var section = lines.joined(separator: "\n")
        if section.count > Self.sectionLimit { section = String(section.prefix(Self.sectionLimit - 1)) + "…" }
        blocks = [Block(type: "section", text: Text(type: "mrkdwn", text: section), elements: nil)]
        if let url = externalURL {
            blocks.append(Block(type: "context", text: nil, elements: [Text(type: "mrkdwn", text: "<\(url)|driftd>")]))
        }
    }

    public var bytes: [UInt8] { PayloadJSON.bytes(self) }

    public static func request(_ notifications: [GroupNotification], url: String, channel: String?, externalURL: String?) -> OutgoingRequest {
        OutgoingRequest(url: url, headers: ["Content-Type": "application/json"],
                        body: SlackMessage(notifications, channel: channel, externalURL: externalURL).bytes)
    }
}
