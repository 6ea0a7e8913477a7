import Foundation

/// The demo's synthetic credit-risk model: inference records with income, age, tenure,
/// country and is_new, a prediction and sometimes a label. From `driftFrom` on, income's
/// mean shifts, tenure's spread widens and a new country appears.
public struct DemoStream: Sendable {
    public static let model = "credit-risk"
    private var state: UInt64

    public init(seed: UInt64) { state = seed &* 0x9E3779B97F4A7C15 | 1 }

    private mutating func uniform() -> Double {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return Double(state >> 11) / Double(1 << 53)
    }

    private mutating func normal() -> Double {
        let u = Swift.max(uniform(), 1e-12), v = uniform()
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }

    public mutating func record(index i: Int, timestamp: Int64, drifted: Bool) -> String {
        let income = (exp(10.8 + (drifted ? 0.35 : 0) + 0.5 * normal()) * 100).rounded() / 100
        let age = 18 + Int(uniform() * 62)
        let tenureSpread = drifted ? 9.0 : 6.0
        let tenure = uniform() < 0.02 ? "null" : String((-log(Swift.max(uniform(), 1e-12)) * tenureSpread * 10).rounded() / 10)
        let countries = drifted ? ["DE", "FR", "IT", "ES", "NL", "PL"] : ["DE", "FR", "IT", "ES", "NL"]
        let weights = drifted ? [30.0, 25, 20, 15, 10, 25] : [30.0, 25, 20, 15, 10]
        var pick = uniform() * weights.reduce(0, +)
        var country = countries[0]
        for (c, w) in zip(countries, weights) { if pick < w { country = c; break }; pick -= w }
        let isNew = uniform() < 0.3
        let z = -1.5 + 0.00001 * (income - 50_000) - 0.01 * Double(age - 45) + (isNew ? 0.4 : 0)
        let prediction = (1 / (1 + exp(-z)) * 1_000_000).rounded() / 1_000_000
        let label = i % 5 == 0 ? (uniform() < prediction ? "1" : "0") : "null"  // a number: mean absolute error
        return "{\"model\":\"\(Self.model)\",\"model_version\":\"2026.11.1\",\"id\":\"req-\(i)\",\"ts\":\(timestamp)," +
            "\"features\":{\"income\":\(income),\"age\":\(age),\"country\":\"\(country)\",\"is_new\":\(isNew),\"tenure\":\(tenure)}," +
            "\"prediction\":\(prediction),\"label\":\(label)}"
    }
}
