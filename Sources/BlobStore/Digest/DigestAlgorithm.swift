/// A digest algorithm the OCI image specification registers, and the only ones Stowage accepts.
public enum DigestAlgorithm: String, Sendable, Hashable, CaseIterable, Comparable {
    case sha256
    case sha512

    /// Length of the digest in bytes.
    @inlinable
    public var byteCount: Int {
        switch self {
        case .sha256: 32
        case .sha512: 64
        }
    }

    /// Length of the digest's encoded (lowercase hex) form.
    @inlinable
    public var hexCount: Int { byteCount * 2 }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.byteCount < rhs.byteCount }
}
