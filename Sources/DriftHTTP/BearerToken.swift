import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The token state-changing requests must carry. Its value is never printed: every textual
/// form of it (description, debug description, reflection, string interpolation) is
/// `<redacted>`, so it cannot reach a log line or a response by accident.
public struct BearerToken: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let bytes: [UInt8]

    /// nil for an empty token: an empty token would let anyone in.
    public init?(_ value: String) {
        guard !value.isEmpty else { return nil }
        bytes = Array(value.utf8)
    }

    /// Compares in time that depends only on the lengths, not on where the texts differ.
    public func matches(_ candidate: some StringProtocol) -> Bool {
        let other = Array(candidate.utf8)
        var difference = UInt8(truncatingIfNeeded: bytes.count ^ other.count)
        for i in 0..<Swift.max(bytes.count, other.count) {
            let a = i < bytes.count ? bytes[i] : 0, b = i < other.count ? other[i] : 0
            difference |= a ^ b
        }
        return difference == 0
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

/// Every request that could change state (any method but GET, HEAD and OPTIONS) needs
/// `Authorization: Bearer <token>`; without the right one it gets 401 before any route runs.
/// With no token configured, state-changing requests are refused altogether (fail closed).
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: BearerToken?
    var namedTokens: [APISettings.NamedToken] = []
    let missingTokenAdvice: String
    let logger: Logger

    /// Set on a request made with a named token (and removed from every request that arrives
    /// with it): the actor the operator routes record.
    static var actorField: HTTPField.Name { HTTPField.Name("X-Driftd-Actor")! }

    /// The request with the actor field set (or removed).
    static func with(_ request: Request, actor: String?) -> Request {
        var head = request.head
        head.headerFields[actorField] = actor
        return Request(head: head, body: request.body)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // Only this middleware says who a request comes from.
        var request = request
        if request.headers[Self.actorField] != nil { request = Self.with(request, actor: nil) }
        if request.method == .get || request.method == .head || request.method == .options {
            return try await next(request, context)
        }
        let presented = request.headers[.authorization].flatMap { header -> Substring? in
            let prefix = "bearer "
            guard header.count > prefix.count, header.prefix(prefix.count).lowercased() == prefix else { return nil }
            return header.dropFirst(prefix.count)
        }
        // Every token is compared (in time independent of where a text differs), so the time
        // taken does not say which one nearly matched.
        var named: String? = nil
        var matched = false
        if let presented {
            if let token, token.matches(presented) { matched = true }
            for t in namedTokens where t.token.matches(presented) { named = named ?? t.name; matched = true }
        }
        if let named {
            request = Self.with(request, actor: named)
            logger.info("authenticated request", metadata: ["http.method": "\(request.method.rawValue)", "http.path": "\(request.uri.path)",
                                                            "http.actor": "\(named)"])
        }
        let configured = token != nil || !namedTokens.isEmpty
        guard matched else {
            // The path and method only: never the header, whose value may be a near-miss of the token.
            logger.notice("refused an unauthenticated request", metadata: [
                "http.method": "\(request.method.rawValue)", "http.path": "\(request.uri.path)",
                "http.reason": "\(!configured ? "no token configured" : (presented == nil ? "no bearer token" : "wrong token"))",
            ])
            let message = !configured
                ? "state-changing requests are disabled: " + missingTokenAdvice
                : "this request changes state: send the header 'Authorization: Bearer <token>' with the token from the variable named by http.token_env (or one of http.tokens)"
            throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer realm=\"driftd\""], message: message)
        }
        return try await next(request, context)
    }
}
