/// Runs services together: all start, in the order given; the first to end — it returned, threw, or was a
/// ``StopTrigger`` that fired — stops the others one at a time in reverse order, each ``Service/run()`` awaited
/// before the next is stopped, so a service is stopped only after everything started after it has finished.
/// ``run()`` then throws the first error a service threw, or returns.
package struct ServiceGroup: Sendable {
    private let services: [any Service]

    /// A group of `services`, in start order.
    package init(_ services: [any Service]) {
        self.services = services
    }

    package func run() async throws {
        var state = GroupState(count: services.count)
        await withTaskGroup(of: (Int, (any Error)?).self) { group in
            for (index, service) in services.enumerated() {
                group.addTask {
                    do {
                        try await service.run()
                        return (index, nil)
                    } catch {
                        return (index, error)
                    }
                }
            }
            if let end = await group.next() { state.ended(end.0, error: end.1) }
            for index in services.indices.reversed() where state.isRunning(index) {
                await services[index].stop()
                while state.isRunning(index), let end = await group.next() { state.ended(end.0, error: end.1) }
            }
        }
        if let error = state.firstError { throw error }
    }
}

/// Which services still run, and the first failure.
private struct GroupState {
    private var running: [Bool]
    private(set) var firstError: (any Error)?

    init(count: Int) {
        running = Array(repeating: true, count: count)
    }

    func isRunning(_ index: Int) -> Bool { running[index] }

    mutating func ended(_ index: Int, error: (any Error)?) {
        running[index] = false
        if firstError == nil { firstError = error }
    }
}
