import DriftCore
@testable import DriftDaemon
import DriftHTTP
import DriftNotify
import Testing

/// The `http:` section: loopback by default, the token read from the environment variable it
/// names, mistakes reported as file:line key.path: reason.
@Suite("HTTP configuration")
struct HTTPConfigurationTests {
    static let models = "store: s.sqlite\nmodels:\n  - id: m\n"

    @Test("no http section: loopback 127.0.0.1:8080 and no token (state changes refused)")
    func defaults() throws {
        let c = try DriftConfiguration.parse(Self.models, file: "d.yaml")
        #expect(c.http == nil)
        #expect(HTTPConfiguration().listen == ListenAddress(host: "127.0.0.1", port: 8080))
        #expect(c.apiSettings(environment: ["DRIFTD_TOKEN": "x"]).token == nil, "no token_env: no token, whatever the environment")
        #expect(c.apiSettings().models.map(\.id) == ["m"])
    }

    @Test("listen and token_env; the token comes from the environment, never the file")
    func section() throws {
        let c = try DriftConfiguration.parse(Self.models + "http: { listen: '0.0.0.0:9100', token_env: OPS_TOKEN }\n", file: "d.yaml")
        #expect(c.http?.listen == ListenAddress(host: "0.0.0.0", port: 9100))
        #expect(c.http?.tokenEnvironmentVariable == "OPS_TOKEN")
        let token = try #require(c.apiSettings(environment: ["OPS_TOKEN": "abc"]).token)
        #expect(token.matches("abc") && !token.matches("abd") && !token.matches("ab"))
        #expect(c.apiSettings(environment: [:]).token == nil, "an unset variable: no token")
        #expect(c.apiSettings(environment: ["OPS_TOKEN": ""]).token == nil, "an empty variable: no token")
    }

    @Test("named tokens: each from its own variable, unset ones left out")
    func namedTokens() throws {
        let c = try DriftConfiguration.parse(Self.models + """
            http:
              token_env: OPS_TOKEN
              tokens:
                - { name: ana, token_env: DRIFTD_TOKEN_ANA }
                - { name: oncall-bot, token_env: DRIFTD_TOKEN_BOT }
            """ + "\n", file: "d.yaml")
        #expect(c.http?.namedTokenVariables.map(\.name) == ["ana", "oncall-bot"])
        let settings = c.apiSettings(environment: ["DRIFTD_TOKEN_ANA": "a-secret", "OPS_TOKEN": "shared"])
        #expect(settings.namedTokens.map(\.name) == ["ana"], "the bot's variable is unset: no token under its name")
        #expect(settings.namedTokens.first?.token.matches("a-secret") == true)
        #expect(settings.token?.matches("shared") == true)
        #expect(c.notify.secretVariables.isSuperset(of: ["OPS_TOKEN", "DRIFTD_TOKEN_ANA", "DRIFTD_TOKEN_BOT"]),
                "exec receivers run without any API token's variable")
    }

    @Test("mistakes name the file, line, key path and reason", arguments: [
        ("http:\n  tokens:\n    - { name: ana, token_env: A }\n    - { name: ana, token_env: B }\n",
         "d.yaml:7: http.tokens[1].name: the name 'ana' is given twice"),
        ("http:\n  tokens:\n    - { name: ana }\n", "d.yaml:6: http.tokens[0]: missing token_env"),
        ("http:\n  tokens:\n    - { token_env: A }\n", "d.yaml:6: http.tokens[0]: missing name"),
        ("http:\n  tokens: { name: ana }\n", "d.yaml:5: http.tokens: expected a list"),
        ("http:\n  tokens:\n    - { name: ana, token_env: 'not a variable' }\n", "d.yaml:6: http.tokens[0].token_env: expected the name of an environment variable"),
        ("http: { listen: localhost }\n", "d.yaml:4: http.listen: expected HOST:PORT"),
        ("http: { listen: '127.0.0.1:99999' }\n", "d.yaml:4: http.listen: the port must be a number from 0 to 65535"),
        ("http: { token_env: 'hunter2 is my token' }\n", "d.yaml:4: http.token_env: expected the name of an environment variable"),
        ("http: { token: abc }\n", "d.yaml:4: http.token: unknown key"),
    ])
    func mistakes(text: String, expected: String) throws {
        do {
            _ = try DriftConfiguration.parse(Self.models + text, file: "d.yaml")
            Issue.record("accepted \(text)")
        } catch let e as ConfigurationError {
            #expect("\(e)".hasPrefix(expected), "\(e)")
        }
    }
}
