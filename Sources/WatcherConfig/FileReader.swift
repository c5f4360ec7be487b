import Foundation

/// Reads a whole configuration file with POSIX calls, so that failures carry the system's own words.
enum FileReader {
    /// Files larger than this are refused: a configuration is a few kilobytes, and `/dev/zero` never ends.
    static let maximumSize = 16 << 20

    /// The file's bytes, or why they cannot be read.
    static func contents(of path: String) -> Result<[UInt8], Problem> {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return .failure(Problem("cannot open the file: \(systemError())")) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { return .success(bytes) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(Problem("cannot read the file: \(systemError())"))
            }
            bytes += chunk[..<count]
            if bytes.count > maximumSize {
                return .failure(
                    Problem("the file is larger than \(maximumSize >> 20) MiB; is it the configuration file?"))
            }
        }
    }

    /// `No such file or directory (errno 2)`.
    private static func systemError() -> String {
        let code = errno
        return "\(String(cString: strerror(code))) (errno \(code))"
    }
}
