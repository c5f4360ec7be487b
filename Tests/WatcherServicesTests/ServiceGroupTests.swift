import Testing
import WatcherServices
import WatcherSync

/// A service that logs its start and stop into a shared journal and ends when stopped (or fails on command).
final class JournalService: Service {
    let name: String
    let journal: Locked<[String]>
    let failure: (any Error)?
    private let stopped = StopTrigger()

    init(_ name: String, journal: Locked<[String]>, failing failure: (any Error)? = nil) {
        self.name = name
        self.journal = journal
        self.failure = failure
    }

    func run() async throws {
        journal.withLock { $0.append("\(name) started") }
        if let failure { throw failure }
        await stopped.run()
        journal.withLock { $0.append("\(name) finished") }
    }

    func stop() async {
        journal.withLock { $0.append("\(name) stopping") }
        stopped.trigger()
    }
}

struct Fatal: Error, Equatable {}

@Suite("ServiceGroup: start in order, stop in reverse on the first end")
struct ServiceGroupTests {
    @Test("a trigger stops the others last-first, each finished before the next is stopped")
    func stopsInReverse() async throws {
        let journal = Locked<[String]>([])
        let trigger = StopTrigger()
        let services: [any Service] = [
            JournalService("store", journal: journal), JournalService("lanes", journal: journal), trigger,
        ]
        trigger.trigger()
        try await ServiceGroup(services).run()
        let events = journal.withLock { $0 }
        #expect(events.filter { $0.hasSuffix("started") }.count == 2)
        #expect(
            events.filter { !$0.hasSuffix("started") } == [
                "lanes stopping", "lanes finished", "store stopping", "store finished",
            ])
    }

    @Test("a service that throws stops the group, and the group throws its error after stopping the rest")
    func failureStopsTheGroup() async {
        let journal = Locked<[String]>([])
        let services: [any Service] = [
            JournalService("recorder", journal: journal), JournalService("writer", journal: journal, failing: Fatal()),
            JournalService("lanes", journal: journal),
        ]
        await #expect(throws: Fatal.self) { try await ServiceGroup(services).run() }
        let events = journal.withLock { $0 }
        #expect(events.contains("lanes finished") && events.contains("recorder finished"))
        #expect(!events.contains("writer stopping"), "a service that ended is not stopped again")
        let lanes = events.firstIndex(of: "lanes finished") ?? 0
        let recorder = events.firstIndex(of: "recorder stopping") ?? 0
        #expect(lanes < recorder)
    }

    @Test("a cancellable loop ends when the group stops it")
    func cancellableLoop() async throws {
        let trigger = StopTrigger()
        let rounds = Locked(0)
        let loop = CancellableService {
            while !Task.isCancelled {
                rounds.withLock { $0 += 1 }
                await Task.yield()
            }
        }
        async let group: Void = ServiceGroup([loop, trigger]).run()
        while rounds.withLock({ $0 }) < 3 { await Task.yield() }
        trigger.trigger()
        try await group
        #expect(rounds.withLock { $0 } >= 3)
    }

    @Test("a trigger pulled before the group runs stops it at once")
    func earlyTrigger() async throws {
        let trigger = StopTrigger()
        await trigger.stop()
        #expect(trigger.isTriggered)
        try await ServiceGroup([trigger]).run()
    }
}
