import DriftCore
@testable import DriftHTTP
import DriftNotify
import DriftTesting
import Foundation
import Testing

/// `deploy/prometheus/rules.yaml` (alerting on driftd itself) and `deploy/grafana/driftd.json`
/// (a dashboard over its metrics) must name metrics driftd really exports, with label values
/// it really uses; the rules must load and behave as their unit tests say.
@Suite("Prometheus rules and Grafana dashboard")
struct MonitoringFilesTests {
    static let deploy = Fixtures.repositoryRoot.appendingPathComponent("deploy")
    static var rulesText: String { get throws { try String(contentsOf: deploy.appendingPathComponent("prometheus/rules.yaml"), encoding: .utf8) } }

    /// Every metric family driftd exports, from a real exposition's HELP lines.
    static func exportedFamilies() throws -> Set<String> {
        let metrics = DriftMetrics()
        let (output, counters) = try DriftMetricsTests.eventTimeOutput()
        metrics.observe(committed: output, counters: counters)
        metrics.observe(consumerLag: ["inference/0": 3])
        metrics.observe(delivery: "webhook", outcome: .failed)
        var names = Set<String>()
        for line in metrics.exposition().split(separator: "\n") where line.hasPrefix("# HELP ") {
            names.insert(String(line.dropFirst(7).prefix { $0 != " " }))
        }
        return names
    }

    /// The `driftd_…` metric names an expression uses, histogram series mapped to their family.
    static func metricNames(in text: String) -> Set<String> {
        var names = Set<String>()
        let regex = /driftd_[a-z_]+/
        for match in text.matches(of: regex) {
            var name = String(match.output)
            for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) && !name.hasSuffix("_total") {
                name = String(name.dropLast(suffix.count))
            }
            names.insert(name)
        }
        return names
    }

    /// Values given to `label="…"` in the text.
    static func labelValues(_ label: String, in text: String) -> Set<String> {
        var values = Set<String>()
        let pattern = try! Regex("\(label)=\\\\?\"([a-z_]+)\\\\?\"")
        for match in text.matches(of: pattern) { if let v = match.output[1].substring { values.insert(String(v)) } }
        return values
    }

    @Test("the dashboard is valid Grafana JSON whose every panel queries metrics driftd exports")
    func dashboardQueriesRealMetrics() throws {
        let data = try Data(contentsOf: Self.deploy.appendingPathComponent("grafana/driftd.json"))
        let dashboard = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(dashboard["uid"] as? String == "driftd")
        #expect(dashboard["schemaVersion"] as? Int != nil)
        let panels = try #require(dashboard["panels"] as? [[String: Any]])
        let queries = panels.filter { $0["type"] as? String != "row" }
        #expect(queries.count >= 15)
        var ids = Set<Int>()
        for panel in queries {
            let title = panel["title"] as? String ?? "?"
            let id = try #require(panel["id"] as? Int, "\(title) has an id")
            #expect(ids.insert(id).inserted, "panel ids are unique: \(id)")
            let grid = try #require(panel["gridPos"] as? [String: Int], "\(title) has a position")
            #expect((grid["x"] ?? -1) >= 0 && (grid["x"] ?? 99) + (grid["w"] ?? 99) <= 24, "\(title) fits the 24-column grid")
            let targets = try #require(panel["targets"] as? [[String: Any]], "\(title) has queries")
            #expect(!targets.isEmpty && targets.allSatisfy { ($0["expr"] as? String)?.contains("driftd_") == true }, "\(title)")
        }
        let text = String(decoding: data, as: UTF8.self)
        let exported = try Self.exportedFamilies()
        let used = Self.metricNames(in: text)
        #expect(used.count >= 15, "the dashboard covers driftd's metrics: \(used.sorted())")
        #expect(used.subtracting(exported).isEmpty, "not exported by driftd: \(used.subtracting(exported).sorted())")
        #expect(Self.labelValues("kind", in: text).isSubset(of: Set(["pending", "firing", "severity_changed", "resolved", "cancelled"])))
        #expect(Self.labelValues("state", in: text).isSubset(of: Set(["pending", "firing", "resolved"])))
    }

    @Test("the alerting rules name only metrics driftd exports")
    func rulesUseRealMetrics() throws {
        let used = Self.metricNames(in: try Self.rulesText)
        #expect(used.count >= 6)
        let exported = try Self.exportedFamilies()
        #expect(used.subtracting(exported).isEmpty, "not exported by driftd: \(used.subtracting(exported).sorted())")
    }

    static var promtool: String? { DriftMetricsTests.promtool }

    static func promtool(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: promtool!)
        process.arguments = arguments
        process.currentDirectoryURL = deploy.appendingPathComponent("prometheus")
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let said = String(decoding: PipeReading.readToEnd(output.fileHandleForReading), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, said)
    }

    @Test("promtool loads the rules and their unit tests pass (firing on failing deliveries, growing lag, no windows, silent streams, rejections, store errors, a dead target; quiet otherwise)",
          .enabled(if: promtool != nil, "promtool is not installed (Debian package prometheus; scripts/install-deps installs it)"))
    func promtoolChecksAndTestsTheRules() throws {
        let check = try Self.promtool(["check", "rules", "rules.yaml"])
        #expect(check.status == 0, "promtool check rules: \(check.output)")
        #expect(check.output.contains("SUCCESS: 8 rules found"), "\(check.output)")
        let test = try Self.promtool(["test", "rules", "rules.test.yaml"])
        #expect(test.status == 0, "promtool test rules: \(test.output)")
    }
}
