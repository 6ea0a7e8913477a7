import Foundation

/// Windows that follow the calendar of a time zone: hours, days, weeks or months with
/// boundaries in local time from the IANA database (so a day is 23 or 25 hours across a
/// daylight-saving change, and a month has its real length). Window k is the k-th period
/// since 1970 in that zone; a window is one pane. Only the boundaries go through Foundation's
/// calendar — once per run of records in one window, never per record.
public struct CalendarWindows: Sendable, Codable, Equatable {
    public enum Unit: String, Sendable, Codable, CaseIterable { case hour, day, week, month }

    public var unit: Unit
    /// An IANA zone name (`America/New_York`, `UTC`).
    public var timeZone: String
    /// First day of a week: 1 = Sunday … 7 = Saturday (Foundation's weekday numbers).
    public var weekStart: Int

    public init(unit: Unit, timeZone: String = "UTC", weekStart: Int = 2) {
        self.unit = unit; self.timeZone = timeZone; self.weekStart = weekStart
    }

    /// Whether the zone is known to this machine's time-zone database.
    public static func isKnown(timeZone: String) -> Bool { TimeZone(identifier: timeZone) != nil }

    /// The nominal length in ms (a month as 30 days): for defaults that scale with the window.
    public var nominalLength: Int64 {
        switch unit { case .hour: 3_600_000; case .day: 86_400_000; case .week: 7 * 86_400_000; case .month: 30 * 86_400_000 }
    }

    private var calendar: Calendar {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: timeZone) ?? TimeZone(identifier: "UTC")!
        return c
    }

    /// The window holding event time `ms`.
    public func window(containing ms: Int64) -> Int64 {
        let cal = calendar
        let date = Date(timeIntervalSince1970: Double(ms) / 1000)
        switch unit {
        case .hour:
            let phase = hourPhase(at: date, cal)
            return floorDivide(ms - phase, 3_600_000)
        case .day, .week:
            let c = cal.dateComponents([.year, .month, .day], from: date)
            let day = Int64(RFC3339.daysFromCivil(year: c.year!, month: c.month!, day: c.day!))
            return unit == .day ? day : floorDivide(day - weekAnchor, 7)
        case .month:
            let c = cal.dateComponents([.year, .month], from: date)
            return Int64(c.year! - 1970) * 12 + Int64(c.month! - 1)
        }
    }

    /// Start of window k in epoch ms (its end is the start of k + 1).
    public func start(ofWindow k: Int64) -> Int64 {
        let cal = calendar
        switch unit {
        case .hour:
            let guess = k * 3_600_000
            return guess + hourPhase(at: Date(timeIntervalSince1970: Double(guess) / 1000), cal)
        case .day: return startOfDay(k, cal)
        case .week: return startOfDay(weekAnchor + 7 * k, cal)
        case .month:
            let year = 1970 + Int(floorDivide(k, 12)), month = Int(k - floorDivide(k, 12) * 12) + 1
            return milliseconds(cal.date(from: DateComponents(year: year, month: month, day: 1))!)
        }
    }

    /// Local midnight of the civil day `day` (days since 1970-01-01); where midnight does not
    /// exist (a zone changing clocks at 00:00) the calendar gives the first instant of the day.
    private func startOfDay(_ day: Int64, _ cal: Calendar) -> Int64 {
        let (y, m, d) = Self.civil(fromDays: day)
        return milliseconds(cal.startOfDay(for: cal.date(from: DateComponents(year: y, month: m, day: d, hour: 12))!))
    }

    /// A civil day that starts a week: 1970-01-01 was a Thursday (weekday 5).
    private var weekAnchor: Int64 { Int64((weekStart - 5 - 7) % 7) }

    /// Hours start where the zone's offset puts them (zones with half-hour offsets too).
    private func hourPhase(at date: Date, _ cal: Calendar) -> Int64 {
        let offset = Int64(cal.timeZone.secondsFromGMT(for: date)) * 1000
        return ((offset % 3_600_000) + 3_600_000) % 3_600_000
    }

    private func milliseconds(_ d: Date) -> Int64 { Int64((d.timeIntervalSince1970 * 1000).rounded()) }

    /// (year, month, day) of a civil day counted from 1970-01-01 (Howard Hinnant's algorithm).
    static func civil(fromDays z0: Int64) -> (Int, Int, Int) {
        let z = Int(z0) + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
