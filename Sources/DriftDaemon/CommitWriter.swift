import DriftCore
import DriftKafka
import DriftStore
import Foundation

/// Waiting between attempts at a store that refuses writes: from `first`, doubling to
/// `longest` (the commit writer mid-stream, `driftd run` opening its store at start).
public struct StoreRetryBackoff: Sendable {
    public var first = 0.25
    public var longest = 30.0
    public init(first: Double = 0.25, longest: Double = 30.0) { self.first = first; self.longest = longest }
    public func delay(afterAttempt n: Int) -> Double { min(longest, first * pow(2, Double(max(0, n - 1)))) }
}

/// The daemon's store writer: runs commit jobs in order on a thread of its own, so the
/// polling thread keeps serving the consumer group (heartbeats, rebalances) and keeps
/// decoding while SQLite writes. Its queue is bounded: when it is full the daemon pauses
/// its partitions until the writer has caught up (back-pressure; nothing is dropped).
///
/// A storage fault that passes (a full disk, a read-only remount, an I/O error) does not
/// end the daemon: the job that met it stays at the head of the queue and is tried again
/// with backoff until the store takes it, while the queue fills and the daemon pauses —
/// its state stays in memory, no offset moves past what the store holds, and the first
/// successful attempt writes exactly what the failed one would have (the transaction is
/// all or nothing). Other store errors stop the daemon, as before.
///
/// `@unchecked`: its state is guarded by one `NSCondition`, because the writer thread and
/// `drain` wait on it with timeouts (which `Mutex` cannot); every access takes it.
final class CommitWriter: @unchecked Sendable {
    /// A commit point: the store transaction, then what follows it once durable (the
    /// alerts and checkpoint topics). Its offsets go to Kafka after both ran.
    struct Job: Sendable {
        var output: PipelineOutput
        var counters: PipelineCounters
        var offsets: [TopicPartition: Int64]
        var store: @Sendable () throws -> Void
        var afterStore: @Sendable () -> Void = {}
    }

    /// A job that has run: its offsets may now go to Kafka, its output to the operator.
    struct Done: Sendable {
        var output: PipelineOutput
        var counters: PipelineCounters
        var offsets: [TopicPartition: Int64]
    }

    /// A storage fault the writer is waiting out.
    struct Fault: Sendable {
        var error: StoreError
        /// When the first attempt of the waiting job failed.
        var since: Date
        var attempts: Int
    }

    typealias Backoff = StoreRetryBackoff

    let capacity: Int
    let backoff: Backoff
    /// Told of every failed attempt (metrics count them by kind).
    let onFailedAttempt: @Sendable (StoreError) -> Void
    private let condition = NSCondition()
    private var queue: [Job] = []
    private var busy = false
    private var finished: [Done] = []
    private var failed: (any Error)?
    private var waiting: Fault?
    private var recovered: [Fault] = []
    private var stopping = false
    private var abandoning = false
    private var thread: Thread?

    init(capacity: Int, backoff: Backoff = Backoff(), onFailedAttempt: @escaping @Sendable (StoreError) -> Void = { _ in }) {
        self.capacity = max(1, capacity)
        self.backoff = backoff
        self.onFailedAttempt = onFailedAttempt
        // The thread holds the writer until its loop ends (after `stop`, or a failure): an
        // owner that lets go of the writer right after `stop` must not free it under the
        // running loop.
        let thread = Thread { [self] in self.loop() }
        thread.name = "driftd store writer"
        self.thread = thread
        thread.start()
    }

    /// Jobs waiting or running.
    var pending: Int { condition.withLock { queue.count + (busy ? 1 : 0) } }
    var isFull: Bool { pending >= capacity }
    /// The first store failure that is not waited out: the daemon stops on it.
    var failure: (any Error)? { condition.withLock { failed } }
    /// The storage fault being waited out now, if any.
    var fault: Fault? { condition.withLock { waiting } }

    func submit(_ job: Job) {
        condition.withLock {
            queue.append(job)
            condition.broadcast()
        }
    }

    /// The jobs that ran since the last call, in order.
    func takeFinished() -> [Done] {
        condition.withLock {
            defer { finished = [] }
            return finished
        }
    }

    /// The faults that ended since the last call (for the log: how long the store was away).
    func takeRecoveries() -> [Fault] {
        condition.withLock {
            defer { recovered = [] }
            return recovered
        }
    }

    /// Waits until every submitted job has run (or one failed). With `faultPatience`, a
    /// storage fault is waited out that long at most (from now): then the waiting job is given up and
    /// its fault becomes the failure (a daemon stopping on a full disk leaves without its
    /// last commit; its records are consumed again at the next start). Returns whether
    /// everything ran.
    @discardableResult
    func drain(faultPatience: Double? = nil) -> Bool {
        let deadline = faultPatience.map { Date().addingTimeInterval($0) }
        return condition.withLock {
            while (!queue.isEmpty || busy) && failed == nil {
                if let deadline, waiting != nil, Date() >= deadline {
                    abandoning = true
                    condition.broadcast()
                }
                _ = condition.wait(until: Date().addingTimeInterval(0.2))
            }
            return failed == nil
        }
    }

    /// Runs what is queued, then ends the thread.
    func stop(faultPatience: Double? = nil) {
        drain(faultPatience: faultPatience)
        condition.withLock {
            stopping = true
            abandoning = true
            condition.broadcast()
        }
    }

    private func loop() {
        while true {
            let job: Job? = condition.withLock {
                while queue.isEmpty && !stopping { condition.wait() }
                if queue.isEmpty || failed != nil { return nil }
                busy = true
                return queue.removeFirst()
            }
            guard let job else { return }
            let error = runStorePart(of: job)
            if error == nil { job.afterStore() }
            condition.withLock {
                busy = false
                if let error { failed = error; queue.removeAll() } else { finished.append(Done(output: job.output, counters: job.counters, offsets: job.offsets)) }
                condition.broadcast()
            }
            if error != nil { return }
        }
    }

    /// The job's store transaction, tried again while the store fails in a way that passes.
    private func runStorePart(of job: Job) -> (any Error)? {
        var attempts = 0
        while true {
            do {
                try job.store()
                condition.withLock {
                    if let fault = waiting { recovered.append(fault) }
                    waiting = nil
                }
                return nil
            } catch let e as StoreError where e.isRetriable {
                attempts += 1
                onFailedAttempt(e)
                let giveUp: Bool = condition.withLock {
                    waiting = Fault(error: e, since: waiting?.since ?? Date(), attempts: attempts)
                    let until = Date().addingTimeInterval(backoff.delay(afterAttempt: attempts))
                    while !abandoning && Date() < until { _ = condition.wait(until: until) }
                    return abandoning
                }
                if giveUp { return e }
            } catch {
                return error
            }
        }
    }
}
