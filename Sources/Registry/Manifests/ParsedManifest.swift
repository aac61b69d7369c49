import BlobStore

/// A manifest the parser accepted: what the registry needs to store it, check its references and
/// answer the referrers API. The pushed bytes themselves are kept apart, unchanged.
public struct ParsedManifest: Sendable {
    /// The body's `mediaType`, or the Content-Type the manifest was pushed with when it has none.
    public var mediaType: String
    public var kind: ManifestKind
    /// Nil for an index or list.
    public var config: Descriptor?
    public var layers: [Descriptor]
    /// The entries of an index or list; empty for an image manifest.
    public var manifests: [Descriptor]
    public var subject: Descriptor?
    /// The type the referrers API reports: the manifest's own `artifactType`, else, for an image
    /// manifest, its config's media type.
    public var artifactType: String?
    public var annotations: [String: String]?
    /// Config and layer digests, first occurrence first, without repeats. Foreign layers are
    /// included, so that GC keeps them if they were pushed; a route that accepts foreign layers
    /// need not require those (see `foreignLayers`) to exist.
    public var blobs: [Digest]
    /// The digests of the manifests an index or list references, without repeats.
    public var children: [Digest]
    /// Non-distributable layers: a foreign media type or download `urls` of their own.
    public var foreignLayers: [Descriptor]
}
