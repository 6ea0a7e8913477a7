@testable import DriftCore
import DriftTesting
import Testing

/// The strict scanner under the record decoder: exactly JSON, numbers to the last bit.
@Suite("JSON scanner")
struct JSONScannerTests {
    static func parseNumber(_ text: String) throws(RecordRejection) -> Double {
        var bytes = Array(text.utf8)
        return try bytes.withUnsafeMutableBufferPointer { b throws(RecordRejection) -> Double in
            var s = JSONScanner(UnsafeBufferPointer(b), scratch: UnsafeMutableBufferPointer(start: nil, count: 0))
            let v = try s.parseNumber()
            guard s.isAtEnd else { throw s.fail("trailing") }
            return v
        }
    }

    static func parseString(_ json: String) throws(RecordRejection) -> String {
        var bytes = Array(json.utf8)
        let scratch = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: bytes.count + 4)
        defer { scratch.deallocate() }
        return try bytes.withUnsafeMutableBufferPointer { b throws(RecordRejection) -> String in
            var s = JSONScanner(UnsafeBufferPointer(b), scratch: scratch)
            return String(decoding: try s.parseString(), as: UTF8.self)
        }
    }

    @Test("numbers round correctly: shortest forms, 17 digits, subnormals, long mantissas")
    func numbersRoundTrip() throws {
        var g = SeededGenerator(seed: 7)
        for _ in 0..<20_000 {
            let v = Double(bitPattern: g.next() & ~(0x7FF << 52) | (UInt64.random(in: 900...1150, using: &g) << 52))
            #expect(try Self.parseNumber(v.description) == v, "\(v)")
        }
        // Expected values from the C library's correctly rounded strtod (via Double(String)).
        let texts = ["0", "-0", "1e22", "1e23", "0.1", "123456789012345678901234567890", "2.2250738585072011e-308",
                     "4.9e-324", "1.7976931348623157e308", "9007199254740993", "0.000001234", "-12.5E+3",
                     "3.14159265358979323846264338327950288", "1e-400", "2.4703282292062327e-324", "0.30000000000000004"]
        let cases = texts.map { ($0, Double($0)!) }
        for (text, value) in cases {
            let parsed = try Self.parseNumber(text)
            #expect(parsed == value && parsed.sign == value.sign, "\(text)")
        }
    }

    @Test("a number as long as a record parses without exhausting the stack")
    func longNumber() throws {
        let digits = "1" + String(repeating: "0", count: 200_000)
        #expect(try Self.parseNumber(digits + "e-200000") == 1)
        #expect(throws: RecordRejection.self) { try Self.parseNumber(digits) }
    }

    @Test("not JSON numbers are rejected", arguments: ["NaN", "Infinity", "-Infinity", "01", "1.", ".5", "+1", "1e", "1e+", "-", "1e400", "0x10"])
    func invalidNumbers(_ text: String) {
        #expect(throws: RecordRejection.self) { try Self.parseNumber(text) }
    }

    @Test("escapes and unicode decode to UTF-8")
    func strings() throws {
        #expect(try Self.parseString(#""plain""#) == "plain")
        #expect(try Self.parseString(#""a\"b\\c\/d\n\t""#) == "a\"b\\c/d\n\t")
        #expect(try Self.parseString(#""\u00e9\u20ac\ud83d\ude00""#) == "é€😀")
        #expect(try Self.parseString("\"Grüße 日本\"") == "Grüße 日本")
    }

    @Test("invalid strings are rejected", arguments: [
        "\"unterminated", "\"bad \\x escape\"", "\"\\ud800 lone\"", "\"\\udc00\"", "\"ctl \u{01}\"", "\"\\u12\"",
    ])
    func invalidStrings(_ json: String) {
        #expect(throws: RecordRejection.self) { try Self.parseString(json) }
    }

    @Test("invalid UTF-8 is rejected: stray continuation, overlong, surrogate, beyond U+10FFFF")
    func invalidUTF8() {
        for bad: [UInt8] in [[0x80], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82]] {
            var bytes: [UInt8] = [0x22] + bad + [0x22]
            let scratch = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 16)
            defer { scratch.deallocate() }
            let rejected = bytes.withUnsafeMutableBufferPointer { b -> Bool in
                var s = JSONScanner(UnsafeBufferPointer(b), scratch: scratch)
                do { _ = try s.parseString(); return false } catch { return true }
            }
            #expect(rejected, "\(bad)")
        }
    }
}

@Suite("Inference records")
struct InferenceRecordTests {
    static func table(_ lines: [String]) -> SampleTable {
        var bytes = Array((lines.joined(separator: "\n") + "\n").utf8)
        return bytes.withUnsafeMutableBufferPointer { SampleTableReader.jsonLines(UnsafeBufferPointer($0)) }
    }

    @Test("a record's features, prediction and label become columns; unknown keys are skipped")
    func columns() throws {
        let t = Self.table([
            #"{"model":"credit","model_version":"1","id":"a","ts":1764075600123,"features":{"income":52000.0,"age":37,"country":"DE","is_new":true,"tenure":null},"prediction":0.137,"label":null,"extra":{"nested":[1,{"x":2}]}}"#,
            #"{"features":{"age":41,"country":"FR"},"model":"credit","prediction":0.5}"#,
        ])
        #expect(t.rowCount == 2)
        #expect(t.rejections.isEmpty)
        #expect(t.featureNames == ["income", "age", "country", "is_new", "tenure", "prediction", "label"])
        let income = try #require(t.column(named: "income"))
        #expect(income.numbers[0] == 52000 && income.numbers[1].isNaN)
        #expect(income.missingCount == 1)
        let country = try #require(t.column(named: "country"))
        #expect(country.inferredKind == .categorical)
        #expect(country.categories.keys == ["DE", "FR"])
        #expect(t.column(named: "is_new")?.categories.keys == ["true"])
        #expect(t.column(named: "prediction")?.numbers == [0.137, 0.5])
    }

    @Test("malformed records are rejected whole with a reason, and the stream goes on", arguments: [
        ("[1,2]", "not a JSON object"),
        ("{\"model\":\"m\"}", "`features` is missing"),
        ("{\"features\":{}}", "`model` is missing"),
        ("{\"model\":\"\",\"features\":{}}", "`model` is empty"),
        ("{\"model\":\"\(String(repeating: "m", count: 129))\",\"features\":{}}", "longer than 128 bytes"),
        ("{\"model\":\"m\",\"features\":[]}", "`features` must be an object"),
        ("{\"model\":7,\"features\":{}}", "`model` must be a string"),
        ("{\"model\":\"m\",\"features\":{\"x\":Infinity}}", "NaN and Infinity"),
        ("{\"model\":\"m\",\"features\":{\"x\":1}} trailing", "unexpected data after the record"),
        ("{\"model\":\"m\",\"features\":{\"x\":1,}}", "expected a string"),
        ("{\"model\":\"m\",\"features\":{\"x\":1}", "',' or '}' after a field"),
    ])
    func rejections(_ record: String, _ reason: String) throws {
        let t = Self.table([#"{"model":"m","features":{"x":1}}"#, record, #"{"model":"m","features":{"x":2}}"#])
        #expect(t.rowCount == 2)
        let r = try #require(t.rejections.first)
        #expect(r.line == 2)
        #expect(r.rejection.reason.contains(reason), "\(r.rejection.reason)")
        #expect(t.column(named: "x")?.numbers == [1, 2], "the rejected record left nothing behind")
    }

    @Test("records over the size limit are rejected")
    func sizeLimit() {
        var bytes = Array(#"{"model":"m","features":{"x":"\#(String(repeating: "a", count: 2000))"}}"#.utf8)
        let t = bytes.withUnsafeMutableBufferPointer { SampleTableReader.jsonLines(UnsafeBufferPointer($0), maximumRecordBytes: 1000) }
        #expect(t.rowCount == 0)
        #expect(t.rejections.first?.rejection.reason.contains("over the size limit") == true)
    }

    @Test("a file read in parts equals the file read whole")
    func parts() {
        var lines: [String] = []
        var g = SeededGenerator(seed: 3)
        for i in 0..<30_000 {
            let c = ["a", "b", "c"][Int(g.next() % 3)]
            lines.append(i % 997 == 0 ? "broken {" : #"{"model":"m","features":{"x":\#(Double(g.next() % 1000) / 8),"c":"\#(c)"\#(i % 2 == 0 ? #","y":1"# : "")}}"#)
        }
        var bytes = Array((lines.joined(separator: "\n") + "\n").utf8)
        bytes.withUnsafeMutableBufferPointer { b in
            let whole = SampleTableReader.jsonLines(UnsafeBufferPointer(b))
            let ranges = SampleTableReader.lineAlignedParts(UnsafeBufferPointer(b), parts: 3)
            #expect(ranges.count == 1 || ranges.count == 3)
            var joined = SampleTable()
            for r in ranges {
                joined.append(SampleTableReader.jsonLines(UnsafeBufferPointer(rebasing: b[r])), lineOffset: joined.lineCount)
            }
            #expect(joined.rowCount == whole.rowCount)
            #expect(joined.rejections == whole.rejections)
            for name in whole.featureNames {
                #expect(joined.column(named: name)?.numbers.map(\.bitPattern) == whole.column(named: name)?.numbers.map(\.bitPattern))
                #expect(joined.column(named: name)?.codes == whole.column(named: name)?.codes)
            }
        }
    }
}
