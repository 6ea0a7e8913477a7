import DriftStats

/// A type that writes its compact form straight into the document, without the generic
/// path's tree of nodes: the same bytes its `Encodable` conformance gives through
/// ``CompactCoding/encode(_:)`` (a test compares them), so ``CompactCoding/decode(_:from:)``
/// reads both and the stored format does not change.
///
/// Why: a commit point writes every model a stretch of records touched — at 1,000 models
/// about 30 MB of open panes — and the generic path spent 20 % of a replay's CPU building and
/// walking node trees (one class instance per value, retained and released) for what is
/// mostly a few long count arrays. Here a pane's grid goes from its array to the bytes in
/// one pass.
///
/// Each conformance writes its keys in declaration order and leaves out nil optionals, as
/// the synthesized `encode(to:)` does; its entry count comes first.
protocol CompactWritable: Encodable {
    func writeCompact(to w: CompactEncoderState)
}

extension CompactEncoderState {
    func keyed(_ count: Int) { tag(.keyed); varint(UInt64(count)) }
    func unkeyed(_ count: Int) { tag(.unkeyed); varint(UInt64(count)) }

    func value(_ v: UInt64) { tag(.unsigned); varint(v) }
    func value(_ v: Int64) { tag(.signed); zigzag(v) }
    func value(_ v: Int) { tag(.signed); zigzag(Int64(v)) }
    func value(_ v: Int8) { tag(.signed); zigzag(Int64(v)) }
    func value(_ v: Int32) { tag(.signed); zigzag(Int64(v)) }
    func value(_ v: Double) { write(.double(v)) }
    func value(_ v: String) { tag(.string); string(v) }
    func value(_ v: [UInt64]) { tag(.unsignedArray); unsignedRuns(v) }
    func value(_ v: [Double]) { tag(.doubleArray); doubles(v) }
    func value(_ v: [Int32]) { write(.int32Array(v)) }
    func value<T: CompactWritable>(_ v: T) { v.writeCompact(to: self) }
    func value<T: CompactWritable>(_ elements: [T]) {
        unkeyed(elements.count)
        for e in elements { e.writeCompact(to: self) }
    }
    /// A dictionary whose keys are not strings: `Codable` writes it as one array of
    /// alternating keys and values.
    func value<K, V: CompactWritable>(_ dictionary: [K: V], key write: (K) -> Void) {
        unkeyed(dictionary.count * 2)
        for (k, v) in dictionary { write(k); v.writeCompact(to: self) }
    }

    func field(_ k: StaticString, _ v: UInt64) { key(k); value(v) }
    func field(_ k: StaticString, _ v: Int64) { key(k); value(v) }
    func field(_ k: StaticString, _ v: Int) { key(k); value(v) }
    func field(_ k: StaticString, _ v: Double) { key(k); value(v) }
    func field(_ k: StaticString, _ v: String) { key(k); value(v) }
    func field(_ k: StaticString, _ v: [UInt64]) { key(k); value(v) }
    func field(_ k: StaticString, _ v: [Double]) { key(k); value(v) }
    func field<T: CompactWritable>(_ k: StaticString, _ v: T) { key(k); v.writeCompact(to: self) }
    func field<T: CompactWritable>(_ k: StaticString, _ v: [T]) { key(k); value(v) }
    func field<E: RawRepresentable<String>>(_ k: StaticString, _ v: E) { key(k); value(v.rawValue) }

    /// Optional fields: written when present (their count is in the container's count).
    func field(_ k: StaticString, ifPresent v: Double?) { if let v { field(k, v) } }
    func field(_ k: StaticString, ifPresent v: Int64?) { if let v { field(k, v) } }
    func field(_ k: StaticString, ifPresent v: String?) { if let v { field(k, v) } }
    func field<E: RawRepresentable<String>>(_ k: StaticString, ifPresent v: E?) { if let v { field(k, v) } }
    func field<T: CompactWritable>(_ k: StaticString, ifPresent v: T?) { if let v { field(k, v) } }
    func field<T: CompactWritable>(_ k: StaticString, ifPresent v: [T]?) { if let v { field(k, v) } }
}

/// 1 for an optional field that is present (the keyed count comes first, nil fields are left out).
@inline(__always) func present(_ isPresent: Bool) -> Int { isPresent ? 1 : 0 }

// MARK: - DriftStats accumulators

extension HistogramAccumulator: CompactWritable {
    func writeCompact(to w: CompactEncoderState) {
        w.keyed(3)
        w.field("counts", counts); w.field("missing", missing); w.field("nonFinite", nonFinite)
    }
}

extension Moments: CompactWritable {
    func writeCompact(to w: CompactEncoderState) {
        w.keyed(count > 0 ? 5 : 3)
        w.field("count", count); w.field("mean", mean); w.field("m2", m2)
        if count > 0 { w.field("min", min); w.field("max", max) }
    }
}

extension BlockedMoments: CompactWritable {
    func writeCompact(to w: CompactEncoderState) {
        w.keyed(2)
        w.field("settled", settled); w.field("pending", pending)
    }
}

extension DataQualityCounts: CompactWritable {
    func writeCompact(to w: CompactEncoderState) {
        w.keyed(6)
        w.field("total", total); w.field("missing", missing); w.field("nonFinite", nonFinite)
        w.field("typeErrors", typeErrors); w.field("belowReferenceRange", belowReferenceRange)
        w.field("aboveReferenceRange", aboveReferenceRange)
    }
}

extension NumericAccumulator: CompactWritable {
    func writeCompact(to w: CompactEncoderState) {
        w.keyed(4)
        w.field("psi", psi); w.field("grid", grid); w.field("blockedMoments", blockedMoments); w.field("quality", quality)
    }
}

extension CategoryCounts: CompactWritable {
    func writeCompact(to w: CompactEncoderState) {
        w.keyed(2)
        w.field("counts", counts); w.field("missing", missing)
    }
}

// MARK: - Model state

extension PaneState: CompactWritable {
    func writeCompact(to w: CompactEncoderState) {
        w.keyed(5 + present(confusion != nil) + present(secondarySum != nil) + present(secondaryCount != nil)
                + present(firstEventTime != nil) + present(lastEventTime != nil))
        w.field("numeric", numeric); w.field("categorical", categorical); w.field("categoricalTypeErrors", categoricalTypeErrors)
        w.field("records", records); w.field("performance", performance)
        if let confusion { w.field("confusion", confusion) }
        if let secondarySum { w.field("secondarySum", secondarySum) }
        if let secondaryCount { w.field("secondaryCount", secondaryCount) }
        if let firstEventTime { w.field("firstEventTime", firstEventTime) }
        if let lastEventTime { w.field("lastEventTime", lastEventTime) }
    }
}

extension SourcePosition: CompactWritable {
    func writeCompact(to w: CompactEncoderState) {
        w.keyed(2)
        w.key("partition"); w.value(partition); w.field("offset", offset)
    }
}

extension SuspectRecord: CompactWritable {
    func writeCompact(to w: CompactEncoderState) {
        w.keyed(6 + present(outcomeCell != nil) + present(secondary != nil))
        w.field("eventTime", eventTime); w.field("numeric", numeric); w.key("categorical"); w.value(categorical)
        w.field("performance", performance)
        if let outcomeCell { w.key("outcomeCell"); w.value(outcomeCell) }
        if let secondary { w.field("secondary", secondary) }
        w.field("position", position); w.field("heldFor", heldFor)
    }
}

extension ModelMonitorState: CompactWritable {
    func writeCompact(to w: CompactEncoderState) {
        w.keyed(3 + present(maxEventTime != nil) + present(lateBoundary != nil) + present(nextWindow != nil)
                + present(lastArrival != nil) + present(liveSince != nil) + present(suspects != nil) + present(baselineVersion != nil))
        w.key("panes"); w.value(panes) { w.value($0) }
        w.field("recordsSeen", recordsSeen)
        if let maxEventTime { w.field("maxEventTime", maxEventTime) }
        if let lateBoundary { w.field("lateBoundary", lateBoundary) }
        if let nextWindow { w.field("nextWindow", nextWindow) }
        w.field("lateRecords", lateRecords)
        if let lastArrival { w.field("lastArrival", lastArrival) }
        if let liveSince { w.field("liveSince", liveSince) }
        if let suspects { w.field("suspects", suspects) }
        if let baselineVersion { w.field("baselineVersion", baselineVersion) }
    }
}

extension AlertFingerprint: CompactWritable {
    func writeCompact(to w: CompactEncoderState) {
        w.keyed(3)
        w.field("model", model); w.field("feature", feature); w.field("rule", rule)
    }
}

extension AlertBook.Entry: CompactWritable {
    func writeCompact(to w: CompactEncoderState) {
        w.keyed(4 + present(severity != nil))
        w.field("state", state.rawValue)
        if let severity { w.field("severity", severity.rawValue) }
        w.field("breaches", breaches); w.field("clears", clears); w.field("since", since)
    }
}

extension ModelCheckpoint: CompactWritable {
    func writeCompact(to w: CompactEncoderState) {
        w.keyed(2 + present(source != nil))
        w.field("state", state)
        w.key("alerts"); w.value(alerts) { $0.writeCompact(to: w) }
        if let source { w.field("source", source) }
    }
}

// MARK: - Window reports

extension GridKSResult: CompactWritable {
    func writeCompact(to w: CompactEncoderState) {
        w.keyed(3)
        w.field("statistic", statistic); w.field("errorBound", errorBound); w.field("pValue", pValue)
    }
}

extension HomogeneityTest.Result: CompactWritable {
    func writeCompact(to w: CompactEncoderState) {
        w.keyed(3)
        w.field("statistic", statistic); w.field("degreesOfFreedom", degreesOfFreedom); w.field("pValue", pValue)
    }
}

extension ChiSquareResult: CompactWritable {
    func writeCompact(to w: CompactEncoderState) {
        w.keyed(4)
        // An infinite statistic (unseen categories) is written as null, as its Codable does.
        w.key("statistic"); if statistic.isFinite { w.value(statistic) } else { w.tag(.null) }
        w.field("pValue", pValue); w.field("degreesOfFreedom", degreesOfFreedom); w.field("unseenCategories", unseenCategories)
    }
}

extension NumericDriftStatistics: CompactWritable {
    func writeCompact(to w: CompactEncoderState) {
        w.keyed(7 + present(ks != nil) + present(wassersteinNormed != nil) + present(meanShift != nil) + present(distributionTest != nil)
                + present(missingIncreasePValue != nil) + present(typeErrorIncreasePValue != nil)
                + present(outsideRangeIncreasePValue != nil) + present(meanShiftPValue != nil))
        w.field("count", count); w.field("psi", psi); w.field("jensenShannon", jensenShannon)
        w.field("ks", ifPresent: ks); w.field("wassersteinNormed", ifPresent: wassersteinNormed); w.field("meanShift", ifPresent: meanShift)
        w.field("missingRate", missingRate); w.field("outsideReferenceRangeRate", outsideReferenceRangeRate)
        w.field("typeErrorRate", typeErrorRate); w.field("nonFiniteRate", nonFiniteRate)
        w.field("distributionTest", ifPresent: distributionTest)
        w.field("missingIncreasePValue", ifPresent: missingIncreasePValue); w.field("typeErrorIncreasePValue", ifPresent: typeErrorIncreasePValue)
        w.field("outsideRangeIncreasePValue", ifPresent: outsideRangeIncreasePValue); w.field("meanShiftPValue", ifPresent: meanShiftPValue)
    }
}

extension CategoricalDriftStatistics: CompactWritable {
    func writeCompact(to w: CompactEncoderState) {
        w.keyed(5 + present(chiSquare != nil) + present(maxShareChange != nil) + present(distributionTest != nil)
                + present(shareChangePValue != nil) + present(unseenIncreasePValue != nil) + present(missingIncreasePValue != nil))
        w.field("count", count); w.field("psi", psi); w.field("jensenShannon", jensenShannon)
        w.field("chiSquare", ifPresent: chiSquare); w.field("unseenRate", unseenRate); w.field("missingRate", missingRate)
        w.field("maxShareChange", ifPresent: maxShareChange); w.field("distributionTest", ifPresent: distributionTest)
        w.field("shareChangePValue", ifPresent: shareChangePValue); w.field("unseenIncreasePValue", ifPresent: unseenIncreasePValue)
        w.field("missingIncreasePValue", ifPresent: missingIncreasePValue)
    }
}

extension Decision: CompactWritable {
    func writeCompact(to w: CompactEncoderState) {
        w.keyed(5 + present(floorSource != nil) + present(test != nil) + present(pValue != nil) + present(level != nil) + present(severity != nil))
        w.field("rule", rule); w.field("metric", metric); w.field("value", value); w.field("floor", floor)
        w.field("floorSource", ifPresent: floorSource); w.field("test", ifPresent: test); w.field("pValue", ifPresent: pValue)
        w.field("level", ifPresent: level); w.field("verdict", verdict); w.field("severity", ifPresent: severity)
    }
}

extension FeatureReport: CompactWritable {
    func writeCompact(to w: CompactEncoderState) {
        w.keyed(4 + present(numeric != nil) + present(categorical != nil) + present(decisions != nil))
        w.field("name", name); w.field("kind", kind)
        w.field("numeric", ifPresent: numeric); w.field("categorical", ifPresent: categorical)
        w.field("baselineMissingRate", baselineMissingRate); w.field("status", status); w.field("decisions", ifPresent: decisions)
    }
}

extension PerformanceFigures: CompactWritable {
    func writeCompact(to w: CompactEncoderState) {
        w.keyed(2 + present(accuracy != nil) + present(precision != nil) + present(recall != nil) + present(f1 != nil)
                + present(positiveRate != nil) + present(logLoss != nil) + present(threshold != nil)
                + present(meanAbsoluteError != nil) + present(rootMeanSquaredError != nil))
        w.field("task", task); w.field("labelled", labelled)
        w.field("accuracy", ifPresent: accuracy); w.field("precision", ifPresent: precision); w.field("recall", ifPresent: recall)
        w.field("f1", ifPresent: f1); w.field("positiveRate", ifPresent: positiveRate); w.field("logLoss", ifPresent: logLoss)
        w.field("threshold", ifPresent: threshold); w.field("meanAbsoluteError", ifPresent: meanAbsoluteError)
        w.field("rootMeanSquaredError", ifPresent: rootMeanSquaredError)
    }
}

extension WindowReport: CompactWritable {
    func writeCompact(to w: CompactEncoderState) {
        w.keyed(11 + present(firstEventTime != nil) + present(lastEventTime != nil) + present(expectedRecords != nil)
                + present(volumeRatio != nil) + present(coverage != nil) + present(volumePValue != nil) + present(performance != nil)
                + present(baselinePerformance != nil) + present(performanceMetric != nil) + present(performanceFigures != nil)
                + present(performancePValue != nil) + present(modelDecisions != nil))
        w.field("model", model); w.field("windowIndex", windowIndex); w.field("basis", basis); w.field("start", start); w.field("end", end)
        w.field("firstEventTime", ifPresent: firstEventTime); w.field("lastEventTime", ifPresent: lastEventTime)
        w.field("recordCount", recordCount); w.field("lateRecords", lateRecords); w.field("baselineVersion", baselineVersion)
        w.field("expectedRecords", ifPresent: expectedRecords); w.field("volumeRatio", ifPresent: volumeRatio)
        w.field("coverage", ifPresent: coverage); w.field("volumePValue", ifPresent: volumePValue)
        w.field("performance", ifPresent: performance); w.field("baselinePerformance", ifPresent: baselinePerformance)
        w.field("performanceMetric", ifPresent: performanceMetric); w.field("labelled", labelled)
        w.field("performanceFigures", ifPresent: performanceFigures); w.field("performancePValue", ifPresent: performancePValue)
        w.field("features", features); w.field("status", status); w.field("modelDecisions", ifPresent: modelDecisions)
    }
}
