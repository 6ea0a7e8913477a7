import DriftCore
import ArgumentParser
import DriftDaemon
import DriftNotify
import DriftStore
import Foundation

/// `driftd alerts`: list (the default), ack, resolve, note.
struct AlertsGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts", abstract: "List alerts; acknowledge, resolve and annotate them.",
        subcommands: [AlertsCommand.self, Ack.self, Resolve.self, Note.self], defaultSubcommand: AlertsCommand.self)

    struct Ack: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Acknowledge a firing alert: no repeats until it resolves or the ack expires; paged receivers are told.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The alert id (driftd alerts shows them).") var id: Int64
        @Option(help: "Who acknowledges (default: $USER).") var by: String?
        @Option(help: "A note for the others on call.") var note: String?
        @Option(help: "Until when the ack holds, e.g. 30m, 4h, 1d (default: until the alert resolves).") var expires: String?

        func run() throws {
            let (_, store) = try options.openStore()
            let now = Date().timeIntervalSince1970
            let expiresAt = try expires.map { now + Double(try DurationText.milliseconds($0, option: "--expires")) / 1000 }
            try store.acknowledge(alertID: id, by: by ?? operatorName, note: note, expiresAt: expiresAt, now: now)
            print("alert \(id) acknowledged" + (expiresAt.map { " until \(Timestamps.text(seconds: $0))" } ?? " until it resolves"))
        }
    }

    struct Resolve: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resolve an alert by hand; paged receivers are told.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The alert id.") var id: Int64
        @Option(help: "Who resolves (default: $USER).") var by: String?
        @Option(help: "Why.") var note: String?

        func run() throws {
            let (_, store) = try options.openStore()
            try store.resolve(alertID: id, by: by ?? operatorName, note: note)
            print("alert \(id) resolved")
        }
    }

    struct Note: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a note to an alert.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The alert id.") var id: Int64
        @Argument(help: "The note.") var text: String
        @Option(help: "Who writes it (default: $USER).") var by: String?

        /// The API refuses an empty note too: a note says something.
        func validate() throws {
            guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw ValidationError("the note is empty: write what the others on call should know")
            }
        }

        func run() throws {
            let (_, store) = try options.openStore()
            try store.addNote(alertID: id, by: by ?? operatorName, text: text)
            print("note added to alert \(id)")
        }
    }
}

/// `driftd silence`: add, list, expire.
struct SilenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "silence", abstract: "Mute notifications of alerts that match labels, for a while.",
        subcommands: [Add.self, List.self, Expire.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a silence.")
        @OptionGroup var options: ConfigOption
        @Option(name: .customLong("matcher"), help: "A label matcher: name=value, name!=value, name=~regex or name!~regex (repeatable; all must hold).")
        var matchers: [String] = []
        @Option(help: "How long, e.g. 30m, 2h, 1d.") var duration: String
        @Option(help: "Who silences (default: $USER).") var by: String?
        @Option(help: "Why.") var comment: String = ""

        func run() throws {
            guard !matchers.isEmpty else { throw ValidationError("give at least one --matcher, e.g. --matcher model=shop") }
            for m in matchers {
                do throws(MatcherError) { _ = try LabelMatcher(parsing: m) } catch { throw ValidationError("--matcher \(m): \(error.reason)") }
            }
            let (_, store) = try options.openStore(creating: true)
            let now = Date().timeIntervalSince1970
            let end = now + Double(try DurationText.milliseconds(duration, option: "--duration")) / 1000
            let id = try store.addSilence(matchers: matchers, startsAt: now, endsAt: end, by: by ?? operatorName, comment: comment, now: now)
            print("silence \(id): \(matchers.joined(separator: ", ")) until \(Timestamps.text(seconds: end))")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List silences (active and upcoming; --all for past ones too).")
        @OptionGroup var options: ConfigOption
        @Flag(help: "Include expired silences.") var all = false
        @Option(help: "table or json.") var format: OutputFormat = .table
        @OptionGroup var time: TimeZoneOption

        func run() throws {
            let (_, store) = try options.openStore()
            let now = Date().timeIntervalSince1970
            let silences = try store.silences(includeExpired: all, now: now)
            switch format {
            case .json:
                print(JSONWriter.write(silences.map { s -> [String: Any?] in
                    ["id": s.id, "matchers": s.matchers.map { $0 as Any? }, "starts_at": s.startsAt, "ends_at": s.endsAt, "created_by": s.createdBy,
                     "comment": s.comment, "active": s.isActive(at: now), "expired": s.expired || s.endsAt <= now]
                }))
            case .table:
                if silences.isEmpty { print("no silences"); return }
                print(TextTable.render([["id", "matchers", "starts", "ends", "by", "state", "comment"]] + silences.map {
                    [String($0.id), $0.matchers.joined(separator: ","), Timestamps.text(seconds: $0.startsAt, zone: time.zone), Timestamps.text(seconds: $0.endsAt, zone: time.zone),
                     $0.createdBy, $0.isActive(at: now) ? "active" : ($0.expired || $0.endsAt <= now ? "expired" : "pending"), $0.comment]
                }))
            }
        }
    }

    struct Expire: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "End a silence now.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The silence id (driftd silence list shows them).") var id: Int64
        @Option(help: "Who ends it (default: $USER).") var by: String?

        func run() throws {
            let (_, store) = try options.openStore()
            try store.expireSilence(id: id, by: by ?? operatorName)
            print("silence \(id) expired")
        }
    }
}

/// Durations on the command line: 90s, 30m, 4h, 1d.
enum DurationText {
    static func milliseconds(_ text: String, option: String) throws -> Int64 {
        let units: [(String, Double)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            if let v = Double(text.dropLast(suffix.count)), v.isFinite, v > 0, v * scale <= 3.2e12 { return Int64(v * scale) }
        }
        throw ValidationError("\(option) expects a duration such as 30m, 4h or 1d, got '\(text)'")
    }
}
