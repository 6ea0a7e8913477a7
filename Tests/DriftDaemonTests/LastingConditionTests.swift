@testable import DriftDaemon
import Foundation
import Testing

/// A lasting condition is said when it starts or changes, then once per interval, and its
/// end is worth saying only when it had been said.
@Suite("Lasting condition")
struct LastingConditionTests {
    @Test("said at once, then once a minute while it lasts, again at once when it changes")
    func oncePerInterval() {
        var c = LastingCondition(interval: 60)
        let t0 = Date(timeIntervalSince1970: 1_000)
        var said: [Bool] = []
        said.append(c.shouldSay("disk full", now: t0))
        said.append(c.shouldSay("disk full", now: t0.addingTimeInterval(59)))
        said.append(c.shouldSay("disk full", now: t0.addingTimeInterval(60)))
        said.append(c.shouldSay("read-only", now: t0.addingTimeInterval(61)))
        #expect(said == [true, false, true, true], "at once, not within the minute, after it, at once when it changes")
        let ended = [c.end(), c.end()]
        #expect(ended == [true, false], "an end is said once")
        let again = c.shouldSay("read-only", now: t0.addingTimeInterval(62))
        #expect(again, "after its end it starts afresh")
    }
}
