import DriftCore
import DriftNotify
import Foundation
import Hummingbird

/// What operators do from the API: acknowledge, resolve and annotate alerts, and silence
/// them. Every route here changes state, so the bearer-token middleware guards them all;
/// each action is also written to the store's audit log (by the store).
enum OperatorRoutes {
    struct AckBody: Decodable, Sendable { var by: String; var note: String?; var expiresInSeconds: Double? }
    struct ResolveBody: Decodable, Sendable { var by: String; var note: String? }
    struct NoteBody: Decodable, Sendable { var by: String; var text: String }
    struct SilenceBody: Decodable {
        var matchers: [String]
        var by: String
        var comment: String?
        /// RFC 3339; default now.
        var startsAt: String?
        /// RFC 3339, or `duration_seconds` from the start.
        var endsAt: String?
        var durationSeconds: Double?

        /// The silence's start and end (seconds since 1970), or the 400 that says what to fix.
        func validated(now: Double) throws -> (start: Double, end: Double) {
            guard !matchers.isEmpty else { throw HTTPError(.badRequest, message: "matchers: give at least one, e.g. [\"model=shop\"]") }
            for m in matchers {
                do throws(MatcherError) { _ = try LabelMatcher(parsing: m) } catch {
                    throw HTTPError(.badRequest, message: "matchers: '\(m)': \(error.reason)")
                }
            }
            let start = try startsAt.map { try time($0, "starts_at") } ?? now
            let end: Double
            switch (endsAt, durationSeconds) {
            case (let e?, nil): end = try time(e, "ends_at")
            case (nil, let d?) where d > 0 && d <= maximumSeconds: end = start + d
            case (.some, .some):
                throw HTTPError(.badRequest, message: "give ends_at or duration_seconds, not both: which end did you mean?")
            default:
                throw HTTPError(.badRequest, message: "give ends_at (RFC 3339) or duration_seconds (1 to \(Int(maximumSeconds)), ten years)")
            }
            guard end > start else { throw HTTPError(.badRequest, message: "ends_at must be after starts_at") }
            guard abs(start - now) <= maximumSeconds, end - now <= maximumSeconds else {
                throw HTTPError(.badRequest, message: "a silence starts and ends within ten years of now")
            }
            return (start, end)
        }
    }
    struct ExpireBody: Decodable { var by: String }

    /// The controller's routes, mounted under `/api/v1` by ``APIRoutes/router``.
    static func routes(_ store: any OperatorStore) -> RouteCollection<APIRequestContext> {
        let controller = Controller(store: store)
        let routes = RouteCollection(context: APIRequestContext.self)
        routes.post("alerts/:id/ack", use: controller.acknowledge)
        routes.post("alerts/:id/resolve", use: controller.resolve)
        routes.post("alerts/:id/notes", use: controller.addNote)
        routes.get("silences", use: controller.silences)
        routes.post("silences", use: controller.addSilence)
        routes.post("silences/:id/expire", use: controller.expireSilence)
        return routes
    }

    /// One handler per action. Each writes on the blocking pool (``APIRoutes/blocking``) and
    /// answers with what the store then holds, read in one snapshot through the port.
    struct Controller: Sendable {
        let store: any OperatorStore

        @Sendable func acknowledge(_ request: Request, context: APIRequestContext) async throws -> API.AlertDetail {
            let id = try await existingAlertID(context, store: store)
            let body = try await decode(AckBody.self, request, known: ["by", "note", "expires_in_seconds"])
            if let e = body.expiresInSeconds, !(e > 0 && e <= maximumSeconds) {
                throw HTTPError(.badRequest, message: "expires_in_seconds must be a number of seconds from 1 to \(Int(maximumSeconds)) (ten years)")
            }
            let now = Date().timeIntervalSince1970
            let actor = try who(body.by, request)
            try await APIRoutes.blocking { [store] in
                try store.acknowledge(alertID: id, by: actor, note: body.note, expiresAt: body.expiresInSeconds.map { now + $0 }, now: now)
            }
            return try await store.read { try detail(id, in: $0) }
        }

        @Sendable func resolve(_ request: Request, context: APIRequestContext) async throws -> API.AlertDetail {
            let id = try await existingAlertID(context, store: store)
            let body = try await decode(ResolveBody.self, request, known: ["by", "note"])
            let actor = try who(body.by, request)
            try await APIRoutes.blocking { [store] in try store.resolve(alertID: id, by: actor, note: body.note, now: Date().timeIntervalSince1970) }
            return try await store.read { try detail(id, in: $0) }
        }

        @Sendable func addNote(_ request: Request, context: APIRequestContext) async throws -> EditedResponse<API.AlertDetail> {
            let id = try await existingAlertID(context, store: store)
            let body = try await decode(NoteBody.self, request, known: ["by", "text"])
            guard !body.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw HTTPError(.badRequest, message: "text: write the note")
            }
            let actor = try who(body.by, request)
            try await APIRoutes.blocking { [store] in try store.addNote(alertID: id, by: actor, text: body.text, now: Date().timeIntervalSince1970) }
            return EditedResponse(status: .created, response: try await store.read { try detail(id, in: $0) })
        }

        @Sendable func silences(_ request: Request, context: APIRequestContext) async throws -> API.Silences {
            let all = request.uri.queryParameters["include_expired"].map { $0 == "true" } ?? false
            let now = Date().timeIntervalSince1970
            let silences = try await store.read { try $0.silences(includeExpired: all, now: now) }
            return API.Silences(silences: silences.map { API.Silence($0, now: now) })
        }

        @Sendable func addSilence(_ request: Request, context: APIRequestContext) async throws -> EditedResponse<API.Silence> {
            let body = try await decode(SilenceBody.self, request, known: ["matchers", "by", "comment", "starts_at", "ends_at", "duration_seconds"])
            let now = Date().timeIntervalSince1970
            let (start, end) = try body.validated(now: now)
            let actor = try who(body.by, request)
            let matchers = body.matchers, comment = body.comment ?? ""
            let id = try await APIRoutes.blocking { [store] in
                try store.addSilence(matchers: matchers, startsAt: start, endsAt: end, by: actor, comment: comment, now: now)
            }
            guard let created = try await store.read({ try $0.silence(id: id) }) else {
                throw HTTPError(.internalServerError, message: "silence \(id) was stored but cannot be read back")
            }
            return EditedResponse(status: .created, response: API.Silence(created, now: now))
        }

        @Sendable func expireSilence(_ request: Request, context: APIRequestContext) async throws -> API.Silence {
            guard let id = context.parameters.get("id", as: Int64.self) else {
                throw HTTPError(.badRequest, message: "a silence id is a whole number, as listed by /api/v1/silences")
            }
            let body = try await decode(ExpireBody.self, request, known: ["by"])
            let actor = try who(body.by, request)
            guard try await store.read({ try $0.silence(id: id) }) != nil else {
                throw HTTPError(.notFound, message: "no silence \(id) — /api/v1/silences lists them")
            }
            let now = Date().timeIntervalSince1970
            try await APIRoutes.blocking { [store] in try store.expireSilence(id: id, by: actor, now: now) }
            guard let expired = try await store.read({ try $0.silence(id: id) }) else {
                throw HTTPError(.notFound, message: "silence \(id) was removed meanwhile — /api/v1/silences lists them")
            }
            return API.Silence(expired, now: now)
        }
    }

    /// One alert with what operators and receivers did with it, from one snapshot: one query
    /// per kind of row (the attempts of all its deliveries in one).
    static func detail(_ id: Int64, in snapshot: any OperatorSnapshot, now: Double = Date().timeIntervalSince1970) throws -> API.AlertDetail {
        guard let alert = try snapshot.alert(id: id) else { throw HTTPError(.notFound, message: "no alert \(id) — /api/v1/alerts lists them") }
        let ack = try snapshot.activeAcknowledgements(now: now).first { $0.alertID == id }
        let deliveries = try snapshot.deliveries(alertID: id)
        let attempts = try snapshot.attempts(deliveryIDs: deliveries.map(\.id))
        return API.AlertDetail(alert: API.Alert(alert, withTransitions: true),
                               acknowledgement: ack.map(API.Acknowledgement.init),
                               notes: try snapshot.notes(alertID: id).map(API.Note.init),
                               deliveries: deliveries.map { API.Delivery($0, attempts: attempts[$0.id] ?? []) })
    }

    /// The `:id` of an alert route, as a number.
    static func alertID(_ context: APIRequestContext) throws -> Int64 {
        guard let id = context.parameters.get("id", as: Int64.self) else {
            throw HTTPError(.badRequest, message: "an alert id is a whole number, as listed by /api/v1/alerts")
        }
        return id
    }

    /// The `:id` of an alert the store holds (else 404, before the body is read).
    static func existingAlertID(_ context: APIRequestContext, store: any OperatorStore) async throws -> Int64 {
        let id = try alertID(context)
        guard try await store.read({ try $0.alert(id: id) }) != nil else {
            throw HTTPError(.notFound, message: "no alert \(id) — /api/v1/alerts lists them")
        }
        return id
    }

    /// Ten years, in seconds: the longest ack or silence (and what the notifier's clock holds).
    static let maximumSeconds: Double = 315_360_000

    /// Decodes a request body strictly: JSON, at most 64 KiB, only the keys `known` lists
    /// (a misspelt key must not silently turn a timed ack into a permanent one).
    static func decode<T: Decodable>(_ type: T.Type, _ request: Request, known: Set<String>) async throws -> T {
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: 64 << 10) } catch {
            throw HTTPError(.contentTooLarge, message: "the body is over 64 KiB; send only the fields /api/v1/openapi.json lists")
        }
        let data = Data(buffer.readableBytesView)
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw HTTPError(.badRequest, message: "the body must be a JSON object as /api/v1/openapi.json describes")
        }
        if let repeated = DuplicateKeys.first(in: data) {
            throw HTTPError(.badRequest, message: "the field '\(repeated)' is given twice; give each field once")
        }
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw HTTPError(.badRequest, message: "unknown field '\(unknown)'; expected \(known.sorted().joined(separator: ", "))")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do { return try decoder.decode(T.self, from: data) } catch {
            throw HTTPError(.badRequest, message: "the body must be JSON as /api/v1/openapi.json describes (\(describe(error)))")
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "missing \(key.stringValue.snakeCased)"
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
            return "wrong type at \(c.codingPath.map { $0.stringValue.snakeCased }.joined(separator: "."))"
        default: return "not valid JSON"
        }
    }

    /// The actor of an operator action: the name of the token it came with (`http.tokens`),
    /// else the body's `by`.
    static func who(_ by: String, _ request: Request) throws -> String {
        if let named = request.headers[BearerTokenMiddleware<APIRequestContext>.actorField] { return named }
        let name = by.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, name.count <= 200 else { throw HTTPError(.badRequest, message: "by: say who you are (1–200 characters)") }
        return name
    }

    static func time(_ text: String, _ name: String) throws -> Double {
        guard let date = try? Date(text, strategy: .iso8601) else {
            throw HTTPError(.badRequest, message: "\(name) must be an RFC 3339 time such as 2026-11-25T18:00:00Z, got '\(text)'")
        }
        return date.timeIntervalSince1970
    }
}

/// Finds a key given twice in a JSON object. Foundation's parser keeps one of the values
/// silently, so `{"by": "ana", "by": "eve"}` would act for whoever it picked: an API body with
/// a repeated key is refused instead (records keep the last value; docs/record-format.md).
enum DuplicateKeys {
    /// The first key repeated in the top-level object of `data`, or nil (also for invalid JSON,
    /// which the decoder reports).
    static func first(in data: Data) -> String? {
        var bytes = Array(data)
        let count = bytes.count
        return bytes.withUnsafeMutableBufferPointer { b -> String? in
            let scratch = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: count + 16)
            defer { scratch.deallocate() }
            var s = JSONScanner(UnsafeBufferPointer(b), scratch: scratch)
            var seen = Set<String>()
            var repeated: String?
            _ = try? s.seekField { key in
                let name = String(decoding: key, as: UTF8.self)
                if !seen.insert(name).inserted { repeated = name }
                return repeated != nil
            }
            return repeated
        }
    }
}

extension String {
    fileprivate var snakeCased: String {
        var out = ""
        for c in self { if c.isUppercase { out += "_" + c.lowercased() } else { out.append(c) } }
        return out
    }
}

extension API {
    struct Acknowledgement: Encodable {
        var by: String, at: String, note: String?, expiresAt: String?
        init(_ a: AcknowledgementRecord) { by = a.by; at = API.time(a.at); note = a.note; expiresAt = a.expiresAt.map(API.time) }
    }

    struct Note: Encodable {
        var by: String, at: String, text: String
        init(_ n: AlertNote) { by = n.by; at = API.time(n.at); text = n.text }
    }

    struct Attempt: Encodable {
        var at: String, statusCode: Int?, error: String?, isRepeat: Bool
    }

    struct Delivery: Encodable {
        var id: Int64, receiver: String, status: String, attempts: Int, nextAttemptAt: String?, lastError: String?
        var dedupKey: String, transitionKind: String, updatedAt: String
        var attemptLog: [Attempt]
        init(_ d: DeliveryRecord, attempts log: [DeliveryAttemptRecord]) {
            id = d.id; receiver = d.receiver; status = d.status.rawValue; attempts = d.attempts; nextAttemptAt = d.nextAttemptAt.map(API.time)
            lastError = d.lastError; dedupKey = d.dedupKey; transitionKind = d.entry.kind.rawValue; updatedAt = API.time(d.updatedAt)
            attemptLog = log.map { Attempt(at: API.time($0.at), statusCode: $0.statusCode, error: $0.error, isRepeat: $0.isRepeat) }
        }
    }

    /// An alert (its fields at the top level, as in the list) with transitions,
    /// acknowledgement, notes and deliveries.
    struct AlertDetail: ResponseEncodable {
        var alert: Alert
        var acknowledgement: Acknowledgement?
        var notes: [Note]
        var deliveries: [Delivery]

        enum Keys: String, CodingKey { case acknowledgement, notes, deliveries }
        func encode(to encoder: any Encoder) throws {
            try alert.encode(to: encoder)
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(acknowledgement, forKey: .acknowledgement)
            try c.encode(notes, forKey: .notes)
            try c.encode(deliveries, forKey: .deliveries)
        }
    }

    struct Silence: ResponseEncodable {
        var id: Int64, matchers: [String], startsAt: String, endsAt: String, createdBy: String, comment: String, expired: Bool, active: Bool
        init(_ s: SilenceRecord, now: Double) {
            id = s.id; matchers = s.matchers; startsAt = API.time(s.startsAt); endsAt = API.time(s.endsAt)
            createdBy = s.createdBy; comment = s.comment; expired = s.expired; active = s.isActive(at: now)
        }
    }

    struct Silences: ResponseEncodable { var silences: [Silence] }
}
