import Crypto
import DriftCore
import Foundation

/// One thing a receiver should hear about one alert: it fired (or changed severity), it was
/// acknowledged, or it resolved. Each notice is one stored delivery (an outbox entry for one
/// receiver); `deliveryID` is nil for a notice rebuilt from an alert already delivered.
public struct Notice: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Codable { case firing, acknowledged, resolved }
    public var deliveryID: Int64?
    public var alertID: Int64
    public var fingerprint: AlertFingerprint
    public var status: Status
    public var severity: AlertSeverity?
    public var labels: [String: String]
    /// The window's figure that caused the change, and the window.
    public var value: Double
    public var windowIndex: Int64
    /// When the transition was stored (milliseconds since 1970).
    public var at: Int64
    /// For an acknowledgement: who, and their note.
    public var by: String?
    public var note: String?

    public init(deliveryID: Int64?, alertID: Int64, fingerprint: AlertFingerprint, status: Status, severity: AlertSeverity?,
                labels: [String: String], value: Double, windowIndex: Int64, at: Int64, by: String? = nil, note: String? = nil) {
        self.deliveryID = deliveryID; self.alertID = alertID; self.fingerprint = fingerprint; self.status = status
        self.severity = severity; self.labels = labels; self.value = value; self.windowIndex = windowIndex; self.at = at
        self.by = by; self.note = note
    }

    public var alertKey: String { fingerprint.description }

    /// Stable per fingerprint, so a receiver (PagerDuty's `dedup_key`) sees one incident
    /// per alert however often it is told; at most 255 characters.
    public var dedupKey: String { Self.dedupKey(fingerprint) }

    public static func dedupKey(_ fingerprint: AlertFingerprint) -> String {
        let text = "driftd/" + fingerprint.description
        return text.utf8.count <= 255 ? text : "driftd/sha256:" + Hex.of(SHA256.hash(data: Data(fingerprint.description.utf8)))
    }
}

/// What a scheduler hands to a receiver at once: the alerts of one group that changed
/// (and, when due, the ones still firing that are repeated).
public struct GroupNotification: Sendable, Equatable, Codable {
    public var route: ResolvedRoute
    public var groupKey: String
    public var groupLabels: [String: String]
    public var alerts: [Notice]
    /// The stored deliveries this notification settles.
    public var deliveryIDs: [Int64]
    /// Nothing changed: the group's firing alerts are repeated after `repeat_interval`.
    public var isRepeat: Bool
    /// The deliveries whose alerts this notification repeats: its attempts are logged
    /// against them (as repeats; their status stays).
    public var repeatedDeliveryIDs: [Int64]?
    public var at: Int64

    public init(route: ResolvedRoute, groupKey: String, groupLabels: [String: String], alerts: [Notice], deliveryIDs: [Int64],
                isRepeat: Bool, at: Int64) {
        self.route = route; self.groupKey = groupKey; self.groupLabels = groupLabels; self.alerts = alerts
        self.deliveryIDs = deliveryIDs; self.isRepeat = isRepeat; self.at = at
    }

    public var receiver: String { route.receiver }

    /// firing while any alert in it fires; otherwise acknowledged or resolved.
    public var status: Notice.Status {
        if alerts.contains(where: { $0.status == .firing }) { return .firing }
        return alerts.contains(where: { $0.status == .acknowledged }) ? .acknowledged : .resolved
    }

    /// The same for every retry of this notification, also after a restart (it is derived
    /// from the deliveries it settles), so a receiver can drop a repeat of a request.
    public var idempotencyKey: String {
        let basis = deliveryIDs.isEmpty
            ? "repeat|\(receiver)|\(groupKey)|\(at)"
            : "\(receiver)|" + deliveryIDs.sorted().map(String.init).joined(separator: ",")
        return Hex.of(SHA256.hash(data: Data(basis.utf8))).prefix(32).description
    }
}

enum Hex {
    static func of<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }
}
