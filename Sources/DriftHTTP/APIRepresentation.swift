import DriftCore
import DriftStats
import Foundation
import Hummingbird

/// The JSON documents of `/api/v1`, as described by ``OpenAPIDocument``. Keys are snake_case
/// (the encoder converts); numbers JSON cannot hold (∞, NaN) become null; times are RFC 3339.
enum API {
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    static func finite(_ x: Double?) -> Double? { x.flatMap { $0.isFinite ? $0 : nil } }

    static func time(_ seconds: Double) -> String {
        Date(timeIntervalSince1970: seconds).formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }

    static func time(milliseconds: Int64) -> String { time(Double(milliseconds) / 1000) }

    /// A path segment with everything but unreserved characters percent-encoded.
    static func segment(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    // MARK: alerts

    struct AlertLinks: Encodable {
        var alert: String
        var windows: String
        var series: String?
    }

    struct Transition: Encodable {
        var id: Int64, kind: String, from: String?, to: String?, severity: String?, value: Double?, windowIndex: Int64, createdAt: String
    }

    struct Alert: Encodable {
        var id: Int64
        var fingerprint: String
        var model: String
        var feature: String?
        var rule: String
        var state: String
        var severity: String?
        var value: Double?
        var startedWindow: Int64
        var updatedWindow: Int64
        var updatedAt: String
        var links: AlertLinks
        var transitions: [Transition]?
        /// In lists: the active acknowledgement, when there is one.
        var acknowledgement: Acknowledgement?

        init(_ a: StoredAlert, withTransitions: Bool) {
            id = a.id; fingerprint = a.fingerprint; model = a.model; feature = a.feature.isEmpty ? nil : a.feature; rule = a.rule
            state = a.state; severity = a.severity; value = API.finite(a.value); startedWindow = a.startedWindow
            updatedWindow = a.updatedWindow; updatedAt = API.time(a.updatedAt)
            let modelPath = "/api/v1/models/\(API.segment(a.model))"
            links = AlertLinks(alert: "/api/v1/alerts/\(a.id)", windows: modelPath + "/windows",
                               series: a.feature.isEmpty ? nil : modelPath + "/features/\(API.segment(a.feature))/series")
            transitions = withTransitions ? a.transitions.map {
                Transition(id: $0.id, kind: $0.kind, from: $0.from, to: $0.to, severity: $0.severity, value: API.finite($0.value),
                           windowIndex: $0.windowIndex, createdAt: API.time($0.createdAt))
            } : nil
        }
    }

    struct AlertPage: ResponseEncodable {
        var total: Int, limit: Int, offset: Int
        var alerts: [Alert]
    }

    // MARK: windows and features

    /// One feature's figures in one window; which are present depends on its kind.
    /// A window's performance figures (finite numbers only).
    struct PerformanceFigures: Encodable {
        var task: String
        var labelled: Int64
        var accuracy, precision, recall, f1, positiveRate, logLoss, threshold, meanAbsoluteError, rootMeanSquaredError: Double?

        init(_ p: DriftCore.PerformanceFigures) {
            task = p.task.rawValue; labelled = p.labelled
            accuracy = API.finite(p.accuracy); precision = API.finite(p.precision); recall = API.finite(p.recall); f1 = API.finite(p.f1)
            positiveRate = API.finite(p.positiveRate); logLoss = API.finite(p.logLoss); threshold = API.finite(p.threshold)
            meanAbsoluteError = API.finite(p.meanAbsoluteError); rootMeanSquaredError = API.finite(p.rootMeanSquaredError)
        }
    }

    /// One rule's decision in one window: the statistic, its test and the reason.
    struct DecisionFigures: Encodable {
        var rule: String
        var metric: String
        var value: Double?
        var floor: Double
        var floorSource: String?
        var test: String?
        var pValue: Double?
        var level: Double?
        var verdict: String
        var severity: String?

        init(_ d: Decision) {
            rule = d.rule; metric = d.metric.rawValue; value = API.finite(d.value); floor = d.floor; floorSource = d.floorSource?.rawValue; test = d.test
            pValue = API.finite(d.pValue); level = API.finite(d.level); verdict = d.verdict.rawValue; severity = d.severity?.rawValue
        }
    }

    struct FeatureFigures: Encodable {
        var name: String
        var kind: String
        var status: String
        var count: UInt64?
        var psi: Double?
        var js: Double?
        var ksD: Double?
        var ksP: Double?
        var ksErrorBound: Double?
        var w1: Double?
        var meanShift: Double?
        var chi2: Double?
        var chi2P: Double?
        var chi2Df: Int?
        var unseenRate: Double?
        var missingRate: Double?
        var missingRateIncrease: Double?
        var baselineMissingRate: Double
        var typeErrorRate: Double?
        var outsideRangeRate: Double?
        var nonFiniteRate: Double?
        var categoryShareChange: Double?
        /// Why each rule decided what it did in this window.
        var decisions: [DecisionFigures]?

        init(_ f: FeatureReport) {
            name = f.name; kind = f.kind.rawValue; status = f.status.rawValue
            baselineMissingRate = f.baselineMissingRate
            if let n = f.numeric {
                count = n.count; psi = API.finite(n.psi); js = API.finite(n.jensenShannon)
                ksD = API.finite(n.ks?.statistic); ksP = API.finite(n.ks?.pValue); ksErrorBound = API.finite(n.ks?.errorBound)
                w1 = API.finite(n.wassersteinNormed); meanShift = API.finite(n.meanShift)
                missingRate = n.missingRate; typeErrorRate = n.typeErrorRate
                outsideRangeRate = n.outsideReferenceRangeRate; nonFiniteRate = n.nonFiniteRate
            }
            if let c = f.categorical {
                count = c.count; psi = API.finite(c.psi); js = API.finite(c.jensenShannon)
                chi2 = API.finite(c.chiSquare?.statistic); chi2P = API.finite(c.chiSquare?.pValue); chi2Df = c.chiSquare?.degreesOfFreedom
                unseenRate = c.unseenRate; missingRate = c.missingRate; categoryShareChange = API.finite(c.maxShareChange)
            }
            missingRateIncrease = missingRate.map { $0 - f.baselineMissingRate }
            decisions = f.decisions?.map(DecisionFigures.init)
        }
    }

    struct Window: Encodable {
        var model: String
        var windowIndex: Int64
        var basis: String
        var start: Int64
        var end: Int64
        var startTime: String?
        var endTime: String?
        var recordCount: Int64
        var lateRecords: Int64
        var baselineVersion: String
        var expectedRecords: Double?
        var volumeRatio: Double?
        var performance: Double?
        var baselinePerformance: Double?
        var performanceMetric: String?
        var labelled: Int64
        var coverage: Double?
        var volumePValue: Double?
        var performancePValue: Double?
        var performanceFigures: PerformanceFigures?
        var modelDecisions: [DecisionFigures]?
        var status: String
        var features: [FeatureFigures]

        init(_ r: WindowReport) {
            model = r.model; windowIndex = r.windowIndex; basis = r.basis.rawValue; start = r.start; end = r.end
            if r.basis == .eventTime { startTime = API.time(milliseconds: r.start); endTime = API.time(milliseconds: r.end) }
            recordCount = r.recordCount; lateRecords = r.lateRecords; baselineVersion = r.baselineVersion
            expectedRecords = API.finite(r.expectedRecords); volumeRatio = API.finite(r.volumeRatio)
            performance = API.finite(r.performance); baselinePerformance = API.finite(r.baselinePerformance)
            performanceMetric = r.performanceMetric?.rawValue; labelled = r.labelled; status = r.status.rawValue
            coverage = API.finite(r.coverage); volumePValue = API.finite(r.volumePValue); performancePValue = API.finite(r.performancePValue)
            performanceFigures = r.performanceFigures.map(PerformanceFigures.init); modelDecisions = r.modelDecisions?.map(DecisionFigures.init)
            features = r.features.map { FeatureFigures($0.withoutFiguresOfAnEmptySample) }
        }
    }

    struct Windows: ResponseEncodable {
        var model: String
        var windows: [Window]
    }

    /// A rule as it applies to one feature, with the figure it reads.
    struct Threshold: Encodable {
        var rule: String
        var metric: String
        /// The key in ``FeatureFigures`` the rule compares.
        var field: String
        var comparator: String
        var warn: Double
        var critical: Double?
        var clear: Double
        var `for`: Int
        var resolveAfter: Int
        var maxPValue: Double?

        init(_ r: Rule) {
            rule = r.name; metric = r.metric.rawValue; field = Self.field(r.metric); comparator = r.comparator.rawValue
            warn = r.warn; critical = r.critical; clear = r.clearThreshold; self.for = r.forWindows
            resolveAfter = r.resolveAfter; maxPValue = r.maximumPValue
        }

        static func field(_ m: Rule.Metric) -> String {
            switch m {
            case .psi: "psi"
            case .ksStatistic: "ks_d"
            case .jensenShannon: "js"
            case .wassersteinNormed: "w1"
            case .meanShift: "mean_shift"
            case .unseenRate: "unseen_rate"
            case .missingRateIncrease: "missing_rate_increase"
            case .typeErrorRate: "type_error_rate"
            case .outsideRangeRate: "outside_range_rate"
            case .categoryShareChange: "category_share_change"
            case .volumeRatio: "volume_ratio"
            case .performanceDrop: "performance_drop"
            }
        }
    }

    struct SeriesPoint: Encodable {
        var windowIndex: Int64
        var start: Int64
        var end: Int64
        var startTime: String?
        var baselineVersion: String
        var figures: FeatureFigures
    }

    struct Series: ResponseEncodable {
        var model: String
        var feature: String
        var kind: String?
        var thresholds: [Threshold]
        var points: [SeriesPoint]
    }

    // MARK: models, baselines, dead letters

    struct WindowSettings: Encodable {
        var basis: String
        var size: Int64
        var hop: Int64
        var allowedLatenessMs: Int64?
        var idleCloseMs: Int64?
        var minSamples: Int

        init(_ w: WindowConfiguration) {
            basis = w.basis.rawValue; size = w.size; hop = w.hop; minSamples = w.minimumSamples
            if w.basis == .eventTime { allowedLatenessMs = w.allowedLatenessMilliseconds; idleCloseMs = w.idleCloseMilliseconds }
        }
    }

    struct Baseline: Encodable {
        var model: String, version: String, createdAt: String, active: Bool, recordCount: Int
        init(_ b: BaselineSummary) {
            model = b.model; version = b.version; createdAt = API.time(b.createdAt); active = b.active; recordCount = b.recordCount
        }
    }

    struct Model: Encodable {
        var id: String
        var configured: Bool
        var window: WindowSettings?
        var inventory: Inventory?
        var activeBaseline: Baseline?
        var latestWindow: Window?
        /// Firing, acknowledged ones included (the alerts list's `state=firing`).
        var firingAlerts: Int
        /// Of those, the ones acknowledged now (the dashboard shows the rest as firing).
        var acknowledgedAlerts: Int
        var links: [String: String]
    }

    /// Who answers for a model and how much it matters (its configuration's inventory fields).
    struct Inventory: Encodable {
        var owner: String?, team: String?, stage: String?, riskTier: String?, description: String?
        init(_ i: ModelInventory) { owner = i.owner; team = i.team; stage = i.stage?.rawValue; riskTier = i.riskTier; description = i.description }
    }

    struct Models: ResponseEncodable { var models: [Model] }
    struct Baselines: ResponseEncodable { var baselines: [Baseline] }

    struct DeadLetter: Encodable {
        var id: Int64, source: String, partition: Int32, position: Int64, line: Int64?, reason: String
        /// The record's first bytes as text (invalid UTF-8 replaced), at most 4,096 bytes.
        var payload: String
        var payloadBytes: Int
        var createdAt: String

        init(_ d: StoredDeadLetter) {
            id = d.id; source = d.source; partition = d.partition; position = d.position; line = d.line; reason = d.reason
            payload = String(decoding: d.payload.prefix(4096), as: UTF8.self); payloadBytes = d.payload.count
            createdAt = API.time(d.createdAt)
        }
    }

    struct DeadLetters: ResponseEncodable {
        var total: Int, limit: Int, offset: Int
        var deadLetters: [DeadLetter]
    }

    struct Health: ResponseEncodable {
        var status: String
        var reason: String?
    }

    /// `/api/v1`: where the API's endpoints are, for whoever opens the address driftd prints.
    struct AuditLog: ResponseEncodable {
        struct Entry: Encodable {
            var id: Int64, at: String, actor: String, action: String, detail: String
            init(_ e: AuditEntry) { id = e.id; at = API.time(e.at); actor = e.actor; action = e.action; detail = e.detail }
        }
        var total: Int, limit: Int, offset: Int
        var entries: [Entry]
    }

    struct Index: ResponseEncodable {
        var name = "driftd"
        var openapi = "/api/v1/openapi.json"
        var dashboard = "/"
        var metrics = "/metrics"
        /// Every operation of the OpenAPI document, as `METHOD /path`.
        var endpoints: [String]

        static let current = Index(endpoints: OpenAPIDocument.operations)
    }
}
