import Foundation

/// A condition that lasts (a store refusing writes, a failing notifier tick), said to the
/// operator when it starts or changes, then at most once per `interval` while it lasts — a
/// log line every turn would bury everything else.
public struct LastingCondition: Sendable {
    public var interval: Double = 60
    private var said: (text: String, at: Date)?

    public init(interval: Double = 60) { self.interval = interval }

    /// Whether `text` should be said now; remembers it when so.
    public mutating func shouldSay(_ text: String, now: Date = Date()) -> Bool {
        if let said, said.text == text, now.timeIntervalSince(said.at) < interval { return false }
        said = (text, now)
        return true
    }

    /// The condition ended; returns whether it had been said (so its end is worth saying).
    @discardableResult
    public mutating func end() -> Bool {
        defer { said = nil }
        return said != nil
    }
}
