import DriftNotifier
import DriftNotify
import Foundation
import Testing

/// A failed delivery's error is stored per attempt and shown by `driftd alerts`: one sentence
/// an operator can act on, not a chain of NIO descriptions.
@Suite("Transport errors read as one sentence")
struct TransportErrorTests {
    @Test("a refused connection names the address and asks whether the receiver runs")
    func refusedConnection() async throws {
        let transport = HTTPTransport()
        let request = OutgoingRequest(url: "http://127.0.0.1:9/hook", headers: [:], body: Array("{}".utf8))
        let result = await transport.send(request, timeout: 5000, now: { 0 })
        await transport.shutdown()
        #expect(result.error == "connection refused by 127.0.0.1:9 — is the receiver running?")
    }
}
