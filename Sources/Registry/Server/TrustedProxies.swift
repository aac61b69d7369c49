import HTTPTypes
import Hummingbird
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The reverse proxies whose `X-Forwarded-For`, `X-Forwarded-Proto` and `X-Forwarded-Host` are
/// believed: addresses or CIDR ranges (`10.0.0.0/8`, `::1`). Anyone else's are removed before a
/// request is routed, so that no client can choose the address its failed logins are counted
/// under or the URL its challenge names.
public struct TrustedProxies: Sendable, Equatable {
    struct Range: Sendable, Equatable {
        let bytes: [UInt8]
        let prefix: Int

        func contains(_ address: [UInt8]) -> Bool {
            guard address.count == bytes.count else { return false }
            var left = prefix
            for index in bytes.indices where left > 0 {
                let bits = min(left, 8)
                let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
                if address[index] & mask != bytes[index] & mask { return false }
                left -= bits
            }
            return true
        }
    }

    let ranges: [Range]

    public static let none = TrustedProxies(ranges: [])

    init(ranges: [Range]) {
        self.ranges = ranges
    }

    /// Parses a comma-separated list; nil if an entry is not an address or a range.
    public init?(parsing text: String) {
        var ranges: [Range] = []
        for entry in text.split(separator: ",") {
            let parts = entry.trimmingWhitespace.split(separator: "/", maxSplits: 1)
            guard let bytes = Self.bytes(of: String(parts[0])) else { return nil }
            var prefix = bytes.count * 8
            if parts.count == 2 {
                guard let bits = Int(parts[1]), (0...prefix).contains(bits) else { return nil }
                prefix = bits
            }
            ranges.append(Range(bytes: bytes, prefix: prefix))
        }
        self.init(ranges: ranges)
    }

    public var isEmpty: Bool { ranges.isEmpty }

    func trusts(_ address: String) -> Bool {
        guard !ranges.isEmpty, let bytes = Self.bytes(of: address) else { return false }
        return ranges.contains { $0.contains(bytes) }
    }

    /// The request as the routes may read it, and the address of the client: from a trusted
    /// proxy, the client it names; from anyone else, the peer, with every `X-Forwarded-*`
    /// header removed, so that what is left of them can be believed wherever it is read.
    func admit(_ request: Request, peer: String) -> (Request, client: String) {
        let forwarded: [HTTPField.Name] = [.xForwardedFor, .xForwardedProto, .xForwardedHost]
        if trusts(peer) {
            return (request, client(peer: peer, forwardedFor: request.headers[values: .xForwardedFor]))
        }
        guard forwarded.contains(where: { request.headers[$0] != nil }) else { return (request, peer) }
        var head = request.head
        for name in forwarded { head.headerFields[name] = nil }
        return (Request(head: head, body: request.body), peer)
    }

    /// The client behind `peer`: the peer itself unless it is a trusted proxy; otherwise the
    /// rightmost address of `X-Forwarded-For` that is not a trusted proxy (addresses to its
    /// left were written by the client and prove nothing).
    func client(peer: String, forwardedFor: [String]) -> String {
        guard trusts(peer) else { return peer }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { String($0.trimmingWhitespace) }
        for hop in hops.reversed() where !trusts(hop) {
            return Self.bytes(of: hop) == nil ? peer : hop
        }
        return hops.first.flatMap { Self.bytes(of: $0) == nil ? nil : $0 } ?? peer
    }

    /// The 4 or 16 bytes of an IPv4 or IPv6 address in text; nil for anything else.
    static func bytes(of text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }
}
