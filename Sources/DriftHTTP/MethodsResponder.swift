import HTTPTypes
import Hummingbird

/// HEAD and OPTIONS for every route, which the router does not answer by itself (it said 404,
/// before any middleware runs): HEAD runs the GET route and drops the body, so a load
/// balancer's `HEAD /healthz` works; OPTIONS answers 204 with the path's methods in `Allow`.
struct MethodsResponder<Router: HTTPResponderBuilder>: HTTPResponderBuilder where Router.Responder.Context: RequestContext {
    let router: Router

    // A concrete type, not `some HTTPResponder`: the opaque type crashed swift-frontend 6.3.1
    // in release builds (signal 11 while emitting APIServer.start).
    func buildResponder() -> CallbackResponder<Router.Responder.Context> {
        let inner = router.buildResponder()
        return CallbackResponder { request, context in
            switch request.method {
            case .head:
                var head = request.head
                head.method = .get
                var response = try await inner.respond(to: Request(head: head, body: request.body), context: context)
                response.body = ResponseBody()
                return response
            case .options:
                return Response(status: .noContent, headers: [.allow: AllowedMethods.of(path: request.uri.path)])
            default:
                let response = try await inner.respond(to: request, context: context)
                // The router found no route (its 404 has no body; the handlers' say what is
                // missing): say so in the API's error shape, with the way on.
                guard response.status == .notFound, response.body.contentLength == 0 else { return response }
                return try HTTPError(.notFound, message: "no route \(request.method) \(request.uri.path) — the API's endpoints are listed at /api/v1 "
                                     + "and described in /api/v1/openapi.json; the dashboard is at /").response(from: request, context: context)
            }
        }
    }
}

/// What `Allow` says per path (outside the generic responder, whose closure must not
/// capture its generic metatype). The operator actions take POST only; silences are
/// listed (GET) and created (POST).
enum AllowedMethods {
    static func of(path: String) -> String {
        let parts = path.split(separator: "/")
        let isAction = parts.count == 5 && parts.starts(with: ["api", "v1", "alerts"]) && ["ack", "resolve", "notes"].contains(parts[4])
            || parts.count == 5 && parts.starts(with: ["api", "v1", "silences"]) && parts[4] == "expire"
        if isAction { return "POST, OPTIONS" }
        if parts == ["api", "v1", "silences"] { return "GET, HEAD, POST, OPTIONS" }
        return "GET, HEAD, OPTIONS"
    }
}
