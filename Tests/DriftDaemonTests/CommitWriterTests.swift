import DriftCore
@testable import DriftDaemon
import DriftKafka
import DriftStore
import Foundation
import Synchronization
import Testing

/// The daemon's store writer under storage faults: a fault that passes is waited out with
/// the job kept at the head of the queue (order kept, nothing dropped, nothing run twice),
/// anything else stops the writer, and a stop gives up a wait only after its patience.
@Suite("Commit writer under storage faults", .serialized)
struct CommitWriterTests {
    static let quick = CommitWriter.Backoff(first: 0.005, longest: 0.02)

    /// A store that refuses the first `failures` writes with `error`, then records each job's number.
    final class FlakyStore: Sendable {
        let failuresLeft: Mutex<Int>
        let written = Mutex<[Int]>([])
        let error: StoreError
        init(failures: Int, error: StoreError) { failuresLeft = Mutex(failures); self.error = error }

        func job(_ n: Int) -> CommitWriter.Job {
            let offsets = [TopicPartition(topic: "t", partition: 0): Int64(n)]
            return CommitWriter.Job(output: PipelineOutput(), counters: PipelineCounters(), offsets: offsets, store: {
                let fail = self.failuresLeft.withLock { left in
                    defer { left = max(0, left - 1) }
                    return left > 0
                }
                if fail { throw self.error }
                self.written.withLock { $0.append(n) }
            })
        }
    }

    static let full = StoreError("the disk holding the store s.sqlite is full", kind: .diskFull)

    @Test("a full disk is waited out: the jobs are written once each, in order, after it passes; each failed attempt is counted")
    func waitsOutAFullDisk() {
        let store = FlakyStore(failures: 5, error: Self.full)
        let attempts = Mutex<[StoreError.Kind]>([])
        let writer = CommitWriter(capacity: 2, backoff: Self.quick, onFailedAttempt: { e in attempts.withLock { $0.append(e.kind) } })
        for n in 1...3 { writer.submit(store.job(n)) }
        #expect(writer.drain())
        #expect(store.written.withLock { $0 } == [1, 2, 3])
        #expect(attempts.withLock { $0 } == Array(repeating: .diskFull, count: 5))
        #expect(writer.failure == nil)
        #expect(writer.fault == nil, "the fault ended")
        let recoveries = writer.takeRecoveries()
        #expect(recoveries.count == 1)
        #expect(recoveries.first?.attempts == 5)
        #expect(writer.takeFinished().map { $0.offsets.values.first } == [1, 2, 3], "offsets released only after the store had each job")
        writer.stop()
    }

    @Test("while the fault lasts the writer says so, and its queue stays full so the daemon pauses")
    func faultIsVisible() {
        let store = FlakyStore(failures: .max, error: Self.full)
        let writer = CommitWriter(capacity: 2, backoff: Self.quick)
        writer.submit(store.job(1))
        writer.submit(store.job(2))
        let deadline = Date().addingTimeInterval(10)
        while writer.fault == nil && Date() < deadline { usleep(1000) }
        #expect(writer.fault?.error.kind == .diskFull)
        #expect(writer.isFull)
        #expect(writer.failure == nil, "a fault that passes is not a failure")
        #expect(writer.takeFinished().isEmpty)
        // A stop waits its patience out, then gives the job up: its fault becomes the failure.
        #expect(!writer.drain(faultPatience: 0.05))
        #expect((writer.failure as? StoreError)?.kind == .diskFull)
        #expect(store.written.withLock { $0 }.isEmpty, "nothing was written, nothing claimed written")
        writer.stop()
    }

    @Test("an error that does not pass (a damaged store) stops the writer at once, without retries")
    func corruptStops() {
        let store = FlakyStore(failures: 1, error: StoreError("the store s.sqlite is damaged", kind: .corrupt))
        let attempts = Mutex(0)
        let writer = CommitWriter(capacity: 2, backoff: Self.quick, onFailedAttempt: { _ in attempts.withLock { $0 += 1 } })
        writer.submit(store.job(1))
        writer.submit(store.job(2))
        #expect(!writer.drain())
        #expect((writer.failure as? StoreError)?.kind == .corrupt)
        #expect(attempts.withLock { $0 } == 0)
        #expect(store.written.withLock { $0 }.isEmpty, "nothing after the failure is committed")
        writer.stop()
    }
}
