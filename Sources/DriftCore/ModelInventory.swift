/// Who answers for a model and how much it matters: the inventory entry an auditor asks for
/// (`owner`, `team`, `stage`, `risk_tier`, `description` in a model's configuration). Stage,
/// risk tier, team and owner are also alert labels, so routes can send production criticals
/// to the pager and staging to chat.
public struct ModelInventory: Sendable, Equatable, Codable {
    /// Where a model is in its life.
    public enum Stage: String, Sendable, Codable, CaseIterable {
        case development, staging, production, retired
    }

    public var owner: String?
    public var team: String?
    public var stage: Stage?
    /// The organisation's own scale (e.g. `high`, `tier-1`): driftd keeps and labels it.
    public var riskTier: String?
    public var description: String?

    public init(owner: String? = nil, team: String? = nil, stage: Stage? = nil, riskTier: String? = nil, description: String? = nil) {
        self.owner = owner; self.team = team; self.stage = stage; self.riskTier = riskTier; self.description = description
    }

    /// Nothing given.
    public var isEmpty: Bool { self == ModelInventory() }

    /// The label names the inventory sets on the model's alerts.
    public static let labelNames: Set<String> = ["owner", "team", "stage", "risk_tier"]

    /// The alert labels of the fields given.
    public var labels: [String: String] {
        var labels: [String: String] = [:]
        if let owner { labels["owner"] = owner }
        if let team { labels["team"] = team }
        if let stage { labels["stage"] = stage.rawValue }
        if let riskTier { labels["risk_tier"] = riskTier }
        return labels
    }
}
