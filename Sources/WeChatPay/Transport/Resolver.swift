import Foundation
import Glibc
import WatcherSync

/// One address `getaddrinfo(3)` returned, ready for `connect(2)`.
struct ResolvedAddress: Sendable {
    var family: Int32
    var storage: sockaddr_storage
    var length: socklen_t

    /// `1.2.3.4` or `::1`, for error messages.
    var text: String {
        var copy = storage
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let converted = withUnsafePointer(to: &copy) { pointer -> Bool in
            pointer.withMemoryRebound(to: UInt8.self, capacity: MemoryLayout<sockaddr_storage>.size) { raw in
                if family == AF_INET6 {
                    return raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address in
                        var bytes = address.pointee.sin6_addr
                        return inet_ntop(AF_INET6, &bytes, &buffer, socklen_t(buffer.count)) != nil
                    }
                }
                return raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address in
                    var bytes = address.pointee.sin_addr
                    return inet_ntop(AF_INET, &bytes, &buffer, socklen_t(buffer.count)) != nil
                }
            }
        }
        guard converted else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Name resolution with `getaddrinfo(3)`, which blocks: it runs on a few threads of its own, never on the
/// cooperative pool, and the caller waits at most until its deadline (a slow lookup finishes unobserved).
final class Resolver: Sendable {
    private struct State {
        var queue: [@Sendable () -> Void] = []
        var threads = 0
    }

    /// The process's resolver.
    static let shared = Resolver(maximumThreads: 8)

    private let maximumThreads: Int
    private let state = Locked(State())

    init(maximumThreads: Int) {
        self.maximumThreads = maximumThreads
    }

    /// The IPv6 and IPv4 addresses of `host` (an IP literal resolves to itself), in the order the system prefers.
    func resolve(host: String, port: Int, until deadline: ContinuousClock.Instant) async throws(TransportFailure)
        -> [ResolvedAddress]
    {
        // An address literal needs no lookup: getaddrinfo with AI_NUMERICHOST never blocks, so it runs right here.
        if HostName.isIPLiteral(host) { return try Self.lookUp(host: host, port: port, flags: AI_NUMERICHOST).get() }
        let outcome = Locked<Result<[ResolvedAddress], TransportFailure>?>(nil)
        let reactor = Reactor.shared
        let waitID = Locked<Int?>(nil)
        let readiness = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let id = reactor.register(descriptor: -1, events: 0, deadline: deadline) { readiness in
                    continuation.resume(returning: readiness)
                }
                waitID.withLock { $0 = id }
                if Task.isCancelled { reactor.complete(id, with: .cancelled) }
                submit {
                    let result = Self.lookUp(host: host, port: port)
                    outcome.withLock { $0 = result }
                    reactor.complete(id, with: .ready)
                }
            }
        } onCancel: {
            if let id = waitID.withLock({ $0 }) { reactor.complete(id, with: .cancelled) }
        }
        switch readiness {
        case .cancelled: throw .cancelled
        case .timedOut: throw .timedOut(responseStarted: false)
        case .ready: break
        }
        guard let result = outcome.withLock({ $0 }) else { throw .other("name resolution ended without a result") }
        return try result.get()
    }

    private func submit(_ job: @escaping @Sendable () -> Void) {
        let startThread = state.withLock { state in
            state.queue.append(job)
            guard state.threads < maximumThreads else { return false }
            state.threads += 1
            return true
        }
        guard startThread else { return }
        let thread = Thread { [self] in
            while let job = nextJob() { job() }
        }
        thread.name = "wechatpay-transport-dns"
        thread.start()
    }

    /// The next queued lookup, or nil after the thread has been counted out.
    private func nextJob() -> (@Sendable () -> Void)? {
        state.withLock { state in
            guard !state.queue.isEmpty else {
                state.threads -= 1
                return nil
            }
            return state.queue.removeFirst()
        }
    }

    private static func lookUp(host: String, port: Int, flags: Int32 = 0) -> Result<
        [ResolvedAddress], TransportFailure
    > {
        var hints = addrinfo()
        hints.ai_flags = flags
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let list else {
            let reason = status == EAI_SYSTEM ? String(cString: strerror(errno)) : String(cString: gai_strerror(status))
            return .failure(.connectFailed("cannot resolve \(host): \(reason)"))
        }
        defer { freeaddrinfo(list) }
        var addresses: [ResolvedAddress] = []
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let current = entry {
            let info = current.pointee
            if let address = info.ai_addr, info.ai_family == AF_INET || info.ai_family == AF_INET6 {
                var storage = sockaddr_storage()
                withUnsafeMutableBytes(of: &storage) { target in
                    target.copyMemory(from: UnsafeRawBufferPointer(start: address, count: Int(info.ai_addrlen)))
                }
                addresses.append(ResolvedAddress(family: info.ai_family, storage: storage, length: info.ai_addrlen))
            }
            entry = info.ai_next
        }
        guard !addresses.isEmpty else { return .failure(.connectFailed("\(host) has no IPv4 or IPv6 address")) }
        return .success(addresses)
    }
}
