import DriftTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization

/// The API driven through its router, without a socket (HummingbirdTesting's `.router`
/// framework): the same calls as `HTTPClient`, for tests where sockets do not matter.
final class RouterClient: Sendable {
    private let client: any TestClientProtocol
    private let recorded = Mutex<[Exchange]>([])
    var exchanges: [Exchange] { recorded.withLock { $0 } }

    init(_ client: any TestClientProtocol) { self.client = client }

    @discardableResult
    func request(_ method: String, _ path: String, headers: [String: String] = [:], body: String? = nil) async throws -> Exchange {
        var fields = HTTPFields()
        for (k, v) in headers { if let name = HTTPField.Name(k) { fields[name] = v } }
        let response = try await client.executeRequest(uri: path, method: HTTPRequest.Method(rawValue: method)!, headers: fields,
                                                       body: body.map { ByteBuffer(string: $0) })
        var responseHeaders: [String: String] = [:]
        for field in response.headers { responseHeaders[field.name.canonicalName.lowercased()] = field.value }
        let exchange = Exchange(method: method, path: path, status: Int(response.status.code),
                                contentType: response.headers[.contentType] ?? "", body: String(buffer: response.body), headers: responseHeaders)
        recorded.withLock { $0.append(exchange) }
        return exchange
    }

    func get(_ path: String) async throws -> Exchange { try await request("GET", path) }

    @discardableResult
    func json(_ path: String) async throws -> JSONValue {
        let x = try await get(path)
        guard x.status == 200 else { throw HTTPTestError("GET \(path): \(x.status) \(x.body)") }
        return try JSONValue.parse(x.body)
    }
}
