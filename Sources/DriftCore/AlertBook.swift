/// The state of one alert (fingerprint).
public enum AlertState: String, Sendable, Codable {
    /// Breaching, but not yet for `for` consecutive windows.
    case pending
    case firing
    /// Back to healthy for `resolveAfter` windows; a later breach starts a new episode.
    case resolved
}

/// One change of an alert, appended to the store and never overwritten.
public struct AlertTransition: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case pending, firing, severityChanged = "severity_changed", resolved, cancelled
    }
    public var fingerprint: AlertFingerprint
    public var kind: Kind
    public var from: AlertState?
    public var to: AlertState?
    public var severity: AlertSeverity?
    public var value: Double
    public var windowIndex: Int64

    /// Transitions a human must hear about go to the outbox for the notifier.
    public var notifies: Bool { kind == .firing || kind == .severityChanged || kind == .resolved }
}

/// The alert book: a pure state machine over findings, keyed by fingerprint. Given the same
/// findings in the same order it produces the same transitions, so a restarted daemon that
/// restores it from a checkpoint continues exactly where it stopped.
public struct AlertBook: Sendable, Codable, Equatable {
    public struct Entry: Sendable, Codable, Equatable {
        public var state: AlertState
        public var severity: AlertSeverity?
        public var breaches: Int
        public var clears: Int
        public var since: Int64
    }

    public private(set) var entries: [AlertFingerprint: Entry] = [:]
    public init() {}
    public init(entries: [AlertFingerprint: Entry]) { self.entries = entries }

    /// Applies one window's findings; `rules` gives each rule's `for` and `resolveAfter`.
    public mutating func apply(_ findings: [Finding], windowIndex: Int64, rules: [Rule]) -> [AlertTransition] {
        var transitions: [AlertTransition] = []
        let byName = Dictionary(rules.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        // In fingerprint order (their text), each text made once, not once per comparison.
        let ordered = findings.map { (text: $0.fingerprint.description, finding: $0) }.sorted { $0.text < $1.text }.map(\.finding)
        for f in ordered {
            guard let rule = byName[f.fingerprint.rule] else { continue }
            var entry = entries[f.fingerprint]
            func record(_ kind: AlertTransition.Kind, _ from: AlertState?, _ to: AlertState?, _ severity: AlertSeverity?) {
                transitions.append(AlertTransition(fingerprint: f.fingerprint, kind: kind, from: from, to: to,
                                                   severity: severity, value: f.value, windowIndex: windowIndex))
            }
            if let severity = f.severity {
                switch entry?.state {
                case nil, .resolved?:
                    let from = entry?.state
                    entry = Entry(state: .pending, severity: severity, breaches: 1, clears: 0, since: windowIndex)
                    if rule.forWindows <= 1 {
                        entry!.state = .firing
                        record(.firing, from, .firing, severity)
                    } else {
                        record(.pending, from, .pending, severity)
                    }
                case .pending?:
                    entry!.breaches += 1
                    entry!.clears = 0
                    entry!.severity = Swift.max(entry!.severity ?? severity, severity)
                    if entry!.breaches >= rule.forWindows {
                        entry!.state = .firing
                        entry!.severity = severity
                        record(.firing, .pending, .firing, severity)
                    }
                case .firing?:
                    entry!.breaches += 1
                    entry!.clears = 0
                    if severity != entry!.severity {
                        entry!.severity = severity
                        record(.severityChanged, .firing, .firing, severity)
                    }
                }
            } else if var e = entry {
                switch e.state {
                case .pending:
                    // The breach did not last: the pending alert is dropped.
                    record(.cancelled, .pending, nil, nil)
                    entry = nil
                case .firing:
                    e.breaches = 0
                    e.clears = f.clear ? e.clears + 1 : 0
                    if e.clears >= rule.resolveAfter {
                        e.state = .resolved
                        record(.resolved, .firing, .resolved, e.severity)
                        e.severity = nil
                    }
                    entry = e
                case .resolved:
                    entry = e
                }
            }
            entries[f.fingerprint] = entry
        }
        return transitions
    }

    public var firing: [AlertFingerprint] { entries.filter { $0.value.state == .firing }.map(\.key).sorted() }

    /// The open alerts (pending or firing) with the window their episode began in: what an
    /// operator may have resolved by hand.
    public var open: [AlertFingerprint: Int64] {
        var open: [AlertFingerprint: Int64] = [:]
        for (fingerprint, entry) in entries where entry.state != .resolved { open[fingerprint] = entry.since }
        return open
    }

    /// An operator resolved the episode of `fingerprint` that began in window `since` (the
    /// store recorded it and told the receivers). The book follows, so the next breach opens
    /// a new episode that fires and pages, instead of staying inside the one the operator
    /// closed. A resolve of an episode the book no longer has changes nothing. Returns
    /// whether the book changed; no transition is made (the store has the operator's).
    @discardableResult
    public mutating func operatorResolved(_ fingerprint: AlertFingerprint, episodeSince since: Int64) -> Bool {
        guard var entry = entries[fingerprint], entry.since == since else { return false }
        switch entry.state {
        case .resolved:
            return false
        case .pending:
            entries[fingerprint] = nil
        case .firing:
            entry.state = .resolved
            entry.severity = nil
            entry.breaches = 0
            entry.clears = 0
            entries[fingerprint] = entry
        }
        return true
    }

    /// The entries of some models: what moves with their partition to another daemon.
    public func entries(models: Set<String>) -> [AlertFingerprint: Entry] {
        entries.filter { models.contains($0.key.model) }
    }

    /// Replaces the entries of `models` with those handed over by their previous owner.
    public mutating func replaceEntries(models: Set<String>, with handed: [AlertFingerprint: Entry]) {
        entries = entries.filter { !models.contains($0.key.model) }
        for (fingerprint, entry) in handed where models.contains(fingerprint.model) { entries[fingerprint] = entry }
    }
}
