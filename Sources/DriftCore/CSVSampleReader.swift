/// Reads CSV with a header row (RFC 4180: comma-separated, fields optionally in double
/// quotes with `""` for a quote, line breaks allowed inside quotes) into a ``SampleTable``.
///
/// Every column is a feature except the record-format metadata columns `model`,
/// `model_version`, `id` and `ts`. A cell is missing when empty or `null`/`NA`/`NaN`;
/// a number when it reads as one (`inf`/`-inf` give ±∞, counted as non-finite); text otherwise.
public enum CSVSampleReader {
    public static let metadataColumns: Set<String> = ["model", "model_version", "id", "ts"]

    public static func read(_ bytes: UnsafeBufferPointer<UInt8>) -> SampleTable {
        var builder = SampleTableBuilder()
        var rows = CSVRows(bytes)
        guard let header = rows.next() else { return builder.finish() }
        let names = header.fields.map { String(decoding: $0, as: UTF8.self).trimmingSpaces() }
        let columns: [Int?] = names.map { metadataColumns.contains($0) ? nil : builder.column(named: $0) }
        var lines = header.endLine
        while let row = rows.next() {
            lines = row.endLine
            if row.fields.count == 1 && row.fields[0].isEmpty { continue }  // blank line
            guard row.fields.count == names.count else {
                builder.rejectRow(RecordRejection("expected \(names.count) fields as in the header, found \(row.fields.count)", at: 0), line: row.line)
                continue
            }
            if let problem = row.problem {
                builder.rejectRow(problem, line: row.line)
                continue
            }
            builder.beginRow()
            for (k, field) in row.fields.enumerated() {
                guard let c = columns[k] else { continue }
                setCell(field, column: c, into: &builder)
            }
            builder.commitRow()
        }
        var table = builder.finish()
        table.lineCount = lines
        return table
    }

    static func setCell(_ field: [UInt8], column c: Int, into builder: inout SampleTableBuilder) {
        var f = field[...]
        while let b = f.first, b == 0x20 || b == 0x09 { f = f.dropFirst() }
        while let b = f.last, b == 0x20 || b == 0x09 { f = f.dropLast() }
        let text = String(decoding: f, as: UTF8.self)
        switch text.lowercased() {
        case "", "null", "na", "nan", "none": builder.setNull(column: c); return
        case "inf", "+inf", "infinity", "+infinity": builder.setNumber(.infinity, column: c); return
        case "-inf", "-infinity": builder.setNumber(-.infinity, column: c); return
        default: break
        }
        let number: Double? = Array(f).withUnsafeBufferPointer { b in
            var digits = b
            if digits.first == 0x2B { digits = UnsafeBufferPointer(rebasing: b.dropFirst()) }  // a leading '+'
            guard !digits.isEmpty else { return nil }
            var s = JSONScanner(digits, scratch: UnsafeMutableBufferPointer(start: nil, count: 0))
            guard let v = try? s.parseNumber(), s.isAtEnd else { return nil }
            return v
        }
        if let v = number { builder.setNumber(v, column: c) } else {
            Array(f).withUnsafeBufferPointer { builder.setText($0, column: c) }
        }
    }
}

/// Rows of a CSV buffer, fields unquoted.
struct CSVRows {
    struct Row { var fields: [[UInt8]]; var line: Int; var endLine: Int; var problem: RecordRejection? }
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0
    var line = 1

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func next() -> Row? {
        guard position < bytes.count else { return nil }
        let startLine = line
        var fields: [[UInt8]] = []
        var field: [UInt8] = []
        var problem: RecordRejection?
        var inQuotes = false, wasQuoted = false
        while position < bytes.count {
            let b = bytes[position]
            position += 1
            if inQuotes {
                if b == 0x22 {
                    if position < bytes.count && bytes[position] == 0x22 { field.append(0x22); position += 1 } else { inQuotes = false }
                } else {
                    if b == 0x0A { line += 1 }
                    field.append(b)
                }
                continue
            }
            switch b {
            case 0x2C:
                fields.append(field); field = []; wasQuoted = false
            case 0x22:
                if field.isEmpty && !wasQuoted { inQuotes = true; wasQuoted = true }
                else if problem == nil { problem = RecordRejection("a quote inside an unquoted field", at: 0) }
            case 0x0A:
                line += 1
                if field.last == 0x0D { field.removeLast() }
                fields.append(field)
                return Row(fields: fields, line: startLine, endLine: line - 1, problem: problem)
            default:
                field.append(b)
            }
        }
        if inQuotes { problem = RecordRejection("unterminated quoted field", at: 0) }
        if field.last == 0x0D { field.removeLast() }
        fields.append(field)
        return Row(fields: fields, line: startLine, endLine: line, problem: problem)
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" || c == "\u{FEFF}" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" || c == "\r" { s = s.dropLast() }
        return String(s)
    }
}
