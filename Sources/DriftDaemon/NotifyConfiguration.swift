import DriftNotify
import Foundation
import Yams

/// Reading of the notification sections of the configuration file:
/// ```yaml
/// external_url: http://driftd.internal:8080     # for links in notifications
/// receivers:
///   - { name: oncall, type: pagerduty, secret_env: PD_ROUTING_KEY }
///   - { name: hook, type: webhook, url: "https://hooks.internal/driftd", secret_env: DRIFTD_WEBHOOK_SECRET }
///   - { name: chat, type: slack, secret_env: SLACK_WEBHOOK_URL, channel: "#ml-alerts" }
///   - { name: script, type: exec, command: [/usr/local/bin/page, --quiet], timeout: 10s }
/// route:
///   receiver: hook
///   group_by: [model]
///   group_wait: 30s
///   group_interval: 5m
///   repeat_interval: 4h
///   routes:
///     - { matchers: ["severity=critical"], receiver: oncall, continue: true }
///     - { matchers: ["team=growth"], receiver: chat }
/// inhibit_rules:
///   - { source_matchers: ["rule=~volume|schema"], target_matchers: ["feature!="], equal: [model] }
/// delivery: { max_attempts: 10, backoff: 1s, max_backoff: 5m }
/// models:
///   - id: shop
///     labels: { team: growth }
/// ```
/// `secret_env` names an environment variable holding the receiver's secret: the webhook's
/// signing secret, PagerDuty's routing key, or the Slack webhook URL.
extension NodeReader {
    static let notifyKeys: Set<String> = ["receivers", "route", "inhibit_rules", "external_url", "delivery"]

    func notify(_ top: [String: Node], root: Node, environment: [String: String]) throws -> NotifyConfiguration {
        var c = NotifyConfiguration()
        if let n = top["receivers"] { (c.receivers, c.missingSecrets, c.secretVariables) = try receivers(n, path: "receivers", environment: environment) }
        if let n = top["route"] {
            let r = try route(n, path: "route")
            guard r.receiver != nil else { throw error(n, "route.receiver", "missing; the root route needs a receiver (the default for alerts no child route takes)") }
            for (path, name) in r.receiverNames where c.receiver(name) == nil {
                throw error(locate(n, path: path), path + ".receiver",
                            "unknown receiver '\(name)'; receivers are: \(c.receivers.map(\.name).joined(separator: ", "))")
            }
            c.route = r
        } else if !c.receivers.isEmpty {
            throw error(top["receivers"], "route", "receivers are configured but no route: add `route: { receiver: NAME }`")
        }
        if let n = top["inhibit_rules"] {
            guard case .sequence(let seq) = n else { throw error(n, "inhibit_rules", "expected a list of inhibition rules") }
            c.inhibitRules = try seq.enumerated().map { i, node in
                let p = "inhibit_rules[\(i)]"
                let m = try mapping(node, path: p, allowed: ["source_matchers", "target_matchers", "equal"])
                return InhibitRule(source: try matchers(try required(m, "source_matchers", path: p, parent: node), path: p + ".source_matchers"),
                                   target: try matchers(try required(m, "target_matchers", path: p, parent: node), path: p + ".target_matchers"),
                                   equal: try m["equal"].map { try strings($0, path: p + ".equal") } ?? [])
            }
        }
        if let n = top["external_url"] {
            let url = try string(n, path: "external_url")
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else { throw error(n, "external_url", "expected an http:// or https:// URL") }
            c.externalURL = url
        }
        if let n = top["delivery"] {
            let m = try mapping(n, path: "delivery", allowed: ["max_attempts", "backoff", "max_backoff"])
            if let a = m["max_attempts"] { c.retry.maxAttempts = try int(a, path: "delivery.max_attempts", minimum: 1) }
            if let b = m["backoff"] { c.retry.baseDelay = try duration(b, path: "delivery.backoff") }
            if let b = m["max_backoff"] { c.retry.maxDelay = try duration(b, path: "delivery.max_backoff") }
            if c.retry.maxDelay < c.retry.baseDelay { throw error(m["max_backoff"], "delivery.max_backoff", "must be at least delivery.backoff") }
        }
        if case .mapping(let rootMapping) = root, let models = rootMapping["models"], case .sequence(let seq) = models {
            for (i, node) in seq.enumerated() {
                guard case .mapping(let m) = node, let labelsNode = m["labels"], let id = m["id"]?.string else { continue }
                var labels: [String: String] = [:]
                for (name, value) in try anyMapping(labelsNode, path: "models[\(i)].labels") {
                    let p = "models[\(i)].labels.\(name)"
                    if AlertLabels.builtIn.contains(name) { throw error(value, p, "\(name) is set by driftd itself; choose another label name") }
                    guard (try? LabelMatcher(name: name, op: .equal, value: "")) != nil else {
                        throw error(value, p, "a label name is letters, digits, '_', '.' or '-'")
                    }
                    labels[name] = try string(value, path: p)
                }
                c.modelLabels[id] = labels
            }
        }
        return c
    }

    /// The node at a receiver-name path such as `route.routes[1].routes[0]`, for line numbers.
    func locate(_ routeNode: Node, path: String) -> Node {
        var node = routeNode
        for part in path.split(separator: ".").dropFirst() {
            guard let open = part.firstIndex(of: "["), let index = Int(part[part.index(after: open)...].dropLast()),
                  case .mapping(let m) = node, let routes = m["routes"], case .sequence(let seq) = routes, index < seq.count else { break }
            node = seq[index]
        }
        if case .mapping(let m) = node, let r = m["receiver"] { return r }
        return node
    }

    func strings(_ node: Node, path: String) throws -> [String] {
        if case .sequence(let seq) = node { return try seq.enumerated().map { try string($1, path: "\(path)[\($0)]") } }
        return [try string(node, path: path)]
    }

    func matchers(_ node: Node, path: String) throws -> [LabelMatcher] {
        guard case .sequence(let seq) = node else {
            throw error(node, path, "expected a list of matchers such as [\"model=shop\", \"severity=~warning|critical\"]")
        }
        return try seq.enumerated().map { i, n in
            let text = try string(n, path: "\(path)[\(i)]")
            do throws(MatcherError) { return try LabelMatcher(parsing: text) } catch { throw self.error(n, "\(path)[\(i)]", error.reason) }
        }
    }

    func route(_ node: Node, path: String) throws -> Route {
        let m = try mapping(node, path: path, allowed: ["receiver", "matchers", "continue", "group_by", "group_wait", "group_interval",
                                                        "repeat_interval", "send_resolved", "routes"])
        var r = Route()
        r.receiver = try m["receiver"].map { try string($0, path: path + ".receiver") }
        if let n = m["matchers"] { r.matchers = try matchers(n, path: path + ".matchers") }
        if let n = m["continue"] { r.continueMatching = try bool(n, path: path + ".continue") }
        if let n = m["group_by"] { r.groupBy = try strings(n, path: path + ".group_by") }
        if let n = m["group_wait"] { r.groupWait = try durationOrZero(n, path: path + ".group_wait") }
        if let n = m["group_interval"] { r.groupInterval = try duration(n, path: path + ".group_interval") }
        if let n = m["repeat_interval"] { r.repeatInterval = try duration(n, path: path + ".repeat_interval") }
        if let n = m["send_resolved"] { r.sendResolved = try bool(n, path: path + ".send_resolved") }
        if let n = m["routes"] {
            guard case .sequence(let seq) = n else { throw error(n, path + ".routes", "expected a list of routes") }
            r.routes = try seq.enumerated().map { try route($1, path: "\(path).routes[\($0)]") }
        }
        return r
    }

    /// A duration that may also be 0 (send at once).
    func durationOrZero(_ node: Node, path: String) throws -> Int64 {
        if let text = node.string?.trimmingCharacters(in: .whitespaces), ["0", "0s", "0ms"].contains(text) { return 0 }
        return try duration(node, path: path)
    }

    func receivers(_ node: Node, path: String, environment: [String: String]) throws -> ([Receiver], missingSecrets: [String], secretVariables: Set<String>) {
        guard case .sequence(let seq) = node else { throw error(node, path, "expected a list of receivers, each with a name and a type") }
        var result: [Receiver] = []
        var missingSecrets: [String] = []
        var secretVariables: Set<String> = []
        for (i, n) in seq.enumerated() {
            let p = "\(path)[\(i)]"
            let m = try mapping(n, path: p, allowed: ["name", "type", "url", "secret", "secret_env", "routing_key", "headers", "channel",
                                                      "command", "timeout", "rate_limit", "burst"])
            let name = try string(try required(m, "name", path: p, parent: n), path: p + ".name")
            if name.isEmpty { throw error(m["name"], p + ".name", "a receiver needs a name") }
            if result.contains(where: { $0.name == name }) { throw error(m["name"], p + ".name", "receiver '\(name)' is configured twice") }
            let typeNode = try required(m, "type", path: p, parent: n)
            let type = try string(typeNode, path: p + ".type")
            var secret = try m["secret"].map { try string($0, path: p + ".secret") }
            if let envNode = m["secret_env"] {
                let variable = try string(envNode, path: p + ".secret_env")
                if secret != nil { throw error(envNode, p + ".secret_env", "give the secret either inline or from the environment, not both") }
                secretVariables.insert(variable)
                if let value = environment[variable], !value.isEmpty {
                    secret = value
                } else {
                    // Noted, not thrown: only the commands that send need it (they refuse to start).
                    missingSecrets.append(error(envNode, p + ".secret_env", "the environment variable \(variable) is not set (or empty); export it for driftd").description)
                    secret = type == "slack" ? "https://secret-not-set.invalid/" : "secret-not-set"
                }
            }
            let kind = try receiverKind(type, typeNode: typeNode, m, node: n, path: p, secret: secret)
            var r = Receiver(name: name, kind: kind)
            if let t = m["timeout"] { r.timeout = try duration(t, path: p + ".timeout") }
            if let l = m["rate_limit"] {
                let rate = try double(l, path: p + ".rate_limit")
                guard rate > 0 else { throw error(l, p + ".rate_limit", "expected requests per second above 0") }
                r.ratePerSecond = rate
            }
            if let b = m["burst"] { r.burst = try int(b, path: p + ".burst", minimum: 1) }
            result.append(r)
        }
        return (result, missingSecrets, secretVariables)
    }

    /// What a receiver entry of `type` sends to, from its type's own settings (any other
    /// setting is refused, naming those the type has).
    func receiverKind(_ type: String, typeNode: Node, _ m: [String: Node], node n: Node, path p: String, secret: String?) throws -> Receiver.Kind {
        func allowOnly(_ keys: Set<String>) throws {
            let common: Set<String> = ["name", "type", "timeout", "rate_limit", "burst"]
            for key in m.keys.sorted() where !common.contains(key) && !keys.contains(key) {
                throw error(m[key], "\(p).\(key)", "not a setting of a \(type) receiver; its settings: \(keys.union(common).sorted().joined(separator: ", "))")
            }
        }
        func url(_ key: String, required isRequired: Bool) throws -> String? {
            guard let node = m[key] else {
                if isRequired { throw error(n, "\(p).\(key)", "missing; a \(type) receiver needs it") }
                return nil
            }
            let u = try string(node, path: "\(p).\(key)")
            guard u.hasPrefix("http://") || u.hasPrefix("https://") else { throw error(node, "\(p).\(key)", "expected an http:// or https:// URL") }
            return u
        }
        switch type {
        case "webhook":
            try allowOnly(["url", "secret", "secret_env", "headers"])
            var headers: [String: String] = [:]
            if let h = m["headers"] {
                for (k, v) in try anyMapping(h, path: p + ".headers") { headers[k] = try string(v, path: "\(p).headers.\(k)") }
            }
            return .webhook(url: try url("url", required: true)!, secret: secret, headers: headers)
        case "pagerduty":
            try allowOnly(["routing_key", "secret_env", "url"])
            let key = try m["routing_key"].map { try string($0, path: p + ".routing_key") } ?? secret
            guard let key, !key.isEmpty else {
                throw error(n, p + ".routing_key", "missing; give routing_key, or secret_env naming the variable that holds it")
            }
            if m["routing_key"] != nil, m["secret_env"] != nil { throw error(m["secret_env"], p + ".secret_env", "give the routing key either inline or from the environment, not both") }
            return .pagerDuty(routingKey: key, url: try url("url", required: false) ?? Receiver.pagerDutyURL)
        case "slack":
            try allowOnly(["url", "secret_env", "channel"])
            if m["url"] != nil, m["secret_env"] != nil { throw error(m["secret_env"], p + ".secret_env", "give the webhook URL either inline or from the environment, not both") }
            let hook = try url("url", required: false) ?? secret
            guard let hook, hook.hasPrefix("http://") || hook.hasPrefix("https://") else {
                throw error(n, p + ".url", "missing; give url, or secret_env naming the variable that holds the Slack webhook URL")
            }
            return .slack(url: hook, channel: try m["channel"].map { try string($0, path: p + ".channel") })
        case "exec":
            try allowOnly(["command"])
            let command = try strings(try required(m, "command", path: p, parent: n), path: p + ".command")
            guard let first = command.first, !first.isEmpty else { throw error(m["command"], p + ".command", "name the program to run") }
            return .exec(command: command)
        default:
            throw error(typeNode, p + ".type", "expected webhook, pagerduty, slack or exec, got '\(type)'")
        }
    }
}
