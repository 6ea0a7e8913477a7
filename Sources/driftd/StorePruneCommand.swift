import DriftCore
import ArgumentParser
import DriftDaemon
import DriftStore
import Foundation

extension StoreCommand {
    /// `driftd store prune`: what a running daemon does every `retention.interval`, once, now.
    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete what the configuration's retention no longer keeps.",
            discussion: """
                Prunes as driftd run does every retention.interval: window reports, resolved alerts, \
                settled deliveries, dead letters and audit entries past their retention, in small \
                transactions (safe beside a running daemon). Alerts still firing, their history, \
                active baselines, model states and each model's newest report are never pruned. \
                --dry-run counts what would go and deletes nothing.
                """)
        @OptionGroup var options: ConfigOption
        @Flag(help: "Count what would be pruned; delete nothing.") var dryRun = false

        func run() throws {
            let (c, store) = try options.openStore()
            let policy = c.retention
            print("retention: " + RetentionKind.allCases.map { "\($0) \(policy[$0])" }.joined(separator: ", "))
            // The database file's size with its log checkpointed into it: the deletions
            // themselves pass through the log, which would make the store look bigger.
            func size() -> Int64 { try? store.checkpointLog(); return store.fileSize(includingLog: false) }
            let before = size()
            let report = try store.prune(policy: policy, now: AlertStore.now, dryRun: dryRun)
            if dryRun {
                print("would prune \(report.summary) (\(report.totalRows) rows); nothing deleted")
                return
            }
            let after = size()
            print("pruned \(report.summary) (\(report.totalRows) rows); store \(c.storePath): " +
                  String(format: "%.1f MB → %.1f MB", Double(before) / 1e6, Double(after) / 1e6))
            if let advice = StorePruner.vacuumAdvice(store: store) { print("note: " + advice) }
            if report.totalRows > 0 { try store.recordPrune(report, actor: operatorName) }
        }
    }
}
