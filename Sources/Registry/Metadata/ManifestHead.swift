import BlobStore

/// What a manifest GET or HEAD needs of a stored manifest: its identity and the headers' values.
/// Looked up on every pull, so it is one row of one table, without the references a
/// `ManifestRecord` carries.
public struct ManifestHead: Sendable, Equatable {
    public var digest: Digest
    public var mediaType: String
    public var size: UInt64

    public init(digest: Digest, mediaType: String, size: UInt64) {
        self.digest = digest
        self.mediaType = mediaType
        self.size = size
    }
}
