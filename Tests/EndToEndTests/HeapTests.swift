import Foundation
import Testing
import WeChatPaySimulator

@Suite("End to end: the daemon's heap", .serialized)
struct HeapTests {
    @Test("however many threads the daemon runs, its heap is glibc's main arena and one other")
    func twoArenas() async throws {
        let scenario = try Scenario(merchants: 4)
        #expect(try await scenario.run(["migrate", "--config", scenario.folder.configFile]).status == 0)
        var tasks: [SimulatedResource] = []
        for (index, merchant) in scenario.folder.merchants.enumerated() {
            tasks += scenario.tasks(60, mchid: merchant.mchid, prefix: "heap\(index)", durations: .uniform(0.5, 3))
        }
        try scenario.addTasks(tasks)
        let daemon = try scenario.startDaemon()
        let drained = try await eventually(timeout: 60) { try scenario.unfinishedCount() == 0 }
        // Arenas are never given back, so the count at the end covers every thread the run started.
        let threads = Self.statusField("Threads", of: daemon.process.processIdentifier)
        let arenas = try Self.arenaHeaps(of: daemon.process.processIdentifier)
        daemon.signal(SIGTERM)
        #expect(try await daemon.wait(timeout: 20) == 0)
        #expect(drained)
        #expect(arenas <= 1, "\(arenas) arenas besides the main one, with \(threads ?? 0) threads")
    }

    /// glibc's heaps for arenas other than the main one: anonymous read-write mappings that start on a 64 MiB
    /// boundary, the rest of each 64 MiB reservation mapped without access right after.
    static func arenaHeaps(of pid: Int32) throws -> Int {
        let heapSize: UInt64 = 64 << 20
        let maps = try String(contentsOfFile: "/proc/\(pid)/maps", encoding: .utf8)
        let regions = maps.split(separator: "\n").compactMap { line -> (start: UInt64, end: UInt64, perms: String)? in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count == 5, fields[4] == "0" else { return nil }  // anonymous: no inode, no name
            let bounds = fields[0].split(separator: "-")
            guard bounds.count == 2, let start = UInt64(bounds[0], radix: 16), let end = UInt64(bounds[1], radix: 16)
            else { return nil }
            return (start, end, String(fields[1]))
        }
        var count = 0
        for (index, region) in regions.enumerated() where region.perms == "rw-p" && region.start % heapSize == 0 {
            let reserve = index + 1 < regions.count ? regions[index + 1] : nil
            let whole =
                region.end - region.start == heapSize
                || (reserve.map {
                    $0.perms == "---p" && $0.start == region.end && $0.end == region.start + heapSize
                } ?? false)
            if whole { count += 1 }
        }
        return count
    }

    static func statusField(_ name: String, of pid: Int32) -> Int? {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        for line in status.split(separator: "\n") where line.hasPrefix(name + ":") {
            return line.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }.first
        }
        return nil
    }
}
