import DriftCore
import DriftHTTP
import DriftStore
import DriftTestTraits
import DriftTesting
import Foundation
import HummingbirdTesting
import Testing

/// Operators act through the API: acknowledge, resolve, annotate, silence. Each needs the
/// bearer token, lands in the store and its audit log, shows in the alert's detail, and every
/// response matches the OpenAPI document.
/// Driven through the router (HummingbirdTesting's `.router`): nothing here is about sockets.
@Suite("Operator actions over the HTTP API", .serialized, .offThePool)
struct OperatorAPITests {
    static let token = "operator-token-\(UUID().uuidString)"

    @Test("ack, resolve, notes and silences: stored, audited, shown, refused where the state forbids")
    func operatorActions() async throws {
        let filled = try FilledStore()
        let store = filled.store
        try await RouterClient.serving(store, settings: APISettings(models: FilledStore.settingsModels, token: BearerToken(Self.token)), metrics: DriftMetrics()) { client in
            let auth = ["Authorization": "Bearer " + Self.token, "Content-Type": "application/json"]
            let firing = try store.alerts(state: "firing")
            #expect(firing.count >= 2, "the drifting stream fires several alerts")
            let (a, b) = (firing[0].id, firing[1].id)

            // Acknowledge: needs the token; then the detail shows who and until when.
            #expect(try await client.request("POST", "/api/v1/alerts/\(a)/ack", body: #"{"by": "alice"}"#).status == 401)
            #expect(try await client.request("POST", "/api/v1/alerts/\(a)/ack", headers: auth, body: #"{"note": "x"}"#).status == 400, "by is required")
            #expect(try await client.request("POST", "/api/v1/alerts/\(a)/ack", headers: auth, body: #"{"by": "alice", "expires_in_seconds": -5}"#).status == 400)
            let acked = try await client.request("POST", "/api/v1/alerts/\(a)/ack", headers: auth,
                                                 body: #"{"by": "alice", "note": "retraining", "expires_in_seconds": 3600}"#)
            #expect(acked.status == 200, "\(acked.body)")
            #expect(acked.json?["acknowledgement"]?["by"]?.string == "alice")
            #expect(acked.json?["acknowledgement"]?["note"]?.string == "retraining")
            #expect(acked.json?["acknowledgement"]?["expires_at"]?.string != nil)
            // The model counts it as acknowledged, among its firing alerts (one definition of firing).
            let model = try #require(try await client.json("/api/v1/models")["models"]?.array?.first)
            #expect(model["acknowledged_alerts"]?.number == 1)
            #expect(model["firing_alerts"]?.number == Double(firing.count), "acknowledged alerts still fire")
            #expect(acked.json?["transitions"]?.array?.last?["kind"]?.string == "acknowledged")
            #expect(try store.activeAcknowledgements().map(\.alertID) == [a])
            // Lists show it too (the dashboard's acknowledged section reads this).
            let listed0 = try await client.json("/api/v1/alerts?state=firing&limit=1000")
            let ackedInList = listed0["alerts"]?.array?.filter { $0["acknowledgement"] != nil }.compactMap { $0["id"]?.number }
            #expect(ackedInList == [Double(a)])
            #expect(try await client.request("POST", "/api/v1/alerts/999999/ack", headers: auth, body: #"{"by": "alice"}"#).status == 404)

            // A misspelt field is refused (it would have made a timed ack permanent); absurd
            // durations are refused rather than overflowing the notifier's clock.
            let typo = try await client.request("POST", "/api/v1/alerts/\(b)/ack", headers: auth, body: #"{"by": "alice", "expires_in": 60}"#)
            #expect(typo.status == 400 && typo.json?["error"]?["message"]?.string?.contains("expires_in") == true)
            #expect(try await client.request("POST", "/api/v1/alerts/\(b)/ack", headers: auth, body: #"{"by": "alice", "expires_in_seconds": 1e17}"#).status == 400)
            #expect(try await client.request("POST", "/api/v1/silences", headers: auth,
                                             body: #"{"matchers": ["model=shop"], "by": "dan", "duration_seconds": 1e17}"#).status == 400)
            #expect(try await client.request("POST", "/api/v1/silences", headers: auth,
                                             body: #"{"matchers": ["model=shop"], "by": "dan", "starts_at": "2026-11-25T10:00:00Z", "ends_at": "2026-11-25T09:00:00Z"}"#).status == 400)
            // Percent-encoded names in paths (the API's own links encode them).
            #expect(try await client.get("/api/v1/models/%73hop/features/%61mount/series").status == 200)

            // Resolve by hand: the alert is resolved; acknowledging it now is a conflict.
            let resolved = try await client.request("POST", "/api/v1/alerts/\(b)/resolve", headers: auth, body: #"{"by": "bob", "note": "false alarm"}"#)
            #expect(resolved.status == 200, "\(resolved.body)")
            #expect(resolved.json?["state"]?.string == "resolved")
            #expect(try store.alert(id: b)?.state == "resolved")
            let late = try await client.request("POST", "/api/v1/alerts/\(b)/ack", headers: auth, body: #"{"by": "alice"}"#)
            #expect(late.status == 409)
            #expect(late.json?["error"]?["message"]?.string?.contains("not firing") == true)
            #expect(try await client.request("POST", "/api/v1/alerts/\(b)/resolve", headers: auth, body: #"{"by": "bob"}"#).status == 409)

            // Notes.
            #expect(try await client.request("POST", "/api/v1/alerts/\(a)/notes", headers: auth, body: #"{"by": "carol", "text": "  "}"#).status == 400)
            let noted = try await client.request("POST", "/api/v1/alerts/\(a)/notes", headers: auth, body: #"{"by": "carol", "text": "upstream schema change"}"#)
            #expect(noted.status == 201)
            #expect(noted.json?["notes"]?.array?.map { $0["text"]?.string } == ["upstream schema change"])
            let detail = try await client.json("/api/v1/alerts/\(a)")
            #expect(detail["notes"]?.array?.count == 1 && detail["acknowledgement"]?["by"]?.string == "alice")
            #expect(detail["deliveries"]?.array?.isEmpty == true, "no receivers configured, nothing delivered")

            // Silences.
            #expect(try await client.request("POST", "/api/v1/silences", headers: auth,
                                             body: #"{"matchers": ["model=~("], "by": "dan", "duration_seconds": 60}"#).status == 400)
            #expect(try await client.request("POST", "/api/v1/silences", headers: auth, body: #"{"matchers": ["model=shop"], "by": "dan"}"#).status == 400,
                    "an end is required")
            let silence = try await client.request("POST", "/api/v1/silences", headers: auth,
                                                   body: #"{"matchers": ["model=shop", "feature=amount"], "by": "dan", "comment": "backfill", "duration_seconds": 7200}"#)
            #expect(silence.status == 201, "\(silence.body)")
            let silenceID = try #require(silence.json?["id"]?.number).rounded()
            #expect(silence.json?["active"]?.bool == true)
            let listed = try await client.json("/api/v1/silences")
            #expect(listed["silences"]?.array?.map { $0["matchers"] } == [.array([.string("model=shop"), .string("feature=amount")])])
            let expired = try await client.request("POST", "/api/v1/silences/\(Int(silenceID))/expire", headers: auth, body: #"{"by": "dan"}"#)
            #expect(expired.status == 200)
            #expect(expired.json?["expired"]?.bool == true && expired.json?["active"]?.bool == false)
            #expect(try await client.json("/api/v1/silences")["silences"]?.array?.isEmpty == true)
            #expect(try await client.json("/api/v1/silences?include_expired=true")["silences"]?.array?.count == 1)
            #expect(try await client.request("POST", "/api/v1/silences/424242/expire", headers: auth, body: #"{"by": "dan"}"#).status == 404)

            // Every action is in the audit log, with who did it.
            let audit = try store.auditLog(limit: 100)
            for who in ["alice", "bob", "carol", "dan"] { #expect(audit.contains { $0.actor == who }, "\(who) is in the audit log") }
            // …and the API shows it, filtered: by actor, by action prefix, by time.
            let all = try await client.json("/api/v1/audit")
            #expect(all["total"]?.number == Double(audit.count))
            #expect(all["entries"]?.array?.first?["action"]?.string == audit.first?.action, "newest first")
            let alice = try #require(try await client.json("/api/v1/audit?actor=alice")["entries"]?.array)
            #expect(!alice.isEmpty && alice.allSatisfy { $0["actor"]?.string == "alice" })
            let silences = try #require(try await client.json("/api/v1/audit?action=silence.")["entries"]?.array)
            #expect(Set(silences.compactMap { $0["action"]?.string }) == ["silence.add", "silence.expire"])
            #expect(try await client.json("/api/v1/audit?action=alert_")["total"]?.number == 0, "the prefix is literal: _ is no wildcard")
            #expect(try await client.json("/api/v1/audit?since=2999-01-01T00:00:00Z")["total"]?.number == 0)
            #expect(try await client.get("/api/v1/audit?since=yesterday").status == 400)

            // Every read endpoint too, so the whole document is checked against real answers.
            for path in ["/healthz", "/readyz", "/", "/metrics", "/api/v1", "/api/v1/openapi.json", "/api/v1/alerts", "/api/v1/models",
                         "/api/v1/models/shop/windows", "/api/v1/models/shop/features/amount/series", "/api/v1/baselines", "/api/v1/deadletters", "/api/v1/audit"] {
                #expect(try await client.get(path).status == 200, "\(path)")
            }
            for x in client.exchanges { #expect(!x.body.contains(Self.token)) }
            let validation = try validateAgainstOpenAPI(client.exchanges, document: OpenAPIDocument.json)
            #expect(validation.status == 0, "\(validation.output)")
        }
    }

    @Test("a named token's name is the actor in the store and its audit log, whatever the body says; nobody else can claim it")
    func namedTokensNameTheActor() async throws {
        let filled = try FilledStore()
        let store = filled.store
        let ana = "ana-token-\(UUID().uuidString)", shared = "shared-token-\(UUID().uuidString)"
        var settings = APISettings(models: FilledStore.settingsModels, token: BearerToken(shared))
        settings.namedTokens = [APISettings.NamedToken(name: "ana", token: BearerToken(ana)!)]
        try await RouterClient.serving(store, settings: settings, metrics: DriftMetrics()) { client in
            let firing = try store.alerts(state: "firing")
            #expect(firing.count >= 3)

            // Ana's token: the actor is "ana", though the dashboard's body says "dashboard".
            let acked = try await client.request("POST", "/api/v1/alerts/\(firing[0].id)/ack",
                                                 headers: ["Authorization": "Bearer " + ana, "Content-Type": "application/json"],
                                                 body: #"{"by": "dashboard", "note": "looking"}"#)
            #expect(acked.status == 200, "\(acked.body)")
            #expect(acked.json?["acknowledgement"]?["by"]?.string == "ana")
            #expect(try store.auditLog(limit: 1).first?.actor == "ana")

            // The shared token: the body's `by`, and a header claiming to be ana changes nothing.
            let claimed = try await client.request("POST", "/api/v1/alerts/\(firing[1].id)/resolve",
                                                   headers: ["Authorization": "Bearer " + shared, "Content-Type": "application/json",
                                                             "X-Driftd-Actor": "ana"],
                                                   body: #"{"by": "bob"}"#)
            #expect(claimed.status == 200, "\(claimed.body)")
            #expect(try store.auditLog(limit: 1).first?.actor == "bob")

            // A wrong token, even with the header, is refused.
            let wrong = try await client.request("POST", "/api/v1/alerts/\(firing[2].id)/ack",
                                                 headers: ["Authorization": "Bearer " + ana + "x", "Content-Type": "application/json", "X-Driftd-Actor": "ana"],
                                                 body: #"{"by": "mallory"}"#)
            #expect(wrong.status == 401)
        }
    }
}
