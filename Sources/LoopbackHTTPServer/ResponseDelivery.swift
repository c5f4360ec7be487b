/// Sends a serialized response the way its `Behaviour` asks, deliberate failures included.
struct ResponseDelivery {
    let core: ServerCore
    let socket: ConnectedSocket

    /// How often a hanging connection looks at the server's state, in case a shutdown wake-up went astray.
    private static let hangCheckInterval = Duration.milliseconds(250)

    /// Nil when the whole response went out and the connection may carry on; otherwise how it must end.
    func deliver(_ response: SerializedResponse, behaviour: HTTPServerResponse.Behaviour) -> ConnectionEnding? {
        switch behaviour {
        case .normal:
            return send(response.bytes[...])
        case .delay(let duration):
            return core.pause(for: duration) ? send(response.bytes[...]) : .close
        case .resetConnection:
            return .reset
        case .resetAfterHeaders:
            _ = socket.sendAll((response.head + response.body.prefix(response.body.count / 2))[...])
            return .reset
        case .trickle(let chunkBytes, let interval):
            return trickle(response.bytes, chunkBytes: max(chunkBytes, 1), interval: interval)
        case .hang:
            hang()
            return .close
        }
    }

    private func send(_ bytes: ArraySlice<UInt8>) -> ConnectionEnding? {
        socket.sendAll(bytes) ? nil : .close
    }

    /// Waits before every piece, so n pieces take at least n intervals: a test can assert a lower bound.
    private func trickle(_ bytes: [UInt8], chunkBytes: Int, interval: Duration) -> ConnectionEnding? {
        for start in stride(from: 0, to: bytes.count, by: chunkBytes) {
            guard core.pause(for: interval) else { return .close }
            if let ending = send(bytes[start..<min(start + chunkBytes, bytes.count)]) { return ending }
        }
        return nil
    }

    /// Holds the connection without answering: reads and discards until the client closes or the server stops.
    private func hang() {
        var discarded: [UInt8] = []
        while !core.isStopping {
            switch socket.waitUntilReadable(timeout: Self.hangCheckInterval) {
            case .timedOut:
                continue
            case .failed:
                return
            case .readable:
                guard socket.receive(appendingTo: &discarded) == .received else { return }
                discarded.removeAll(keepingCapacity: true)
            }
        }
    }
}
