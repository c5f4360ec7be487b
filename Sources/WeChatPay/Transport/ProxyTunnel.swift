/// Opening a connection through an HTTP proxy with `CONNECT`. Every failure up to an established tunnel names the
/// proxy, so the operator knows which side to look at: ``TransportFailure/proxyRefused(reason:)`` when the proxy
/// answered and refused the tunnel, ``TransportFailure/proxy(reason:)`` for the rest.
enum ProxyTunnel {
    /// The proxy's answer head is small; anything larger is not a proxy we can talk to.
    private static let headLimit = 16 * 1024

    static func open(
        to target: RequestTarget, via proxy: HTTPProxy, key: PoolKey, control: ExchangeControl,
        until deadline: ContinuousClock.Instant
    )
        throws(TransportFailure) -> Connection
    {
        let proxyAuthority = RequestTarget.authority(host: proxy.host, port: proxy.port)
        let connection: Connection
        do {
            let addresses = try Resolver.resolve(host: proxy.host, port: proxy.port)
            connection = try Connection.open(
                key: key, addresses: addresses, hostDescription: "proxy \(proxyAuthority)", control: control,
                until: deadline)
        } catch {
            guard case .connectFailed(let reason) = error else { throw error }
            throw .proxy(reason: reason)
        }
        control.stage = "the CONNECT to \(target.authority) through the proxy \(proxy)"
        do {
            try establish(connection, to: target, via: proxy, until: deadline)
        } catch {
            connection.close()
            throw error
        }
        return connection
    }

    private static func establish(
        _ connection: Connection, to target: RequestTarget, via proxy: HTTPProxy,
        until deadline: ContinuousClock.Instant
    ) throws(TransportFailure) {
        var head = "CONNECT \(target.authority) HTTP/1.1\r\nHost: \(target.authority)\r\n"
        if let authorization = proxy.authorization { head += "Proxy-Authorization: \(authorization)\r\n" }
        head += "\r\n"
        let closed = TransportFailure.proxy(
            reason: "proxy \(proxy) closed the connection during the CONNECT to \(target.authority)")
        guard try connection.write(Array(head.utf8), until: deadline) else { throw closed }
        var parser = HTTPResponseParser(maxBodyBytes: 0, maxHeaderBytes: headLimit, headOnly: true)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1024, alignment: 1)
        defer { buffer.deallocate() }
        var answer: ParsedResponse?
        while answer == nil {
            // A proxy sends nothing after its head until the server speaks, and in TLS the client speaks first,
            // so no byte of the tunnel is read here by mistake (a surplus is refused below).
            let result = try connection.read(into: buffer, until: deadline, responseStarted: false)
            do {
                switch result {
                case .bytes(let count): answer = try parser.consume(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
                case .endOfStream:
                    answer = try parser.finish()
                    if answer == nil { throw closed }
                }
            } catch let error as HTTPResponseParseError {
                if case .truncated = error { throw closed }
                throw .proxy(reason: "proxy \(proxy) answered CONNECT with something that is not HTTP: \(error)")
            } catch let error as TransportFailure {
                throw error
            } catch {
                throw .other("\(error)")
            }
        }
        guard let answer else { throw closed }
        switch answer.status {
        case 200..<300:
            guard parser.surplus == 0 else {
                throw .proxy(reason: "proxy \(proxy) sent bytes after its CONNECT answer, before the server spoke")
            }
        case 407:
            let hint =
                proxy.username == nil
                ? "it wants credentials: put them in api.proxy_url as http://user:password@host:port"
                : "it refused the credentials of user \(proxy.username!)"
            throw .proxyRefused(reason: "proxy \(proxy) answered 407 Proxy Authentication Required; \(hint)")
        case 502, 503, 504:
            // The proxy could not reach the API host: a host problem seen through the proxy.
            throw .proxy(reason: "proxy \(proxy) answered CONNECT \(target.authority) with status \(answer.status)")
        default:
            throw .proxyRefused(
                reason: "proxy \(proxy) answered CONNECT \(target.authority) with status \(answer.status)")
        }
    }
}
