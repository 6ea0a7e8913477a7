@testable import DriftCore
import DriftStats
import DriftTesting
import Foundation
import Testing

/// Calendar windows: boundaries in local time from the IANA database, so days around a
/// daylight-saving change are 23 and 25 hours long and months have their real length.
@Suite("Calendar windows")
struct CalendarWindowTests {
    static func ms(_ text: String) -> Int64 { RFC3339.epochMilliseconds(text)! }
    static let hour: Int64 = 3_600_000

    @Test("days in New York: 23 hours when clocks go forward, 25 when they go back")
    func daylightSaving() {
        let days = CalendarWindows(unit: .day, timeZone: "America/New_York")
        let spring = days.window(containing: Self.ms("2026-03-08T12:00:00-04:00"))
        #expect(days.start(ofWindow: spring) == Self.ms("2026-03-08T00:00:00-05:00"))
        #expect(days.start(ofWindow: spring + 1) - days.start(ofWindow: spring) == 23 * Self.hour)
        let autumn = days.window(containing: Self.ms("2026-11-01T12:00:00-05:00"))
        #expect(days.start(ofWindow: autumn + 1) - days.start(ofWindow: autumn) == 25 * Self.hour)
        #expect(days.window(containing: Self.ms("2026-11-01T23:59:59-05:00")) == autumn)
        #expect(days.window(containing: Self.ms("2026-11-02T00:00:00-05:00")) == autumn + 1)
    }

    @Test("months of their real length, weeks from the configured first day, hours in UTC")
    func units() {
        let months = CalendarWindows(unit: .month, timeZone: "Europe/Berlin")
        let feb = months.window(containing: Self.ms("2026-02-14T10:00:00Z"))
        #expect(months.start(ofWindow: feb) == Self.ms("2026-02-01T00:00:00+01:00"))
        #expect(months.start(ofWindow: feb + 1) - months.start(ofWindow: feb) == 28 * 24 * Self.hour)
        #expect(months.start(ofWindow: feb + 2) - months.start(ofWindow: feb + 1) == 31 * 24 * Self.hour - Self.hour, "March loses its DST hour")
        let weeks = CalendarWindows(unit: .week, timeZone: "UTC", weekStart: 2)
        let w = weeks.window(containing: Self.ms("2026-12-03T10:00:00Z"))  // a Thursday
        #expect(weeks.start(ofWindow: w) == Self.ms("2026-11-30T00:00:00Z"), "the Monday before")
        let sundays = CalendarWindows(unit: .week, timeZone: "UTC", weekStart: 1)
        #expect(sundays.start(ofWindow: sundays.window(containing: Self.ms("2026-12-03T10:00:00Z"))) == Self.ms("2026-11-29T00:00:00Z"))
        let hours = CalendarWindows(unit: .hour, timeZone: "Asia/Kolkata")
        let h = hours.window(containing: Self.ms("2026-12-03T10:10:00Z"))
        #expect(hours.start(ofWindow: h) == Self.ms("2026-12-03T15:00:00+05:30"), "local hours of a +5:30 zone start at :30 UTC")
    }

    @Test("a monitor with day windows reports each local day, the 25-hour day with 25 hours of records and of expectation")
    func monitorDays() {
        // A reference with one record a minute, so the baseline expects 60 an hour.
        var reference = SyntheticStream(seed: 3)
        reference.spacingMilliseconds = 60_000
        let baseline = reference.timedBaseline(records: 3000)
        var window = WindowConfiguration(basis: .eventTime, size: 86_400_000, minimumSamples: 10)
        window.calendar = CalendarWindows(unit: .day, timeZone: "America/New_York")
        var stream = SyntheticStream(seed: 4)
        stream.spacingMilliseconds = 60_000
        stream.startTime = Self.ms("2026-10-31T00:00:00-04:00")
        var monitor = ModelMonitor(baseline: baseline, configuration: window)
        var decoder = RecordDecoder(schemas: [monitor.schema])
        var reports: [WindowReport] = []
        for (i, r) in stream.records(4 * 1440).enumerated() {
            var bytes = Array(r.utf8)
            _ = bytes.withUnsafeMutableBufferPointer { decoder.decode(UnsafeBufferPointer($0), position: SourcePosition(partition: 0, offset: Int64(i + 1))) }
            if i % 500 == 499 { reports += monitor.add(decoder.batches[0], now: 0); decoder.clearBatches() }
        }
        reports += monitor.add(decoder.batches[0], now: 0)
        #expect(reports.count >= 3)
        #expect(reports[0].start == Self.ms("2026-10-31T00:00:00-04:00"))
        #expect(reports[0].recordCount == 1440)
        #expect(reports[1].start == Self.ms("2026-11-01T00:00:00-04:00") && reports[1].end == Self.ms("2026-11-02T00:00:00-05:00"))
        #expect(reports[1].recordCount == 1500, "25 hours of one record a minute")
        #expect(isClose(reports[1].expectedRecords ?? 0, 1500, relative: 1e-6, absolute: 0))
        #expect(reports[1].volumeRatio.map { isClose($0, 1, relative: 1e-6, absolute: 0) } == true)
        #expect(reports[2].recordCount == 1440)
    }
}
