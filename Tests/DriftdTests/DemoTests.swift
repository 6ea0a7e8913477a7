import DriftTestTraits
import DriftTesting
import Foundation
import Testing

/// `driftd demo`, shortened: it publishes, the daemon consumes everything, alerts fire, and
/// the store it leaves is readable by the other commands.
@Suite("driftd demo", .offThePool)
struct DemoTests {
    @Test("a short demo consumes what it published, fires alerts and leaves a readable store")
    func shortDemo() throws {
        let dir = try TemporaryDirectory()
        let run = try DriftdProcess.run(["demo", "--duration", "8", "--rate", "600", "--directory", dir.url.appendingPathComponent("demo").path,
                                         "--http", "127.0.0.1:0"])
        #expect(run.status == 0, "\(run.standardError)")
        let summary = try #require(run.standardOutput.split(separator: "\n").first { $0.hasPrefix("demo finished:") })
        let numbers = summary.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        #expect(numbers.count >= 4)
        #expect(numbers[0] > 3000 && numbers[0] == numbers[1], "everything published was consumed: \(summary)")
        #expect(run.standardOutput.contains("ALERT firing"))
        #expect(run.standardOutput.contains("dashboard: http://127.0.0.1:"), "the demo serves the dashboard and says where")
        let config = dir.url.appendingPathComponent("demo/driftd.yaml").path
        let alerts = try DriftdProcess.run(["alerts", "--config", config, "--format", "json"])
        #expect(alerts.status == 0)
        let list = try JSONValue.parse(alerts.standardOutput).array ?? []
        #expect(list.contains { $0["feature"]?.string == "country" }, "the new category is caught")

        // Nothing fires before the drift, whatever second the demo started in: the first,
        // partial window is not a traffic drop, and no feature pages on noise. The drift
        // starts half-way through publishing (4 s after the first record).
        let reports = try JSONValue.parse(try DriftdProcess.run(["report", "--config", config, "--model", "credit-risk", "--format", "json"]).standardOutput).array ?? []
        let firstEvents: [Double] = reports.compactMap { $0["first_event_time"]?.number }
        let firstEvent = try #require(firstEvents.min())
        let endOfWindow = Dictionary(reports.map { ($0["window_index"]!.number!, $0["end"]!.number!) }, uniquingKeysWith: { a, _ in a })
        for alert in list {
            for t in alert["transitions"]?.array ?? [] where t["kind"]?.string == "firing" {
                let end = try #require(endOfWindow[t["window"]!.number!])
                #expect(end > firstEvent + 4_000, "fired before the drift: \(alert["feature"]?.string ?? "-")/\(alert["rule"]?.string ?? "") in the window ending \(end)")
            }
        }
        #expect(reports.first?["coverage"]?.number.map { $0 > 0 && $0 <= 1 } == true)
    }
}
