#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A strict JSON scanner over UTF-8 bytes (RFC 8259), built for the inference-record hot
/// path: no allocation per value, typed throws (nothing boxed), numbers parsed correctly
/// rounded. It accepts exactly JSON: no NaN/Infinity, no trailing commas, no comments, no
/// control characters or invalid UTF-8 in strings, no lone surrogate escapes.
public struct JSONScanner {
    public let bytes: UnsafeBufferPointer<UInt8>
    public private(set) var position: Int
    /// Holds unescaped string contents; reused across strings, grown only when a longer one
    /// arrives.
    private var scratch: UnsafeMutableBufferPointer<UInt8>
    /// Nesting allowed before a record is rejected (guards against stack exhaustion).
    public static let maximumDepth = 64

    /// - Parameter scratch: a buffer at least as long as the longest string to unescape
    ///   (the record length is always enough).
    public init(_ bytes: UnsafeBufferPointer<UInt8>, scratch: UnsafeMutableBufferPointer<UInt8>, position: Int = 0) {
        self.bytes = bytes
        self.position = position
        self.scratch = scratch
    }

    var scratchBuffer: UnsafeMutableBufferPointer<UInt8> { scratch }

    public var isAtEnd: Bool { position >= bytes.count }

    @inline(__always) public func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }

    @inline(__always) public mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position &+= 1
            default: return
            }
        }
    }

    /// Consumes `byte` after optional whitespace, or fails with `what`.
    @inline(__always) public mutating func expect(_ byte: UInt8, _ what: StaticString) throws(RecordRejection) {
        skipWhitespace()
        guard position < bytes.count, bytes[position] == byte else { throw fail("expected \(what)") }
        position &+= 1
    }

    /// Consumes `byte` if it comes next (after whitespace).
    @inline(__always) public mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        if position < bytes.count && bytes[position] == byte { position &+= 1; return true }
        return false
    }

    public func fail(_ reason: String) -> RecordRejection {
        RecordRejection(isAtEnd ? "\(reason), found the end of the record" : reason, at: Swift.min(position, bytes.count))
    }

    // MARK: strings

    /// Parses a string (the opening quote comes next) and returns its UTF-8 contents. The
    /// buffer points into the input when the string has no escapes, into the scratch buffer
    /// otherwise; it is valid until the next string is parsed.
    public mutating func parseString() throws(RecordRejection) -> UnsafeBufferPointer<UInt8> {
        skipWhitespace()
        guard position < bytes.count, bytes[position] == 0x22 else { throw fail("expected a string") }
        position &+= 1
        let start = position
        // Fast path: ASCII without escapes.
        while position < bytes.count {
            let b = bytes[position]
            if b == 0x22 {
                let s = UnsafeBufferPointer(rebasing: bytes[start..<position])
                position &+= 1
                return s
            }
            if b == 0x5C || b < 0x20 || b >= 0x80 { break }
            position &+= 1
        }
        return try parseStringSlowly(from: start)
    }

    private mutating func parseStringSlowly(from start: Int) throws(RecordRejection) -> UnsafeBufferPointer<UInt8> {
        var out = 0
        // Copy what the fast path already accepted.
        for k in start..<position { try put(bytes[k], at: &out) }
        while true {
            guard position < bytes.count else { throw fail("unterminated string") }
            let b = bytes[position]
            switch b {
            case 0x22:
                position &+= 1
                return UnsafeBufferPointer(rebasing: scratch[0..<out])
            case 0x5C:
                position &+= 1
                guard position < bytes.count else { throw fail("unterminated escape in string") }
                let e = bytes[position]
                position &+= 1
                switch e {
                case 0x22, 0x5C, 0x2F: try put(e, at: &out)
                case 0x62: try put(0x08, at: &out)
                case 0x66: try put(0x0C, at: &out)
                case 0x6E: try put(0x0A, at: &out)
                case 0x72: try put(0x0D, at: &out)
                case 0x74: try put(0x09, at: &out)
                case 0x75:
                    var scalar = try parseHex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard position + 1 < bytes.count, bytes[position] == 0x5C, bytes[position + 1] == 0x75 else {
                            throw fail("lone high surrogate escape in string")
                        }
                        position &+= 2
                        let low = try parseHex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw fail("invalid surrogate pair escape in string") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw fail("lone low surrogate escape in string")
                    }
                    try putScalar(scalar, at: &out)
                default:
                    position &-= 1
                    throw fail("invalid escape in string")
                }
            default:
                if b < 0x20 { throw fail("control character in string (escape it)") }
                if b < 0x80 {
                    try put(b, at: &out); position &+= 1
                } else {
                    let length = try validUTF8SequenceLength(at: position)
                    for k in 0..<length { try put(bytes[position + k], at: &out) }
                    position &+= length
                }
            }
        }
    }

    @inline(__always) private func put(_ b: UInt8, at out: inout Int) throws(RecordRejection) {
        guard out < scratch.count else { throw fail("string longer than the record buffer") }
        scratch[out] = b
        out &+= 1
    }

    private func putScalar(_ s: UInt32, at out: inout Int) throws(RecordRejection) {
        switch s {
        case 0..<0x80: try put(UInt8(s), at: &out)
        case 0x80..<0x800:
            try put(UInt8(0xC0 | (s >> 6)), at: &out); try put(UInt8(0x80 | (s & 0x3F)), at: &out)
        case 0x800..<0x10000:
            try put(UInt8(0xE0 | (s >> 12)), at: &out); try put(UInt8(0x80 | ((s >> 6) & 0x3F)), at: &out)
            try put(UInt8(0x80 | (s & 0x3F)), at: &out)
        default:
            try put(UInt8(0xF0 | (s >> 18)), at: &out); try put(UInt8(0x80 | ((s >> 12) & 0x3F)), at: &out)
            try put(UInt8(0x80 | ((s >> 6) & 0x3F)), at: &out); try put(UInt8(0x80 | (s & 0x3F)), at: &out)
        }
    }

    private mutating func parseHex4() throws(RecordRejection) -> UInt32 {
        guard position + 4 <= bytes.count else { throw fail("truncated \\u escape in string") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[position]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw fail("invalid \\u escape in string")
            }
            v = v << 4 | d
            position &+= 1
        }
        return v
    }

    /// Length of the well-formed UTF-8 sequence at `i` (Unicode table 3-7: no overlong
    /// forms, no surrogates, nothing above U+10FFFF).
    private func validUTF8SequenceLength(at i: Int) throws(RecordRejection) -> Int {
        let b0 = bytes[i]
        func cont(_ k: Int, _ range: ClosedRange<UInt8> = 0x80...0xBF) -> Bool {
            i + k < bytes.count && range.contains(bytes[i + k])
        }
        switch b0 {
        case 0xC2...0xDF: if cont(1) { return 2 }
        case 0xE0: if cont(1, 0xA0...0xBF) && cont(2) { return 3 }
        case 0xE1...0xEC, 0xEE...0xEF: if cont(1) && cont(2) { return 3 }
        case 0xED: if cont(1, 0x80...0x9F) && cont(2) { return 3 }
        case 0xF0: if cont(1, 0x90...0xBF) && cont(2) && cont(3) { return 4 }
        case 0xF1...0xF3: if cont(1) && cont(2) && cont(3) { return 4 }
        case 0xF4: if cont(1, 0x80...0x8F) && cont(2) && cont(3) { return 4 }
        default: break
        }
        throw RecordRejection("invalid UTF-8 in string", at: i)
    }

    // MARK: numbers

    /// Parses a JSON number, correctly rounded to the nearest Double. Numbers beyond the
    /// Double range are rejected: they would be ±∞, which JSON cannot carry.
    public mutating func parseNumber() throws(RecordRejection) -> Double {
        skipWhitespace()
        let start = position
        var negative = false
        if position < bytes.count && bytes[position] == 0x2D { negative = true; position &+= 1 }
        guard position < bytes.count, (0x30...0x39).contains(bytes[position]) else {
            throw fail(position < bytes.count && (bytes[position] == 0x4E || bytes[position] == 0x49) ? "NaN and Infinity are not JSON numbers" : "expected a number")
        }
        var mantissa: UInt64 = 0
        var digits = 0          // significant digits taken into the mantissa
        var dropped = false     // a non-zero digit did not fit into the mantissa
        var exponent = 0
        if bytes[position] == 0x30 {
            position &+= 1
            if position < bytes.count && (0x30...0x39).contains(bytes[position]) { throw fail("leading zero in a number") }
        } else {
            while position < bytes.count, case let c = bytes[position], c >= 0x30 && c <= 0x39 {
                if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(c &- 0x30); digits &+= 1 } else { exponent &+= 1; if c != 0x30 { dropped = true } }
                position &+= 1
            }
        }
        if position < bytes.count && bytes[position] == 0x2E {
            position &+= 1
            guard position < bytes.count, (0x30...0x39).contains(bytes[position]) else { throw fail("expected a digit after the decimal point") }
            while position < bytes.count, case let c = bytes[position], c >= 0x30 && c <= 0x39 {
                if digits < 19 {
                    if mantissa != 0 || c != 0x30 { mantissa = mantissa &* 10 &+ UInt64(c &- 0x30); if mantissa != 0 { digits &+= 1 } }
                    exponent &-= 1
                } else if c != 0x30 { dropped = true }
                position &+= 1
            }
        }
        if position < bytes.count && (bytes[position] == 0x65 || bytes[position] == 0x45) {
            position &+= 1
            var expNegative = false
            if position < bytes.count && (bytes[position] == 0x2B || bytes[position] == 0x2D) { expNegative = bytes[position] == 0x2D; position &+= 1 }
            guard position < bytes.count, (0x30...0x39).contains(bytes[position]) else { throw fail("expected a digit in the exponent") }
            var e = 0
            while position < bytes.count, case let c = bytes[position], c >= 0x30 && c <= 0x39 {
                if e < 100_000 { e = e * 10 + Int(c - 0x30) }
                position &+= 1
            }
            exponent &+= expNegative ? -e : e
        }
        // Clinger's fast path: an exact mantissa and an exact power of ten give a correctly
        // rounded product or quotient.
        if !dropped && mantissa <= 1 << 53 && exponent >= -22 && exponent <= 22 {
            let m = Double(mantissa)
            let v = exponent >= 0 ? m * JSONScanner.powersOfTen[exponent] : m / JSONScanner.powersOfTen[-exponent]
            return negative ? -v : v
        }
        if mantissa == 0 && !dropped { return negative ? -0.0 : 0.0 }
        let v = JSONScanner.correctlyRounded(UnsafeBufferPointer(rebasing: bytes[start..<position]))
        guard v.isFinite else { position = start; throw fail("number out of the range of a 64-bit float") }
        return v
    }

    static let powersOfTen: [Double] = (0...22).map { e in (0..<e).reduce(1.0) { acc, _ in acc * 10 } }

    /// The C library's strtod (correctly rounded in glibc) on a NUL-terminated copy.
    static func correctlyRounded(_ lexeme: UnsafeBufferPointer<UInt8>) -> Double {
        func convert(_ buffer: UnsafeMutableBufferPointer<CChar>) -> Double {
            for k in 0..<lexeme.count { buffer[k] = CChar(bitPattern: lexeme[k]) }
            buffer[lexeme.count] = 0
            return strtod(buffer.baseAddress!, nil)
        }
        // A number can be as long as the record: only short ones go on the stack.
        if lexeme.count < 512 { return withUnsafeTemporaryAllocation(of: CChar.self, capacity: lexeme.count + 1, convert) }
        var heap = [CChar](repeating: 0, count: lexeme.count + 1)
        return heap.withUnsafeMutableBufferPointer { convert($0) }
    }

    // MARK: values

    /// The kinds of JSON value.
    public enum ValueKind: Sendable { case object, array, string, number, trueValue, falseValue, null }

    /// The kind of the value that comes next, without consuming it.
    public mutating func peekValueKind() throws(RecordRejection) -> ValueKind {
        skipWhitespace()
        guard position < bytes.count else { throw fail("expected a value") }
        switch bytes[position] {
        case 0x7B: return .object
        case 0x5B: return .array
        case 0x22: return .string
        case 0x74: return .trueValue
        case 0x66: return .falseValue
        case 0x6E: return .null
        case 0x2D, 0x30...0x39: return .number
        case 0x4E, 0x49: throw fail("NaN and Infinity are not JSON numbers")
        default: throw fail("expected a value")
        }
    }

    /// Consumes `true`, `false` or `null` as named.
    public mutating func parseLiteral(_ kind: ValueKind) throws(RecordRejection) {
        let word: StaticString
        switch kind {
        case .trueValue: word = "true"
        case .falseValue: word = "false"
        case .null: word = "null"
        default: preconditionFailure("not a literal")
        }
        skipWhitespace()
        let n = word.utf8CodeUnitCount
        guard position + n <= bytes.count else { throw fail("invalid literal") }
        let w = word.utf8Start
        for k in 0..<n where bytes[position + k] != w[k] { throw fail("invalid literal") }
        position &+= n
    }

    /// Skips one value of any kind, validating it.
    public mutating func skipValue(depth: Int = 0) throws(RecordRejection) {
        guard depth < JSONScanner.maximumDepth else { throw fail("nesting deeper than \(JSONScanner.maximumDepth) levels") }
        let kind = try peekValueKind()
        switch kind {
        case .string: _ = try parseString()
        case .number: _ = try parseNumber()
        case .trueValue, .falseValue, .null: try parseLiteral(kind)
        case .object:
            position &+= 1
            if consume(0x7D) { return }
            repeat {
                _ = try parseString()
                try expect(0x3A, "':' after an object key")
                try skipValue(depth: depth + 1)
            } while consume(0x2C)
            try expect(0x7D, "',' or '}' in an object")
        case .array:
            position &+= 1
            if consume(0x5D) { return }
            repeat { try skipValue(depth: depth + 1) } while consume(0x2C)
            try expect(0x5D, "',' or ']' in an array")
        }
    }
}

@inline(__always) func bytesEqual(_ a: UnsafeBufferPointer<UInt8>, _ b: StaticString) -> Bool {
    let n = b.utf8CodeUnitCount
    guard a.count == n else { return false }
    let p = b.utf8Start
    for k in 0..<n where a[k] != p[k] { return false }
    return true
}
