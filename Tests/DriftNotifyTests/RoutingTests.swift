import DriftCore
import DriftNotify
import Testing

func fp(_ model: String, _ feature: String, _ rule: String) -> AlertFingerprint {
    AlertFingerprint(model: model, feature: feature, rule: rule)
}

func m(_ text: String) -> LabelMatcher { try! LabelMatcher(parsing: text) }

@Suite("Labels and matchers")
struct MatcherTests {
    @Test("an alert's labels: model, feature, rule, severity, and the model's extra labels, which never override those")
    func labels() {
        let l = AlertLabels.of(fp("shop", "age", "psi"), severity: .critical, extra: ["team": "growth", "model": "spoof"])
        #expect(l == ["model": "shop", "feature": "age", "rule": "psi", "severity": "critical", "team": "growth"])
        #expect(AlertLabels.of(fp("shop", "", "volume"), severity: nil)["feature"] == "")
    }

    @Test("=, !=, =~ and !~ as in Alertmanager; regular expressions match the whole value; a missing label is empty",
          arguments: [
              ("model=shop", true), ("model!=shop", false), ("model=~sh.*", true), ("model=~sh", false),
              ("model!~sh", true), ("team=", true), ("team!=", false), ("severity=~\"warning|critical\"", true),
              ("feature=~a.e", true), ("feature!~a.e", false),
          ])
    func matchers(text: String, expected: Bool) throws {
        let labels = ["model": "shop", "feature": "age", "severity": "critical"]
        #expect(try LabelMatcher(parsing: text).matches(labels) == expected)
    }

    @Test("malformed matchers are errors at parse time, not silent non-matches")
    func malformed() {
        #expect(throws: MatcherError.self) { try LabelMatcher(parsing: "model") }
        #expect(throws: MatcherError.self) { try LabelMatcher(parsing: "model=~(") }
        #expect(throws: MatcherError.self) { try LabelMatcher(parsing: "=shop") }
    }
}

@Suite("Routing tree")
struct RouteTests {
    static let tree = Route(
        receiver: "default", groupBy: ["model"], groupWait: 30_000, groupInterval: 300_000, repeatInterval: 3_600_000,
        routes: [
            Route(receiver: "audit", matchers: [m("severity=~.+")], continueMatching: true, groupBy: ["..."]),
            Route(receiver: "pager", matchers: [m("severity=critical")], groupWait: 5_000,
                  routes: [Route(receiver: "shop-pager", matchers: [m("team=shop")], sendResolved: false)]),
            Route(receiver: "chat", matchers: [m("team=~growth|shop")], repeatInterval: 60_000),
        ])

    @Test("first matching child wins, continue lets later siblings match too, the deepest match takes the alert")
    func matching() {
        let critShop = Self.tree.match(["model": "a", "severity": "critical", "team": "shop"])
        #expect(critShop.map(\.receiver) == ["audit", "shop-pager"])
        let warnGrowth = Self.tree.match(["model": "a", "severity": "warning", "team": "growth"])
        #expect(warnGrowth.map(\.receiver) == ["audit", "chat"])
        #expect(Self.tree.match(["model": "a", "severity": ""]).map(\.receiver) == ["default"], "no child matches: the root takes it")
    }

    @Test("children inherit unset settings from their parents")
    func inheritance() throws {
        let leaf = try #require(Self.tree.match(["model": "a", "severity": "critical", "team": "shop"]).last)
        #expect(leaf.id == "0.1.0")
        #expect(leaf.groupBy == ["model"])
        #expect(leaf.groupWait == 5_000, "from its parent")
        #expect(leaf.groupInterval == 300_000 && leaf.repeatInterval == 3_600_000, "from the root")
        #expect(leaf.sendResolved == false)
        let audit = try #require(Self.tree.match(["model": "a", "severity": "warning"]).first)
        #expect(audit.groupLabels(of: ["model": "a", "severity": "warning"]) == ["model": "a", "severity": "warning"], "... groups by every label")
        #expect(Route().match(["model": "a"]).isEmpty, "a tree without receivers routes nowhere")
    }

    @Test("a stored route id resolves to the same settings as matching gave")
    func resolvedByID() throws {
        for labels in [["model": "a", "severity": "critical", "team": "shop"], ["model": "a", "severity": "warning", "team": "growth"], ["model": "a"]] {
            for r in Self.tree.match(labels) { #expect(Self.tree.resolved(id: r.id) == r) }
        }
        #expect(Self.tree.resolved(id: "0.7") == nil && Self.tree.resolved(id: "x") == nil)
    }

    @Test("every receiver name is listed with where it is named")
    func receiverNames() {
        #expect(Self.tree.receiverNames.map(\.name) == ["default", "audit", "pager", "shop-pager", "chat"])
        #expect(Self.tree.receiverNames[3].path == "route.routes[1].routes[0]")
    }
}
