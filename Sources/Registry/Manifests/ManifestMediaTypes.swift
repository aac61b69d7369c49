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
        let type = mediaType.lowercased()
        let typeWildcard = type.prefix { $0 != "/" } + "/*"
        var sawRange = false
        var best: (specificity: Int, quality: Double)?
        for header in acceptHeaders {
            for element in header.split(separator: ",") {
                let parts = element.split(separator: ";")
                guard let first = parts.first else { continue }
                let range = trimmed(first).lowercased()
                guard !range.isEmpty else { continue }
                sawRange = true
                let specificity: Int
                switch range {
                case type: specificity = 3
                case typeWildcard: specificity = 2
                // A bare `*` is not valid HTTP, but Java's default Accept sends it.
                case "*/*", "*": specificity = 1
                default: continue
                }
                let quality = parts.dropFirst().lazy.compactMap(quality(parameter:)).first ?? 1
                if let current = best, current.specificity > specificity
                    || (current.specificity == specificity && current.quality >= quality)
                {
                    continue
                }
                best = (specificity, quality)
            }
        }
        guard sawRange else { return true }
        return (best?.quality ?? 0) > 0
    }

    /// The bare media type of a Content-Type value: parameters dropped, lowercased, since media
    /// types compare case-insensitively. Nil when nothing is left.
    static func bareType(of contentType: String) -> String? {
        let type = trimmed(contentType.split(separator: ";", omittingEmptySubsequences: false)[0]).lowercased()
        return type.isEmpty ? nil : type
    }

    /// The value of a `q=` parameter; nil for other parameters and for malformed values, which
    /// are then ignored rather than refusing the whole range.
    private static func quality(parameter: Substring) -> Double? {
        let pair = parameter.split(separator: "=", maxSplits: 1)
        guard pair.count == 2, trimmed(pair[0]).lowercased() == "q" else { return nil }
        return Double(trimmed(pair[1]))
    }

    private static func trimmed(_ text: Substring) -> Substring {
        guard let start = text.firstIndex(where: { !$0.isWhitespace }),
              let end = text.lastIndex(where: { !$0.isWhitespace })
        else { return "" }
        return text[start...end]
    }
}
