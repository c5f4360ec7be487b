import Foundation
import Testing

/// A datagram socket standing in for systemd's notification socket: binds the address the way systemd does,
/// and hands back what arrives.
final class FakeNotifySocket {
    /// The value to put in `NOTIFY_SOCKET`.
    let address: String
    private let descriptor: Int32
    private let folder = TemporaryFolder()

    enum Namespace: String, CustomTestStringConvertible, CaseIterable {
        case path, abstract
        var testDescription: String { rawValue }
    }

    /// Binds `<temporary folder>/notify`, or the abstract name `@wechatpay-watcher-test-<random>`.
    init(_ namespace: Namespace, receiveBufferBytes: Int32? = nil) throws {
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var socketAddress = sockaddr_un()
        socketAddress.sun_family = sa_family_t(AF_UNIX)
        let name: [UInt8]
        switch namespace {
        case .path:
            address = folder.file("notify")
            name = Array(address.utf8)  // sun_path is zero-filled, so the terminator is there.
        case .abstract:
            address = "@wechatpay-watcher-test-\(UInt64.random(in: 0...UInt64.max))"
            name = [0] + Array(address.utf8.dropFirst())  // No terminator: the length delimits the name.
        }
        withUnsafeMutableBytes(of: &socketAddress.sun_path) { $0.copyBytes(from: name) }
        let length = socklen_t(2 + name.count + (namespace == .path ? 1 : 0))
        let bound = withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EINVAL) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        if var size = receiveBufferBytes {
            setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    deinit { close(descriptor) }

    /// The next datagram, or nil when none arrives within two seconds.
    func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        return count > 0 ? String(decoding: buffer.prefix(count), as: UTF8.self) : nil
    }
}
