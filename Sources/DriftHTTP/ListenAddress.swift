import Foundation

/// Where the HTTP server listens: `127.0.0.1:8080`, `[::1]:8080`, `0.0.0.0:9000`, or `:8080`
/// (loopback). Port 0 asks the system for a free port.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public static let loopbackDefault = ListenAddress(host: "127.0.0.1", port: 8080)

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`, or says why the text is not an address.
    public static func parse(_ text: String) -> Result<ListenAddress, AddressError> {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let colon = trimmed.lastIndex(of: ":") else {
            return .failure(AddressError("expected HOST:PORT such as 127.0.0.1:8080, got '\(text)'"))
        }
        var host = String(trimmed[..<colon])
        let portText = trimmed[trimmed.index(after: colon)...]
        guard let port = Int(portText), (0...65_535).contains(port) else {
            return .failure(AddressError("the port must be a number from 0 to 65535, got '\(portText)'"))
        }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.isEmpty { host = "127.0.0.1" }
        guard !host.contains(where: { $0 == " " || $0 == "/" }) else {
            return .failure(AddressError("'\(host)' is not a host name or IP address"))
        }
        return .success(ListenAddress(host: host, port: port))
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    public struct AddressError: Error, CustomStringConvertible, Equatable {
        public var description: String
        init(_ description: String) { self.description = description }
    }
}
