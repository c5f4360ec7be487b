#if canImport(Glibc)
    import Glibc
#endif

/// Keeps glibc's allocator from holding on to memory the daemon no longer uses.
///
/// glibc keeps freed pages resident in the arena they came from, and bursts of transport threads and their buffers
/// leave many behind: `malloc_trim(0)` hands them back once a minute, and two arenas instead of glibc's eight per
/// core let every thread reuse the same free pages.
enum HeapReturn {
    static let interval = Duration.seconds(60)
    /// The daemon's threads mostly wait on sockets and SQLite: two arenas carry its allocations without contention
    /// that shows (the soak workload: 2.20 ms of CPU per request with two arenas or sixteen).
    static let arenaLimit: Int32 = 2

    /// Caps the number of arenas, the main one included; see ``WatcherCLI/prepareProcess(_:)`` for when.
    static func limitArenas() {
        // M_ARENA_MAX in <malloc.h>.
        _ = malloc.option?(-8, arenaLimit)
    }

    /// Runs until cancelled.
    static func run() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            trim()
        }
    }

    /// One pass.
    static func trim() {
        _ = malloc.trim?(0)
    }

    /// glibc's `malloc_trim` and `mallopt`, looked up at run time: they are declared in `<malloc.h>`, which the
    /// Glibc module does not import, and another C library may not have them (then nothing is done).
    private static let malloc:
        (trim: (@convention(c) (Int) -> Int32)?, option: (@convention(c) (Int32, Int32) -> Int32)?) = {
            #if canImport(Glibc)
                let trim = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim")
                let option = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt")
                return (
                    trim.map { unsafeBitCast($0, to: (@convention(c) (Int) -> Int32).self) },
                    option.map { unsafeBitCast($0, to: (@convention(c) (Int32, Int32) -> Int32).self) }
                )
            #else
                return (nil, nil)
            #endif
        }()
}
