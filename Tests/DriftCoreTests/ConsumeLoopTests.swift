import DriftCore
import Testing

/// The Kafka consume loop's decisions, driven without a broker: each test is a sequence of
/// events librdkafka, the pipeline and the store writer would produce, and the actions the
/// adapter must perform.
@Suite("Consume loop")
struct ConsumeLoopTests {
    static let p0 = TopicPartition(topic: "inference", partition: 0)
    static let p1 = TopicPartition(topic: "inference", partition: 1)
    static let p2 = TopicPartition(topic: "inference", partition: 2)

    static func loop(capacity: Int = 2, keys: [String: Int32] = [:]) -> ConsumeLoop {
        ConsumeLoop(settings: .init(commitEveryRecords: 1_000, commitIntervalMilliseconds: 1_000, writerCapacity: capacity),
                    table: PartitionTable(partitionKeys: keys), now: 0)
    }

    static func commits(_ actions: [ConsumeLoop.Action]) -> [ConsumeLoop.Action] {
        actions.filter { if case .commit = $0 { true } else { false } }
    }

    @Test("a handover further along than the store wins, an older one is ignored, and a partition neither knows starts at the group's offset")
    func handoversAgainstTheStore() {
        var loop = Self.loop(keys: ["inference/0": 0, "inference/1": 1])
        let actions = loop.handle(.assigned([Self.p0, Self.p1, Self.p2],
                                            positions: [Self.p0: 100, Self.p1: 500],
                                            handovers: [Self.p0: .init(next: 150), Self.p1: .init(next: 80)]))
        #expect(actions == [
            .flush,
            .adoptHandover(Self.p0, number: 0),
            .register(Self.p2, number: 2),
            .noteRestart,
            .start(at: [Self.p0: 150, Self.p1: 500]),
        ])
        #expect(loop.table.held == [Self.p0, Self.p1, Self.p2])
        #expect(loop.table.handedOver == [Self.p0: 150], "the adopted handover is not published again unchanged")
        #expect(!loop.table.needsHandover(Self.p0, position: 150, windowsClosed: false))
        #expect(loop.table.needsHandover(Self.p0, position: 151, windowsClosed: false))
        #expect(loop.table.needsHandover(Self.p0, position: 150, windowsClosed: true))
    }

    @Test("a handover for a partition this store never saw is adopted; one equal to the store's position is not")
    func handoverWithoutStoreState() {
        var loop = Self.loop()
        let actions = loop.handle(.assigned([Self.p0, Self.p1], positions: [Self.p1: 40], handovers: [Self.p0: .init(next: 0), Self.p1: .init(next: 40)]))
        #expect(actions.contains(.adoptHandover(Self.p0, number: 0)))
        #expect(!actions.contains(.adoptHandover(Self.p1, number: 1)))
        #expect(actions.last == .start(at: [Self.p0: 0, Self.p1: 40]))
    }

    @Test("a rebalance during a pending commit: the revocation checkpoints and waits, the offsets made durable meanwhile go to Kafka at once, none after")
    func rebalanceDuringPendingCommit() {
        var loop = Self.loop()
        _ = loop.handle(.assigned([Self.p0, Self.p1], positions: [:], handovers: [:]))
        _ = loop.handle(.polled(records: 10))
        // Window output: a commit is submitted and still pending when the group rebalances.
        #expect(Self.commits(loop.handle(.commitPoint(now: 10, windowOutput: true, writerPending: 0)))
                == [.commit(partitions: [Self.p0, Self.p1], waitForStore: false)])
        let revoking = loop.handle(.revoking([Self.p0, Self.p1], now: 20))
        #expect(revoking == [.commit(partitions: [Self.p0, Self.p1], waitForStore: true)])
        // The writer drains both commits while the partitions are still held.
        let durable = loop.handle(.durable([[Self.p0: 5, Self.p1: 7], [Self.p0: 10]], synchronously: true))
        #expect(durable == [.commitOffsets([Self.p0: 5, Self.p1: 7], synchronously: true), .commitOffsets([Self.p0: 10], synchronously: true)])
        #expect(loop.handle(.revoked([Self.p0, Self.p1])) == [.forgetPositions([0, 1])])
        #expect(loop.handle(.durable([[Self.p0: 12]], synchronously: false)) == [], "a revoked partition's offsets belong to its new owner")
        #expect(loop.handle(.polled(records: 0)) == [], "no idle closing while holding nothing")
    }

    @Test("a revocation while paused resumes the partitions it takes; the next assignment starts unpaused")
    func revocationWhilePaused() {
        var loop = Self.loop(capacity: 1)
        _ = loop.handle(.assigned([Self.p0], positions: [:], handovers: [:]))
        _ = loop.handle(.polled(records: 5))
        #expect(loop.handle(.commitPoint(now: 1, windowOutput: true, writerPending: 1)) == [.pause([Self.p0]), .reportWriterBehind])
        #expect(loop.table.isPaused)
        #expect(loop.handle(.revoking([Self.p0], now: 2)) == [.commit(partitions: [Self.p0], waitForStore: true), .resume([Self.p0])])
        _ = loop.handle(.revoked([Self.p0]))
        #expect(!loop.table.isPaused)
        _ = loop.handle(.assigned([Self.p1], positions: [:], handovers: [:]))
        #expect(loop.handle(.commitPoint(now: 3, windowOutput: false, writerPending: 0)) == [], "nothing to resume, nothing due")
    }

    @Test("a full writer pauses consumption once, said once, and resumes when the writer has room; nothing polled is dropped")
    func backPressure() {
        var loop = Self.loop(capacity: 2)
        _ = loop.handle(.assigned([Self.p0, Self.p1], positions: [:], handovers: [:]))
        _ = loop.handle(.polled(records: 1_000))
        #expect(loop.handle(.commitPoint(now: 5, windowOutput: false, writerPending: 2)) == [.pause([Self.p0, Self.p1]), .reportWriterBehind])
        #expect(loop.handle(.commitPoint(now: 6, windowOutput: false, writerPending: 2)) == [], "already paused: no second pause")
        #expect(loop.sinceCommit == 1_000, "the records stay in the pipeline for the next commit point")
        // The writer caught up by one: the commit goes, and with it the queue is full again — still paused.
        #expect(loop.handle(.commitPoint(now: 7, windowOutput: false, writerPending: 1)) == [.commit(partitions: [Self.p0, Self.p1], waitForStore: false)])
        #expect(loop.table.isPaused)
        #expect(loop.handle(.commitPoint(now: 8, windowOutput: false, writerPending: 1)) == [.resume([Self.p0, Self.p1])])
        _ = loop.handle(.polled(records: 1_000))
        #expect(loop.handle(.commitPoint(now: 9, windowOutput: true, writerPending: 2)) == [.pause([Self.p0, Self.p1])], "the second pause is counted, not said")
        #expect(loop.pauses == 2)
    }

    @Test("commit points: at once on window output, else after the record count or the interval, never for an idle interval")
    func commitPoints() {
        var loop = Self.loop()
        _ = loop.handle(.assigned([Self.p0], positions: [:], handovers: [:]))
        #expect(loop.handle(.commitPoint(now: 5_000, windowOutput: false, writerPending: 0)) == [], "no records: nothing to commit")
        _ = loop.handle(.polled(records: 10))
        #expect(Self.commits(loop.handle(.commitPoint(now: 5_000, windowOutput: false, writerPending: 0))).count == 1, "records and the interval passed")
        _ = loop.handle(.polled(records: 10))
        #expect(loop.handle(.commitPoint(now: 5_100, windowOutput: false, writerPending: 0)) == [], "within the interval")
        _ = loop.handle(.polled(records: 990))
        #expect(Self.commits(loop.handle(.commitPoint(now: 5_200, windowOutput: false, writerPending: 0))).count == 1, "the record count reached")
        #expect(Self.commits(loop.handle(.commitPoint(now: 5_201, windowOutput: true, writerPending: 0))).count == 1, "window output at once")
    }

    @Test("a poll flushes what it decoded and closes idle windows only while partitions are held")
    func pollsAndIdleClosing() {
        var loop = Self.loop()
        #expect(loop.handle(.polled(records: 3)) == [.flush], "joining: silence is the group's, not the models'")
        _ = loop.handle(.assigned([Self.p0], positions: [:], handovers: [:]))
        #expect(loop.handle(.polled(records: 0)) == [.closeIdleWindows])
        #expect(loop.handle(.polled(records: 4)) == [.flush, .closeIdleWindows])
    }

    @Test("a stop mid-commit commits and waits for the store, then leaves; the offsets follow synchronously; a second stop does nothing")
    func shutdownMidCommit() {
        var loop = Self.loop()
        _ = loop.handle(.assigned([Self.p0], positions: [:], handovers: [:]))
        _ = loop.handle(.polled(records: 10))
        _ = loop.handle(.commitPoint(now: 1, windowOutput: true, writerPending: 1))
        #expect(loop.handle(.shutdownRequested(now: 2)) == [.commit(partitions: [Self.p0], waitForStore: true), .leave])
        #expect(loop.handle(.durable([[Self.p0: 3], [Self.p0: 11]], synchronously: true))
                == [.commitOffsets([Self.p0: 3], synchronously: true), .commitOffsets([Self.p0: 11], synchronously: true)])
        #expect(loop.handle(.shutdownRequested(now: 3)) == [])
    }

    @Test("partition numbers come from the checkpoint's keys and stay stable; new partitions get the next number")
    func partitionNumbers() {
        var table = PartitionTable(partitionKeys: ["inference/3": 0, "other.topic/0": 1, "not a key": 7])
        #expect(table.number(TopicPartition(topic: "inference", partition: 3)) == (0, false))
        #expect(table.number(TopicPartition(topic: "other.topic", partition: 0)) == (1, false))
        #expect(table.number(Self.p0) == (2, true))
        #expect(table.number(Self.p0) == (2, false))
    }
}
