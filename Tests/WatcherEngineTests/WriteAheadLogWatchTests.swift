import Testing

@testable import WatcherEngine

@Suite("The -wal file's size: one warning when a reader stops the checkpoints, one line when it is over")
struct WriteAheadLogWatchTests {
    private let megabyte = 1 << 20

    @Test("normal sizes say nothing; past 64 MiB once, then nothing until it is back at 16 MiB or less")
    func growthAndShrinkAreEachReportedOnce() {
        var watch = WriteAheadLogWatch()
        let sizes = [4, 8, 40, 65, 120, 300, 40, 17, 16, 4, 70].map { $0 * megabyte }
        let changes = sizes.map { watch.observe(bytes: $0) }
        #expect(
            changes == [
                nil, nil, nil, .grew(65 * megabyte), nil, nil, nil, nil, .shrank(16 * megabyte), nil,
                .grew(70 * megabyte),
            ])
    }
}
