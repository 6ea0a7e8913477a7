import ArgumentParser

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `driftd` command line. Exit status: 0 success (no drift), 1 drift found,
/// 2 bad usage or bad input.
@main
struct Driftd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "driftd",
        abstract: "Drift monitoring for machine-learning models.",
        subcommands: [CompareCommand.self]
    )

    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let exit as ExitCode {
            Glibc.exit(exit.rawValue)
        } catch let failure as InputFailure {
            writeStandardError("driftd: \(failure.message)\n")
            Glibc.exit(2)
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                print(message)
                Glibc.exit(0)
            }
            writeStandardError(message + "\n")
            // Usage mistakes exit 2 (ArgumentParser's own default would be 64).
            Glibc.exit(2)
        }
    }
}

/// Bad input the user can fix: a file that cannot be read, a feature that is not there.
struct InputFailure: Error {
    var message: String
}

func writeStandardError(_ text: String) {
    var t = text
    t.withUTF8 { buffer in _ = write(2, buffer.baseAddress, buffer.count) }
}
