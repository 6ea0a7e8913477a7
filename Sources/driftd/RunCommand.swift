import ArgumentParser
import DriftCore
import DriftDaemon
import DriftHTTP
import DriftKafka
import DriftNotify
import DriftStore
import Foundation
import Logging
import Synchronization

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the monitoring daemon: consume inference records from Kafka.",
        discussion: """
        Consumes the `kafka:` topics of the configuration in a consumer group and runs the \
        pipeline; SIGTERM or SIGINT drains the current batch, writes a checkpoint, commits the \
        offsets and leaves the group (a second signal exits at once).
        """)

    @OptionGroup var options: ConfigOption
    @Option(help: "Kafka bootstrap servers, overriding the configuration's.") var bootstrap: String?
    @Option(help: "Threads that decode each poll's records (default: one per processor, at most 8; 1 decodes on the polling thread).")
    var decodingThreads: Int?
    @Option(help: .hidden) var exitAfterRecords: Int64?
    /// Tests: a slow disk (each store commit takes this many ms longer), through the store
    /// port; the daemon itself knows nothing of it.
    @Option(help: .hidden) var slowStoreMs: Int = 0

    func validate() throws {
        if let decodingThreads, decodingThreads < 1 { throw ValidationError("--decoding-threads must be at least 1") }
    }

    func run() async throws {
        await StopSignals.install()
        guard let (c, store) = try await openStoreWaitingOutFaults() else { return }
        // The daemon sends: every receiver's secret must be there (a bad config fails at start).
        if let missing = c.notify.missingSecrets.first { throw InputFailure(message: missing) }
        var daemonOptions = KafkaDaemon.Options()
        daemonOptions.bootstrapServers = bootstrap
        if let decodingThreads {
            daemonOptions.decodingThreads = decodingThreads
        }
        if slowStoreMs > 0 { daemonOptions.commitSink = SlowCommitSink(store: store, delayMilliseconds: slowStoreMs) }
        let status = StatusLine(interactive: isatty(2) != 0)
        let metrics = DriftMetrics()
        bootstrapMetrics(metrics)
        daemonOptions.metrics = metrics
        // Paging runs beside the consume loop, from the outbox the loop's commits fill;
        // retention too, on its own thread, in small transactions.
        var notifierOptions = NotifierOptions()
        notifierOptions.metrics = metrics
        var prunerOptions = PrunerOptions()
        prunerOptions.metrics = metrics
        var hooks = ConsumerService.Hooks()
        let limit = exitAfterRecords
        hooks.stopWhen = { records in limit.map { records >= $0 } == true }
        hooks.onStatus = { s in status.show(s) }
        let consumer = ConsumerService(configuration: c, store: store, options: daemonOptions, hooks: hooks)
        // The API, dashboard and /metrics, when the configuration has an `http:` section.
        let services = DaemonServices.compose(
            configuration: c, store: store, command: "driftd run",
            http: c.http.map { ($0.listen, c.apiSettings(readiness: { status.readiness }), metrics) },
            onListening: { address in
                Logger(label: "driftd").notice("API http://\(address)/api/v1/  dashboard http://\(address)/  metrics http://\(address)/metrics")
            },
            notifier: notifierOptions, pruner: prunerOptions, consumer: consumer)
        try await services.run()
        status.end()
        guard let final = consumer.finalStatus else { return }
        print("stopped after \(final.records) records, \(final.windowsClosed) windows closed, \(final.firing) alerts firing; store \(c.storePath)")
        if let s = final.secondsFromFirstMessage, s > 0 {
            print(String(format: "throughput: %.0f records/s over %.3f s from the first message (%.3f s with the group join)",
                         Double(final.records) / s, s, final.seconds))
        }
    }
}

/// `driftd run`'s status: one line rewritten in place on a terminal; otherwise (a log
/// collector) a line when partitions, Kafka's error, a store fault or the pauses change, and
/// else at most once a minute. Also what `/readyz` says while not ready.
final class StatusLine: Sendable {
    private struct State {
        var readiness: String? = "joining the consumer group"
        /// Since when the daemon has held no partition while Kafka reports an error.
        var kafkaTroubleSince: Date?
        var lastLogged: Date?
        var lastNotable: Notable?
    }

    private struct Notable: Equatable {
        var partitions: Int
        var kafkaError: String?
        var storeFault: String?
        var pauses: Int
    }

    let interactive: Bool
    private let state = Mutex(State())

    init(interactive: Bool) { self.interactive = interactive }

    var readiness: String? { state.withLock { $0.readiness } }

    func show(_ s: KafkaDaemon.Status) {
        let now = Date()
        let line: String? = state.withLock { state in
            state.kafkaTroubleSince = s.partitions == 0 && s.lastError != nil ? state.kafkaTroubleSince ?? now : nil
            let trouble = s.lastError.flatMap { error in state.kafkaTroubleSince.map { since in
                "no partitions assigned for \(Int(now.timeIntervalSince(since))) s; kafka: \(error) — check kafka.bootstrap and that the brokers are up"
            } }
            state.readiness = s.storeFault ?? (s.partitions > 0 ? nil : trouble ?? "joining the consumer group")
            // A log collector gets a line when something an operator acts on changed
            // (partitions, Kafka's error, a store fault, a pause), else one a minute.
            let notable = Notable(partitions: s.partitions, kafkaError: s.lastError, storeFault: s.storeFault, pauses: s.pauses)
            if !interactive, let last = state.lastLogged, now.timeIntervalSince(last) < 60, notable == state.lastNotable { return nil }
            state.lastLogged = now
            state.lastNotable = notable
            return String(format: "%ld records  %ld windows closed  %d alerts firing  %ld rejected  %d partitions%@%@%@",
                          s.records, s.windowsClosed, s.firing, s.rejected, s.partitions,
                          s.pauses > 0 ? "  paused \(s.pauses)× (store behind)" : "", s.lastError.map { "  (kafka: \($0))" } ?? "",
                          s.storeFault.map { "  (\($0))" } ?? "")
        }
        if let line {
            if interactive { TerminalStatusLine.shared.draw(line) } else { writeStandardError(line + "\n") }
        }
    }

    func end() { TerminalStatusLine.shared.clear() }
}

extension RunCommand {
    /// The store, once it opens. A daemon started on a full disk (or a read-only remount)
    /// waits for the storage as it does mid-stream — said at once, then once a minute —
    /// instead of exiting into a restart loop; nil when stopped while waiting.
    func openStoreWaitingOutFaults() async throws -> (DriftConfiguration, AlertStore)? {
        let backoff = StoreRetryBackoff()
        var attempts = 0
        var fault = LastingCondition()
        while true {
            do {
                return try options.openStore(writer: "driftd run")
            } catch let e as StoreError where e.isRetriable {
                if fault.shouldSay(e.description) {
                    writeStandardError("driftd: \(e) — waiting for the store before consuming (retrying; SIGTERM stops)\n")
                }
                attempts += 1
                if await StopSignals.sleep(seconds: backoff.delay(afterAttempt: attempts)) { return nil }
            }
        }
    }
}

struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Run driftd's embedded Kafka broker (librdkafka's mock cluster) until interrupted.",
        discussion: "Prints the bootstrap address for kcat or any Kafka client. It keeps only about 5 MB per partition log.")

    @Option(help: "Topics to create, as NAME or NAME:PARTITIONS, comma-separated.") var topics: String = "inference:4"
    @Option(help: "Number of brokers in the cluster.") var brokers: Int = 1

    func run() async throws {
        let broker = try EmbeddedBroker(brokers: Swift.max(1, brokers))
        for spec in topics.split(separator: ",") {
            let parts = spec.split(separator: ":")
            let partitions = parts.count > 1 ? Int(parts[1]) ?? 1 : 1
            try broker.createTopic(String(parts[0]), partitions: partitions)
        }
        print(broker.bootstrapServers)
        fflush(nil)
        await StopSignals.install()
        while !(await StopSignals.sleep(seconds: 3600)) {}
        withExtendedLifetime(broker) {}
    }
}

/// The store behind a slow disk, for the back-pressure test: each commit waits first.
struct SlowCommitSink: CommitSink {
    let store: AlertStore
    let delayMilliseconds: Int
    func commit(_ output: PipelineOutput, checkpoint: PipelineCheckpoint, source: String) throws {
        usleep(UInt32(delayMilliseconds) * 1000)
        try store.commit(output, checkpoint: checkpoint, source: source)
    }
}
