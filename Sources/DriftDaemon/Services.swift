import DriftCore
import DriftHTTP
import DriftNotify
import DriftStore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// The consume loop as a `Service`. Polling, decoding and accumulating are blocking work
/// (librdkafka's poll, SIMD loops), so `KafkaDaemon.run` runs on a thread of its own, never
/// on Swift's cooperative pool (two threads on a small machine, which the HTTP server and
/// the notifier need). The group's graceful shutdown — or cancellation — asks the loop to
/// stop; it then drains the batch in hand, writes the checkpoint, commits the offsets and
/// leaves the consumer group before `run()` returns.
public final class ConsumerService: Service, Sendable {
    /// What the command that runs the consumer hears of it (all called on the consumer's thread).
    public struct Hooks: Sendable {
        /// Asked between polls with the records consumed so far: true stops consuming.
        public var stopWhen: @Sendable (Int64) -> Bool = { _ in false }
        /// About once a second.
        public var onStatus: @Sendable (KafkaDaemon.Status) -> Void = { _ in }
        /// Each commit point's output, once the store has it.
        public var onOutput: @Sendable (PipelineOutput) -> Void = { _ in }
        /// Runs once consuming has stopped, before the group stops the services started
        /// before this one (the demo lets the notifier page the last transitions).
        public var afterStop: @Sendable (KafkaDaemon.Status) async -> Void = { _ in }
        public init() {}
    }

    let configuration: DriftConfiguration
    let store: AlertStore
    let options: KafkaDaemon.Options
    let hooks: Hooks
    private let stopRequested = Atomic<Bool>(false)
    private let final = Mutex<KafkaDaemon.Status?>(nil)

    public init(configuration: DriftConfiguration, store: AlertStore, options: KafkaDaemon.Options, hooks: Hooks = Hooks()) {
        self.configuration = configuration; self.store = store; self.options = options; self.hooks = hooks
    }

    /// The status the loop ended with (nil until it has).
    public var finalStatus: KafkaDaemon.Status? { final.withLock { $0 } }

    public func run() async throws {
        let status = try await withTaskCancellationOrGracefulShutdownHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<KafkaDaemon.Status, any Error>) in
                let thread = Thread { [self] in
                    continuation.resume(with: Result {
                        try KafkaDaemon.run(configuration: configuration, store: store, options: options,
                                            shouldStop: { records in self.stopRequested.load(ordering: .relaxed) || self.hooks.stopWhen(records) },
                                            onStatus: hooks.onStatus, onOutput: hooks.onOutput)
                    })
                }
                thread.name = "driftd-consumer"
                thread.stackSize = 8 << 20
                thread.start()
            }
        } onCancelOrGracefulShutdown: { [self] in
            stopRequested.store(true, ordering: .relaxed)
        }
        final.withLock { $0 = status }
        await hooks.afterStop(status)
    }
}

/// The notifier as a `Service`: it delivers the outbox to the receivers while it holds the
/// store's paging lock. A second notifier on the same store (`driftd serve` beside
/// `driftd run`) stands by, trying again every `standbyInterval`, and takes over when the
/// first one stops — a receiver is never paged twice, and pages are never left undelivered
/// while a driftd with receivers runs. The group's graceful shutdown lets the delivery
/// attempt in flight finish (each bounded by its receiver's timeout).
public struct NotifierService: Service {
    let configuration: NotifyConfiguration
    let store: AlertStore
    let options: NotifierOptions
    /// Named in the paging lock, for the message of the notifier that stands by.
    let command: String
    let standbyInterval: Duration

    public init(configuration: NotifyConfiguration, store: AlertStore, options: NotifierOptions, command: String,
                standbyInterval: Duration = .seconds(2)) {
        self.configuration = configuration; self.store = store; self.options = options
        self.command = command; self.standbyInterval = standbyInterval
    }

    public func run() async throws {
        guard let lock = await takePagingLock() else { return }
        let loop = NotifierLoop(configuration: configuration, store: store, options: options)
        await loop.run()
        withExtendedLifetime(lock) {}
    }

    /// The paging lock, waited for while another notifier holds it; nil when the group shuts
    /// down first.
    func takePagingLock() async -> StoreLock? {
        var standingBy = false
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let lock = try StoreLock(store: store.path, command: command, role: .paging)
                if standingBy { options.logger.notice("took over paging the receivers of \(store.path)") }
                return lock
            } catch let e as StoreError where e.kind == .inUse {
                if !standingBy { options.logger.notice("\(e); this one stands by and takes over when that one stops") }
                standingBy = true
            } catch {
                options.logger.error("\(error) — not paging; trying again in \(standbyInterval)")
            }
            do { try await cancelWhenGracefulShutdown { [standbyInterval] in try await Task.sleep(for: standbyInterval) } } catch { return nil }
        }
        return nil
    }
}

/// Retention as a `Service`: the pruner works on a thread of its own (blocking SQLite work,
/// in small transactions); the group's graceful shutdown stops it between two batches.
public struct PrunerService: Service {
    let store: AlertStore
    let policy: RetentionPolicy
    let options: PrunerOptions

    public init(store: AlertStore, policy: RetentionPolicy, options: PrunerOptions) {
        self.store = store; self.policy = policy; self.options = options
    }

    public func run() async throws {
        guard let pruner = StorePruner.start(store: store, policy: policy, options: options) else {
            // Nothing to prune: nothing to run, but the group must not take this for an end.
            try? await gracefulShutdown()
            return
        }
        await withGracefulShutdownHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                Thread { pruner.waitUntilFinished(); continuation.resume() }.start()
            }
        } onGracefulShutdown: {
            pruner.requestStop()
        }
    }
}

/// What one driftd process runs, composed in one place for `run`, `serve` and `demo` (as
/// Hummingbird's template shares one `buildApplication`). The services start in the order
/// HTTP, notifier, pruner, consumer, and SIGTERM/SIGINT shut them down in reverse: stop
/// consuming (drain, checkpoint, commit offsets, leave the group), stop pruning, let the
/// delivery attempt in flight finish, and stop serving last, so `/readyz` and `/metrics`
/// answer until the end.
public struct DaemonServices: Sendable {
    public var http: HTTPService?
    public var notifier: NotifierService?
    public var pruner: PrunerService?
    public var consumer: ConsumerService?
    /// When the consumer stops by itself (a record limit, the demo's stream ended): shut the
    /// whole group down (the default), or keep the others running (the demo's --serve-after).
    public var consumerEnd: ServiceGroupConfiguration.ServiceConfiguration.TerminationBehavior = .gracefullyShutdownGroup
    /// After this long, a graceful shutdown that has not finished becomes cancellation.
    public var shutdownPatience: Duration = .seconds(90)

    public init(http: HTTPService? = nil, notifier: NotifierService? = nil, pruner: PrunerService? = nil, consumer: ConsumerService? = nil) {
        self.http = http; self.notifier = notifier; self.pruner = pruner; self.consumer = consumer
    }

    /// The services a configuration asks for beside an optional consumer: the HTTP server
    /// when `http` is given, the notifier when there are receivers (and `pages`), the pruner
    /// when retention prunes anything (and `prunes`).
    public static func compose(configuration c: DriftConfiguration, store: AlertStore, command: String,
                               http: (address: ListenAddress, settings: APISettings, metrics: DriftMetrics?)?,
                               onListening: @escaping @Sendable (ListenAddress) -> Void = { _ in },
                               notifier: NotifierOptions?, pruner: PrunerOptions?, consumer: ConsumerService?) -> DaemonServices {
        var services = DaemonServices(consumer: consumer)
        if let http {
            services.http = HTTPService(store: store, settings: http.settings, metrics: http.metrics, address: http.address, onListening: onListening)
        }
        if let notifier, !c.notify.isEmpty {
            services.notifier = NotifierService(configuration: c.notify, store: store, options: notifier, command: command)
        }
        if let pruner, c.retention.prunesAnything {
            services.pruner = PrunerService(store: store, policy: c.retention, options: pruner)
        }
        return services
    }

    /// Runs the services until the consumer ends or a signal asks them to stop; rethrows the
    /// first failure (after the others were shut down gracefully).
    public func run(logger: Logger = Logger(label: "driftd"), signals: Bool = true) async throws {
        typealias Entry = ServiceGroupConfiguration.ServiceConfiguration
        var entries: [Entry] = []
        func add(_ service: (any Service)?, onSuccess: Entry.TerminationBehavior = .gracefullyShutdownGroup) {
            guard let service else { return }
            entries.append(Entry(service: service, successTerminationBehavior: onSuccess, failureTerminationBehavior: .gracefullyShutdownGroup))
        }
        add(http)
        add(notifier, onSuccess: .ignore)
        add(pruner, onSuccess: .ignore)
        add(consumer, onSuccess: consumerEnd)
        var configuration = ServiceGroupConfiguration(services: entries, gracefulShutdownSignals: signals ? [.sigterm, .sigint] : [], logger: logger)
        configuration.maximumGracefulShutdownDuration = shutdownPatience
        try await ServiceGroup(configuration: configuration).run()
    }
}
