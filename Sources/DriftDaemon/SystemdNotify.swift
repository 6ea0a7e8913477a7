#if canImport(Glibc)
import Glibc
#endif

/// sd_notify without libsystemd: a datagram to `$NOTIFY_SOCKET` ("READY=1" once consuming,
/// "STOPPING=1" on shutdown), so a `Type=notify` unit knows when driftd is up. A no-op when
/// not started by systemd.
public enum SystemdNotify {
    public static func send(_ state: String) {
        #if canImport(Glibc)
        guard let path = getenv("NOTIFY_SOCKET").map({ String(cString: $0) }), !path.isEmpty else { return }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }  // abstract socket
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { return }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (k, b) in bytes.enumerated() { raw[k] = b }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        var message = state
        message.withUTF8 { text in
            withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = sendto(fd, text.baseAddress, text.count, 0, $0, length) }
            }
        }
        #endif
    }
}
