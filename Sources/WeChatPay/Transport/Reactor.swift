import Foundation
import Glibc
import WatcherPOSIX
import WatcherSync

/// How a wait for a descriptor ended.
enum Readiness: Sendable, Equatable {
    /// The descriptor is ready (or in error: the next system call says which), or the waiter was completed.
    case ready
    /// The deadline passed first.
    case timedOut
    /// The waiter was completed by someone else with this.
    case cancelled
}

/// One thread running `poll(2)` over waited-on descriptors and the deadlines of exchanges in flight and of the
/// pools' sweeps: a caller is answered at its deadline whatever its I/O thread is doing, and idle connections are
/// closed at their limit. A waiter without a descriptor is a plain deadline.
final class Reactor: Sendable {
    /// What a waiter is called with, on the reactor's thread or the completing one; must be quick.
    typealias Callback = @Sendable (Readiness) -> Void

    private struct Waiter {
        var descriptor: Int32
        var events: Int16
        var deadline: ContinuousClock.Instant
        var callback: Callback
    }

    private struct State {
        var waiters: [Int: Waiter] = [:]
        var nextID = 0
        /// When the thread's current wait ends by itself; nil while it waits without a deadline.
        var plannedWake: ContinuousClock.Instant?
        /// A wake-up byte was written and the thread has not rebuilt its set since.
        var wakePending = false
    }

    /// The process's reactor, started on first use.
    static let shared = Reactor()

    private let state = Locked(State())
    /// A pipe whose read end is always in the poll set: a byte written to it makes the thread rebuild its set.
    private let wakeRead: Int32
    private let wakeWrite: Int32

    private init() {
        var ends: [Int32] = [0, 0]
        // pipe2(2) is not visible to Swift; nothing is spawned before the first request, so the gap is harmless.
        let created = pipe(&ends)
        precondition(created == 0, "cannot create the transport's wake-up pipe: \(String(cString: strerror(errno)))")
        for end in ends {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        wakeRead = ends[0]
        wakeWrite = ends[1]
        let thread = Thread { [self] in loop() }
        thread.name = "wechatpay-transport-poll"
        thread.start()
    }

    /// Registers a wait; `descriptor` -1 waits for the deadline or ``complete(_:with:)`` only.
    func register(
        descriptor: Int32, events: Int16, deadline: ContinuousClock.Instant, callback: @escaping Callback
    ) -> Int {
        let (id, mustWake) = state.withLock { state in
            state.nextID += 1
            state.waiters[state.nextID] = Waiter(
                descriptor: descriptor, events: events, deadline: deadline, callback: callback)
            // A plain deadline no earlier than the thread's own wake-up is picked up then: most exchanges end
            // long before their deadline, and waking the thread for each would cost two context switches.
            let noticedAnyway = descriptor < 0 && state.plannedWake.map { $0 <= deadline } == true
            let mustWake = !state.wakePending && !noticedAnyway
            if mustWake { state.wakePending = true }
            return (state.nextID, mustWake)
        }
        if mustWake { wake() }
        return id
    }

    /// Ends a wait early with `readiness`; false when it had already ended.
    @discardableResult
    func complete(_ id: Int, with readiness: Readiness) -> Bool {
        guard let waiter = state.withLock({ $0.waiters.removeValue(forKey: id) }) else { return false }
        waiter.callback(readiness)
        return true
    }

    /// Removes a wait without calling it; false when it had already ended.
    func cancel(_ id: Int) -> Bool {
        state.withLock { $0.waiters.removeValue(forKey: id) } != nil
    }

    private func wake() {
        var byte: UInt8 = 1
        _ = Glibc.write(wakeWrite, &byte, 1)
    }

    private func loop() {
        var descriptors: [pollfd] = []
        var ids: [Int] = []
        while true {
            let nextDeadline = snapshot(into: &descriptors, ids: &ids)
            let timeout: Int32
            if let nextDeadline {
                let remaining = nextDeadline - ContinuousClock.now
                timeout = remaining.pollMilliseconds
            } else {
                timeout = -1
            }
            let result = poll(&descriptors, nfds_t(descriptors.count), timeout)
            if result < 0, errno != EINTR {
                // Only EINVAL or ENOMEM: nothing to do but not spin.
                usleep(1_000)
            }
            if descriptors[0].revents != 0 { drainWakeUps() }
            fire(descriptors: descriptors, ids: ids, now: ContinuousClock.now)
        }
    }

    /// The poll set (wake pipe first) and the nearest deadline.
    private func snapshot(into descriptors: inout [pollfd], ids: inout [Int]) -> ContinuousClock.Instant? {
        descriptors.removeAll(keepingCapacity: true)
        ids.removeAll(keepingCapacity: true)
        descriptors.append(pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0))
        ids.append(0)
        return state.withLock { state in
            var nearest: ContinuousClock.Instant?
            for (id, waiter) in state.waiters {
                if nearest.map({ waiter.deadline < $0 }) ?? true { nearest = waiter.deadline }
                guard waiter.descriptor >= 0 else { continue }
                descriptors.append(pollfd(fd: waiter.descriptor, events: waiter.events, revents: 0))
                ids.append(id)
            }
            state.plannedWake = nearest
            state.wakePending = false
            return nearest
        }
    }

    private func fire(descriptors: [pollfd], ids: [Int], now: ContinuousClock.Instant) {
        var due: [(Callback, Readiness)] = []
        state.withLock { state in
            for index in descriptors.indices.dropFirst() where descriptors[index].revents != 0 {
                if let waiter = state.waiters.removeValue(forKey: ids[index]) { due.append((waiter.callback, .ready)) }
            }
            let expired = state.waiters.filter { $0.value.deadline <= now }
            for (id, waiter) in expired {
                state.waiters.removeValue(forKey: id)
                due.append((waiter.callback, .timedOut))
            }
        }
        for (callback, readiness) in due { callback(readiness) }
    }

    private func drainWakeUps() {
        var bytes = [UInt8](repeating: 0, count: 256)
        while Glibc.read(wakeRead, &bytes, bytes.count) > 0 {}
    }
}
