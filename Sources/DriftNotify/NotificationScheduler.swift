/// Alertmanager's dispatcher as a pure value: notices go in, group notifications come out
/// when they are due. Time is a parameter (milliseconds since 1970); acknowledgements and
/// silences are passed in as they stand at that time.
///
/// - A new group waits `group_wait` before its first notification, so alerts that fire
///   together page together; after that a group is looked at every `group_interval`.
/// - A notification carries the alerts that changed since the group last notified. Firing
///   alerts nobody acknowledged are repeated after `repeat_interval`.
/// - Silenced or inhibited firing alerts are held back (their deliveries stay pending and go
///   out if the muting ends while they still fire). A resolution is told only to a receiver
///   that was told the alert fired, and only with `send_resolved`.
public struct NotificationScheduler: Sendable {
    struct Member: Sendable {
        var latest: Notice
        var firingSince: Int64
        var pending: [Int64]
        /// What the receiver last heard about this alert.
        var told: Notice.Status?
        /// The last stored delivery settled for it: where a repeat's attempts are logged.
        var lastSettled: Int64?
        /// The firing notice of the current episode, for an ack that came before the page.
        var firing: Notice?
    }

    struct Group: Sendable {
        var route: ResolvedRoute
        var labels: [String: String]
        var members: [String: Member] = [:]
        var nextFlushAt: Int64
        var lastNotifiedAt: Int64?
    }

    public var inhibitRules: [InhibitRule]
    var groups: [String: Group] = [:]
    /// Firing (or acknowledged) alerts by key, for inhibition.
    var active: [String: [String: String]] = [:]

    public init(inhibitRules: [InhibitRule] = []) { self.inhibitRules = inhibitRules }

    /// A stored delivery that was not settled when a notification went out.
    public struct Settlement: Sendable, Equatable {
        public var deliveryID: Int64
        public var reason: String
    }

    public struct Output: Sendable, Equatable {
        public var notifications: [GroupNotification] = []
        /// Deliveries nobody needs to hear (e.g. a resolution of an alert never told as firing).
        public var suppressed: [Settlement] = []
    }

    public static func groupKey(route: ResolvedRoute, labels: [String: String]) -> String {
        route.id + "|" + route.receiver + "|{" + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ",") + "}"
    }

    /// Adds a notice on a route. After a restart the scheduler does not know what receivers
    /// were told: `told` says what the receiver last heard of the alert, `notifiedAt` when
    /// (so repeats keep their pace), and `firingSince` when its firing episode began (nil:
    /// the notice's time; 0 leaves the episode check of acknowledgements to the caller).
    public mutating func add(_ notice: Notice, route: ResolvedRoute, now: Int64, told: Notice.Status? = nil,
                             notifiedAt: Int64? = nil, firingSince: Int64? = nil, settledDelivery: Int64? = nil) {
        let groupLabels = route.groupLabels(of: notice.labels)
        let key = Self.groupKey(route: route, labels: groupLabels)
        // An alert whose grouping labels changed (e.g. group_by severity and a severity
        // change) moves to its new group with what the receiver was told and what is pending:
        // one member per alert, route and receiver, or a stale copy would keep repeating.
        var moved: Member?
        for (otherKey, other) in groups where otherKey != key && other.route.id == route.id && other.route.receiver == route.receiver {
            guard let m = other.members[notice.alertKey] else { continue }
            moved = m
            groups[otherKey]!.members[notice.alertKey] = nil
            if groups[otherKey]!.members.isEmpty { groups[otherKey] = nil }
        }
        var group = groups[key] ?? Group(route: route, labels: groupLabels, nextFlushAt: now + route.groupWait)
        if let notifiedAt { group.lastNotifiedAt = Swift.max(group.lastNotifiedAt ?? notifiedAt, notifiedAt) }
        var member = group.members[notice.alertKey] ?? moved
            ?? Member(latest: notice, firingSince: firingSince ?? notice.at, pending: [], told: told)
        if notice.status == .firing, member.latest.status == .resolved { member.firingSince = notice.at }
        if let settledDelivery { member.lastSettled = settledDelivery }
        member.latest = notice
        if notice.status == .firing { member.firing = notice }
        if let id = notice.deliveryID { member.pending.append(id) }
        group.members[notice.alertKey] = member
        groups[key] = group
        if notice.status == .resolved { active[notice.alertKey] = nil } else { active[notice.alertKey] = notice.labels }
    }

    /// The earliest time a group is due (nil: nothing to do).
    public var nextDue: Int64? { groups.values.map(\.nextFlushAt).min() }

    /// Whether a silence or an inhibition rule mutes an alert now.
    public func isMuted(_ labels: [String: String], key: String, now: Int64, silences: [Silence]) -> Bool {
        if silences.contains(where: { $0.mutes(labels, at: now) }) { return true }
        for rule in inhibitRules where rule.target.matches(labels) {
            for (sourceKey, sourceLabels) in active where sourceKey != key && rule.inhibits(labels, by: sourceLabels) {
                return true
            }
        }
        return false
    }

    /// The notifications due at `now`; groups are then due again a `group_interval` later.
    public mutating func due(now: Int64, silences: [Silence] = [], acknowledgements: [String: Acknowledgement] = [:]) -> Output {
        var output = Output()
        for key in groups.keys.sorted() where groups[key]!.nextFlushAt <= now {
            var group = groups[key]!
            var alerts: [Notice] = []
            var settled: [Int64] = []
            var repeatedIDs: [Int64] = []
            for memberKey in group.members.keys.sorted() {
                var m = group.members[memberKey]!
                let muted = isMuted(m.latest.labels, key: memberKey, now: now, silences: silences)
                switch m.latest.status {
                case .resolved:
                    let wasTold = m.told == .firing || m.told == .acknowledged
                    if wasTold && group.route.sendResolved {
                        alerts.append(m.latest); settled += m.pending
                    } else {
                        output.suppressed += m.pending.map {
                            Settlement(deliveryID: $0, reason: wasTold ? "send_resolved is off" : "resolved before the receiver was told it fired")
                        }
                    }
                    group.members[memberKey] = nil
                    continue
                case .acknowledged:
                    guard !m.pending.isEmpty else { break }
                    if m.told == .firing {
                        alerts.append(m.latest); settled += m.pending; m.told = .acknowledged; m.lastSettled = m.pending.max() ?? m.lastSettled
                        m.pending = []
                    } else {
                        // Acknowledged before this receiver was paged: the ack needs no telling,
                        // and the page waits while the ack holds — if it expires while the
                        // alert still fires, the receiver is paged then.
                        let ackIDs = m.pending.filter { $0 == m.latest.deliveryID }
                        output.suppressed += ackIDs.map { Settlement(deliveryID: $0, reason: "acknowledged before the receiver was told it fired") }
                        m.pending.removeAll { ackIDs.contains($0) }
                        if let firing = m.firing { m.latest = firing } else {
                            output.suppressed += m.pending.map { Settlement(deliveryID: $0, reason: "acknowledged before the receiver was told it fired") }
                            m.pending = []
                        }
                    }
                case .firing:
                    let acknowledged = acknowledgements[memberKey]?.holds(at: now, firingSince: m.firingSince) ?? false
                    guard !muted, !(acknowledged && m.told == nil), !m.pending.isEmpty else { break }
                    alerts.append(m.latest); settled += m.pending; m.lastSettled = m.pending.max() ?? m.lastSettled; m.pending = []; m.told = .firing
                }
                group.members[memberKey] = m
            }
            let changed = !alerts.isEmpty
            if let last = group.lastNotifiedAt, now - last >= group.route.repeatInterval {
                let included = Set(alerts.map(\.alertKey))
                for memberKey in group.members.keys.sorted() where !included.contains(memberKey) {
                    let m = group.members[memberKey]!
                    guard m.told != nil, m.latest.status != .resolved,
                          !isMuted(m.latest.labels, key: memberKey, now: now, silences: silences),
                          !(acknowledgements[memberKey]?.holds(at: now, firingSince: m.firingSince) ?? false) else { continue }
                    var repeated = m.latest
                    repeated.status = .firing; repeated.deliveryID = nil
                    alerts.append(repeated)
                    if let last = m.lastSettled { repeatedIDs.append(last) }
                }
            }
            if !alerts.isEmpty {
                var notification = GroupNotification(route: group.route, groupKey: key, groupLabels: group.labels, alerts: alerts,
                                                     deliveryIDs: settled.sorted(), isRepeat: !changed, at: now)
                notification.repeatedDeliveryIDs = repeatedIDs.isEmpty ? nil : repeatedIDs.sorted()
                output.notifications.append(notification)
                group.lastNotifiedAt = now
            }
            group.nextFlushAt = now + Swift.max(group.route.groupInterval, 1)
            groups[key] = group.members.isEmpty ? nil : group
        }
        return output
    }

    /// Deliveries still waiting (muted, or not yet due), for tests and status.
    public var pendingDeliveryIDs: [Int64] { groups.values.flatMap { $0.members.values.flatMap(\.pending) }.sorted() }
}
