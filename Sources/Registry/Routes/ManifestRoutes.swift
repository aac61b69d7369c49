import BlobStore
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
        case .tag(let tag): record = try await registry.metadata.manifests.manifestHead(tag: tag, in: name)
        case .digest(let digest): record = try await registry.metadata.manifests.manifestHead(digest, in: name)
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
        let body = try await registry.manifestBytes(record.digest)
        if registry.options.countPulls { registry.pulls.record(record.digest, in: name) }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body))
    }

    func put(_ request: Request, _ name: RepositoryName, _ reference: String) async throws -> Response {
        let parsedReference = try Reference(reference)
        let buffer = try await request.body.collect(upTo: ManifestParser.maximumSize + 1)
        guard buffer.readableBytes <= ManifestParser.maximumSize else {
            throw RegistryError(
                .contentTooLarge, .sizeInvalid, "manifest exceeds the limit of \(ManifestParser.maximumSize) bytes")
        }
        var tags = request.uri.queryParameters.getAll("tag").map { String($0) }
        var expected: Digest?
        switch parsedReference {
        case .tag(let tag): tags.insert(tag, at: 0)
        case .digest(let digest): expected = digest
        }
        let published = try await registry.publisher.publish(
            Array(buffer.readableBytesView), contentType: request.headers[.contentType], expected: expected, tags: tags, in: name)
        let digest = published.digest, manifest = published.manifest
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

    func delete(_ name: RepositoryName, _ reference: String) async throws -> Response {
        let deleted: Bool
        switch try Reference(naming: reference) {
        case .tag(let tag): deleted = try await registry.metadata.manifests.deleteTag(tag, in: name)
        case .digest(let digest): deleted = try await registry.metadata.packages.deleteVersion(digest, in: name, now: UnixTime.now())
        }
        guard deleted else {
            throw Self.unknown(reference)
        }
        return Response(status: .accepted, headers: [.contentLength: "0"])
    }
}
