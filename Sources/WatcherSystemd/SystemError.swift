import Foundation

/// The C library's text for an `errno` value, e.g. `Permission denied` for `EACCES`.
func systemErrorText(_ code: Int32) -> String {
    String(cString: strerror(code))
}

/// `sockaddr_un` for a systemd-style socket address: an absolute path, or `@name` for the abstract namespace.
///
/// The tests bind their fake systemd socket with the rules written out again rather than with this type, so a
/// mistake here cannot hide behind the same mistake there.
struct UnixDatagramAddress: Sendable, Equatable {
    /// The bytes of `sun_path` that count: the path with its terminating NUL, or NUL plus the abstract name.
    let pathBytes: [UInt8]

    /// The largest `sun_path`: 108 bytes on Linux.
    static let capacity = MemoryLayout.size(ofValue: sockaddr_un().sun_path)

    /// Nil for anything systemd would not hand us as `NOTIFY_SOCKET`, or that does not fit `sun_path`.
    init?(_ address: String) {
        var bytes = Array(address.utf8)
        guard let first = bytes.first, !bytes.contains(0) else { return nil }
        switch first {
        case UInt8(ascii: "/"):
            // A path is NUL-terminated, and the terminator must fit too.
            bytes.append(0)
        case UInt8(ascii: "@"):
            // The abstract namespace: a leading NUL instead of the `@`, and no terminator — the length says where
            // the name ends, and a trailing NUL would be part of the name.
            bytes[0] = 0
        default:
            return nil
        }
        guard bytes.count <= Self.capacity else { return nil }
        pathBytes = bytes
    }

    /// Calls `body` with the address and its exact length, as `bind`, `connect` and `sendto` want them.
    func withSocketAddress<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: pathBytes) }
        let length = socklen_t(MemoryLayout.offset(of: \sockaddr_un.sun_path)! + pathBytes.count)
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
        }
    }
}
