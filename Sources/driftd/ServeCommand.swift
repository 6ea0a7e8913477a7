import ArgumentParser
import DriftDaemon
import DriftHTTP
import DriftStore
import Foundation

/// `driftd serve`: the HTTP API, /metrics and the dashboard over an existing store, without
/// consuming anything (e.g. beside `driftd replay`, or to look at a store copied elsewhere).
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the HTTP API, metrics and dashboard over an existing store.",
        discussion: """
        Listens on http.listen of the configuration (default 127.0.0.1:8080), or --http. \
        Read endpoints need no token; state-changing ones need the bearer token from the \
        environment variable named by http.token_env. Runs until SIGINT or SIGTERM.
        """)

    @OptionGroup var options: ConfigOption
    @Option(name: .customLong("http"), help: "Address to listen on, HOST:PORT (overrides http.listen).") var address: String?

    func run() throws {
        // A usage mistake first, before the store is looked at.
        let override = try address.map(parseListenAddress)
        let (c, store) = try options.openStore()
        let listen = override ?? c.http?.listen ?? .loopbackDefault
        StopSignal.install()
        let settings = c.apiSettings()
        let server = try APIServer.start(store: store, settings: settings, metrics: DriftMetrics(readsWindowsFromStore: true), address: listen)
        print("driftd serving \(c.storePath)")
        print("  dashboard  \(server.url)/")
        print("  API        \(server.url)/api/v1/  (OpenAPI: \(server.url)/api/v1/openapi.json)")
        print("  metrics    \(server.url)/metrics")
        if settings.token == nil {
            print("  state-changing requests are refused: \(settings.missingTokenAdvice)")
        }
        fflush(nil)
        while !StopSignal.isRequested { usleep(100_000) }
        server.stop()
    }
}

/// `--http HOST:PORT`, or a usage error that says what is wrong.
func parseListenAddress(_ text: String) throws -> ListenAddress {
    switch ListenAddress.parse(text) {
    case .success(let address): return address
    case .failure(let reason): throw ValidationError("--http: \(reason)")
    }
}
