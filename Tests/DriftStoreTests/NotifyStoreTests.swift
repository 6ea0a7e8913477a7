import DriftCore
import DriftStore
import DriftTesting
import Foundation
import Testing

/// The notifier's half of the store: outbox entries become deliveries per receiver, attempts
/// are logged, operator actions (ack, resolve, note, silences) are stored and audited.
@Suite("Alert store: deliveries and operator actions")
struct NotifyStoreTests {
    static func storeWithAlerts() throws -> AlertStore {
        let store = try AlertStore()
        try store.commit(Transitions.output([Transitions.make("shop", "age", "psi", .firing, severity: .critical),
                                             Transitions.make("shop", "zip", "psi", .pending)]),
                         checkpoint: Transitions.checkpoint, source: "test")
        return store
    }

    @Test("outbox entries are routed once into one delivery per receiver; attempts are logged; retries, failures and successes settle them")
    func deliveries() throws {
        let store = try Self.storeWithAlerts()
        let entries = try store.pendingOutbox()
        #expect(entries.map(\.kind) == [.firing], "only notifying transitions are in the outbox")
        let e = entries[0]
        #expect(e.fingerprint == AlertFingerprint(model: "shop", feature: "age", rule: "psi") && e.severity == .critical)
        let ids = try store.route(outboxID: e.id, alertID: e.alertID, plans: [
            DeliveryPlan(receiver: "pager", route: "0.1", dedupKey: "k"), DeliveryPlan(receiver: "hook", route: "0", dedupKey: "k"),
        ], now: 100)
        #expect(try store.pendingOutbox().isEmpty, "a routed entry is not routed again")
        #expect(try store.pendingDeliveries().map(\.receiver) == ["pager", "hook"])
        try store.recordAttempt(deliveryIDs: [ids["pager"]!], at: 101, statusCode: 500, error: "HTTP 500", update: .retry(at: 103))
        try store.recordAttempt(deliveryIDs: [ids["hook"]!], at: 101, statusCode: 404, error: "HTTP 404", update: .failed(reason: "HTTP 404"))
        var pending = try store.pendingDeliveries()
        #expect(pending.count == 1 && pending[0].attempts == 1 && pending[0].nextAttemptAt == 103 && pending[0].lastError == "HTTP 500")
        #expect(pending[0].told == nil)
        #expect(try store.deliveries(status: .failed).map(\.lastError) == ["HTTP 404"])
        #expect(try store.deliveryCounts() == [DeliveryCount(receiver: "hook", status: "failed", count: 1),
                                               DeliveryCount(receiver: "pager", status: "pending", count: 1)])
        try store.recordAttempt(deliveryIDs: [ids["pager"]!], at: 104, statusCode: 202, error: nil, update: .delivered)
        #expect(try store.pendingDeliveries().isEmpty)
        #expect(try store.attempts(deliveryID: ids["pager"]!).map(\.statusCode) == [500, 202])
        // A later transition of the same alert knows what the receiver was told.
        try store.resolve(alertID: e.alertID, by: "ana", now: 200)
        let resolved = try #require(try store.pendingOutbox().first)
        #expect(resolved.kind == .resolved && resolved.by == "ana")
        try store.route(outboxID: resolved.id, alertID: resolved.alertID, plans: [DeliveryPlan(receiver: "pager", route: "0.1", dedupKey: "k")])
        pending = try store.pendingDeliveries()
        #expect(pending.map(\.told) == [.firing])
        try store.suppress(deliveryIDs: [pending[0].id], reason: "test")
        #expect(try store.deliveries(status: .suppressed).count == 1)
    }

    @Test("an ack is stored, told through the outbox, audited, and holds only while the alert fires and the ack has not expired")
    func acks() throws {
        let store = try Self.storeWithAlerts()
        let firing = try #require(try store.alerts(state: "firing").first)
        try store.acknowledge(alertID: firing.id, by: "ana", note: "looking", expiresAt: 5_000, now: Date().timeIntervalSince1970 + 10)
        let acks = try store.activeAcknowledgements(now: 1)
        #expect(acks.map(\.by) == ["ana"] && acks[0].note == "looking")
        #expect(try store.activeAcknowledgements(now: 6_000).isEmpty, "expired")
        #expect(try store.pendingOutbox().map(\.kind) == [.firing, .acknowledged])
        #expect(try store.pendingOutbox().last?.note == "looking")
        let pendingAlert = try #require(try store.alerts(state: "pending").first)
        #expect(throws: StoreError.self) { try store.acknowledge(alertID: pendingAlert.id, by: "ana") }
        #expect(throws: StoreError.self) { try store.acknowledge(alertID: 999, by: "ana") }
        try store.resolve(alertID: firing.id, by: "bo", note: "fixed upstream")
        #expect(try store.alerts(state: "resolved").map(\.id) == [firing.id], "a manual resolve sets the alert resolved")
        #expect(try store.activeAcknowledgements(now: 1).isEmpty, "a resolved alert has no ack in force")
        #expect(throws: StoreError.self) { try store.resolve(alertID: firing.id, by: "bo") }
        #expect(try store.auditLog().map(\.action) == ["alert.resolve", "alert.ack"])
    }

    @Test("a resolve by hand is read back by the pipeline for the episode it closed only; the pipeline's own later resolution of it pages nobody again")
    func operatorResolutionsReadBack() throws {
        let store = try Self.storeWithAlerts()
        let age = AlertFingerprint(model: "shop", feature: "age", rule: "psi"), zip = AlertFingerprint(model: "shop", feature: "zip", rule: "psi")
        #expect(try store.operatorResolved(among: [age: 1, zip: 1]).isEmpty, "nothing resolved yet")
        let firing = try #require(try store.alerts(state: "firing").first)
        try store.resolve(alertID: firing.id, by: "ana")
        #expect(try store.operatorResolved(among: [age: 1, zip: 1]) == [age: 1])
        #expect(try store.operatorResolved(among: [age: 7]).isEmpty, "a later episode the book opened is not the one resolved")
        // The pipeline had not applied it yet and resolves the alert itself: recorded, not paged again.
        let outboxBefore = try store.pendingOutbox().count
        try store.commit(Transitions.output([Transitions.make("shop", "age", "psi", .resolved, window: 3)]), checkpoint: Transitions.checkpoint, source: "test")
        #expect(try store.pendingOutbox().count == outboxBefore)
        #expect(try store.alerts(state: "resolved").map(\.id) == [firing.id])
        // The next breach is a new episode: the alert fires again and pages.
        try store.commit(Transitions.output([Transitions.make("shop", "age", "psi", .firing, window: 5)]), checkpoint: Transitions.checkpoint, source: "test")
        #expect(try store.pendingOutbox().last?.kind == .firing)
        #expect(try store.alerts(state: "firing").first { $0.id == firing.id }?.startedWindow == 5)
    }

    @Test("an ack given in an earlier firing episode does not hold for the next one")
    func ackEpisode() throws {
        let store = try Self.storeWithAlerts()
        let firing = try #require(try store.alerts(state: "firing").first)
        try store.acknowledge(alertID: firing.id, by: "ana", now: 0)
        #expect(try store.activeAcknowledgements(now: 1).isEmpty, "given before the firing transition was stored")
    }

    @Test("notes and silences are stored and audited; expiring a silence ends it now")
    func notesAndSilences() throws {
        let store = try Self.storeWithAlerts()
        let firing = try #require(try store.alerts(state: "firing").first)
        try store.addNote(alertID: firing.id, by: "ana", text: "upstream schema change", now: 10)
        let notes = try store.notes(alertID: firing.id)
        #expect(notes.map(\.text) == ["upstream schema change"] && notes[0].by == "ana" && notes[0].at == 10)
        let id = try store.addSilence(matchers: ["model=shop", "feature=~a.*"], startsAt: 100, endsAt: 200, by: "bo", comment: "deploy", now: 100)
        var s = try #require(try store.silences(now: 150).first)
        #expect(s.matchers == ["model=shop", "feature=~a.*"] && s.isActive(at: 150) && !s.isActive(at: 200))
        try store.expireSilence(id: id, by: "bo", now: 160)
        #expect(try store.silences(now: 161).isEmpty)
        s = try #require(try store.silences(includeExpired: true, now: 161).first)
        #expect(s.expired && s.endsAt == 160)
        #expect(throws: StoreError.self) { try store.expireSilence(id: 42, by: "bo") }
        #expect(throws: StoreError.self) { _ = try store.addSilence(matchers: [], startsAt: 0, endsAt: 1, by: "bo", comment: "") }
        #expect(try store.auditLog().map(\.action) == ["silence.expire", "silence.add", "alert.note"])
    }

    @Test("a WAL store reopens with its pending deliveries, their attempts and next attempt time")
    func reopen() throws {
        let dir = try TemporaryDirectory()
        let path = dir.url.appendingPathComponent("s.sqlite").path
        do {
            let store = try AlertStore(path: path)
            try store.commit(Transitions.output([Transitions.make("shop", "age", "psi", .firing)]), checkpoint: Transitions.checkpoint, source: "t")
            let e = try #require(try store.pendingOutbox().first)
            let ids = try store.route(outboxID: e.id, alertID: e.alertID, plans: [DeliveryPlan(receiver: "hook", route: "0", dedupKey: "k")])
            try store.recordAttempt(deliveryIDs: Array(ids.values), at: 1, statusCode: nil, error: "connection refused", update: .retry(at: 2))
        }
        let reopened = try AlertStore(path: path)
        let pending = try reopened.pendingDeliveries()
        #expect(pending.count == 1 && pending[0].attempts == 1 && pending[0].nextAttemptAt == 2)
        #expect(pending[0].entry.fingerprint.description == "shop/age/psi" && pending[0].dedupKey == "k")
        #expect(try reopened.pendingOutbox().isEmpty)
    }
}
