import Dispatch
import Foundation
import WatcherSync

/// Signal handling with Dispatch sources, kept alive as long as this object lives.
///
/// Sources are created in this nonisolated type, never in `main.swift` or an `async main`, whose closures would be
/// MainActor-isolated and crash when Dispatch runs them on its own queue.
final class SignalHandlers: @unchecked Sendable {
    // @unchecked Sendable: `sources` is never mutated after init, and DispatchSource's cancel is thread-safe.
    private let sources: [any DispatchSourceSignal]

    /// The signals ``holdFromStart(_:)`` blocked in every thread.
    private static let held = Locked<Set<Int32>>([])

    /// Blocks `signals` in the calling thread, and so in every thread it starts later: one that arrives before its
    /// handler is installed stays pending, delivered to the handler, instead of taking its default action (which for
    /// SIGHUP and SIGTERM ends the process). Call first, on the main thread, before any other thread starts.
    static func holdFromStart(_ signals: [Int32]) {
        var mask = sigset_t()
        sigemptyset(&mask)
        for signalNumber in signals { sigaddset(&mask, signalNumber) }
        pthread_sigmask(SIG_BLOCK, &mask, nil)
        held.withLock { $0.formUnion(signals) }
    }

    /// Installs `handlers`; the default action of each signal is disabled so only the handler runs. A signal held from
    /// the start stays blocked (Dispatch reads it from a signalfd) and one already pending reaches its handler.
    init(_ handlers: [(Int32, @Sendable () -> Void)]) {
        let queue = DispatchQueue(label: "wechatpay-watcher.signals")
        let held = Self.held.withLock { $0 }
        sources = handlers.map { signalNumber, handler in
            // Ignoring a pending signal discards it; a held one cannot take its default action anyway.
            if !held.contains(signalNumber) { signal(signalNumber, SIG_IGN) }
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler(handler: handler)
            source.resume()
            return source
        }
    }

    /// Removes the handlers (the signals stay ignored or held: the command is ending).
    func cancel() {
        for source in sources { source.cancel() }
    }
}
