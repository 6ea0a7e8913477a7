import DriftHTTP
import DriftTesting
import Foundation
import Logging
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One request and its response, as `scripts/validate-openapi` reads them.
struct Exchange: Codable {
    var method: String
    var path: String
    var status: Int
    var contentType: String
    var body: String
    var headers: [String: String]

    enum CodingKeys: String, CodingKey { case method, path, status, contentType = "content_type", body, headers }

    var json: JSONValue? { try? JSONValue.parse(body) }
}

/// Requests to a running server, each recorded for schema validation.
final class HTTPClient: @unchecked Sendable {
    let base: String
    private(set) var exchanges: [Exchange] = []
    private let session = URLSession(configuration: .ephemeral)

    init(_ handle: APIServerHandle) { base = handle.url }

    @discardableResult
    func request(_ method: String, _ path: String, headers: [String: String] = [:], body: String? = nil) async throws -> Exchange {
        var request = URLRequest(url: URL(string: base + path)!)
        request.httpMethod = method
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        if let body { request.httpBody = Data(body.utf8) }
        let (data, response) = try await session.data(for: request)
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for (k, v) in http.allHeaderFields { fields[String(describing: k).lowercased()] = String(describing: v) }
        let exchange = Exchange(method: method, path: path, status: http.statusCode, contentType: fields["content-type"] ?? "",
                                body: String(decoding: data, as: UTF8.self), headers: fields)
        exchanges.append(exchange)
        return exchange
    }

    func get(_ path: String) async throws -> Exchange { try await request("GET", path) }

    /// GET returning parsed JSON; records the exchange.
    func json(_ path: String) async throws -> JSONValue {
        let x = try await get(path)
        guard x.status == 200, let v = x.json else { throw HTTPTestError("GET \(path) → \(x.status): \(x.body.prefix(500))") }
        return v
    }
}

struct HTTPTestError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Log lines kept in memory, to check what the server logs.
final class CapturedLog: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.lock(); lines.append(line); lock.unlock() }
    var text: String { lock.lock(); defer { lock.unlock() }; return lines.joined(separator: "\n") }

    var logger: Logger {
        Logger(label: "driftd.http.test") { label in CapturingHandler(log: self) }
    }

    struct CapturingHandler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            log.append("\(event.level) \(event.message) \(metadata.merging(event.metadata ?? [:]) { $1 })")
        }
    }
}

/// Runs `scripts/validate-openapi` on the recorded exchanges; returns its output and status.
func validateAgainstOpenAPI(_ exchanges: [Exchange], document: String) throws -> (status: Int32, output: String) {
    let dir = try TemporaryDirectory()
    let doc = try dir.write("openapi.json", document)
    let encoder = JSONEncoder()
    let recorded = try dir.write("exchanges.json", String(decoding: try encoder.encode(exchanges), as: UTF8.self))
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", Fixtures.repositoryRoot.appendingPathComponent("scripts/validate-openapi").path, doc, recorded]
    let out = Pipe()
    process.standardOutput = out
    process.standardError = out
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
