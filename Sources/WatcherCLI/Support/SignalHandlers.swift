import Dispatch
import Foundation

/// Signal handling with Dispatch sources, kept alive as long as this object lives.
///
/// Sources are created in this nonisolated type, never in `main.swift` or an `async main`, whose closures would be
/// MainActor-isolated and crash when Dispatch runs them on its own queue.
final class SignalHandlers: @unchecked Sendable {
    // @unchecked Sendable: `sources` is never mutated after init, and DispatchSource's cancel is thread-safe.
    private let sources: [any DispatchSourceSignal]

    /// Installs `handlers`; the default action of each signal is disabled so only the handler runs.
    init(_ handlers: [(Int32, @Sendable () -> Void)]) {
        let queue = DispatchQueue(label: "wechatpay-watcher.signals")
        sources = handlers.map { signalNumber, handler in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler(handler: handler)
            source.resume()
            return source
        }
    }

    /// Removes the handlers and restores the default actions.
    func cancel() {
        for source in sources { source.cancel() }
    }
}
