import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One request and its response, as `scripts/validate-openapi` reads them.
public struct Exchange: Codable, Sendable {
    public var method: String
    public var path: String
    public var status: Int
    public var contentType: String
    public var body: String
    public var headers: [String: String]

    public init(method: String, path: String, status: Int, contentType: String, body: String, headers: [String: String]) {
        self.method = method; self.path = path; self.status = status; self.contentType = contentType; self.body = body; self.headers = headers
    }

    enum CodingKeys: String, CodingKey { case method, path, status, contentType = "content_type", body, headers }

    public var json: JSONValue? { try? JSONValue.parse(body) }
}

/// A client of driftd's API that records every exchange (for schema validation): over a
/// socket (`HTTPClient`) or through the router alone (the HTTP tests' `RouterClient`). Each
/// makes requests; `get` and `json` are the same for both.
public protocol APIClient: Sendable {
    @discardableResult
    func request(_ method: String, _ path: String, headers: [String: String], body: String?) async throws -> Exchange
    var exchanges: [Exchange] { get }
}

extension APIClient {
    @discardableResult
    public func request(_ method: String, _ path: String, headers: [String: String] = [:], body: String? = nil) async throws -> Exchange {
        try await request(method, path, headers: headers, body: body)
    }

    public func get(_ path: String) async throws -> Exchange { try await request("GET", path, headers: [:], body: nil) }

    /// GET returning parsed JSON; records the exchange.
    @discardableResult
    public func json(_ path: String) async throws -> JSONValue {
        let x = try await get(path)
        guard x.status == 200, let v = x.json else { throw HTTPTestError("GET \(path) → \(x.status): \(x.body.prefix(500))") }
        return v
    }
}

/// Requests to a running server, each recorded for schema validation.
public final class HTTPClient: APIClient {
    public let base: String
    private let recorded = Mutex<[Exchange]>([])
    /// Every exchange so far, in order.
    public var exchanges: [Exchange] { recorded.withLock { $0 } }
    private let session = URLSession(configuration: .ephemeral)

    /// - Parameter base: e.g. `http://127.0.0.1:8080`.
    public init(_ base: String) { self.base = base }

    @discardableResult
    public func request(_ method: String, _ path: String, headers: [String: String], body: String?) async throws -> Exchange {
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
        recorded.withLock { $0.append(exchange) }
        return exchange
    }
}

public struct HTTPTestError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

/// Runs `scripts/validate-openapi` on the recorded exchanges; returns its output and status.
public func validateAgainstOpenAPI(_ exchanges: [Exchange], document: String) throws -> (status: Int32, output: String) {
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
    let data = PipeReading.readToEnd(out.fileHandleForReading)
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
