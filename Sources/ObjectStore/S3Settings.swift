/// Where the bucket is and how to reach it: `storage.s3` in the configuration.
public struct S3Settings: Sendable {
    /// `http://HOST:PORT` or `https://HOST[:PORT]`; the bucket is addressed path-style under it.
    public var endpoint: S3Endpoint
    public var bucket: String
    public var region: String
    /// Put before every key (e.g. `registry/`), so several registries may share a bucket.
    public var prefix: String
    public var credentials: S3Credentials
    /// Connecting, and a request without a large body, must finish within this.
    public var requestTimeout: Duration = .seconds(30)
    /// A large body moves at least this fast, or the request is given up and retried.
    public var minimumBytesPerSecond: Int = 1 << 20
    /// Tries of a request that failed for a reason that may pass (no answer, 5xx, 429).
    public var attempts = 4
    public var maximumConnections = 64

    public init(endpoint: S3Endpoint, bucket: String, region: String = "us-east-1", prefix: String = "", credentials: S3Credentials) {
        self.endpoint = endpoint
        self.bucket = bucket
        self.region = region
        self.prefix = prefix
        self.credentials = credentials
    }
}

/// The store's base URL, split the way requests and signatures need it.
public struct S3Endpoint: Sendable, Equatable, CustomStringConvertible {
    public let secure: Bool
    public let host: String
    public let port: Int

    /// Parses `http://HOST[:PORT]` or `https://HOST[:PORT]` (a trailing `/` allowed, nothing else).
    public init(_ url: String) throws(S3EndpointError) {
        let secure: Bool
        let rest: Substring
        if url.hasPrefix("http://") {
            (secure, rest) = (false, url.dropFirst(7))
        } else if url.hasPrefix("https://") {
            (secure, rest) = (true, url.dropFirst(8))
        } else {
            throw S3EndpointError(url: url, reason: "it must start with http:// or https://")
        }
        let authority = rest.hasSuffix("/") ? rest.dropLast() : rest
        guard !authority.isEmpty, !authority.contains("/"), !authority.contains("@"), !authority.contains("?") else {
            throw S3EndpointError(url: url, reason: "give only the scheme, host and port (the bucket is storage.s3.bucket)")
        }
        var host = String(authority)
        var port = secure ? 443 : 80
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
            guard let number = Int(authority[authority.index(after: colon)...]), (1...65535).contains(number) else {
                throw S3EndpointError(url: url, reason: "the port is not a number from 1 to 65535")
            }
            host = String(authority[..<colon])
            port = number
        }
        guard !host.isEmpty else { throw S3EndpointError(url: url, reason: "it has no host") }
        self.secure = secure
        self.host = host
        self.port = port
    }

    /// The `Host` header: the port only when it is not the scheme's default.
    public var hostHeader: String {
        port == (secure ? 443 : 80) ? host : "\(host):\(port)"
    }

    public var description: String { "\(secure ? "https" : "http")://\(hostHeader)" }
}

public struct S3EndpointError: Error, CustomStringConvertible {
    public let url: String
    public let reason: String
    public var description: String { "storage.s3.endpoint \(url) is not usable: \(reason)" }
}
