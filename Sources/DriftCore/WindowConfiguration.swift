/// How a model's stream is cut into windows. `hop == size` is tumbling; a smaller hop
/// slides. Windows are made of panes of gcd(size, hop), so a sliding window is a merge of
/// panes, each value accumulated once.
public struct WindowConfiguration: Sendable, Codable, Equatable {
    public enum Basis: String, Sendable, Codable {
        /// Sizes in records: for files without time, and for models with steady traffic.
        case count
        /// Sizes in milliseconds of event time (`ts`), closed by the watermark.
        case eventTime = "event_time"
    }

    public var basis: Basis
    /// Records, or milliseconds.
    public var size: Int64
    public var hop: Int64
    /// Event time: how far behind the newest event a record may arrive and still count.
    public var allowedLatenessMilliseconds: Int64
    /// Event time: close windows after this much wall-clock silence, so a model whose
    /// traffic stops is reported (volume) instead of forgotten. `nil` = never.
    public var idleCloseMilliseconds: Int64?
    /// Fewer values than this for a feature in a window: "insufficient data", no verdict.
    /// Above it the significance test, not a size cut-off, decides.
    public var minimumSamples: Int
    public static let defaultMinimumSamples = 30
    /// Event time: a record stamped further than this from the model's newest event is
    /// held until later records confirm the jump (nil: a day, but never more than four
    /// windows).
    public var maximumJump: Int64? = nil
    /// Event time, live streams: records stamped further than this ahead of the wall clock
    /// are rejected (default 5 minutes).
    public var maximumFutureSkew: Int64? = nil
    public var maximumFutureSkewMilliseconds: Int64 { maximumFutureSkew ?? 300_000 }

    public var maximumJumpMilliseconds: Int64 { maximumJump ?? Swift.min(86_400_000, 4 * Swift.max(size, hop)) }

    public init(basis: Basis, size: Int64, hop: Int64? = nil, allowedLatenessMilliseconds: Int64 = 0,
                idleCloseMilliseconds: Int64? = nil, minimumSamples: Int = defaultMinimumSamples) {
        self.basis = basis
        self.size = size
        self.hop = hop ?? size
        self.allowedLatenessMilliseconds = allowedLatenessMilliseconds
        self.idleCloseMilliseconds = idleCloseMilliseconds
        self.minimumSamples = minimumSamples
    }

    public var paneSize: Int64 { gcd(size, hop) }
    public var panesPerWindow: Int64 { size / paneSize }
    public var panesPerHop: Int64 { hop / paneSize }

    /// Start of window k (records or ms); window k is [start, start + size).
    public func start(ofWindow k: Int64) -> Int64 { k * hop }
    public func end(ofWindow k: Int64) -> Int64 { k * hop + size }

    /// The first window containing position x (floor division, also for negative times).
    public func firstWindow(containing x: Int64) -> Int64 {
        // Windows containing x: k with k·hop ≤ x < k·hop + size.
        floorDivide(x - size, hop) + 1
    }

    public func pane(of x: Int64) -> Int64 { floorDivide(x, paneSize) }
}

func gcd(_ a: Int64, _ b: Int64) -> Int64 { b == 0 ? a : gcd(b, a % b) }
func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}
