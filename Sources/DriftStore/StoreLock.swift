import DriftCore
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The writer lock of a store: one driftd process at a time runs a pipeline (and its
/// notifier) on a store. Two would both write window reports for the same windows and page
/// twice, and the second would die mid-stream on a UNIQUE constraint. The lock is an OS file
/// lock (`flock`) on `STORE.lock` beside the database, so the kernel releases it when its
/// holder exits in any way — a SIGKILLed daemon never leaves a lock that blocks its restart.
/// The file also names the holder (pid, host, command, since) for the refusal message;
/// a holder that ends cleanly empties it, so a non-empty file found by a new holder tells
/// that the last one did not end cleanly.
///
/// Commands that only read, and operator actions (ack, resolve, silence, baseline fit),
/// take no lock: they work beside the writer through SQLite's own locking.
///
/// Paging has a lock of its own (`STORE.notify.lock`, role `.paging`): the notifier of
/// `driftd run` or of `driftd serve` delivers the outbox, never both at once (a receiver would
/// be paged twice), and `serve` can page for a `replay` that holds the writer lock.
public final class StoreLock: Sendable {
    /// What the lock lets its holder do to the store.
    public enum Role: Sendable {
        /// Run a pipeline: write window reports, transitions, checkpoints (`STORE.lock`).
        case writer
        /// Deliver the outbox to the receivers (`STORE.notify.lock`).
        case paging

        var suffix: String { self == .writer ? ".lock" : ".notify.lock" }
    }

    /// Who holds (or held) a lock, as written in the lock file.
    public struct Holder: Codable, Sendable, Equatable, CustomStringConvertible {
        public var pid: Int32
        public var host: String
        public var command: String
        /// Seconds since 1970.
        public var since: Double

        public var description: String {
            let since = Date(timeIntervalSince1970: since).formatted(.iso8601)
            return "`\(command)` (pid \(pid) on \(host), since \(since))"
        }
    }

    public let path: String
    public let holder: Holder
    /// The holder before this one when it did not release the lock (it crashed or was
    /// killed): the caller says in its log that it took the store over.
    public let tookOverFrom: Holder?
    private let descriptor: Int32

    /// Takes the lock of the store at `storePath` for `command`, or throws `.inUse` naming
    /// who holds it.
    public init(store storePath: String, command: String, role: Role = .writer) throws {
        path = storePath + role.suffix
        StoreFile.createFolder(of: storePath)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let code = errno
            let reason = String(cString: strerror(code))
            // A full or read-only file system passes: a daemon waits for it.
            let kind: StoreError.Kind = code == ENOSPC || code == EDQUOT ? .diskFull : code == EROFS ? .readOnly : .cannotOpen
            throw StoreError("cannot create the store's lock file \(path): \(reason) — " + (kind == .cannotOpen
                ? "check that this user may write its folder" : "free space on that file system, or remount it writable"), kind: kind)
        }
        let previous = Self.readHolder(fd)
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let busy = errno == EWOULDBLOCK
            let reason = String(cString: strerror(errno))
            close(fd)
            guard busy else { throw StoreError("cannot lock the store \(storePath) (\(path): \(reason))", kind: .cannotOpen) }
            let who = previous.map { "\($0)" } ?? "another driftd process"
            if role == .paging {
                throw StoreError("the receivers of the store \(storePath) are paged by \(who) — one driftd pages at a time", kind: .inUse)
            }
            throw StoreError("the store \(storePath) is in use by \(who) — one driftd writes a store at a time: stop that one first, "
                             + "or give this command another `store:`; reading commands (alerts, report, serve) work beside it", kind: .inUse)
        }
        descriptor = fd
        Self.held.register(fd)
        tookOverFrom = previous
        holder = Holder(pid: getpid(), host: ProcessInfo.processInfo.hostName, command: command, since: Date().timeIntervalSince1970)
        let body = (try? JSONEncoder().encode(holder)) ?? Data()
        _ = ftruncate(fd, 0)
        _ = body.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    /// Who holds the lock of the store at `storePath` now, if anyone (for messages and tests).
    public static func currentHolder(store storePath: String, role: Role = .writer) -> Holder? {
        let fd = open(storePath + role.suffix, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        // Free to take: nobody holds it, whatever the file says.
        if flock(fd, LOCK_SH | LOCK_NB) == 0 { flock(fd, LOCK_UN); return nil }
        return readHolder(fd)
    }

    private static func readHolder(_ fd: Int32) -> Holder? {
        var bytes = [UInt8](repeating: 0, count: 4096)
        let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        return try? JSONDecoder().decode(Holder.self, from: Data(bytes[0..<n]))
    }

    deinit {
        // Emptied first: the next holder sees a clean hand-over, not a takeover.
        Self.held.unregister(descriptor)
        _ = ftruncate(descriptor, 0)
        close(descriptor)
    }

    /// Locks held by this process. A command that ends through `exit` (an error that
    /// stops the daemon, a stop during a storage fault) never releases its store; the
    /// exit handler empties their files, so the next holder is not told of a crash that
    /// was a deliberate stop. A killed process runs no handler: that is a takeover.
    final class Held: Sendable {
        private struct State {
            var descriptors: Set<Int32> = []
            var handlerInstalled = false
        }
        private let state = Mutex(State())

        func register(_ fd: Int32) {
            state.withLock { state in
                state.descriptors.insert(fd)
                if !state.handlerInstalled {
                    state.handlerInstalled = true
                    atexit { StoreLock.held.emptyAll() }
                }
            }
        }

        func unregister(_ fd: Int32) { _ = state.withLock { $0.descriptors.remove(fd) } }

        func emptyAll() { state.withLock { for fd in $0.descriptors { _ = ftruncate(fd, 0) } } }
    }

    static let held = Held()
}
