import DriftCore
import DriftStats

/// The two outputs of `driftd compare`: an aligned table for people, JSON for programs.
enum ComparisonRendering {
    static func json(_ report: ComparisonReport) -> String {
        var out = "{\"drift\": \(report.drift),\n \"features\": ["
        for (k, f) in report.features.enumerated() {
            if k > 0 { out += ",\n   " }
            var fields: [(String, String)] = [
                ("name", JSONText.string(f.name)),
                ("type", JSONText.string(f.kind.rawValue)),
                ("n_reference", String(f.referenceCount)),
                ("n_current", String(f.currentCount)),
                ("psi", JSONText.number(f.psi)),
            ]
            if let ks = f.ks {
                fields.append(("ks", "{\"statistic\": \(JSONText.number(ks.statistic)), \"p_value\": \(JSONText.number(ks.pValue)), \"method\": \(JSONText.string(ks.method.rawValue))}"))
            } else {
                fields.append(("ks", "null"))
            }
            fields.append(("jensen_shannon", JSONText.number(f.jensenShannon)))
            fields.append(("wasserstein_normed", JSONText.number(f.wassersteinNormed)))
            if let c = f.chiSquare {
                // An unseen category makes the statistic infinite, which JSON cannot carry:
                // it is null then, with the count of unseen categories beside it.
                fields.append(("chi_square", "{\"statistic\": \(JSONText.number(c.statistic)), \"p_value\": \(JSONText.number(c.pValue)), \"degrees_of_freedom\": \(c.degreesOfFreedom), \"unseen_categories\": \(c.unseenCategories)}"))
            } else {
                fields.append(("chi_square", "null"))
            }
            fields.append(("missing_rate", JSONText.number(f.missingRate)))
            fields.append(("unseen_rate", JSONText.number(f.unseenRate)))
            fields.append(("type_error_rate", JSONText.number(f.typeErrorRate)))
            fields.append(("insufficient_data", String(f.insufficientData)))
            fields.append(("drift", String(f.drift)))
            out += "{" + fields.map { "\(JSONText.string($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
        }
        out += "]}"
        return out
    }

    static func table(_ report: ComparisonReport, minimumSamples: Int) -> String {
        let header = ["feature", "type", "n_ref", "n_cur", "psi", "ks_d", "ks_p", "js", "w1_norm", "chi2_p", "missing", "unseen", "verdict"]
        var rows = [header]
        for f in report.features {
            let verdict = f.drift ? "DRIFT" : (f.insufficientData ? "insufficient data" : "ok")
            rows.append([
                f.name, f.kind.rawValue, String(f.referenceCount), String(f.currentCount),
                fixed(f.psi), fixed(f.ks?.statistic),
                f.ks.map { "\(scientific($0.pValue)) (\($0.method.rawValue))" } ?? "-",
                fixed(f.jensenShannon), fixed(f.wassersteinNormed),
                f.chiSquare.map { scientific($0.pValue) } ?? "-",
                percent(f.missingRate), f.unseenRate.map(percent) ?? "-", verdict,
            ])
        }
        let numericColumns: Set<Int> = [2, 3, 4, 5, 7, 8, 10, 11]
        let widths = header.indices.map { c in rows.map { $0[c].count }.max()! }
        var out = ""
        for row in rows {
            let cells = row.enumerated().map { c, text in
                let pad = String(repeating: " ", count: widths[c] - text.count)
                return numericColumns.contains(c) ? pad + text : text + pad
            }
            out += cells.joined(separator: "  ").trimmedTrailingSpaces() + "\n"
        }
        let drifted = report.features.filter(\.drift).map(\.name)
        let undecided = report.features.filter { $0.insufficientData && !$0.drift }.map(\.name)
        if !drifted.isEmpty {
            out += "\nDrift in \(drifted.count) of \(report.features.count) features: \(drifted.joined(separator: ", ")).\n"
        } else if !undecided.isEmpty {
            out += "\nNot enough data to judge \(undecided.count) of \(report.features.count) features (values below --min-samples \(minimumSamples)): \(undecided.joined(separator: ", ")).\n"
        } else {
            out += "\nNo drift in \(report.features.count) features.\n"
        }
        return out
    }

    static func fixed(_ v: Double?) -> String {
        guard let v else { return "-" }
        guard v.isFinite else { return v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf") }
        return Decimal4.format(v, digits: 4)
    }

    static func scientific(_ v: Double) -> String {
        if v == 0 { return "0" }
        if v >= 0.001 { return Decimal4.format(v, digits: 4) }
        var exponent = 0
        var m = v
        while m < 1 { m *= 10; exponent -= 1 }
        return Decimal4.format(m, digits: 2) + "e" + String(exponent)
    }

    static func percent(_ v: Double) -> String { Decimal4.format(v * 100, digits: 2) + "%" }
}

/// Fixed-point formatting without Foundation.
enum Decimal4 {
    static func format(_ v: Double, digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (Swift.abs(v) * scale).rounded()
        guard scaled < 9e15 else { return String(v) }
        let whole = Int64(scaled) / Int64(scale), fraction = Int64(scaled) % Int64(scale)
        var f = String(fraction)
        while f.count < digits { f = "0" + f }
        return (v < 0 && scaled != 0 ? "-" : "") + String(whole) + "." + f
    }
}

/// JSON text for the few value kinds the outputs need.
extension String {
    func trimmedTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
