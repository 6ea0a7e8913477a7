import ArgumentParser
import DriftDaemon
import DriftHTTP
import Foundation

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "See driftd work end to end: embedded Kafka, a drifting stream, the daemon, alerts.",
        discussion: """
        Starts the embedded broker, fits a baseline from generated reference data, publishes \
        a synthetic stream with drift injected half-way and a traffic drop near the end, runs \
        the daemon against it and prints each alert as it fires. Leaves a store (and a \
        configuration) in --directory for driftd alerts and driftd report. While it runs, \
        the API, metrics and dashboard are served at --http (printed); --serve-after keeps \
        serving once the stream has ended, until interrupted.

        The demo replaces its store and configuration on every run, so it uses only a \
        folder that is new, empty or its own: it marks its folder with a file named \
        .driftd-demo and refuses one holding any file it did not write, unless --force.
        """)

    @Option(help: "How long to publish, in seconds.") var duration: Double = 60
    @Option(help: "Records published per second.") var rate: Double = 1000
    @Option(help: "Where the store and configuration are left.") var directory: String = "driftd-demo"
    @Option(name: .customLong("http"), help: "Where the API, metrics and dashboard listen, HOST:PORT.") var address: String = "127.0.0.1:8080"
    @Flag(help: "Use --directory even if it holds files the demo did not write (its store and driftd.yaml are replaced).") var force = false
    @Flag(help: "Keep serving the dashboard after the stream has ended, until interrupted (Ctrl-C).") var serveAfter = false

    func validate() throws {
        guard duration >= 5 else { throw ValidationError("--duration must be at least 5 seconds") }
        guard rate >= 50 && rate <= 20_000 else { throw ValidationError("--rate must be between 50 and 20000 records per second") }
        _ = try parseListenAddress(address)
    }

    func run() async throws {
        await StopSignals.install()
        var options = Demo.Options()
        options.durationSeconds = duration
        options.recordsPerSecond = rate
        options.directory = directory
        options.force = force
        options.serveAfter = serveAfter
        options.http = try parseListenAddress(address)
        bootstrapMetrics(options.metrics)
        let interactive = isatty(1) != 0
        let serveAfter = serveAfter
        let program = CommandLine.arguments[0]
        try await Demo.run(options: options, say: { line in
            print((interactive ? "\r\u{1B}[K" : "") + line)
            fflush(nil)
        }, status: { s in
            guard interactive else { return }
            writeStandardError(String(format: "\r  %ld records consumed, %ld windows closed, %d alerts firing ", s.records, s.windowsClosed, s.firing))
        }, finished: { summary in
            print((interactive ? "\r\u{1B}[K" : "") + """

            demo finished: \(summary.published) records published, \(summary.consumed) consumed, \(summary.windowsClosed) windows closed, \(summary.alertsFired) alerts fired
            """ + (summary.commitDelayMedianMilliseconds.map { String(format: "\nwindow end → report committed: median %.0f ms, max %.0f ms", $0, summary.commitDelayMaxMilliseconds ?? 0) } ?? "") + """

            on-call was paged \(summary.pages) times (exec receiver → \(summary.pagesFile))
            store: \(summary.store)
            look around:
              \(program) alerts --config \(summary.configuration)
              \(program) report --config \(summary.configuration) --model credit-risk --last 3
              \(program) serve --config \(summary.configuration)
            """)
            if serveAfter, let dashboard = summary.dashboard {
                print("still serving the dashboard at \(dashboard) — press Ctrl-C to stop")
            }
            fflush(nil)
        })
    }
}
