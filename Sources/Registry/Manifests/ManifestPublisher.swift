import BlobStore

/// A manifest PUT in the order that loses nothing: check the bytes against their digest and
/// parse them, apply the registry's rules, revive what garbage collection condemned, store the
/// bytes in the engine, and only then record the manifest, which checks (in its transaction)
/// that every blob it names is linked. A crash or failure in between leaves bytes no record
/// names, which collection removes; never a record naming bytes that are not there.
struct ManifestPublisher: Sendable {
    let store: any BlobStorage
    let manifests: ManifestStore
    let liveness: BlobLiveness
    let options: RegistryOptions

    /// What a PUT recorded.
    struct Published {
        let digest: Digest
        let manifest: ParsedManifest
    }

    /// Publishes `bytes` under `tags` (and `expected`, when the PUT named a digest).
    func publish(_ bytes: [UInt8], contentType: String?, expected: Digest?, tags: [String], in name: RepositoryName)
        async throws -> Published
    {
        let digest = Digest.of(bytes, algorithm: expected?.algorithm ?? .sha256)
        if let expected, digest != expected {
            throw RegistryError(.badRequest, .digestInvalid, "manifest digest \(digest) does not match the reference \(expected)")
        }
        let manifest = try ManifestParser.parse(bytes, contentType: contentType)
        if let invalid = tags.first(where: { !Tag.isValid($0) }) {
            throw RegistryError(.badRequest, .manifestInvalid, "'\(invalid)' is not a valid tag")
        }
        let required = try validate(manifest)
        try await liveness.touch(required + manifest.children + [digest])
        try await store.put(bytes, expected: digest)
        let record = ManifestRecord(
            digest: digest, mediaType: manifest.mediaType, size: UInt64(bytes.count), artifactType: manifest.artifactType,
            subject: manifest.subject?.digest, annotations: manifest.annotations, blobs: manifest.blobs,
            children: manifest.children, created: UnixTime.now(), platforms: try await platforms(of: manifest))
        do {
            try await manifests.putManifest(record, tags: tags, in: name, requiring: required)
        } catch MissingReference.blob(let blob) {
            throw RegistryError(.badRequest, .manifestBlobUnknown, "manifest references a blob unknown to this repository", detail: blob.description)
        } catch MissingReference.manifest(let child) {
            throw RegistryError(.badRequest, .manifestUnknown, "index references a manifest unknown to this repository", detail: child.description)
        }
        return Published(digest: digest, manifest: manifest)
    }

    /// The registry's rules on top of the format: no foreign layers unless allowed. Returns the
    /// blobs that must be in the repository: all but foreign layers, which live elsewhere (their
    /// `urls`) and are never pushed here. The metadata checks those, and the index children, in
    /// the transaction that records the manifest.
    private func validate(_ manifest: ParsedManifest) throws -> [Digest] {
        if !options.allowForeignLayers, let foreign = manifest.foreignLayers.first {
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
              let bytes = try? await store.bytes(of: config.digest)
        else { return [] }
        return (try? ConfigPlatform.platform(of: bytes)).map { [$0.description] } ?? []
    }
}
