import DriftCore
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization

/// driftd's HTTP server, startable from synchronous code beside the daemon's polling thread:
/// it runs on its own event loop thread, and `start` returns once it listens (or throws why
/// it cannot, e.g. the port is taken).
///
/// ```swift
/// let server = try APIServer.start(store: store, settings: settings, metrics: metrics, address: address)
/// print("dashboard: http://\(server.address)/")
/// ...
/// server.stop()
/// ```
public enum APIServer {
    public struct StartError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Serves `store` (read-only API, dashboard) and `metrics` at `address` until `stop()`.
    public static func start(store: any OperatorStore, settings: APISettings, metrics: DriftMetrics?,
                             address: ListenAddress = .loopbackDefault, logger: Logger = Logger(label: "driftd.http")) throws -> APIServerHandle {
        let started = StartSignal()
        let app = application(store: store, settings: settings, metrics: metrics, address: address, logger: logger,
                              onListening: { port in started.listening(port: port) })
        // The one task that bridges the synchronous daemon to the async server; the handle
        // owns it, shuts the group down gracefully on stop and waits for it to end. Signals
        // stay with the daemon (its own SIGTERM handling drains the pipeline first).
        let services = ServiceGroup(configuration: ServiceGroupConfiguration(services: [app], gracefulShutdownSignals: [], logger: logger))
        Task.detached {
            do { try await services.run() } catch { started.failed(error) }
            started.ended()
        }
        let port: Int
        do {
            port = try started.waitUntilListening()
        } catch {
            started.waitUntilEnded()
            throw StartError(description: "cannot listen on \(address): \(error) — choose another address with --http or http.listen")
        }
        return APIServerHandle(address: ListenAddress(host: address.host, port: port), services: services, started: started)
    }

    /// The same from async code: the wait for the server to listen happens on a thread of its
    /// own, never on Swift's cooperative pool (whose few threads the server itself needs).
    public static func start(store: any OperatorStore, settings: APISettings, metrics: DriftMetrics?,
                             address: ListenAddress = .loopbackDefault, logger: Logger = Logger(label: "driftd.http")) async throws -> APIServerHandle {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result { try start(store: store, settings: settings, metrics: metrics, address: address, logger: logger) as APIServerHandle })
            }.start()
        }
    }

    /// driftd's HTTP application — the routes, with HEAD and OPTIONS — on NIO's own event loop
    /// threads, apart from Swift's cooperative pool and the consumer's thread. What `start` and
    /// `HTTPService` run, and what tests drive without a socket (HummingbirdTesting's
    /// `app.test(.router)`). `onListening` is told the port once it listens (the real one
    /// when 0 was asked for).
    public static func application(store: any OperatorStore, settings: APISettings, metrics: DriftMetrics?,
                                   address: ListenAddress = ListenAddress(host: "127.0.0.1", port: 0),
                                   logger: Logger = Logger(label: "driftd.http"),
                                   onListening: @escaping @Sendable (Int) -> Void = { _ in }) -> Application<CallbackResponder<APIRequestContext>> {
        Application(router: MethodsResponder(router: APIRoutes.router(store: store, settings: settings, metrics: metrics, logger: logger)),
                    configuration: ApplicationConfiguration(address: .hostname(address.host, port: address.port), serverName: "driftd"),
                    onServerRunning: { channel in onListening(channel.localAddress?.port ?? address.port) },
                    eventLoopGroupProvider: .singleton, logger: logger)
    }
}

/// A running server: where it listens, and how to stop it.
public final class APIServerHandle: Sendable {
    /// The address it listens on (with the real port when 0 was asked for).
    public let address: ListenAddress
    private let services: ServiceGroup
    private let started: StartSignal

    init(address: ListenAddress, services: ServiceGroup, started: StartSignal) {
        self.address = address; self.services = services; self.started = started
    }

    public var url: String { "http://\(address)" }

    /// Stops listening, finishes the requests in flight, and returns once the server is gone.
    /// Calling it again does nothing. It blocks the calling thread: from async code, use
    /// `await stop()`.
    public func stop() {
        let services = services
        // Returns at once; the wait below is for the server to finish.
        Task.detached { await services.triggerGracefulShutdown() }
        started.waitUntilEnded()
    }

    /// The same from async code, waiting on a thread of its own rather than the cooperative pool.
    public func stop() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread {
                self.stop()
                continuation.resume()
            }.start()
        }
    }
}

/// The server task's progress, told to the synchronous caller.
/// `@unchecked`: guarded by one `NSCondition`, on which the synchronous caller waits.
final class StartSignal: @unchecked Sendable {
    private let condition = NSCondition()
    private var port: Int?
    private var error: (any Error)?
    private var hasEnded = false

    func listening(port: Int) { condition.lock(); self.port = port; condition.broadcast(); condition.unlock() }
    func failed(_ error: any Error) { condition.lock(); self.error = error; condition.broadcast(); condition.unlock() }
    func ended() { condition.lock(); hasEnded = true; condition.broadcast(); condition.unlock() }

    func waitUntilListening() throws -> Int {
        condition.lock(); defer { condition.unlock() }
        while port == nil && error == nil && !hasEnded { condition.wait() }
        if let port { return port }
        throw error ?? APIServer.StartError(description: "the server ended before it listened")
    }

    func waitUntilEnded() {
        condition.lock(); defer { condition.unlock() }
        while !hasEnded { condition.wait() }
    }
}

/// The HTTP server as one `Service` of the process's `ServiceGroup` (`driftd run`, `serve`,
/// `demo`): the group's graceful shutdown stops it listening and lets the requests in
/// flight finish. `onListening` is told the address once it listens (the real port when 0
/// was asked for); failing to listen is a `StartError` that says what to do.
public struct HTTPService: Service {
    let store: any OperatorStore
    let settings: APISettings
    let metrics: DriftMetrics?
    let address: ListenAddress
    let logger: Logger
    let onListening: @Sendable (ListenAddress) -> Void

    public init(store: any OperatorStore, settings: APISettings, metrics: DriftMetrics?, address: ListenAddress,
                logger: Logger = Logger(label: "driftd.http"), onListening: @escaping @Sendable (ListenAddress) -> Void = { _ in }) {
        self.store = store; self.settings = settings; self.metrics = metrics; self.address = address
        self.logger = logger; self.onListening = onListening
    }

    public func run() async throws {
        let listening = Mutex(false)
        let address = address, onListening = onListening
        let app = APIServer.application(store: store, settings: settings, metrics: metrics, address: address, logger: logger,
                                        onListening: { port in
            listening.withLock { $0 = true }
            onListening(ListenAddress(host: address.host, port: port))
        })
        do {
            try await app.run()
        } catch where !listening.withLock({ $0 }) {
            throw APIServer.StartError(description: "cannot listen on \(address): \(error) — choose another address with --http or http.listen")
        }
    }
}

/// The request context of driftd's routes: Hummingbird's basic one, with the API's JSON
/// encoder (snake_case keys, sorted, slashes unescaped), so a handler returns its body value
/// (`ResponseEncodable`) and every response is written the one way.
public struct APIRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public init(source: Source) { coreContext = .init(source: source) }
    public var responseEncoder: JSONEncoder { API.encoder }
}
