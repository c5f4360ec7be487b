#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The system calls behind `LogOutput`: open for appending, write a whole line, close.
enum LogFileDescriptor {
    /// The descriptor of standard error, which `LogOutput` writes to but never closes.
    static let standardError: Int32 = 2

    /// Attempts a single `write(2)` gets, so an endless run of signals or zero-byte writes cannot hang a logger.
    private static let maximumAttempts = 64

    /// Opens `path` for appending: every `write(2)` lands at the end even after `copytruncate` shrank the file.
    /// Mode 0640 (less the umask): the operator's group may read the log, nobody else.
    static func openForAppending(_ path: String) throws(LogOutputError) -> Int32 {
        while true {
            let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
            if descriptor >= 0 { return descriptor }
            guard errno == EINTR else { throw LogOutputError(path: path, code: errno) }
        }
    }

    /// Writes all of `line`, retrying after `EINTR` and partial writes; false if the line could not be written.
    static func writeAll(_ line: String, to descriptor: Int32) -> Bool {
        write(line, to: descriptor) == line.utf8.count
    }

    /// Writes as much of `line` as the descriptor takes, retrying after `EINTR` and partial writes; returns the
    /// bytes written, fewer than the line's when it failed (`errno` then says why).
    static func write(_ line: String, to descriptor: Int32) -> Int {
        var line = line
        return line.withUTF8 { buffer in
            var written = 0
            for _ in 0..<maximumAttempts {
                guard written < buffer.count else { break }
                let result = systemWrite(descriptor, buffer.baseAddress! + written, buffer.count - written)
                if result > 0 {
                    written += result
                } else if result < 0, errno != EINTR {
                    break
                }
            }
            return written
        }
    }

    /// Closes a descriptor `LogOutput` opened; standard error stays open.
    static func close(_ descriptor: Int32) {
        guard descriptor != standardError else { return }
        // No retry on EINTR: on Linux the descriptor is released even then, and a retry could close a reused number.
        _ = systemClose(descriptor)
    }
}

private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
        Glibc.write(descriptor, bytes, count)
    #elseif canImport(Musl)
        Musl.write(descriptor, bytes, count)
    #else
        Darwin.write(descriptor, bytes, count)
    #endif
}

private func systemClose(_ descriptor: Int32) -> Int32 {
    #if canImport(Glibc)
        Glibc.close(descriptor)
    #elseif canImport(Musl)
        Musl.close(descriptor)
    #else
        Darwin.close(descriptor)
    #endif
}
