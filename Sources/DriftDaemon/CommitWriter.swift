import DriftCore
import DriftKafka
import Foundation

/// The daemon's store writer: runs commit jobs in order on a thread of its own, so the
/// polling thread keeps serving the consumer group (heartbeats, rebalances) and keeps
/// decoding while SQLite writes. Its queue is bounded: when it is full the daemon pauses
/// its partitions until the writer has caught up (back-pressure; nothing is dropped).
final class CommitWriter: @unchecked Sendable {
    /// A commit point: the store transaction and what follows it (the alerts and
    /// checkpoint topics). Returns nothing; its offsets are committed to Kafka after it ran.
    struct Job: Sendable {
        var output: PipelineOutput
        var counters: PipelineCounters
        var offsets: [TopicPartition: Int64]
        var run: @Sendable () throws -> Void
    }

    /// A job that has run: its offsets may now go to Kafka, its output to the operator.
    struct Done: Sendable {
        var output: PipelineOutput
        var counters: PipelineCounters
        var offsets: [TopicPartition: Int64]
    }

    let capacity: Int
    private let condition = NSCondition()
    private var queue: [Job] = []
    private var busy = false
    private var finished: [Done] = []
    private var failed: Error?
    private var stopping = false
    private var thread: Thread?

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        let thread = Thread { [unowned self] in self.loop() }
        thread.name = "driftd store writer"
        self.thread = thread
        thread.start()
    }

    /// Jobs waiting or running.
    var pending: Int { condition.withLock { queue.count + (busy ? 1 : 0) } }
    var isFull: Bool { pending >= capacity }
    /// The first store failure: the daemon stops on it (nothing after it is committed).
    var failure: Error? { condition.withLock { failed } }

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

    /// Waits until every submitted job has run (or one failed).
    func drain() {
        condition.withLock {
            while (!queue.isEmpty || busy) && failed == nil { condition.wait() }
        }
    }

    /// Runs what is queued, then ends the thread.
    func stop() {
        drain()
        condition.withLock {
            stopping = true
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
            var error: Error?
            do { try job.run() } catch let e { error = e }
            condition.withLock {
                busy = false
                if let error { failed = error; queue.removeAll() } else { finished.append(Done(output: job.output, counters: job.counters, offsets: job.offsets)) }
                condition.broadcast()
            }
            if error != nil { return }
        }
    }
}
