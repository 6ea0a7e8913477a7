/// One node of the routing tree, as in Alertmanager. The root matches every alert. An alert
/// descends into the first child whose matchers hold (and on into later children too when
/// that child has `continue`); where no child matches, the node itself takes the alert.
/// Unset settings are inherited from the parent.
public struct Route: Sendable, Equatable {
    public var receiver: String?
    public var matchers: [LabelMatcher]
    public var continueMatching: Bool
    /// Labels that split alerts into groups; `["..."]` groups by every label.
    public var groupBy: [String]?
    /// Milliseconds: wait before a new group's first notification, between notifications of
    /// a group that changed, and before repeating one that did not.
    public var groupWait: Int64?
    public var groupInterval: Int64?
    public var repeatInterval: Int64?
    public var sendResolved: Bool?
    public var routes: [Route]

    public init(receiver: String? = nil, matchers: [LabelMatcher] = [], continueMatching: Bool = false, groupBy: [String]? = nil,
                groupWait: Int64? = nil, groupInterval: Int64? = nil, repeatInterval: Int64? = nil, sendResolved: Bool? = nil,
                routes: [Route] = []) {
        self.receiver = receiver; self.matchers = matchers; self.continueMatching = continueMatching; self.groupBy = groupBy
        self.groupWait = groupWait; self.groupInterval = groupInterval; self.repeatInterval = repeatInterval
        self.sendResolved = sendResolved; self.routes = routes
    }

    /// Alertmanager's defaults for the root.
    public static let defaultGroupWait: Int64 = 30_000
    public static let defaultGroupInterval: Int64 = 300_000
    public static let defaultRepeatInterval: Int64 = 4 * 3_600_000

    /// The routes an alert with these labels takes (each a leaf with all settings resolved).
    public func match(_ labels: [String: String]) -> [ResolvedRoute] {
        let root = ResolvedRoute(id: "0", receiver: receiver ?? "", groupBy: groupBy ?? [],
                                 groupWait: groupWait ?? Self.defaultGroupWait, groupInterval: groupInterval ?? Self.defaultGroupInterval,
                                 repeatInterval: repeatInterval ?? Self.defaultRepeatInterval, sendResolved: sendResolved ?? true)
        var result: [ResolvedRoute] = []
        descend(labels, settings: root, into: &result)
        var seen = Set<String>()
        return result.filter { !$0.receiver.isEmpty && seen.insert($0.receiver).inserted }
    }

    private func descend(_ labels: [String: String], settings: ResolvedRoute, into result: inout [ResolvedRoute]) {
        var matched = false
        for (i, child) in routes.enumerated() where child.matchers.matches(labels) {
            matched = true
            child.descend(labels, settings: child.inheriting(settings, id: "\(settings.id).\(i)"), into: &result)
            if !child.continueMatching { break }
        }
        if !matched { result.append(settings) }
    }

    private func inheriting(_ parent: ResolvedRoute, id: String) -> ResolvedRoute {
        ResolvedRoute(id: id, receiver: receiver ?? parent.receiver, groupBy: groupBy ?? parent.groupBy,
                      groupWait: groupWait ?? parent.groupWait, groupInterval: groupInterval ?? parent.groupInterval,
                      repeatInterval: repeatInterval ?? parent.repeatInterval, sendResolved: sendResolved ?? parent.sendResolved)
    }

    /// The settings of the node at `id` ("0", "0.1", "0.1.0"…) as `match` would resolve them.
    public func resolved(id: String) -> ResolvedRoute? {
        let parts = id.split(separator: ".").map { Int($0) }
        guard parts.first == 0, parts.allSatisfy({ $0 != nil }) else { return nil }
        var node = self
        var settings = ResolvedRoute(id: "0", receiver: receiver ?? "", groupBy: groupBy ?? [],
                                     groupWait: groupWait ?? Self.defaultGroupWait, groupInterval: groupInterval ?? Self.defaultGroupInterval,
                                     repeatInterval: repeatInterval ?? Self.defaultRepeatInterval, sendResolved: sendResolved ?? true)
        for index in parts.dropFirst().map({ $0! }) {
            guard index < node.routes.count else { return nil }
            node = node.routes[index]
            settings = node.inheriting(settings, id: "\(settings.id).\(index)")
        }
        return settings
    }

    /// Every receiver name the tree mentions, with the path of the node naming it.
    public var receiverNames: [(path: String, name: String)] {
        var names: [(String, String)] = receiver.map { [("route", $0)] } ?? []
        for (i, child) in routes.enumerated() {
            names += child.receiverNames.map { ("route.routes[\(i)]" + $0.path.dropFirst("route".count), $0.name) }
        }
        return names
    }
}

/// Where an alert goes and how its group is paced, every setting resolved.
public struct ResolvedRoute: Sendable, Hashable, Codable {
    /// The node's position in the tree ("0" is the root, "0.1" its second child).
    public var id: String
    public var receiver: String
    public var groupBy: [String]
    public var groupWait: Int64
    public var groupInterval: Int64
    public var repeatInterval: Int64
    public var sendResolved: Bool

    public init(id: String, receiver: String, groupBy: [String] = [], groupWait: Int64 = 0, groupInterval: Int64 = 0,
                repeatInterval: Int64 = Route.defaultRepeatInterval, sendResolved: Bool = true) {
        self.id = id; self.receiver = receiver; self.groupBy = groupBy; self.groupWait = groupWait
        self.groupInterval = groupInterval; self.repeatInterval = repeatInterval; self.sendResolved = sendResolved
    }

    /// The labels that name an alert's group on this route.
    public func groupLabels(of labels: [String: String]) -> [String: String] {
        if groupBy == ["..."] { return labels }
        var g: [String: String] = [:]
        for name in groupBy { g[name] = labels[name] ?? "" }
        return g
    }
}
