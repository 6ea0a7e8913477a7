import Foundation
import Synchronization

/// A clock that moves only when a test says so: `now()` in milliseconds, and a `sleep` that
/// returns once `advance(by:)` has moved time past its deadline. A component given both waits
/// hours of its own time in an instant, and a test knows it is idle when `sleepers` > 0.
public final class ManualClock: Sendable {
    private struct Sleeper {
        var id: Int
        var deadline: Int64
        var continuation: CheckedContinuation<Void, any Error>
    }
    private struct State {
        var now: Int64
        var sleepers: [Sleeper] = []
        var nextID = 0
        /// Sleeps cancelled before they were registered (the handler can run first).
        var cancelledEarly: Set<Int> = []
    }
    private let state: Mutex<State>

    public init(now: Int64) { state = Mutex(State(now: now)) }

    public func now() -> Int64 { state.withLock { $0.now } }

    /// How many sleeps are waiting for time to move.
    public var sleepers: Int { state.withLock { $0.sleepers.count } }

    /// Suspends until the clock has moved `milliseconds` past now (at once for 0 or less);
    /// throws `CancellationError` when the task is cancelled first.
    public func sleep(milliseconds: Int64) async throws {
        let id = state.withLock { s in s.nextID += 1; return s.nextID }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Start { case sleep, now, cancelled }
                let start: Start = state.withLock { s in
                    if s.cancelledEarly.remove(id) != nil { return .cancelled }
                    guard milliseconds > 0 else { return .now }
                    s.sleepers.append(Sleeper(id: id, deadline: s.now + milliseconds, continuation: continuation))
                    return .sleep
                }
                switch start {
                case .sleep: break
                case .now: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                }
            }
        } onCancel: {
            // A task cancelled before (or while) it starts to sleep runs this first: the sleep
            // then finds its id and ends at once instead of waiting forever.
            let cancelled = state.withLock { s -> Sleeper? in
                guard let i = s.sleepers.firstIndex(where: { $0.id == id }) else { s.cancelledEarly.insert(id); return nil }
                return s.sleepers.remove(at: i)
            }
            cancelled?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward and wakes every sleep whose deadline has come.
    public func advance(by milliseconds: Int64) {
        let due = state.withLock { s -> [Sleeper] in
            s.now += milliseconds
            let now = s.now
            let due = s.sleepers.filter { $0.deadline <= now }
            s.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Moves time on `step` ms at a time — each move once a sleeper waits again, having acted
    /// on the last — until `condition` holds; false after `limit` moves, after `seconds` of
    /// real time, or when nothing sleeps on the clock any more.
    public func advance(by step: Int64, limit: Int = 2_000, within seconds: Double = 120,
                        until condition: () throws -> Bool) async rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        for _ in 0..<limit where Date() < deadline {
            if try condition() { return true }
            guard await waitForSleepers() else { return false }
            advance(by: step)
        }
        return try condition()
    }

    /// Waits (in real time, briefly) until something sleeps on this clock: the component is
    /// idle and the next `advance` is seen by it.
    public func waitForSleepers(atLeast count: Int = 1, within seconds: Double = 30) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while sleepers < count {
            if Date() > deadline { return false }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return true
    }
}
