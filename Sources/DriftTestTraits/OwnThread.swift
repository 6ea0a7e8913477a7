import Foundation
import Testing

/// An executor that runs every job it is given on a new thread of its own.
///
/// Swift's cooperative pool has one thread per core — two on the CI machine. A test that
/// blocks (waiting for a child `driftd` to exit, polling a file with `usleep`, minutes of
/// synchronous statistics) holds one of them for its whole run, and two such tests starve
/// every async test beside them: the notifier's retries, the HTTP servers and their
/// `eventually` polls then stall for minutes and fail on time, not on behaviour. Tests that
/// block run here instead, so the pool stays free for the tests that need it.
public final class ThreadPerJobExecutor: TaskExecutor {
    public init() {}

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        let thread = Thread {
            ThreadPerJobExecutor.nameCurrentThread()
            job.runSynchronously(on: executor)
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Names the calling thread "off-the-pool" in the kernel, where tests (and `top -H`) can
    /// see it. Foundation's `Thread.name` reaches the kernel only when it wins a race with the
    /// thread's start, so the name is written to `/proc/thread-self/comm` directly.
    static func nameCurrentThread() {
        let fd = open("/proc/thread-self/comm", O_WRONLY)
        guard fd >= 0 else { return }
        _ = "off-the-pool".withCString { write(fd, $0, strlen($0)) }
        close(fd)
    }
}

/// Runs a test (or every test of a suite) on threads of its own rather than on the
/// cooperative pool; see `ThreadPerJobExecutor` for why. Task-local state (the current
/// test, its recorded issues) is kept, because the test still runs in its own task.
public struct OffThePoolTrait: TestTrait, SuiteTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func provideScope(for test: Test, testCase: Test.Case?,
                             performing function: @Sendable () async throws -> Void) async throws {
        // A suite-level trait is asked for the suite too; only the test functions need a scope.
        guard !test.isSuite else { return try await function() }
        try await withTaskExecutorPreference(ThreadPerJobExecutor()) { try await function() }
    }
}

extension Trait where Self == OffThePoolTrait {
    /// Blocking or CPU-heavy tests: run them off the cooperative pool.
    public static var offThePool: Self { OffThePoolTrait() }
}
