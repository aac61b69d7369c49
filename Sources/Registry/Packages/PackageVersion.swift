/// One version of a package: a manifest with what it costs and how it is named.
public struct PackageVersion: Sendable, Equatable, Codable {
    public var digest: String
    public var mediaType: String
    public var artifactType: String?
    /// The manifest this one refers to (a signature's image), if any.
    public var subject: String?
    public var tags: [String]
    /// The manifest, its index children, and the distinct blobs they name.
    public var size: UInt64
    public var created: Int64
    /// `os/architecture[/variant]` of an image, or of each manifest of an index.
    public var platforms: [String]
    public var deleted: Int64?
    /// Pulls of the version's manifest.
    public var pulls: Int64
}
