import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A receiver inside the tests: a small HTTP server on 127.0.0.1 that records every request
/// and answers from a script (then 200 for the rest).
final class ReceiverSink: @unchecked Sendable {
    enum Reply: Sendable, Equatable {
        case status(Int, retryAfter: String? = nil)
        /// Never answers; the client's timeout ends the request.
        case hang
    }

    struct Request: Sendable {
        var path: String
        var headers: [String: String]
        var body: Data
        var reply: Reply
        var json: [String: Any]? { try? JSONSerialization.jsonObject(with: body) as? [String: Any] }
    }

    private let lock = NSLock()
    private var script: [Reply]
    private var recorded: [Request] = []
    private let group: MultiThreadedEventLoopGroup
    private var channel: (any Channel)?
    private(set) var port: Int = 0

    init(script: [Reply] = [], port: Int = 0) throws {
        self.script = script
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(Handler(sink: self))
                }
            }
        let channel = try bootstrap.bind(host: "127.0.0.1", port: port).wait()
        self.channel = channel
        self.port = channel.localAddress!.port!
    }

    var url: String { "http://127.0.0.1:\(port)/hook" }

    var requests: [Request] { lock.lock(); defer { lock.unlock() }; return recorded }

    /// Requests answered with 2xx.
    var accepted: [Request] {
        requests.filter { if case .status(let s, _) = $0.reply { return (200..<300).contains(s) } else { return false } }
    }

    func setScript(_ replies: [Reply]) { lock.lock(); script = replies; lock.unlock() }

    fileprivate func record(path: String, headers: HTTPHeaders, body: Data) -> Reply {
        lock.lock(); defer { lock.unlock() }
        let reply = script.isEmpty ? .status(200) : script.removeFirst()
        var h: [String: String] = [:]
        for (name, value) in headers { h[name.lowercased()] = value }
        recorded.append(Request(path: path, headers: h, body: body, reply: reply))
        return reply
    }

    func shutdown() {
        try? channel?.close().wait()
        try? group.syncShutdownGracefully()
    }

    /// A port nothing listens on (bound, then closed).
    static func freePort() throws -> Int {
        let g = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? g.syncShutdownGracefully() }
        let c = try ServerBootstrap(group: g).serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0).wait()
        let port = c.localAddress!.port!
        try c.close().wait()
        return port
    }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let sink: ReceiverSink
        var head: HTTPRequestHead?
        var body = Data()
        init(sink: ReceiverSink) { self.sink = sink }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let h): head = h; body = Data()
            case .body(var buffer): body.append(contentsOf: buffer.readBytes(length: buffer.readableBytes) ?? [])
            case .end:
                guard let head else { return }
                let reply = sink.record(path: head.uri, headers: head.headers, body: body)
                guard case .status(let code, let retryAfter) = reply else { return }
                var headers = HTTPHeaders([("Content-Length", "2"), ("Content-Type", "application/json")])
                if let retryAfter { headers.add(name: "Retry-After", value: retryAfter) }
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: HTTPResponseStatus(statusCode: code), headers: headers))), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "{}")))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}

/// Waits for a condition, polling, up to a bound (never a fixed sleep as synchronisation).
/// The bound is generous: while CPU-heavy suites run beside these tests they can starve
/// the cooperative pool for many seconds; a passing test returns as soon as it can.
func eventually(_ what: String, within seconds: Double = 120, _ condition: () throws -> Bool) async throws -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        try await Task.sleep(for: .milliseconds(10))
    }
    return try condition()
}
