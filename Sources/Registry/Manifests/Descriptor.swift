import BlobStore

/// An OCI content descriptor: how a manifest points at a blob or another manifest.
public struct Descriptor: Sendable, Equatable {
    /// The platform an index entry is built for.
    public struct Platform: Sendable, Equatable, CustomStringConvertible {
        public var os: String
        public var architecture: String
        public var variant: String?

        public init(os: String, architecture: String, variant: String? = nil) {
            self.os = os
            self.architecture = architecture
            self.variant = variant
        }

        /// `os/architecture[/variant]`, as docker and the GitHub Packages pages write it.
        public var description: String {
            [os, architecture, variant].compactMap { $0 }.joined(separator: "/")
        }
    }

    public var mediaType: String
    public var digest: Digest
    public var size: Int64
    public var artifactType: String?
    public var annotations: [String: String]?
    /// Where a non-distributable layer can be downloaded from instead of this registry.
    public var urls: [String]?
    public var platform: Platform?

    public init(
        mediaType: String, digest: Digest, size: Int64, artifactType: String? = nil,
        annotations: [String: String]? = nil, urls: [String]? = nil, platform: Platform? = nil
    ) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.artifactType = artifactType
        self.annotations = annotations
        self.urls = urls
        self.platform = platform
    }
}
