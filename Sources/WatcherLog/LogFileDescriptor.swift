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
        var line = line
        return line.withUTF8 { buffer in
            var written = 0
            for _ in 0..<maximumAttempts {
                guard written < buffer.count else { return true }
                let result = write(descriptor, buffer.baseAddress! + written, buffer.count - written)
                if result > 0 {
                    written += result
                } else if result < 0, errno != EINTR {
                    return false
                }
            }
            return written == buffer.count
        }
    }

    /// Closes a descriptor `LogOutput` opened; standard error stays open.
    static func close(_ descriptor: Int32) {
        guard descriptor != standardError else { return }
        // No retry on EINTR: on Linux the descriptor is released even then, and a retry could close a reused number.
        _ = systemClose(descriptor)
    }
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
