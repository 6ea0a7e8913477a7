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

    public var maximumJumpMilliseconds: Int64 { maximumJump ?? Swift.min(86_400_000, 4 * Swift.max(calendar?.nominalLength ?? size, hop)) }

    public init(basis: Basis, size: Int64, hop: Int64? = nil, allowedLatenessMilliseconds: Int64 = 0,
                idleCloseMilliseconds: Int64? = nil, minimumSamples: Int = defaultMinimumSamples) {
        self.basis = basis
        self.size = size
        self.hop = hop ?? size
        self.allowedLatenessMilliseconds = allowedLatenessMilliseconds
        self.idleCloseMilliseconds = idleCloseMilliseconds
        self.minimumSamples = minimumSamples
    }

    /// Event time: windows that follow a time zone's calendar (hour, day, week, month)
    /// instead of a fixed size; tumbling, one pane each. `size` is then the nominal length.
    public var calendar: CalendarWindows? = nil

    public var paneSize: Int64 { gcd(size, hop) }
    public var panesPerWindow: Int64 { calendar == nil ? size / paneSize : 1 }
    public var panesPerHop: Int64 { calendar == nil ? hop / paneSize : 1 }

    /// Start of window k (records or ms); window k is [start, end).
    public func start(ofWindow k: Int64) -> Int64 { calendar?.start(ofWindow: k) ?? k * hop }
    public func end(ofWindow k: Int64) -> Int64 { calendar?.start(ofWindow: k + 1) ?? k * hop + size }
    public func length(ofWindow k: Int64) -> Int64 { end(ofWindow: k) - start(ofWindow: k) }

    /// The first window containing position x (floor division, also for negative times).
    public func firstWindow(containing x: Int64) -> Int64 {
        if let calendar { return calendar.window(containing: x) }
        // Windows containing x: k with k·hop ≤ x < k·hop + size.
        return floorDivide(x - size, hop) + 1
    }

    public func pane(of x: Int64) -> Int64 { calendar?.window(containing: x) ?? floorDivide(x, paneSize) }
    /// The pane holding x with its bounds [start, end): a run of records inside them needs no
    /// further lookups (what keeps calendar windows off the per-record path).
    public func paneBounds(containing x: Int64) -> (pane: Int64, start: Int64, end: Int64) {
        if let calendar {
            let k = calendar.window(containing: x)
            return (k, calendar.start(ofWindow: k), calendar.start(ofWindow: k + 1))
        }
        let p = floorDivide(x, paneSize)
        return (p, p * paneSize, (p + 1) * paneSize)
    }
    /// The first pane of window k, and the first window that contains pane p.
    public func firstPane(ofWindow k: Int64) -> Int64 { calendar == nil ? start(ofWindow: k) / paneSize : k }
    public func firstWindow(containingPane p: Int64) -> Int64 { calendar == nil ? firstWindow(containing: p * paneSize) : p }
}

func gcd(_ a: Int64, _ b: Int64) -> Int64 { b == 0 ? a : gcd(b, a % b) }
func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}
