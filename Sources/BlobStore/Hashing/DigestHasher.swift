/// A streaming hasher for either digest algorithm, for code that learns the algorithm from its
/// input (an upload's expected digest, a manifest reference).
public struct DigestHasher: StreamingHasher {
    @usableFromInline
    enum Backing: Sendable {
        case sha256(SHA256Hasher)
        case sha512(SHA512Hasher)
    }

    @usableFromInline var backing: Backing

    public init(algorithm: DigestAlgorithm) {
        switch algorithm {
        case .sha256: backing = .sha256(SHA256Hasher())
        case .sha512: backing = .sha512(SHA512Hasher())
        }
    }

    /// Resumes from `exportState()` output.
    public init(algorithm: DigestAlgorithm, restoring saved: some Collection<UInt8>) throws {
        switch algorithm {
        case .sha256: backing = .sha256(try SHA256Hasher(restoring: saved))
        case .sha512: backing = .sha512(try SHA512Hasher(restoring: saved))
        }
    }

    public var algorithm: DigestAlgorithm {
        switch backing {
        case .sha256: .sha256
        case .sha512: .sha512
        }
    }

    public var byteCount: UInt64 {
        switch backing {
        case .sha256(let hasher): hasher.byteCount
        case .sha512(let hasher): hasher.byteCount
        }
    }

    @inlinable
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        switch backing {
        case .sha256(var hasher):
            hasher.update(bytes)
            backing = .sha256(hasher)
        case .sha512(var hasher):
            hasher.update(bytes)
            backing = .sha512(hasher)
        }
    }

    public func finalize() -> Digest {
        switch backing {
        case .sha256(let hasher): hasher.finalize()
        case .sha512(let hasher): hasher.finalize()
        }
    }

    public func exportState() -> [UInt8] {
        switch backing {
        case .sha256(let hasher): hasher.exportState()
        case .sha512(let hasher): hasher.exportState()
        }
    }
}

extension Digest {
    /// The digest of `bytes` under `algorithm`.
    public static func of(_ bytes: some Sequence<UInt8>, algorithm: DigestAlgorithm = .sha256) -> Digest {
        var hasher = DigestHasher(algorithm: algorithm)
        hasher.update(bytes)
        return hasher.finalize()
    }
}
