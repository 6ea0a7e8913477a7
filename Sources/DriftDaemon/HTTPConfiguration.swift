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
///   tokens:                  # named tokens: the audit log names who acted
///     - { name: ana, token_env: DRIFTD_TOKEN_ANA }
///     - { name: oncall-bot, token_env: DRIFTD_TOKEN_BOT }
/// ```
public struct HTTPConfiguration: Sendable, Equatable {
    public var listen: ListenAddress
    public var tokenEnvironmentVariable: String?
    /// Named tokens: (name, environment variable).
    public var namedTokenVariables: [NamedTokenVariable] = []

    public struct NamedTokenVariable: Sendable, Equatable {
        public var name: String
        public var environmentVariable: String
        public init(name: String, environmentVariable: String) { self.name = name; self.environmentVariable = environmentVariable }
    }

    public init(listen: ListenAddress = .loopbackDefault, tokenEnvironmentVariable: String? = nil, namedTokenVariables: [NamedTokenVariable] = []) {
        self.listen = listen
        self.tokenEnvironmentVariable = tokenEnvironmentVariable
        self.namedTokenVariables = namedTokenVariables
    }

    /// The token from the environment, or nil when none is configured or the variable is unset
    /// or empty (then every state-changing request is refused).
    public func token(environment: [String: String] = ProcessInfo.processInfo.environment) -> BearerToken? {
        tokenEnvironmentVariable.flatMap { environment[$0] }.flatMap(BearerToken.init)
    }

    /// The named tokens whose variables are set (an unset one lets nobody in under its name).
    public func namedTokens(environment: [String: String] = ProcessInfo.processInfo.environment) -> [APISettings.NamedToken] {
        namedTokenVariables.compactMap { t in environment[t.environmentVariable].flatMap(BearerToken.init).map { APISettings.NamedToken(name: t.name, token: $0) } }
    }
}

extension DriftConfiguration {
    /// What the HTTP server needs from the configuration: the models with their windows and
    /// rules, and the token from the environment.
    public func apiSettings(environment: [String: String] = ProcessInfo.processInfo.environment,
                            readiness: @escaping @Sendable () -> String? = { nil }) -> APISettings {
        var settings = APISettings(models: models.map { APISettings.Model(id: $0.id, window: $0.window, rules: $0.rules, inventory: $0.inventory) },
                                   token: (http ?? HTTPConfiguration()).token(environment: environment),
                                   tokenVariable: http?.tokenEnvironmentVariable, readiness: readiness)
        settings.namedTokens = (http ?? HTTPConfiguration()).namedTokens(environment: environment)
        return settings
    }
}

extension NodeReader {
    func http(_ node: Node, path: String) throws -> HTTPConfiguration {
        let m = try mapping(node, path: path, allowed: ["listen", "token_env", "tokens"])
        var c = HTTPConfiguration()
        if let l = m["listen"] {
            switch ListenAddress.parse(try string(l, path: path + ".listen")) {
            case .success(let address): c.listen = address
            case .failure(let reason): throw error(l, path + ".listen", reason.description)
            }
        }
        if let t = m["token_env"] { c.tokenEnvironmentVariable = try tokenVariable(t, path: path + ".token_env") }
        if let list = m["tokens"] {
            guard case .sequence(let entries) = list else {
                throw error(list, path + ".tokens", "expected a list of {name, token_env}, e.g. - { name: ana, token_env: DRIFTD_TOKEN_ANA }")
            }
            for (k, entry) in entries.enumerated() {
                let at = path + ".tokens[\(k)]"
                let e = try mapping(entry, path: at, allowed: ["name", "token_env"])
                guard let n = e["name"] else { throw error(entry, at, "missing name: who acts with this token (it is the actor in the audit log)") }
                let name = try string(n, path: at + ".name").trimmingCharacters(in: .whitespaces)
                guard !name.isEmpty, name.count <= 200 else { throw error(n, at + ".name", "expected a name of 1–200 characters") }
                guard !c.namedTokenVariables.contains(where: { $0.name == name }) else {
                    throw error(n, at + ".name", "the name '\(name)' is given twice: each named token needs its own name")
                }
                guard let v = e["token_env"] else { throw error(entry, at, "missing token_env: the environment variable holding \(name)'s token") }
                c.namedTokenVariables.append(.init(name: name, environmentVariable: try tokenVariable(v, path: at + ".token_env")))
            }
        }
        return c
    }

    private func tokenVariable(_ node: Node, path: String) throws -> String {
        let name = try string(node, path: path)
        guard !name.isEmpty, name.allSatisfy({ $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }), !name.first!.isNumber else {
            throw error(node, path, "expected the name of an environment variable such as DRIFTD_TOKEN (the token itself never goes in the file)")
        }
        return name
    }
}
