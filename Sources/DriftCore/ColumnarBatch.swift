/// Decoded records of one model, column by column: what the accumulators consume. Reused
/// from batch to batch (cleared, capacity kept), so steady-state decoding allocates nothing.
public struct ColumnarBatch: Sendable {
    public let schema: ModelSchema
    public private(set) var rowCount = 0
    /// Per numeric feature, one value per row; NaN when missing or of the wrong type.
    public internal(set) var numeric: [[Double]]
    /// Per categorical feature, one slot per row; -1 when missing or of the wrong type.
    public internal(set) var categorical: [[Int32]]
    /// Rows whose value had the wrong type: (row, feature), numeric features first, then
    /// categorical ones offset by the number of numeric features. Rare, so kept sparse.
    public internal(set) var typeErrors: [(row: Int32, feature: Int32)] = []
    /// Event time in epoch milliseconds; `Int64.min` when the record had none.
    public internal(set) var eventTime: [Int64] = []
    /// Per row: 1/0 for a correct/incorrect class prediction, |prediction − label| for a
    /// numeric one, NaN without a label.
    public internal(set) var performance: [Double] = []
    /// Per row, binary classification: the confusion cell (0 TN, 1 FP, 2 FN, 3 TP; -1
    /// without a label); and the record's log loss (scores in [0, 1]) or, for a regression,
    /// its squared error (NaN without).
    public internal(set) var outcomeCell: [Int8] = []
    public internal(set) var secondary: [Double] = []
    /// Source position just after each row (for commit points inside a batch).
    public internal(set) var positions: [SourcePosition] = []

    /// Rows the decoder committed since the last ``seal()``, row by row. Appending a record
    /// to one row-major array writes a few adjacent cache lines; appending it to every column
    /// touched one array header per column, and at a thousand models those headers missed
    /// the cache on every record (a tenth of the decoding time). ``seal()`` moves the rows
    /// into the columns in one pass per column, while they are still in cache.
    private var stagedNumeric: [Double] = []
    private var stagedCategorical: [Int32] = []
    private var stagedFacts: [StagedFacts] = []

    private struct StagedFacts {
        var eventTime: Int64
        var performance: Double
        var secondary: Double
        var position: SourcePosition
        var outcomeCell: Int8
    }

    public init(schema: ModelSchema) {
        self.schema = schema
        numeric = Array(repeating: [], count: schema.numericFeatures.count)
        categorical = Array(repeating: [], count: schema.categoricalFeatures.count)
    }

    /// Whether every row is in the columns (nothing staged).
    public var isSealed: Bool { stagedFacts.isEmpty }

    /// Moves the staged rows into the columns: each column grows once, then is written through
    /// a pointer (appending element by element checked capacity and uniqueness per value).
    public mutating func seal() {
        let n = stagedFacts.count
        guard n > 0 else { return }
        let nNumeric = numeric.count, nCategorical = categorical.count
        stagedNumeric.withUnsafeBufferPointer { rows in
            for k in 0..<nNumeric { Self.appendColumn(&numeric[k], count: n, zero: 0) { rows[$0 &* nNumeric &+ k] } }
        }
        stagedCategorical.withUnsafeBufferPointer { rows in
            for k in 0..<nCategorical { Self.appendColumn(&categorical[k], count: n, zero: 0) { rows[$0 &* nCategorical &+ k] } }
        }
        stagedFacts.withUnsafeBufferPointer { facts in
            Self.appendColumn(&eventTime, count: n, zero: 0) { facts[$0].eventTime }
            Self.appendColumn(&performance, count: n, zero: 0) { facts[$0].performance }
            Self.appendColumn(&outcomeCell, count: n, zero: 0) { facts[$0].outcomeCell }
            Self.appendColumn(&secondary, count: n, zero: 0) { facts[$0].secondary }
            positions.reserveCapacity(positions.count + n)
            for f in facts { positions.append(f.position) }
        }
        stagedNumeric.removeAll(keepingCapacity: true)
        stagedCategorical.removeAll(keepingCapacity: true)
        stagedFacts.removeAll(keepingCapacity: true)
    }

    /// Grows `column` by `n` (filled once with `zero`), then writes the values through a pointer.
    @inline(__always)
    private static func appendColumn<T>(_ column: inout [T], count n: Int, zero: T, _ value: (Int) -> T) {
        let start = column.count
        column.append(contentsOf: repeatElement(zero, count: n))
        column.withUnsafeMutableBufferPointer { c in
            let base = c.baseAddress! + start
            for r in 0..<n { base[r] = value(r) }
        }
    }

    public mutating func removeAll() {
        stagedNumeric.removeAll(keepingCapacity: true)
        stagedCategorical.removeAll(keepingCapacity: true)
        stagedFacts.removeAll(keepingCapacity: true)
        for k in numeric.indices { numeric[k].removeAll(keepingCapacity: true) }
        for k in categorical.indices { categorical[k].removeAll(keepingCapacity: true) }
        typeErrors.removeAll(keepingCapacity: true)
        eventTime.removeAll(keepingCapacity: true)
        performance.removeAll(keepingCapacity: true)
        outcomeCell.removeAll(keepingCapacity: true)
        secondary.removeAll(keepingCapacity: true)
        positions.removeAll(keepingCapacity: true)
        rowCount = 0
    }

    /// Type errors of feature `feature` in rows `range`.
    public func typeErrorCount(feature: Int, rows range: Range<Int>) -> Int {
        var n = 0
        for e in typeErrors where Int(e.feature) == feature && range.contains(Int(e.row)) { n += 1 }
        return n
    }

    /// The decoder's row assembly: values land in its staging, then the row is staged here
    /// until ``seal()``.
    mutating func stageRow(numericValues: UnsafeBufferPointer<Double>, categoricalSlots: UnsafeBufferPointer<Int32>,
                           eventTime ts: Int64, performance p: Double, outcomeCell cell: Int8, secondary extra: Double,
                           position: SourcePosition) {
        stagedNumeric.append(contentsOf: UnsafeBufferPointer(rebasing: numericValues[0..<numeric.count]))
        stagedCategorical.append(contentsOf: UnsafeBufferPointer(rebasing: categoricalSlots[0..<categorical.count]))
        stagedFacts.append(StagedFacts(eventTime: ts, performance: p, secondary: extra, position: position, outcomeCell: cell))
        rowCount += 1
    }

    /// A row straight into the columns (rows built by the monitor itself).
    mutating func commitRow(numericValues: UnsafeBufferPointer<Double>, categoricalSlots: UnsafeBufferPointer<Int32>,
                            eventTime ts: Int64, performance p: Double, outcomeCell cell: Int8 = -1, secondary extra: Double = .nan,
                            position: SourcePosition) {
        seal()
        for k in 0..<numeric.count { numeric[k].append(numericValues[k]) }
        for k in 0..<categorical.count { categorical[k].append(categoricalSlots[k]) }
        eventTime.append(ts)
        performance.append(p)
        outcomeCell.append(cell)
        secondary.append(extra)
        positions.append(position)
        rowCount += 1
    }

    /// Appends a held record's values (a rare path: it allocates).
    mutating func append(_ r: SuspectRecord) {
        r.numeric.withUnsafeBufferPointer { n in
            r.categorical.withUnsafeBufferPointer { c in
                commitRow(numericValues: n, categoricalSlots: c, eventTime: r.eventTime, performance: r.performance,
                          outcomeCell: r.outcomeCell ?? -1, secondary: r.secondary ?? .nan, position: r.position)
            }
        }
    }

    mutating func noteTypeError(feature: Int) {
        typeErrors.append((Int32(rowCount), Int32(feature)))
    }
}

/// Where a record sits in its source: a partition (0 for a file) and the offset just past
/// the record (the byte offset in a file, the next offset in a Kafka partition).
public struct SourcePosition: Sendable, Codable, Equatable, Hashable, Comparable {
    public var partition: Int32
    public var offset: Int64
    public init(partition: Int32, offset: Int64) { self.partition = partition; self.offset = offset }
    public static func < (a: SourcePosition, b: SourcePosition) -> Bool {
        (a.partition, a.offset) < (b.partition, b.offset)
    }
}
