import DriftCore
import DriftHTTP
import DriftStore
import DriftTestTraits
import DriftTesting
import Foundation
import HummingbirdTesting
import Testing

/// API defects a new user met (issue 13 §1): ambiguous bodies, HEAD and OPTIONS, the token hint.
@Suite("HTTP API as a new user meets it", .serialized, .offThePool)
struct NewUserAPITests {
    static let token = "new-user-token-\(UUID().uuidString)"
    static let auth = ["Authorization": "Bearer " + token, "Content-Type": "application/json"]

    /// The API over an empty store, driven through its router (no socket: nothing here is
    /// about the network).
    static func withServer(_ settings: APISettings, _ body: @Sendable (RouterClient) async throws -> Void) async throws {
        try await RouterClient.serving(try AlertStore(inMemory: ()), settings: settings, metrics: DriftMetrics(), body)
    }

    @Test("a silence gives exactly one of duration_seconds and ends_at")
    func silenceEnd() async throws {
        try await Self.withServer(APISettings(token: BearerToken(Self.token))) { client in
            let both = try await client.request("POST", "/api/v1/silences", headers: Self.auth,
                                                body: #"{"matchers": ["model=shop"], "by": "dan", "duration_seconds": 60, "ends_at": "2099-01-01T00:00:00Z"}"#)
            #expect(both.status == 400, "\(both.body)")
            #expect(both.json?["error"]?["message"]?.string?.contains("not both") == true, "\(both.body)")
            let one = try await client.request("POST", "/api/v1/silences", headers: Self.auth,
                                               body: #"{"matchers": ["model=shop"], "by": "dan", "duration_seconds": 60}"#)
            #expect(one.status == 201)
        }
    }

    @Test("an unknown route answers 404 in the API's error shape with the way on; /api/v1 lists every operation of the document")
    func unknownRoutesAndTheIndex() async throws {
        try await Self.withServer(APISettings()) { client in
            for path in ["/nope", "/api/v1/nope", "/api/v1/models/shop/nope/deeper"] {
                let missing = try await client.get(path)
                #expect(missing.status == 404)
                #expect(missing.json?["error"]?["message"]?.string?.contains("no route GET \(path)") == true, "\(missing.body)")
                #expect(missing.json?["error"]?["message"]?.string?.contains("/api/v1/openapi.json") == true)
            }
            let document = try JSONValue.parse(try await client.get("/api/v1/openapi.json").body)
            var operations: [String] = []
            for (path, item) in document["paths"]?.object ?? [:] {
                for method in item.object?.keys ?? [:].keys { operations.append("\(method.uppercased()) \(path)") }
            }
            for root in ["/api/v1", "/api/v1/"] {
                let index = try await client.json(root)
                #expect(Set(index["endpoints"]?.array?.compactMap(\.string) ?? []) == Set(operations), "\(root) lists the document's operations")
                #expect(index["openapi"]?.string == "/api/v1/openapi.json")
            }
        }
    }

    @Test("a body with a key twice is refused, naming the key")
    func duplicateKeys() async throws {
        try await Self.withServer(APISettings(token: BearerToken(Self.token))) { client in
            let twice = try await client.request("POST", "/api/v1/silences", headers: Self.auth,
                                                 body: #"{"matchers": ["model=shop"], "by": "dan", "by": "eve", "duration_seconds": 60}"#)
            #expect(twice.status == 400)
            #expect(twice.json?["error"]?["message"]?.string?.contains("'by'") == true, "\(twice.body)")
        }
    }

    @Test("HEAD answers like GET without a body; OPTIONS answers 204 with Allow")
    func headAndOptions() async throws {
        try await Self.withServer(APISettings()) { client in
            let head = try await client.request("HEAD", "/healthz")
            #expect(head.status == 200 && head.body.isEmpty)
            let options = try await client.request("OPTIONS", "/api/v1/alerts")
            #expect(options.status == 204)
            #expect(options.headers["allow"]?.contains("GET") == true, "\(options.headers)")
        }
    }

    @Test("with token_env set but the variable not exported, a 401 names the variable to export")
    func tokenHint() async throws {
        try await Self.withServer(APISettings(token: nil, tokenVariable: "DRIFTD_TOKEN")) { client in
            let refused = try await client.request("POST", "/api/v1/silences", body: "{}")
            #expect(refused.status == 401)
            let message = refused.json?["error"]?["message"]?.string ?? ""
            #expect(message.contains("export DRIFTD_TOKEN") && !message.contains("set http.token_env"), "\(message)")
        }
    }
}
