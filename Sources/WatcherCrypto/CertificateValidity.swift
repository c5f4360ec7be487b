#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// When a certificate is valid, in whole seconds since 1970-01-01 UTC; tests choose past or future windows to
/// issue certificates that have expired or are not valid yet.
package struct CertificateValidity: Sendable, Equatable {
    /// The first second the certificate is valid.
    package var notBefore: Int64
    /// The last second the certificate is valid.
    package var notAfter: Int64

    package init(notBefore: Int64, notAfter: Int64) {
        self.notBefore = notBefore
        self.notAfter = notAfter
    }

    /// From `start` to `end` seconds away from now (negative values are in the past).
    package static func fromNow(_ start: Int64, to end: Int64) -> CertificateValidity {
        let now = Int64(time(nil))
        return CertificateValidity(notBefore: now + start, notAfter: now + end)
    }

    /// Valid since an hour ago, so a peer's clock a little behind still accepts it, for `days` days.
    package static func current(days: Int64 = 825) -> CertificateValidity {
        fromNow(-3_600, to: days * 86_400)
    }
}
