import Testing

@testable import WeChatPaySimulator

@Suite("The simulator's rate limit")
struct ArrivalLogTests {
    @Test("admits 20 in a second, refuses the 21st, and admits again once the first leaves the window")
    func slidingWindow() {
        var log = ArrivalLog()
        let burst = log.offer((0..<20).map { 0.01 * Double($0) })
        let late = log.offer([0.5, 0.999])
        let afterFirstLeft = log.offer([1.0])
        let tooSoonAgain = log.offer([1.005])
        #expect(burst == 20)
        #expect(late == 0)
        #expect(afterFirstLeft == 1, "the arrival at 0.00 is no longer in [0.001, 1.001)")
        #expect(tooSoonAgain == 0)
    }

    @Test("an arrival recorded late, with an earlier time, cannot make a window of 21")
    func outOfOrderArrival() {
        var log = ArrivalLog()
        // Twenty accepted between 0.10 and 0.29; a thread then records an arrival stamped 0.05. Counting only the
        // second before 0.05 would admit it, and [0.05, 1.05) would hold 21.
        let burst = log.offer((0..<20).map { 0.1 + 0.01 * Double($0) })
        let stampedEarlier = log.offer([0.05])
        // One stamped more than a second before the burst shares no window with it.
        let farEarlier = log.offer([-0.95])
        #expect(burst == 20)
        #expect(stampedEarlier == 0)
        #expect(farEarlier == 1)
        #expect(log.maxInAnySecond == 21, "arrivals are logged whether admitted or not")
    }

    @Test("refused arrivals are counted in the densest window but never use the budget")
    func refusedArrivalsAreLogged() {
        var log = ArrivalLog()
        let admitted = log.offer((0..<30).map { 0.02 * Double($0) })
        let secondLater = log.offer([1.0])
        #expect(admitted == 20)
        #expect(log.maxInAnySecond == 30)
        #expect(secondLater == 1, "1.0 is a second after the first accepted arrival")
    }
}

extension ArrivalLog {
    /// Offers each time in turn at a limit of 20; how many were admitted.
    fileprivate mutating func offer(_ times: [Double]) -> Int {
        var admitted = 0
        for time in times where admit(at: time, limit: 20) { admitted += 1 }
        return admitted
    }
}
