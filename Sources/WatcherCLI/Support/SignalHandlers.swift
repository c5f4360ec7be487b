import Dispatch
import Foundation
import Synchronization

/// Signal handling with Dispatch sources, kept alive as long as this object lives.
///
/// Sources are created in this nonisolated type, never in `main.swift` or an `async main`, whose closures would be
/// MainActor-isolated and crash when Dispatch runs them on its own queue.
final class SignalHandlers: @unchecked Sendable {
    // @unchecked Sendable: `sources` is never mutated after init, and DispatchSource's cancel is thread-safe.
    private let sources: [any DispatchSourceSignal]

    /// The signals ``recordFromStart(_:)`` set the recorder up for.
    private static let recorded = Atomic<UInt64>(0)

    /// Has `signals` recorded, not acted on, until their handlers exist: one that arrives in the milliseconds before
    /// (systemd's stop, logrotate's reload) would otherwise take its default action, which for SIGHUP and SIGTERM
    /// ends the process. Call first, on the main thread, before any other thread starts.
    static func recordFromStart(_ signals: [Int32]) {
        // Globals are initialised on first use, which must not happen inside the handler.
        earlySignals.store(0, ordering: .sequentiallyConsistent)
        var action = sigaction()
        action.__sigaction_handler.sa_handler = earlySignalRecorder
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        for signalNumber in signals where (1..<64).contains(signalNumber) {
            recorded.bitwiseOr(1 << UInt64(signalNumber), ordering: .sequentiallyConsistent)
            sigaction(signalNumber, &action, nil)
        }
    }

    /// Installs `handlers`; the default action of each signal is disabled so only the handler runs. A signal set up
    /// by ``recordFromStart(_:)`` keeps its recorder until Dispatch installs its own handler, and one recorded
    /// meanwhile reaches its handler then.
    init(_ handlers: [(Int32, @Sendable () -> Void)]) {
        let queue = DispatchQueue(label: "wechatpay-watcher.signals")
        let recorded = Self.recorded.load(ordering: .sequentiallyConsistent)
        sources = handlers.map { signalNumber, handler in
            // Dispatch replaces the disposition once its source is registered, on its own thread, later.
            if recorded & (1 << UInt64(signalNumber)) == 0 { signal(signalNumber, SIG_IGN) }
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler(handler: handler)
            source.resume()
            return source
        }
        let early = handlers.filter { recorded & (1 << UInt64($0.0)) != 0 }
        guard !early.isEmpty else { return }
        queue.async {
            // Until Dispatch's handler is in place a signal lands in the recorder; after, in the source.
            let deadline = Date().addingTimeInterval(2)
            while Date() < deadline, early.contains(where: { Self.recorderIsInstalled(for: $0.0) }) { usleep(1_000) }
            let arrived = earlySignals.exchange(0, ordering: .sequentiallyConsistent)
            for (signalNumber, handler) in early where arrived & (1 << UInt64(signalNumber)) != 0 { handler() }
        }
    }

    private static func recorderIsInstalled(for signalNumber: Int32) -> Bool {
        var current = sigaction()
        guard sigaction(signalNumber, nil, &current) == 0, let installed = current.__sigaction_handler.sa_handler
        else { return false }
        return unsafeBitCast(installed, to: UInt.self) == unsafeBitCast(earlySignalRecorder, to: UInt.self)
    }

    /// Removes the handlers (the signals stay ignored or with Dispatch: the command is ending).
    func cancel() {
        for source in sources { source.cancel() }
    }
}

/// The signals that arrived before their handlers existed, one bit per signal number.
private let earlySignals = Atomic<UInt64>(0)

/// Async-signal-safe: one lock-free atomic operation.
private let earlySignalRecorder: @convention(c) (Int32) -> Void = { signalNumber in
    guard (1..<64).contains(signalNumber) else { return }
    earlySignals.bitwiseOr(1 << UInt64(signalNumber), ordering: .sequentiallyConsistent)
}
