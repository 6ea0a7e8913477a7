#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only into memory: the parsers read it in place, without a copy.
/// `@unchecked`: an immutable read-only mapping (a raw pointer and its length), unmapped in
/// `deinit`; threads only read it.
public final class MappedFile: @unchecked Sendable {
    public let path: String
    public let bytes: UnsafeBufferPointer<UInt8>
    private let mapping: UnsafeMutableRawPointer?

    /// - Parameter populate: read the whole file in at once (fast for whole-file work);
    ///   without it pages come in as they are read and can be released (streaming).
    public init(path: String, populate: Bool = true) throws(InputFailure) {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw InputFailure(message: "cannot open \(path): \(String(cString: strerror(errno))) — check the path and its permissions")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw InputFailure(message: "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            throw InputFailure(message: "\(path) is a directory; give a .jsonl or .csv file")
        }
        let size = Int(info.st_size)
        if size == 0 {
            mapping = nil
            bytes = UnsafeBufferPointer(start: nil, count: 0)
            return
        }
        guard let m = mmap(nil, size, PROT_READ, MAP_PRIVATE | (populate ? MAP_POPULATE : 0), fd, 0), m != MAP_FAILED else {
            throw InputFailure(message: "cannot map \(path) into memory: \(String(cString: strerror(errno)))")
        }
        _ = madvise(m, size, MADV_SEQUENTIAL)
        mapping = m
        bytes = UnsafeBufferPointer(start: m.assumingMemoryBound(to: UInt8.self), count: size)
    }

    /// Lets the kernel drop the pages before `offset`: a long replay then keeps a bounded
    /// resident size instead of holding the whole file mapped in memory.
    public func release(before offset: Int) {
        guard let mapping else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let end = offset / page * page
        guard end > releasedUpTo else { return }
        _ = madvise(mapping + releasedUpTo, end - releasedUpTo, MADV_DONTNEED)
        releasedUpTo = end
    }
    private var releasedUpTo = 0

    deinit {
        if let mapping { munmap(mapping, bytes.count) }
    }
}

/// Bad input the user can fix: a file that cannot be read, a feature that is not there.
public struct InputFailure: Error, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
