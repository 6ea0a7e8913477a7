import DriftCore
import DriftStore
import Foundation
import Logging

/// Settings of a running pruner; tests set the clock.
public struct PrunerOptions: Sendable {
    /// Seconds since 1970.
    public var clock: @Sendable () -> Double = { AlertStore.now }
    /// Where the pruner says what it pruned and what went wrong.
    public var logger = Logger(label: "driftd")
    /// Counts pruned rows by kind (`driftd_store_pruned_rows_total`).
    public var metrics: (any PruneObserver)?
    /// Items per transaction (window reports: half of it).
    public var batchSize = 1000
    public init() {}
}

/// Prunes the store beside the consume loop, on a thread of its own: pruning is blocking
/// SQLite work, and it must never sit on the commit path or on the cooperative pool the
/// notifier and the HTTP server share. It prunes at start and then every
/// `policy.interval`; each batch is its own short transaction, so a commit point waits for
/// one batch at most. `stop()` ends it between two batches.
///
/// `@unchecked`: its flags are guarded by one `NSCondition`, on which the pruner waits out
/// its interval (a timed wait `Mutex` cannot do); every access takes it.
public final class StorePruner: @unchecked Sendable {
    private let condition = NSCondition()
    private var stopping = false
    private var finished = false
    private var runs = 0

    /// Starts pruning; nil when the policy keeps everything.
    public static func start(store: AlertStore, policy: RetentionPolicy, options: PrunerOptions = PrunerOptions()) -> StorePruner? {
        guard policy.prunesAnything else { return nil }
        let pruner = StorePruner()
        Self.explainVacuum(store: store, logger: options.logger)
        let thread = Thread { pruner.loop(store: store, policy: policy, options: options) }
        thread.name = "driftd-pruner"
        thread.start()
        return pruner
    }

    /// Stops and waits until the pruner has let go of the store.
    public func stop() {
        requestStop()
        waitUntilFinished()
    }

    /// Asks the pruner to stop after the batch in hand; returns at once.
    public func requestStop() {
        condition.withLock {
            stopping = true
            condition.broadcast()
        }
    }

    /// Blocks until the pruner has stopped (after `requestStop()`) and let go of the store.
    public func waitUntilFinished() {
        condition.lock()
        while !finished { condition.wait() }
        condition.unlock()
    }

    /// Prunings completed so far (for tests).
    public var completedRuns: Int { condition.withLock { runs } }

    private var isStopping: Bool { condition.withLock { stopping } }

    private func loop(store: AlertStore, policy: RetentionPolicy, options: PrunerOptions) {
        while !isStopping {
            do {
                _ = try Self.pruneOnce(store: store, policy: policy, now: options.clock(), options: options, shouldStop: { self.isStopping })
            } catch {
                options.logger.error("pruning the store \(store.path) failed: \(error) — trying again in \(Retention.age(seconds: policy.interval))")
            }
            condition.lock()
            runs += 1
            if !stopping { _ = condition.wait(until: Date().addingTimeInterval(policy.interval)) }
            condition.unlock()
        }
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// One pruning, logged when it removed something and counted in the metrics: what
    /// `driftd run` does every interval and `driftd replay` once at its end.
    @discardableResult
    public static func pruneOnce(store: AlertStore, policy: RetentionPolicy, now: Double, options: PrunerOptions,
                                 shouldStop: () -> Bool = { false }) throws -> PruneReport {
        let before = store.fileSize()
        let report = try store.prune(policy: policy, now: now, batchSize: options.batchSize, shouldStop: shouldStop)
        options.metrics?.observe(pruned: report)
        if report.totalRows > 0 {
            let freed = before - store.fileSize()
            options.logger.notice("pruned \(report.summary) past their retention\(freed > 0 ? String(format: "; the store shrank by %.1f MB", Double(freed) / 1e6) : "")",
                                  metadata: ["store.path": "\(store.path)"])
        }
        return report
    }

    /// Says once, at start, when the store cannot shrink (`vacuumAdvice`).
    public static func explainVacuum(store: AlertStore, logger: Logger) {
        if let advice = vacuumAdvice(store: store) { logger.notice("\(advice)") }
    }

    /// Why a store created before stores used incremental auto_vacuum cannot shrink —
    /// pruned pages are reused for new rows (the file stops growing) but not given back —
    /// and how to shrink it once; nil for a store that shrinks.
    public static func vacuumAdvice(store: AlertStore) -> String? {
        guard (try? store.autoVacuumMode()) != .incremental, store.path != ":memory:" else { return nil }
        return "the store \(store.path) was created without incremental auto_vacuum: pruned pages are reused for new rows, "
            + "so it stops growing, but the file does not shrink; to shrink it once, stop driftd and run "
            + "sqlite3 \(store.path) 'PRAGMA auto_vacuum = INCREMENTAL; VACUUM;' (needs free space as large as the store)"
    }
}
