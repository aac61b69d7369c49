import BlobStore
import Foundation
import HTTPTypes
import Hummingbird

/// PUT, GET, HEAD and DELETE of `/v2/<name>/manifests/<reference>`, where the reference is a tag
/// or a digest. Bytes are stored and served exactly as pushed.
struct ManifestRoutes {
    let registry: RegistryService

    enum Reference {
        case tag(String)
        case digest(Digest)

        /// The reference a PUT stores under: one that is neither a tag nor a digest is invalid (400).
        init(_ text: String) throws {
            try self.init(text, orElse: RegistryError(.badRequest, .manifestInvalid, "'\(text)' is neither a valid tag nor a digest"))
        }

        /// The reference a GET, HEAD or DELETE looks up: one that is not a valid tag names no
        /// manifest (404 MANIFEST_UNKNOWN), as docker-registry and zot answer and the OCI
        /// conformance suite (v1.1.1) expects of `.INVALID_MANIFEST_NAME`.
        init(naming text: String) throws {
            try self.init(text, orElse: ManifestRoutes.unknown(text))
        }

        private init(_ text: String, orElse invalid: RegistryError) throws {
            if text.contains(":" as Character) {
                self = .digest(try Digest(parsing: text))
            } else if Tag.isValid(text) {
                self = .tag(text)
            } else {
                throw invalid
            }
        }
    }

    static func unknown(_ reference: String) -> RegistryError {
        RegistryError(.notFound, .manifestUnknown, "manifest unknown to registry", detail: reference)
    }

    func get(_ request: Request, _ name: RepositoryName, _ reference: String) async throws -> Response {
        let record: ManifestHead?
        switch try Reference(naming: reference) {
        case .tag(let tag): record = try await registry.metadata.manifestHead(tag: tag, in: name)
        case .digest(let digest): record = try await registry.metadata.manifestHead(digest, in: name)
        }
        guard let record else {
            throw Self.unknown(reference)
        }
        guard ManifestMediaTypes.acceptable(record.mediaType, acceptHeaders: request.headers[values: .accept]) else {
            throw RegistryError(
                .notFound, .manifestUnknown,
                "manifest \(record.digest) is \(record.mediaType), which the Accept header does not allow")
        }
        let headers: HTTPFields = [
            .contentType: record.mediaType,
            .dockerContentDigest: record.digest.description,
            .eTag: "\"\(record.digest)\"",
            .contentLength: String(record.size),
        ]
        if request.method == .head {
            return Response(status: .ok, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: try await registry.manifestBytes(record.digest)))
    }

    func put(_ request: Request, _ name: RepositoryName, _ reference: String) async throws -> Response {
        let parsedReference = try Reference(reference)
        let buffer = try await request.body.collect(upTo: ManifestParser.maximumSize + 1)
        guard buffer.readableBytes <= ManifestParser.maximumSize else {
            throw RegistryError(
                .contentTooLarge, .sizeInvalid, "manifest exceeds the limit of \(ManifestParser.maximumSize) bytes")
        }
        let bytes = Array(buffer.readableBytesView)
        let digest: Digest
        switch parsedReference {
        case .digest(let expected):
            digest = Digest.of(bytes, algorithm: expected.algorithm)
            guard digest == expected else {
                throw RegistryError(.badRequest, .digestInvalid, "manifest digest \(digest) does not match the reference \(expected)")
            }
        case .tag:
            digest = Digest.of(bytes)
        }
        let manifest = try ManifestParser.parse(bytes, contentType: request.headers[.contentType])

        var tags = request.uri.queryParameters.getAll("tag").map { String($0) }
        if case .tag(let tag) = parsedReference { tags.insert(tag, at: 0) }
        if let invalid = tags.first(where: { !Tag.isValid($0) }) {
            throw RegistryError(.badRequest, .manifestInvalid, "'\(invalid)' is not a valid tag")
        }
        let required = try await validate(manifest)
        try await registry.liveness.touch(required + manifest.children + [digest])
        try await registry.store.put(bytes, expected: digest)
        let record = ManifestRecord(
            digest: digest, mediaType: manifest.mediaType, size: UInt64(bytes.count), artifactType: manifest.artifactType,
            subject: manifest.subject?.digest, annotations: manifest.annotations, blobs: manifest.blobs,
            children: manifest.children, created: UnixTime.now(), platforms: try await platforms(of: manifest))
        do {
            try await registry.metadata.putManifest(record, tags: tags, in: name, requiring: required)
        } catch MissingReference.blob(let blob) {
            throw RegistryError(.badRequest, .manifestBlobUnknown, "manifest references a blob unknown to this repository", detail: blob.description)
        } catch MissingReference.manifest(let child) {
            throw RegistryError(.badRequest, .manifestUnknown, "index references a manifest unknown to this repository", detail: child.description)
        }

        var headers: HTTPFields = [
            .location: "/v2/\(name)/manifests/\(digest)",
            .dockerContentDigest: digest.description,
            .contentLength: "0",
        ]
        if let subject = manifest.subject {
            headers[.ociSubject] = subject.digest.description
        }
        for tag in request.uri.queryParameters.getAll("tag") {
            headers.append(HTTPField(name: .ociTag, value: String(tag)))
        }
        return Response(status: .created, headers: headers)
    }

    /// The registry's rules on top of the format: no foreign layers unless allowed. Returns the
    /// blobs that must be in the repository: all but foreign layers, which live elsewhere (their
    /// `urls`) and are never pushed here. The metadata checks those, and the index children, in
    /// the transaction that records the manifest.
    private func validate(_ manifest: ParsedManifest) async throws -> [Digest] {
        if !registry.options.allowForeignLayers, let foreign = manifest.foreignLayers.first {
            throw RegistryError(
                .badRequest, .manifestInvalid,
                "manifest references the non-distributable (foreign) layer \(foreign.digest) (\(foreign.mediaType)); this registry does not accept foreign layers",
                detail: foreign.digest.description)
        }
        let foreign = Set(manifest.foreignLayers.map(\.digest))
        return manifest.blobs.filter { !foreign.contains($0) }
    }

    /// `os/architecture[/variant]` of each manifest of an index, or of an image from its
    /// config; empty for artifacts and configs that do not say.
    private func platforms(of manifest: ParsedManifest) async throws -> [String] {
        if manifest.kind.isIndex {
            return manifest.manifests.compactMap(\.platform).map(\.description)
        }
        guard let config = manifest.config, ManifestMediaTypes.imageConfigs.contains(config.mediaType), config.size <= 1 << 20,
              let bytes = try? await registry.store.bytes(of: config.digest)
        else { return [] }
        return (try? ConfigPlatform.platform(of: bytes)).map { [$0.description] } ?? []
    }

    func delete(_ name: RepositoryName, _ reference: String) async throws -> Response {
        let deleted: Bool
        switch try Reference(naming: reference) {
        case .tag(let tag): deleted = try await registry.metadata.deleteTag(tag, in: name)
        case .digest(let digest): deleted = try await registry.packages.deleteVersion(digest, in: name, now: UnixTime.now())
        }
        guard deleted else {
            throw Self.unknown(reference)
        }
        return Response(status: .accepted, headers: [.contentLength: "0"])
    }
}
