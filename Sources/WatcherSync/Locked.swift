#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A value behind a `pthread_mutex_t`: the one lock every module shares.
///
/// Why not `Synchronization.Mutex`: on Linux its contended path waits on a futex inside the standard library, which
/// ThreadSanitizer does not see, so every contended `Mutex` looked like a data race under `--sanitize=thread` and a
/// real race would have hidden among them. `pthread_mutex_lock` is intercepted by the sanitizer runtimes, so with this
/// lock a TSan report in our code is a report worth reading. The interface is `Mutex`'s: the value is reached only
/// inside `withLock`, and what goes in or comes out must be `sending`, so the compiler still proves that no
/// reference to the protected value escapes the lock.
package final class Locked<Value>: @unchecked Sendable {
    // Both live at fixed addresses for the object's lifetime: a pthread mutex must never be moved once initialised.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let value = UnsafeMutablePointer<Value>.allocate(capacity: 1)

    /// A lock holding `initialValue`.
    package init(_ initialValue: sending Value) {
        mutex.initialize(to: pthread_mutex_t())
        let status = pthread_mutex_init(mutex, nil)
        precondition(status == 0, "pthread_mutex_init failed with error \(status)")
        value.initialize(to: initialValue)
    }

    deinit {
        value.deinitialize(count: 1)
        value.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` with the value while holding the lock. Not reentrant: calling `withLock` on the same instance
    /// from inside `body` deadlocks, as with `Mutex`.
    package func withLock<Result, Failure: Error>(
        _ body: (inout sending Value) throws(Failure) -> sending Result
    ) throws(Failure) -> sending Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value.pointee)
    }
}
