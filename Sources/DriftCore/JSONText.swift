/// JSON text for numbers and strings, written by hand where a whole encoder is too much
/// (table/JSON renderers, dead-letter payloads rebuilt from decoded values).
public enum JSONText {
    /// Shortest text that reads back as the same Double; non-finite values are null.
    public static func number(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "null" }
        return v.description
    }

    public static func string(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
