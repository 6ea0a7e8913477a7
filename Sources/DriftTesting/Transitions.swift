import DriftCore
import Foundation

/// Alert transitions as the alert book writes them, for store and notifier tests that need
/// alerts without running windows (AlertTransition has no public initialiser by design: only
/// the book makes them; this decodes one, as a restored checkpoint would).
public enum Transitions {
    public static func make(_ model: String, _ feature: String, _ rule: String, _ kind: AlertTransition.Kind,
                            severity: AlertSeverity? = .warning, value: Double = 0.3, window: Int64 = 1) -> AlertTransition {
        let (from, to): (String?, String?) = switch kind {
        case .pending: (nil, "pending")
        case .firing: (nil, "firing")
        case .severityChanged: ("firing", "firing")
        case .resolved: ("firing", "resolved")
        case .cancelled: ("pending", nil)
        }
        var object: [String: Any] = ["fingerprint": ["model": model, "feature": feature, "rule": rule], "kind": kind.rawValue,
                                     "value": value, "windowIndex": window]
        object["from"] = from; object["to"] = to; object["severity"] = severity?.rawValue
        let data = try! JSONSerialization.data(withJSONObject: object)
        return try! JSONDecoder().decode(AlertTransition.self, from: data)
    }

    /// A pipeline output holding just these transitions.
    public static func output(_ transitions: [AlertTransition]) -> PipelineOutput {
        var pipeline = Pipeline(source: "test", monitors: [], rules: [:])
        var o = pipeline.takeOutput()
        o.transitions = transitions
        return o
    }

    /// An empty checkpoint to commit with.
    public static var checkpoint: PipelineCheckpoint { Pipeline(source: "test", monitors: [], rules: [:]).checkpoint }
}
