import Foundation
import Testing
import WatcherSystemd

@Suite("InstanceLock")
struct InstanceLockTests {
    private let folder = TemporaryFolder()
    private var database: String { folder.file("watcher.sqlite3") }

    @Test("a second lock on the same database is refused, naming the database and the running instance")
    func secondRefused() throws {
        let started = Date(timeIntervalSince1970: 1_795_000_000.25)
        let first = try InstanceLock.acquire(databasePath: database, now: started, pid: 1234)
        #expect(first.path == database + ".lock")
        #expect(first.databasePath == database)
        #expect(first.isHeld)
        let error = #expect(throws: InstanceLockError.self) { try InstanceLock.acquire(databasePath: database) }
        let holder = InstanceLockHolder(pid: 1234, started: "2026-11-18T11:06:40.250Z")
        #expect(error == .alreadyRunning(databasePath: database, lockPath: database + ".lock", holder: holder))
        #expect(
            error?.description
                == "another wechatpay-watcher (pid 1234, started 2026-11-18T11:06:40.250Z) is already running on "
                + "\(database); two daemons would double the request rate")
    }

    @Test("the same database named through a symbolic link or `..` meets the same lock")
    func samePathsMeet() throws {
        _ = FileManager.default.createFile(atPath: database, contents: nil)
        try FileManager.default.createSymbolicLink(atPath: folder.file("link.sqlite3"), withDestinationPath: database)
        try FileManager.default.createDirectory(atPath: folder.file("sub"), withIntermediateDirectories: false)
        let first = try InstanceLock.acquire(databasePath: database, pid: 1234)
        for alias in [folder.file("link.sqlite3"), folder.file("sub/../watcher.sqlite3")] {
            let error = #expect(throws: InstanceLockError.self) { try InstanceLock.acquire(databasePath: alias) }
            #expect(error?.description.contains("pid 1234") == true, "\(alias)")
            #expect(InstanceLock.recordedHolder(databasePath: alias)?.pid == 1234)
        }
        first.release()
    }

    @Test("a lock file deleted or replaced while held is locked again by its name, so a second instance still meets it")
    func restoredByName() throws {
        let first = try InstanceLock.acquire(databasePath: database, pid: 1234)
        #expect(first.verify() == .intact)
        try FileManager.default.removeItem(atPath: first.path)
        #expect(first.verify() == .restored(was: "deleted"))
        #expect(InstanceLock.recordedHolder(databasePath: database)?.pid == 1234, "the record is written again")
        #expect(throws: InstanceLockError.self) { try InstanceLock.acquire(databasePath: database) }
        try FileManager.default.removeItem(atPath: first.path)
        _ = FileManager.default.createFile(atPath: first.path, contents: Data("pid=1\n".utf8))
        #expect(first.verify() == .restored(was: "replaced by another file"))
        #expect(first.verify() == .intact)
        #expect(throws: InstanceLockError.self) { try InstanceLock.acquire(databasePath: database) }
    }

    @Test("a second instance that locked the file after it was deleted is found: two instances run on one database")
    func heldElsewhereFound() throws {
        let first = try InstanceLock.acquire(databasePath: database, pid: 1234)
        try FileManager.default.removeItem(atPath: first.path)
        let second = try InstanceLock.acquire(databasePath: database, pid: 5678)
        let check = first.verify()
        guard case .heldElsewhere(let holder) = check else {
            Issue.record("expected heldElsewhere, got \(check)")
            return
        }
        #expect(holder?.pid == 5678)
        #expect(second.verify() == .intact)
        first.release()
        #expect(first.verify() == .released)
    }

    @Test("release lets the next instance in, and is idempotent")
    func release() throws {
        let first = try InstanceLock.acquire(databasePath: database)
        first.release()
        first.release()
        #expect(!first.isHeld)
        let second = try InstanceLock.acquire(databasePath: database, pid: 99)
        #expect(second.isHeld)
        #expect(InstanceLock.recordedHolder(databasePath: database)?.pid == 99)
    }

    @Test("the lock goes with the object")
    func releasedOnDeinit() throws {
        var first: InstanceLock? = try InstanceLock.acquire(databasePath: database)
        #expect(first?.isHeld == true)
        first = nil
        #expect(throws: Never.self) { _ = try InstanceLock.acquire(databasePath: database) }
    }

    @Test("the lock file records pid and start time, replacing a longer stale record, with mode 0660")
    func record() throws {
        let stale = "pid=4242424\nstarted=2020-01-01T00:00:00.000Z\nleft over from a much longer record\n"
        try stale.write(toFile: database + ".lock", atomically: false, encoding: .utf8)
        let lock = try InstanceLock.acquire(
            databasePath: database, now: Date(timeIntervalSince1970: 1_795_000_000), pid: 77)
        #expect(
            try String(contentsOfFile: lock.path, encoding: .utf8) == "pid=77\nstarted=2026-11-18T11:06:40.000Z\n")
        #expect(permissions(of: lock.path) == 0o660)
        #expect(
            InstanceLock.recordedHolder(databasePath: database) == .init(pid: 77, started: "2026-11-18T11:06:40.000Z"))
    }

    @Test("a lock file with an unreadable record still refuses, with the pid unknown")
    func unreadableRecord() throws {
        let lock = try InstanceLock.acquire(databasePath: database)
        try "garbage".write(toFile: lock.path, atomically: false, encoding: .utf8)
        let error = #expect(throws: InstanceLockError.self) { try InstanceLock.acquire(databasePath: database) }
        #expect(error?.description.hasPrefix("another wechatpay-watcher (pid unknown) is already running on ") == true)
    }

    @Test("a symbolic link in the lock file's place is not followed, so its target is never overwritten")
    func symbolicLinkRefused() throws {
        let target = folder.file("precious")
        try "keep me".write(toFile: target, atomically: false, encoding: .utf8)
        #expect(symlink(target, database + ".lock") == 0)
        let error = #expect(throws: InstanceLockError.self) { try InstanceLock.acquire(databasePath: database) }
        #expect(error == .cannotOpen(lockPath: database + ".lock", code: ELOOP))
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "keep me")
    }

    @Test("a FIFO in the lock file's place is refused")
    func fifoRefused() throws {
        #expect(mkfifo(database + ".lock", 0o600) == 0)
        let error = #expect(throws: InstanceLockError.self) { try InstanceLock.acquire(databasePath: database) }
        #expect(error == .notARegularFile(lockPath: database + ".lock"))
        #expect(error?.description == "cannot use the lock file \(database).lock: it is not a regular file")
    }

    @Test("a missing folder is reported with the lock file's path")
    func missingFolder() {
        let lockPath = folder.file("absent/watcher.sqlite3.lock")
        let error = #expect(throws: InstanceLockError.self) {
            try InstanceLock.acquire(databasePath: folder.file("absent/watcher.sqlite3"))
        }
        #expect(error == .cannotOpen(lockPath: lockPath, code: ENOENT))
        #expect(error?.description == "cannot open the lock file \(lockPath): No such file or directory")
    }

    @Test("a lock held by another process refuses us until that process is killed; the kernel then releases it")
    func otherProcess() throws {
        let child = try LockingChild(lockPath: database + ".lock")
        defer { child.kill() }
        #expect(throws: InstanceLockError.self) { try InstanceLock.acquire(databasePath: database) }
        child.kill()
        #expect(throws: Never.self) { _ = try InstanceLock.acquire(databasePath: database) }
    }
}

/// A forked child that takes an open-file-description write lock on a file and holds it until killed.
///
/// Between fork and kill the child only makes system calls on memory prepared before the fork (no allocation,
/// no locks), which is what is safe in the child of a multi-threaded process.
private final class LockingChild {
    private var pid: pid_t

    init(lockPath: String) throws {
        let path = strdup(lockPath)!
        defer { free(path) }
        var request = flock()
        request.l_type = Int16(F_WRLCK)
        request.l_whence = Int16(SEEK_SET)
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { throw POSIXError(.EMFILE) }
        let readEnd = pipeEnds[0]
        let writeEnd = pipeEnds[1]
        var signal: UInt8 = 1
        pid = fork()
        if pid == 0 {
            let descriptor = open(path, O_RDWR | O_CREAT, 0o600)
            if descriptor >= 0, fcntl(descriptor, 37, &request) == 0 {  // 37: F_OFD_SETLK
                _ = write(writeEnd, &signal, 1)
                while true { pause() }
            }
            _exit(1)
        }
        close(writeEnd)
        defer { close(readEnd) }
        guard pid > 0, read(readEnd, &signal, 1) == 1 else {
            kill()
            throw POSIXError(.ECHILD)
        }
    }

    /// Kills the child with SIGKILL and reaps it; does nothing the second time.
    func kill() {
        guard pid > 0 else { return }
        _ = Glibc.kill(pid, SIGKILL)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
        pid = 0
    }
}
