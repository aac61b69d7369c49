/// A registry base URL that the harness agrees to load: plain HTTP to a loopback address.
///
/// Benchmark traffic on this project's machines may only go to the machine itself, so any
/// other host is refused rather than trusted to the caller.
struct LoopbackURL: Sendable, CustomStringConvertible {
    /// `http://HOST:PORT` with no trailing slash.
    let description: String

    init(_ text: String) throws {
        var url = text
        while url.hasSuffix("/") { url.removeLast() }
        guard url.hasPrefix("http://") else {
            throw BenchError("\(text): only http:// URLs are supported")
        }
        let authority = url.dropFirst("http://".count)
        guard !authority.contains("/"), !authority.contains("@") else {
            throw BenchError("\(text): give the registry's base URL, e.g. http://127.0.0.1:5000")
        }
        let host: Substring
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw BenchError("\(text): bad IPv6 host") }
            host = authority[authority.index(after: authority.startIndex)..<close]
        } else {
            host = authority.split(separator: ":", maxSplits: 1).first ?? ""
        }
        guard Self.isLoopback(host) else {
            throw BenchError("\(text): only loopback registries (127.0.0.0/8, localhost, [::1]) may be benchmarked")
        }
        description = url
    }

    private static func isLoopback(_ host: Substring) -> Bool {
        if host == "localhost" || host == "::1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets.allSatisfy({ UInt8($0) != nil }) else { return false }
        return octets[0] == "127"
    }
}
