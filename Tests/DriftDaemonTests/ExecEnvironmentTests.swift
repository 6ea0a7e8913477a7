import DriftNotifier
import DriftNotify
import DriftTesting
import Foundation
import Testing

/// An exec receiver runs a program of the operator's choosing: it gets the alert on standard
/// input and driftd's environment, but never driftd's secrets.
@Suite("exec receivers and secrets")
struct ExecEnvironmentTests {
    @Test("the command sees the alert and ordinary variables, not the withheld secrets")
    func secretsWithheld() async throws {
        setenv("DRIFTD_TEST_API_TOKEN", "token-value", 1)
        setenv("DRIFTD_TEST_ORDINARY", "ordinary-value", 1)
        let dir = try TemporaryDirectory()
        let out = dir.url.appendingPathComponent("env.txt").path
        let script = "cat > '\(out)'; echo >> '\(out)'; echo \"token=${DRIFTD_TEST_API_TOKEN:-unset} ordinary=${DRIFTD_TEST_ORDINARY:-unset}\" >> '\(out)'"
        let result = await ExecTransport.run(command: ["sh", "-c", script], input: Array(#"{"status":"firing"}"#.utf8), timeout: 5_000,
                                             withheld: ["DRIFTD_TEST_API_TOKEN"])
        #expect(result.outcome == .delivered)
        let text = try String(contentsOfFile: out, encoding: .utf8)
        #expect(text.contains(#"{"status":"firing"}"#))
        #expect(text.contains("token=unset"), "\(text)")
        #expect(text.contains("ordinary=ordinary-value"), "\(text)")
    }
}
