/// One package in a listing.
public struct PackageSummary: Sendable, Equatable, Codable {
    public var name: String
    /// Top-level manifests: images, indexes and artifacts, not the platform manifests of an index.
    public var versions: Int
    /// Versions with at least one tag.
    public var taggedVersions: Int
    public var tags: Int
    /// Bytes of the blobs linked into the package, manifests included.
    public var size: UInt64
    public var created: Int64
    /// When it was deleted, for a deleted package.
    public var deleted: Int64?
    /// When its newest version was pushed; nil without versions.
    public var published: Int64?
    /// Manifest pulls of its versions.
    public var pulls: Int64
}
