import DriftStats

/// The accumulated values of one pane (the smallest slice of a window) of one model.
public struct PaneState: Sendable, Codable, Equatable {
    public var numeric: [NumericAccumulator]
    public var categorical: [CategoryCounts]
    public var categoricalTypeErrors: [UInt64]
    public var records: Int64 = 0
    public var performance = BlockedMoments.zero
    /// Binary classification: TN, FP, FN, TP; and the sum and count of log losses (or, for
    /// a regression, of squared errors).
    public var confusion: [UInt64]?
    public var secondarySum: Double?
    public var secondaryCount: UInt64?
    public var firstEventTime: Int64?
    public var lastEventTime: Int64?

    public func merged(with o: PaneState) -> PaneState {
        var r = self
        for k in r.numeric.indices { r.numeric[k].merge(o.numeric[k]) }
        for k in r.categorical.indices { r.categorical[k].merge(o.categorical[k]) }
        for k in r.categoricalTypeErrors.indices { r.categoricalTypeErrors[k] += o.categoricalTypeErrors[k] }
        r.records += o.records
        r.performance = r.performance.merged(with: o.performance)
        if let c = o.confusion { r.confusion = zip(r.confusion ?? [0, 0, 0, 0], c).map { $0 + $1 } }
        if let sum = o.secondarySum { r.secondarySum = (r.secondarySum ?? 0) + sum; r.secondaryCount = (r.secondaryCount ?? 0) + (o.secondaryCount ?? 0) }
        r.firstEventTime = [firstEventTime, o.firstEventTime].compactMap { $0 }.min()
        r.lastEventTime = [lastEventTime, o.lastEventTime].compactMap { $0 }.max()
        return r
    }
}

/// What a model monitor must remember across a restart: its open panes and its progress.
public struct ModelMonitorState: Sendable, Codable, Equatable {
    public var panes: [Int64: PaneState] = [:]
    /// Count windows: records accumulated so far.
    public var recordsSeen: Int64 = 0
    /// Event time: the newest event seen, and the end of the last closed window (earlier
    /// events are late).
    public var maxEventTime: Int64?
    public var lateBoundary: Int64?
    /// The next window to close (nil until the first record).
    public var nextWindow: Int64?
    /// Late records since the last window closed.
    public var lateRecords: Int64 = 0
    /// Wall-clock time (ms) of the last record, for idle closing.
    public var lastArrival: Int64?
    /// Event time of the model's first record since a start, restart, source switch or idle
    /// gap: windows count expected volume only from here (nil until that record).
    public var liveSince: Int64?
    /// Records stamped far from the stream's time, held until later records confirm the
    /// jump (or given up as dead letters). Kept with the state, so a restart holds them too.
    public var suspects: [SuspectRecord]?
    /// The baseline the panes were accumulated against: a state is only restored into a
    /// monitor of the same baseline (pane layouts differ between baselines).
    public var baselineVersion: String?
    public init() {}
}

/// A decoded record whose timestamp jumped far from its model's stream: its values, held
/// aside so that one wild clock cannot move the model's time.
public struct SuspectRecord: Sendable, Codable, Equatable {
    public var eventTime: Int64
    public var numeric: [Double]
    public var categorical: [Int32]
    public var performance: Double
    public var outcomeCell: Int8?
    public var secondary: Double?
    public var position: SourcePosition
    /// The model's records accepted since this one was held.
    public var heldFor: Int
}

/// A record the monitor gave up on: its timestamp jumped and no later record confirmed it.
public struct SkewedRecord: Sendable, Equatable {
    public var position: SourcePosition
    public var reason: String
    /// The decoded values, as JSON (the raw bytes are gone by the time it is judged).
    public var payload: [UInt8]
}

/// One model's windows: accumulates decoded batches into panes and closes windows into
/// reports. Pure: time arrives as a parameter.
public struct ModelMonitor: Sendable {
    public let baseline: Baseline
    public let configuration: WindowConfiguration
    /// How the model's windows decide (multiple testing, clear, labels).
    public let policy: DecisionPolicy
    public let schema: ModelSchema
    let numericProfiles: [NumericReferenceProfile]
    let categoricalProfiles: [CategoricalReferenceProfile]
    public var state = ModelMonitorState()
    /// Records given up since the last ``takeSkewed()``, for the dead letters.
    public private(set) var skewed: [SkewedRecord] = []

    public init(baseline: Baseline, configuration: WindowConfiguration, policy: DecisionPolicy = .default) {
        self.baseline = baseline
        self.configuration = configuration
        self.policy = policy
        self.schema = ModelSchema(baseline: baseline)
        var numeric: [NumericReferenceProfile] = [], categorical: [CategoricalReferenceProfile] = []
        for f in baseline.features {
            switch f.profile {
            case .numeric(let p): numeric.append(p)
            case .categorical(let p): categorical.append(p)
            }
        }
        numericProfiles = numeric
        categoricalProfiles = categorical
        state.baselineVersion = baseline.version
    }

    var emptyPane: PaneState {
        PaneState(numeric: numericProfiles.map(\.emptyAccumulator),
                  categorical: categoricalProfiles.map { .zero(categoryCount: $0.slotCount) },
                  categoricalTypeErrors: Array(repeating: 0, count: categoricalProfiles.count))
    }

    /// Accumulates a batch; returns the reports of the windows it closed, in order.
    /// - Parameters:
    ///   - now: wall-clock time in ms (ingest time of records without `ts`).
    ///   - live: records come from a live stream (`driftd run`), so a timestamp far ahead of
    ///     the wall clock is wrong, not history.
    public mutating func add(_ batch: ColumnarBatch, now: Int64, live: Bool = false) -> [WindowReport] {
        guard batch.rowCount > 0 else { return [] }
        guard batch.isSealed else { var sealed = batch; sealed.seal(); return add(sealed, now: now, live: live) }
        state.lastArrival = now
        var reports: [WindowReport] = []
        switch configuration.basis {
        case .count: addByCount(batch, into: &reports)
        case .eventTime:
            if hasSkew(batch, now: now, live: live) {
                addGuarded(batch, now: now, live: live, into: &reports)
            } else {
                addByEventTime(batch, now: now, into: &reports)
                ageSuspects(by: batch.rowCount)
            }
        }
        return reports
    }

    /// Records given up on since the last call (unconfirmed jumps, future timestamps).
    public mutating func takeSkewed() -> [SkewedRecord] {
        defer { skewed = [] }
        return skewed
    }

    /// How far a record may jump from the model's newest event before it is held as suspect.
    var maximumJump: Int64 { configuration.maximumJumpMilliseconds }

    /// Whether any row of the batch needs the guard (the common case, none, costs one pass
    /// over the event times).
    private func hasSkew(_ batch: ColumnarBatch, now: Int64, live: Bool) -> Bool {
        if !(state.suspects ?? []).isEmpty { return true }
        var newest = state.maxEventTime
        let futureLimit = live ? now + configuration.maximumFutureSkewMilliseconds : Int64.max
        for row in 0..<batch.rowCount {
            let t = eventTime(batch, row: row, now: now)
            if t > futureLimit { return true }
            if let w = newest {
                if t > w + maximumJump { return true }
                if state.lateBoundary == nil && t < w - maximumJump { return true }
            }
            newest = Swift.max(newest ?? t, t)
        }
        return false
    }

    /// The batch row by row: a record far ahead of (or, before any window closed, far
    /// behind) the stream is held; enough held records near each other confirm a real jump
    /// and are accumulated then; the others are given up after `suspectPatience` records.
    private mutating func addGuarded(_ batch: ColumnarBatch, now: Int64, live: Bool, into reports: inout [WindowReport]) {
        var run = ColumnarBatch(schema: schema)
        var runNewest: Int64? = nil
        func flushRun(_ monitor: inout ModelMonitor) {
            guard run.rowCount > 0 else { return }
            monitor.addByEventTime(run, now: now, into: &reports)
            monitor.ageSuspects(by: run.rowCount)
            run.removeAll()
            runNewest = nil
        }
        let futureLimit = live ? now + configuration.maximumFutureSkewMilliseconds : Int64.max
        for row in 0..<batch.rowCount {
            let t = eventTime(batch, row: row, now: now)
            let suspect = Self.suspect(of: batch, row: row, eventTime: t)
            if t > futureLimit {
                flushRun(&self)
                skewed.append(giveUp(suspect, reason: "timestamp \(Self.describe(t)) is \(Self.duration(t - now)) ahead of the wall clock (more than max_future_skew \(Self.duration(configuration.maximumFutureSkewMilliseconds))): fix the producer's clock"))
                continue
            }
            // The stream's newest event so far: what was accumulated, and this run.
            let newest = [state.maxEventTime, runNewest].compactMap { $0 }.max()
            let jumps = newest.map { w in t > w + maximumJump || (state.lateBoundary == nil && t < w - maximumJump) } ?? false
            guard jumps else { run.append(suspect); runNewest = Swift.max(runNewest ?? t, t); continue }
            flushRun(&self)
            var held = state.suspects ?? []
            held.append(suspect)
            let near = held.indices.filter { Swift.abs(held[$0].eventTime - t) <= maximumJump }
            if near.count >= Self.confirmingRecords {
                // The stream really moved: its records count, in the order they came.
                var confirmed = ColumnarBatch(schema: schema)
                for k in near { confirmed.append(held[k]) }
                state.suspects = held.enumerated().filter { !near.contains($0.offset) }.map(\.element)
                addByEventTime(confirmed, now: now, into: &reports)
            } else {
                state.suspects = held
            }
        }
        flushRun(&self)
    }

    /// Held records close to one another that confirm a jump of the stream's time.
    public static let confirmingRecords = 3
    /// Accepted records after which a held one is given up.
    public static let suspectPatience = 100

    private mutating func ageSuspects(by rows: Int) {
        guard var held = state.suspects, !held.isEmpty else { return }
        for k in held.indices { held[k].heldFor += rows }
        for s in held where s.heldFor >= Self.suspectPatience {
            let newest = state.maxEventTime ?? s.eventTime
            let ahead = s.eventTime >= newest
            skewed.append(giveUp(s, reason: "timestamp \(Self.describe(s.eventTime)) is \(Self.duration(Swift.abs(s.eventTime - newest))) \(ahead ? "ahead of" : "behind") the model's stream (newest event \(Self.describe(newest))) and no later record confirmed the jump: check the producer's clock"))
        }
        held.removeAll { $0.heldFor >= Self.suspectPatience }
        state.suspects = held.isEmpty ? nil : held
    }

    /// At the end of a finite input nothing more can confirm what is held.
    mutating func giveUpSuspects() {
        guard let held = state.suspects else { return }
        for s in held {
            let newest = state.maxEventTime ?? s.eventTime
            skewed.append(giveUp(s, reason: "timestamp \(Self.describe(s.eventTime)) is \(Self.duration(Swift.abs(s.eventTime - newest))) away from the model's stream (newest event \(Self.describe(newest))) and the input ended before any record confirmed the jump: check the producer's clock"))
        }
        state.suspects = nil
    }

    static func suspect(of batch: ColumnarBatch, row: Int, eventTime t: Int64) -> SuspectRecord {
        SuspectRecord(eventTime: t, numeric: batch.numeric.map { $0[row] }, categorical: batch.categorical.map { $0[row] },
                      performance: batch.performance[row], outcomeCell: batch.outcomeCell[row], secondary: batch.secondary[row],
                      position: batch.positions[row], heldFor: 0)
    }

    private func giveUp(_ s: SuspectRecord, reason: String) -> SkewedRecord {
        var json = "{\"model\":\(JSONText.string(baseline.model)),\"ts\":\(s.eventTime),\"features\":{"
        var fields: [String] = []
        for (k, name) in schema.numericFeatures.enumerated() where !s.numeric[k].isNaN {
            fields.append("\(JSONText.string(name)):\(s.numeric[k].isFinite ? "\(s.numeric[k])" : "null")")
        }
        for (k, name) in schema.categoricalFeatures.enumerated() where s.categorical[k] >= 0 {
            let slot = Int(s.categorical[k])
            if case .categorical(let p)? = baseline.feature(named: name)?.profile {
                fields.append("\(JSONText.string(name)):\(JSONText.string(slot < p.categories.count ? p.categories[slot] : slot == p.otherSlot ? "(other)" : "(unseen)"))")
            }
        }
        json += fields.joined(separator: ",") + "}}"
        return SkewedRecord(position: s.position, reason: reason, payload: Array(json.utf8))
    }

    /// Epoch ms as RFC 3339 UTC, for messages.
    static func describe(_ ms: Int64) -> String { RFC3339.format(milliseconds: ms) }

    static func duration(_ ms: Int64) -> String {
        let s = Double(Swift.abs(ms)) / 1000
        if s >= 86_400 { return "\((s / 86_400 * 10).rounded() / 10) days" }
        if s >= 3_600 { return "\((s / 3_600 * 10).rounded() / 10) hours" }
        if s >= 60 { return "\((s / 60 * 10).rounded() / 10) minutes" }
        return "\((s * 10).rounded() / 10) s"
    }

    private mutating func addByCount(_ batch: ColumnarBatch, into reports: inout [WindowReport]) {
        if state.nextWindow == nil { state.nextWindow = 0 }
        var row = 0
        while row < batch.rowCount {
            let seq = state.recordsSeen
            let pane = configuration.pane(of: seq)
            let boundary = (pane + 1) * configuration.paneSize
            let run = Swift.min(batch.rowCount - row, Int(boundary - seq))
            // A count window still says when its records happened (those that carry a
            // timestamp), so reports and exports can place it in time.
            var first = Int64.max, last = Int64.min
            for r in row..<(row + run) where batch.eventTime[r] != Int64.min {
                first = Swift.min(first, batch.eventTime[r])
                last = Swift.max(last, batch.eventTime[r])
            }
            accumulate(batch, rows: row..<(row + run), pane: pane, eventTimes: first <= last ? (first, last) : nil)
            state.recordsSeen += Int64(run)
            row += run
            closeWindows(endingBy: state.recordsSeen, into: &reports)
        }
    }

    private mutating func addByEventTime(_ batch: ColumnarBatch, now: Int64, into reports: inout [WindowReport]) {
        var row = 0
        while row < batch.rowCount {
            let t = eventTime(batch, row: row, now: now)
            if let boundary = state.lateBoundary, t < boundary {
                state.lateRecords += 1
                row += 1
                continue
            }
            if state.liveSince == nil { state.liveSince = t }
            let (pane, paneStart, paneEnd) = configuration.paneBounds(containing: t)
            let first = configuration.firstWindow(containing: t)
            if state.nextWindow == nil || (state.lateBoundary == nil && first < state.nextWindow!) { state.nextWindow = first }
            // A run: rows of the same pane, ended at the row whose event time lets the
            // watermark close a window, so windows close at the same record however the
            // stream was batched.
            let closeAt = configuration.end(ofWindow: state.nextWindow!) + configuration.allowedLatenessMilliseconds
            var newest = Swift.max(state.maxEventTime ?? t, t)
            var low = t, high = t
            var end = row + 1
            while end < batch.rowCount && newest < closeAt {
                let u = eventTime(batch, row: end, now: now)
                if u < paneStart || u >= paneEnd || (state.lateBoundary.map { u < $0 } ?? false) { break }
                newest = Swift.max(newest, u)
                low = Swift.min(low, u); high = Swift.max(high, u)
                end += 1
            }
            accumulate(batch, rows: row..<end, pane: pane, eventTimes: (low, high))
            state.maxEventTime = newest
            row = end
            closeWindows(endingBy: newest - configuration.allowedLatenessMilliseconds, into: &reports)
        }
    }

    @inline(__always) private func eventTime(_ batch: ColumnarBatch, row: Int, now: Int64) -> Int64 {
        let t = batch.eventTime[row]
        return t == Int64.min ? now : t
    }

    private mutating func accumulate(_ batch: ColumnarBatch, rows: Range<Int>, pane: Int64, eventTimes: (Int64, Int64)? = nil) {
        let numericCount = numericProfiles.count
        let numericProfiles = self.numericProfiles, categoricalProfiles = self.categoricalProfiles
        modifyPane(pane) { p in
            for k in 0..<numericCount {
                batch.numeric[k].withUnsafeBufferPointer { column in
                    p.numeric[k].add(UnsafeBufferPointer(rebasing: column[rows]), profile: numericProfiles[k])
                }
                let errors = batch.typeErrors.isEmpty ? 0 : batch.typeErrorCount(feature: k, rows: rows)
                if errors > 0 { p.numeric[k].addTypeErrors(UInt64(errors)) }
            }
            for k in 0..<categoricalProfiles.count {
                batch.categorical[k].withUnsafeBufferPointer { column in
                    p.categorical[k].add(UnsafeBufferPointer(rebasing: column[rows]))
                }
                let errors = batch.typeErrors.isEmpty ? 0 : batch.typeErrorCount(feature: numericCount + k, rows: rows)
                p.categoricalTypeErrors[k] += UInt64(errors)
            }
            batch.performance.withUnsafeBufferPointer { p.performance.add(UnsafeBufferPointer(rebasing: $0[rows])) }
            Self.addOutcomes(batch, rows: rows, to: &p)
            p.records += Int64(rows.count)
            if let (first, last) = eventTimes {
                p.firstEventTime = Swift.min(p.firstEventTime ?? first, first)
                p.lastEventTime = Swift.max(p.lastEventTime ?? last, last)
            }
        }
    }

    /// Confusion counts and log losses (or squared errors) of labelled rows; nothing is
    /// stored for a model whose records carry no labels.
    static func addOutcomes(_ batch: ColumnarBatch, rows: Range<Int>, to p: inout PaneState) {
        var confusion = p.confusion, sum = p.secondarySum, count = p.secondaryCount
        for row in rows {
            let cell = batch.outcomeCell[row]
            if cell >= 0 {
                if confusion == nil { confusion = [0, 0, 0, 0] }
                confusion![Int(cell)] += 1
            }
            let extra = batch.secondary[row]
            if !extra.isNaN { sum = (sum ?? 0) + extra; count = (count ?? 0) + 1 }
        }
        p.confusion = confusion; p.secondarySum = sum; p.secondaryCount = count
    }

    /// Changes a pane outside the dictionary's modify accessor: the kernels use stack
    /// temporaries, which must not live inside that accessor's coroutine frame (debug builds
    /// corrupted the stack that way). Taking the value out and back is a move, not a copy.
    private mutating func modifyPane(_ pane: Int64, _ body: (inout PaneState) -> Void) {
        // An empty pane is built only when the pane is new.
        var p = state.panes.removeValue(forKey: pane) ?? emptyPane
        body(&p)
        state.panes[pane] = p
    }


    /// Most empty windows reported in a row; a longer gap (a silent model over a long
    /// outage, or a wild timestamp) is jumped over to the next window with records.
    public static let maximumEmptyWindowsInARow = 1000

    /// Closes every window whose end is at or before `limit`.
    private mutating func closeWindows(endingBy limit: Int64, into reports: inout [WindowReport]) {
        var empty = 0
        while let k = state.nextWindow, configuration.end(ofWindow: k) <= limit {
            let firstPane = configuration.firstPane(ofWindow: k)
            let hasRecords = state.panes.keys.contains { $0 >= firstPane && $0 < firstPane + configuration.panesPerWindow }
            empty = hasRecords ? 0 : empty + 1
            if empty > Self.maximumEmptyWindowsInARow {
                // Jump to the first window that holds records (or that ends by the limit).
                let nextPane = state.panes.keys.filter { $0 >= firstPane }.min()
                let target = nextPane.map { configuration.firstWindow(containingPane: $0) }
                    ?? (configuration.calendar == nil ? configuration.firstWindow(containing: limit - configuration.size)
                                                      : configuration.firstWindow(containing: limit) - 1)
                state.nextWindow = Swift.max(k + 1, target)
                empty = 0
                continue
            }
            reports.append(closeWindow(k))
        }
    }

    /// After a restart, silence is counted from now, not from the last record before the
    /// downtime (or the backlog would arrive late).
    public mutating func noteRestart(now: Int64) {
        if let last = state.lastArrival { state.lastArrival = Swift.max(last, now) }
    }

    private mutating func closeWindow(_ k: Int64) -> WindowReport {
        let c = configuration
        let firstPane = c.firstPane(ofWindow: k)
        var merged = emptyPane
        for p in firstPane..<(firstPane + c.panesPerWindow) {
            if let pane = state.panes[p] { merged = merged.merged(with: pane) }
        }
        // Panes before the next window's first are no longer needed.
        let keepFrom = c.firstPane(ofWindow: k + 1)
        for p in state.panes.keys where p < keepFrom { state.panes[p] = nil }
        state.nextWindow = k + 1
        // Later records are late when they fall before the panes still kept (the next
        // window's start): for tumbling windows that is this window's end.
        if c.basis == .eventTime { state.lateBoundary = c.start(ofWindow: k + 1) }
        let late = state.lateRecords
        state.lateRecords = 0
        return report(window: k, merged, lateRecords: late)
    }

    /// Closes windows on wall-clock silence (event time): as if event time had advanced by
    /// the idle period, so that a model whose traffic stops is still reported.
    public mutating func closeIdle(now: Int64) -> [WindowReport] {
        guard configuration.basis == .eventTime, let idle = configuration.idleCloseMilliseconds,
              let last = state.lastArrival, let newest = state.maxEventTime, now - last >= idle else { return [] }
        var reports: [WindowReport] = []
        closeWindows(endingBy: newest + (now - last) - configuration.allowedLatenessMilliseconds, into: &reports)
        // The stream went silent: when it comes back, coverage starts at its first record.
        if !reports.isEmpty { state.liveSince = nil }
        return reports
    }

    /// At the end of a finite input: event-time windows up to the newest event close (the
    /// lateness allowance no longer matters); a partial window stays open.
    public mutating func closeAtEndOfInput() -> [WindowReport] {
        giveUpSuspects()
        guard configuration.basis == .eventTime, let newest = state.maxEventTime else { return [] }
        var reports: [WindowReport] = []
        closeWindows(endingBy: newest + 1, into: &reports)
        return reports
    }

    func report(window k: Int64, _ pane: PaneState, lateRecords: Int64) -> WindowReport {
        let minimum = UInt64(configuration.minimumSamples)
        var features: [FeatureReport] = []
        var n = 0, c = 0
        for f in baseline.features {
            switch f.profile {
            case .numeric(let profile):
                let stats = NumericDriftStatistics.compute(pane.numeric[n], profile: profile)
                n += 1
                features.append(FeatureReport(name: f.name, kind: .numeric, numeric: stats, categorical: nil,
                                              baselineMissingRate: profile.quality.missingRate,
                                              status: stats.count < minimum ? .insufficientData : .ok))
            case .categorical(let profile):
                var stats = CategoricalDriftStatistics.compute(pane.categorical[c], profile: profile)
                let typeErrors = pane.categoricalTypeErrors[c]
                if typeErrors > 0 { stats.missingRate = Swift.max(0, stats.missingRate - Double(typeErrors) / Double(Swift.max(pane.records, 1))) }
                c += 1
                let baselineMissing = Double(profile.counts[profile.missingSlot]) / Double(Swift.max(profile.counts.reduce(0, +), 1))
                features.append(FeatureReport(name: f.name, kind: .categorical, numeric: nil, categorical: stats,
                                              baselineMissingRate: baselineMissing,
                                              status: stats.count < minimum ? .insufficientData : .ok))
            }
        }
        var expected: Double? = nil, coverage: Double? = nil, volumePValue: Double? = nil
        if configuration.basis == .eventTime {
            let start = configuration.start(ofWindow: k), end = configuration.end(ofWindow: k)
            let covered = Swift.max(0, end - Swift.max(start, state.liveSince ?? start))
            coverage = Double(covered) / Double(end - start)
            if let rate = baseline.eventRate, covered > 0 {
                let e = rate * Double(covered) / 1000
                expected = e
                volumePValue = PoissonDistribution.lowerTail(atMost: Int(pane.records), mean: e)
            }
        }
        let performance = pane.performance.moments
        return WindowReport(
            model: baseline.model, windowIndex: k, basis: configuration.basis,
            start: configuration.start(ofWindow: k), end: configuration.end(ofWindow: k),
            firstEventTime: pane.firstEventTime, lastEventTime: pane.lastEventTime,
            recordCount: pane.records, lateRecords: lateRecords, baselineVersion: baseline.version,
            expectedRecords: expected, volumeRatio: expected.map { $0 > 0 ? Double(pane.records) / $0 : 1 },
            coverage: coverage, volumePValue: volumePValue,
            performance: performance.count > 0 ? performance.mean : nil,
            baselinePerformance: baseline.performance?.value, performanceMetric: baseline.performance?.metric,
            labelled: Int64(performance.count), performanceFigures: Self.performanceFigures(pane, baseline: baseline.performance),
            performancePValue: Self.performanceDropPValue(performance, baseline: baseline.performance),
            features: features, status: .ok)
    }

    /// Classification: accuracy, precision, recall, F1, positive rate and log loss (from the
    /// confusion counts); regression: MAE and RMSE.
    static func performanceFigures(_ pane: PaneState, baseline: Baseline.Performance?) -> PerformanceFigures? {
        guard let baseline else { return nil }
        let moments = pane.performance.moments
        switch baseline.metric {
        case .accuracy:
            guard moments.count > 0 else { return nil }
            var f = PerformanceFigures(task: .classification, labelled: Int64(moments.count), accuracy: moments.mean, threshold: baseline.threshold)
            if let c = pane.confusion {
                let tn = Double(c[0]), fp = Double(c[1]), fn = Double(c[2]), tp = Double(c[3])
                f.precision = tp + fp > 0 ? tp / (tp + fp) : nil
                f.recall = tp + fn > 0 ? tp / (tp + fn) : nil
                if let p = f.precision, let r = f.recall, p + r > 0 { f.f1 = 2 * p * r / (p + r) }
                f.positiveRate = (tp + fp) / Swift.max(tn + fp + fn + tp, 1)
            }
            if let sum = pane.secondarySum, let n = pane.secondaryCount, n > 0 { f.logLoss = sum / Double(n) }
            return f
        case .meanAbsoluteError:
            guard moments.count > 0 else { return nil }
            var f = PerformanceFigures(task: .regression, labelled: Int64(moments.count), meanAbsoluteError: moments.mean)
            if let sum = pane.secondarySum, let n = pane.secondaryCount, n > 0 { f.rootMeanSquaredError = (sum / Double(n)).squareRoot() }
            return f
        }
    }

    /// One-sided p-value that the window's performance is worse than the baseline's: the
    /// error rate's rise for accuracy (``RateIncreaseTest`` on error counts), Welch's test on
    /// absolute errors for mean absolute error.
    static func performanceDropPValue(_ window: Moments, baseline: Baseline.Performance?) -> Double? {
        guard let baseline, window.count > 0, baseline.labelled > 0 else { return nil }
        switch baseline.metric {
        case .accuracy:
            let errors = UInt64((Double(window.count) * (1 - window.mean)).rounded())
            let referenceErrors = UInt64((Double(baseline.labelled) * (1 - baseline.value)).rounded())
            return RateIncreaseTest.pValue(current: errors, of: window.count, reference: referenceErrors, of: UInt64(baseline.labelled))
        case .meanAbsoluteError:
            let variance = baseline.standardDeviation.map { $0 * $0 } ?? window.sampleVariance
            return WelchTest.pValue(currentMean: window.mean, currentVariance: window.sampleVariance, currentCount: Double(window.count),
                                    referenceMean: baseline.value, referenceVariance: variance, referenceCount: Double(baseline.labelled))
        }
    }
}
