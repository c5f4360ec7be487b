import WatcherCrypto

/// Everything needed to talk to WeChat Pay as one merchant: who we are, how we sign, whom we believe.
package struct MerchantCredentials: Sendable {
    /// The merchant id (`mchid`).
    package var merchantID: String
    /// The serial number of the merchant API certificate (`serial_no` in the Authorization header).
    package var certificateSerial: String
    /// The merchant API private key.
    package var privateKey: RSAPrivateKey
    /// The WeChat Pay public key id (`PUB_KEY_ID_…`) and key answers are signed with; nil in platform-certificate
    /// mode.
    package var wechatpayPublicKey: (id: String, key: RSAPublicKey)?
    /// What fetches and keeps platform certificates; nil in public-key mode.
    package var platformCertificates: PlatformCertificateSettings?

    /// Credentials in public-key mode.
    package init(
        merchantID: String,
        certificateSerial: String,
        privateKey: RSAPrivateKey,
        wechatpayPublicKeyID: String,
        wechatpayPublicKey: RSAPublicKey
    ) {
        self.init(
            merchantID: merchantID, certificateSerial: certificateSerial, privateKey: privateKey,
            wechatpayPublicKey: (wechatpayPublicKeyID, wechatpayPublicKey), platformCertificates: nil)
    }

    /// Credentials in any mode: public key only, platform certificates only, or both (the migration).
    package init(
        merchantID: String,
        certificateSerial: String,
        privateKey: RSAPrivateKey,
        wechatpayPublicKey: (id: String, key: RSAPublicKey)?,
        platformCertificates: PlatformCertificateSettings?
    ) {
        precondition(
            wechatpayPublicKey != nil || platformCertificates != nil,
            "merchant \(merchantID) needs a WeChat Pay public key, platform certificates, or both")
        self.merchantID = merchantID
        self.certificateSerial = certificateSerial
        self.privateKey = privateKey
        self.wechatpayPublicKey = wechatpayPublicKey
        self.platformCertificates = platformCertificates
    }

    /// How answers are verified, for logs and the `check-config` summary.
    package var verificationMode: String {
        switch (wechatpayPublicKey != nil, platformCertificates != nil) {
        case (true, true): "migration"
        case (false, true): "platform-certificate"
        default: "public-key"
        }
    }
}
