import Foundation

/// A compact, versioned binary form of any `Codable` value, for what driftd writes at every
/// commit point (model states: open panes with their histograms) and reads at every start
/// (baselines: frozen bins and 1,000-point grids).
///
/// JSON through Foundation spent half of a 1,000-model replay printing and parsing the
/// grids' numbers. Here doubles lie as their 8 bytes, integer arrays as zero runs and
/// varints (a pane of 50 records touches 50 of 1,000 grid cells), and keys are interned per
/// document. The layout is self-describing (a tag before every value, keys by name), so
/// decoding does not depend on the order a type's `init(from:)` asks for its keys, and a
/// field added later with `decodeIfPresent` reads old documents.
///
/// Layout: the magic `DRC` and a version byte (1), then one value. A value is a tag byte and
/// its payload; lengths and integers are LEB128 varints (signed ones zig-zag encoded).
public enum CompactCoding {
    static let magic: [UInt8] = [0x44, 0x52, 0x43] // "DRC"
    static let version: UInt8 = 1

    /// Whether `bytes` hold a compact document (rather than, say, JSON written by an older
    /// driftd).
    public static func isCompact(_ bytes: some Collection<UInt8>) -> Bool {
        bytes.count >= 4 && Array(bytes.prefix(3)) == magic
    }

    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = CompactEncoderState()
        encoder.bytes.append(contentsOf: magic)
        encoder.bytes.append(version)
        if let direct = value as? any CompactWritable { direct.writeCompact(to: encoder) } else { try encoder.encodeValue(value, codingPath: []) }
        return encoder.bytes
    }

    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        guard isCompact(bytes) else { throw CompactCodingError("not a compact document (no DRC header)") }
        guard bytes[3] == version else {
            throw CompactCodingError("compact document version \(bytes[3]); this driftd reads version \(version) — upgrade driftd")
        }
        var reader = CompactReader(bytes: bytes, position: 4)
        let node = try reader.readNode()
        guard reader.position == bytes.count else { throw CompactCodingError("\(bytes.count - reader.position) bytes after the document") }
        return try CompactDecoder(node: node, codingPath: []).decodeValue(type)
    }
}

public struct CompactCodingError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

// MARK: - The tree both sides agree on

enum CompactTag: UInt8 {
    case null = 0, falseValue, trueValue, signed, unsigned, double, string, keyed, unkeyed
    case unsignedArray, signedArray, doubleArray, int32Array
    /// Key references inside a keyed container: a new key (its text follows) or a known one.
    case newKey = 0x40, knownKey
}

indirect enum CompactNode {
    case null
    case bool(Bool)
    case signed(Int64)
    case unsigned(UInt64)
    case double(Double)
    case string(String)
    case keyed([String: CompactNode])
    case unkeyed([CompactNode])
    case unsignedArray([UInt64])
    case signedArray([Int64])
    case doubleArray([Double])
    case int32Array([Int32])
}

// MARK: - Writing

/// A value being encoded: built as a tree first (a keyed container's entry count comes
/// before its entries, and keys are interned in writing order), then written in one pass.
final class CompactBuildNode {
    enum Kind { case empty, leaf(CompactNode), keyed([(String, CompactBuildNode)]), unkeyed([CompactBuildNode]) }
    var kind: Kind
    init(_ kind: Kind = .empty) { self.kind = kind }

    // Appends take the array out of `kind` first (`kind = .empty`) so that it stays uniquely
    // referenced and grows in place instead of being copied at every entry.
    func append(_ key: String, _ child: CompactBuildNode) {
        if case .keyed(var entries) = kind { kind = .empty; entries.append((key, child)); kind = .keyed(entries) }
        else { kind = .keyed([(key, child)]) }
    }

    func append(_ child: CompactBuildNode) {
        if case .unkeyed(var elements) = kind { kind = .empty; elements.append(child); kind = .unkeyed(elements) }
        else { kind = .unkeyed([child]) }
    }

    static func of<T: Encodable>(_ value: T, codingPath: [any CodingKey]) throws -> CompactBuildNode {
        // Type identity first: a failing dynamic cast per value cost more than the value.
        if T.self == [UInt64].self { return CompactBuildNode(.leaf(.unsignedArray(unsafeBitCast(value, to: [UInt64].self)))) }
        if T.self == [Double].self { return CompactBuildNode(.leaf(.doubleArray(unsafeBitCast(value, to: [Double].self)))) }
        if T.self == Double.self { return CompactBuildNode(.leaf(.double(unsafeBitCast(value, to: Double.self)))) }
        if T.self == Int64.self { return CompactBuildNode(.leaf(.signed(unsafeBitCast(value, to: Int64.self)))) }
        if T.self == UInt64.self { return CompactBuildNode(.leaf(.unsigned(unsafeBitCast(value, to: UInt64.self)))) }
        if T.self == Int.self { return CompactBuildNode(.leaf(.signed(Int64(unsafeBitCast(value, to: Int.self))))) }
        if T.self == String.self { return CompactBuildNode(.leaf(.string(unsafeBitCast(value, to: String.self)))) }
        if T.self == [Int64].self { return CompactBuildNode(.leaf(.signedArray(unsafeBitCast(value, to: [Int64].self)))) }
        if T.self == [Int32].self { return CompactBuildNode(.leaf(.int32Array(unsafeBitCast(value, to: [Int32].self)))) }
        let node = CompactBuildNode()
        try value.encode(to: CompactEncoder(node: node, codingPath: codingPath))
        return node
    }
}

final class CompactEncoderState {
    var bytes: [UInt8] = []
    var keys: [String: Int] = [:]
    var literalKeys: [UInt: Int] = [:]

    init() { bytes.reserveCapacity(4096) }

    func encodeValue<T: Encodable>(_ value: T, codingPath: [any CodingKey]) throws {
        write(try CompactBuildNode.of(value, codingPath: codingPath))
    }

    func write(_ node: CompactBuildNode) {
        switch node.kind {
        case .empty: tag(.keyed); varint(0)
        case .leaf(let leaf): write(leaf)
        case .keyed(let entries):
            tag(.keyed); varint(UInt64(entries.count))
            for (k, child) in entries { key(k); write(child) }
        case .unkeyed(let elements):
            tag(.unkeyed); varint(UInt64(elements.count))
            for child in elements { write(child) }
        }
    }

    func write(_ leaf: CompactNode) {
        switch leaf {
        case .null: tag(.null)
        case .bool(let b): tag(b ? .trueValue : .falseValue)
        case .signed(let v): tag(.signed); zigzag(v)
        case .unsigned(let v): tag(.unsigned); varint(v)
        case .double(let d): tag(.double); withUnsafeBytes(of: d.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        case .string(let s): tag(.string); string(s)
        case .unsignedArray(let a): tag(.unsignedArray); unsignedRuns(a)
        case .signedArray(let a): tag(.signedArray); unsignedRuns(a.map { UInt64(bitPattern: ($0 << 1) ^ ($0 >> 63)) })
        case .int32Array(let a): tag(.int32Array); unsignedRuns(a.map { UInt64(UInt32(bitPattern: ($0 << 1) ^ ($0 >> 31))) })
        case .doubleArray(let a): tag(.doubleArray); doubles(a)
        case .keyed, .unkeyed: preconditionFailure("containers are built as CompactBuildNode")
        }
    }

    func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 { bytes.append(UInt8(truncatingIfNeeded: v) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }

    func zigzag(_ v: Int64) { varint(UInt64(bitPattern: (v << 1) ^ (v >> 63))) }

    func tag(_ t: CompactTag) { bytes.append(t.rawValue) }

    func string(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            varint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    func key(_ k: String) {
        if let known = keys[k] {
            tag(.knownKey); varint(UInt64(known))
        } else {
            keys[k] = keys.count
            tag(.newKey); string(k)
        }
    }

    /// The direct writers' keys are literals: known by their address, they skip hashing the
    /// text (a document holds hundreds of thousands of keys). The first use of an address
    /// goes through the text, so two literals with one text share one key, as on the
    /// generic path.
    func key(_ k: StaticString) {
        let address = UInt(bitPattern: k.utf8Start)
        // A small direct-mapped cache in front of the dictionary: a document uses a few dozen
        // literal keys hundreds of thousands of times.
        let slot = Int(truncatingIfNeeded: (address >> 3) ^ (address >> 11)) & (Self.literalCacheSize - 1)
        if literalCache[slot].address == address { tag(.knownKey); varint(UInt64(literalCache[slot].index)); return }
        if let known = literalKeys[address] {
            literalCache[slot] = (address, known)
            tag(.knownKey); varint(UInt64(known)); return
        }
        let text = k.description
        key(text)
        literalKeys[address] = keys[text]
    }

    static let literalCacheSize = 256
    private lazy var literalCache = [(address: UInt, index: Int)](repeating: (0, 0), count: Self.literalCacheSize)

    /// Integers as runs: (zeros before, value) pairs, so sparse histograms cost what they hold.
    func unsignedRuns(_ values: [UInt64]) {
        varint(UInt64(values.count))
        values.withUnsafeBufferPointer { v in
            var nonZero = 0
            for x in v where x != 0 { nonZero += 1 }
            varint(UInt64(nonZero))
            var zeros: UInt64 = 0, i = 0
            while i < v.count {
                // A 1,000-cell grid holding a pane's few dozen values is mostly zeros.
                if i + 4 <= v.count && (v[i] | v[i + 1] | v[i + 2] | v[i + 3]) == 0 { zeros += 4; i += 4; continue }
                if v[i] == 0 { zeros += 1 } else { varint(zeros); varint(v[i]); zeros = 0 }
                i += 1
            }
        }
    }

    func doubles(_ values: [Double]) {
        varint(UInt64(values.count))
        // Little-endian on every platform driftd builds for (x86-64, arm64).
        values.withUnsafeBytes { bytes.append(contentsOf: $0) }
    }
}

/// The `Encoder` a type's `encode(to:)` sees: whatever container it asks for is built
/// into its node.
struct CompactEncoder: Encoder {
    let node: CompactBuildNode
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .empty = node.kind { node.kind = .keyed([]) }
        return KeyedEncodingContainer(CompactKeyedEncoding<Key>(node: node, codingPath: codingPath))
    }
    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .empty = node.kind { node.kind = .unkeyed([]) }
        return CompactUnkeyedEncoding(node: node, codingPath: codingPath)
    }
    func singleValueContainer() -> any SingleValueEncodingContainer { CompactSingleEncoding(node: node, codingPath: codingPath) }
}

struct CompactKeyedEncoding<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: CompactBuildNode
    let codingPath: [any CodingKey]

    mutating func encodeNil(forKey key: Key) throws { node.append(key.stringValue, CompactBuildNode(.leaf(.null))) }
    // Scalars without a trip through a nested encoder.
    mutating func encode(_ value: Bool, forKey key: Key) throws { node.append(key.stringValue, CompactBuildNode(.leaf(.bool(value)))) }
    mutating func encode(_ value: String, forKey key: Key) throws { node.append(key.stringValue, CompactBuildNode(.leaf(.string(value)))) }
    mutating func encode(_ value: Double, forKey key: Key) throws { node.append(key.stringValue, CompactBuildNode(.leaf(.double(value)))) }
    mutating func encode(_ value: Int, forKey key: Key) throws { node.append(key.stringValue, CompactBuildNode(.leaf(.signed(Int64(value))))) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { node.append(key.stringValue, CompactBuildNode(.leaf(.signed(value)))) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { node.append(key.stringValue, CompactBuildNode(.leaf(.unsigned(value)))) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        node.append(key.stringValue, try CompactBuildNode.of(value, codingPath: codingPath + [key]))
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let child = CompactBuildNode(.keyed([]))
        node.append(key.stringValue, child)
        return KeyedEncodingContainer(CompactKeyedEncoding<NestedKey>(node: child, codingPath: codingPath + [key]))
    }
    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = CompactBuildNode(.unkeyed([]))
        node.append(key.stringValue, child)
        return CompactUnkeyedEncoding(node: child, codingPath: codingPath + [key])
    }
    mutating func superEncoder() -> any Encoder {
        let child = CompactBuildNode()
        node.append("super", child)
        return CompactEncoder(node: child, codingPath: codingPath)
    }
    mutating func superEncoder(forKey key: Key) -> any Encoder {
        let child = CompactBuildNode()
        node.append(key.stringValue, child)
        return CompactEncoder(node: child, codingPath: codingPath + [key])
    }
}

struct CompactUnkeyedEncoding: UnkeyedEncodingContainer {
    let node: CompactBuildNode
    let codingPath: [any CodingKey]
    var count: Int { if case .unkeyed(let e) = node.kind { return e.count }; return 0 }

    mutating func encodeNil() throws { node.append(CompactBuildNode(.leaf(.null))) }
    mutating func encode<T: Encodable>(_ value: T) throws { node.append(try CompactBuildNode.of(value, codingPath: codingPath)) }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let child = CompactBuildNode(.keyed([]))
        node.append(child)
        return KeyedEncodingContainer(CompactKeyedEncoding<NestedKey>(node: child, codingPath: codingPath))
    }
    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let child = CompactBuildNode(.unkeyed([]))
        node.append(child)
        return CompactUnkeyedEncoding(node: child, codingPath: codingPath)
    }
    mutating func superEncoder() -> any Encoder {
        let child = CompactBuildNode()
        node.append(child)
        return CompactEncoder(node: child, codingPath: codingPath)
    }
}

struct CompactSingleEncoding: SingleValueEncodingContainer {
    let node: CompactBuildNode
    let codingPath: [any CodingKey]

    func set(_ leaf: CompactNode) { node.kind = .leaf(leaf) }
    mutating func encodeNil() throws { set(.null) }
    mutating func encode(_ value: Bool) throws { set(.bool(value)) }
    mutating func encode(_ value: String) throws { set(.string(value)) }
    mutating func encode(_ value: Double) throws { set(.double(value)) }
    mutating func encode(_ value: Float) throws { set(.double(Double(value))) }
    mutating func encode(_ value: Int) throws { set(.signed(Int64(value))) }
    mutating func encode(_ value: Int8) throws { set(.signed(Int64(value))) }
    mutating func encode(_ value: Int16) throws { set(.signed(Int64(value))) }
    mutating func encode(_ value: Int32) throws { set(.signed(Int64(value))) }
    mutating func encode(_ value: Int64) throws { set(.signed(value)) }
    mutating func encode(_ value: UInt) throws { set(.unsigned(UInt64(value))) }
    mutating func encode(_ value: UInt8) throws { set(.unsigned(UInt64(value))) }
    mutating func encode(_ value: UInt16) throws { set(.unsigned(UInt64(value))) }
    mutating func encode(_ value: UInt32) throws { set(.unsigned(UInt64(value))) }
    mutating func encode(_ value: UInt64) throws { set(.unsigned(value)) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        node.kind = try CompactBuildNode.of(value, codingPath: codingPath).kind
    }
}

// MARK: - Reading

struct CompactReader {
    let bytes: [UInt8]
    var position: Int
    var keys: [String] = []

    init(bytes: [UInt8], position: Int) { self.bytes = bytes; self.position = position }

    mutating func byte() throws -> UInt8 {
        guard position < bytes.count else { throw CompactCodingError("the document ends early, at byte \(position)") }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0, shift: UInt64 = 0
        while true {
            let b = try byte()
            guard shift < 64 else { throw CompactCodingError("a varint longer than 64 bits at byte \(position)") }
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift += 7
        }
    }

    mutating func count() throws -> Int {
        let n = try varint()
        guard n <= UInt64(bytes.count - position) * 8 + 1_000_000 else { throw CompactCodingError("a length of \(n) at byte \(position) is beyond the document") }
        return Int(n)
    }

    mutating func zigzag() throws -> Int64 {
        let v = try varint()
        return Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1)
    }

    mutating func string() throws -> String {
        let n = try count()
        guard n <= bytes.count - position else { throw CompactCodingError("a string past the end at byte \(position)") }
        defer { position += n }
        return String(decoding: bytes[position..<position + n], as: UTF8.self)
    }

    mutating func double() throws -> Double {
        guard bytes.count - position >= 8 else { throw CompactCodingError("a double past the end at byte \(position)") }
        var bits: UInt64 = 0
        for k in 0..<8 { bits |= UInt64(bytes[position + k]) << (8 * UInt64(k)) }
        position += 8
        return Double(bitPattern: bits)
    }

    mutating func unsignedRuns() throws -> [UInt64] {
        let n = try count()
        var values = [UInt64](repeating: 0, count: n)
        let pairs = try count()
        var i = 0
        for _ in 0..<pairs {
            i += Int(try varint())
            guard i < n else { throw CompactCodingError("a run past the array's \(n) elements at byte \(position)") }
            values[i] = try varint()
            i += 1
        }
        return values
    }

    mutating func key() throws -> String {
        switch CompactTag(rawValue: try byte()) {
        case .newKey: let k = try string(); keys.append(k); return k
        case .knownKey:
            let i = Int(try varint())
            guard i < keys.count else { throw CompactCodingError("key reference \(i) before its key, at byte \(position)") }
            return keys[i]
        default: throw CompactCodingError("a key expected at byte \(position - 1)")
        }
    }

    mutating func readNode() throws -> CompactNode {
        let at = position
        guard let tag = CompactTag(rawValue: try byte()) else { throw CompactCodingError("unknown tag \(bytes[at]) at byte \(at)") }
        switch tag {
        case .null: return .null
        case .falseValue: return .bool(false)
        case .trueValue: return .bool(true)
        case .signed: return .signed(try zigzag())
        case .unsigned: return .unsigned(try varint())
        case .double: return .double(try double())
        case .string: return .string(try string())
        case .keyed:
            let n = try count()
            var entries: [String: CompactNode] = [:]
            entries.reserveCapacity(n)
            for _ in 0..<n { let k = try key(); entries[k] = try readNode() }
            return .keyed(entries)
        case .unkeyed:
            let n = try count()
            var elements: [CompactNode] = []
            elements.reserveCapacity(n)
            for _ in 0..<n { elements.append(try readNode()) }
            return .unkeyed(elements)
        case .unsignedArray: return .unsignedArray(try unsignedRuns())
        case .signedArray: return .signedArray(try unsignedRuns().map { Int64(bitPattern: $0 >> 1) ^ -Int64(bitPattern: $0 & 1) })
        case .int32Array: return .int32Array(try unsignedRuns().map { Int32(truncatingIfNeeded: Int64(bitPattern: $0 >> 1) ^ -Int64(bitPattern: $0 & 1)) })
        case .doubleArray:
            let n = try count()
            guard n <= (bytes.count - position) / 8 else { throw CompactCodingError("a double array past the end at byte \(position)") }
            let values = [Double](unsafeUninitializedCapacity: n) { buffer, initialized in
                bytes.withUnsafeBytes { raw in
                    UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[position..<position + n * 8]))
                }
                initialized = n
            }
            position += n * 8
            return .doubleArray(values)
        case .newKey, .knownKey: throw CompactCodingError("a key where a value belongs, at byte \(at)")
        }
    }
}

struct CompactDecoder: Decoder {
    let node: CompactNode
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func mismatch(_ expected: String) -> DecodingError {
        .typeMismatch(Any.self, .init(codingPath: codingPath, debugDescription: "expected \(expected), found \(node)"))
    }

    func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
        switch node {
        case .unsignedArray(let a) where T.self == [UInt64].self: return a as! T
        case .doubleArray(let a) where T.self == [Double].self: return a as! T
        case .signedArray(let a) where T.self == [Int64].self: return a as! T
        case .int32Array(let a) where T.self == [Int32].self: return a as! T
        default: return try T(from: self)
        }
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .keyed(let entries) = node else { throw mismatch("a keyed container") }
        return KeyedDecodingContainer(CompactKeyedDecoding<Key>(entries: entries, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        switch node {
        case .unkeyed(let elements): return CompactUnkeyedDecoding(elements: elements, codingPath: codingPath)
        // An array written in its packed form, read element by element (e.g. [UInt32]).
        case .unsignedArray(let a): return CompactUnkeyedDecoding(elements: a.map { .unsigned($0) }, codingPath: codingPath)
        case .signedArray(let a): return CompactUnkeyedDecoding(elements: a.map { .signed($0) }, codingPath: codingPath)
        case .int32Array(let a): return CompactUnkeyedDecoding(elements: a.map { .signed(Int64($0)) }, codingPath: codingPath)
        case .doubleArray(let a): return CompactUnkeyedDecoding(elements: a.map { .double($0) }, codingPath: codingPath)
        default: throw mismatch("an unkeyed container")
        }
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { CompactSingleDecoding(decoder: self) }
}

struct CompactKeyedDecoding<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let entries: [String: CompactNode]
    let codingPath: [any CodingKey]
    var allKeys: [Key] { entries.keys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { entries[key.stringValue] != nil }

    func child(_ key: Key) throws -> CompactDecoder {
        guard let node = entries[key.stringValue] else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "no value for '\(key.stringValue)'"))
        }
        return CompactDecoder(node: node, codingPath: codingPath + [key])
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        if case .null = try child(key).node { return true }
        return false
    }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try child(key).decodeValue(type) }
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let node = entries[key.stringValue] else { return nil }
        if case .null = node { return nil }
        return try CompactDecoder(node: node, codingPath: codingPath + [key]).decodeValue(type)
    }
    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try child(key).container(keyedBy: type)
    }
    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer { try child(key).unkeyedContainer() }
    func superDecoder() throws -> any Decoder { CompactDecoder(node: entries["super"] ?? .null, codingPath: codingPath) }
    func superDecoder(forKey key: Key) throws -> any Decoder { try child(key) }
}

struct CompactUnkeyedDecoding: UnkeyedDecodingContainer {
    let elements: [CompactNode]
    let codingPath: [any CodingKey]
    var currentIndex = 0
    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    init(elements: [CompactNode], codingPath: [any CodingKey]) { self.elements = elements; self.codingPath = codingPath }

    mutating func next() throws -> CompactDecoder {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(Any.self, .init(codingPath: codingPath, debugDescription: "the array ends at \(currentIndex)"))
        }
        defer { currentIndex += 1 }
        return CompactDecoder(node: elements[currentIndex], codingPath: codingPath)
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, case .null = elements[currentIndex] else { return false }
        currentIndex += 1
        return true
    }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().decodeValue(type) }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try next().container(keyedBy: type)
    }
    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try next().unkeyedContainer() }
    mutating func superDecoder() throws -> any Decoder { try next() }
}

struct CompactSingleDecoding: SingleValueDecodingContainer {
    let decoder: CompactDecoder
    var codingPath: [any CodingKey] { decoder.codingPath }

    func decodeNil() -> Bool { if case .null = decoder.node { return true }; return false }
    func decode(_ type: Bool.Type) throws -> Bool {
        guard case .bool(let b) = decoder.node else { throw decoder.mismatch("a boolean") }
        return b
    }
    func decode(_ type: String.Type) throws -> String {
        guard case .string(let s) = decoder.node else { throw decoder.mismatch("a string") }
        return s
    }
    func decode(_ type: Double.Type) throws -> Double {
        switch decoder.node {
        case .double(let d): return d
        case .signed(let v): return Double(v)
        case .unsigned(let v): return Double(v)
        default: throw decoder.mismatch("a number")
        }
    }
    func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }
    func integer<I: FixedWidthInteger>(_ type: I.Type) throws -> I {
        let value: I?
        switch decoder.node {
        case .signed(let v): value = I(exactly: v)
        case .unsigned(let v): value = I(exactly: v)
        default: throw decoder.mismatch("an integer")
        }
        guard let value else {
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "\(decoder.node) does not fit \(I.self)"))
        }
        return value
    }
    func decode(_ type: Int.Type) throws -> Int { try integer(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try integer(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(type) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoder.decodeValue(type) }
}
