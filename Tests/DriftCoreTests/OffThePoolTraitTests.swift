import DriftTestTraits
import Foundation
import Testing

/// The trait the blocking suites rely on to leave the cooperative pool free (CI failed when
/// blocked pool threads starved the notifier's retries for minutes).
@Suite("Tests marked off the pool")
struct OffThePoolTraitTests {
    /// The kernel's name of the calling thread (Foundation's `Thread.current.name` is not
    /// reliable on threads it did not start).
    static func threadName() -> String {
        ((try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("a synchronous test marked .offThePool runs on a thread of its own", .offThePool)
    func synchronous() {
        #expect(Self.threadName() == "off-the-pool")
    }

    @Test("an async test marked .offThePool stays off the pool across suspensions", .offThePool)
    func acrossSuspensions() async throws {
        #expect(Self.threadName() == "off-the-pool")
        try await Task.sleep(for: .milliseconds(5))
        #expect(Self.threadName() == "off-the-pool")
    }

    @Test("an unmarked test runs on the pool")
    func unmarked() {
        #expect(Self.threadName() != "off-the-pool")
    }
}
