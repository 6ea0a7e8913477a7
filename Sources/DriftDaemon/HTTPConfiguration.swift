import DriftHTTP
import Foundation
import Yams

/// The `http:` section: where the API, metrics and dashboard listen, and the name of the
/// environment variable holding the bearer token of state-changing requests (the token itself
/// never sits in the file):
/// ```yaml
/// http:
///   listen: 127.0.0.1:8080   # loopback by default
///   token_env: DRIFTD_TOKEN
/// ```
public struct HTTPConfiguration: Sendable, Equatable {
    public var listen: ListenAddress
    public var tokenEnvironmentVariable: String?

    public init(listen: ListenAddress = .loopbackDefault, tokenEnvironmentVariable: String? = nil) {
        self.listen = listen
        self.tokenEnvironmentVariable = tokenEnvironmentVariable
    }

    /// The token from the environment, or nil when none is configured or the variable is unset
    /// or empty (then every state-changing request is refused).
    public func token(environment: [String: String] = ProcessInfo.processInfo.environment) -> BearerToken? {
        tokenEnvironmentVariable.flatMap { environment[$0] }.flatMap(BearerToken.init)
    }
}

extension DriftConfiguration {
    /// What the HTTP server needs from the configuration: the models with their windows and
    /// rules, and the token from the environment.
    public func apiSettings(environment: [String: String] = ProcessInfo.processInfo.environment,
                            readiness: @escaping @Sendable () -> String? = { nil }) -> APISettings {
        APISettings(models: models.map { APISettings.Model(id: $0.id, window: $0.window, rules: $0.rules) },
                    token: (http ?? HTTPConfiguration()).token(environment: environment),
                    tokenVariable: http?.tokenEnvironmentVariable, readiness: readiness)
    }
}

extension NodeReader {
    func http(_ node: Node, path: String) throws -> HTTPConfiguration {
        let m = try mapping(node, path: path, allowed: ["listen", "token_env"])
        var c = HTTPConfiguration()
        if let l = m["listen"] {
            switch ListenAddress.parse(try string(l, path: path + ".listen")) {
            case .success(let address): c.listen = address
            case .failure(let reason): throw error(l, path + ".listen", reason.description)
            }
        }
        if let t = m["token_env"] {
            let name = try string(t, path: path + ".token_env")
            guard !name.isEmpty, name.allSatisfy({ $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }), !name.first!.isNumber else {
                throw error(t, path + ".token_env",
                            "expected the name of an environment variable such as DRIFTD_TOKEN (the token itself never goes in the file)")
            }
            c.tokenEnvironmentVariable = name
        }
        return c
    }
}
