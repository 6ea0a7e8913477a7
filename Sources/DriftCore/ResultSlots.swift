import Foundation

/// Slots written by concurrent iterations, each index by exactly one of them.
public final class ResultSlots<T>: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<T?>
    public init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }
    deinit {
        slots.deinitialize()
        slots.deallocate()
    }
    public subscript(k: Int) -> T? {
        get { slots[k] }
        set { slots[k] = newValue }
    }
    public var values: [T] { slots.map { $0! } }
    /// The slots written so far, in order (for iterations that may leave theirs empty).
    public var writtenValues: [T] { slots.compactMap { $0 } }
}

extension ResultSlots {
    /// `transform` of every element, on every core when there is enough to share; the
    /// results in order. For work that is pure per element (encoding, fitting).
    public static func map<S: Sendable>(_ elements: [S], minimumPerTask: Int = 1, _ transform: @Sendable (S) throws -> T) throws -> [T] {
        let tasks = Swift.max(1, Swift.min(ProcessInfo.processInfo.activeProcessorCount * 2, elements.count / Swift.max(1, minimumPerTask)))
        if tasks == 1 { return try elements.map(transform) }
        let results = ResultSlots<T>(count: elements.count)
        let failures = ResultSlots<any Error>(count: tasks)
        DispatchQueue.concurrentPerform(iterations: tasks) { k in
            let range = elements.count * k / tasks ..< elements.count * (k + 1) / tasks
            do { for i in range { results[i] = try transform(elements[i]) } } catch { failures[k] = error }
        }
        if let failure = failures.writtenValues.first { throw failure }
        return results.values
    }
}
