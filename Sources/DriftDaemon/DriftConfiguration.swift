import DriftCore
import DriftNotify
import DriftStats
import DriftStore
import Foundation
import Yams

/// A configuration mistake, with where it is and what is wrong, e.g.
/// `driftd.yaml:7: models[0].window.size: expected a duration such as 15m or 1h, got 'soon'`.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var line: Int?
    public var keyPath: String
    public var reason: String
    public var description: String {
        "\(file)\(line.map { ":\($0)" } ?? ""): \(keyPath.isEmpty ? "" : keyPath + ": ")\(reason)"
    }
}

/// One monitored model.
public struct ModelConfiguration: Sendable, Equatable {
    public var id: String
    public var window: WindowConfiguration
    /// Kinds forced for features (others are inferred from the baseline's reference).
    public var features: [String: FeatureKind]
    public var rules: [Rule]
    /// How the model's windows decide: significance level, correction, clear, labels.
    public var decision = DecisionPolicy.default
    /// The model's task when the labels alone do not tell (`task: classification|regression`).
    public var task: PerformanceFigures.Task? = nil
    /// Owner, team, stage, risk tier and description.
    public var inventory = ModelInventory()
}

/// Where `driftd run` consumes from.
public struct KafkaConfiguration: Sendable, Equatable {
    public var bootstrapServers: String
    /// Topic names, or regular expressions starting with `^`.
    public var topics: [String]
    public var group: String
    /// Where partitions driftd has never checkpointed start: earliest or latest.
    public var autoOffsetReset: String
    /// Any other librdkafka property (security.protocol, sasl.*, ssl.*, client.id, fetch sizes…).
    public var properties: [String: String]
    /// Where alert transitions are also published, so one place sees every instance's.
    public var alertsTopic: String?
    /// The compacted topic where each partition's position and open window state are also
    /// written at every checkpoint, so another member of the group can take the partition
    /// over with its state (scale-out). Nil: handover off.
    public var checkpointTopic: String?

    /// librdkafka properties of the consumer.
    public var consumerProperties: [String: String] {
        var p = properties
        p["bootstrap.servers"] = bootstrapServers
        p["group.id"] = group
        p["auto.offset.reset"] = autoOffsetReset
        return p
    }
}

/// driftd's configuration file. A minimal one names only the store and the models:
/// ```yaml
/// store: w1.sqlite
/// models:
///   - id: w1
///     window: { count: 50000 }
/// ```
public struct DriftConfiguration: Sendable, Equatable {
    public var file: String
    /// The SQLite store, relative paths taken from the configuration file's folder.
    public var storePath: String
    public var models: [ModelConfiguration]
    /// The Kafka source of `driftd run` (absent: only file replay).
    public var kafka: KafkaConfiguration?
    /// Receivers, routing, inhibition and model labels for paging (NotifyConfiguration.swift).
    public var notify = NotifyConfiguration()
    /// The HTTP API, metrics and dashboard (absent: loopback defaults, no token).
    public var http: HTTPConfiguration?
    /// What the store keeps and how often the daemon prunes (RetentionConfiguration.swift).
    public var retention = RetentionPolicy.default

    public func model(_ id: String) -> ModelConfiguration? { models.first { $0.id == id } }

    public static func load(file: String) throws -> DriftConfiguration {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ConfigurationError(file: file, line: nil, keyPath: "", reason: "cannot read the file — check the path given to --config")
        }
        return try parse(String(decoding: data, as: UTF8.self), file: file)
    }

    public static func parse(_ text: String, file: String) throws -> DriftConfiguration {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw ConfigurationError(file: file, line: nil, keyPath: "", reason: "the file is empty; it needs at least `store:` and `models:`")
            }
            root = node
        } catch let e as ConfigurationError {
            throw e
        } catch let e as YamlError {
            throw ConfigurationError(file: file, line: nil, keyPath: "", reason: "not valid YAML: \(e)")
        }
        let reader = NodeReader(file: file)
        let top = try reader.mapping(root, path: "", allowed: Set(["store", "models", "defaults", "kafka", "http", "retention"]).union(NodeReader.notifyKeys))
        let storeNode = try reader.required(top, "store", path: "", parent: root)
        var storePath = try reader.string(storeNode, path: "store")
        if !storePath.hasPrefix("/") {
            let folder = URL(fileURLWithPath: file).deletingLastPathComponent().path
            storePath = URL(fileURLWithPath: folder + "/" + storePath).standardizedFileURL.path
        }
        var defaults = ModelDefaults()
        if let d = top["defaults"] { defaults = try reader.defaults(d, path: "defaults") }
        let modelsNode = try reader.required(top, "models", path: "", parent: root)
        guard case .sequence(let seq) = modelsNode else {
            throw reader.error(modelsNode, "models", "expected a list of models, each with an `id`")
        }
        var models: [ModelConfiguration] = []
        for (i, node) in seq.enumerated() {
            let path = "models[\(i)]"
            let model = try reader.model(node, path: path, defaults: defaults)
            if models.contains(where: { $0.id == model.id }) { throw reader.error(node, path + ".id", "model '\(model.id)' is configured twice") }
            models.append(model)
        }
        if models.isEmpty { throw reader.error(modelsNode, "models", "no models: name at least one with `- id: NAME`") }
        let kafka = try top["kafka"].map { try reader.kafka($0, path: "kafka") }
        let http = try top["http"].map { try reader.http($0, path: "http") }
        var notify = try reader.notify(top, root: root, environment: ProcessInfo.processInfo.environment)
        // The API tokens' variables are secrets too: exec receivers run without them.
        if let tokenVariable = http?.tokenEnvironmentVariable { notify.secretVariables.insert(tokenVariable) }
        for named in http?.namedTokenVariables ?? [] { notify.secretVariables.insert(named.environmentVariable) }
        // The inventory's fields label the model's alerts, beside its own labels.
        for model in models where !model.inventory.labels.isEmpty {
            notify.modelLabels[model.id, default: [:]].merge(model.inventory.labels) { given, _ in given }
        }
        var configuration = DriftConfiguration(file: file, storePath: storePath, models: models, kafka: kafka, notify: notify, http: http)
        if let r = top["retention"] { configuration.retention = try reader.retention(r, path: "retention") }
        configuration.retention.nothingRoutes = notify.route == nil
        return configuration
    }
}

extension NodeReader {
    /// One entry of `models:`, with what `defaults:` gives where it is silent.
    func model(_ node: Node, path: String, defaults: ModelDefaults) throws -> ModelConfiguration {
        let m = try mapping(node, path: path, allowed: ["id", "window", "features", "rules", "min_samples", "default_rules", "labels", "decision", "task",
                                                        "owner", "team", "stage", "risk_tier", "description"])
        let id = try string(try required(m, "id", path: path, parent: node), path: path + ".id")
        guard !id.isEmpty, id.utf8.count <= 128 else { throw error(node, path + ".id", "a model id has 1 to 128 bytes") }
        var window = defaults.window
        if let w = m["window"] { window = try self.window(w, path: path + ".window") }
        if let s = m["min_samples"] { window.minimumSamples = try int(s, path: path + ".min_samples", minimum: 1) }
        else if let s = defaults.minimumSamples { window.minimumSamples = s }
        var features: [String: FeatureKind] = [:]
        if let f = m["features"] {
            for (name, kindNode) in try anyMapping(f, path: path + ".features") {
                let text = try string(kindNode, path: path + ".features.\(name)")
                guard let kind = FeatureKind(rawValue: text) else {
                    throw error(kindNode, path + ".features.\(name)", "expected numeric or categorical, got '\(text)'")
                }
                features[name] = kind
            }
        }
        var rules = defaults.rules
        let useDefaults = try m["default_rules"].map { try bool($0, path: path + ".default_rules") } ?? true
        if !useDefaults { rules = [] }
        if let r = m["rules"] {
            for rule in try self.rules(r, path: path + ".rules") {
                rules.removeAll { $0.name == rule.name }
                rules.append(rule)
            }
        }
        var decision = defaults.decision
        if let d = m["decision"] { decision = try self.decision(d, path: path + ".decision", base: decision) }
        var task: PerformanceFigures.Task? = nil
        if let t = m["task"] {
            let text = try string(t, path: path + ".task")
            guard let parsed = PerformanceFigures.Task(rawValue: text) else {
                throw error(t, path + ".task", "expected classification or regression, got '\(text)'")
            }
            task = parsed
        }
        var model = ModelConfiguration(id: id, window: window, features: features, rules: rules, decision: decision, task: task)
        model.inventory = try inventory(m, path: path)
        return model
    }

    /// `owner`, `team`, `stage`, `risk_tier` and `description` of a model entry. The first four
    /// are alert labels, so `labels:` may not set them as well.
    func inventory(_ m: [String: Node], path: String) throws -> ModelInventory {
        func text(_ key: String, limit: Int) throws -> String? {
            guard let node = m[key] else { return nil }
            let value = try string(node, path: "\(path).\(key)").trimmingCharacters(in: .whitespaces)
            guard !value.isEmpty, value.count <= limit else { throw error(node, "\(path).\(key)", "expected 1 to \(limit) characters") }
            return value
        }
        var inventory = ModelInventory(owner: try text("owner", limit: 200), team: try text("team", limit: 200),
                                       riskTier: try text("risk_tier", limit: 64), description: try text("description", limit: 2000))
        if let node = m["stage"] {
            let value = try string(node, path: path + ".stage")
            guard let stage = ModelInventory.Stage(rawValue: value) else {
                throw error(node, path + ".stage", "expected \(ModelInventory.Stage.allCases.map(\.rawValue).joined(separator: ", ")), got '\(value)'")
            }
            inventory.stage = stage
        }
        if let labels = m["labels"], case .mapping(let given) = labels {
            for (key, value) in given {
                guard let name = key.string, ModelInventory.labelNames.contains(name), m[name] != nil else { continue }
                throw error(value, "\(path).labels.\(name)", "\(name) is the model's own `\(name):` setting, which labels its alerts already; set it once")
            }
        }
        return inventory
    }
}

struct ModelDefaults {
    var window = WindowConfiguration(basis: .count, size: 10_000)
    var minimumSamples: Int?
    var rules = Rule.defaults
    var decision = DecisionPolicy.default
}

/// Typed reading of a YAML node tree, every error with file, line and key path.
struct NodeReader {
    let file: String

    func error(_ node: Node?, _ path: String, _ reason: String) -> ConfigurationError {
        ConfigurationError(file: file, line: node?.mark.map { $0.line }, keyPath: path, reason: reason)
    }

    func anyMapping(_ node: Node, path: String) throws -> [(String, Node)] {
        guard case .mapping(let m) = node else { throw error(node, path, "expected a mapping of keys to values") }
        return try m.map { key, value in
            guard case .scalar(let s) = key else { throw error(key, path, "keys must be plain names") }
            return (s.string, value)
        }
    }

    func mapping(_ node: Node, path: String, allowed: Set<String>) throws -> [String: Node] {
        var result: [String: Node] = [:]
        for (key, value) in try anyMapping(node, path: path) {
            guard allowed.contains(key) else {
                let hint = allowed.min { distance($0, key) < distance($1, key) }.map { " (did you mean '\($0)'?)" } ?? ""
                throw error(value, path.isEmpty ? key : path + "." + key, "unknown key\(hint); allowed here: \(allowed.sorted().joined(separator: ", "))")
            }
            if result[key] != nil { throw error(value, path.isEmpty ? key : path + "." + key, "given twice") }
            result[key] = value
        }
        return result
    }

    func required(_ m: [String: Node], _ key: String, path: String, parent: Node) throws -> Node {
        guard let n = m[key] else { throw error(parent, path.isEmpty ? key : path + "." + key, "missing; it is required") }
        return n
    }

    func string(_ node: Node, path: String) throws -> String {
        guard case .scalar(let s) = node else { throw error(node, path, "expected a single value") }
        return s.string
    }

    func int(_ node: Node, path: String, minimum: Int) throws -> Int {
        let text = try string(node, path: path)
        guard let v = Int(text.replacingOccurrences(of: "_", with: "")), v >= minimum else {
            throw error(node, path, "expected a whole number ≥ \(minimum), got '\(text)'")
        }
        return v
    }

    func double(_ node: Node, path: String) throws -> Double {
        let text = try string(node, path: path)
        guard let v = Double(text), v.isFinite else { throw error(node, path, "expected a number, got '\(text)'") }
        return v
    }

    func bool(_ node: Node, path: String) throws -> Bool {
        switch try string(node, path: path).lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        case let other: throw error(node, path, "expected true or false, got '\(other)'")
        }
    }

    /// Durations: `500ms`, `30s`, `15m`, `1h`, `1d` (or a number of milliseconds). Zero only
    /// where it means something (no allowed lateness, its default).
    func duration(_ node: Node, path: String, allowsZero: Bool = false) throws -> Int64 {
        let text = try string(node, path: path).trimmingCharacters(in: .whitespaces)
        if allowsZero, text == "0" || ["0ms", "0s", "0m", "0h", "0d"].contains(text) { return 0 }
        let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            // Whole milliseconds, at least one, at most about a century.
            if let v = Double(text.dropLast(suffix.count)), v.isFinite, v > 0, v * Double(scale) >= 1, v * Double(scale) <= 3.2e12 {
                return Int64(v * Double(scale))
            }
        }
        if let v = Int64(text), v > 0, v <= 3_200_000_000_000 { return v }
        throw error(node, path, "expected a duration such as 500ms, 30s, 15m, 1h or 1d, got '\(text)'")
    }

    func window(_ node: Node, path: String) throws -> WindowConfiguration {
        let m = try mapping(node, path: path, allowed: ["count", "size", "hop", "allowed_lateness", "idle_close", "min_samples", "max_jump", "max_future_skew",
                                                        "calendar", "timezone", "week_start"])
        var w: WindowConfiguration
        for key in ["timezone", "week_start"] where m[key] != nil && m["calendar"] == nil {
            throw error(m[key], path + "." + key, "only calendar windows (`calendar: hour|day|week|month`) have \(key)")
        }
        if let c = m["calendar"] {
            for key in ["count", "size", "hop"] where m[key] != nil {
                throw error(m[key], path + "." + key, "a calendar window has its own length: give `calendar` or `\(key)`, not both")
            }
            let text = try string(c, path: path + ".calendar")
            guard let unit = CalendarWindows.Unit(rawValue: text) else {
                throw error(c, path + ".calendar", "expected hour, day, week or month, got '\(text)'")
            }
            let zone = try m["timezone"].map { try string($0, path: path + ".timezone") } ?? "UTC"
            guard CalendarWindows.isKnown(timeZone: zone) else {
                throw error(m["timezone"], path + ".timezone", "unknown time zone '\(zone)': use an IANA name such as America/New_York or Europe/Berlin (the tzdata package provides them)")
            }
            var weekStart = 2
            if let n = m["week_start"] {
                let day = try string(n, path: path + ".week_start").lowercased()
                let days = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]
                guard let k = days.firstIndex(of: day) else { throw error(n, path + ".week_start", "expected a day of the week (monday, sunday, …), got '\(day)'") }
                weekStart = k + 1
            }
            let calendar = CalendarWindows(unit: unit, timeZone: zone, weekStart: weekStart)
            let lateness = try m["allowed_lateness"].map { try duration($0, path: path + ".allowed_lateness", allowsZero: true) } ?? 0
            let idle = try m["idle_close"].map { try duration($0, path: path + ".idle_close") }
            w = WindowConfiguration(basis: .eventTime, size: calendar.nominalLength, allowedLatenessMilliseconds: lateness, idleCloseMilliseconds: idle)
            w.calendar = calendar
            w.maximumJump = try m["max_jump"].map { try duration($0, path: path + ".max_jump") }
            w.maximumFutureSkew = try m["max_future_skew"].map { try duration($0, path: path + ".max_future_skew") }
        } else if let c = m["count"] {
            if m["size"] != nil { throw error(node, path, "give either `count` (records) or `size` (event time), not both") }
            for key in ["allowed_lateness", "idle_close", "max_jump", "max_future_skew"] where m[key] != nil {
                throw error(m[key], path + "." + key, "only event-time windows (`size`) have \(key)")
            }
            let size = Int64(try int(c, path: path + ".count", minimum: 1))
            let hop = try m["hop"].map { Int64(try int($0, path: path + ".hop", minimum: 1)) } ?? size
            w = WindowConfiguration(basis: .count, size: size, hop: hop)
        } else if let s = m["size"] {
            let size = try duration(s, path: path + ".size")
            let hop = try m["hop"].map { try duration($0, path: path + ".hop") } ?? size
            let lateness = try m["allowed_lateness"].map { try duration($0, path: path + ".allowed_lateness", allowsZero: true) } ?? 0
            let idle = try m["idle_close"].map { try duration($0, path: path + ".idle_close") }
            w = WindowConfiguration(basis: .eventTime, size: size, hop: hop, allowedLatenessMilliseconds: lateness, idleCloseMilliseconds: idle)
            // How far one record may jump from the stream before it is held as suspect, and
            // how far ahead of the wall clock a live record may be.
            w.maximumJump = try m["max_jump"].map { try duration($0, path: path + ".max_jump") }
            w.maximumFutureSkew = try m["max_future_skew"].map { try duration($0, path: path + ".max_future_skew") }
        } else {
            throw error(node, path, "give `count: N` (records per window) or `size: DURATION` (event time, e.g. 1h)")
        }
        if w.hop > w.size { throw error(m["hop"], path + ".hop", "a hop longer than the window would skip records; use hop ≤ size") }
        if w.panesPerWindow > 10_000 { throw error(node, path, "size / gcd(size, hop) must be at most 10,000 panes") }
        if let s = m["min_samples"] { w.minimumSamples = try int(s, path: path + ".min_samples", minimum: 1) }
        return w
    }

    /// A topic name, or a subscription pattern (starting with ^) checked here as librdkafka
    /// will compile it (POSIX extended), so a bad one is an error with file, line and key at
    /// load rather than a bare subscribe failure once `driftd run` has started.
    func topic(_ node: Node, path: String) throws -> String {
        let name = try string(node, path: path)
        if name.hasPrefix("^"), let reason = TopicPattern.problem(name) {
            throw error(node, path, "'\(name)' is not a valid regular expression (\(reason)); a topic pattern is a POSIX extended regular expression starting with ^")
        }
        return name
    }

    func kafka(_ node: Node, path: String) throws -> KafkaConfiguration {
        let m = try mapping(node, path: path, allowed: ["bootstrap", "topics", "group", "auto_offset_reset", "properties", "alerts_topic", "checkpoint_topic"])
        let bootstrap = try string(try required(m, "bootstrap", path: path, parent: node), path: path + ".bootstrap")
        let topicsNode = try required(m, "topics", path: path, parent: node)
        var topics: [String] = []
        if case .sequence(let seq) = topicsNode {
            topics = try seq.enumerated().map { try topic($1, path: "\(path).topics[\($0)]") }
        } else {
            topics = [try topic(topicsNode, path: path + ".topics")]
        }
        if topics.isEmpty { throw error(topicsNode, path + ".topics", "name at least one topic (or a regular expression starting with ^)") }
        let reset = try m["auto_offset_reset"].map { try string($0, path: path + ".auto_offset_reset") } ?? "earliest"
        guard ["earliest", "latest"].contains(reset) else {
            throw error(m["auto_offset_reset"], path + ".auto_offset_reset", "expected earliest or latest, got '\(reset)'")
        }
        var properties: [String: String] = [:]
        if let p = m["properties"] {
            for (key, value) in try anyMapping(p, path: path + ".properties") { properties[key] = try string(value, path: path + ".properties." + key) }
            if let strategy = properties["partition.assignment.strategy"], strategy.contains("cooperative") {
                throw error(p, path + ".properties.partition.assignment.strategy",
                            "cooperative rebalancing is not supported yet; use range or roundrobin (the default)")
            }
            for key in ["enable.auto.commit", "enable.auto.offset.store", "group.id", "bootstrap.servers"] where properties[key] != nil {
                throw error(p, path + ".properties." + key, "driftd sets \(key) itself; remove it (use kafka.group / kafka.bootstrap)")
            }
        }
        return KafkaConfiguration(bootstrapServers: bootstrap, topics: topics,
                                  group: try m["group"].map { try string($0, path: path + ".group") } ?? "driftd",
                                  autoOffsetReset: reset, properties: properties,
                                  alertsTopic: try m["alerts_topic"].map { try string($0, path: path + ".alerts_topic") },
                                  checkpointTopic: try m["checkpoint_topic"].map { try string($0, path: path + ".checkpoint_topic") })
    }

    func defaults(_ node: Node, path: String) throws -> ModelDefaults {
        let m = try mapping(node, path: path, allowed: ["window", "min_samples", "rules", "default_rules", "decision"])
        var d = ModelDefaults()
        if let n = m["decision"] { d.decision = try decision(n, path: path + ".decision", base: d.decision) }
        if let w = m["window"] { d.window = try window(w, path: path + ".window") }
        if let s = m["min_samples"] { d.minimumSamples = try int(s, path: path + ".min_samples", minimum: 1) }
        if let b = m["default_rules"], try !bool(b, path: path + ".default_rules") { d.rules = [] }
        if let r = m["rules"] {
            for rule in try rules(r, path: path + ".rules") { d.rules.removeAll { $0.name == rule.name }; d.rules.append(rule) }
        }
        return d
    }

    /// `decision: { level: 0.001, correction: holm, clear_p_value: 0.05, min_labels: 100 }`.
    func decision(_ node: Node, path: String, base: DecisionPolicy) throws -> DecisionPolicy {
        let m = try mapping(node, path: path, allowed: ["level", "correction", "clear_p_value", "min_labels"])
        var d = base
        if let n = m["level"] {
            d.level = try double(n, path: path + ".level")
            guard d.level > 0, d.level < 1 else { throw error(n, path + ".level", "a significance level lies between 0 and 1 (default 0.001)") }
        }
        if let n = m["correction"] {
            let text = try string(n, path: path + ".correction")
            guard let c = MultipleTesting.Correction(rawValue: text) else {
                throw error(n, path + ".correction", "expected \(MultipleTesting.Correction.allCases.map(\.rawValue).joined(separator: ", ")), got '\(text)'")
            }
            d.correction = c
        }
        if let n = m["clear_p_value"] {
            d.clearPValue = try double(n, path: path + ".clear_p_value")
            guard d.clearPValue > 0, d.clearPValue <= 1 else { throw error(n, path + ".clear_p_value", "expected a p-value in (0, 1] (default 0.05)") }
        }
        if let n = m["min_labels"] { d.minimumLabels = try int(n, path: path + ".min_labels", minimum: 1) }
        return d
    }

    func rules(_ node: Node, path: String) throws -> [Rule] {
        guard case .sequence(let seq) = node else { throw error(node, path, "expected a list of rules") }
        return try seq.enumerated().map { i, n in
            let p = "\(path)[\(i)]"
            let m = try mapping(n, path: p, allowed: ["name", "metric", "scope", "comparator", "warn", "critical", "for", "clear",
                                                      "resolve_after", "max_p_value", "features", "threshold"])
            let metricText = try string(try required(m, "metric", path: p, parent: n), path: p + ".metric")
            guard let metric = Rule.Metric(rawValue: metricText) else {
                throw error(m["metric"], p + ".metric", "unknown metric '\(metricText)'; one of: \(Rule.Metric.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let name = try m["name"].map { try string($0, path: p + ".name") } ?? metricText
            let scopeText = try m["scope"].map { try string($0, path: p + ".scope") } ?? (metric.isModelLevel ? "model" : "all")
            guard let scope = Rule.Scope(rawValue: scopeText) else {
                throw error(m["scope"], p + ".scope", "expected numeric, categorical, all or model, got '\(scopeText)'")
            }
            if metric.isModelLevel != (scope == .model) {
                throw error(m["scope"] ?? n, p + ".scope", metric.isModelLevel ? "\(metricText) is a model-level metric: use scope model" : "scope model is only for volume_ratio and performance_drop")
            }
            let comparatorText = try m["comparator"].map { try string($0, path: p + ".comparator") } ?? (metric == .volumeRatio ? "below" : "above")
            guard let comparator = Rule.Comparator(rawValue: comparatorText) else {
                throw error(m["comparator"], p + ".comparator", "expected above or below, got '\(comparatorText)'")
            }
            var automatic = false
            if let t = m["threshold"] {
                let text = try string(t, path: p + ".threshold")
                guard text == "auto" || text == "fixed" else { throw error(t, p + ".threshold", "expected auto (from the reference's own pieces) or fixed, got '\(text)'") }
                automatic = text == "auto"
                if automatic && comparator == .below { throw error(t, p + ".threshold", "threshold: auto is for rules that breach above their threshold") }
            }
            let warn: Double
            if let w = m["warn"] { warn = try double(w, path: p + ".warn") }
            else if automatic { warn = 0 }  // the reference decides; no floor of its own
            else { warn = try double(try required(m, "warn", path: p, parent: n), path: p + ".warn") }
            let critical = try m["critical"].map { try double($0, path: p + ".critical") }
            if let critical, comparator == .above ? critical < warn : critical > warn {
                throw error(m["critical"], p + ".critical", "critical must be beyond warn (\(comparator == .above ? "≥" : "≤") \(warn))")
            }
            var features: [String] = []
            if let f = m["features"] {
                guard case .sequence(let names) = f else { throw error(f, p + ".features", "expected a list of feature names") }
                features = try names.enumerated().map { try string($1, path: "\(p).features[\($0)]") }
            }
            return Rule(name: name, metric: metric, scope: scope, comparator: comparator, warn: warn, critical: critical,
                        forWindows: try m["for"].map { try int($0, path: p + ".for", minimum: 1) } ?? 1,
                        clear: try m["clear"].map { try double($0, path: p + ".clear") },
                        resolveAfter: try m["resolve_after"].map { try int($0, path: p + ".resolve_after", minimum: 1) } ?? 2,
                        maximumPValue: try m["max_p_value"].map { try double($0, path: p + ".max_p_value") },
                        features: features, automaticThreshold: automatic)
        }
    }
}

/// Edit distance, for "did you mean" hints.
func distance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    var row = Array(0...b.count)
    for i in 1...Swift.max(a.count, 1) where i <= a.count {
        var previous = row[0]
        row[0] = i
        for j in 1...Swift.max(b.count, 1) where j <= b.count {
            let current = row[j]
            row[j] = Swift.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
            previous = current
        }
    }
    return row[b.count]
}

/// Kafka subscription patterns, compiled as librdkafka compiles them (regcomp, REG_EXTENDED).
enum TopicPattern {
    /// Why `pattern` does not compile, or nil when it does.
    static func problem(_ pattern: String) -> String? {
        var compiled = regex_t()
        let status = regcomp(&compiled, pattern, REG_EXTENDED | REG_NOSUB)
        guard status != 0 else { regfree(&compiled); return nil }
        var message = [CChar](repeating: 0, count: 256)
        _ = regerror(status, &compiled, &message, message.count)
        return String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).lowercased()
    }
}
