@testable import DriftDaemon
import DriftCore
import DriftStore
import Testing

/// The `retention:` section: durations, counts and keep per kind, defaults for what is left
/// out, and mistakes that name file, line, key path and reason.
@Suite("Retention configuration")
struct RetentionConfigurationTests {
    static let models = "store: s\nmodels:\n  - id: a\n"

    @Test("without a retention section the documented defaults apply")
    func defaults() throws {
        let c = try DriftConfiguration.parse(Self.models, file: "x.yaml")
        #expect(c.retention.kinds == RetentionPolicy.default.kinds)
        #expect(c.retention.nothingRoutes, "no route: nothing will send the outbox, it holds no alert back")
        let routed = try DriftConfiguration.parse(Self.models + """
            receivers:
              - { name: log, type: exec, command: [cat] }
            route: { receiver: log }
            """, file: "x.yaml")
        #expect(!routed.retention.nothingRoutes)
        #expect(c.retention[.windowReports] == .age(seconds: 14 * 86_400))
        #expect(c.retention[.resolvedAlerts] == .age(seconds: 90 * 86_400))
        #expect(c.retention[.deliveries] == .age(seconds: 30 * 86_400))
        #expect(c.retention[.deadLetters] == .age(seconds: 7 * 86_400))
        #expect(c.retention[.audit] == .keep)
        #expect(c.retention.interval == 600)
    }

    @Test("durations, counts and keep; keys left out keep their defaults")
    func values() throws {
        let text = Self.models + """
            retention:
              window_reports: 10_000
              resolved_alerts: 12h
              deliveries: 90m
              dead_letters: keep
              audit: 2w
              interval: 30s
            """
        let r = try DriftConfiguration.parse(text, file: "x.yaml").retention
        #expect(r.kinds == [.windowReports: .newest(10_000), .resolvedAlerts: .age(seconds: 43_200), .deliveries: .age(seconds: 5_400),
                            .deadLetters: .keep, .audit: .age(seconds: 14 * 86_400)])
        #expect(r.interval == 30)
        let partial = try DriftConfiguration.parse(Self.models + "retention:\n  window_reports: 3d\n", file: "x.yaml").retention
        #expect(partial[.windowReports] == .age(seconds: 3 * 86_400))
        #expect(partial[.resolvedAlerts] == RetentionPolicy.default[.resolvedAlerts])
    }

    @Test("mistakes name the file, the line, the key path and the reason", arguments: [
        ("retention:\n  window_report: 3d\n", "x.yaml:5: retention.window_report: unknown key (did you mean 'window_reports'?)"),
        ("retention:\n  window_reports: soon\n", "x.yaml:5: retention.window_reports: expected a duration such as 90m, 12h, 30d or 2w, a count (keep the newest N per model) or keep, got 'soon'"),
        ("retention:\n  resolved_alerts: 0\n", "x.yaml:5: retention.resolved_alerts: a count keeps the newest N and must be at least 1, got '0'"),
        ("retention:\n  deliveries: 0d\n", "x.yaml:5: retention.deliveries: a retention of 0d would prune everything at once"),
        ("retention:\n  dead_letters: 30s\n", "x.yaml:5: retention.dead_letters: keep rows at least a minute (got 30s)"),
        ("retention:\n  audit: -3d\n", "x.yaml:5: retention.audit: a retention of -3d would prune everything at once"),
        ("retention:\n  audit: [1d]\n", "x.yaml:5: retention.audit: expected a single value"),
        ("retention:\n  interval: 100ms\n", "x.yaml:5: retention.interval: prune at most once a second"),
        ("retention:\n  interval: often\n", "x.yaml:5: retention.interval: expected a duration"),
        ("retention: 30d\n", "x.yaml:4: retention: expected a mapping"),
    ])
    func errors(_ section: String, _ message: String) {
        do {
            _ = try DriftConfiguration.parse(Self.models + section, file: "x.yaml")
            Issue.record("expected an error containing \(message)")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }
}
