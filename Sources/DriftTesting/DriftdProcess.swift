import Dispatch
import Foundation
import Synchronization

/// Runs the built `driftd` executable as a user would, capturing its output and status.
public struct DriftdRun: Sendable {
    public var status: Int32
    public var standardOutput: String
    public var standardError: String
}

public enum DriftdProcess {
    /// The `driftd` binary next to the test bundle (`swift test` builds it first).
    public static var executable: URL {
        let runner = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = runner.deletingLastPathComponent()
        for _ in 0..<3 {
            let candidate = dir.appendingPathComponent("driftd")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return Fixtures.repositoryRoot.appendingPathComponent(".build/debug/driftd")
    }

    /// The API's base URL (`http://127.0.0.1:PORT`) a `driftd run` printed on standard
    /// error when it started serving, if it has.
    public static func apiURL(inLog text: String) -> String? {
        text.firstMatch(of: /API (http:\/\/127\.0\.0\.1:\d+)\//).map { String($0.1) }
    }

    /// - Parameter directory: the working directory (default: the test's own).
    public static func run(_ arguments: [String], in directory: URL? = nil) throws -> DriftdRun {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Both pipes read to the end at once (standard error on a thread of its own), so a
        // child that fills either pipe cannot block, then the exit is waited for.
        let errBox = PipeReading(err.fileHandleForReading)
        let outData = PipeReading.readToEnd(out.fileHandleForReading)
        let errData = errBox.wait()
        process.waitUntilExit()
        return DriftdRun(status: process.terminationStatus,
                         standardOutput: String(decoding: outData, as: UTF8.self),
                         standardError: String(decoding: errData, as: UTF8.self))
    }
}

/// Reads a pipe to its end with read(2), retrying when a signal interrupts it: Foundation's
/// `readDataToEndOfFile()` traps on EINTR, which SIGCHLD from other tests' children causes.
public final class PipeReading: Sendable {
    private let data = Mutex(Data())
    private let done = DispatchSemaphore(value: 0)

    /// Starts reading on a thread of its own.
    public init(_ handle: FileHandle) {
        let thread = Thread { [self] in
            let read = Self.readToEnd(handle)
            data.withLock { $0 = read }
            done.signal()
        }
        thread.start()
    }

    public func wait() -> Data {
        done.wait()
        return data.withLock { $0 }
    }

    public static func readToEnd(_ handle: FileHandle) -> Data {
        let fd = handle.fileDescriptor
        var result = Data()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 { result.append(contentsOf: buffer[0..<n]); continue }
            if n < 0 && errno == EINTR { continue }
            return result
        }
    }
}

/// A temporary folder removed when the value goes away.
public final class TemporaryDirectory: Sendable {
    public let url: URL
    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("driftd-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    /// Writes `text` to a file in the folder and returns its path.
    public func write(_ name: String, _ text: String) throws -> String {
        let file = url.appendingPathComponent(name)
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }
}

/// JSON Lines inference records holding one feature, as producers publish them.
public enum RecordFile {
    public static func numeric(_ values: [Double], feature: String = "x", model: String = "golden") -> String {
        values.enumerated().map { i, v in
            "{\"model\":\"\(model)\",\"id\":\"r\(i)\",\"features\":{\"\(feature)\":\(v.description)}}"
        }.joined(separator: "\n") + "\n"
    }

    public static func categorical(_ values: [String], feature: String = "x", model: String = "golden") -> String {
        values.enumerated().map { i, v in
            "{\"model\":\"\(model)\",\"id\":\"r\(i)\",\"features\":{\"\(feature)\":\"\(v)\"}}"
        }.joined(separator: "\n") + "\n"
    }
}
