/// The manifest media types Stowage serves, and content negotiation against `Accept` headers.
public enum ManifestMediaTypes {
    public static let supported: [String] = ManifestKind.allCases.map(\.mediaType)
    /// Configs of container images, which name the image's platform.
    public static let imageConfigs: Set<String> = [
        "application/vnd.oci.image.config.v1+json", "application/vnd.docker.container.image.v1+json",
    ]

    /// Whether a client's `Accept` headers admit a stored manifest of `mediaType`.
    ///
    /// Every header may list several comma-separated media ranges. The most specific range that
    /// matches decides (exact type, then `type/*`, then `*/*`), so `*/*, application/x;q=0`
    /// refuses `application/x`; only q=0 refuses, other q-values merely rank. With no range at
    /// all every type is acceptable, as distribution answers clients that send no `Accept`.
    public static func acceptable(_ mediaType: String, acceptHeaders: [String]) -> Bool {
        // Byte by byte, without a String per element: clients send four to six ranges on every
        // manifest GET, and splitting and lowercasing them was a tenth of the server's time.
        var mediaType = mediaType
        return mediaType.withUTF8 { type in
            var sawRange = false
            var best: Match?
            for var header in acceptHeaders {
                header.withUTF8 { bytes in
                    forEachPart(of: bytes[...], separatedBy: UInt8(ascii: ",")) { element in
                        let rangeEnd = element.firstIndex(of: UInt8(ascii: ";")) ?? element.endIndex
                        let range = trimmed(element[..<rangeEnd])
                        guard !range.isEmpty else { return }
                        sawRange = true
                        guard let match = match(range, parameters: element[rangeEnd...].dropFirst(), type: type) else { return }
                        if best.map({ match.outranks($0) }) ?? true { best = match }
                    }
                }
            }
            guard sawRange else { return true }
            return (best?.quality ?? 0) > 0
        }
    }

    /// How a media range of an `Accept` header matched a type.
    private struct Match {
        /// An exact type 3, `type/*` 2, `*/*` 1.
        let specificity: Int
        let quality: Double

        func outranks(_ other: Match) -> Bool {
            specificity > other.specificity || (specificity == other.specificity && quality > other.quality)
        }
    }

    /// How `range`, with its `;`-separated `parameters`, matches `type`; nil if it does not.
    private static func match(_ range: Bytes, parameters: Bytes, type: UnsafeBufferPointer<UInt8>) -> Match? {
        let specificity: Int
        if equalIgnoringCase(range, type[...]) {
            specificity = 3
        } else if isWildcard(range, over: type) {
            specificity = 2
        } else if range.elementsEqual("*/*".utf8) || range.elementsEqual("*".utf8) {
            // A bare `*` is not valid HTTP, but Java's default Accept sends it.
            specificity = 1
        } else {
            return nil
        }
        var quality: Double?
        forEachPart(of: parameters, separatedBy: UInt8(ascii: ";")) { parameter in
            if quality == nil { quality = Self.quality(parameter: parameter) }
        }
        return Match(specificity: specificity, quality: quality ?? 1)
    }

    /// The bare media type of a Content-Type value: parameters dropped, lowercased, since media
    /// types compare case-insensitively. Nil when nothing is left.
    static func bareType(of contentType: String) -> String? {
        var contentType = contentType
        return contentType.withUTF8 { bytes in
            let type = trimmed(bytes[..<(bytes.firstIndex(of: UInt8(ascii: ";")) ?? bytes.endIndex)])
            return type.isEmpty ? nil : String(decoding: type, as: UTF8.self).lowercased()
        }
    }

    private typealias Bytes = Slice<UnsafeBufferPointer<UInt8>>

    /// Calls `body` with each `separator`-separated part of `bytes`, trimmed of blanks.
    private static func forEachPart(of bytes: Bytes, separatedBy separator: UInt8, _ body: (Bytes) -> Void) {
        var start = bytes.startIndex
        while start < bytes.endIndex {
            let end = bytes[start...].firstIndex(of: separator) ?? bytes.endIndex
            body(trimmed(bytes[start..<end]))
            start = end + 1
        }
    }

    /// Whether `range` is `major/*` for the major type of `type` (`application/*`).
    private static func isWildcard(_ range: Bytes, over type: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let slash = type.firstIndex(of: UInt8(ascii: "/")), range.count == slash + 2 else { return false }
        return range.suffix(2).elementsEqual("/*".utf8) && equalIgnoringCase(range.prefix(slash), type[..<slash])
    }

    private static func equalIgnoringCase(_ left: Bytes, _ right: Bytes) -> Bool {
        left.count == right.count && zip(left, right).allSatisfy { lowercased($0) == lowercased($1) }
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
    }

    /// The value of a `q=` parameter; nil for other parameters and for malformed values, which
    /// are then ignored rather than refusing the whole range.
    private static func quality(parameter: Bytes) -> Double? {
        guard let equals = parameter.firstIndex(of: UInt8(ascii: "=")),
              trimmed(parameter[..<equals]).elementsEqual("q".utf8, by: { lowercased($0) == $1 })
        else { return nil }
        return Double(String(decoding: trimmed(parameter[(equals + 1)...]), as: UTF8.self))
    }

    private static func trimmed(_ bytes: Bytes) -> Bytes {
        let blank: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        guard let first = bytes.firstIndex(where: { !blank($0) }), let last = bytes.lastIndex(where: { !blank($0) }) else {
            return bytes[bytes.startIndex..<bytes.startIndex]
        }
        return bytes[first...last]
    }
}
