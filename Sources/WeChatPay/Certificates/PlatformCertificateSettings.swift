/// What a merchant in platform-certificate or migration mode needs to fetch and keep its certificates.
package struct PlatformCertificateSettings: Sendable {
    /// The 32-byte APIv3 key that decrypts `/v3/certificates`.
    package var apiv3Key: [UInt8]
    /// The file it came from, for error messages.
    package var apiv3KeyFile: String
    /// Where the last trusted `/v3/certificates` answer is kept between runs; nil keeps it in memory only.
    package var cacheFile: String?

    /// Settings from their parts.
    package init(apiv3Key: [UInt8], apiv3KeyFile: String, cacheFile: String?) {
        self.apiv3Key = apiv3Key
        self.apiv3KeyFile = apiv3KeyFile
        self.cacheFile = cacheFile
    }

    /// The cache file of merchant `mchid` for a database at `database`: next to it, so it lives where the state
    /// does (systemd's StateDirectory) and survives restarts.
    package static func cacheFile(database: String, merchantID: String) -> String {
        "\(database).platform-certificates-\(merchantID).json"
    }
}
