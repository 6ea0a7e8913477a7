#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import DriftStats

/// What the decoder knows of one monitored model: its features by kind, and for each
/// categorical feature the slot of every category its baseline knows.
public final class ModelSchema: Sendable {
    public let model: String
    public let numericFeatures: [String]
    public let categoricalFeatures: [String]
    /// Per categorical feature: category bytes → code, and code → slot of the profile.
    let categoryCodes: [ByteInterner]
    let slotOfCode: [[Int32]]
    let unseenSlot: [Int32]
    /// Feature name → (isNumeric, index within its kind).
    let featureIndex: ByteInterner
    let featureSlots: [(numeric: Bool, index: Int)]
    /// Feature names as bytes, by feature code (kept alive by `nameStorage`).
    var featureNameBytes: [UnsafeBufferPointer<UInt8>] { nameStorage.buffers }
    let nameStorage: NameStorage
    /// Code of the "prediction" feature, if the baseline monitors it.
    let predictionFeature: Int32?
    /// Binary classification with scores: a score at or above this predicts class 1.
    let scoreThreshold: Double?
    /// Multi-class numeric labels: a prediction is right when it equals the label.
    let numericClasses: Bool

    public init(baseline: Baseline) {
        var numeric: [String] = [], categorical: [String] = []
        var codes: [ByteInterner] = [], slots: [[Int32]] = [], unseen: [Int32] = []
        var index = ByteInterner()
        var featureSlots: [(Bool, Int)] = []
        for f in baseline.features {
            _ = index.intern(f.name)
            switch f.profile {
            case .numeric:
                featureSlots.append((true, numeric.count))
                numeric.append(f.name)
            case .categorical(let profile):
                featureSlots.append((false, categorical.count))
                categorical.append(f.name)
                var interner = ByteInterner(capacity: profile.categories.count + profile.otherCategories.count)
                var slotTable: [Int32] = []
                for (k, c) in profile.categories.enumerated() { _ = interner.intern(c); slotTable.append(Int32(k)) }
                for c in profile.otherCategories.sorted() { _ = interner.intern(c); slotTable.append(Int32(profile.otherSlot)) }
                codes.append(interner)
                slots.append(slotTable)
                // Without the full list of the reference's rarer categories, an unknown one
                // may be one of them: it counts as "other", not "unseen".
                unseen.append(Int32(profile.otherCategoriesComplete ? profile.unseenSlot : profile.otherSlot))
            }
        }
        self.model = baseline.model
        self.numericFeatures = numeric
        self.categoricalFeatures = categorical
        self.categoryCodes = codes
        self.slotOfCode = slots
        self.unseenSlot = unseen
        self.featureIndex = index
        self.featureSlots = featureSlots
        let storage = NameStorage(baseline.features.map(\.name))
        self.nameStorage = storage
        self.predictionFeature = index.code(of: "prediction")
        self.scoreThreshold = baseline.performance?.threshold
        self.numericClasses = baseline.performance?.numericClasses ?? false
    }

    /// The feature code of a name, trying first the code seen at the same key position in
    /// the previous record: producers keep their key order, so this usually avoids hashing.
    @inline(__always) func featureCode(of name: UnsafeBufferPointer<UInt8>, hints: KeyOrderHints, position: Int) -> Int32? {
        let guess = hints.code(at: position)
        if guess >= 0 {
            let known = nameStorage.buffers[Int(guess)]
            if known.count == name.count && (name.isEmpty || memcmp(known.baseAddress!, name.baseAddress!, name.count) == 0) {
                return guess
            }
        }
        let code = featureIndex.code(of: name)
        hints.set(code ?? -1, at: position)
        return code
    }

    /// The slot of a category value of categorical feature `k`.
    @inline(__always) func slot(ofCategory bytes: UnsafeBufferPointer<UInt8>, feature k: Int) -> Int32 {
        if let code = categoryCodes[k].code(of: bytes) { return slotOfCode[k][Int(code)] }
        return unseenSlot[k]
    }
}

/// Feature names in one immutable allocation, so comparing a key with a name touches no
/// reference counts.
/// `@unchecked`: written once at creation, immutable after (a raw allocation freed in `deinit`).
final class NameStorage: @unchecked Sendable {
    let buffers: [UnsafeBufferPointer<UInt8>]
    private let base: UnsafeMutableBufferPointer<UInt8>
    init(_ names: [String]) {
        let total = names.reduce(0) { $0 + $1.utf8.count }
        base = .allocate(capacity: Swift.max(total, 1))
        var offset = 0
        var buffers: [UnsafeBufferPointer<UInt8>] = []
        for n in names {
            let bytes = Array(n.utf8)
            for (k, b) in bytes.enumerated() { base[offset + k] = b }
            buffers.append(UnsafeBufferPointer(start: base.baseAddress! + offset, count: bytes.count))
            offset += bytes.count
        }
        self.buffers = buffers
    }
    deinit { base.deallocate() }
}

/// Per model, the feature code seen at each key position of the previous record.
final class KeyOrderHints {
    private var codes = UnsafeMutableBufferPointer<Int32>.allocate(capacity: 64)
    init() { codes.initialize(repeating: -1) }
    deinit { codes.deallocate() }
    @inline(__always) func code(at position: Int) -> Int32 { position < codes.count ? codes[position] : -1 }
    func set(_ code: Int32, at position: Int) {
        if position >= codes.count {
            let bigger = UnsafeMutableBufferPointer<Int32>.allocate(capacity: Swift.max(position + 1, codes.count * 2))
            bigger.initialize(repeating: -1)
            for k in 0..<codes.count { bigger[k] = codes[k] }
            codes.deallocate()
            codes = bigger
        }
        codes[position] = code
    }
}
