#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Data-quality counters of one numeric feature: values missing (NaN marker, from a null or
/// absent field), non-finite (±∞, possible from CSV input), of the wrong type (counted by the
/// decoder, e.g. a string for a numeric feature), and finite values outside the reference's
/// observed range `[min, max]`. Mergeable by addition.
public struct DataQualityCounts: Sendable, Codable, Equatable, Hashable {
    public var total: UInt64 = 0
    public var missing: UInt64 = 0
    public var nonFinite: UInt64 = 0
    public var typeErrors: UInt64 = 0
    public var belowReferenceRange: UInt64 = 0
    public var aboveReferenceRange: UInt64 = 0

    public static let zero = DataQualityCounts()
    public init() {}

    public var outsideReferenceRange: UInt64 { belowReferenceRange + aboveReferenceRange }

    /// Counts a column against the reference range (vector compares, one reduction).
    public mutating func add(_ column: UnsafeBufferPointer<Double>, referenceRange: ClosedRange<Double>) {
        guard let base = column.baseAddress, column.count > 0 else { return }
        let raw = UnsafeRawPointer(base)
        let lanes = 8
        let vectorCount = column.count / lanes * lanes
        let low = SIMD8<Double>(repeating: referenceRange.lowerBound)
        let high = SIMD8<Double>(repeating: referenceRange.upperBound)
        let infinity = SIMD8<Double>(repeating: .infinity)
        var nan = SIMD8<Int64>(), inf = SIMD8<Int64>(), below = SIMD8<Int64>(), above = SIMD8<Int64>()
        var i = 0
        while i < vectorCount {
            let v = raw.loadUnaligned(fromByteOffset: i &* 8, as: SIMD8<Double>.self)
            let isInf = (v .== infinity) .| (v .== -infinity)
            nan &-= unsafeBitCast(v .!= v, to: SIMD8<Int64>.self)
            inf &-= unsafeBitCast(isInf, to: SIMD8<Int64>.self)
            below &-= unsafeBitCast((v .< low) .& .!isInf, to: SIMD8<Int64>.self)
            above &-= unsafeBitCast((v .> high) .& .!isInf, to: SIMD8<Int64>.self)
            i &+= lanes
        }
        missing &+= UInt64(nan.wrappedSum())
        nonFinite &+= UInt64(inf.wrappedSum())
        belowReferenceRange &+= UInt64(below.wrappedSum())
        aboveReferenceRange &+= UInt64(above.wrappedSum())
        total &+= UInt64(vectorCount)
        addScalar(UnsafeBufferPointer(rebasing: column[vectorCount...]), referenceRange: referenceRange)
    }

    /// One value at a time: the reference for ``add(_:referenceRange:)``.
    public mutating func addScalar(_ column: UnsafeBufferPointer<Double>, referenceRange: ClosedRange<Double>) {
        for v in column {
            total &+= 1
            if v.isNaN { missing &+= 1 }
            else if v.isInfinite { nonFinite &+= 1 }
            else if v < referenceRange.lowerBound { belowReferenceRange &+= 1 }
            else if v > referenceRange.upperBound { aboveReferenceRange &+= 1 }
        }
    }

    /// Counts values the decoder could not use because they had the wrong type. They are
    /// part of the total but appear in the column as missing, so they are moved over.
    public mutating func recordTypeErrors(_ n: UInt64) {
        typeErrors &+= n
        missing = missing >= n ? missing - n : 0
    }

    public mutating func merge(_ o: DataQualityCounts) {
        total &+= o.total; missing &+= o.missing; nonFinite &+= o.nonFinite; typeErrors &+= o.typeErrors
        belowReferenceRange &+= o.belowReferenceRange; aboveReferenceRange &+= o.aboveReferenceRange
    }

    public func merged(with o: DataQualityCounts) -> DataQualityCounts { var r = self; r.merge(o); return r }

    /// Takes out counts merged in before (the reference without one of its pieces).
    public mutating func subtract(_ o: DataQualityCounts) {
        func minus(_ a: UInt64, _ b: UInt64) -> UInt64 { a &- Swift.min(a, b) }
        total = minus(total, o.total); missing = minus(missing, o.missing); nonFinite = minus(nonFinite, o.nonFinite)
        typeErrors = minus(typeErrors, o.typeErrors)
        belowReferenceRange = minus(belowReferenceRange, o.belowReferenceRange); aboveReferenceRange = minus(aboveReferenceRange, o.aboveReferenceRange)
    }

    /// Share of values that were missing (0 when nothing was seen).
    public var missingRate: Double { total == 0 ? 0 : Double(missing) / Double(total) }
}
