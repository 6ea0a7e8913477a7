import DriftCore
import DriftNotify
import Testing

/// Builds notices with increasing delivery ids.
struct Notices {
    var next: Int64 = 1
    mutating func make(_ f: AlertFingerprint, _ status: Notice.Status, _ severity: AlertSeverity? = .warning, at: Int64,
                       extra: [String: String] = [:]) -> Notice {
        defer { next += 1 }
        return Notice(deliveryID: next, alertID: 100 + next, fingerprint: f, status: status,
                      severity: severity, labels: AlertLabels.of(f, severity: severity, extra: extra), value: 0.3, windowIndex: 4, at: at)
    }
}

@Suite("Grouping scheduler")
struct SchedulerTests {
    static let route = ResolvedRoute(id: "0", receiver: "hook", groupBy: ["model"], groupWait: 30_000, groupInterval: 300_000,
                                     repeatInterval: 3_600_000, sendResolved: true)

    @Test("alerts of one group that fire within group_wait go out together, not before group_wait")
    func groupWait() {
        var s = NotificationScheduler(), n = Notices()
        s.add(n.make(fp("shop", "age", "psi"), .firing, at: 0), route: Self.route, now: 0)
        s.add(n.make(fp("shop", "zip", "psi"), .firing, at: 10_000), route: Self.route, now: 10_000)
        s.add(n.make(fp("fraud", "amt", "ks"), .firing, at: 10_000), route: Self.route, now: 10_000)
        #expect(s.due(now: 29_999).notifications.isEmpty)
        let first = s.due(now: 30_000).notifications
        #expect(first.count == 1)
        #expect(first[0].groupLabels == ["model": "shop"])
        #expect(first[0].alerts.map(\.fingerprint.feature) == ["age", "zip"])
        #expect(first[0].deliveryIDs == [1, 2])
        #expect(first[0].status == .firing && !first[0].isRepeat)
        let second = s.due(now: 40_000).notifications
        #expect(second.map(\.groupLabels) == [["model": "fraud"]], "the other model's group has its own group_wait")
    }

    @Test("grouped by severity, a severity change moves the alert to its new group: no stale copy repeats, the resolution reaches it")
    func regroupOnSeverityChange() {
        let bySeverity = ResolvedRoute(id: "0", receiver: "pd", groupBy: ["model", "severity"], groupWait: 0, groupInterval: 1_000,
                                       repeatInterval: 10_000, sendResolved: true)
        var s = NotificationScheduler(), n = Notices()
        let volume = fp("shop", "", "volume")
        s.add(n.make(volume, .firing, .warning, at: 0), route: bySeverity, now: 0)
        #expect(s.due(now: 0).notifications.map(\.alerts.count) == [1])
        s.add(n.make(volume, .firing, .critical, at: 2_000), route: bySeverity, now: 2_000)
        let changed = s.due(now: 2_000).notifications
        #expect(changed.count == 1 && changed[0].groupLabels["severity"] == "critical")
        s.add(n.make(volume, .firing, .warning, at: 4_000), route: bySeverity, now: 4_000)
        _ = s.due(now: 4_000)
        // Long after: one repeat of the alert as it stands, not one per severity it passed through.
        let repeats = s.due(now: 20_000).notifications.flatMap(\.alerts)
        #expect(repeats.map(\.severity) == [.warning], "\(repeats.map(\.severity))")
        s.add(n.make(volume, .resolved, .warning, at: 21_000), route: bySeverity, now: 21_000)
        let resolved = s.due(now: 22_000).notifications
        #expect(resolved.flatMap(\.alerts).map(\.status) == [.resolved], "the receiver that was paged hears the resolution")
        #expect(s.due(now: 60_000).notifications.isEmpty, "and nothing repeats after it")
    }

    @Test("a change to a notified group waits for group_interval; nothing changed means nothing sent")
    func groupInterval() {
        var s = NotificationScheduler(), n = Notices()
        s.add(n.make(fp("shop", "age", "psi"), .firing, at: 0), route: Self.route, now: 0)
        #expect(s.due(now: 30_000).notifications.count == 1)
        s.add(n.make(fp("shop", "zip", "psi"), .firing, at: 40_000), route: Self.route, now: 40_000)
        #expect(s.due(now: 329_999).notifications.isEmpty)
        let next = s.due(now: 330_000).notifications
        #expect(next.map { $0.alerts.map(\.fingerprint.feature) } == [["zip"]], "only what changed")
        #expect(s.due(now: 630_000).notifications.isEmpty)
    }

    @Test("firing alerts repeat after repeat_interval; an acknowledged one does not until the ack expires; a new episode pages again")
    func repeatsAndAcks() throws {
        var s = NotificationScheduler(), n = Notices()
        let age = fp("shop", "age", "psi"), zip = fp("shop", "zip", "psi")
        s.add(n.make(age, .firing, at: 0), route: Self.route, now: 0)
        s.add(n.make(zip, .firing, at: 0), route: Self.route, now: 0)
        #expect(s.due(now: 30_000).notifications.count == 1)
        let ack = Acknowledgement(alertKey: age.description, by: "ana", at: 60_000, expiresAt: 7_000_000)
        var t: Int64 = 330_000
        while t < 3_630_000 { #expect(s.due(now: t, acknowledgements: [age.description: ack]).notifications.isEmpty); t += 300_000 }
        let repeated = s.due(now: t, acknowledgements: [age.description: ack]).notifications
        #expect(repeated.count == 1)
        #expect(repeated[0].isRepeat && repeated[0].deliveryIDs.isEmpty)
        #expect(repeated[0].alerts.map(\.fingerprint) == [zip], "the acknowledged alert is not repeated")
        // After the ack expires, it repeats again.
        let afterExpiry = s.due(now: t + 3_600_000 * 2, acknowledgements: [age.description: ack]).notifications
        #expect(afterExpiry.first?.alerts.map(\.fingerprint).contains(age) == true)
        // Resolved and fired again: the old ack does not hold for the new episode.
        s.add(n.make(age, .resolved, at: 20_000_000), route: Self.route, now: 20_000_000)
        _ = s.due(now: 21_000_000)
        s.add(n.make(age, .firing, at: 22_000_000), route: Self.route, now: 22_000_000)
        let refire = s.due(now: 23_000_000, acknowledgements: [age.description: ack]).notifications
        #expect(refire.first?.alerts.contains { $0.fingerprint == age && $0.status == .firing } == true)
        let late = Acknowledgement(alertKey: age.description, by: "ana", at: 60_000)
        #expect(late.holds(at: 23_000_000, firingSince: 60_000) && !late.holds(at: 23_000_000, firingSince: 22_000_000))
    }

    @Test("a resolution is told only to a receiver told of the firing, and only with send_resolved")
    func resolved() {
        var s = NotificationScheduler(), n = Notices()
        let age = fp("shop", "age", "psi"), zip = fp("shop", "zip", "psi")
        s.add(n.make(age, .firing, at: 0), route: Self.route, now: 0)
        _ = s.due(now: 30_000)
        s.add(n.make(age, .resolved, at: 100_000), route: Self.route, now: 100_000)
        let told = s.due(now: 330_000).notifications
        #expect(told.first?.alerts.map(\.status) == [.resolved])
        #expect(told.first?.status == .resolved && told.first?.deliveryIDs == [2])
        // Fired and resolved before the group was due: the receiver hears nothing.
        s.add(n.make(zip, .firing, at: 400_000), route: Self.route, now: 400_000)
        s.add(n.make(zip, .resolved, at: 500_000), route: Self.route, now: 500_000)
        let out = s.due(now: 630_000)
        #expect(out.notifications.isEmpty)
        #expect(out.suppressed.map(\.deliveryID) == [3, 4])
        // send_resolved off.
        var quiet = NotificationScheduler()
        var r = Self.route; r.sendResolved = false
        quiet.add(n.make(age, .firing, at: 0), route: r, now: 0)
        _ = quiet.due(now: 30_000)
        quiet.add(n.make(age, .resolved, at: 40_000), route: r, now: 40_000)
        let off = quiet.due(now: 330_000)
        #expect(off.notifications.isEmpty && off.suppressed.map(\.reason) == ["send_resolved is off"])
    }

    @Test("a silence holds back the alerts it matches, and only those, until it ends")
    func silences() {
        var s = NotificationScheduler(), n = Notices()
        let silence = Silence(id: 1, matchers: [m("feature=age")], startsAt: 0, endsAt: 600_000)
        s.add(n.make(fp("shop", "age", "psi"), .firing, at: 0), route: Self.route, now: 0)
        s.add(n.make(fp("shop", "zip", "psi"), .firing, at: 0), route: Self.route, now: 0)
        let first = s.due(now: 30_000, silences: [silence]).notifications
        #expect(first.flatMap(\.alerts).map(\.fingerprint.feature) == ["zip"])
        #expect(s.pendingDeliveryIDs == [1], "the silenced alert's delivery stays pending")
        #expect(s.due(now: 330_000, silences: [silence]).notifications.isEmpty)
        let after = s.due(now: 630_000, silences: [silence]).notifications
        #expect(after.flatMap(\.alerts).map(\.fingerprint.feature) == ["age"], "still firing when the silence ends: told then")
        #expect(!Silence(id: 2, matchers: [], startsAt: 0, endsAt: 10).mutes(["model": "x"], at: 5), "an empty silence mutes nothing")
    }

    @Test("a model-level alert inhibits that model's feature alerts, not other models' and not itself")
    func inhibition() {
        let rule = InhibitRule(source: [m("rule=~volume|schema")], target: [m("feature!=")], equal: ["model"])
        var s = NotificationScheduler(inhibitRules: [rule]), n = Notices()
        s.add(n.make(fp("shop", "", "volume"), .firing, .critical, at: 0), route: Self.route, now: 0)
        s.add(n.make(fp("shop", "age", "psi"), .firing, at: 0), route: Self.route, now: 0)
        s.add(n.make(fp("fraud", "amt", "psi"), .firing, at: 0), route: Self.route, now: 0)
        let out = s.due(now: 30_000).notifications.flatMap(\.alerts).map(\.alertKey).sorted()
        #expect(out == ["fraud/amt/psi", "shop/-/volume"])
        // The source resolves: the muted alert, still firing, is told.
        s.add(n.make(fp("shop", "", "volume"), .resolved, .critical, at: 100_000), route: Self.route, now: 100_000)
        let later = s.due(now: 330_000).notifications.flatMap(\.alerts).map { "\($0.alertKey) \($0.status)" }.sorted()
        #expect(later == ["shop/-/volume resolved", "shop/age/psi firing"])
    }

    @Test("an acknowledgement is told to a receiver that was paged; one that was not is paged only if the ack expires while it fires")
    func acknowledgedNotice() {
        var s = NotificationScheduler(), n = Notices()
        let age = fp("shop", "age", "psi")
        s.add(n.make(age, .firing, at: 0), route: Self.route, now: 0)
        _ = s.due(now: 30_000)
        var ack = n.make(age, .acknowledged, at: 40_000); ack.by = "ana"
        s.add(ack, route: Self.route, now: 40_000)
        let told = s.due(now: 330_000).notifications
        #expect(told.first?.status == .acknowledged && told.first?.alerts.first?.by == "ana")
        // Acknowledged during group_wait, for an hour: the ack needs no telling, the page waits.
        var other = NotificationScheduler()
        let firing = n.make(age, .firing, at: 0)
        other.add(firing, route: Self.route, now: 0)
        let ackNotice = n.make(age, .acknowledged, at: 1)
        other.add(ackNotice, route: Self.route, now: 1)
        let hour = [age.description: Acknowledgement(alertKey: age.description, by: "ana", at: 1, expiresAt: 3_600_001)]
        let out = other.due(now: 30_000, acknowledgements: hour)
        #expect(out.notifications.isEmpty, "nobody is paged while the ack holds")
        #expect(out.suppressed.map(\.deliveryID) == [ackNotice.deliveryID!], "only the ack's own delivery is settled")
        #expect(other.due(now: 330_000, acknowledgements: hour).notifications.isEmpty)
        // The ack expires and the alert still fires: the receiver is paged with the firing delivery.
        let late = other.due(now: 3_630_000, acknowledgements: hour).notifications
        #expect(late.count == 1 && late[0].status == .firing && late[0].deliveryIDs == [firing.deliveryID!])
    }

    @Test("after a restart, a resolution pending for an alert the receiver was told of is still told")
    func restartTold() {
        var s = NotificationScheduler(), n = Notices()
        s.add(n.make(fp("shop", "age", "psi"), .resolved, at: 0), route: Self.route, now: 0, told: .firing)
        #expect(s.due(now: 30_000).notifications.first?.status == .resolved)
    }
}
