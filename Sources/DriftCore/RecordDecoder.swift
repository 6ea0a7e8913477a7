#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
/// The hot path's first half: inference records (bytes) → columnar batches per monitored
/// model. Strict about the record format (see `docs/record-format.md`): every
/// malformed record is a ``RecordRejection`` and leaves no trace in the batches; a value of
/// the wrong type for its feature is a type error of that feature, and the record's other
/// values are used. After warm-up it allocates nothing per record.
public struct RecordDecoder {
    public enum Outcome: Sendable, Equatable {
        /// Decoded into the batch of model `index`.
        case decoded(model: Int)
        /// Well-formed, but of a model nobody monitors.
        case unmonitored
        case rejected(RecordRejection)
    }

    /// Per monitored model, the rows decoded since the last ``clearBatches()``, in columns.
    public var batches: [ColumnarBatch] {
        mutating get {
            sealBatches()
            return storedBatches
        }
    }

    /// Moves staged rows into their columns (the thread that decoded them does it, while
    /// they are in its cache); reading ``batches`` does it too.
    public mutating func sealBatches() {
        for m in staged { storedBatches[m].seal() }
        staged.removeAll(keepingCapacity: true)
    }
    private var storedBatches: [ColumnarBatch]
    /// The number of monitored models (batches), without sealing anything.
    public var modelCount: Int { storedBatches.count }
    /// Models whose batch has rows staged (decoded, not yet in its columns).
    private var staged: [Int] = []
    private let models: ByteInterner
    public let maximumRecordBytes: Int
    /// Well-formed records of models without a baseline, not decoded further.
    public private(set) var unmonitoredRecords = 0

    private let scratchStorage = ScratchBuffer()
    private var scratch: UnsafeMutableBufferPointer<UInt8> { scratchStorage.buffer }
    private var numericStage: [Double]
    private var categoricalStage: [Int32]
    /// The prediction's text, kept to compare with a text label.
    private var predictionText: [UInt8] = []
    /// Per model, the feature code seen at each key position of the previous record.
    private let keyOrderHints: [KeyOrderHints]

    public init(schemas: [ModelSchema], maximumRecordBytes: Int = InferenceRecordParser.defaultMaximumRecordBytes) {
        var models = ByteInterner()
        for s in schemas { _ = models.intern(s.model) }
        self.models = models
        self.storedBatches = schemas.map(ColumnarBatch.init)
        self.maximumRecordBytes = maximumRecordBytes
        self.numericStage = Array(repeating: .nan, count: schemas.map(\.numericFeatures.count).max() ?? 0)
        self.categoricalStage = Array(repeating: -1, count: schemas.map(\.categoricalFeatures.count).max() ?? 0)
        predictionText.reserveCapacity(256)
        keyOrderHints = schemas.map { _ in KeyOrderHints() }
    }

    /// Empties every batch, keeping capacity.
    public mutating func clearBatches() {
        for k in storedBatches.indices { storedBatches[k].removeAll() }
        staged.removeAll(keepingCapacity: true)
    }

    public mutating func decode(_ record: UnsafeBufferPointer<UInt8>, position: SourcePosition) -> Outcome {
        if let tooLarge = RecordRejection.oversized(record.count, limit: maximumRecordBytes) { return .rejected(tooLarge) }
        scratchStorage.reserve(record.count)
        pendingModel = nil
        do throws(RecordRejection) {
            return try decodeChecked(record, position: position)
        } catch {
            // Type errors noted for a record that is then rejected leave with it.
            if let m = pendingModel {
                while storedBatches[m].typeErrors.count > pendingMark { storedBatches[m].typeErrors.removeLast() }
            }
            return .rejected(error)
        }
    }

    /// The batch a record is being decoded into, and its type-error count before it.
    private var pendingModel: Int? = nil
    private var pendingMark = 0

    private enum Value { case none, deferred(Int) }

    private mutating func decodeChecked(_ record: UnsafeBufferPointer<UInt8>, position: SourcePosition) throws(RecordRejection) -> Outcome {
        var s = JSONScanner(record, scratch: scratch)
        var fields = try RecordFields(&s)
        var model: Int? = nil
        var prediction = Value.none, label = Value.none
        // Where `features` is, when it came before the model; nil once parsed in place.
        var featuresAt: Int? = nil
        var eventTime = Int64.min
        // Stage defaults: every feature missing.
        for k in numericStage.indices { numericStage[k] = .nan }
        for k in categoricalStage.indices { categoricalStage[k] = -1 }
        // Features are parsed in place once the model is known (the usual order: one pass),
        // else remembered and parsed after the walk; prediction and label are remembered, to
        // be read once the schema is known.
        while let field = try fields.next(&s) {
            switch field {
            case .features:
                if let m = model {
                    pendingModel = m; pendingMark = storedBatches[m].typeErrors.count
                    try parseFeatures(&s, model: m)
                    featuresAt = nil
                } else {
                    featuresAt = s.position
                    try s.skipValue(depth: 1)
                }
            case .model(let id):
                if let code = models.code(of: id) { model = Int(code) }
            case .eventTime(let t):
                eventTime = t ?? .min
            case .prediction:
                prediction = .deferred(s.position)
                try s.skipValue(depth: 1)
            case .label:
                label = .deferred(s.position)
                try s.skipValue(depth: 1)
            }
        }
        // The walk ended with `model` and `features` seen; features not parsed in place came
        // before a model, and parse now if that model is monitored.
        guard let m = model else { unmonitoredRecords += 1; return .unmonitored }
        if let featuresAt {
            pendingModel = m; pendingMark = storedBatches[m].typeErrors.count
            s.skip(to: featuresAt)
            try parseFeatures(&s, model: m)
        }
        return try finish(&s, model: m, prediction: prediction, label: label, eventTime: eventTime, position: position)
    }

    private mutating func finish(_ s: inout JSONScanner, model m: Int, prediction: Value, label: Value, eventTime: Int64,
                                 position: SourcePosition) throws(RecordRejection) -> Outcome {
            var performance = Double.nan, secondary = Double.nan
            var cell: Int8 = -1
            var predictionNumber = Double.nan
            var predictionIsText = false
            if case .deferred(let at) = prediction {
                s.skip(to: at)
                (predictionNumber, predictionIsText) = try parsePrediction(&s, model: m)
            }
            if case .deferred(let at) = label {
                s.skip(to: at)
                let kind = try s.peekValueKind()
                switch kind {
                case .number:
                    let l = try s.parseNumber()
                    if !predictionNumber.isNaN {
                        if let threshold = storedBatches[m].schema.scoreThreshold {
                            let predicted: Int8 = predictionNumber >= threshold ? 1 : 0, actual: Int8 = l == 1 ? 1 : 0
                            performance = Double(predicted) == l ? 1 : 0
                            if l == 0 || l == 1 {
                                cell = 2 * actual + predicted
                                if predictionNumber >= 0 && predictionNumber <= 1 {
                                    let p = Swift.min(Swift.max(predictionNumber, 1e-15), 1 - 1e-15)
                                    secondary = actual == 1 ? -log(p) : -log(1 - p)
                                }
                            }
                        } else if storedBatches[m].schema.numericClasses {
                            performance = predictionNumber == l ? 1 : 0
                        } else {
                            performance = Swift.abs(predictionNumber - l)
                            secondary = (predictionNumber - l) * (predictionNumber - l)
                        }
                    }
                case .string:
                    let l = try s.parseString()
                    if predictionIsText { performance = predictionText.withUnsafeBufferPointer { $0.elementsEqual(l) } ? 1 : 0 }
                case .trueValue, .falseValue:
                    try s.parseLiteral(kind)
                    if predictionIsText {
                        let t: StaticString = kind == .trueValue ? "true" : "false"
                        performance = predictionText.withUnsafeBufferPointer { bytesEqual($0, t) } ? 1 : 0
                    }
                default:
                    try s.skipValue(depth: 1)
                }
            }
            numericStage.withUnsafeBufferPointer { n in
                categoricalStage.withUnsafeBufferPointer { c in
                    if storedBatches[m].isSealed { staged.append(m) }
                    storedBatches[m].stageRow(numericValues: n, categoricalSlots: c, eventTime: eventTime, performance: performance,
                                              outcomeCell: cell, secondary: secondary, position: position)
                }
            }
            return .decoded(model: m)
    }

    private mutating func parseFeatures(_ s: inout JSONScanner, model m: Int) throws(RecordRejection) {
        _ = s.consume(0x7B)
        if s.consume(0x7D) { return }
        var position = 0
        let schema = storedBatches[m].schema, hints = keyOrderHints[m]
        repeat {
            let name = try s.parseString()
            let code = schema.featureCode(of: name, hints: hints, position: position)
            position += 1
            try s.expect(0x3A, "':' after a feature name")
            if let code {
                let slot = schema.featureSlots[Int(code)]
                try parseFeatureValue(&s, schema: schema, model: m, numeric: slot.numeric, index: slot.index)
            } else {
                try s.skipValue(depth: 2)
            }
        } while s.consume(0x2C)
        try s.expect(0x7D, "',' or '}' in `features`")
    }

    /// Parses the prediction: a feature named "prediction" when the baseline has one, and
    /// kept for the performance metric.
    private mutating func parsePrediction(_ s: inout JSONScanner, model m: Int) throws(RecordRejection) -> (Double, Bool) {
        let start = s.position
        let kind = try s.peekValueKind()
        var number = Double.nan, isText = false
        predictionText.removeAll(keepingCapacity: true)
        switch kind {
        case .number: number = try s.parseNumber()
        case .string: predictionText.append(contentsOf: try s.parseString()); isText = true
        case .trueValue: try s.parseLiteral(kind); predictionText.append(contentsOf: [0x74, 0x72, 0x75, 0x65]); isText = true
        case .falseValue: try s.parseLiteral(kind); predictionText.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65]); isText = true
        default: try s.skipValue(depth: 1)
        }
        let schema = storedBatches[m].schema
        if let code = schema.predictionFeature {
            let slot = schema.featureSlots[Int(code)]
            s.skip(to: start)
            try parseFeatureValue(&s, schema: schema, model: m, numeric: slot.numeric, index: slot.index)
        }
        return (number, isText)
    }

    @inline(__always)
    private mutating func parseFeatureValue(_ s: inout JSONScanner, schema: ModelSchema, model m: Int, numeric: Bool, index k: Int) throws(RecordRejection) {
        let kind = try s.peekValueKind()
        if numeric {
            switch kind {
            case .number: numericStage[k] = try s.parseNumber()
            case .null: try s.parseLiteral(kind); numericStage[k] = .nan
            case .trueValue, .falseValue: try s.parseLiteral(kind); typeError(model: m, numeric: true, index: k)
            case .string: _ = try s.parseString(); typeError(model: m, numeric: true, index: k)
            case .object, .array: try s.skipValue(depth: 2); typeError(model: m, numeric: true, index: k)
            }
            return
        }
        switch kind {
        case .string:
            let text = try s.parseString()
            categoricalStage[k] = schema.slot(ofCategory: text, feature: k)
        case .trueValue, .falseValue:
            try s.parseLiteral(kind)
            let t: StaticString = kind == .trueValue ? "true" : "false"
            categoricalStage[k] = schema.slot(ofCategory: UnsafeBufferPointer(start: t.utf8Start, count: t.utf8CodeUnitCount), feature: k)
        case .number:
            // A number is the category of its text, by the same rule as the baseline
            // (Comparison.numberText): integers without a decimal point.
            let v = try s.parseNumber()
            if v == v.rounded(), Swift.abs(v) < 1e15 {
                categoricalStage[k] = withDecimalText(Int64(v)) { schema.slot(ofCategory: $0, feature: k) }
            } else {
                var text = Comparison.numberText(v)  // rare: allocates
                categoricalStage[k] = text.withUTF8 { schema.slot(ofCategory: $0, feature: k) }
            }
        case .null: try s.parseLiteral(kind); categoricalStage[k] = -1
        case .object, .array: try s.skipValue(depth: 2); typeError(model: m, numeric: false, index: k)
        }
    }

    private mutating func typeError(model m: Int, numeric: Bool, index k: Int) {
        if numeric { numericStage[k] = .nan } else { categoricalStage[k] = -1 }
        // Replace an earlier type error of the same feature in this record (duplicate keys).
        let feature = numeric ? k : storedBatches[m].schema.numericFeatures.count + k  // rare path
        if let last = storedBatches[m].typeErrors.last, Int(last.row) == storedBatches[m].rowCount, Int(last.feature) == feature { return }
        storedBatches[m].noteTypeError(feature: feature)
    }

}

extension JSONScanner {
    /// Moves to a byte offset found earlier in the same record.
    mutating func skip(to offset: Int) { self = JSONScanner(bytes, scratch: scratchBuffer, position: offset) }
}

/// Calls `body` with the decimal digits of `v`, formatted on the stack.
@inline(__always) func withDecimalText<R>(_ v: Int64, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { buffer in
        var n = v.magnitude
        var i = 24
        repeat { i -= 1; buffer[i] = UInt8(truncatingIfNeeded: n % 10) + 0x30; n /= 10 } while n > 0
        if v < 0 { i -= 1; buffer[i] = 0x2D }
        return body(UnsafeBufferPointer(rebasing: buffer[i..<24]))
    }
}

/// A growable byte buffer for unescaped strings, freed with its owner.
final class ScratchBuffer {
    private(set) var buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 4096)
    func reserve(_ count: Int) {
        guard count > buffer.count else { return }
        buffer.deallocate()
        buffer = .allocate(capacity: Swift.max(count, buffer.count * 2))
    }
    deinit { buffer.deallocate() }
}
