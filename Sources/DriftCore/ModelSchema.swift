import DriftStats

/// What the decoder knows of one monitored model: its features by kind, and for each
/// categorical feature the slot of every category its baseline knows.
public struct ModelSchema: Sendable {
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
    }

    /// The slot of a category value of categorical feature `k`.
    @inline(__always) func slot(ofCategory bytes: UnsafeBufferPointer<UInt8>, feature k: Int) -> Int32 {
        if let code = categoryCodes[k].code(of: bytes) { return slotOfCode[k][Int(code)] }
        return unseenSlot[k]
    }
}
