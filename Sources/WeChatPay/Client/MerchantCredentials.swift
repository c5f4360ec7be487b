import WatcherCrypto

/// Everything needed to talk to WeChat Pay as one merchant: who we are, how we sign, whom we believe.
public struct MerchantCredentials: Sendable {
    /// The merchant id (`mchid`).
    public var mchid: String
    /// The serial number of the merchant API certificate (`serial_no` in the Authorization header).
    public var certificateSerial: String
    /// The merchant API private key.
    public var privateKey: RSAPrivateKey
    /// The WeChat Pay public key id (`PUB_KEY_ID_…`), sent as `Wechatpay-Serial` and expected back.
    public var wechatpayPublicKeyID: String
    /// The WeChat Pay public key that answers must be signed with.
    public var wechatpayPublicKey: RSAPublicKey

    /// Creates credentials.
    public init(
        mchid: String,
        certificateSerial: String,
        privateKey: RSAPrivateKey,
        wechatpayPublicKeyID: String,
        wechatpayPublicKey: RSAPublicKey
    ) {
        self.mchid = mchid
        self.certificateSerial = certificateSerial
        self.privateKey = privateKey
        self.wechatpayPublicKeyID = wechatpayPublicKeyID
        self.wechatpayPublicKey = wechatpayPublicKey
    }
}
