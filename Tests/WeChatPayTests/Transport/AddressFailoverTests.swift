import Foundation
import Glibc
import Testing

@testable import WeChatPay

/// A listener on 127.0.0.1 whose accept queue is full and never drained: the kernel drops further connection
/// attempts without an answer, as a host that silently drops SYNs does.
final class FullListener {
    let port: Int
    private var descriptors: [Int32] = []

    init() {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        _ = listen(listener, 0)
        var bound = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = Int(UInt16(bigEndian: bound.sin_port))
        descriptors.append(listener)
        // Fills the queue: the first attempts complete into it; later ones wait unanswered.
        for _ in 0..<3 {
            let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            var target = bound
            _ = withUnsafePointer(to: &target) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            descriptors.append(client)
        }
        usleep(100_000)
    }

    func stop() {
        for descriptor in descriptors { _ = close(descriptor) }
    }
}

@Suite("Connecting to a name with several addresses")
struct AddressFailoverTests {
    func addresses(_ ports: [Int]) throws -> [ResolvedAddress] {
        try ports.flatMap { port throws(TransportFailure) in try Resolver.resolve(host: "127.0.0.1", port: port) }
    }

    func key(_ port: Int) -> PoolKey { PoolKey(scheme: "http", host: "127.0.0.1", port: port, proxy: nil) }

    @Test("an address that never accepts costs its slice only: the next address is tried and connects")
    func silentFirstAddress() throws {
        let silent = FullListener()
        defer { silent.stop() }
        let server = ScriptedServer { peer in _ = peer.readRequest() }
        defer { server.stop() }
        let control = ExchangeControl()
        let connection = try Connection.open(
            key: key(server.port), addresses: addresses([silent.port, server.port]), hostDescription: "test host",
            control: control, until: .now + .seconds(4))
        defer { connection.close() }
        while server.connections == 0 { usleep(10_000) }
        #expect(server.connections == 1)
    }

    @Test("when no address answers by the deadline, the timeout names every address tried")
    func allSilent() throws {
        let first = FullListener()
        let second = FullListener()
        defer {
            first.stop()
            second.stop()
        }
        let control = ExchangeControl()
        control.stage = "connecting to test host"
        #expect(
            throws: TransportFailure.timedOut(
                responseStarted: false, during: "connecting to test host (addresses tried: 127.0.0.1, 127.0.0.1)")
        ) {
            _ = try Connection.open(
                key: key(first.port), addresses: addresses([first.port, second.port]), hostDescription: "test host",
                control: control, until: .now + .seconds(1))
        }
    }

    @Test("each address gets an equal share of the time left, at least 250 ms, never past the deadline")
    func sliceRule() {
        let now = ContinuousClock.now
        #expect(Connection.attemptEnd(now: now, deadline: now + .seconds(4), addressesLeft: 2) == now + .seconds(2))
        #expect(Connection.attemptEnd(now: now, deadline: now + .seconds(4), addressesLeft: 1) == now + .seconds(4))
        #expect(
            Connection.attemptEnd(now: now, deadline: now + .seconds(4), addressesLeft: 100)
                == now + .milliseconds(250))
        #expect(
            Connection.attemptEnd(now: now, deadline: now + .milliseconds(100), addressesLeft: 3)
                == now + .milliseconds(100))
    }
}
