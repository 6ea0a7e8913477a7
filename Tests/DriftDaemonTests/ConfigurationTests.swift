import DriftCore
@testable import DriftDaemon
import DriftHTTP
import DriftNotify
import Testing

/// Configuration files: the minimal one works as written, every mistake names file, line,
/// key path and reason.
@Suite("Configuration")
struct ConfigurationTests {
    @Test("the minimal configuration works as written, everything else defaulted")
    func minimal() throws {
        let c = try DriftConfiguration.parse("store: w1.sqlite\nmodels:\n  - id: w1\n    window: { count: 50000 }\n", file: "/etc/driftd/w1.yaml")
        #expect(c.storePath == "/etc/driftd/w1.sqlite")
        let m = try #require(c.model("w1"))
        #expect(m.window == WindowConfiguration(basis: .count, size: 50_000))
        #expect(m.rules == Rule.defaults)
    }

    @Test("a model's inventory: owner, team, stage, risk tier and description, the first four also labels of its alerts")
    func inventory() throws {
        let c = try DriftConfiguration.parse("""
            store: s.sqlite
            models:
              - id: fraud
                owner: ana@example.com
                team: risk
                stage: production
                risk_tier: high
                description: Card fraud score, EU traffic.
                labels: { region: eu }
              - id: churn
            """, file: "/etc/driftd/d.yaml")
        let fraud = try #require(c.model("fraud"))
        #expect(fraud.inventory == ModelInventory(owner: "ana@example.com", team: "risk", stage: .production, riskTier: "high",
                                                  description: "Card fraud score, EU traffic."))
        #expect(c.notify.modelLabels["fraud"] == ["owner": "ana@example.com", "team": "risk", "stage": "production", "risk_tier": "high", "region": "eu"],
                "routes can match stage=production, risk_tier=high")
        #expect(try #require(c.model("churn")).inventory.isEmpty)
        #expect(c.notify.modelLabels["churn"] == nil)
        #expect(c.apiSettings(environment: [:]).models.first { $0.id == "fraud" }?.inventory.stage == .production)
    }

    @Test("event-time windows, defaults, feature kinds and rule overrides")
    func full() throws {
        let text = """
        store: /var/lib/driftd/store.sqlite
        defaults:
          window: { size: 1h, hop: 15m, allowed_lateness: 5m, idle_close: 10m }
          min_samples: 200
        models:
          - id: credit
            features: { zip: categorical, income: numeric }
            rules:
              - { name: psi, metric: psi, warn: 0.15, critical: 0.3, for: 2 }
              - { name: wide, metric: wasserstein_normed, scope: numeric, warn: 0.5, features: [income] }
          - id: fraud
            window: { count: 1000, hop: 250 }
            default_rules: false
            rules:
              - { metric: volume_ratio, warn: 0.5 }
        """
        let c = try DriftConfiguration.parse(text, file: "d.yaml")
        let credit = try #require(c.model("credit"))
        #expect(credit.window.basis == .eventTime)
        #expect(credit.window.size == 3_600_000 && credit.window.hop == 900_000)
        #expect(credit.window.allowedLatenessMilliseconds == 300_000 && credit.window.idleCloseMilliseconds == 600_000)
        #expect(credit.window.minimumSamples == 200)
        #expect(credit.features == ["zip": .categorical, "income": .numeric])
        #expect(credit.rules.first { $0.name == "psi" }?.forWindows == 2)
        #expect(credit.rules.count == Rule.defaults.count + 1)
        let fraud = try #require(c.model("fraud"))
        #expect(fraud.rules.map(\.name) == ["volume_ratio"])
        #expect(fraud.rules[0].comparator == .below && fraud.rules[0].scope == .model)
    }

    @Test("no allowed lateness can be written out as 0s; a zero window size is still a mistake")
    func zeroLateness() throws {
        let c = try DriftConfiguration.parse("store: s\nmodels:\n  - id: a\n    window: { size: 60s, allowed_lateness: 0s }\n", file: "x.yaml")
        #expect(c.model("a")?.window.allowedLatenessMilliseconds == 0)
        #expect(throws: (any Error).self) {
            try DriftConfiguration.parse("store: s\nmodels:\n  - id: a\n    window: { size: 0s }\n", file: "x.yaml")
        }
    }

    @Test("mistakes name the file, the line, the key path and what to do", arguments: [
        ("models:\n  - id: a\n", "x.yaml:1: store: missing; it is required"),
        ("store: s\nmodels:\n  - id: a\n    windw: { count: 5 }\n", "x.yaml:4: models[0].windw: unknown key (did you mean 'window'?)"),
        ("store: s\nmodels:\n  - id: a\n    window: { size: soon }\n", "models[0].window.size: expected a duration such as 500ms, 30s, 15m, 1h or 1d, got 'soon'"),
        ("store: s\nmodels:\n  - id: a\n    window: { count: 10, hop: 20 }\n", "models[0].window.hop: a hop longer than the window would skip records"),
        ("store: s\nmodels:\n  - id: a\n  - id: a\n", "models[1].id: model 'a' is configured twice"),
        ("store: s\nmodels:\n  - id: a\n    rules:\n      - { metric: psy, warn: 1 }\n", "models[0].rules[0].metric: unknown metric 'psy'"),
        ("store: s\nmodels:\n  - id: a\n    features: { x: text }\n", "models[0].features.x: expected numeric or categorical, got 'text'"),
        ("store: s\nmodels: []\n", "models: no models"),
        ("store: [s\n", "not valid YAML"),
        ("store: s\nmodels:\n  - id: a\n    window: { size: 0.5ms }\n", "models[0].window.size: expected a duration"),
        ("store: s\nmodels:\n  - id: a\n    window: { size: infs }\n", "models[0].window.size: expected a duration"),
        ("store: s\nmodels:\n  - id: a\n    window: { calendar: day, timezone: Mars/Olympus }\n", "x.yaml:4: models[0].window.timezone: unknown time zone 'Mars/Olympus'"),
        ("store: s\nmodels:\n  - id: a\n    window: { calendar: fortnight }\n", "models[0].window.calendar: expected hour, day, week or month"),
        ("store: s\nmodels:\n  - id: a\n    decision: { level: 2 }\n", "models[0].decision.level: a significance level lies between 0 and 1"),
        ("store: s\nmodels:\n  - id: a\n    rules:\n      - { metric: psi, threshold: learned }\n", "models[0].rules[0].threshold: expected auto"),
        ("store: s\nmodels:\n  - id: a\nkafka: { bootstrap: b, topics: [t], properties: { partition.assignment.strategy: cooperative-sticky } }\n",
         "cooperative rebalancing is not supported yet"),
        ("store: s\nmodels:\n  - id: a\n    stage: prod\n", "x.yaml:4: models[0].stage: expected development, staging, production, retired, got 'prod'"),
        ("store: s\nmodels:\n  - id: a\n    owner: \"  \"\n", "models[0].owner: expected 1 to 200 characters"),
        ("store: s\nmodels:\n  - id: a\n    stage: staging\n    labels: { stage: production }\n",
         "models[0].labels.stage: stage is the model's own `stage:` setting, which labels its alerts already; set it once"),
    ])
    func errors(_ text: String, _ message: String) {
        do {
            _ = try DriftConfiguration.parse(text, file: "x.yaml")
            Issue.record("expected an error containing \(message)")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
            #expect("\(error)".hasPrefix("x.yaml"))
        }
    }
}
