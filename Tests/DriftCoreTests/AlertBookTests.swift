@testable import DriftCore
import DriftStats
import Testing

/// The alert book as a state machine: for, hysteresis, severity changes, cancel, resolve.
@Suite("Alert book")
struct AlertBookTests {
    static let fingerprint = AlertFingerprint(model: "m", feature: "x", rule: "psi")

    static func finding(_ value: Double, rule: Rule) -> Finding {
        Finding(fingerprint: fingerprint, value: value, severity: rule.severity(of: value), clear: rule.isClear(value))
    }

    static func run(_ values: [Double], rule: Rule) -> [AlertTransition] {
        var book = AlertBook()
        var all: [AlertTransition] = []
        for (i, v) in values.enumerated() { all += book.apply([finding(v, rule: rule)], windowIndex: Int64(i), rules: [rule]) }
        return all
    }

    @Test("fires on the first breach with for = 1, changes severity, resolves after two clear windows")
    func lifecycle() {
        let rule = Rule(name: "psi", metric: .psi, scope: .all, warn: 0.1, critical: 0.2)
        let t = Self.run([0.01, 0.15, 0.25, 0.15, 0.09, 0.05, 0.05, 0.3], rule: rule)
        #expect(t.map(\.kind) == [.firing, .severityChanged, .severityChanged, .resolved, .firing])
        #expect(t.map(\.windowIndex) == [1, 2, 3, 6, 7])
        #expect(t.map(\.severity) == [.warning, .critical, .warning, .warning, .critical])
    }

    @Test("an operator's resolve rewinds the alert: the next breach opens a new episode and fires; a resolve of an older episode changes nothing")
    func operatorResolveRewinds() {
        let rule = Rule(name: "psi", metric: .psi, scope: .all, warn: 0.1, critical: 0.2)
        var book = AlertBook()
        #expect(book.apply([Self.finding(0.25, rule: rule)], windowIndex: 4, rules: [rule]).map(\.kind) == [.firing])
        #expect(book.open == [Self.fingerprint: 4])
        let older = book.operatorResolved(Self.fingerprint, episodeSince: 2)
        #expect(!older, "an episode the book no longer has")
        #expect(book.firing == [Self.fingerprint])
        let resolved = book.operatorResolved(Self.fingerprint, episodeSince: 4)
        #expect(resolved)
        #expect(book.firing.isEmpty && book.open.isEmpty)
        let twice = book.operatorResolved(Self.fingerprint, episodeSince: 4)
        #expect(!twice, "applied once")
        // Still breaching: a new episode, which pages.
        let next = book.apply([Self.finding(0.22, rule: rule)], windowIndex: 5, rules: [rule])
        #expect(next.map(\.kind) == [.firing])
        #expect(next.first?.from == .resolved)
        #expect(book.open == [Self.fingerprint: 5])
    }

    @Test("an operator's resolve of a pending alert drops it: it must breach for its full `for` again")
    func operatorResolvesPending() {
        let rule = Rule(name: "psi", metric: .psi, scope: .all, warn: 0.1, forWindows: 2)
        var book = AlertBook()
        #expect(book.apply([Self.finding(0.2, rule: rule)], windowIndex: 0, rules: [rule]).map(\.kind) == [.pending])
        let dropped = book.operatorResolved(Self.fingerprint, episodeSince: 0)
        #expect(dropped)
        #expect(book.apply([Self.finding(0.2, rule: rule)], windowIndex: 1, rules: [rule]).map(\.kind) == [.pending])
        #expect(book.apply([Self.finding(0.2, rule: rule)], windowIndex: 2, rules: [rule]).map(\.kind) == [.firing])
    }

    @Test("hysteresis: a value between the clear and warn thresholds keeps the alert firing")
    func hysteresis() {
        let rule = Rule(name: "psi", metric: .psi, scope: .all, warn: 0.1, clear: 0.05, resolveAfter: 2)
        let t = Self.run([0.2, 0.07, 0.07, 0.07, 0.04, 0.07, 0.04, 0.04], rule: rule)
        #expect(t.map(\.kind) == [.firing, .resolved])
        #expect(t.last?.windowIndex == 7, "two consecutive clear windows are needed")
    }

    @Test("for = 3: pending until the third breach; a break cancels the pending alert")
    func forWindows() {
        let rule = Rule(name: "psi", metric: .psi, scope: .all, warn: 0.1, forWindows: 3)
        let t = Self.run([0.2, 0.2, 0.0, 0.2, 0.2, 0.2], rule: rule)
        #expect(t.map(\.kind) == [.pending, .cancelled, .pending, .firing])
        #expect(t.last?.windowIndex == 5)
    }

    @Test("a rule with a p-value condition does not breach on an insignificant KS statistic")
    func significance() throws {
        var report = WindowReport(model: "m", windowIndex: 0, basis: .count, start: 0, end: 10, recordCount: 10, lateRecords: 0,
                                  baselineVersion: "v", labelled: 0,
                                  features: [FeatureReport(name: "x", kind: .numeric,
                                                           numeric: .init(count: 10, psi: 0, jensenShannon: 0,
                                                                          ks: .init(statistic: 0.3, errorBound: 0, pValue: 0.2),
                                                                          wassersteinNormed: 0, meanShift: 0, missingRate: 0,
                                                                          outsideReferenceRangeRate: 0, typeErrorRate: 0, nonFiniteRate: 0),
                                                           categorical: nil, baselineMissingRate: 0, status: .ok)],
                                  status: .ok)
        let findings = Evaluator.evaluate(&report, rules: Rule.defaults)
        let ks = try #require(findings.first { $0.fingerprint.rule == "ks" })
        #expect(ks.severity == nil)
        #expect(report.features[0].status == .ok)
    }
}
