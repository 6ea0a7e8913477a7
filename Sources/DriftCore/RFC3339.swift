/// RFC 3339 timestamps (`2026-11-25T12:00:00Z`, `2026-11-25T12:00:00.123+01:00`, a space
/// or lowercase `t`/`z` accepted) to epoch milliseconds, without Foundation or allocation.
public enum RFC3339 {
    public static func epochMilliseconds(_ text: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0
        func digits(_ n: Int) -> Int? {
            guard i + n <= text.count else { return nil }
            var v = 0
            for _ in 0..<n {
                let c = text[i]
                guard c >= 0x30 && c <= 0x39 else { return nil }
                v = v * 10 + Int(c - 0x30); i += 1
            }
            return v
        }
        func expect(_ c: UInt8) -> Bool { if i < text.count && text[i] == c { i += 1; return true }; return false }
        guard let year = digits(4), expect(0x2D), let month = digits(2), expect(0x2D), let day = digits(2) else { return nil }
        guard i < text.count, text[i] == 0x54 || text[i] == 0x74 || text[i] == 0x20 else { return nil }
        i += 1
        guard let hour = digits(2), expect(0x3A), let minute = digits(2), expect(0x3A), let second = digits(2) else { return nil }
        var millis = 0
        if expect(0x2E) {
            var scale = 100, any = false
            while i < text.count, text[i] >= 0x30 && text[i] <= 0x39 {
                millis += Int(text[i] - 0x30) * scale; scale /= 10; i += 1; any = true
            }
            guard any else { return nil }
        }
        var offset = 0
        guard i < text.count else { return nil }
        if text[i] == 0x5A || text[i] == 0x7A { i += 1 } else if text[i] == 0x2B || text[i] == 0x2D {
            let sign = text[i] == 0x2D ? -1 : 1
            i += 1
            guard let oh = digits(2), expect(0x3A), let om = digits(2), oh < 24, om < 60 else { return nil }
            offset = sign * (oh * 60 + om) * 60
        } else { return nil }
        guard i == text.count, (1...12).contains(month), hour < 24, minute < 60, second <= 60 else { return nil }
        let monthDays = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        guard day >= 1 && day <= monthDays[month - 1] + (month == 2 && leap ? 1 : 0) else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + Swift.min(second, 59)) - Int64(offset)
        return seconds * 1000 + Int64(millis)
    }

    public static func epochMilliseconds(_ text: String) -> Int64? {
        var t = text
        return t.withUTF8 { epochMilliseconds($0) }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    /// Epoch milliseconds as `YYYY-MM-DDTHH:MM:SS.sssZ` (UTC), for messages.
    public static func format(milliseconds ms: Int64) -> String {
        let days = Int(floorDivide(ms, 86_400_000))
        let inDay = Int(ms - Int64(days) * 86_400_000)
        let (y, m, d) = CalendarWindows.civil(fromDays: Int64(days))
        func pad(_ v: Int, _ width: Int) -> String { let t = String(v); return String(repeating: "0", count: Swift.max(0, width - t.count)) + t }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(inDay / 3_600_000, 2)):\(pad(inDay / 60_000 % 60, 2)):\(pad(inDay / 1000 % 60, 2)).\(pad(inDay % 1000, 3))Z"
    }

    static func daysFromCivil(year y0: Int, month m: Int, day d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}

extension JSONScanner {
    /// The record format's `ts`: integer epoch milliseconds or an RFC 3339 string; `nil` for
    /// null. Anything else rejects the record.
    mutating func parseEventTime() throws(RecordRejection) -> Int64? {
        let kind = try peekValueKind()
        switch kind {
        case .number:
            let v = try parseNumber()
            guard Swift.abs(v) < 9e15 else { throw fail("`ts` is out of range for epoch milliseconds") }
            return Int64(v.rounded(.down))
        case .string:
            guard let ms = RFC3339.epochMilliseconds(try parseString()) else {
                throw fail("`ts` is neither epoch milliseconds nor an RFC 3339 time")
            }
            return ms
        case .null:
            try parseLiteral(kind)
            return nil
        default:
            throw fail("`ts` must be epoch milliseconds or an RFC 3339 string")
        }
    }
}
