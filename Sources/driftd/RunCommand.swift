import ArgumentParser
import DriftCore
import DriftDaemon
import DriftHTTP
import DriftKafka
import DriftStore
import Foundation

/// SIGTERM/SIGINT: the first asks the daemon to drain, checkpoint and leave; a second exits
/// at once.
enum StopSignal {
    nonisolated(unsafe) static var requested: Int32 = 0

    static func install() {
        let handler: @convention(c) (Int32) -> Void = { _ in
            if StopSignal.requested != 0 { _exit(130) }
            StopSignal.requested = 1
        }
        signal(SIGTERM, handler)
        signal(SIGINT, handler)
        // A parent may have started us with these signals blocked (the mask is inherited);
        // unblock them, or SIGTERM would stay pending forever.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    static var isRequested: Bool { requested != 0 }
}

struct RunCommand: ParsableCommand {
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
    /// Tests: a slow disk (each store commit takes this many ms longer).
    @Option(help: .hidden) var slowStoreMs: Int = 0

    func validate() throws {
        if let decodingThreads, decodingThreads < 1 { throw ValidationError("--decoding-threads must be at least 1") }
    }

    func run() throws {
        StopSignal.install()
        guard let (c, store) = try openStoreWaitingOutFaults() else { return }
        // The daemon sends: every receiver's secret must be there (a bad config fails at start).
        if let missing = c.notify.missingSecrets.first { throw InputFailure(message: missing) }
        var daemonOptions = KafkaDaemon.Options()
        daemonOptions.bootstrapServers = bootstrap
        if let decodingThreads {
            daemonOptions.decodingThreads = decodingThreads
        }
        daemonOptions.commitDelayMillisecondsForTesting = slowStoreMs
        let interactive = isatty(2) != 0
        daemonOptions.log = { message in writeStandardError((interactive ? "\n" : "") + "driftd: " + message + "\n") }
        // Paging runs beside the consume loop, from the outbox the loop's commits fill.
        var notifierOptions = NotifierOptions()
        notifierOptions.log = { message in writeStandardError((interactive ? "\n" : "") + "driftd notifier: " + message + "\n") }
        // The API, dashboard and /metrics, when the configuration has an `http:` section.
        let metrics = DriftMetrics()
        daemonOptions.metrics = metrics
        notifierOptions.metrics = metrics
        let readiness = ReadinessFlag("joining the consumer group")
        let server = try c.http.map { http in
            try APIServer.start(store: store, settings: c.apiSettings(readiness: { readiness.reason }), metrics: metrics, address: http.listen)
        }
        if let server { writeStandardError("driftd: API \(server.url)/api/v1/  dashboard \(server.url)/  metrics \(server.url)/metrics\n") }
        defer { server?.stop() }
        let notifier = c.notify.isEmpty ? nil : Notifier.start(configuration: c.notify, store: store, options: notifierOptions)
        defer { notifier?.stop() }
        // Retention runs beside them too, on its own thread, in small transactions.
        var prunerOptions = PrunerOptions()
        prunerOptions.log = { message in writeStandardError((interactive ? "\n" : "") + "driftd: " + message + "\n") }
        prunerOptions.metrics = metrics
        let pruner = StorePruner.start(store: store, policy: c.retention, options: prunerOptions)
        defer { pruner?.stop() }
        // How long the daemon has held no partition while Kafka reports an error (for /readyz).
        var kafkaTroubleSince: Date?
        let final = try KafkaDaemon.run(configuration: c, store: store, options: daemonOptions, shouldStop: { records in StopSignal.isRequested || exitAfterRecords.map { records >= $0 } == true },
                                        onStatus: { s in
            kafkaTroubleSince = s.partitions == 0 && s.lastError != nil ? kafkaTroubleSince ?? Date() : nil
            let trouble = s.lastError.flatMap { error in kafkaTroubleSince.map { since in
                "no partitions assigned for \(Int(Date().timeIntervalSince(since))) s; kafka: \(error) — check kafka.bootstrap and that the brokers are up"
            } }
            readiness.reason = s.storeFault ?? (s.partitions > 0 ? nil : trouble ?? "joining the consumer group")
            let line = String(format: "%ld records  %ld windows closed  %d alerts firing  %ld rejected  %d partitions%@%@%@",
                              s.records, s.windowsClosed, s.firing, s.rejected, s.partitions,
                              s.pauses > 0 ? "  paused \(s.pauses)× (store behind)" : "", s.lastError.map { "  (kafka: \($0))" } ?? "",
                              s.storeFault.map { "  (\($0))" } ?? "")
            writeStandardError(interactive ? "\r" + line + " " : line + "\n")
        })
        if interactive { writeStandardError("\n") }
        print("stopped after \(final.records) records, \(final.windowsClosed) windows closed, \(final.firing) alerts firing; store \(c.storePath)")
        if let s = final.secondsFromFirstMessage, s > 0 {
            print(String(format: "throughput: %.0f records/s over %.3f s from the first message (%.3f s with the group join)",
                         Double(final.records) / s, s, final.seconds))
        }
    }
}

extension RunCommand {
    /// The store, once it opens. A daemon started on a full disk (or a read-only remount)
    /// waits for the storage as it does mid-stream — said at once, then once a minute —
    /// instead of exiting into a restart loop; nil when stopped while waiting.
    func openStoreWaitingOutFaults() throws -> (DriftConfiguration, AlertStore)? {
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
                let until = Date().addingTimeInterval(backoff.delay(afterAttempt: attempts))
                while Date() < until { if StopSignal.isRequested { return nil }; usleep(50_000) }
            }
        }
    }
}

struct BrokerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Run driftd's embedded Kafka broker (librdkafka's mock cluster) until interrupted.",
        discussion: "Prints the bootstrap address for kcat or any Kafka client. It keeps only about 5 MB per partition log.")

    @Option(help: "Topics to create, as NAME or NAME:PARTITIONS, comma-separated.") var topics: String = "inference:4"
    @Option(help: "Number of brokers in the cluster.") var brokers: Int = 1

    func run() throws {
        let broker = try EmbeddedBroker(brokers: Swift.max(1, brokers))
        for spec in topics.split(separator: ",") {
            let parts = spec.split(separator: ":")
            let partitions = parts.count > 1 ? Int(parts[1]) ?? 1 : 1
            try broker.createTopic(String(parts[0]), partitions: partitions)
        }
        print(broker.bootstrapServers)
        fflush(nil)
        StopSignal.install()
        while !StopSignal.isRequested { usleep(100_000) }
        withExtendedLifetime(broker) {}
    }
}

/// Whether `driftd run` is ready (holds partitions), for `/readyz`; nil when ready.
final class ReadinessFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value: String?
    init(_ initial: String?) { value = initial }
    var reason: String? {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}
