import DriftCore
import Foundation
import Hummingbird
import Logging
import NIOPosix

/// What the API knows beyond the store: the configured models with their windows and rules
/// (for thresholds), the token, and an optional readiness condition of the host process.
public struct APISettings: Sendable {
    public struct Model: Sendable {
        public var id: String
        public var window: WindowConfiguration
        public var rules: [Rule]
        public var inventory: ModelInventory
        public init(id: String, window: WindowConfiguration, rules: [Rule], inventory: ModelInventory = ModelInventory()) {
            self.id = id; self.window = window; self.rules = rules; self.inventory = inventory
        }
    }

    public var models: [Model]
    /// Required on every state-changing request; nil refuses them all (unless named tokens
    /// are configured). The actor of a request with it is the body's `by`.
    public var token: BearerToken?
    /// Tokens of named people or systems (`http.tokens`): the actor of a request made with one
    /// is its name, whatever the body's `by` says, so the audit log says who did it.
    public var namedTokens: [NamedToken] = []

    public struct NamedToken: Sendable {
        public var name: String
        public var token: BearerToken
        public init(name: String, token: BearerToken) { self.name = name; self.token = token }
    }
    /// The variable `http.token_env` names, so a refusal can say which one to export.
    public var tokenVariable: String?
    /// nil when the host is ready, or why it is not (e.g. "joining the consumer group").
    public var readiness: @Sendable () -> String?

    public init(models: [Model] = [], token: BearerToken? = nil, tokenVariable: String? = nil,
                readiness: @escaping @Sendable () -> String? = { nil }) {
        self.models = models; self.token = token; self.tokenVariable = tokenVariable; self.readiness = readiness
    }

    func model(_ id: String) -> Model? { models.first { $0.id == id } }

    /// What to do when no token is at hand: export the variable the configuration names, or
    /// name one in `http.token_env` first. Said by `driftd serve` and by every 401 without a token.
    public var missingTokenAdvice: String {
        if let tokenVariable {
            return "$\(tokenVariable) is not set in driftd's environment — export \(tokenVariable)=<token> before starting driftd"
        }
        return "no API token is configured — set http.token_env in the configuration and export that variable"
    }
}

/// The routes of driftd's HTTP server: `/api/v1` (read-only JSON over the store),
/// `/metrics`, `/healthz`, `/readyz` and the dashboard at `/`.
public enum APIRoutes {
    static let defaultLimit = 50, maximumLimit = 1000, defaultLast = 20, maximumLast = 1000

    public static func router(store: any OperatorStore, settings: APISettings, metrics: DriftMetrics?,
                              logger: Logger) -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        router.add(middleware: BearerTokenMiddleware(token: settings.token, namedTokens: settings.namedTokens,
                                                     missingTokenAdvice: settings.missingTokenAdvice, logger: logger))
        router.add(middleware: StoreErrorMiddleware())

        addService(to: router, store: store, settings: settings, metrics: metrics)
        // The API's root (the address driftd prints): where its endpoints are.
        router.get("/api/v1") { _, _ in API.Index.current }
        let api = router.group("api/v1")
        api.get("openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
        api.addRoutes(alertRoutes(store))
        api.addRoutes(modelRoutes(store, settings: settings))
        api.addRoutes(storeContentRoutes(store))
        api.addRoutes(OperatorRoutes.routes(store))
        return router
    }

    /// The dashboard, liveness, readiness and `/metrics`.
    static func addService(to router: Router<APIRequestContext>, store: any OperatorStore, settings: APISettings, metrics: DriftMetrics?) {
        router.get("/") { _, _ in html(Dashboard.page) }
        router.get("/healthz") { _, _ in API.Health(status: "ok") }
        router.get("/readyz") { _, _ in
            do { try await store.read { _ in } } catch {
                return EditedResponse(status: .serviceUnavailable, response: API.Health(status: "not ready", reason: "the store does not answer: \(error)"))
            }
            if let reason = settings.readiness() { return EditedResponse(status: .serviceUnavailable, response: API.Health(status: "not ready", reason: reason)) }
            return EditedResponse(status: .ok, response: API.Health(status: "ready"))
        }
        router.get("/metrics") { _, _ in
            guard let metrics else { throw HTTPError(.notFound, message: "metrics are not collected by this process") }
            try await store.read { snapshot in
                metrics.observe(alertCounts: try snapshot.alertCounts())
                if metrics.readsWindowsFromStore { try metrics.observe(storedWindowsOf: snapshot) }
            }
            return Response(status: .ok, headers: [.contentType: DriftMetrics.contentType],
                            body: .init(byteBuffer: ByteBuffer(string: metrics.exposition())))
        }
    }

    /// Alerts, paged and filtered, and one alert with what was done with it.
    static func alertRoutes(_ store: any OperatorStore) -> RouteCollection<APIRequestContext> {
        let api = RouteCollection(context: APIRequestContext.self)
        api.get("alerts") { request, _ in
            let q = request.uri.queryParameters
            let state = try q["state"].map { try oneOf(String($0), ["pending", "firing", "resolved"], "state") }
            let severity = try q["severity"].map { try oneOf(String($0), ["warning", "critical"], "severity") }
            let limit = try integer(q["limit"], "limit", default: defaultLimit, range: 1...maximumLimit)
            let offset = try integer(q["offset"], "offset", default: 0, range: 0...Int(Int32.max))
            let model = q["model"].map(String.init), now = Date().timeIntervalSince1970
            return try await store.read { snapshot in
                let page = try snapshot.alertPage(state: state, model: model, severity: severity, limit: limit, offset: offset)
                let acks = Dictionary(try snapshot.activeAcknowledgements(now: now).map { ($0.alertID, $0) }, uniquingKeysWith: { a, _ in a })
                return API.AlertPage(total: page.total, limit: limit, offset: offset, alerts: page.items.map {
                    var alert = API.Alert($0, withTransitions: false)
                    alert.acknowledgement = acks[$0.id].map(API.Acknowledgement.init)
                    return alert
                })
            }
        }
        api.get("alerts/:id") { _, context in
            let id = try OperatorRoutes.alertID(context)
            return try await store.read { try OperatorRoutes.detail(id, in: $0) }
        }
        return api
    }

    /// Models, their windows and a feature's series with its thresholds.
    static func modelRoutes(_ store: any OperatorStore, settings: APISettings) -> RouteCollection<APIRequestContext> {
        let api = RouteCollection(context: APIRequestContext.self)
        api.get("models") { _, _ in
            // One snapshot, one query per kind of row (each model's latest window in one).
            let now = Date().timeIntervalSince1970
            let (firing, acks, stored, baselines, latest) = try await store.read { s in
                (try s.firingAlertCounts(), try s.activeAcknowledgements(now: now), try s.modelIDs(), try s.baselines(model: nil), try s.latestWindowReports())
            }
            let acknowledged = Dictionary(grouping: acks, by: \.model).mapValues(\.count)
            let ids = settings.models.map(\.id) + stored.filter { id in !settings.models.contains { $0.id == id } }
            let models = ids.map { id -> API.Model in
                let configured = settings.model(id)
                let path = "/api/v1/models/\(API.segment(id))"
                return API.Model(id: id, configured: configured != nil, window: configured.map { API.WindowSettings($0.window) },
                                 inventory: configured.flatMap { $0.inventory.isEmpty ? nil : API.Inventory($0.inventory) },
                                 activeBaseline: baselines.first { $0.model == id && $0.active }.map(API.Baseline.init),
                                 latestWindow: latest[id].map(API.Window.init),
                                 firingAlerts: firing[id] ?? 0, acknowledgedAlerts: acknowledged[id] ?? 0,
                                 links: ["windows": path + "/windows", "alerts": "/api/v1/alerts?model=\(API.segment(id))"])
            }
            return API.Models(models: models)
        }
        api.get("models/:model/windows") { request, context in
            let model = try decoded(context, "model")
            let last = try integer(request.uri.queryParameters["last"], "last", default: defaultLast, range: 1...maximumLast)
            let reports = try await windowReports(model, last: last, store: store, settings: settings)
            return API.Windows(model: model, windows: reports.map(API.Window.init))
        }
        api.get("models/:model/features/:feature/series") { request, context in
            let model = try decoded(context, "model"), feature = try decoded(context, "feature")
            let last = try integer(request.uri.queryParameters["last"], "last", default: defaultLast * 5, range: 1...maximumLast)
            let reports = try await windowReports(model, last: last, store: store, settings: settings)
            var points: [API.SeriesPoint] = []
            var latest: FeatureReport?
            for r in reports {
                guard let f = r.features.first(where: { $0.name == feature }) else { continue }
                latest = f
                points.append(API.SeriesPoint(windowIndex: r.windowIndex, start: r.start, end: r.end,
                                              startTime: r.basis == .eventTime ? API.time(milliseconds: r.start) : nil,
                                              baselineVersion: r.baselineVersion, figures: API.FeatureFigures(f)))
            }
            if !reports.isEmpty && latest == nil {
                throw HTTPError(.notFound, message: "model \(model) has no feature '\(feature)' in its windows — /api/v1/models/\(API.segment(model))/windows lists them")
            }
            let rules = settings.model(model)?.rules ?? Rule.defaults
            let thresholds = latest.map { f in rules.filter { $0.applies(to: f) }.map(API.Threshold.init) } ?? []
            return API.Series(model: model, feature: feature, kind: latest?.kind.rawValue, thresholds: thresholds, points: points)
        }
        return api
    }

    /// Baselines, dead letters and the audit log.
    static func storeContentRoutes(_ store: any OperatorStore) -> RouteCollection<APIRequestContext> {
        let api = RouteCollection(context: APIRequestContext.self)
        api.get("baselines") { request, _ in
            let model = request.uri.queryParameters["model"].map(String.init)
            return API.Baselines(baselines: try await store.read { try $0.baselines(model: model) }.map(API.Baseline.init))
        }
        api.get("deadletters") { request, _ in
            let q = request.uri.queryParameters
            let limit = try integer(q["limit"], "limit", default: defaultLimit, range: 1...maximumLimit)
            let offset = try integer(q["offset"], "offset", default: 0, range: 0...Int(Int32.max))
            let page = try await store.read { try $0.deadLetterPage(limit: limit, offset: offset) }
            return API.DeadLetters(total: page.total, limit: limit, offset: offset, deadLetters: page.items.map(API.DeadLetter.init))
        }
        api.get("audit") { request, _ in
            let q = request.uri.queryParameters
            let limit = try integer(q["limit"], "limit", default: defaultLimit, range: 1...maximumLimit)
            let offset = try integer(q["offset"], "offset", default: 0, range: 0...Int(Int32.max))
            let actor = q["actor"].map(String.init), action = q["action"].map(String.init)
            let since = try q["since"].map { try OperatorRoutes.time(String($0), "since") }
            let page = try await store.read { try $0.auditPage(actor: actor, action: action, since: since, limit: limit, offset: offset) }
            return API.AuditLog(total: page.total, limit: limit, offset: offset, entries: page.items.map(API.AuditLog.Entry.init))
        }
        return api
    }

    // MARK: helpers

    /// Runs a handler's store writes (the operator actions: blocking SQLite transactions) on
    /// NIO's blocking thread pool, never on Swift's cooperative pool — two threads on a small
    /// machine, which the server, the notifier and every other request share. Reads go
    /// through the port's own `read`, on the store's reader threads.
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }

    static func html(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-cache"],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func oneOf(_ value: String, _ allowed: [String], _ name: String) throws -> String {
        guard allowed.contains(value) else {
            throw HTTPError(.badRequest, message: "\(name) must be one of \(allowed.joined(separator: ", ")), got '\(value)'")
        }
        return value
    }

    static func integer(_ text: Substring?, _ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text else { return value }
        guard let n = Int(text), range.contains(n) else {
            throw HTTPError(.badRequest, message: "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), got '\(text)'")
        }
        return n
    }

    /// A path parameter, percent-decoded (the API's own links and the dashboard encode
    /// names with characters outside [A-Za-z0-9-._~]).
    static func decoded(_ context: APIRequestContext, _ name: String) throws -> String {
        let raw = try context.parameters.require(name)
        return raw.removingPercentEncoding ?? raw
    }

    /// A model's latest `last` window reports, from one snapshot; an unknown model (neither
    /// configured nor in the store) is a 404.
    static func windowReports(_ model: String, last: Int, store: any OperatorStore, settings: APISettings) async throws -> [WindowReport] {
        let configured = settings.model(model) != nil
        let (reports, known) = try await store.read { s in
            let reports = try s.windowReports(model: model, last: last)
            return (reports, try configured || !reports.isEmpty || s.modelIDs().contains(model))
        }
        guard known else { throw unknownModel(model) }
        return reports
    }

    static func unknownModel(_ model: String) -> HTTPError {
        HTTPError(.notFound, message: "no model '\(model)' — /api/v1/models lists them")
    }
}

/// Answers a ``StoreError`` that escapes any route with the HTTP status of its kind, in the
/// API's JSON error shape, and the store's own words (which say what to do).
struct StoreErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do { return try await next(request, context) } catch let error as StoreError {
            throw HTTPError(Self.status(of: error.kind), message: error.description)
        }
    }

    /// The store's refusal as the HTTP status of its kind: what the request names is not
    /// there (404), its state does not allow it (409), the request is malformed (400), the
    /// storage cannot take writes now (503: try again), the store itself is damaged (500).
    static func status(of kind: StoreError.Kind) -> HTTPResponse.Status {
        switch kind {
        case .notFound: .notFound
        case .conflict: .conflict
        case .invalidRequest: .badRequest
        case .diskFull, .readOnly, .ioError, .busy, .inUse: .serviceUnavailable
        case .corrupt, .notAStore, .cannotOpen, .other: .internalServerError
        }
    }
}
