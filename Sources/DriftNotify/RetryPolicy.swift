import Foundation

/// How one attempt at a delivery went, as a value.
public enum DeliveryOutcome: Sendable, Equatable {
    case delivered
    /// Worth trying again; the receiver may say when (Retry-After), in milliseconds from now.
    case retry(after: Int64?, reason: String)
    /// Trying again would not help (e.g. 400, 401, 404): the delivery fails now.
    case permanent(reason: String)

    /// The outcome of an HTTP response: 2xx delivered; 408, 425, 429 and 5xx again (honouring
    /// Retry-After); any other status fails for good.
    public static func http(status: Int, retryAfter: String?, now: Int64) -> DeliveryOutcome {
        switch status {
        case 200..<300: return .delivered
        case 408, 425, 429, 500...599:
            return .retry(after: retryAfter.flatMap { RetryAfter.milliseconds($0, now: now) }, reason: "HTTP \(status)")
        default: return .permanent(reason: "HTTP \(status)")
        }
    }
}

/// Retry-After is either seconds or an HTTP date (RFC 9110).
public enum RetryAfter {
    public static func milliseconds(_ text: String, now: Int64) -> Int64? {
        let t = text.trimmingWhitespace()
        if let seconds = Int64(t), seconds >= 0, seconds < 1_000_000_000 { return seconds * 1000 }
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = TimeZone(identifier: "GMT")
            f.dateFormat = format
            if let date = f.date(from: t) { return Swift.max(0, Int64(date.timeIntervalSince1970 * 1000) - now) }
        }
        return nil
    }
}

/// Exponential backoff with full jitter (a delay drawn uniformly from zero to
/// `base · 2^(attempt-1)`, capped), never sooner than the receiver's Retry-After; after
/// `maxAttempts` attempts a delivery is failed. A pure function of attempt and outcome.
public struct RetryPolicy: Sendable, Equatable {
    public var baseDelay: Int64
    public var maxDelay: Int64
    public var maxAttempts: Int

    public init(baseDelay: Int64 = 1_000, maxDelay: Int64 = 300_000, maxAttempts: Int = 10) {
        self.baseDelay = baseDelay; self.maxDelay = maxDelay; self.maxAttempts = maxAttempts
    }

    public enum Decision: Sendable, Equatable {
        case delivered
        case retry(in: Int64)
        case failed(reason: String)
    }

    /// What to do after attempt number `attempt` (1 for the first) ended with `outcome`.
    public func decision<R: RandomNumberGenerator>(attempt: Int, outcome: DeliveryOutcome, using random: inout R) -> Decision {
        switch outcome {
        case .delivered: return .delivered
        case .permanent(let reason): return .failed(reason: reason)
        case .retry(let after, let reason):
            if attempt >= maxAttempts { return .failed(reason: "\(reason); gave up after \(attempt) attempts") }
            let ceiling = ceilingDelay(attempt: attempt)
            let jittered = ceiling > 0 ? Int64.random(in: 0...ceiling, using: &random) : 0
            return .retry(in: Swift.max(jittered, after ?? 0))
        }
    }

    /// The largest backoff after attempt `attempt`.
    public func ceilingDelay(attempt: Int) -> Int64 {
        let shift = Swift.min(Swift.max(attempt - 1, 0), 40)
        let (product, overflow) = baseDelay.multipliedReportingOverflow(by: Int64(1) << shift)
        return overflow ? maxDelay : Swift.min(product, maxDelay)
    }
}

/// A token bucket: `rate` tokens a second up to `burst`; each send takes one.
public struct TokenBucket: Sendable, Equatable {
    public var rate: Double
    public var burst: Double
    var tokens: Double
    var updatedAt: Int64?

    public init(ratePerSecond: Double, burst: Int) {
        rate = ratePerSecond; self.burst = Double(Swift.max(burst, 1)); tokens = self.burst
    }

    mutating func refill(now: Int64) {
        if let t = updatedAt, now > t { tokens = Swift.min(burst, tokens + Double(now - t) * rate / 1000) }
        if updatedAt == nil || now > updatedAt! { updatedAt = now }
    }

    /// Takes a token if there is one (nil), or says how many milliseconds until there is.
    public mutating func take(now: Int64) -> Int64? {
        refill(now: now)
        if tokens >= 1 { tokens -= 1; return nil }
        return Int64(((1 - tokens) * 1000 / rate).rounded(.up))
    }
}

/// SplitMix64: a small seeded generator, so jitter is reproducible in tests.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// How one delivery attempt ended, for metrics: delivered, to be tried again, or given up.
public enum DeliveryAttemptEnd: Sendable { case delivered, retry, failed }

/// What the notifier tells a metrics sink: each attempt to a receiver and how it ended
/// (the Prometheus registry implements it).
public protocol DeliveryObserver: Sendable {
    func observe(delivery receiver: String, outcome: DeliveryAttemptEnd)
}
