import ArgumentParser
import DriftDaemon
import DriftHTTP
import DriftNotify
import DriftStore
import Foundation

/// `driftd serve`: the HTTP API, /metrics and the dashboard over an existing store, without
/// consuming anything (e.g. beside `driftd replay`, or to look at a store copied elsewhere).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the HTTP API, metrics and dashboard over an existing store, and page its receivers.",
        discussion: """
        Listens on http.listen of the configuration (default 127.0.0.1:8080), or --http. \
        Read endpoints need no token; state-changing ones need the bearer token from the \
        environment variable named by http.token_env. With receivers configured it also \
        delivers the store's outbox (acknowledgements and resolutions made through the API \
        reach the receivers that were paged, and it pages for a `driftd replay` beside it); \
        when another driftd pages this store already, it stands by and takes over when that \
        one stops. Runs until SIGINT or SIGTERM.
        """)

    @OptionGroup var options: ConfigOption
    @Option(name: .customLong("http"), help: "Address to listen on, HOST:PORT (overrides http.listen).") var address: String?
    @Flag(help: "Do not page the receivers (serve the API and dashboard only).") var noNotify = false

    func run() async throws {
        // A usage mistake first, before the store is looked at.
        let override = try address.map(parseListenAddress)
        let (c, store) = try options.openStore()
        let listen = override ?? c.http?.listen ?? .loopbackDefault
        await StopSignals.install()
        let settings = c.apiSettings()
        var notifierOptions: NotifierOptions?
        if !noNotify && !c.notify.isEmpty {
            if let missing = c.notify.missingSecrets.first {
                writeStandardError("driftd: not paging the receivers: \(missing)\n")
            } else {
                notifierOptions = NotifierOptions()
            }
        }
        let metrics = DriftMetrics(readsWindowsFromStore: true)
        bootstrapMetrics(metrics)
        notifierOptions?.metrics = metrics
        let storePath = c.storePath, pages = notifierOptions != nil
        let services = DaemonServices.compose(
            configuration: c, store: store, command: "driftd serve",
            http: (listen, settings, metrics),
            onListening: { address in
                let url = "http://\(address)"
                print("driftd serving \(storePath)")
                print("  dashboard  \(url)/")
                print("  API        \(url)/api/v1/  (OpenAPI: \(url)/api/v1/openapi.json)")
                print("  metrics    \(url)/metrics")
                if settings.token == nil && settings.namedTokens.isEmpty {
                    print("  state-changing requests are refused: \(settings.missingTokenAdvice)")
                }
                if pages { print("  paging the receivers of the configuration") }
                fflush(nil)
            },
            notifier: notifierOptions, pruner: nil, consumer: nil)
        try await services.run()
    }
}

/// `--http HOST:PORT`, or a usage error that says what is wrong.
func parseListenAddress(_ text: String) throws -> ListenAddress {
    switch ListenAddress.parse(text) {
    case .success(let address): return address
    case .failure(let reason): throw ValidationError("--http: \(reason)")
    }
}
