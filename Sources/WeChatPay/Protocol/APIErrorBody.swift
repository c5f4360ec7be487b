import Foundation

/// The JSON body of a 4xx/5xx answer: `{"code":…,"message":…,"detail":{…}}`, never signed.
///
/// Error answers are not signed, so everything here is untrusted text: it is logged and stored as a reason,
/// never acted on beyond choosing between "retry" and "give up".
package struct APIErrorBody: Sendable, Equatable {
    /// The WeChat Pay error code, e.g. `PARAM_ERROR`.
    package var code: String
    /// The human message (often Chinese).
    package var message: String
    /// `detail` re-serialized compactly, if present.
    package var detail: String?

    /// Creates an error body.
    package init(code: String, message: String, detail: String? = nil) {
        self.code = code
        self.message = message
        self.detail = detail
    }

    /// Parses an error body; nil when the bytes are not a JSON object with a string `code`.
    package static func parse(_ body: [UInt8]) -> APIErrorBody? {
        guard !body.isEmpty, body.count <= 64 * 1024,
            let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
            let code = object["code"] as? String, !code.isEmpty
        else { return nil }
        let message = object["message"] as? String ?? ""
        var detail: String?
        if let value = object["detail"], !(value is NSNull),
            JSONSerialization.isValidJSONObject(value),
            let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])
        {
            detail = String(decoding: data, as: UTF8.self)
        }
        return APIErrorBody(code: code, message: message, detail: detail)
    }
}

/// A printable, bounded excerpt of a raw body for logs: invalid UTF-8 is replaced, long text is cut.
package func bodyExcerpt(_ body: [UInt8], limit: Int = 300) -> String {
    let text = String(decoding: body.prefix(limit), as: UTF8.self)
    return body.count > limit ? text + "…(\(body.count) bytes)" : text
}
