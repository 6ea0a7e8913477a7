import DriftCore
import DriftHTTP
import DriftKafka
import DriftStore
import Foundation
import ServiceLifecycle
import Synchronization

/// `driftd demo`: the whole daemon on a laptop without Kafka installed. Starts the embedded
/// broker, fits a baseline from generated reference data, publishes a synthetic stream from
/// a producer thread (drift injected half-way: a mean shift, a variance change, a new
/// category; traffic drops in the last fifth), runs the daemon against it, and leaves a
/// store that `driftd alerts` and `driftd report` read.
public enum Demo {
    public struct Options: Sendable {
        public var durationSeconds = 60.0
        public var recordsPerSecond = 1000.0
        public var directory = "driftd-demo"
        /// Where the API, metrics and dashboard listen while the demo runs (nil: no server).
        public var http: ListenAddress? = .loopbackDefault
        /// Use `directory` even when it holds files the demo did not write (they may be lost).
        public var force = false
        /// Keep serving the API and dashboard (and paging) once the stream has ended, until a signal.
        public var serveAfter = false
        /// The registry the daemon counts in and `/metrics` renders.
        public var metrics = DriftMetrics()
        public init() {}
    }

    public struct Summary: Sendable {
        public var published: Int
        public var consumed: Int64
        public var windowsClosed: Int64
        public var alertsFired: Int
        public var configuration: String
        public var store: String
        /// Wall-clock delay from a window's end to its report being committed (ms), median and max.
        public var commitDelayMedianMilliseconds: Double?
        public var commitDelayMaxMilliseconds: Double?
        /// Where the dashboard was served (nil: no server).
        public var dashboard: String?
        /// Notifications the demo's exec receiver wrote, and where.
        public var pages: Int = 0
        public var pagesFile: String = ""
    }

    /// Runs the demo: `finished` is told the summary once the stream has been consumed and
    /// paged; with `serveAfter` the API and dashboard go on until SIGINT/SIGTERM.
    public static func run(options: Options, say: @escaping @Sendable (String) -> Void,
                           status: (@Sendable (KafkaDaemon.Status) -> Void)? = nil,
                           finished: @escaping @Sendable (Summary) -> Void) async throws {
        let fm = FileManager.default
        let (dir, lock) = try DemoFolder.prepare(options)
        let broker = try EmbeddedBroker()
        let topic = "inference"
        try broker.createTopic(topic, partitions: 4)
        say("embedded Kafka broker at \(broker.bootstrapServers), topic \(topic) (4 partitions)")
        let configPath = dir.appendingPathComponent("driftd.yaml").path
        let pagesPath = dir.appendingPathComponent("pages.jsonl").path
        try? fm.removeItem(atPath: pagesPath)
        try configurationText(broker: broker.bootstrapServers, topic: topic, http: options.http, pagesPath: pagesPath)
            .write(toFile: configPath, atomically: true, encoding: .utf8)
        let configuration = try DriftConfiguration.load(file: configPath)
        let store = try AlertStore(path: configuration.storePath, lock: lock)
        try fitBaseline(configuration: configuration, store: store, directory: dir, recordsPerSecond: options.recordsPerSecond, say: say)

        let published = Counter()
        try startProducing(broker: broker.bootstrapServers, topic: topic, options: options, published: published)
        say("publishing about \(Int(options.recordsPerSecond)) records/s for \(Int(options.durationSeconds)) s: drift from \(Int(options.durationSeconds / 2)) s, traffic drops to a quarter at \(Int(options.durationSeconds * 0.8)) s")

        // The daemon as `driftd run` composes it, with the API and dashboard over its store.
        let metrics = options.metrics
        let tally = DemoTally()
        var daemonOptions = KafkaDaemon.Options()
        daemonOptions.metrics = metrics
        var notifierOptions = NotifierOptions()
        notifierOptions.metrics = metrics
        let settings = configuration.apiSettings()
        let hooks = consumerHooks(tally: tally, published: published, store: store, files: (configPath, configuration.storePath, pagesPath),
                                  say: say, status: status, finished: finished)
        let consumer = ConsumerService(configuration: configuration, store: store, options: daemonOptions, hooks: hooks)
        var services = DaemonServices.compose(
            configuration: configuration, store: store, command: "driftd demo",
            http: options.http.map { ($0, settings, metrics) },
            onListening: { address in
                tally.listening(at: "http://\(address)/")
                say("dashboard: http://\(address)/   API: http://\(address)/api/v1/   metrics: http://\(address)/metrics")
                if settings.token == nil { say("(the ack button needs a token: export DRIFTD_TOKEN=... before driftd demo)") }
            },
            notifier: notifierOptions, pruner: nil, consumer: consumer)
        if options.serveAfter && options.http != nil { services.consumerEnd = .ignore }
        try await services.run()
        withExtendedLifetime(broker) {}
    }

    /// What the consumer tells the demo: its status and alerts as they come; once everything
    /// published is consumed, idle close reports the last windows and it stops; then the
    /// notifier has a few seconds to page for the last transitions before the summary.
    static func consumerHooks(tally: DemoTally, published: Counter, store: AlertStore,
                              files: (configuration: String, store: String, pages: String),
                              say: @escaping @Sendable (String) -> Void, status: (@Sendable (KafkaDaemon.Status) -> Void)?,
                              finished: @escaping @Sendable (Summary) -> Void) -> ConsumerService.Hooks {
        var hooks = ConsumerService.Hooks()
        hooks.stopWhen = { _ in tally.streamHasEnded(published: published) }
        hooks.onStatus = { s in tally.consumed(s.records); status?(s) }
        hooks.onOutput = { output in for line in tally.take(output) { say(line) } }
        hooks.afterStop = { final in
            // group_interval is 3 s.
            let drainUntil = Date().addingTimeInterval(8)
            while Date() < drainUntil, ((try? store.pendingDeliveries().count) ?? 0) > 0 || ((try? store.pendingOutbox().count) ?? 0) > 0 {
                try? await Task.sleep(for: .milliseconds(200))
            }
            let pages = ((try? String(contentsOfFile: files.pages, encoding: .utf8)) ?? "").split(separator: "\n").count
            finished(tally.summary(published: published.value, final: final, configuration: files.configuration, store: files.store,
                                   pages: pages, pagesFile: files.pages))
        }
        return hooks
    }

    static func configurationText(broker: String, topic: String, http: ListenAddress?, pagesPath: String) -> String {
        """
        # Written by driftd demo. The broker was the demo's own and is gone; the store stays.
        store: driftd.sqlite
        models:
          - id: \(DemoStream.model)
            window: { size: 5s, allowed_lateness: 1s, idle_close: 3s }
            features: { is_new: categorical }
            # The inventory: who answers for the model (driftd models, the dashboard, alert labels).
            owner: on-call@example.com
            team: credit
            stage: production
            risk_tier: medium
            description: The demo's credit-risk score (synthetic traffic).
        kafka:
          bootstrap: \(broker)
          topics: [\(topic)]
          group: driftd-demo
        http:
          listen: "\(http ?? .loopbackDefault)"
          token_env: DRIFTD_TOKEN
        # On-call, for the demo: each notification is appended to pages.jsonl by an exec
        # receiver (a real deployment routes to pagerduty, slack or a webhook).
        receivers:
          - { name: demo-pager, type: exec, command: [sh, -c, "cat >> '\(pagesPath)'; echo >> '\(pagesPath)'"], timeout: 5s }
        route:
          receiver: demo-pager
          group_by: [model]
          group_wait: 1s
          group_interval: 3s
          repeat_interval: 1h
        """
    }

    /// Reference: the same model at the same rate, no drift.
    static func fitBaseline(configuration: DriftConfiguration, store: AlertStore, directory: URL, recordsPerSecond: Double,
                            say: (String) -> Void) throws {
        let spacing = 1000 / recordsPerSecond
        var generator = DemoStream(seed: 1)
        let referencePath = directory.appendingPathComponent("reference.jsonl").path
        var reference = ""
        for i in 0..<20_000 {
            reference += generator.record(index: i, timestamp: 1_764_000_000_000 + Int64(Double(i) * spacing), drifted: false) + "\n"
        }
        try reference.write(toFile: referencePath, atomically: true, encoding: .utf8)
        let fitted = try BaselineFitting.fit(configuration: configuration, model: DemoStream.model, reference: referencePath,
                                             version: "demo-reference", store: store, actor: "driftd demo")
        say("baseline \(fitted.baseline.version): \(fitted.baseline.recordCount) reference records, \(fitted.baseline.features.count) features")
    }

    /// Publishes the stream from a thread of its own, at the asked rate: drift from half-way,
    /// full rate until 80 % of the run and a quarter of it after.
    static func startProducing(broker: String, topic: String, options: Options, published: Counter) throws {
        let producerBox = ProducerBox(try KafkaProducer(properties: ["bootstrap.servers": broker]))
        let producing = Thread {
            guard let producer = producerBox.producer else { return }
            var stream = DemoStream(seed: 2)
            let start = Date()
            var i = 0
            while true {
                let elapsed = Date().timeIntervalSince(start)
                if elapsed >= options.durationSeconds { break }
                let fraction = elapsed / options.durationSeconds
                let dropAt = options.durationSeconds * 0.8
                let due = Int(options.recordsPerSecond * (Swift.min(elapsed, dropAt) + 0.25 * Swift.max(0, elapsed - dropAt)))
                while i < due {
                    let r = stream.record(index: i, timestamp: Int64(Date().timeIntervalSince1970 * 1000), drifted: fraction >= 0.5)
                    try? producer.send(topic: topic, key: DemoStream.model, value: r)
                    i += 1
                }
                published.set(i)
                usleep(20_000)
            }
            try? producer.flush()
            producerBox.release()
            published.finish()
        }
        producing.start()
    }
}

/// What the demo counts while the daemon runs (alerts said, commit delays), shared between
/// the consumer's thread and the summary.
final class DemoTally: Sendable {
    private struct State {
        var delays: [Double] = []
        var fired = 0
        var consumed: Int64 = 0
        var finishedAt: Date?
        var dashboard: String?
    }
    private let state = Mutex(State())

    func listening(at url: String) { state.withLock { $0.dashboard = url } }

    func consumed(_ records: Int64) { state.withLock { $0.consumed = records } }

    /// True once the stream has ended and been consumed, and idle close has had its time
    /// (at most 30 s after the end).
    func streamHasEnded(published: Counter) -> Bool {
        guard published.isFinished else { return false }
        return state.withLock { s in
            if s.finishedAt == nil { s.finishedAt = Date() }
            let since = Date().timeIntervalSince(s.finishedAt!)
            return (s.consumed >= Int64(published.value) && since > 4.5) || since > 30
        }
    }

    /// The commit delays of a commit point's reports; its transitions as lines to say.
    func take(_ output: PipelineOutput) -> [String] {
        let now = Date().timeIntervalSince1970 * 1000
        var lines: [String] = []
        let clock = DateFormatter()
        clock.dateFormat = "HH:mm:ss"
        state.withLock { s in
            for r in output.reports { s.delays.append(now - Double(r.end)) }
            for t in output.transitions where t.notifies {
                if t.kind == .firing { s.fired += 1 }
                let what = t.fingerprint.feature.isEmpty ? "\(t.fingerprint.model) (model)" : "\(t.fingerprint.model)/\(t.fingerprint.feature)"
                let window = Date(timeIntervalSince1970: Double(t.windowIndex) * 5)  // 5 s event-time windows
                lines.append("ALERT \(t.kind.rawValue) \(t.severity?.rawValue ?? "") \(what) rule \(t.fingerprint.rule) = \(String(format: "%.4f", t.value)) in the window from \(clock.string(from: window))")
            }
        }
        return lines
    }

    func summary(published: Int, final: KafkaDaemon.Status, configuration: String, store: String,
                 pages: Int, pagesFile: String) -> Demo.Summary {
        let (delays, fired, dashboard) = state.withLock { ($0.delays.sorted(), $0.fired, $0.dashboard) }
        return Demo.Summary(published: published, consumed: final.records, windowsClosed: final.windowsClosed, alertsFired: fired,
                            configuration: configuration, store: store,
                            commitDelayMedianMilliseconds: delays.isEmpty ? nil : delays[delays.count / 2],
                            commitDelayMaxMilliseconds: delays.last, dashboard: dashboard, pages: pages, pagesFile: pagesFile)
    }
}

/// The demo's producer, released by its thread when publishing ends (before the broker goes).
final class ProducerBox: Sendable {
    private let held: Mutex<KafkaProducer?>
    init(_ producer: KafkaProducer) { held = Mutex(producer) }
    var producer: KafkaProducer? { held.withLock { $0 } }
    func release() { held.withLock { $0 = nil } }
}

/// A count shared between the producer thread and the daemon loop.
final class Counter: Sendable {
    private let count = Atomic<Int>(0)
    private let done = Atomic<Bool>(false)
    func set(_ n: Int) { count.store(n, ordering: .relaxed) }
    func finish() { done.store(true, ordering: .releasing) }
    var value: Int { count.load(ordering: .relaxed) }
    var isFinished: Bool { done.load(ordering: .acquiring) }
}

/// The demo deletes its store and rewrites its configuration on every run, so it only uses a
/// folder that is new, empty, or its own: one holding the marker file `.driftd-demo` it writes
/// first and nothing but the files it writes itself.
public enum DemoFolder {
    public static let marker = ".driftd-demo"
    static let markerText = "This folder was written by driftd demo, which may delete and rewrite it on its next run.\n"
    /// Everything the demo writes (the store with its WAL files, configuration, pages, reference).
    static let ownFiles: Set<String> = [marker, "driftd.sqlite", "driftd.sqlite-wal", "driftd.sqlite-shm", "driftd.sqlite.lock", "driftd.sqlite.notify.lock", "driftd.yaml", "pages.jsonl", "reference.jsonl"]

    /// The demo's folder with its marker, and its store's lock; the last run's store goes
    /// (the lock first: a demo still running in this folder keeps its store).
    static func prepare(_ options: Demo.Options) throws -> (directory: URL, lock: StoreLock) {
        let fm = FileManager.default
        let dir = URL(fileURLWithPath: options.directory).standardizedFileURL
        if !options.force { try checkReusable(dir) }
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        try markerText.write(to: dir.appendingPathComponent(marker), atomically: true, encoding: .utf8)
        let storePath = dir.appendingPathComponent("driftd.sqlite").path
        let lock = try StoreLock(store: storePath, command: "driftd demo")
        for suffix in ["", "-wal", "-shm"] { try? fm.removeItem(atPath: storePath + suffix) }
        return (dir, lock)
    }

    /// Throws when `dir` holds files the demo did not write, naming them and the way out.
    static func checkReusable(_ dir: URL) throws {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path), !names.isEmpty else { return }
        let isOwn = names.contains(marker)
        let foreign = names.filter { !isOwn || !ownFiles.contains($0) }.sorted()
        guard !foreign.isEmpty else { return }
        throw InputFailure(message: "\(dir.path) holds files driftd demo did not write (\(foreign.prefix(5).joined(separator: ", "))\(foreign.count > 5 ? ", …" : "")); "
                           + "the demo would delete the store and overwrite driftd.yaml there — choose a new folder with --directory, or pass --force to use this one anyway")
    }
}
