#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One feature's values from a whole file, column-wise: what `driftd compare` compares.
public struct SampleColumn: Sendable {
    /// One entry per row: the number, or NaN when the row had no number here.
    public internal(set) var numbers: [Double] = []
    /// One entry per row once any text value arrived (empty before): the category code in
    /// ``categories``, or -1.
    public internal(set) var codes: [Int32] = []
    /// Distinct text values (strings, and booleans as "true"/"false").
    public internal(set) var categories = ByteInterner()
    public internal(set) var numberCount = 0
    public internal(set) var textCount = 0
    /// Null or absent.
    public internal(set) var missingCount = 0
    /// Objects and arrays: never a valid feature value.
    public internal(set) var otherCount = 0

    public var rowCount: Int { numbers.count }

    /// A feature is numeric when numbers are at least as frequent as text values.
    public var inferredKind: FeatureKind? {
        if numberCount == 0 && textCount == 0 { return nil }
        return numberCount >= textCount ? .numeric : .categorical
    }
}

public enum FeatureKind: String, Sendable, Codable, CaseIterable {
    case numeric, categorical
}

/// A record that could not be used, with the line it came from.
public struct LineRejection: Sendable, Equatable {
    public var line: Int
    public var rejection: RecordRejection
}

/// Columns of every feature seen in a file.
public struct SampleTable: Sendable {
    public internal(set) var names = ByteInterner()
    public internal(set) var columns: [SampleColumn] = []
    public internal(set) var rowCount = 0
    public internal(set) var rejections: [LineRejection] = []
    /// Earliest and latest event time (`ts`, epoch ms) of the records, when they had one.
    public internal(set) var eventTimeRange: ClosedRange<Int64>?

    /// Lines read, blank ones included.
    public internal(set) var lineCount = 0

    public init() {}

    /// Makes room for `rows` rows in every column, so that appending parts does not copy twice.
    public mutating func reserveCapacity(rows: Int) {
        for c in columns.indices {
            columns[c].numbers.reserveCapacity(rows)
            if !columns[c].codes.isEmpty { columns[c].codes.reserveCapacity(rows) }
        }
    }

    public func column(named name: String) -> SampleColumn? {
        names.code(of: name).map { columns[Int($0)] }
    }

    public var featureNames: [String] { names.keys }

    /// Appends another table's rows (a later part of the same file), matching columns by
    /// name and re-coding its categories; `lineOffset` shifts its rejection line numbers.
    public mutating func append(_ other: SampleTable, lineOffset: Int) {
        for (k, column) in other.columns.enumerated() {
            let name = other.names.key(Int32(k))
            let c = Int(names.intern(name))
            if c == columns.count {
                var fresh = SampleColumn()
                fresh.numbers = Array(repeating: .nan, count: rowCount)
                fresh.missingCount = rowCount
                columns.append(fresh)
            }
            var mine = columns[c]
            mine.numbers.append(contentsOf: column.numbers)
            if !column.codes.isEmpty {
                if mine.codes.isEmpty { mine.codes = Array(repeating: -1, count: rowCount) }
                let recode = (0..<column.categories.count).map { mine.categories.intern(column.categories.key(Int32($0))) }
                mine.codes.append(contentsOf: column.codes.map { $0 < 0 ? -1 : recode[Int($0)] })
            } else if !mine.codes.isEmpty {
                mine.codes.append(contentsOf: repeatElement(-1, count: other.rowCount))
            }
            mine.numberCount += column.numberCount
            mine.textCount += column.textCount
            mine.missingCount += column.missingCount
            mine.otherCount += column.otherCount
            columns[c] = mine
        }
        // Columns this table has that the other lacks are missing in its rows.
        for c in columns.indices where columns[c].numbers.count < rowCount + other.rowCount {
            let gap = rowCount + other.rowCount - columns[c].numbers.count
            columns[c].numbers.append(contentsOf: repeatElement(.nan, count: gap))
            if !columns[c].codes.isEmpty { columns[c].codes.append(contentsOf: repeatElement(-1, count: gap)) }
            columns[c].missingCount += gap
        }
        rowCount += other.rowCount
        if let r = other.eventTimeRange {
            eventTimeRange = eventTimeRange.map { Swift.min($0.lowerBound, r.lowerBound)...Swift.max($0.upperBound, r.upperBound) } ?? r
        }
        rejections += other.rejections.map { LineRejection(line: $0.line + lineOffset, rejection: $0.rejection) }
        lineCount += other.lineCount
    }
}

/// Builds a ``SampleTable`` one row at a time. Values of a row are staged and only land in
/// the columns when the row is committed, so a record rejected half-way leaves no trace.
public struct SampleTableBuilder: Sendable {
    public private(set) var table = SampleTable()
    private enum Staged: UInt8 { case none, number, text, null, other }
    private var staged: [Staged] = []
    private var stagedNumber: [Double] = []
    private var stagedCode: [Int32] = []
    private var nameBytes: [[UInt8]] = []
    /// Column seen at each key position of the previous row: records of one producer keep
    /// their key order, so the name comparison usually hits without hashing.
    private var orderHint: [Int32] = []
    private var keyPosition = 0

    /// Rows to reserve room for in each column, so columns grow without copying.
    private let expectedRows: Int

    public init(expectedRows: Int = 0) { self.expectedRows = expectedRows }

    public mutating func beginRow() { keyPosition = 0 }

    /// The column of a feature name, created on first sight.
    public mutating func column(named name: UnsafeBufferPointer<UInt8>) -> Int {
        let position = keyPosition
        keyPosition += 1
        if position < orderHint.count {
            let guess = Int(orderHint[position])
            let same = nameBytes[guess].withUnsafeBufferPointer { known in
                known.count == name.count && (name.isEmpty || memcmp(known.baseAddress!, name.baseAddress!, name.count) == 0)
            }
            if same { return guess }
        }
        let c = Int(table.names.intern(name))
        if c == table.columns.count {
            var fresh = SampleColumn()
            fresh.numbers.reserveCapacity(Swift.max(expectedRows, table.rowCount))
            fresh.numbers.append(contentsOf: repeatElement(.nan, count: table.rowCount))
            fresh.missingCount = table.rowCount
            table.columns.append(fresh)
            staged.append(.none); stagedNumber.append(0); stagedCode.append(-1)
            nameBytes.append(Array(name))
        }
        if position < orderHint.count { orderHint[position] = Int32(c) } else { orderHint.append(Int32(c)) }
        return c
    }

    public mutating func column(named name: String) -> Int {
        var n = name
        return n.withUTF8 { column(named: $0) }
    }

    public mutating func setNumber(_ value: Double, column c: Int) { staged[c] = .number; stagedNumber[c] = value }
    public mutating func setNull(column c: Int) { staged[c] = .null }
    public mutating func setOther(column c: Int) { staged[c] = .other }
    public mutating func setText(_ text: UnsafeBufferPointer<UInt8>, column c: Int) {
        staged[c] = .text
        stagedCode[c] = table.columns[c].categories.intern(text)
    }

    public mutating func setText(_ text: StaticString, column c: Int) {
        setText(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount), column: c)
    }

    /// Appends the staged row to every column (unset columns get a missing entry).
    public mutating func commitRow() {
        let row = table.rowCount
        for c in 0..<staged.count {
            let s = staged[c]
            staged[c] = .none
            switch s {
            case .number:
                table.columns[c].numbers.append(stagedNumber[c])
                table.columns[c].numberCount += 1
                if !table.columns[c].codes.isEmpty { table.columns[c].codes.append(-1) }
            case .text:
                table.columns[c].numbers.append(.nan)
                if table.columns[c].codes.isEmpty {
                    table.columns[c].codes.reserveCapacity(Swift.max(expectedRows, row + 1))
                    table.columns[c].codes.append(contentsOf: repeatElement(-1, count: row))
                }
                table.columns[c].codes.append(stagedCode[c])
                table.columns[c].textCount += 1
            case .none, .null, .other:
                table.columns[c].numbers.append(.nan)
                if !table.columns[c].codes.isEmpty { table.columns[c].codes.append(-1) }
                if s == .other { table.columns[c].otherCount += 1 } else { table.columns[c].missingCount += 1 }
            }
        }
        table.rowCount += 1
    }

    /// Drops the staged row (a record of another model).
    public mutating func dropRow() {
        for c in 0..<staged.count { staged[c] = .none }
    }

    mutating func noteEventTime(_ t: Int64) {
        table.eventTimeRange = table.eventTimeRange.map { Swift.min($0.lowerBound, t)...Swift.max($0.upperBound, t) } ?? t...t
    }

    /// Drops the staged row and records why.
    public mutating func rejectRow(_ rejection: RecordRejection, line: Int) {
        for c in 0..<staged.count { staged[c] = .none }
        table.rejections.append(LineRejection(line: line, rejection: rejection))
    }

    public mutating func finish() -> SampleTable { table }
}
