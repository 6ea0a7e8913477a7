import DriftTesting
import Testing

/// The test clock the notifier's tests run on: it must never leave a sleeper behind, or a
/// component stopped on it would wait forever.
@Suite("Manual clock")
struct ManualClockTests {
    @Test("a sleep returns once time has moved past its deadline, not before")
    func sleepsUntilAdvanced() async throws {
        let clock = ManualClock(now: 1_000)
        let sleeper = Task { try await clock.sleep(milliseconds: 50); return clock.now() }
        #expect(await clock.waitForSleepers())
        clock.advance(by: 49)
        #expect(clock.sleepers == 1, "49 ms is not yet 50")
        clock.advance(by: 1)
        #expect(try await sleeper.value == 1_050)
        #expect(clock.sleepers == 0)
    }

    @Test("a task cancelled before it starts to sleep, or while it sleeps, ends at once with CancellationError")
    func cancellation() async throws {
        let clock = ManualClock(now: 0)
        let early = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await clock.sleep(milliseconds: 1_000)
        }
        await #expect(throws: CancellationError.self) { try await early.value }
        let sleeping = Task { try await clock.sleep(milliseconds: 1_000) }
        #expect(await clock.waitForSleepers())
        sleeping.cancel()
        await #expect(throws: CancellationError.self) { try await sleeping.value }
        #expect(clock.sleepers == 0, "no sleeper is left behind")
    }
}
