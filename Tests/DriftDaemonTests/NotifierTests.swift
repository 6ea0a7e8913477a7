@testable import DriftDaemon
import DriftCore
import DriftNotify
import DriftStore
import DriftTesting
import Foundation
import Logging
import Testing

/// The notifier against a receiver sink on 127.0.0.1: failures are retried, the cap fails a
/// delivery visibly, receivers see one delivery per transition, silences and acks mute what
/// they should, and a restart in the middle of a retry loses nothing.
@Suite("Notifier", .serialized)
struct NotifierTests {
    /// A store on disk (WAL) and a webhook receiver pointing at `url`.
    struct Setup {
        let dir: TemporaryDirectory
        let path: String
        let store: AlertStore
        var configuration: NotifyConfiguration
        var options = NotifierOptions()

        init(url: String, kind: ((String) -> Receiver.Kind)? = nil, maxAttempts: Int = 8, timeout: Int64 = 5_000,
             groupBy: [String] = ["model"], repeatInterval: Int64 = 3_600_000) throws {
            dir = try TemporaryDirectory()
            path = dir.url.appendingPathComponent("s.sqlite").path
            store = try AlertStore(path: path)
            let receiverKind = kind?(url) ?? .webhook(url: url, secret: "s3cret", headers: [:])
            configuration = NotifyConfiguration(
                receivers: [Receiver(name: "sink", kind: receiverKind, timeout: timeout, ratePerSecond: 1000, burst: 100)],
                route: Route(receiver: "sink", groupBy: groupBy, groupWait: 0, groupInterval: 20, repeatInterval: repeatInterval),
                retry: RetryPolicy(baseDelay: 20, maxDelay: 100, maxAttempts: maxAttempts))
            options.pollInterval = 10
            options.seed = 42
            options.logger = Logger(label: "driftd.notifier.test") { _ in SwiftLogNoOpLogHandler() }
        }

        func commit(_ transitions: [AlertTransition]) throws {
            try store.commit(Transitions.output(transitions), checkpoint: Transitions.checkpoint, source: "test")
        }

        func start() -> NotifierHandle { Notifier.start(configuration: configuration, store: store, options: options) }

        /// Puts the notifier on a manual clock that starts at the wall clock's now (so its
        /// times sit beside the store's): its polls, backoffs and repeats wait until the test
        /// moves time. Receivers still answer in real time.
        mutating func manualClock() -> ManualClock {
            let clock = ManualClock(now: Int64(Date().timeIntervalSince1970 * 1000))
            options.clock = { clock.now() }
            options.sleep = { try await clock.sleep(milliseconds: $0) }
            return clock
        }

        func deliveries(_ status: DeliveryStatus? = nil) throws -> [DeliveryRecord] { try store.deliveries(status: status) }

        /// The deliveries and their attempts, to say what happened when an expectation fails.
        var trace: Comment {
            let now = Date().timeIntervalSince1970
            let lines = ((try? store.deliveries()) ?? []).map { d in
                "delivery \(d.id) \(d.entry.fingerprint) \(d.entry.kind) \(d.status): " + ((try? store.attempts(deliveryID: d.id)) ?? []).map {
                    String(format: "%.3fs ago %@ %@", now - $0.at, $0.statusCode.map(String.init) ?? "-", $0.error ?? "")
                }.joined(separator: "; ")
            }
            return Comment(rawValue: lines.joined(separator: "\n"))
        }
    }

    /// (dedup key, status) of every alert in the accepted webhook bodies, as a receiver that
    /// drops repeats of an Idempotency-Key sees them (at-least-once delivery may repeat a
    /// request whose answer came too late).
    static func deliveredAlerts(_ sink: ReceiverSink) -> [String] {
        var seen = Set<String>()
        return sink.accepted.filter { seen.insert($0.headers["idempotency-key"] ?? UUID().uuidString).inserted }.flatMap { r in
            ((r.json?["alerts"] as? [[String: Any]]) ?? []).map { "\($0["dedup_key"] as? String ?? "?") \($0["status"] as? String ?? "?")" }
        }.sorted()
    }

    @Test("500, 429 with Retry-After and a timeout are retried; once the sink recovers each transition arrives exactly once")
    func retriesThenExactlyOnce() async throws {
        let sink = try ReceiverSink(script: [.status(500), .status(429, retryAfter: "1"), .hang, .status(503)])
        defer { sink.shutdown() }
        // On the wall clock: this one measures a receiver's real timeout (a hung request)
        // beside the backoff and Retry-After.
        let s = try Setup(url: sink.url, timeout: 1_000)
        try s.commit([Transitions.make("shop", "age", "psi", .firing), Transitions.make("shop", "zip", "psi", .firing)])
        let notifier = s.start()
        #expect(try await eventually("delivered") { try s.deliveries(.delivered).count == 2 }, s.trace)
        try s.commit([Transitions.make("shop", "age", "psi", .resolved, window: 5)])
        #expect(try await eventually("resolved delivered") { try s.deliveries(.delivered).count == 3 }, s.trace)
        await notifier.stop()

        #expect(Self.deliveredAlerts(sink) == ["driftd/shop/age/psi firing", "driftd/shop/age/psi resolved", "driftd/shop/zip/psi firing"])
        let requests = sink.requests
        #expect(requests.prefix(4).map(\.reply) == [.status(500), .status(429, retryAfter: "1"), .hang, .status(503)])
        let firstKey = requests[0].headers["idempotency-key"]
        let firing = requests.filter { ($0.json?["status"] as? String) == "firing" }
        #expect(firing.count >= 5 && firing.allSatisfy { $0.headers["idempotency-key"] == firstKey },
                "every retry of one notification carries the same Idempotency-Key")
        #expect(requests.last?.headers["idempotency-key"] != firstKey, "the resolution is another notification")
        for r in requests {
            #expect(Signing.isValid(r.headers["x-driftd-signature"] ?? "", body: Array(r.body), secret: "s3cret"))
        }
        let first = try #require(try s.deliveries().first)
        let attempts = try s.store.attempts(deliveryID: first.id)
        #expect(attempts.prefix(4).map(\.statusCode) == [500, 429, nil, 503], s.trace)
        #expect(attempts.last?.statusCode == 200)
        #expect(attempts[2].error?.contains("timed out") == true)
        #expect(attempts[2].at - attempts[1].at >= 1.0, "Retry-After: 1 was honoured")
        #expect(first.attempts == attempts.count)
    }

    @Test("connection refused is retried until the receiver comes up")
    func connectionRefused() async throws {
        let port = try ReceiverSink.freePort()
        // On the wall clock: the HTTP client's own reconnection backoff is real time.
        let s = try Setup(url: "http://127.0.0.1:\(port)/hook", timeout: 1_000)
        try s.commit([Transitions.make("shop", "age", "psi", .firing)])
        let notifier = s.start()
        #expect(try await eventually("refused twice") { (try s.deliveries(.pending).first?.attempts ?? 0) >= 2 })
        let refused = try s.deliveries(.pending).first?.attempts ?? 0
        let sink = try ReceiverSink(port: port)
        defer { sink.shutdown() }
        #expect(try await eventually("delivered") { try s.deliveries(.delivered).count == 1 })
        await notifier.stop()
        #expect(Self.deliveredAlerts(sink) == ["driftd/shop/age/psi firing"])
        let attempts = try s.store.attempts(deliveryID: try s.deliveries()[0].id)
        #expect(attempts.count > refused)
        #expect(attempts.prefix(refused).allSatisfy { $0.statusCode == nil && $0.error?.contains("refused") == true }, s.trace)
        #expect(attempts.last?.statusCode == 200)
    }

    @Test("after max attempts a delivery is failed with its last error; a 4xx fails at once")
    func cap() async throws {
        let sink = try ReceiverSink(script: Array(repeating: .status(500), count: 3) + [.status(404)])
        defer { sink.shutdown() }
        var s = try Setup(url: sink.url, maxAttempts: 3)
        let clock = s.manualClock()
        try s.commit([Transitions.make("shop", "age", "psi", .firing)])
        let notifier = s.start()
        #expect(try await clock.advance(by: 10) { try s.deliveries(.failed).count == 1 })
        try s.commit([Transitions.make("fraud", "amt", "ks", .firing)])
        #expect(try await clock.advance(by: 10) { try s.deliveries(.failed).count == 2 })
        await notifier.stop()
        let failed = try s.deliveries(.failed)
        #expect(failed.map(\.attempts) == [3, 1])
        #expect(failed[0].lastError == "HTTP 500; gave up after 3 attempts")
        #expect(failed[1].lastError == "HTTP 404")
        #expect(sink.requests.count == 4)
    }

    @Test("a silence holds back the alert it matches and nothing else")
    func silence() async throws {
        let sink = try ReceiverSink()
        defer { sink.shutdown() }
        let s = try Setup(url: sink.url)
        let now = Date().timeIntervalSince1970
        _ = try s.store.addSilence(matchers: ["model=shop", "feature=age"], startsAt: now - 1, endsAt: now + 3600, by: "ana", comment: "deploy")
        try s.commit([Transitions.make("shop", "age", "psi", .firing), Transitions.make("shop", "zip", "psi", .firing),
                      Transitions.make("fraud", "amt", "ks", .firing)])
        let notifier = s.start()
        #expect(try await eventually("two delivered") { try s.deliveries(.delivered).count == 2 })
        await notifier.stop()
        #expect(Self.deliveredAlerts(sink) == ["driftd/fraud/amt/ks firing", "driftd/shop/zip/psi firing"],
                "zip shares age's group: had age not been held back it would be in the same request")
        #expect(try s.deliveries(.pending).map(\.entry.fingerprint.feature) == ["age"], "held, not lost")
    }

    @Test("on a manual clock: a firing alert is repeated every repeat_interval (4 h) of the notifier's own time, never in between, and not after it resolves")
    func repeatsOnAManualClock() async throws {
        let sink = try ReceiverSink()
        defer { sink.shutdown() }
        let fourHours: Int64 = 4 * 3_600_000
        var s = try Setup(url: sink.url, repeatInterval: fourHours)
        let clock = ManualClock(now: 1_800_000_000_000)
        s.options.clock = { clock.now() }
        s.options.sleep = { try await clock.sleep(milliseconds: $0) }
        s.options.pollInterval = 1_000
        try s.commit([Transitions.make("shop", "zip", "psi", .firing)])
        let notifier = s.start()
        /// Moves the notifier's time on and returns once it has acted on it and sleeps again.
        func advance(_ milliseconds: Int64) async {
            #expect(await clock.waitForSleepers(), "the notifier is idle before time moves")
            clock.advance(by: milliseconds)
            #expect(await clock.waitForSleepers(), "the notifier has acted and sleeps again")
        }
        func firings() -> Int { sink.requests.filter { ($0.json?["status"] as? String) == "firing" }.count }
        // The first page goes out without time moving (group_wait 0), or within a few ms of it.
        for _ in 0..<50 where firings() < 1 { await advance(10) }
        #expect(firings() == 1, s.trace)
        await advance(fourHours - 60_000)
        #expect(firings() == 1, "no repeat before repeat_interval")
        await advance(2 * 60_000)
        #expect(firings() == 2, "the repeat at 4 h")
        #expect(sink.requests.last?.json?["repeat"] as? Bool == true)
        await advance(fourHours)
        #expect(firings() == 3, "and again at 8 h")
        // Resolved: told once, then silence however long the clock runs.
        try s.commit([Transitions.make("shop", "zip", "psi", .resolved, window: 9)])
        for _ in 0..<50 where !sink.requests.contains(where: { ($0.json?["status"] as? String) == "resolved" }) { await advance(10) }
        #expect(sink.requests.contains { ($0.json?["status"] as? String) == "resolved" })
        let told = sink.requests.count
        await advance(3 * fourHours)
        #expect(sink.requests.count == told, "nothing repeats after the resolution")
        await notifier.stop()
    }

    @Test("an acknowledged alert is told as acknowledged and no longer repeated; others keep repeating")
    func acks() async throws {
        let sink = try ReceiverSink()
        defer { sink.shutdown() }
        var s = try Setup(url: sink.url, repeatInterval: 100)
        let clock = s.manualClock()
        try s.commit([Transitions.make("shop", "zip", "psi", .firing), Transitions.make("fraud", "amt", "ks", .firing)])
        let notifier = s.start()
        #expect(try await clock.advance(by: 10) { try s.deliveries(.delivered).count == 2 })
        let amt = try #require(try s.store.alerts(model: "fraud").first)
        try s.store.acknowledge(alertID: amt.id, by: "ana", note: "on it")
        func statuses(_ r: ReceiverSink.Request) -> [String] {
            ((r.json?["alerts"] as? [[String: Any]]) ?? []).map { "\($0["fingerprint"] as? String ?? "") \($0["status"] as? String ?? "")" }
        }
        var ackIndex = 0
        #expect(try await clock.advance(by: 10) {
            if let i = sink.requests.firstIndex(where: { statuses($0) == ["fraud/amt/ks acknowledged"] }) { ackIndex = i; return true }
            return false
        }, "ack told")
        #expect(try await clock.advance(by: 10) {
            sink.requests.dropFirst(ackIndex + 1).filter { statuses($0) == ["shop/zip/psi firing"] }.count >= 4
        }, "zip repeated four times after the ack")
        // Four repeats every 100 ms of the notifier's time: the acknowledged alert had as long to repeat.
        await notifier.stop()
        let after = sink.requests.dropFirst(ackIndex + 1)
        #expect(!after.contains { statuses($0).contains { $0.hasPrefix("fraud/amt/ks") } }, "the acknowledged alert is not repeated")
        #expect(after.filter { statuses($0) == ["shop/zip/psi firing"] }.allSatisfy { $0.json?["repeat"] as? Bool == true })
        #expect(sink.requests.prefix(ackIndex).contains { statuses($0) == ["fraud/amt/ks firing"] })
        // Repeats are in the attempt log, marked as repeats, against the delivery they repeat.
        let zip = try #require(try s.store.alerts(model: "shop").first)
        let zipDelivery = try #require(try s.store.deliveries(alertID: zip.id).first)
        let logged = try s.store.attempts(deliveryID: zipDelivery.id)
        #expect(logged.filter(\.isRepeat).count >= 4, "\(logged)")
        #expect(zipDelivery.status == .delivered, "a repeat leaves the delivery's status as it was")
    }

    @Test("a restart in the middle of a retry loses nothing: pending deliveries resume with their attempts")
    func restart() async throws {
        let sink = try ReceiverSink(script: [.status(500), .status(500), .status(500)])
        defer { sink.shutdown() }
        var s = try Setup(url: sink.url)
        let clock = s.manualClock()
        s.configuration.retry = RetryPolicy(baseDelay: 500, maxDelay: 500, maxAttempts: 10)
        try s.commit([Transitions.make("shop", "age", "psi", .firing)])
        var notifier = s.start()
        #expect(try await clock.advance(by: 10) { (try s.deliveries(.pending).first?.attempts ?? 0) >= 1 })
        await notifier.stop()
        let before = try #require(try s.deliveries(.pending).first)
        // While it is down, another transition is committed.
        try s.commit([Transitions.make("fraud", "amt", "ks", .firing)])
        s.configuration.retry = RetryPolicy(baseDelay: 20, maxDelay: 50, maxAttempts: 10)
        let reopened = try AlertStore(path: s.path)
        notifier = Notifier.start(configuration: s.configuration, store: reopened, options: s.options)
        #expect(try await clock.advance(by: 10) { try reopened.deliveries(status: .delivered).count == 2 })
        await notifier.stop()
        #expect(Self.deliveredAlerts(sink) == ["driftd/fraud/amt/ks firing", "driftd/shop/age/psi firing"])
        let age = try #require(try reopened.deliveries().first { $0.id == before.id })
        let attempts = try reopened.attempts(deliveryID: age.id)
        #expect(attempts.count == age.attempts && age.attempts > before.attempts, "the count went on where it stopped")
        let ageRequests = sink.requests.filter { r in ((r.json?["alerts"] as? [[String: Any]]) ?? []).contains { $0["fingerprint"] as? String == "shop/age/psi" } }
        #expect(ageRequests.count == attempts.count, "every request is a recorded attempt")
        #expect(Set(ageRequests.map { $0.headers["idempotency-key"] ?? "" }).count == 1, "the same Idempotency-Key across the restart")
        #expect(attempts[before.attempts].at >= before.nextAttemptAt! - 0.001, "the restarted notifier kept the stored backoff")
    }

    @Test("after a restart, alerts already paged keep repeating, and an ack given meanwhile reaches the receiver and stops only its repeats")
    func restartKeepsRepeats() async throws {
        let sink = try ReceiverSink()
        defer { sink.shutdown() }
        var s = try Setup(url: sink.url)
        let clock = s.manualClock()
        try s.commit([Transitions.make("shop", "zip", "psi", .firing), Transitions.make("fraud", "amt", "ks", .firing)])
        var notifier = s.start()
        #expect(try await clock.advance(by: 10) { try s.deliveries(.delivered).count == 2 })
        await notifier.stop()
        let amt = try #require(try s.store.alerts(model: "fraud").first)
        try s.store.acknowledge(alertID: amt.id, by: "ana")
        s.configuration.route?.repeatInterval = 100
        let paged = sink.requests.count
        notifier = Notifier.start(configuration: s.configuration, store: try AlertStore(path: s.path), options: s.options)
        func statuses(_ r: ReceiverSink.Request) -> [String] {
            ((r.json?["alerts"] as? [[String: Any]]) ?? []).map { "\($0["fingerprint"] as? String ?? "") \($0["status"] as? String ?? "")" }
        }
        #expect(try await clock.advance(by: 10) {
            sink.requests.dropFirst(paged).filter { statuses($0) == ["shop/zip/psi firing"] }.count >= 3
        }, "zip repeated three times")
        #expect(try await clock.advance(by: 10) { try s.deliveries(.delivered).count == 3 }, "ack told")
        await notifier.stop()
        let after = sink.requests.dropFirst(paged).map(statuses)
        #expect(after.contains(["fraud/amt/ks acknowledged"]), "the receiver that was paged hears of the ack")
        #expect(!after.contains(["fraud/amt/ks firing"]), "the acknowledged alert is not repeated")
    }

    @Test("a resolution never overtakes the firing it resolves while that firing is being retried")
    func order() async throws {
        let sink = try ReceiverSink(script: [.status(429, retryAfter: "1")])
        defer { sink.shutdown() }
        var s = try Setup(url: sink.url)
        let clock = s.manualClock()
        try s.commit([Transitions.make("shop", "age", "psi", .firing)])
        let notifier = s.start()
        #expect(try await clock.advance(by: 10) { sink.requests.count == 1 }, "first attempt refused")
        try s.commit([Transitions.make("shop", "age", "psi", .resolved, window: 3)])
        #expect(try await clock.advance(by: 10) { try s.deliveries(.delivered).count == 2 }, "both delivered")
        await notifier.stop()
        #expect(Self.deliveredAlerts(sink) == ["driftd/shop/age/psi firing", "driftd/shop/age/psi resolved"])
        let accepted = sink.accepted.compactMap { ($0.json?["alerts"] as? [[String: Any]])?.first?["status"] as? String }
        #expect(accepted == ["firing", "resolved"])
    }

    @Test("a receiver paged for a critical alert hears its resolution after it fell back to warning")
    func episodeFollowsReceiver() async throws {
        let sink = try ReceiverSink()
        defer { sink.shutdown() }
        var s = try Setup(url: sink.url)
        s.configuration.receivers = [Receiver(name: "chat", kind: .webhook(url: "http://127.0.0.1:\(sink.port)/chat", secret: nil, headers: [:])),
                                     Receiver(name: "pager", kind: .webhook(url: "http://127.0.0.1:\(sink.port)/pager", secret: nil, headers: [:]))]
        s.configuration.route = Route(receiver: "chat", groupBy: ["model"], groupWait: 0, groupInterval: 20,
                                      routes: [Route(receiver: "pager", matchers: [try LabelMatcher(parsing: "severity=critical")])])
        try s.commit([Transitions.make("shop", "age", "psi", .firing, severity: .critical)])
        let notifier = s.start()
        #expect(try await eventually("paged") { sink.accepted.count == 1 })
        try s.commit([Transitions.make("shop", "age", "psi", .severityChanged, severity: .warning, window: 2)])
        try s.commit([Transitions.make("shop", "age", "psi", .resolved, severity: .warning, window: 4)])
        // One read, one snapshot: two reads could see "nothing pending" before the later
        // transitions were routed and "five deliveries" after (the flake of 1 run in ~36).
        #expect(try await eventually("all told") { let all = try s.deliveries(); return all.count == 5 && all.allSatisfy { $0.status != .pending } }, s.trace)
        await notifier.stop()
        let pager = sink.accepted.filter { $0.path == "/pager" }.flatMap { (($0.json?["alerts"] as? [[String: Any]]) ?? []).map { $0["status"] as? String ?? "" } }
        #expect(pager.last == "resolved", "the pager that was paged hears the end of the episode")
        #expect(pager.first == "firing")
        let chat = sink.accepted.filter { $0.path == "/chat" }.flatMap { (($0.json?["alerts"] as? [[String: Any]]) ?? []) }
        #expect(!chat.contains { $0["severity"] as? String == "critical" }, "chat takes the alert only from when it became a warning")
    }

    @Test("after pruning, a restarted notifier pages nobody again, and an alert still firing resolves to those it paged")
    func pruningNeverRepages() async throws {
        let sink = try ReceiverSink()
        defer { sink.shutdown() }
        var s = try Setup(url: sink.url)
        let clock = s.manualClock()
        try s.commit([Transitions.make("shop", "age", "psi", .firing), Transitions.make("shop", "zip", "psi", .firing)])
        var notifier = s.start()
        #expect(try await clock.advance(by: 10) { try s.deliveries(.delivered).count == 2 }, s.trace)
        try s.commit([Transitions.make("shop", "zip", "psi", .resolved, window: 3)])
        #expect(try await clock.advance(by: 10) { try s.deliveries(.delivered).count == 3 }, s.trace)
        await notifier.stop()
        let told = Self.deliveredAlerts(sink)
        #expect(told == ["driftd/shop/age/psi firing", "driftd/shop/zip/psi firing", "driftd/shop/zip/psi resolved"])

        // Two days later with a one-day retention for everything.
        let policy = RetentionPolicy(kinds: Dictionary(uniqueKeysWithValues: RetentionKind.allCases.map { ($0, Retention.age(seconds: 86_400)) }))
        let report = try s.store.prune(policy: policy, now: AlertStore.now + 2 * 86_400)
        #expect(report.items[.resolvedAlerts] == 1, "zip, resolved and told, goes")
        #expect(try s.store.alerts().map(\.feature) == ["age"])
        #expect(try s.deliveries().map(\.entry.fingerprint.feature) == ["age"], "the firing alert keeps what its receivers were told")

        let requests = sink.requests.count
        notifier = Notifier.start(configuration: s.configuration, store: try AlertStore(path: s.path), options: s.options)
        // Thirty polls of the outbox, each acted on before the next.
        var polls = 0
        #expect(try await clock.advance(by: 10) { polls += 1; return polls > 30 })
        #expect(sink.requests.count == requests, "nothing is paged again")
        try s.commit([Transitions.make("shop", "age", "psi", .resolved, window: 5), Transitions.make("shop", "zip", "psi", .firing, window: 5)])
        #expect(try await clock.advance(by: 10) { try s.deliveries(.delivered).count == 3 }, s.trace)
        await notifier.stop()
        #expect(Self.deliveredAlerts(sink) == (told + ["driftd/shop/age/psi resolved", "driftd/shop/zip/psi firing"]).sorted(),
                "the receiver paged for age before pruning hears it resolve; zip's new episode pages once")
    }

    @Test("PagerDuty gets trigger, acknowledge and resolve with one dedup_key")
    func pagerDuty() async throws {
        let sink = try ReceiverSink()
        defer { sink.shutdown() }
        let s = try Setup(url: sink.url, kind: { .pagerDuty(routingKey: "R0UTING", url: $0) })
        try s.commit([Transitions.make("shop", "age", "psi", .firing, severity: .critical)])
        let notifier = s.start()
        #expect(try await eventually("triggered") { sink.accepted.count == 1 })
        let alert = try #require(try s.store.alerts().first)
        try s.store.acknowledge(alertID: alert.id, by: "ana")
        #expect(try await eventually("acknowledged") { sink.accepted.count == 2 })
        try s.store.resolve(alertID: alert.id, by: "ana")
        #expect(try await eventually("resolved") { sink.accepted.count == 3 })
        await notifier.stop()
        let events = sink.accepted.compactMap(\.json)
        #expect(events.map { $0["event_action"] as? String } == ["trigger", "acknowledge", "resolve"])
        #expect(Set(events.compactMap { $0["dedup_key"] as? String }) == ["driftd/shop/age/psi"])
        #expect(events.allSatisfy { $0["routing_key"] as? String == "R0UTING" })
        #expect((events[0]["payload"] as? [String: Any])?["severity"] as? String == "critical")
    }

    @Test("Slack: notifications due together for one channel go as one message")
    func slackCoalesced() async throws {
        let sink = try ReceiverSink()
        defer { sink.shutdown() }
        let s = try Setup(url: sink.url, kind: { .slack(url: $0, channel: "#ml") })
        try s.commit([Transitions.make("shop", "age", "psi", .firing), Transitions.make("fraud", "amt", "ks", .firing)])
        let notifier = s.start()
        #expect(try await eventually("delivered") { try s.deliveries(.delivered).count == 2 })
        await notifier.stop()
        #expect(sink.requests.count == 1)
        #expect(sink.requests.first?.json?["text"] as? String == "driftd: 2 firing — fraud, shop")
    }

    @Test("exec: the alert JSON on standard input; a command that overruns its timeout is killed and retried")
    func exec() async throws {
        let out = try TemporaryDirectory()
        let file = out.url.appendingPathComponent("alert.json").path
        let s = try Setup(url: "", kind: { _ in .exec(command: ["/bin/sh", "-c", "cat > '\(file)'"]) })
        try s.commit([Transitions.make("shop", "age", "psi", .firing)])
        let notifier = s.start()
        #expect(try await eventually("delivered") { try s.deliveries(.delivered).count == 1 })
        await notifier.stop()
        let body = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any]
        #expect((body?["alerts"] as? [[String: Any]])?.first?["dedup_key"] as? String == "driftd/shop/age/psi")

        let slow = try Setup(url: "", kind: { _ in .exec(command: ["/bin/sleep", "30"]) }, maxAttempts: 2, timeout: 100)
        try slow.commit([Transitions.make("shop", "age", "psi", .firing)])
        let n2 = slow.start()
        #expect(try await eventually("failed") { try slow.deliveries(.failed).count == 1 })
        await n2.stop()
        let failed = try #require(try slow.deliveries(.failed).first)
        #expect(failed.lastError == "timed out after 100 ms; gave up after 2 attempts")
    }
}
