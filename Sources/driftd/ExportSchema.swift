import DriftCore
import DriftStats
import DriftStore
import Foundation

/// The fields of `driftd store export`, one list per level (window, feature, alert,
/// transition), each with its type and meaning. JSON Lines, CSV and `--schema` are all
/// written from these lists, so the three cannot disagree; names are stable: a field may be
/// added, never renamed or given another meaning.
enum ExportSchema {
    enum FieldType: String, Sendable {
        case string = "STRING", integer = "INTEGER", float = "FLOAT", timestamp = "TIMESTAMP", json = "JSON"
    }

    /// One value. Numbers JSON cannot hold (NaN: a figure that does not exist; ∞: an
    /// infinite chi-square) are null, as in the API; timestamps are RFC 3339 in UTC.
    enum Value: Sendable {
        case null, string(String), integer(Int64), float(Double), timestamp(Int64), json(String)

        var jsonText: String {
            switch self {
            case .null: "null"
            case .string(let s): JSONText.string(s)
            case .integer(let i): String(i)
            case .float(let d): JSONText.number(d)
            case .timestamp(let ms): JSONText.string(RFC3339.format(milliseconds: ms))
            case .json(let text): text
            }
        }

        /// RFC 4180: a field holding a comma, quote or line break is quoted, quotes doubled.
        var csvText: String {
            let text: String = switch self {
            case .null: ""
            case .string(let s): s
            case .integer(let i): String(i)
            case .float(let d): d.isFinite ? d.description : ""
            case .timestamp(let ms): RFC3339.format(milliseconds: ms)
            case .json(let t): t
            }
            guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
    }

    struct Field<Row>: Sendable {
        var name: String
        var type: FieldType
        var required: Bool
        var description: String
        var value: @Sendable (Row) -> Value

        static func string(_ name: String, required: Bool = false, _ description: String, _ f: @escaping @Sendable (Row) -> String?) -> Field {
            Field(name: name, type: .string, required: required, description: description) { f($0).map(Value.string) ?? .null }
        }
        static func integer(_ name: String, required: Bool = false, _ description: String, _ f: @escaping @Sendable (Row) -> Int64?) -> Field {
            Field(name: name, type: .integer, required: required, description: description) { f($0).map(Value.integer) ?? .null }
        }
        static func float(_ name: String, _ description: String, _ f: @escaping @Sendable (Row) -> Double?) -> Field {
            Field(name: name, type: .float, required: false, description: description) { f($0).map(Value.float) ?? .null }
        }
        static func timestamp(_ name: String, required: Bool = false, _ description: String, _ f: @escaping @Sendable (Row) -> Int64?) -> Field {
            Field(name: name, type: .timestamp, required: required, description: description) { f($0).map(Value.timestamp) ?? .null }
        }
        static func json(_ name: String, _ description: String, _ f: @escaping @Sendable (Row) -> String?) -> Field {
            Field(name: name, type: .json, required: false, description: description) { f($0).map(Value.json) ?? .null }
        }
    }

    // MARK: window reports

    static let window: [Field<StoredWindowReport>] = [
        .string("model", required: true, "The model's id.") { $0.report.model },
        .string("source", required: true, "What fed the window: the replayed file or the Kafka topic.") { $0.source },
        .integer("window_index", required: true, "The window's number in its model's stream.") { $0.report.windowIndex },
        .string("basis", required: true, "count (windows of records) or event_time (windows of time, calendar ones included).") { $0.report.basis.rawValue },
        .integer("window_start", required: true, "Start bound: the first record's sequence number (count) or epoch milliseconds (event_time).") { $0.report.start },
        .integer("window_end", required: true, "End bound, exclusive, in the unit of window_start.") { $0.report.end },
        .timestamp("event_time", "The window's place in event time, on which --from/--to select: the start of an event_time window, the first record's time of a count window; null when the window has none (count windows do not keep their records' times yet).") { $0.eventTime },
        .timestamp("first_event_time", "Event time of the window's earliest record.") { $0.report.firstEventTime },
        .timestamp("last_event_time", "Event time of the window's latest record.") { $0.report.lastEventTime },
        .integer("record_count", required: true, "Records in the window.") { $0.report.recordCount },
        .integer("late_records", required: true, "Records that arrived after their window had closed, counted in this window's time.") { $0.report.lateRecords },
        .string("baseline_version", required: true, "The baseline version the window was compared with.") { $0.report.baselineVersion },
        .float("expected_records", "Records expected from the baseline's event rate over the covered part of the window (event_time).") { $0.report.expectedRecords },
        .float("volume_ratio", "record_count / expected_records.") { $0.report.volumeRatio },
        .float("coverage", "Share of the window the model's stream was live for (event_time).") { $0.report.coverage },
        .float("volume_p_value", "One-sided Poisson p-value of so few records against expected_records.") { $0.report.volumePValue },
        .integer("labelled", required: true, "Records with a label.") { $0.report.labelled },
        .string("performance_metric", "accuracy or mae (mean absolute error), when the baseline has labels.") { $0.report.performanceMetric?.rawValue },
        .float("performance", "The window's performance_metric.") { $0.report.performance },
        .float("baseline_performance", "The baseline's performance_metric.") { $0.report.baselinePerformance },
        .float("performance_p_value", "One-sided p-value that performance fell.") { $0.report.performancePValue },
        .json("performance_figures", "Object: task, labelled, accuracy, precision, recall, f1, positive_rate, log_loss, threshold, mean_absolute_error, root_mean_squared_error.") {
            $0.report.performanceFigures.map { ExportSchema.performanceJSON($0) }
        },
        .string("window_status", required: true, "The worst status over features and model-level rules: ok, warn, critical, insufficient_data.") { $0.report.status.rawValue },
        .json("model_decisions", "Array of the model-level rules' decisions (volume, performance), each as in decisions.") {
            $0.report.modelDecisions.map { ExportSchema.decisionsJSON($0) }
        },
    ]

    /// A feature's figures as every other output shows them: PSI and Jensen–Shannon of a
    /// window without values of the feature are null, not the empty-bin floor's artefact.
    static let feature: [Field<FeatureReport>] = [
        .string("feature", required: true, "The feature's name (the prediction is a feature like the others).") { $0.name },
        .string("feature_kind", required: true, "numeric or categorical.") { $0.kind.rawValue },
        .string("feature_status", required: true, "The feature's verdict after the rules: ok, warn, critical, insufficient_data.") { $0.status.rawValue },
        .integer("value_count", "Values of the feature in the window (finite numbers or categories).") { f in
            (f.numeric?.count ?? f.categorical?.count).map { Int64(clamping: $0) }
        },
        .float("psi", "Population stability index over the baseline's bins (numeric) or categories.") { $0.numeric?.psi ?? $0.categorical?.psi },
        .float("js", "Jensen–Shannon distance over the same bins.") { $0.numeric?.jensenShannon ?? $0.categorical?.jensenShannon },
        .float("distribution_p_value", "p-value of the two-sample homogeneity test of the bins: the significance of psi and js.") {
            $0.numeric?.distributionTest?.pValue ?? $0.categorical?.distributionTest?.pValue
        },
        .float("ks_d", "Kolmogorov–Smirnov D on the baseline's CDF grid (a lower bound on the exact D).") { $0.numeric?.ks?.statistic },
        .float("ks_p", "KS p-value of ks_d (scipy's asymp).") { $0.numeric?.ks?.pValue },
        .float("ks_error_bound", "The exact D lies in [ks_d, ks_d + ks_error_bound].") { $0.numeric?.ks?.errorBound },
        .float("w1", "Wasserstein-1 distance normalised by the baseline's sd.") { $0.numeric?.wassersteinNormed },
        .float("mean_shift", "(mean − baseline mean) / baseline sd.") { $0.numeric?.meanShift },
        .float("mean_shift_p_value", "Welch's two-sided p-value of the mean's change.") { $0.numeric?.meanShiftPValue },
        .float("chi2", "Chi-square statistic (categorical; null when infinite: a category the baseline never had).") { $0.categorical?.chiSquare?.statistic },
        .float("chi2_p", "Chi-square p-value.") { $0.categorical?.chiSquare?.pValue },
        .integer("chi2_df", "Chi-square degrees of freedom.") { $0.categorical?.chiSquare.map { Int64($0.degreesOfFreedom) } },
        .float("unseen_rate", "Share of values in categories the baseline never had.") { $0.categorical?.unseenRate },
        .float("category_share_change", "The largest change of one category's share of the values.") { $0.categorical?.maxShareChange },
        .float("missing_rate", "Share of records without the feature.") { $0.numeric?.missingRate ?? $0.categorical?.missingRate },
        .float("baseline_missing_rate", "The baseline's missing rate.") { $0.baselineMissingRate },
        .float("missing_rate_increase", "missing_rate − baseline_missing_rate.") { f in
            (f.numeric?.missingRate ?? f.categorical?.missingRate).map { $0 - f.baselineMissingRate }
        },
        .float("type_error_rate", "Share of records whose value had the wrong type (numeric).") { $0.numeric?.typeErrorRate },
        .float("outside_range_rate", "Share of values outside the baseline's range (numeric).") { $0.numeric?.outsideReferenceRangeRate },
        .float("non_finite_rate", "Share of values that were not finite numbers (numeric).") { $0.numeric?.nonFiniteRate },
        .json("decisions", "Array of each rule's decision for the feature: rule, metric, value, floor, floor_source, test, p_value, level, verdict (significant, effect_too_small, not_significant, insufficient_data), severity.") {
            $0.decisions.map { ExportSchema.decisionsJSON($0) }
        },
    ]

    // MARK: alerts

    static let alert: [Field<ExportedAlert>] = [
        .integer("alert_id", required: true, "The alert's id in this store (driftd alerts, /api/v1/alerts/{id}).") { $0.alert.id },
        .string("fingerprint", required: true, "model/feature/rule: one alert per fingerprint, reopened when it fires again.") { $0.alert.fingerprint },
        .string("model", required: true, "The model's id.") { $0.alert.model },
        .string("feature", "The feature; null for a model-level rule (volume, performance).") { $0.alert.feature.isEmpty ? nil : $0.alert.feature },
        .string("rule", required: true, "The rule's name.") { $0.alert.rule },
        .string("state", required: true, "The alert's state at the export: pending, firing, resolved, or cancelled (pending that never fired).") { $0.alert.state },
        .string("severity", "warning or critical, while it fires.") { $0.alert.severity },
        .float("value", "The rule's statistic at the alert's last change.") { $0.alert.value },
        .integer("started_window", required: true, "The window in which the alert last opened.") { $0.alert.startedWindow },
        .integer("updated_window", required: true, "The window of its last change.") { $0.alert.updatedWindow },
        .timestamp("updated_at", required: true, "When its last change was committed (wall clock).") { ExportSchema.milliseconds($0.alert.updatedAt) },
    ]

    struct TransitionRow: Sendable {
        var transition: StoredAlert.Transition
        var windowEventTime: Int64?
    }

    static let transition: [Field<TransitionRow>] = [
        .integer("transition_id", required: true, "The transition's id, unique in the store.") { $0.transition.id },
        .string("kind", required: true, "pending, firing, severity_changed, resolved, cancelled (from the rules), or acknowledged and resolved by an operator.") { $0.transition.kind },
        .string("from_state", "The state before.") { $0.transition.from },
        .string("to_state", "The state after.") { $0.transition.to },
        .string("transition_severity", "The severity after the transition.") { $0.transition.severity },
        .float("transition_value", "The rule's statistic in the transition's window.") { $0.transition.value },
        .integer("window_index", required: true, "The window the transition was decided in.") { $0.transition.windowIndex },
        .timestamp("window_event_time", "That window's event_time, on which --from/--to select.") { $0.windowEventTime },
        .timestamp("created_at", required: true, "When the transition was committed (wall clock).") { ExportSchema.milliseconds($0.transition.createdAt) },
    ]

    static func transitions(of a: ExportedAlert) -> [TransitionRow] {
        zip(a.alert.transitions, a.windowEventTimes).map { TransitionRow(transition: $0, windowEventTime: $1) }
    }

    static func milliseconds(_ seconds: Double) -> Int64 { Int64((seconds * 1000).rounded()) }

    // MARK: nested JSON

    static func object(_ pairs: [(String, Value)]) -> String {
        "{" + pairs.map { "\(JSONText.string($0.0)):\($0.1.jsonText)" }.joined(separator: ",") + "}"
    }

    static func number(_ d: Double?) -> Value { d.map(Value.float) ?? .null }
    static func text(_ s: String?) -> Value { s.map(Value.string) ?? .null }

    static func decisionsJSON(_ decisions: [Decision]) -> String {
        "[" + decisions.map { d in
            object([("rule", .string(d.rule)), ("metric", .string(d.metric.rawValue)), ("value", .float(d.value)), ("floor", .float(d.floor)),
                    ("floor_source", text(d.floorSource?.rawValue)), ("test", text(d.test)), ("p_value", number(d.pValue)),
                    ("level", number(d.level)), ("verdict", .string(d.verdict.rawValue)), ("severity", text(d.severity?.rawValue))])
        }.joined(separator: ",") + "]"
    }

    static func performanceJSON(_ p: PerformanceFigures) -> String {
        object([("task", .string(p.task.rawValue)), ("labelled", .integer(p.labelled)), ("accuracy", number(p.accuracy)),
                ("precision", number(p.precision)), ("recall", number(p.recall)), ("f1", number(p.f1)),
                ("positive_rate", number(p.positiveRate)), ("log_loss", number(p.logLoss)), ("threshold", number(p.threshold)),
                ("mean_absolute_error", number(p.meanAbsoluteError)), ("root_mean_squared_error", number(p.rootMeanSquaredError))])
    }

    // MARK: --schema

    /// BigQuery's schema form (name, type, mode, description; nested fields for JSON Lines),
    /// which other warehouses' loaders read or map one to one.
    static func describe(kind: StoreExportCommand.Kind, format: StoreExportCommand.Format) -> String {
        func entries<Row>(_ fields: [Field<Row>]) -> [String] {
            fields.map { f in
                object([("name", .string(f.name)), ("type", .string(f.type.rawValue)), ("mode", .string(f.required ? "REQUIRED" : "NULLABLE")),
                        ("description", .string(f.description))])
            }
        }
        func nested(_ name: String, _ description: String, _ fields: [String]) -> String {
            "{\"name\":\(JSONText.string(name)),\"type\":\"RECORD\",\"mode\":\"REPEATED\",\"description\":\(JSONText.string(description)),\"fields\":[\n    " +
                fields.joined(separator: ",\n    ") + "]}"
        }
        let typeField = { (value: String) in
            ExportSchema.object([("name", .string("type")), ("type", .string("STRING")), ("mode", .string("REQUIRED")),
                    ("description", .string("Always \"\(value)\": what the line holds."))])
        }
        let lines: [String]
        switch (kind, format) {
        case (.windows, .csv): lines = entries(window) + entries(feature)
        case (.alerts, .csv): lines = entries(alert) + entries(transition)
        case (.windows, .jsonl):
            lines = [typeField("window_report")] + entries(window) + [nested("features", "One per feature of the window.", entries(feature))]
        case (.alerts, .jsonl):
            lines = [typeField("alert")] + entries(alert) + [nested("transitions", "The alert's transitions in the range, in order.", entries(transition))]
        }
        return "[\n  " + lines.joined(separator: ",\n  ") + "\n]"
    }
}
