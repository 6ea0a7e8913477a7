import DriftCore
import DriftHTTP
import DriftKafka
import DriftStore
import Foundation

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
        /// The HTTP server, still running: the caller stops it (or keeps serving).
        public var server: APIServerHandle?
        /// Notifications the demo's exec receiver wrote, and where.
        public var pages: Int = 0
        public var pagesFile: String = ""
    }

    public static func run(options: Options, say: @escaping (String) -> Void, status: ((KafkaDaemon.Status) -> Void)? = nil) throws -> Summary {
        let fm = FileManager.default
        let dir = URL(fileURLWithPath: options.directory).standardizedFileURL
        if !options.force { try DemoFolder.checkReusable(dir) }
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        try DemoFolder.markerText.write(to: dir.appendingPathComponent(DemoFolder.marker), atomically: true, encoding: .utf8)
        let storePath = dir.appendingPathComponent("driftd.sqlite").path
        // The lock first: a demo still running in this folder keeps its store.
        let lock = try StoreLock(store: storePath, command: "driftd demo")
        for suffix in ["", "-wal", "-shm"] { try? fm.removeItem(atPath: storePath + suffix) }

        let broker = try EmbeddedBroker()
        let topic = "inference"
        try broker.createTopic(topic, partitions: 4)
        say("embedded Kafka broker at \(broker.bootstrapServers), topic \(topic) (4 partitions)")

        let configPath = dir.appendingPathComponent("driftd.yaml").path
        let pagesPath = dir.appendingPathComponent("pages.jsonl").path
        try? fm.removeItem(atPath: pagesPath)
        try """
        # Written by driftd demo. The broker was the demo's own and is gone; the store stays.
        store: driftd.sqlite
        models:
          - id: \(DemoStream.model)
            window: { size: 5s, allowed_lateness: 1s, idle_close: 3s }
            features: { is_new: categorical }
        kafka:
          bootstrap: \(broker.bootstrapServers)
          topics: [\(topic)]
          group: driftd-demo
        http:
          listen: "\(options.http ?? .loopbackDefault)"
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
        """.write(toFile: configPath, atomically: true, encoding: .utf8)
        let configuration = try DriftConfiguration.load(file: configPath)
        let store = try AlertStore(path: configuration.storePath, lock: lock)

        // The API and dashboard over the store the daemon writes, with the daemon's metrics.
        let metrics = DriftMetrics()
        var server: APIServerHandle?
        if let address = options.http {
            let settings = configuration.apiSettings()
            server = try APIServer.start(store: store, settings: settings, metrics: metrics, address: address)
            say("dashboard: \(server!.url)/   API: \(server!.url)/api/v1/   metrics: \(server!.url)/metrics")
            if settings.token == nil { say("(the ack button needs a token: export DRIFTD_TOKEN=... before driftd demo)") }
        }

        // Reference: the same model at the same rate, no drift.
        let spacing = 1000 / options.recordsPerSecond
        var generator = DemoStream(seed: 1)
        let referencePath = dir.appendingPathComponent("reference.jsonl").path
        var reference = ""
        for i in 0..<20_000 {
            reference += generator.record(index: i, timestamp: 1_764_000_000_000 + Int64(Double(i) * spacing), drifted: false) + "\n"
        }
        try reference.write(toFile: referencePath, atomically: true, encoding: .utf8)
        let fitted = try BaselineFitting.fit(configuration: configuration, model: DemoStream.model, reference: referencePath,
                                             version: "demo-reference", store: store, actor: "driftd demo")
        say("baseline \(fitted.baseline.version): \(fitted.baseline.recordCount) reference records, \(fitted.baseline.features.count) features")

        let producerBox = ProducerBox(try KafkaProducer(properties: ["bootstrap.servers": broker.bootstrapServers]))
        let published = Counter()
        let options = options
        let producing = Thread {
            guard let producer = producerBox.producer else { return }
            var stream = DemoStream(seed: 2)
            let start = Date()
            var i = 0
            while true {
                let elapsed = Date().timeIntervalSince(start)
                if elapsed >= options.durationSeconds { break }
                let fraction = elapsed / options.durationSeconds
                // Full rate until 80 % of the run, a quarter of it after.
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
            producerBox.producer = nil
            published.finish()
        }
        producing.start()
        say("publishing about \(Int(options.recordsPerSecond)) records/s for \(Int(options.durationSeconds)) s: drift from \(Int(options.durationSeconds / 2)) s, traffic drops to a quarter at \(Int(options.durationSeconds * 0.8)) s")

        let clock = DateFormatter()
        clock.dateFormat = "HH:mm:ss"
        var delays: [Double] = []
        var fired = 0
        var finishedAt: Date?
        var consumed: Int64 = 0
        var daemonOptions = KafkaDaemon.Options()
        daemonOptions.metrics = metrics
        var notifierOptions = NotifierOptions()
        notifierOptions.log = { FileHandle.standardError.write(Data(("driftd demo notifier: " + $0 + "\n").utf8)) }
        notifierOptions.metrics = metrics
        let notifier = Notifier.start(configuration: configuration.notify, store: store, options: notifierOptions)
        let final = try KafkaDaemon.run(
            configuration: configuration, store: store, options: daemonOptions,
            shouldStop: { _ in
                guard published.isFinished else { return false }
                if finishedAt == nil { finishedAt = Date() }
                // Let idle close report the last windows, then stop.
                return (consumed >= Int64(published.value) && Date().timeIntervalSince(finishedAt!) > 4.5)
                    || Date().timeIntervalSince(finishedAt!) > 30
            },
            onStatus: { s in consumed = s.records; status?(s) },
            onOutput: { output in
                let now = Date().timeIntervalSince1970 * 1000
                for r in output.reports { delays.append(now - Double(r.end)) }
                for t in output.transitions where t.notifies {
                    if t.kind == .firing { fired += 1 }
                    let what = t.fingerprint.feature.isEmpty ? "\(t.fingerprint.model) (model)" : "\(t.fingerprint.model)/\(t.fingerprint.feature)"
                    let window = Date(timeIntervalSince1970: Double(t.windowIndex) * 5)  // 5 s event-time windows
                    say("ALERT \(t.kind.rawValue) \(t.severity?.rawValue ?? "") \(what) rule \(t.fingerprint.rule) = \(String(format: "%.4f", t.value)) in the window from \(clock.string(from: window))")
                }
            })
        consumed = final.records
        // Let the notifier page for the last transitions (group_interval 3 s), then stop it.
        let drainUntil = Date().addingTimeInterval(8)
        while Date() < drainUntil, ((try? store.pendingDeliveries().count) ?? 0) > 0 || ((try? store.pendingOutbox().count) ?? 0) > 0 {
            usleep(200_000)
        }
        notifier.stop()
        let pages = ((try? String(contentsOfFile: pagesPath, encoding: .utf8)) ?? "").split(separator: "\n").count
        delays.sort()
        withExtendedLifetime(broker) {}
        return Summary(published: published.value, consumed: final.records, windowsClosed: final.windowsClosed, alertsFired: fired,
                       configuration: configPath, store: configuration.storePath,
                       commitDelayMedianMilliseconds: delays.isEmpty ? nil : delays[delays.count / 2],
                       commitDelayMaxMilliseconds: delays.last, server: server, pages: pages, pagesFile: pagesPath)
    }
}

/// The demo's producer, released by its thread when publishing ends (before the broker goes).
final class ProducerBox: @unchecked Sendable {
    var producer: KafkaProducer?
    init(_ producer: KafkaProducer) { self.producer = producer }
}

/// A count shared between the producer thread and the daemon loop.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    private var done = false
    func set(_ n: Int) { lock.lock(); count = n; lock.unlock() }
    func finish() { lock.lock(); done = true; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
    var isFinished: Bool { lock.lock(); defer { lock.unlock() }; return done }
}

/// The demo deletes its store and rewrites its configuration on every run, so it only uses a
/// folder that is new, empty, or its own: one holding the marker file `.driftd-demo` it writes
/// first and nothing but the files it writes itself.
public enum DemoFolder {
    public static let marker = ".driftd-demo"
    static let markerText = "This folder was written by driftd demo, which may delete and rewrite it on its next run.\n"
    /// Everything the demo writes (the store with its WAL files, configuration, pages, reference).
    static let ownFiles: Set<String> = [marker, "driftd.sqlite", "driftd.sqlite-wal", "driftd.sqlite-shm", "driftd.yaml", "pages.jsonl", "reference.jsonl"]

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
