import DriftCore
import DriftStore
import DriftTestTraits
import DriftTesting
import Foundation
import Testing

/// The operator commands as a person types them: ack, resolve, note, silences, and failed
/// deliveries in `driftd alerts`.
@Suite("driftd alerts and silence", .offThePool)
struct OperatorCommandTests {
    struct Workspace {
        let dir: TemporaryDirectory
        let config: String
        let storePath: String

        init() throws {
            dir = try TemporaryDirectory()
            config = dir.url.appendingPathComponent("driftd.yaml").path
            storePath = dir.url.appendingPathComponent("s.sqlite").path
            try "store: s.sqlite\nmodels:\n  - id: shop\n".write(toFile: config, atomically: true, encoding: .utf8)
        }

        func run(_ arguments: [String]) throws -> DriftdRun { try DriftdProcess.run(arguments + ["--config", config]) }

        /// The store with one firing alert (shop/age/psi), and the store.
        @discardableResult
        func firingAlert() throws -> AlertStore {
            let store = try AlertStore(path: storePath)
            try store.commit(Transitions.output([Transitions.make("shop", "age", "psi", .firing)]), checkpoint: Transitions.checkpoint, source: "t")
            return store
        }
    }

    @Test("driftd audit shows who did what, newest first, filtered by actor, action and time")
    func audit() throws {
        let w = try Workspace()
        do {
            let store = try w.firingAlert()
            let id = try #require(try store.alerts().first?.id)
            try store.acknowledge(alertID: id, by: "ana", note: "looking")
            try store.addNote(alertID: id, by: "bo", text: "retraining")
            _ = try store.addSilence(matchers: ["model=shop"], startsAt: AlertStore.now, endsAt: AlertStore.now + 3600, by: "ana", comment: "deploy")
        }
        let all = try w.run(["audit"])
        #expect(all.status == 0, "\(all.standardError)")
        let lines = all.standardOutput.split(separator: "\n").dropFirst()
        #expect(lines.map { $0.contains("silence.add") } == [true, false, false], "newest first: \(all.standardOutput)")
        #expect(lines.last?.contains("ana") == true && lines.last?.contains("alert.ack") == true)
        let ana = try JSONValue.parse(try w.run(["audit", "--actor", "ana", "--format", "json"]).standardOutput).array ?? []
        #expect(ana.map { $0["action"]?.string } == ["silence.add", "alert.ack"])
        let alerts = try JSONValue.parse(try w.run(["audit", "--action", "alert.", "--format", "json"]).standardOutput).array ?? []
        #expect(alerts.map { $0["action"]?.string } == ["alert.note", "alert.ack"])
        #expect(try w.run(["audit", "--since", "1h"]).standardOutput.contains("alert.note"))
        #expect(try w.run(["audit", "--since", "2999-01-01T00:00:00Z"]).standardOutput.contains("no audit entries match"))
        let bad = try w.run(["audit", "--since", "yesterday"])
        #expect(bad.status != 0 && bad.standardError.contains("--since: expected a duration such as 24h"), "\(bad.standardError)")
    }

    @Test("ack, note and resolve an alert; each lands in the store and the audit log")
    func alertActions() throws {
        let w = try Workspace()
        try w.firingAlert()
        let list = try JSONValue.parse(try w.run(["alerts", "--format", "json"]).standardOutput).array ?? []
        let id = try #require(list.first?["id"]?.number.map { Int64($0) })
        #expect(list.first?["failed_deliveries"]?.array?.isEmpty == true)

        let ack = try w.run(["alerts", "ack", String(id), "--by", "ana", "--note", "looking", "--expires", "4h"])
        #expect(ack.status == 0, "\(ack.standardError)")
        #expect(ack.standardOutput.hasPrefix("alert \(id) acknowledged until "))
        #expect(try w.run(["alerts", "note", String(id), "upstream schema change", "--by", "bo"]).status == 0)
        #expect(try w.run(["alerts", "resolve", String(id), "--by", "bo"]).status == 0)
        let again = try w.run(["alerts", "resolve", String(id)])
        #expect(again.status == 2 && again.standardError.contains("already resolved"))
        let missing = try w.run(["alerts", "ack", "999", "--by", "ana"])
        #expect(missing.status == 2 && missing.standardError.contains("no alert 999"))
        #expect(try w.run(["alerts", "ack", String(id), "--by", "ana", "--expires", "soon"]).status == 2)

        let store = try AlertStore(path: w.storePath)
        #expect(try store.alerts(state: "resolved").map(\.id) == [id])
        #expect(try store.notes(alertID: id).map(\.text) == ["upstream schema change"])
        #expect(try store.auditLog().map { "\($0.actor) \($0.action)" } == ["bo alert.resolve", "bo alert.note", "ana alert.ack"])
        let table = try w.run(["alerts"])
        #expect(table.status == 0 && table.standardOutput.contains("resolved"))
    }

    @Test("alerts of event-time windows show when their window started, in UTC or the zone --tz names")
    func timesWithZones() throws {
        let dir = try TemporaryDirectory()
        let config = try dir.write("driftd.yaml", "store: s.sqlite\nmodels:\n  - id: shop\n    window: { size: 1m }\n")
        // Records 100 ms apart from 2025-11-24T16:00:00Z; the drift begins at minute 5.
        let reference = try dir.write("reference.jsonl", SyntheticStream(seed: 7).text(5000))
        let stream = try dir.write("stream.jsonl", SyntheticStream(seed: 9, driftFrom: 3000).text(6000))
        #expect(try DriftdProcess.run(["baseline", "fit", "--config", config, "--model", "shop", "--from", reference]).status == 0)
        #expect(try DriftdProcess.run(["replay", "--config", config, stream]).status == 0)
        let utc = try DriftdProcess.run(["alerts", "--config", config]).standardOutput
        let rows = utc.split(separator: "\n").dropFirst()
        #expect(!rows.isEmpty)
        #expect(rows.allSatisfy { $0.contains(/\s2025-11-24 16:0\d:00 UTC\s/) }, "since: the window's start in UTC\n\(utc)")
        #expect(!utc.contains("window "), "no raw window numbers for event-time windows")
        let berlin = try DriftdProcess.run(["alerts", "--config", config, "--tz", "Europe/Berlin"]).standardOutput
        #expect(berlin.split(separator: "\n").dropFirst().allSatisfy { $0.contains(/\s2025-11-24 17:0\d:00 \+01:00\s/) }, "\(berlin)")
        let report = try DriftdProcess.run(["report", "--config", config, "--model", "shop", "--tz", "Europe/Berlin"]).standardOutput
        #expect(report.split(separator: "\n").dropFirst().allSatisfy { $0.hasPrefix("2025-11-24 17:") && $0.contains(":00 +01:00 ") },
                "report: event-time windows by their start\n\(report.prefix(600))")
        let bad = try DriftdProcess.run(["alerts", "--config", config, "--tz", "Mars/Olympus"])
        #expect(bad.status == 2)
        #expect(bad.standardError.contains("--tz must be UTC, local or an IANA zone name"), "\(bad.standardError)")
    }

    @Test("silence add, list and expire")
    func silences() throws {
        let w = try Workspace()
        let add = try w.run(["silence", "add", "--matcher", "model=shop", "--matcher", "feature=~a.*", "--duration", "2h", "--by", "bo", "--comment", "deploy"])
        #expect(add.status == 0, "\(add.standardError)")
        #expect(add.standardOutput.hasPrefix("silence 1: model=shop, feature=~a.* until "))
        let list = try JSONValue.parse(try w.run(["silence", "list", "--format", "json"]).standardOutput).array ?? []
        #expect(list.count == 1 && list[0]["active"]?.bool == true && list[0]["comment"]?.string == "deploy")
        #expect(list[0]["matchers"]?.array?.compactMap(\.string) == ["model=shop", "feature=~a.*"])
        #expect(try w.run(["silence", "expire", "1", "--by", "bo"]).status == 0)
        #expect(try w.run(["silence", "list"]).standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == "no silences")
        #expect(try w.run(["silence", "list", "--all"]).standardOutput.contains("expired"))
        let bad = try w.run(["silence", "add", "--matcher", "model=~(", "--duration", "1h"])
        #expect(bad.status == 2 && bad.standardError.contains("not a valid regular expression"))
        #expect(try w.run(["silence", "expire", "9"]).status == 2)
        let store = try AlertStore(path: w.storePath)
        #expect(try store.auditLog().map(\.action) == ["silence.expire", "silence.add"])
    }

    @Test("failed deliveries show in driftd alerts, as a table and in JSON")
    func failedDeliveries() throws {
        let w = try Workspace()
        do {
            let store = try w.firingAlert()
            let e = try #require(try store.pendingOutbox().first)
            let ids = try store.route(outboxID: e.id, alertID: e.alertID, plans: [DeliveryPlan(receiver: "oncall", route: "0", dedupKey: "k")])
            try store.recordAttempt(deliveryIDs: Array(ids.values), statusCode: 500, error: "HTTP 500",
                                    update: .failed(reason: "HTTP 500; gave up after 10 attempts"))
        }
        let table = try w.run(["alerts"])
        #expect(table.standardOutput.contains("failed deliveries (1):"))
        #expect(table.standardOutput.contains("oncall") && table.standardOutput.contains("HTTP 500; gave up after 10 attempts"))
        let json = try JSONValue.parse(try w.run(["alerts", "--format", "json"]).standardOutput).array ?? []
        let failed = try #require(json.first?["failed_deliveries"]?.array?.first)
        #expect(failed["receiver"]?.string == "oncall" && failed["attempts"]?.number == 1 && failed["transition"]?.string == "firing")
    }

    @Test("operators need no receiver secrets; the commands that send refuse to start without them")
    func secretsOnlyWhereSent() throws {
        let w = try Workspace()
        try """
            store: s.sqlite
            models:
              - id: shop
            receivers:
              - { name: oncall, type: pagerduty, secret_env: DRIFTD_TEST_NEVER_SET_KEY }
            route: { receiver: oncall }
            """.write(toFile: w.config, atomically: true, encoding: .utf8)
        _ = try AlertStore(path: w.storePath)
        #expect(try w.run(["silence", "list"]).status == 0, "a store command works without the routing key")
        #expect(try w.run(["alerts"]).status == 0)
        let check = try DriftdProcess.run(["check-config", w.config])
        #expect(check.status != 0)
        #expect(check.standardError.contains("receivers[0].secret_env") && check.standardError.contains("DRIFTD_TEST_NEVER_SET_KEY is not set"),
                "\(check.standardError)")
        let run = try w.run(["run"])
        #expect(run.status != 0 && run.standardError.contains("DRIFTD_TEST_NEVER_SET_KEY"), "\(run.standardError)")
    }
}
