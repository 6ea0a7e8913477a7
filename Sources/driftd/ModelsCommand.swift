import ArgumentParser
import DriftCore
import DriftDaemon
import DriftStore
import Foundation

/// The model inventory: every configured model with who answers for it, its stage and risk
/// tier, and what the store holds of it (active baseline, last window, firing alerts).
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the models with their owner, team, stage, risk tier, active baseline, last window and firing alerts.",
        discussion: "With a model id, that model in full (with its description and baseline history).")
    @OptionGroup var options: ConfigOption
    @Argument(help: "One model to show in full.") var model: String?
    @Option(help: "table or json.") var format: OutputFormat = .table
    @OptionGroup var time: TimeZoneOption

    /// One model as the inventory shows it.
    struct Entry: Encodable {
        var id: String
        var owner: String?, team: String?, stage: String?, riskTier: String?, description: String?
        var activeBaseline: String?
        var baselines: [String]
        var lastWindowEnd: String?
        var lastWindowStatus: String?
        var firingAlerts: Int
    }

    func run() throws {
        let configuration = try options.load()
        var models = configuration.models
        if let model {
            models = models.filter { $0.id == model }
            if models.isEmpty {
                throw InputFailure(message: "no model '\(model)' in \(configuration.file) — `driftd models --config \(options.config)` lists them")
            }
        }
        let entries = try Self.entries(models, storePath: configuration.storePath, zone: time.zone)
        switch format {
        case .json:
            print(model == nil ? try NonFiniteAsNull.encode(entries) : try NonFiniteAsNull.encode(entries[0]))
        case .table where model != nil:
            let e = entries[0]
            let lines: [(String, String?)] = [("model", e.id), ("owner", e.owner), ("team", e.team), ("stage", e.stage), ("risk tier", e.riskTier),
                                              ("description", e.description), ("active baseline", e.activeBaseline),
                                              ("baselines", e.baselines.isEmpty ? nil : e.baselines.joined(separator: ", ")),
                                              ("last window", e.lastWindowEnd.map { "ended \($0), \(e.lastWindowStatus ?? "")" }),
                                              ("firing alerts", String(e.firingAlerts))]
            for (name, value) in lines { print("\(name.padding(toLength: 16, withPad: " ", startingAt: 0))\(value ?? "-")") }
        case .table:
            var rows = [["model", "stage", "risk_tier", "owner", "team", "baseline", "last_window_end", "firing"]]
            for e in entries {
                rows.append([e.id, e.stage ?? "-", e.riskTier ?? "-", e.owner ?? "-", e.team ?? "-", e.activeBaseline ?? "-",
                             e.lastWindowEnd ?? "-", String(e.firingAlerts)])
            }
            print(TextTable.render(rows))
        }
    }

    /// The entries of `models`, with what one snapshot of the store holds of them (nothing
    /// when there is no store yet).
    static func entries(_ models: [ModelConfiguration], storePath: String, zone: TimeZone) throws -> [Entry] {
        var baselines: [BaselineSummary] = [], latest: [String: WindowReport] = [:], firing: [String: Int] = [:]
        if FileManager.default.fileExists(atPath: storePath) {
            (baselines, latest, firing) = try AlertStore(path: storePath).snapshot { s in
                (try s.baselines(model: nil), try s.latestWindowReports(), try s.firingAlertCounts())
            }
        }
        return models.map { m in
            let own = baselines.filter { $0.model == m.id }
            let window = latest[m.id]
            let end = window.map { w in
                w.basis == .eventTime ? Timestamps.text(seconds: Double(w.end) / 1000, zone: zone) : "record \(w.end)"
            }
            return Entry(id: m.id, owner: m.inventory.owner, team: m.inventory.team, stage: m.inventory.stage?.rawValue,
                         riskTier: m.inventory.riskTier, description: m.inventory.description,
                         activeBaseline: own.first(where: \.active)?.version, baselines: own.map(\.version),
                         lastWindowEnd: end, lastWindowStatus: window?.status.rawValue,
                         firingAlerts: firing[m.id] ?? 0)
        }
    }
}
