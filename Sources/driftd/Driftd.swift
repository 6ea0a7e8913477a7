import DriftCore
import ArgumentParser
import DriftDaemon
import DriftHTTP
import DriftKafka
import DriftStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// driftd's version, printed by `driftd --version`.
let driftdVersion = "0.14.0"

/// The `driftd` command line. Exit status: 0 success (no drift), 1 drift found,
/// 2 bad usage or bad input, 3 (compare) not enough data to judge.
@main
struct Driftd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "driftd",
        abstract: "Drift monitoring for machine-learning models.",
        version: driftdVersion,
        subcommands: [CompareCommand.self, BaselineCommand.self, CheckConfigCommand.self, ReplayCommand.self,
                      AlertsGroup.self, SilenceCommand.self, ReportCommand.self, DeadLettersCommand.self, RunCommand.self, BrokerCommand.self,
                      DemoCommand.self, ServeCommand.self, StoreCommand.self, ModelsCommand.self, AuditCommand.self]
    )

    static func main() async {
        tuneAllocator()
        // A file-size limit (ulimit -f, systemd's LimitFSIZE=) reached by the store must fail
        // that write, which the store reports and the daemon waits out, not kill driftd.
        signal(SIGXFSZ, SIG_IGN)
        DriftdLogHandler.bootstrap()
        var parsed: (any ParsableCommand.Type) = Driftd.self
        do {
            var command = try parseAsRoot()
            parsed = type(of: command)
            if var longRunning = command as? any AsyncParsableCommand {
                try await longRunning.run()
            } else {
                try command.run()
            }
        } catch let exit as ExitCode {
            Glibc.exit(exit.rawValue)
        } catch let failure as InputFailure {
            writeStandardError("driftd: \(failure.message)\n")
            Glibc.exit(2)
        } catch let failure as ConfigurationError {
            writeStandardError("driftd: \(failure)\n")
            Glibc.exit(2)
        } catch let failure as APIServer.StartError {
            writeStandardError("driftd: \(failure)\n")
            Glibc.exit(2)
        } catch let failure as StoreError {
            writeStandardError("driftd: \(failure)\n")
            Glibc.exit(2)
        } catch let failure as KafkaError {
            // Its text says what to do; the code is for logs and scripts.
            writeStandardError("driftd: \(failure) [kafka \(failure.code)\(failure.isRetriable ? ", retriable: run it again once the brokers answer" : "")]\n")
            Glibc.exit(2)
        } catch {
            let code = exitCode(for: error)
            // --help and --version: ArgumentParser's own text, on standard output.
            if code == .success {
                print(fullMessage(for: error))
                Glibc.exit(0)
            }
            // Not a usage mistake (those are ArgumentParser's validation failures): one line,
            // no usage text after it.
            if code != .validationFailure {
                writeStandardError("driftd: \(error)\n")
                Glibc.exit(1)
            }
            // A usage mistake found once the command is known shows that command's usage.
            let message = parsed == Driftd.self ? fullMessage(for: error)
                : "Error: \(Self.message(for: error))\n" + usageString(for: parsed)
            writeStandardError(message + "\n")
            // Usage mistakes exit 2 (ArgumentParser's own default would be 64).
            Glibc.exit(2)
        }
    }
}

/// `compare` allocates and frees column-sized buffers (8 MB per million values) on every
/// thread. glibc would map each from the kernel afresh and have it zeroed, which cost more
/// than the sorting itself; keeping freed memory in the process lets it be reused.
func tuneAllocator() {
    #if canImport(Glibc)
    // mallopt is not in Swift's Glibc module; look it up. Options from <malloc.h>.
    typealias MallOpt = @convention(c) (Int32, Int32) -> Int32
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
    let mallopt = unsafeBitCast(symbol, to: MallOpt.self)
    let trimThreshold: Int32 = -1, mmapThreshold: Int32 = -3
    _ = mallopt(mmapThreshold, 512 << 20)
    _ = mallopt(trimThreshold, 1 << 30)
    #endif
}


func writeStandardError(_ text: String) {
    var t = text
    t.withUTF8 { buffer in _ = write(2, buffer.baseAddress, buffer.count) }
}
