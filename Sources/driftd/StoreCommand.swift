import ArgumentParser

/// `driftd store …`: maintenance of the SQLite store.
struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store", abstract: "Maintain the store.",
        subcommands: [Prune.self])
}
