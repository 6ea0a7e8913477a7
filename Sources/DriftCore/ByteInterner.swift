/// Maps byte strings (category values, feature names) to dense codes 0, 1, 2, … without
/// creating a `String` per lookup: an open-addressing table over an arena of the distinct
/// keys. Looking up a key that is already known allocates nothing.
public struct ByteInterner: Sendable {
    private var arena: [UInt8] = []
    private var offsets: [Int] = [0]          // key k is arena[offsets[k]..<offsets[k+1]]
    private var slots: [Int32]                // -1 empty, else a code
    private var hashes: [UInt64] = []
    private var mask: Int

    public init(capacity: Int = 16) {
        var size = 16
        while size < capacity * 2 { size *= 2 }
        slots = Array(repeating: -1, count: size)
        mask = size - 1
    }

    public var count: Int { offsets.count - 1 }

    /// FNV-1a over the bytes, then a final mix so that short keys spread.
    @inline(__always) static func hash(_ key: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf29ce484222325
        for b in key { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        h ^= h >> 33; h &*= 0xff51afd7ed558ccd; h ^= h >> 33
        return h
    }

    /// The code of `key`, adding it when new.
    public mutating func intern(_ key: UnsafeBufferPointer<UInt8>) -> Int32 {
        let h = ByteInterner.hash(key)
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let code = slots[i]
            if code < 0 { break }
            if hashes[Int(code)] == h && keyEquals(Int(code), key) { return code }
            i = (i &+ 1) & mask
        }
        let code = Int32(count)
        arena.append(contentsOf: key)
        offsets.append(arena.count)
        hashes.append(h)
        slots[i] = code
        if count * 2 > slots.count { grow() }
        return code
    }

    /// The code of `key` if known.
    public func code(of key: UnsafeBufferPointer<UInt8>) -> Int32? {
        let h = ByteInterner.hash(key)
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let code = slots[i]
            if code < 0 { return nil }
            if hashes[Int(code)] == h && keyEquals(Int(code), key) { return code }
            i = (i &+ 1) & mask
        }
    }

    public mutating func intern(_ key: String) -> Int32 {
        var k = key
        return k.withUTF8 { intern($0) }
    }

    public func code(of key: String) -> Int32? {
        var k = key
        return k.withUTF8 { code(of: $0) }
    }

    /// The key of a code, as a String.
    public func key(_ code: Int32) -> String {
        let c = Int(code)
        return String(decoding: arena[offsets[c]..<offsets[c + 1]], as: UTF8.self)
    }

    public var keys: [String] { (0..<count).map { key(Int32($0)) } }

    @inline(__always) private func keyEquals(_ code: Int, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = offsets[code], end = offsets[code + 1]
        guard end - start == key.count else { return false }
        return arena.withUnsafeBufferPointer { a in
            var k = 0
            while k < key.count { if a[start + k] != key[k] { return false }; k += 1 }
            return true
        }
    }

    private mutating func grow() {
        let size = slots.count * 2
        slots = Array(repeating: -1, count: size)
        mask = size - 1
        for code in 0..<count {
            var i = Int(truncatingIfNeeded: hashes[code]) & mask
            while slots[i] >= 0 { i = (i + 1) & mask }
            slots[i] = Int32(code)
        }
    }
}
