import Testing

@testable import WatcherEngine

@Suite("Intake's pauses: quick re-checks while a reported write is not yet a visible commit")
struct IntakePacingTests {
    /// One check's findings: writes reported since the previous check, and whether the data version moved.
    private typealias Check = (newWrites: Bool, versionMoved: Bool)
    private static let quiet: Check = (false, false)

    /// The pauses after successive checks with these findings, the write watch armed.
    private func pauses(_ checks: [Check], watched: Bool = true) -> [Double] {
        var pacing = IntakePacing(interval: 0.1, idleInterval: 2)
        return checks.map { pacing.pause(newWrites: $0.newWrites, versionMoved: $0.versionMoved, watched: watched) }
    }

    @Test("a write whose commit is not visible yet is looked for again after 2, 4, 8 … ms, covering 100 ms in all")
    func unexplainedWrite() {
        let pauses = pauses([(true, false)] + Array(repeating: Self.quiet, count: 6))
        #expect(Array(pauses.prefix(5)) == [0.002, 0.004, 0.008, 0.016, 0.032])
        #expect(abs(pauses.prefix(6).reduce(0, +) - 0.1) < 1e-9, "the sixth makes up the rest: \(pauses)")
        #expect(pauses.last == 2, "then idle: \(pauses)")
    }

    @Test("the re-check that finds the commit is followed by one more look 100 ms on, then by the idle pause")
    func commitFound() {
        #expect(pauses([(true, false), Self.quiet, (false, true), Self.quiet]) == [0.002, 0.004, 0.1, 2])
    }

    @Test("a write already visible at its check gets one more look 100 ms on; nothing written means the idle pause")
    func explainedAndIdle() {
        // The first check (start-up's) sees the version move without writes.
        #expect(pauses([(false, true), (true, true), Self.quiet, Self.quiet]) == [2, 0.1, 2, 2])
    }

    @Test("new writes during the re-checks start them again from 2 ms")
    func writesRestart() {
        let pauses = pauses([(true, false), Self.quiet, Self.quiet, Self.quiet, (true, false), Self.quiet])
        #expect(pauses == [0.002, 0.004, 0.008, 0.016, 0.002, 0.004])
    }

    @Test("without a working write watch intake looks every 100 ms, whatever it finds")
    func unwatched() {
        #expect(pauses([(false, false), (false, true), (true, false)], watched: false) == [0.1, 0.1, 0.1])
    }
}
