import AsyncHTTPClient
import DriftNotify
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// What came back from one request or command, before the retry policy judges it.
public struct TransportResult: Sendable, Equatable {
    /// The HTTP status (or, for exec, nil).
    public var statusCode: Int?
    public var outcome: DeliveryOutcome
    public init(statusCode: Int?, outcome: DeliveryOutcome) { self.statusCode = statusCode; self.outcome = outcome }

    public var error: String? {
        switch outcome {
        case .delivered: nil
        case .retry(_, let reason), .permanent(let reason): reason
        }
    }
}

/// POSTs receiver requests with AsyncHTTPClient. One client for the notifier's life; call
/// `shutdown()` before dropping it.
public final class HTTPTransport: Sendable {
    let client: HTTPClient

    public init() {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout.connect = .seconds(10)
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Sends one request within `timeout` milliseconds. Errors become `retry` outcomes
    /// (connection refused, timeouts) or `permanent` (a URL that cannot be used).
    public func send(_ request: OutgoingRequest, timeout: Int64, now: @Sendable () -> Int64) async -> TransportResult {
        var r = HTTPClientRequest(url: request.url)
        r.method = .POST
        for (name, value) in request.headers.sorted(by: { $0.key < $1.key }) { r.headers.add(name: name, value: value) }
        r.headers.replaceOrAdd(name: "User-Agent", value: "driftd")
        r.body = .bytes(ByteBuffer(bytes: request.body))
        do {
            let response = try await client.execute(r, timeout: .milliseconds(timeout))
            _ = try? await response.body.collect(upTo: 1 << 20)
            let status = Int(response.status.code)
            return TransportResult(statusCode: status,
                                   outcome: .http(status: status, retryAfter: response.headers.first(name: "Retry-After"), now: now()))
        } catch let e as HTTPClientError where e == .deadlineExceeded || e == .readTimeout || e == .connectTimeout {
            return TransportResult(statusCode: nil, outcome: .retry(after: nil, reason: "timed out after \(timeout) ms"))
        } catch let e as HTTPClientError where e == .invalidURL || e == .emptyHost {
            return TransportResult(statusCode: nil, outcome: .permanent(reason: "the receiver's URL cannot be used: \(e)"))
        } catch {
            return TransportResult(statusCode: nil, outcome: .retry(after: nil, reason: TransportFailure.sentence(for: error, url: request.url)))
        }
    }

    public func shutdown() async {
        try? await client.shutdown()
    }
}

/// One sentence an operator can act on for a failed request, as stored with the attempt and
/// shown by `driftd alerts`: NIO's own descriptions nest errors in errors
/// ("connection reset (error set): Connection refused) (errno: 111)").
enum TransportFailure {
    static func sentence(for error: any Error, url: String) -> String {
        let text = String(describing: error)
        let target = URL(string: url).map { u in "\(u.host ?? "?"):\(u.port ?? (u.scheme == "https" ? 443 : 80))" } ?? url
        if text.contains("Connection refused") || text.contains("errno: 111") {
            return "connection refused by \(target) — is the receiver running?"
        }
        if text.contains("Connection reset") || text.contains("errno: 104") {
            return "the connection to \(target) was reset by the receiver — check its logs"
        }
        if text.contains("remoteConnectionClosed") {
            return "\(target) closed the connection before answering — check the receiver's logs"
        }
        if text.lowercased().contains("resolve") || text.contains("NXDOMAIN") {
            return "cannot resolve the host of \(target) — check the receiver's URL"
        }
        if text.contains("handshake") || text.contains("certificate") {
            return "TLS with \(target) failed (\(text)) — check the receiver's certificate and URL"
        }
        return "cannot reach \(target): \(text)"
    }
}

/// Runs an `exec` receiver: the command with the alert JSON on standard input, killed when it
/// takes longer than the timeout. Exit status 0 is delivered; anything else is tried again.
public enum ExecTransport {
    /// The running command, shared by its termination handler and the timeout's timers.
    /// `@unchecked` for `Process` alone, which swift-corelibs-foundation does not mark
    /// `Sendable`: the timers only read its pid and call `terminate()`, which it allows from
    /// any thread; the flags are atomics.
    final class Box: @unchecked Sendable {
        let process = Process()
        let finished = Atomic<Bool>(false)
        let timedOut = Atomic<Bool>(false)
    }

    /// A command that exits without reading its input must not kill driftd with SIGPIPE.
    static let ignoreBrokenPipes: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    /// - Parameter withheld: variables the command must not see (the API token's, the
    ///   receivers' `secret_env` variables).
    public static func run(command: [String], input: [UInt8], timeout: Int64, withheld: Set<String> = []) async -> TransportResult {
        _ = ignoreBrokenPipes
        guard let program = command.first else { return TransportResult(statusCode: nil, outcome: .permanent(reason: "no command")) }
        let box = Box()
        let p = box.process
        if program.contains("/") {
            p.executableURL = URL(fileURLWithPath: program)
            p.arguments = Array(command.dropFirst())
        } else {
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = command
        }
        // The command gets driftd's environment without its secrets: the API token and every
        // variable a receiver's secret comes from stay in driftd.
        p.environment = ProcessInfo.processInfo.environment.filter { !withheld.contains($0.key) }
        let stdin = Pipe()
        p.standardInput = stdin
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        return await withCheckedContinuation { (continuation: CheckedContinuation<TransportResult, Never>) in
            p.terminationHandler = { process in
                box.finished.store(true, ordering: .releasing)
                let status = process.terminationStatus
                if box.timedOut.load(ordering: .acquiring) {
                    continuation.resume(returning: TransportResult(statusCode: nil, outcome: .retry(after: nil, reason: "timed out after \(timeout) ms")))
                } else if process.terminationReason == .exit && status == 0 {
                    continuation.resume(returning: TransportResult(statusCode: nil, outcome: .delivered))
                } else {
                    let how = process.terminationReason == .exit ? "exited with status \(status)" : "killed by signal \(status)"
                    continuation.resume(returning: TransportResult(statusCode: nil, outcome: .retry(after: nil, reason: "\(program) \(how)")))
                }
            }
            do {
                try p.run()
            } catch {
                continuation.resume(returning: TransportResult(statusCode: nil, outcome: .permanent(reason: "cannot run \(program): \(error)")))
                return
            }
            let handle = stdin.fileHandleForWriting
            DispatchQueue.global().async {
                // A command that exits without reading its input must not fail the write.
                try? handle.write(contentsOf: Data(input))
                try? handle.close()
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(clamping: timeout))) {
                guard !box.finished.load(ordering: .acquiring) else { return }
                box.timedOut.store(true, ordering: .releasing)
                box.process.terminate()
                // A command that ignores SIGTERM is killed after a grace as long as its timeout (at most 2 s).
                DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(clamping: Swift.min(timeout, 2_000)))) {
                    if !box.finished.load(ordering: .acquiring) { kill(box.process.processIdentifier, SIGKILL) }
                }
            }
        }
    }
}
