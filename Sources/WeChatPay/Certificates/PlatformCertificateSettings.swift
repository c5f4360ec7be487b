/// What a merchant in platform-certificate or migration mode needs to fetch and keep its certificates.
public struct PlatformCertificateSettings: Sendable {
    /// The 32-byte APIv3 key that decrypts `/v3/certificates`.
    public var apiv3Key: [UInt8]
    /// The file it came from, for error messages.
    public var apiv3KeyFile: String
    /// Where the last trusted `/v3/certificates` answer is kept between runs; nil keeps it in memory only.
    public var cacheFile: String?

    /// Settings from their parts.
    public init(apiv3Key: [UInt8], apiv3KeyFile: String, cacheFile: String?) {
        self.apiv3Key = apiv3Key
        self.apiv3KeyFile = apiv3KeyFile
        self.cacheFile = cacheFile
    }

    /// The cache file of merchant `mchid` for a database at `database`: next to it, so it lives where the state
    /// does (systemd's StateDirectory) and survives restarts.
    public static func cacheFile(database: String, mchid: String) -> String {
        "\(database).platform-certificates-\(mchid).json"
    }
}
