import DriftCore
import DriftStore
import DriftTestTraits
import DriftTesting
import Foundation
import Testing

/// Defects a new user met on a first afternoon with driftd (issue 13 §1), each pinned as the
/// user met it: through the built binary.
@Suite("driftd as a new user meets it", .offThePool)
struct NewUserTests {
    /// The README's runnable examples: every `driftd …` line of its `sh` code blocks.
    static func readmeCommands() throws -> [[String]] {
        let readme = try String(contentsOf: Fixtures.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        var commands: [[String]] = [], inShellBlock = false
        for line in readme.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") { inShellBlock = !inShellBlock && line == "```sh"; continue }
            guard inShellBlock, line.hasPrefix("driftd ") else { continue }
            for part in line.split(separator: "&&") {
                commands.append(part.split(separator: " ").dropFirst().map(String.init))
            }
        }
        return commands
    }

    @Test("the README's example commands work as written, from a fresh checkout's examples")
    func readmeExamples() throws {
        let commands = try Self.readmeCommands()
        #expect(commands.count >= 4, "the README shows the file-based commands")
        let dir = try TemporaryDirectory()
        try FileManager.default.copyItem(at: Fixtures.repositoryRoot.appendingPathComponent("examples"),
                                         to: dir.url.appendingPathComponent("examples"))
        for command in commands {
            let run = try DriftdProcess.run(command, in: dir.url)
            // compare exits 1 on the examples: they drift, as the README shows.
            #expect(run.status == 0 || (command.first == "compare" && run.status == 1),
                    "driftd \(command.joined(separator: " ")): \(run.standardError)")
        }
    }

    @Test("help texts wrap at word boundaries into full lines, never mid-sentence after a short line")
    func helpWrapsWhole() throws {
        for command in [["compare"], ["baseline", "fit"], ["replay"], ["run"], ["demo"], ["serve"], ["alerts", "list"], ["report"]] {
            let help = try DriftdProcess.run(command + ["--help"]).standardOutput
            let overview = help.components(separatedBy: "\nUSAGE:").first ?? ""
            let lines = overview.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            for (k, line) in lines.enumerated().dropLast() where !line.isEmpty && !lines[k + 1].isEmpty {
                // A paragraph's line that is followed by more of it fills most of the width.
                #expect(line.count >= 50, "`driftd \(command.joined(separator: " ")) --help` breaks after \"\(line)\"")
            }
        }
    }

    @Test("a UTF-8 byte order mark at the start of a JSON Lines file is skipped, as in CSV")
    func byteOrderMark() throws {
        let dir = try TemporaryDirectory()
        let values = (0..<200).map { Double($0 % 17) }
        let ref = try dir.write("ref.jsonl", RecordFile.numeric(values))
        let cur = try dir.write("cur.jsonl", "\u{FEFF}" + RecordFile.numeric(values))
        let run = try DriftdProcess.run(["compare", "--reference", ref, "--current", cur, "--format", "json"])
        #expect(run.standardError.isEmpty, "line 1 is not a dead letter: \(run.standardError)")
        #expect(try JSONValue.parse(run.standardOutput)["features"]?.array?.first?["n_current"]?.number == 200)
    }

    @Test("report shows empty event-time windows without distribution figures, as valid JSON")
    func emptyWindowReport() throws {
        let dir = try TemporaryDirectory()
        let config = try dir.write("driftd.yaml", "store: s.sqlite\nmodels:\n  - id: m\n    window: { size: 1m }\n")
        func records(_ n: Int, from start: Int64, seed: Int) -> String {
            (0..<n).map { i in "{\"model\":\"m\",\"ts\":\(start + Int64(i) * 100),\"features\":{\"x\":\(Double((i * 7 + seed) % 23))}}" }
                .joined(separator: "\n") + "\n"
        }
        let t0: Int64 = 1_764_000_000_000
        let ref = try dir.write("ref.jsonl", records(500, from: t0, seed: 1))
        // Two minutes of silence between the bursts: two windows with no records.
        let cur = try dir.write("cur.jsonl", records(200, from: t0, seed: 2) + records(200, from: t0 + 180_000, seed: 3))
        #expect(try DriftdProcess.run(["baseline", "fit", "--config", config, "--model", "m", "--from", ref]).status == 0)
        #expect(try DriftdProcess.run(["replay", "--config", config, cur]).status == 0)
        let json = try DriftdProcess.run(["report", "--config", config, "--model", "m", "--format", "json"])
        #expect(json.status == 0, "\(json.standardError)")
        let windows = try #require(try JSONValue.parse(json.standardOutput).array)
        let empty = windows.filter { $0["record_count"]?.number == 0 }
        #expect(!empty.isEmpty)
        for w in empty {
            let numeric = w["features"]?.array?.first?["numeric"]
            #expect(numeric?["psi"] == .null && numeric?["jensen_shannon"] == .null, "\(String(describing: numeric))")
        }
        let table = try DriftdProcess.run(["report", "--config", config, "--model", "m"])
        #expect(!table.standardOutput.contains("inf") && !table.standardOutput.contains("6.9"), "\(table.standardOutput)")
    }

    @Test("compare: too few current values are 'insufficient data' (exit 3), not drift; a feature gone missing is drift")
    func compareMinimumSamples() throws {
        let dir = try TemporaryDirectory()
        let values = (0..<500).map { Double(($0 * 37) % 101) }
        let ref = try dir.write("ref.jsonl", RecordFile.numeric(values))
        let one = try dir.write("one.jsonl", RecordFile.numeric([values[3]]))
        let few = try DriftdProcess.run(["compare", "--reference", ref, "--current", one])
        #expect(few.status == 3, "\(few.standardOutput)")
        #expect(few.standardOutput.contains("insufficient data") && !few.standardOutput.contains("DRIFT"))
        #expect(few.standardOutput.contains("below --min-samples 30"), "\(few.standardOutput)")
        #expect(try DriftdProcess.run(["compare", "--reference", ref, "--current", one, "--min-samples", "1"]).status == 1)

        let nulls = try dir.write("nulls.jsonl", (0..<200).map { _ in "{\"model\":\"golden\",\"features\":{\"x\":null}}" }.joined(separator: "\n") + "\n")
        let missing = try DriftdProcess.run(["compare", "--reference", ref, "--current", nulls, "--format", "json"])
        #expect(missing.status == 1, "a feature that went missing has drifted: \(missing.standardOutput)")
        let feature = try JSONValue.parse(missing.standardOutput)["features"]?.array?.first
        #expect(feature?["drift"] == .bool(true) && feature?["insufficient_data"] == .bool(true))
        let help = try DriftdProcess.run(["compare", "--help"]).standardOutput.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(help.contains("3 not enough data to judge"))
    }

    @Test("demo refuses a folder holding files it did not write, unless --force")
    func demoRefusesForeignFolder() throws {
        let dir = try TemporaryDirectory()
        let precious = try dir.write("driftd.yaml", "store: precious.sqlite\nmodels:\n  - id: mine\n")
        let run = try DriftdProcess.run(["demo", "--directory", dir.url.path, "--duration", "5", "--http", "127.0.0.1:0"])
        #expect(run.status == 2, "\(run.standardOutput)")
        #expect(run.standardError.contains("--force") && run.standardError.contains("driftd.yaml"), "\(run.standardError)")
        #expect(try String(contentsOfFile: precious, encoding: .utf8).contains("precious"), "the file is untouched")
        #expect(try DriftdProcess.run(["demo", "--help"]).standardOutput.contains(".driftd-demo"), "--help names the marker")
    }

    @Test("operator commands: --version, acknowledged alerts, --limit, empty notes, subcommand usage")
    func operatorCommandDetails() throws {
        let dir = try TemporaryDirectory()
        let config = try dir.write("driftd.yaml", "store: s.sqlite\nmodels:\n  - id: shop\n")
        do {
            let store = try AlertStore(path: dir.url.appendingPathComponent("s.sqlite").path)
            try store.commit(Transitions.output([Transitions.make("shop", "age", "psi", .firing), Transitions.make("shop", "income", "psi", .firing)]),
                             checkpoint: Transitions.checkpoint, source: "t")
        }
        let version = try DriftdProcess.run(["--version"])
        #expect(version.status == 0 && !version.standardOutput.isEmpty, "\(version.standardError)")
        // Help is help, not an error: on standard output, exit 0, without "Error:".
        let help = try DriftdProcess.run(["compare", "--help"])
        #expect(help.status == 0 && help.standardOutput.hasPrefix("OVERVIEW:") && !help.standardOutput.contains("Error:"), "\(help.standardOutput.prefix(200))")

        let ids = (try JSONValue.parse(try DriftdProcess.run(["alerts", "--config", config, "--format", "json"]).standardOutput).array ?? [])
            .compactMap { $0["id"]?.number.map { String(Int($0)) } }
        #expect(ids.count == 2)
        #expect(try DriftdProcess.run(["alerts", "ack", ids[0], "--by", "ana", "--note", "looking", "--config", config]).status == 0)
        let acked = try DriftdProcess.run(["alerts", "--state", "acknowledged", "--config", config])
        #expect(acked.status == 0, "\(acked.standardError)")
        #expect(acked.standardOutput.contains("ana") && acked.standardOutput.contains("looking"), "\(acked.standardOutput)")
        let limited = try JSONValue.parse(try DriftdProcess.run(["alerts", "--limit", "1", "--severity", "warning", "--config", config, "--format", "json"]).standardOutput)
        #expect(limited.array?.count == 1)

        let emptyNote = try DriftdProcess.run(["alerts", "note", ids[1], "  ", "--config", config])
        #expect(emptyNote.status == 2 && emptyNote.standardError.contains("note"), "\(emptyNote.standardError)")
        let zero = try DriftdProcess.run(["deadletters", "--limit", "0", "--config", config])
        #expect(zero.status == 2 && !zero.standardOutput.contains("no dead letters"))
        let badState = try DriftdProcess.run(["alerts", "list", "--state", "bogus", "--config", config])
        #expect(badState.status == 2 && badState.standardError.contains("driftd alerts list"), "\(badState.standardError)")
    }

    @Test("an invalid topic regular expression is a configuration error with file, line and key")
    func topicRegex() throws {
        let dir = try TemporaryDirectory()
        let config = try dir.write("driftd.yaml", "store: s.sqlite\nmodels:\n  - id: shop\nkafka:\n  bootstrap: 127.0.0.1:9\n  topics: [inference, \"^(bad\"]\n  group: g\n")
        let run = try DriftdProcess.run(["check-config", config])
        #expect(run.status == 2)
        #expect(run.standardError.contains("driftd.yaml:6: kafka.topics[1]:"), "\(run.standardError)")
    }

    @Test("--decoding-threads below 1 is refused with the reason, by run and replay")
    func decodingThreadsAtLeastOne() throws {
        for command in ["run", "replay"] {
            let run = try DriftdProcess.run([command, "--config", "/nonexistent/driftd.yaml", "--decoding-threads", "0"] + (command == "replay" ? ["x.jsonl"] : []))
            #expect(run.status != 0)
            #expect(run.standardError.contains("--decoding-threads must be at least 1"), "\(command): \(run.standardError)")
        }
    }
}
