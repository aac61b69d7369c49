/// Where a blob's record is: what the index maps a digest to.
public struct BlobLocation: Sendable, Hashable {
    public var packID: UInt64
    /// Offset of the record header in the pack.
    public var offset: UInt64
    /// Payload bytes on disk (the zstd frame when compressed).
    public var storedLength: UInt64
    /// The blob's size as pushed.
    public var logicalLength: UInt64
    public var codec: BlobCodec
}

/// A blob as the store describes it.
public struct BlobInfo: Sendable, Hashable {
    public var digest: Digest
    /// Size in bytes, as pushed.
    public var size: UInt64
    /// Bytes of payload on disk.
    public var storedSize: UInt64
    public var codec: BlobCodec

    /// A blob stored elsewhere than in packs (the cluster's object store): verbatim, as pushed.
    public init(digest: Digest, size: UInt64) {
        self.digest = digest
        self.size = size
        self.storedSize = size
        self.codec = .verbatim
    }

    init(digest: Digest, location: BlobLocation) {
        self.digest = digest
        self.size = location.logicalLength
        self.storedSize = location.storedLength
        self.codec = location.codec
    }
}
