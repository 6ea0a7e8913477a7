import DriftCore
@testable import DriftDaemon
import DriftNotify
import Foundation
import Testing

/// The notification sections: receivers, the routing tree, inhibition, model labels and
/// delivery settings; every mistake names file, line, key path and reason.
@Suite("Notification configuration")
struct NotifyConfigurationTests {
    static let base = "store: s.sqlite\nmodels:\n  - id: shop\n    labels: { team: growth }\n"

    static func parse(_ extra: String) throws -> DriftConfiguration {
        try DriftConfiguration.parse(base + extra, file: "d.yaml")
    }

    static func failure(_ extra: String, base: String = base) -> ConfigurationError? {
        do { _ = try DriftConfiguration.parse(base + extra, file: "d.yaml"); return nil } catch let e as ConfigurationError { return e } catch { return nil }
    }

    @Test("receivers of every type, a routing tree, inhibition, model labels, delivery settings; secrets from the environment")
    func full() throws {
        setenv("DRIFTD_TEST_PD_KEY", "pd-routing-key-123", 1)
        setenv("DRIFTD_TEST_HOOK_SECRET", "hook-secret", 1)
        let c = try Self.parse("""
        external_url: http://driftd.internal:8080
        receivers:
          - { name: oncall, type: pagerduty, secret_env: DRIFTD_TEST_PD_KEY }
          - { name: hook, type: webhook, url: "https://hooks.internal/d", secret_env: DRIFTD_TEST_HOOK_SECRET, headers: { X-Team: ml }, timeout: 2s }
          - { name: chat, type: slack, url: "https://hooks.slack.com/services/T/B/X", channel: "#ml" }
          - { name: script, type: exec, command: [/bin/cat], timeout: 1s, rate_limit: 2, burst: 3 }
        route:
          receiver: hook
          group_by: [model]
          group_wait: 0s
          group_interval: 1m
          repeat_interval: 2h
          routes:
            - { matchers: ["severity=critical"], receiver: oncall, continue: true }
            - matchers: ["team=growth"]
              receiver: chat
              send_resolved: false
        inhibit_rules:
          - { source_matchers: ["rule=~volume|schema"], target_matchers: ["feature!="], equal: [model] }
        delivery: { max_attempts: 5, backoff: 200ms, max_backoff: 10s }
        """)
        let n = c.notify
        #expect(n.receivers.map(\.name) == ["oncall", "hook", "chat", "script"])
        #expect(n.receiver("oncall")?.kind == .pagerDuty(routingKey: "pd-routing-key-123", url: Receiver.pagerDutyURL))
        #expect(n.receiver("hook")?.kind == .webhook(url: "https://hooks.internal/d", secret: "hook-secret", headers: ["X-Team": "ml"]))
        #expect(n.receiver("hook")?.timeout == 2_000)
        #expect(n.receiver("chat")?.ratePerSecond == 1, "Slack: one message a second by default")
        #expect(n.receiver("script")?.kind == .exec(command: ["/bin/cat"]) && n.receiver("script")?.burst == 3)
        #expect(n.modelLabels == ["shop": ["team": "growth"]])
        #expect(n.externalURL == "http://driftd.internal:8080")
        #expect(n.retry == RetryPolicy(baseDelay: 200, maxDelay: 10_000, maxAttempts: 5))
        #expect(n.inhibitRules.first?.equal == ["model"])
        let routes = try #require(n.route).match(AlertLabels.of(.init(model: "shop", feature: "age", rule: "psi"), severity: .critical, extra: ["team": "growth"]))
        #expect(routes.map(\.receiver) == ["oncall", "chat"])
        #expect(routes[0].groupWait == 0 && routes[0].groupInterval == 60_000 && routes[1].sendResolved == false)
        #expect(!n.receivers.map(\.description).joined().contains("pd-routing-key-123"), "descriptions never show secrets")
    }

    @Test("no notification sections: nothing to deliver")
    func none() throws {
        #expect(try Self.parse("").notify.isEmpty)
    }

    @Test("mistakes name the file, line, key path and reason", arguments: [
        ("receivers:\n  - { name: a, type: webhook, url: \"http://x\" }\nroute: { receiver: b }\n", 7, "route.receiver", "unknown receiver 'b'"),
        ("receivers:\n  - { name: a, type: webhook, url: \"http://x\" }\nroute:\n  receiver: a\n  routes:\n    - { receiver: nope }\n",
         10, "route.routes[0].receiver", "unknown receiver 'nope'"),
        ("receivers:\n  - { name: a, type: sms }\nroute: { receiver: a }\n", 6, "receivers[0].type", "expected webhook, pagerduty, slack or exec"),
        ("receivers:\n  - { name: a, type: webhook }\nroute: { receiver: a }\n", 6, "receivers[0].url", "missing"),
        ("receivers:\n  - { name: a, type: exec, command: [x], url: \"http://x\" }\nroute: { receiver: a }\n", 6, "receivers[0].url", "not a setting of a exec receiver"),
        ("receivers:\n  - { name: a, type: webhook, url: \"http://x\" }\nroute: { receiver: a, matchers: [\"model=~(\"] }\n", 7,
         "route.matchers[0]", "not a valid regular expression"),
        ("receivers:\n  - { name: a, type: webhook, url: \"http://x\" }\n", 6, "route", "no route"),
        ("receivers:\n  - { name: a, type: webhook, url: \"http://x\" }\n  - { name: a, type: webhook, url: \"http://y\" }\nroute: { receiver: a }\n",
         7, "receivers[1].name", "configured twice"),
    ] as [(String, Int, String, String)])
    func mistakes(text: String, line: Int, keyPath: String, reason: String) throws {
        let e = try #require(Self.failure(text))
        #expect(e.file == "d.yaml")
        #expect(e.line == line)
        #expect(e.keyPath == keyPath)
        #expect(e.reason.contains(reason), "\(e)")
    }

    @Test("a missing secret_env variable is noted with its line and key path, not thrown: only sending needs it")
    func missingSecret() throws {
        let c = try DriftConfiguration.parse(Self.base + "receivers:\n  - { name: a, type: pagerduty, secret_env: DRIFTD_TEST_UNSET_VARIABLE }\nroute: { receiver: a }\n",
                                             file: "d.yaml")
        #expect(c.notify.missingSecrets.count == 1)
        let note = try #require(c.notify.missingSecrets.first)
        #expect(note.hasPrefix("d.yaml:6: receivers[0].secret_env:") && note.contains("DRIFTD_TEST_UNSET_VARIABLE is not set"), "\(note)")
    }

    @Test("a model label cannot replace one driftd sets")
    func builtInLabel() throws {
        let e = try #require(Self.failure("", base: "store: s\nmodels:\n  - id: shop\n    labels: { severity: low }\n"))
        #expect(e.keyPath == "models[0].labels.severity" && e.line == 4)
    }
}
