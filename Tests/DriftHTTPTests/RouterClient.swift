import DriftTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization

/// The API driven through its router, without a socket (HummingbirdTesting's `.router`
/// framework): the same calls as `HTTPClient`, for tests where sockets do not matter.
final class RouterClient: APIClient {
    private let client: any TestClientProtocol
    private let recorded = Mutex<[Exchange]>([])
    var exchanges: [Exchange] { recorded.withLock { $0 } }

    init(_ client: any TestClientProtocol) { self.client = client }

    @discardableResult
    func request(_ method: String, _ path: String, headers: [String: String], body: String?) async throws -> Exchange {
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
}
