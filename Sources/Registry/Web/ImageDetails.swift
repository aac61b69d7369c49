import BlobStore
import Foundation

/// What the pages show of a manifest beyond its row: the manifest itself (layers, platforms of an
/// index, annotations) and its image config (OS, architecture, created, entrypoint, labels).
/// Read from the blob store; a config larger than `maximumConfigSize` is not read.
struct ImageDetails: Sendable {
    var manifest: ParsedManifest
    var config: ImageConfig?

    static let maximumConfigSize: Int64 = 1 << 20

    /// The fields of an image config the pages show (OCI image-spec, config.md).
    struct ImageConfig: Decodable, Sendable {
        struct Settings: Decodable, Sendable {
            var Entrypoint: [String]?
            var Cmd: [String]?
            var Labels: [String: String]?
            var WorkingDir: String?
            var User: String?
        }

        var created: String?
        var os: String?
        var architecture: String?
        var variant: String?
        var config: Settings?
    }

    static func load(_ digest: Digest, mediaType: String, registry: RegistryService) async throws -> ImageDetails {
        let bytes = try await registry.manifestBytes(digest)
        let manifest = try ManifestParser.parse(Array(bytes.readableBytesView), contentType: mediaType)
        var config: ImageConfig?
        if let descriptor = manifest.config, descriptor.size <= maximumConfigSize, descriptor.mediaType.contains("config"),
           let data = try? await registry.store.bytes(of: descriptor.digest)
        {
            config = try? JSONDecoder().decode(ImageConfig.self, from: Data(data))
        }
        return ImageDetails(manifest: manifest, config: config)
    }

    /// Annotations of the manifest, then labels of the config: where `docker build` and
    /// `buildah` put `org.opencontainers.image.*`.
    func value(_ key: String) -> String? {
        manifest.annotations?[key] ?? config?.config?.Labels?[key]
    }

    /// Labels and annotations together, by key; an annotation wins over a label of the same key.
    var labels: [(key: String, value: String)] {
        var all = config?.config?.Labels ?? [:]
        for (key, value) in manifest.annotations ?? [:] { all[key] = value }
        return all.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }
    }

    /// The description and source of a package: from its newest version, or for an index
    /// without them, from its first platform image.
    static func about(_ version: PackageVersion, registry: RegistryService) async -> (description: String?, source: String?) {
        guard let digest = Digest(version.digest),
              var details = try? await load(digest, mediaType: version.mediaType, registry: registry)
        else { return (nil, nil) }
        let keys = ("org.opencontainers.image.description", "org.opencontainers.image.source")
        if details.value(keys.0) == nil && details.value(keys.1) == nil, let first = details.manifest.manifests.first,
           let child = try? await load(first.digest, mediaType: first.mediaType, registry: registry)
        {
            details = child
        }
        return (details.value(keys.0), details.value(keys.1))
    }
}
