import DriftCore

/// A parsed JSON document for reading fixtures. Built on driftd's own scanner because
/// Foundation's JSONSerialization on Linux does not round every number correctly, and the
/// fixtures' last bits matter.
public indirect enum JSONValue: Sendable, Equatable {
    case object([String: JSONValue]), array([JSONValue]), string(String), number(Double), bool(Bool), null

    public static func parse(_ text: String) throws -> JSONValue {
        var bytes = Array(text.utf8)
        let count = bytes.count
        return try bytes.withUnsafeMutableBufferPointer { b in
            let scratch = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: count + 16)
            defer { scratch.deallocate() }
            var s = JSONScanner(UnsafeBufferPointer(b), scratch: scratch)
            let v = try value(&s)
            s.skipWhitespace()
            guard s.isAtEnd else { throw s.fail("trailing data") }
            return v
        }
    }

    private static func value(_ s: inout JSONScanner) throws -> JSONValue {
        let kind = try s.peekValueKind()
        switch kind {
        case .number: return .number(try s.parseNumber())
        case .string: return .string(String(decoding: try s.parseString(), as: UTF8.self))
        case .trueValue: try s.parseLiteral(kind); return .bool(true)
        case .falseValue: try s.parseLiteral(kind); return .bool(false)
        case .null: try s.parseLiteral(kind); return .null
        case .array:
            _ = s.consume(0x5B)
            var items: [JSONValue] = []
            if s.consume(0x5D) { return .array(items) }
            repeat { items.append(try value(&s)) } while s.consume(0x2C)
            try s.expect(0x5D, "]")
            return .array(items)
        case .object:
            _ = s.consume(0x7B)
            var fields: [String: JSONValue] = [:]
            if s.consume(0x7D) { return .object(fields) }
            repeat {
                let key = String(decoding: try s.parseString(), as: UTF8.self)
                try s.expect(0x3A, ":")
                fields[key] = try value(&s)
            } while s.consume(0x2C)
            try s.expect(0x7D, "}")
            return .object(fields)
        }
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    public var number: Double? { if case .number(let n) = self { return n }; return nil }
    public var string: String? { if case .string(let s) = self { return s }; return nil }
    public var array: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
    public var object: [String: JSONValue]? { if case .object(let o) = self { return o }; return nil }
    public var bool: Bool? { if case .bool(let b) = self { return b }; return nil }
}
