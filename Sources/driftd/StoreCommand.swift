import ArgumentParser

/// `driftd store`: looking after the store file itself. Each subcommand lives in a file of
/// its own (StoreMaintenanceCommands.swift, StoreExportCommand.swift, StorePruneCommand.swift).
struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store", abstract: "Look after the store: check it, back it up, export its data, prune it.",
        subcommands: [StoreCheckCommand.self, StoreBackupCommand.self, StoreExportCommand.self, Prune.self])
}
