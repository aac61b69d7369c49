import BlobStore

/// What the registry remembers about a manifest it accepted: enough to answer HEAD, the referrers
/// API and GC without reading the manifest bytes back from the blob store.
public struct ManifestRecord: Sendable, Equatable {
    public var digest: Digest
    public var mediaType: String
    public var size: UInt64
    public var artifactType: String?
    public var subject: Digest?
    /// The manifest's annotations, echoed in referrers responses. An empty map is kept as nil:
    /// the referrers descriptor omits both alike.
    public var annotations: [String: String]?
    /// Every blob descriptor it references: config, layers, and any other blob.
    public var blobs: [Digest]
    /// The manifests an index references.
    public var children: [Digest]
    /// Unix seconds.
    public var created: Int64
    /// `os/architecture[/variant]` of an image, or of each manifest of an index.
    public var platforms: [String]

    public init(
        digest: Digest, mediaType: String, size: UInt64, artifactType: String? = nil, subject: Digest? = nil,
        annotations: [String: String]? = nil, blobs: [Digest] = [], children: [Digest] = [], created: Int64,
        platforms: [String] = []
    ) {
        self.digest = digest
        self.mediaType = mediaType
        self.size = size
        self.artifactType = artifactType
        self.subject = subject
        self.annotations = annotations?.isEmpty == true ? nil : annotations
        self.blobs = blobs
        self.children = children
        self.created = created
        self.platforms = platforms
    }
}
