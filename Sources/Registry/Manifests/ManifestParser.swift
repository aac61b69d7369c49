#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import BlobStore

/// Reads and validates a pushed manifest. The bytes are only read: the registry stores and
/// serves them exactly as pushed, since their digest is the manifest's identity.
public enum ManifestParser {
    /// The largest manifest accepted, as the OCI distribution spec asks registries to accept at least.
    public static let maximumSize = 4 * 1024 * 1024

    private static let schema1MediaTypes: Set<String> = [
        "application/vnd.docker.distribution.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
    ]

    private static let foreignLayerMediaTypes: Set<String> = [
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
        "application/vnd.oci.image.layer.nondistributable.v1.tar",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
    ]

    private static let contentTypeKey = CodingUserInfoKey(rawValue: "stowage.manifest.contentType")!

    /// - Parameter contentType: the request's Content-Type header, if any.
    /// - Throws: `ManifestError.invalid` saying what is wrong.
    public static func parse(_ bytes: [UInt8], contentType: String?) throws -> ParsedManifest {
        // First, that every reader takes the document the same way (no duplicate keys, no BOM,
        // UTF-8 only): then what is checked below is what every client will read.
        do {
            try StrictJSON.check(bytes)
        } catch {
            throw invalid(error.message)
        }
        let decoder = JSONDecoder()
        if let contentType {
            decoder.userInfo[contentTypeKey] = contentType
        }
        do {
            return try decoder.decode(Document.self, from: Data(bytes)).manifest
        } catch let error as ManifestError {
            throw error
        } catch {
            // ManifestFields turns every type error into a ManifestError, so only syntax is left.
            throw invalid("manifest is not valid JSON")
        }
    }

    /// JSONDecoder lends out containers only inside a `Decodable` initialiser, so the whole
    /// manifest is read there.
    private struct Document: Decodable {
        let manifest: ParsedManifest

        init(from decoder: any Decoder) throws {
            let root = try ManifestFields(decoder, path: "", expected: "a JSON object")
            manifest = try ManifestParser.manifest(root, contentType: decoder.userInfo[contentTypeKey] as? String)
        }
    }

    /// The fields of each object this parser reads, for `refuseCaseVariants`.
    private static let manifestFields = [
        "schemaVersion", "mediaType", "artifactType", "config", "layers", "manifests", "subject", "annotations",
    ]
    private static let descriptorFields = ["mediaType", "digest", "size", "urls", "annotations", "platform", "artifactType", "data"]
    private static let platformFields = ["architecture", "os", "os.version", "os.features", "variant", "features"]

    private static func manifest(_ root: ManifestFields, contentType: String?) throws -> ParsedManifest {
        try root.refuseCaseVariants(of: manifestFields)
        try checkSchemaVersion(root)
        let mediaType = try resolveMediaType(declared: root.string("mediaType"), contentType: contentType)
        guard let kind = ManifestKind(rawValue: mediaType) else {
            if schema1MediaTypes.contains(mediaType) {
                throw invalid("Docker schema 1 manifests (\(mediaType)) are not supported; push an OCI or Docker schema 2 manifest")
            }
            throw invalid("unsupported manifest media type '\(mediaType)'; expected one of \(ManifestMediaTypes.supported.joined(separator: ", "))")
        }
        // A document that reads as both an image and an index could be resolved differently by
        // different clients (CVE-2021-41190), so fields of the other kind are refused.
        for key in kind.isIndex ? ["config", "layers"] : ["manifests"] where root.has(key) {
            throw invalid("\(key) is not allowed in a manifest of type \(mediaType)")
        }

        let subject = try root.object("subject", expected: "a descriptor object").map(descriptor)
        let ownArtifactType = try root.string("artifactType").flatMap { $0.isEmpty ? nil : $0 }
        let annotations = try root.stringMap("annotations")
        if kind.isIndex {
            // A missing list reads as empty, as distribution reads it.
            let manifests = try root.objects("manifests", plural: "descriptors", expected: "a descriptor object")?
                .map(descriptor) ?? []
            return ParsedManifest(
                mediaType: mediaType, kind: kind, config: nil, layers: [], manifests: manifests, subject: subject,
                artifactType: ownArtifactType, annotations: annotations, blobs: [],
                children: unique(manifests.map(\.digest)), foreignLayers: []
            )
        }
        guard let configFields = try root.object("config", expected: "a descriptor object") else {
            throw invalid("config is missing; an image manifest needs a config descriptor")
        }
        let config = try descriptor(configFields)
        let layers = try root.objects("layers", plural: "descriptors", expected: "a descriptor object")?
            .map(descriptor) ?? []
        return ParsedManifest(
            mediaType: mediaType, kind: kind, config: config, layers: layers, manifests: [], subject: subject,
            artifactType: ownArtifactType ?? config.mediaType, annotations: annotations,
            blobs: unique([config.digest] + layers.map(\.digest)), children: [],
            foreignLayers: layers.filter { foreignLayerMediaTypes.contains($0.mediaType) || $0.urls?.isEmpty == false }
        )
    }

    private static func checkSchemaVersion(_ root: ManifestFields) throws {
        guard root.has("schemaVersion") else { throw invalid("schemaVersion is missing; it must be 2") }
        switch try? root.integer("schemaVersion") {
        case 2:
            return
        case 1:
            throw invalid("schemaVersion 1 (Docker schema 1) is not supported; push an OCI or Docker schema 2 manifest")
        default:
            throw invalid("schemaVersion must be 2, not \(root.found("schemaVersion"))")
        }
    }

    /// The OCI spec lets the body or the Content-Type name the type, and requires them to agree
    /// when both do. An empty `mediaType` counts as absent, as Go clients treat it.
    private static func resolveMediaType(declared: String?, contentType: String?) throws -> String {
        let declared = declared.flatMap { $0.isEmpty ? nil : $0 }
        let header = contentType.flatMap(ManifestMediaTypes.bareType(of:))
        switch (declared, header) {
        case (let declared?, let header?) where declared != header:
            throw invalid("Content-Type \(header) does not match the manifest's mediaType \(declared)")
        case (let declared?, _):
            return declared
        case (nil, let header?):
            return header
        case (nil, nil):
            throw invalid("manifest has no mediaType field and the request has no Content-Type")
        }
    }

    private static func descriptor(_ fields: ManifestFields) throws -> Descriptor {
        try fields.refuseCaseVariants(of: descriptorFields)
        guard let mediaType = try fields.string("mediaType") else {
            throw invalid("\(fields.qualified("mediaType")) is missing")
        }
        guard !mediaType.isEmpty else { throw invalid("\(fields.qualified("mediaType")) must not be empty") }
        guard let digestText = try fields.string("digest") else {
            throw invalid("\(fields.qualified("digest")) is missing")
        }
        let digest: Digest
        do {
            digest = try Digest(parsing: digestText)
        } catch {
            throw invalid("\(fields.qualified("digest")): \(error)")
        }
        guard let size = try fields.integer("size") else { throw invalid("\(fields.qualified("size")) is missing") }
        guard size >= 0 else { throw invalid("\(fields.qualified("size")) must not be negative") }
        return Descriptor(
            mediaType: mediaType, digest: digest, size: size, artifactType: try fields.string("artifactType"),
            annotations: try fields.stringMap("annotations"), urls: try fields.strings("urls"),
            platform: try fields.object("platform", expected: "an object").map(platform)
        )
    }

    private static func platform(_ fields: ManifestFields) throws -> Descriptor.Platform {
        try fields.refuseCaseVariants(of: platformFields)
        guard let os = try fields.string("os") else { throw invalid("\(fields.qualified("os")) is missing") }
        guard let architecture = try fields.string("architecture") else {
            throw invalid("\(fields.qualified("architecture")) is missing")
        }
        return Descriptor.Platform(os: os, architecture: architecture, variant: try fields.string("variant"))
    }

    private static func unique(_ digests: [Digest]) -> [Digest] {
        var seen = Set<Digest>()
        return digests.filter { seen.insert($0).inserted }
    }

    private static func invalid(_ message: String) -> ManifestError { .invalid(message) }
}
