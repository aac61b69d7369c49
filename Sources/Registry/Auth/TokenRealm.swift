import HTTPTypes
import Hummingbird

/// Where clients reach the registry, and so the URL of the token endpoint that Bearer challenges
/// name and the host of the pages' pull commands. With `public_url` configured it is fixed;
/// otherwise it is built from the request: a trusted proxy's `X-Forwarded-Proto` and
/// `X-Forwarded-Host` (anyone else's are removed before routing, see `TrustedProxies`), else
/// the `Host` header and whether the server itself speaks TLS. A host is used only if it is a
/// plain host name or address with an optional port: anything else (a quote, a comma, a path)
/// would let a client put words of its own into the challenge, so the address the server
/// listens on is used instead.
struct TokenRealm: Sendable {
    /// `https://registry.example.com`, without a trailing slash; nil to follow the request.
    let publicURL: String?
    /// `HOST:PORT` the server listens on, for requests without a usable `Host`.
    let listenAuthority: String
    /// Whether the server's own connections are TLS.
    let secure: Bool

    func url(for request: Request) -> String {
        if let publicURL { return publicURL + "/token" }
        return "\(scheme(for: request))://\(authority(for: request))/token"
    }

    /// `HOST[:PORT]` as the client reached the registry: what `docker pull` commands start with.
    func authority(for request: Request) -> String {
        if let publicURL, let start = publicURL.range(of: "://") {
            return String(publicURL[start.upperBound...].prefix { $0 != "/" })
        }
        return (Self.lastValue(request, .xForwardedHost) ?? request.head.authority)
            .flatMap { Self.isPlainAuthority($0) ? $0 : nil } ?? listenAuthority
    }

    /// Whether the client reached the registry over HTTPS: the server's own TLS, `public_url`,
    /// or a trusted proxy's `X-Forwarded-Proto`.
    func isSecure(_ request: Request) -> Bool {
        if let publicURL { return publicURL.lowercased().hasPrefix("https://") }
        return scheme(for: request) == "https"
    }

    private func scheme(for request: Request) -> String {
        let forwardedScheme = Self.lastValue(request, .xForwardedProto)?.lowercased()
        return forwardedScheme.flatMap { ["http", "https"].contains($0) ? $0 : nil } ?? (secure ? "https" : "http")
    }

    /// The value the nearest proxy added to a comma-separated forwarded header.
    private static func lastValue(_ request: Request, _ name: HTTPField.Name) -> String? {
        request.headers[name]?.split(separator: ",").last.map { String($0.trimmingWhitespace) }
    }

    /// `name`, `name:port`, `1.2.3.4:port`, `[::1]:port`: letters, digits, `.`, `-`, and IPv6
    /// digits and colons inside brackets.
    static func isPlainAuthority(_ authority: String) -> Bool {
        var host = Substring(authority)
        if let colon = host.lastIndex(of: ":"), !host.hasSuffix("]") {
            let port = host[host.index(after: colon)...]
            guard !port.isEmpty, port.count <= 5, port.allSatisfy(\.isASCIIDigit) else { return false }
            host = host[..<colon]
        }
        guard !host.isEmpty, host.utf8.count <= 253 else { return false }
        if host.hasPrefix("[") {
            guard host.hasSuffix("]") else { return false }
            return host.dropFirst().dropLast().allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
        }
        return host.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
