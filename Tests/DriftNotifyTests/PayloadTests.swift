import DriftCore
import DriftNotify
import Foundation
import Testing

func object(_ bytes: [UInt8]) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
}

@Suite("Receiver payloads")
struct PayloadTests {
    static func notification(_ statuses: [Notice.Status], model: String = "shop", feature: String = "age") -> GroupNotification {
        var n = Notices()
        let alerts = statuses.map { n.make(fp(model, feature, "psi"), $0, .critical, at: 1_700_000_000_000, extra: ["team": "growth"]) }
        return GroupNotification(route: ResolvedRoute(id: "0", receiver: "r"), groupKey: "0|r|{model=\"\(model)\"}",
                                 groupLabels: ["model": model], alerts: alerts, deliveryIDs: alerts.compactMap(\.deliveryID),
                                 isRepeat: false, at: 1_700_000_000_000)
    }

    @Test("HMAC-SHA256 signatures equal Python's hmac for the same key and body")
    func hmacVector() {
        // python3: hmac.new(b'topsecret', b'{"status":"firing"}', hashlib.sha256).hexdigest()
        #expect(Signing.signature(of: Array(#"{"status":"firing"}"#.utf8), secret: "topsecret")
                == "sha256=c0ed7b75ec2effcc728cd97441e27464212977a23fe119df7243d52467431892")
        // python3: hmac.new(b'key', b'The quick brown fox jumps over the lazy dog', hashlib.sha256).hexdigest()
        #expect(Signing.signature(of: Array("The quick brown fox jumps over the lazy dog".utf8), secret: "key")
                == "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8")
    }

    @Test("a webhook carries status, group labels, alerts with labels and figures, an Idempotency-Key, and a signature over the exact body")
    func webhook() throws {
        let n = Self.notification([.firing])
        let request = WebhookBody.request(n, url: "http://127.0.0.1:9/hook", secret: "s3cret", externalURL: "http://driftd:8080/")
        #expect(Signing.isValid(try #require(request.headers["X-Driftd-Signature"]), body: request.body, secret: "s3cret"))
        #expect(!Signing.isValid(request.headers["X-Driftd-Signature"]!, body: request.body + [32], secret: "s3cret"))
        #expect(request.headers["Idempotency-Key"] == n.idempotencyKey && n.idempotencyKey.count == 32)
        let body = try object(request.body)
        #expect(body["status"] as? String == "firing")
        #expect(body["group_labels"] as? [String: String] == ["model": "shop"])
        let alert = try #require((body["alerts"] as? [[String: Any]])?.first)
        #expect(alert["labels"] as? [String: String] == ["model": "shop", "feature": "age", "rule": "psi", "severity": "critical", "team": "growth"])
        #expect(alert["value"] as? Double == 0.3 && alert["window_index"] as? Int == 4)
        #expect(alert["dedup_key"] as? String == "driftd/shop/age/psi")
        #expect(alert["link"] as? String == "http://driftd:8080/api/v1/alerts/\(n.alerts[0].alertID)")
        #expect(WebhookBody.request(n, url: "u", secret: nil, externalURL: nil).headers["X-Driftd-Signature"] == nil)
    }

    @Test("PagerDuty trigger events have the documented Events API v2 shape")
    func pagerDutyTrigger() throws {
        let requests = PagerDutyEvent.requests(Self.notification([.firing]), routingKey: "R0UT1NG", url: Receiver.pagerDutyURL, externalURL: "http://d")
        let event = try object(try #require(requests.first).body)
        #expect(Set(event.keys) == ["routing_key", "event_action", "dedup_key", "payload", "client", "client_url", "links"])
        #expect(event["routing_key"] as? String == "R0UT1NG" && event["event_action"] as? String == "trigger")
        #expect(event["dedup_key"] as? String == "driftd/shop/age/psi")
        let payload = try #require(event["payload"] as? [String: Any])
        #expect(Set(payload.keys) == ["summary", "source", "severity", "timestamp", "component", "group", "class", "custom_details"])
        #expect(payload["severity"] as? String == "critical")
        #expect(payload["timestamp"] as? String == "2023-11-14T22:13:20.000Z")
        #expect((payload["custom_details"] as? [String: String])?["team"] == "growth")
        let links = try #require(event["links"] as? [[String: String]])
        #expect(links.first?["href"] != nil && links.first?["text"] != nil)
    }

    @Test("acknowledge and resolve events carry routing_key, event_action and the same dedup_key only")
    func pagerDutyFollowUps() throws {
        for (status, action) in [(Notice.Status.acknowledged, "acknowledge"), (.resolved, "resolve")] {
            let event = try object(PagerDutyEvent.requests(Self.notification([status]), routingKey: "k", url: "u", externalURL: nil)[0].body)
            #expect(event as NSDictionary == ["routing_key": "k", "event_action": action, "dedup_key": "driftd/shop/age/psi"] as NSDictionary)
        }
    }

    @Test("PagerDuty severity is mapped and the summary never exceeds 1024 characters")
    func pagerDutyLimits() {
        #expect(PagerDutyEvent.severity(.critical) == "critical" && PagerDutyEvent.severity(.warning) == "warning")
        let long = Self.notification([.firing], feature: String(repeating: "f", count: 3000))
        let summary = PagerDutyEvent.summary(long.alerts[0])
        #expect(summary.count == 1024 && summary.hasSuffix("…"))
        let key = long.alerts[0].dedupKey
        #expect(key.utf8.count <= 255 && key.hasPrefix("driftd/sha256:"))
    }

    @Test("Slack gets text and blocks with the essentials and a link; notifications for one channel become one message")
    func slack() throws {
        let a = Self.notification([.firing]), b = Self.notification([.resolved], model: "fraud", feature: "amt")
        let request = SlackMessage.request([a, b], url: "https://hooks.slack.invalid/T/B/X", channel: "#ml", externalURL: "http://d")
        let message = try object(request.body)
        #expect(message["text"] as? String == "driftd: 1 firing, 1 resolved — fraud, shop")
        #expect(message["channel"] as? String == "#ml")
        let blocks = try #require(message["blocks"] as? [[String: Any]])
        #expect(blocks.map { $0["type"] as? String } == ["section", "context"])
        let section = try #require(blocks[0]["text"] as? [String: String])
        #expect(section["type"] == "mrkdwn")
        #expect(section["text"]!.contains("FIRING *shop* / `age` psi = 0.3 (window 4)"))
        #expect(section["text"]!.contains("<http://d/api/v1/alerts/"))
        #expect(section["text"]!.split(separator: "\n").count == 2)
    }

    @Test("secrets are redacted from descriptions and error texts")
    func redaction() {
        let r = Receiver(name: "pd", kind: .pagerDuty(routingKey: "abcdef123456", url: Receiver.pagerDutyURL))
        #expect(!r.description.contains("abcdef"))
        #expect(Redaction.url("https://user:pw@hooks.example.com/services/T0/B0/SECRET?x=1") == "https://hooks.example.com/…")
        #expect(Redaction.scrub("POST failed for key abcdef123456", secrets: ["abcdef123456"]) == "POST failed for key <redacted>")
    }
}

@Suite("Retry policy")
struct RetryTests {
    @Test("backoff is full jitter below an exponential ceiling, reproducible from a seed")
    func jitter() {
        let policy = RetryPolicy(baseDelay: 100, maxDelay: 1_000, maxAttempts: 8)
        #expect((1...6).map(policy.ceilingDelay) == [100, 200, 400, 800, 1000, 1000])
        var r1 = SeededRandom(seed: 7), r2 = SeededRandom(seed: 7)
        var delays: [Int64] = []
        for attempt in 1...7 {
            guard case .retry(let d) = policy.decision(attempt: attempt, outcome: .retry(after: nil, reason: "HTTP 500"), using: &r1) else {
                Issue.record("expected a retry"); return
            }
            #expect(d >= 0 && d <= policy.ceilingDelay(attempt: attempt))
            delays.append(d)
        }
        let again = (1...7).map { a -> Int64 in
            if case .retry(let d) = policy.decision(attempt: a, outcome: .retry(after: nil, reason: ""), using: &r2) { return d }
            return -1
        }
        #expect(delays == again)
        #expect(Set(delays).count > 1, "jitter varies")
    }

    @Test("Retry-After, in seconds or as an HTTP date, is honoured; the cap turns a retry into failed; 4xx fail at once")
    func retryAfterAndCap() {
        let policy = RetryPolicy(baseDelay: 10, maxDelay: 100, maxAttempts: 3)
        var r = SeededRandom(seed: 1)
        #expect(policy.decision(attempt: 1, outcome: .retry(after: 5_000, reason: "HTTP 429"), using: &r) == .retry(in: 5_000))
        // 1994-11-06 08:49:37 GMT is 784111777 s.
        #expect(RetryAfter.milliseconds("Sun, 06 Nov 1994 08:49:37 GMT", now: 784_111_770_000) == 7_000)
        #expect(RetryAfter.milliseconds("120", now: 0) == 120_000)
        #expect(RetryAfter.milliseconds("soon", now: 0) == nil)
        #expect(DeliveryOutcome.http(status: 429, retryAfter: "2", now: 0) == .retry(after: 2_000, reason: "HTTP 429"))
        #expect(DeliveryOutcome.http(status: 503, retryAfter: nil, now: 0) == .retry(after: nil, reason: "HTTP 503"))
        #expect(DeliveryOutcome.http(status: 404, retryAfter: nil, now: 0) == .permanent(reason: "HTTP 404"))
        #expect(DeliveryOutcome.http(status: 202, retryAfter: nil, now: 0) == .delivered)
        #expect(policy.decision(attempt: 3, outcome: .retry(after: nil, reason: "HTTP 500"), using: &r)
                == .failed(reason: "HTTP 500; gave up after 3 attempts"))
        #expect(policy.decision(attempt: 1, outcome: .permanent(reason: "HTTP 401"), using: &r) == .failed(reason: "HTTP 401"))
    }

    @Test("a token bucket allows its burst, then one send per 1/rate")
    func tokenBucket() {
        var b = TokenBucket(ratePerSecond: 1, burst: 2)
        #expect(b.take(now: 0) == nil && b.take(now: 0) == nil)
        #expect(b.take(now: 0) == 1_000)
        #expect(b.take(now: 500) == 500)
        #expect(b.take(now: 1_000) == nil)
        #expect(b.take(now: 1_000) == 1_000)
    }
}
