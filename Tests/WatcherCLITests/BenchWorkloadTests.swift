import Testing

@testable import WatcherCLI

@Suite("bench's workloads")
struct BenchWorkloadTests {
    @Test("`--workload all` runs each workload once, and every name it lists is one bench knows")
    func allRunsEachOnce() {
        #expect(Set(BenchWorkload.names).count == BenchWorkload.names.count, "\(BenchWorkload.names)")
        #expect(Set(BenchWorkload.schedulingNames).isSubset(of: BenchWorkload.names))
        for name in BenchWorkload.names {
            #expect(BenchWorkload.named(name, scale: 1) != nil, "\(name)")
        }
    }
}
