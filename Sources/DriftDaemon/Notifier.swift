import DriftCore
import DriftNotifier
import DriftNotify
import DriftStore
import Foundation
import Logging
import ServiceLifecycle

/// Settings of a running notifier; tests shorten the poll interval and fix the seed.
public struct NotifierOptions: Sendable {
    /// Milliseconds between looks at the outbox when nothing else is due.
    public var pollInterval: Int64 = 1_000
    /// Seed of the backoff jitter.
    public var seed: UInt64 = UInt64.random(in: 0...UInt64.max)
    /// Milliseconds since 1970.
    public var clock: @Sendable () -> Int64 = { Clock.milliseconds() }
    /// Waits this many milliseconds of `clock`'s time between looks at the outbox. Tests
    /// give a manual clock's sleep with its `clock`, and advance hours in an instant.
    public var sleep: @Sendable (Int64) async throws -> Void = { try await Task.sleep(for: .milliseconds($0)) }
    /// Where the notifier reports failed deliveries and its own errors (secrets scrubbed).
    public var logger = Logger(label: "driftd.notifier")
    /// Counts every attempt by receiver and how it ended.
    public var metrics: (any DeliveryObserver)?
    public init() {}
}

/// A running notifier. `stop()` ends it (an attempt in flight is abandoned and resumed from
/// the store the next time a notifier starts).
public final class NotifierHandle: Sendable {
    let task: Task<Void, Never>
    init(task: Task<Void, Never>) { self.task = task }

    /// Stops and waits until the notifier has let go of the store and its HTTP client.
    public func stop() async {
        task.cancel()
        await task.value
    }

    /// For synchronous callers (the daemon's main thread): stops and blocks until done.
    public func stop() {
        let done = DispatchSemaphore(value: 0)
        let task = self.task
        Task.detached { task.cancel(); await task.value; done.signal() }
        done.wait()
    }
}

/// Delivers the outbox: routes each notifying transition to its receivers (one stored
/// delivery per receiver), groups them as the route says, sends them (webhook, PagerDuty,
/// Slack over HTTP; exec as a child process), records every attempt, retries with backoff and
/// jitter within each receiver's rate limit, and marks a delivery failed after the cap.
/// Everything it needs to resume is in the store: a restarted notifier picks up pending
/// deliveries with their attempt counts and next attempt times.
public enum Notifier {
    /// Starts a notifier beside the consume loop; nil when the configuration has no receivers.
    public static func start(configuration: DriftConfiguration, options: NotifierOptions = NotifierOptions()) throws -> NotifierHandle? {
        guard !configuration.notify.isEmpty else { return nil }
        return try start(configuration: configuration.notify, storePath: configuration.storePath, options: options)
    }

    public static func start(configuration: NotifyConfiguration, storePath: String, options: NotifierOptions = NotifierOptions()) throws -> NotifierHandle {
        let store = try AlertStore(path: storePath)
        return start(configuration: configuration, store: store, options: options)
    }

    public static func start(configuration: NotifyConfiguration, store: AlertStore, options: NotifierOptions = NotifierOptions()) -> NotifierHandle {
        NotifierHandle(task: Task.detached {
            let loop = NotifierLoop(configuration: configuration, store: store, options: options)
            await loop.run()
        })
    }
}

/// The notifier's loop and its state; lives inside one task.
final class NotifierLoop {
    struct Queued {
        var notification: GroupNotification
        /// The number of the next attempt (1 for the first).
        var attempt: Int
        var notBefore: Int64
    }

    struct Send {
        var receiver: Receiver
        var items: [Int]
        var requests: [OutgoingRequest]
        var exec: (command: [String], input: [UInt8])?
    }

    let configuration: NotifyConfiguration
    let store: AlertStore
    let options: NotifierOptions
    let transport = HTTPTransport()
    var scheduler: NotificationScheduler
    var queue: [Queued] = []
    var buckets: [String: TokenBucket] = [:]
    var attempts: [Int64: Int] = [:]
    var nextAttempt: [Int64: Int64] = [:]
    var random: SeededRandom

    init(configuration: NotifyConfiguration, store: AlertStore, options: NotifierOptions) {
        self.configuration = configuration; self.store = store; self.options = options
        scheduler = NotificationScheduler(inhibitRules: configuration.inhibitRules)
        random = SeededRandom(seed: options.seed)
        for r in configuration.receivers { buckets[r.name] = TokenBucket(ratePerSecond: r.ratePerSecond, burst: r.burst) }
    }

    /// Every line the notifier logs has the receivers' secrets scrubbed out.
    func log(_ level: Logger.Level, _ text: String, metadata: Logger.Metadata? = nil) {
        options.logger.log(level: level, "\(Redaction.scrub(text, secrets: configuration.secrets))", metadata: metadata)
    }

    func run() async {
        do { try resume() } catch { log(.error, "cannot resume pending deliveries: \(error)") }
        // A store that refuses writes (a full disk) fails every tick: said when it starts,
        // then once a minute while it lasts, and when it ends.
        var failing = LastingCondition()
        // A graceful shutdown (the service group's) lets the tick in flight finish — its
        // attempts are bounded by each receiver's timeout — and ends between two ticks;
        // cancellation abandons the attempt in flight (it is resumed from the store).
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await tick()
                if failing.end() { log(.notice, "working again") }
            } catch {
                if failing.shouldSay("\(error)") { log(.error, "\(error) — trying again") }
            }
            let wait = nextWait()
            let sleep = options.sleep
            do { try await cancelWhenGracefulShutdown { try await sleep(wait) } } catch { break }
        }
        await transport.shutdown()
    }

    func labels(_ entry: OutboxEntry) -> [String: String] {
        AlertLabels.of(entry.fingerprint, severity: entry.severity, extra: configuration.modelLabels[entry.fingerprint.model] ?? [:])
    }

    static func notice(_ e: OutboxEntry, deliveryID: Int64?, labels: [String: String]) -> Notice {
        let status: Notice.Status = switch e.kind {
        case .resolved: .resolved
        case .acknowledged: .acknowledged
        case .firing, .severityChanged: .firing
        }
        return Notice(deliveryID: deliveryID, alertID: e.alertID, fingerprint: e.fingerprint, status: status, severity: e.severity,
                      labels: labels, value: e.value, windowIndex: e.windowIndex, at: Self.milliseconds(e.createdAt), by: e.by, note: e.note)
    }

    /// Pending deliveries from an earlier run go back into the scheduler with what their
    /// receiver was already told, their attempt counts and next attempt times.
    func resume() throws {
        let now = options.clock()
        // What receivers were already told of alerts still firing, so repeats go on (and
        // acknowledgements and resolutions reach those that were paged).
        for d in try store.lastDeliveredOfFiringAlerts() {
            let labels = labels(d.entry)
            // The route the delivery went by, not today's match: a receiver paged in this
            // episode hears the rest of it even when its route no longer matches.
            guard let route = storedRoute(d) else { continue }
            let told = Self.told(d.entry.kind)
            guard told != nil else { continue }
            // The store only returns acknowledgements of the current episode: firingSince 0.
            scheduler.add(Self.notice(d.entry, deliveryID: nil, labels: labels), route: route, now: now, told: told,
                          notifiedAt: Self.milliseconds(d.updatedAt), firingSince: 0, settledDelivery: d.id)
        }
        for d in try store.pendingDeliveries() {
            let labels = labels(d.entry)
            guard let route = storedRoute(d) else {
                try store.recordAttempt(deliveryIDs: [d.id], at: Double(now) / 1000, statusCode: nil, error: "receiver \(d.receiver) is no longer routed to",
                                        update: .failed(reason: "receiver \(d.receiver) is no longer configured or routed to"))
                continue
            }
            attempts[d.id] = d.attempts
            if let next = d.nextAttemptAt { nextAttempt[d.id] = Self.milliseconds(next) }
            scheduler.add(Self.notice(d.entry, deliveryID: d.id, labels: labels), route: route, now: now, told: d.told.flatMap(Self.told))
        }
    }

    /// The route a stored delivery was planned by, with its receiver (nil when either is
    /// gone from the configuration).
    func storedRoute(_ d: DeliveryRecord) -> ResolvedRoute? {
        guard configuration.receiver(d.receiver) != nil, var route = configuration.route?.resolved(id: d.route) else { return nil }
        route.receiver = d.receiver
        return route
    }

    /// Seconds since 1970 → milliseconds, clamped: a silence "forever" must not trap.
    static func milliseconds(_ seconds: Double) -> Int64 {
        guard seconds.isFinite else { return seconds > 0 ? Int64.max / 2 : 0 }
        return Int64(Swift.min(Swift.max(seconds, 0), Double(Int64.max / 2_000)) * 1000)
    }

    /// What a receiver knows of an alert after being told a transition of this kind.
    static func told(_ kind: OutboxKind) -> Notice.Status? {
        switch kind {
        case .firing, .severityChanged: .firing
        case .acknowledged: .acknowledged
        case .resolved: nil
        }
    }

    /// One turn: new outbox entries routed, what is due queued, sent, and settled.
    func tick() async throws {
        let now = options.clock()
        try routeOutbox(now: now)
        try queueDue(now: now)
        let sends = plan(now: now)
        guard !sends.isEmpty else { return }
        let results = await send(sends)
        // Also when stopping: a request cut short may have reached the receiver, so it is
        // recorded as an attempt (and tried again by the next notifier).
        try settle(sends, results, now: options.clock())
    }

    /// Routes each new outbox entry to its receivers (one stored delivery per receiver) and
    /// hands it to the scheduler.
    func routeOutbox(now: Int64) throws {
        for entry in try store.pendingOutbox() {
            let labels = labels(entry)
            var routes = (configuration.route?.match(labels) ?? []).filter { configuration.receiver($0.receiver) != nil }
            // Receivers paged in this episode hear the rest of it, matched or not.
            if entry.kind != .firing {
                for (receiver, id) in try store.receiversOfEpisode(entry) where !routes.contains(where: { $0.receiver == receiver }) {
                    guard configuration.receiver(receiver) != nil, var route = configuration.route?.resolved(id: id) else { continue }
                    route.receiver = receiver
                    routes.append(route)
                }
            }
            let ids = try store.route(outboxID: entry.id, alertID: entry.alertID, plans: routes.map {
                DeliveryPlan(receiver: $0.receiver, route: $0.id, dedupKey: Notice.dedupKey(entry.fingerprint))
            }, now: Double(now) / 1000)
            for r in routes { scheduler.add(Self.notice(entry, deliveryID: ids[r.receiver], labels: labels), route: r, now: now) }
        }
    }

    /// What the scheduler says is due now, under the store's silences and acknowledgements:
    /// suppressed deliveries settled, the rest queued with their attempt numbers.
    func queueDue(now: Int64) throws {
        let seconds = Double(now) / 1000
        let silences = try store.silences(now: seconds).compactMap { s -> Silence? in
            guard let matchers = try? s.matchers.map({ text throws(MatcherError) in try LabelMatcher(parsing: text) }) else { return nil }
            return Silence(id: s.id, matchers: matchers, startsAt: Self.milliseconds(s.startsAt), endsAt: Self.milliseconds(s.endsAt))
        }
        var acks: [String: Acknowledgement] = [:]
        for a in try store.activeAcknowledgements(now: seconds) {
            acks[a.fingerprint] = Acknowledgement(alertKey: a.fingerprint, by: a.by, at: Self.milliseconds(a.at), expiresAt: a.expiresAt.map(Self.milliseconds))
        }
        let due = scheduler.due(now: now, silences: silences, acknowledgements: acks)
        for (reason, settlements) in Dictionary(grouping: due.suppressed, by: \.reason) {
            try store.suppress(deliveryIDs: settlements.map(\.deliveryID), reason: reason, now: seconds)
        }
        for n in due.notifications {
            let attempt = 1 + (n.deliveryIDs.map { attempts[$0] ?? 0 }.max() ?? 0)
            let notBefore = Swift.max(now, n.deliveryIDs.compactMap { nextAttempt[$0] }.max() ?? now)
            queue.append(Queued(notification: n, attempt: attempt, notBefore: notBefore))
        }
    }

    /// Sends concurrently, one task per send; the results in the order of `sends`.
    func send(_ sends: [Send]) async -> [TransportResult] {
        await withTaskGroup(of: (Int, TransportResult).self) { group in
            for (i, send) in sends.enumerated() {
                let withheld = configuration.secretVariables
                group.addTask { [transport, options] in (i, await Self.perform(send, transport: transport, withheld: withheld, clock: options.clock)) }
            }
            var results: [(Int, TransportResult)] = []
            for await r in group { results.append(r) }
            return results.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    /// Records every attempt in the store, decides by the retry policy (delivered, failed
    /// after the cap, or tried again after a backoff), and drops the finished ones from the queue.
    func settle(_ sends: [Send], _ results: [TransportResult], now: Int64) throws {
        var finished = Set<Int>()
        for (send, result) in zip(sends, results) {
            let attempt = send.items.map { queue[$0].attempt }.max() ?? 1
            let ids = send.items.flatMap { queue[$0].notification.deliveryIDs }
            let decision = configuration.retry.decision(attempt: attempt, outcome: result.outcome, using: &random)
            let update: DeliveryUpdate
            switch decision {
            case .delivered:
                update = .delivered
                finished.formUnion(send.items)
            case .failed(let reason):
                update = .failed(reason: Redaction.scrub(reason, secrets: configuration.secrets))
                finished.formUnion(send.items)
                log(.error, "delivery to \(send.receiver.name) failed: \(reason) (\(ids.count) deliveries; driftd alerts shows them)",
                    metadata: ["receiver.name": "\(send.receiver.name)", "delivery.ids": "\(ids.map(String.init).joined(separator: ","))"])
            case .retry(let delay):
                update = .retry(at: Double(now + delay) / 1000)
                for i in send.items { queue[i].attempt += 1; queue[i].notBefore = now + delay }
                for id in ids { nextAttempt[id] = now + delay }
            }
            for id in ids { attempts[id, default: 0] += 1 }
            try record(send, result, deliveryIDs: ids, update: update, now: now)
        }
        queue = queue.enumerated().filter { !finished.contains($0.offset) }.map(\.element)
    }

    /// One attempt in the store and the metrics; a repeat is logged against the deliveries
    /// it repeats, their status kept.
    func record(_ send: Send, _ result: TransportResult, deliveryIDs ids: [Int64], update: DeliveryUpdate, now: Int64) throws {
        let error = result.error.map { Redaction.scrub($0, secrets: configuration.secrets) }
        if !ids.isEmpty {
            try store.recordAttempt(deliveryIDs: ids, at: Double(now) / 1000, statusCode: result.statusCode, error: error, update: update)
        } else {
            let repeated = Array(Set(send.items.flatMap { queue[$0].notification.repeatedDeliveryIDs ?? [] })).sorted()
            if !repeated.isEmpty {
                try store.recordAttempt(deliveryIDs: repeated, at: Double(now) / 1000, statusCode: result.statusCode, error: error, update: .logOnly)
            }
        }
        switch update {
        case .delivered: options.metrics?.observe(delivery: send.receiver.name, outcome: .delivered)
        case .failed: options.metrics?.observe(delivery: send.receiver.name, outcome: .failed)
        case .retry: options.metrics?.observe(delivery: send.receiver.name, outcome: .retry)
        case .logOnly: break
        }
    }

    /// What to send now: queued notifications that are due, within each receiver's rate
    /// limit; a Slack receiver's due notifications become one message. A receiver hears of
    /// an alert in order: a notification waits while an earlier one about the same alert is
    /// still queued for that receiver (so a resolve never overtakes the trigger it resolves),
    /// and only one notification per alert and receiver is in flight at a time.
    func plan(now: Int64) -> [Send] {
        var sends: [Send] = []
        var blocked: [String: Set<String>] = [:]
        var ready: [Int] = []
        for i in queue.indices {
            let n = queue[i].notification
            let keys = Set(n.alerts.map(\.alertKey))
            if queue[i].notBefore <= now && blocked[n.receiver, default: []].isDisjoint(with: keys) { ready.append(i) }
            blocked[n.receiver, default: []].formUnion(keys)
        }
        for (name, items) in Dictionary(grouping: ready, by: { queue[$0].notification.receiver }).sorted(by: { $0.key < $1.key }) {
            guard let receiver = configuration.receiver(name) else { continue }
            var batches: [[Int]]
            if case .slack = receiver.kind { batches = [items] } else { batches = items.map { [$0] } }
            for batch in batches {
                if let wait = buckets[name]?.take(now: now) {
                    for i in batch { queue[i].notBefore = now + wait }
                    continue
                }
                let notifications = batch.map { queue[$0].notification }
                var send = Send(receiver: receiver, items: batch, requests: [], exec: nil)
                switch receiver.kind {
                case .webhook(let url, let secret, let headers):
                    send.requests = [WebhookBody.request(notifications[0], url: url, secret: secret, headers: headers, externalURL: configuration.externalURL)]
                case .pagerDuty(let key, let url):
                    send.requests = PagerDutyEvent.requests(notifications[0], routingKey: key, url: url, externalURL: configuration.externalURL)
                case .slack(let url, let channel):
                    send.requests = [SlackMessage.request(notifications, url: url, channel: channel, externalURL: configuration.externalURL)]
                case .exec(let command):
                    send.exec = (command, WebhookBody(notifications[0], externalURL: configuration.externalURL).bytes)
                }
                sends.append(send)
            }
        }
        return sends
    }

    static func perform(_ send: Send, transport: HTTPTransport, withheld: Set<String>, clock: @escaping @Sendable () -> Int64) async -> TransportResult {
        if let exec = send.exec {
            return await ExecTransport.run(command: exec.command, input: exec.input, timeout: send.receiver.timeout, withheld: withheld)
        }
        var last = TransportResult(statusCode: nil, outcome: .delivered)
        // PagerDuty: one event per alert; a failure sends them all again (their dedup_key
        // makes the repeats harmless).
        for request in send.requests {
            last = await transport.send(request, timeout: send.receiver.timeout, now: clock)
            if last.outcome != .delivered { return last }
        }
        return last
    }

    func nextWait() -> Int64 {
        let now = options.clock()
        var wait = options.pollInterval
        if let due = scheduler.nextDue { wait = Swift.min(wait, due - now) }
        if let q = queue.map(\.notBefore).min() { wait = Swift.min(wait, q - now) }
        return Swift.max(wait, 1)
    }
}
