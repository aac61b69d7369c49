/// The manifest formats Stowage accepts, named by their media types. Docker schema 1 is not one:
/// it is signed over a re-serialised form and deprecated by every current client.
public enum ManifestKind: String, Sendable, Hashable, CaseIterable {
    case ociImage = "application/vnd.oci.image.manifest.v1+json"
    case ociIndex = "application/vnd.oci.image.index.v1+json"
    case dockerImage = "application/vnd.docker.distribution.manifest.v2+json"
    case dockerList = "application/vnd.docker.distribution.manifest.list.v2+json"

    public var mediaType: String { rawValue }

    /// An index or list references manifests; the others reference a config and layers.
    public var isIndex: Bool {
        switch self {
        case .ociIndex, .dockerList: true
        case .ociImage, .dockerImage: false
        }
    }
}
