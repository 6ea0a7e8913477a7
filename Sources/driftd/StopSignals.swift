import Foundation
import Synchronization
import UnixSignals

/// SIGTERM/SIGINT for the long-running commands. The service group shuts down gracefully on
/// the first one (drain, checkpoint, commit, leave); this listener counts them beside it, so a
/// second one exits at once — an operator who presses Ctrl-C twice means it.
enum StopSignals {
    private static let received = Atomic<Int>(0)

    /// Starts listening; returns once the handlers are in place (no early signal is missed).
    static func install() async {
        // A parent may have started us with these signals blocked (the mask is inherited);
        // unblock them, or SIGTERM would stay pending forever.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        Task.detached {
            for await _ in signals {
                if received.add(1, ordering: .relaxed).newValue >= 2 { _exit(130) }
            }
        }
    }

    /// Whether a stop was asked for (for the waits before the service group runs).
    static var isRequested: Bool { received.load(ordering: .relaxed) > 0 }

    /// Sleeps `seconds`, or less when a stop is asked for; true when it was.
    static func sleep(seconds: Double) async -> Bool {
        let until = Date().addingTimeInterval(seconds)
        while Date() < until {
            if isRequested { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return isRequested
    }
}
