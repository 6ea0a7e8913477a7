import ArgumentParser
import DriftCore
import DriftStore
import Foundation

/// The audit log as an auditor reads it: who acknowledged, resolved, annotated or silenced
/// alerts, fitted or activated baselines, and pruned the store — filtered, newest first.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Show the audit log, newest first: operator actions, baselines fitted and activated, pruning.")
    @OptionGroup var options: ConfigOption
    @Option(help: "Only this actor's entries.") var actor: String?
    @Option(help: "Only actions starting with this, e.g. alert. or baseline.fit.") var action: String?
    @Option(help: "From this long ago (e.g. 24h, 7d) or this RFC 3339 time on.") var since: String?
    @Option(help: "At most this many.") var limit: Int = 100
    @Option(help: "table or json.") var format: OutputFormat = .table
    @OptionGroup var time: TimeZoneOption

    func validate() throws {
        guard limit >= 1 else { throw ValidationError("--limit must be at least 1, got \(limit)") }
    }

    /// `--since` as seconds since 1970: a duration back from now, or an RFC 3339 time.
    static func start(_ text: String, now: Double) throws -> Double {
        if let date = try? Date(text, strategy: .iso8601) { return date.timeIntervalSince1970 }
        do { return now - Double(try DurationText.milliseconds(text, option: "--since")) / 1000 } catch {
            throw ValidationError("--since: expected a duration such as 24h or 7d, or an RFC 3339 time such as 2026-12-01T00:00:00Z, got '\(text)'")
        }
    }

    func run() throws {
        let (_, store) = try options.openStore()
        let since = try self.since.map { try Self.start($0, now: AlertStore.now) }
        let page = try store.snapshot { try $0.auditPage(actor: actor, action: action, since: since, limit: limit, offset: 0) }
        switch format {
        case .json:
            print(JSONWriter.write(page.items.map { e -> [String: Any?] in
                ["at": Date(timeIntervalSince1970: e.at).formatted(.iso8601), "actor": e.actor, "action": e.action, "detail": e.detail]
            }))
        case .table:
            if page.items.isEmpty { print("no audit entries" + (actor != nil || action != nil || since != nil ? " match" : " yet")); return }
            var rows = [["at", "actor", "action", "detail"]]
            for e in page.items { rows.append([Timestamps.text(seconds: e.at, zone: time.zone), e.actor, e.action, e.detail]) }
            print(TextTable.render(rows))
            if page.total > page.items.count { print("(\(page.items.count) of \(page.total); --limit shows more)") }
        }
    }
}
