import COpenSSL

/// OpenSSL's per-thread error queue, read as text for error messages.
package enum OpenSSLErrorQueue {
    /// Every queued error, oldest first, joined by "; ". Empties the queue.
    package static func drain() -> String {
        var messages: [String] = []
        while let message = next() {
            messages.append(message)
        }
        return messages.isEmpty ? "OpenSSL reported no reason" : messages.joined(separator: "; ")
    }

    /// Forgets queued errors that were expected (a signature that does not verify leaves one behind).
    package static func clear() {
        ERR_clear_error()
    }

    /// The oldest queued error, with OpenSSL's extra detail (e.g. "Expecting: ANY PRIVATE KEY") when it has one.
    private static func next() -> String? {
        var data: UnsafePointer<CChar>? = nil
        var flags: Int32 = 0
        let code = ERR_get_error_all(nil, nil, nil, &data, &flags)
        guard code != 0 else { return nil }
        var message = text(of: code)
        if flags & ERR_TXT_STRING != 0, let data, data.pointee != 0 {
            message += " (\(String(cString: data)))"
        }
        return message
    }

    private static func text(of code: UInt) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
