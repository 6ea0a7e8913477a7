import DriftCore
import DriftHTTP
import DriftTesting
import Foundation
import HTTPTypes
import Hummingbird
import Logging
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

extension RouterClient {
    /// The API over `store`, driven through its router: no socket, for every test where the
    /// network is not what is checked.
    static func serving(_ store: any OperatorStore, settings: APISettings, metrics: DriftMetrics? = nil,
                        logger: Logger = Logger(label: "driftd.http.test"),
                        _ body: @Sendable (RouterClient) async throws -> Void) async throws {
        let app = APIServer.application(store: store, settings: settings, metrics: metrics, logger: logger)
        try await app.test(.router) { client in try await body(RouterClient(client)) }
    }
}
