import BlobStore
import HTTPTypes
import Hummingbird

/// The upload protocol: POST to start (or upload whole with `?digest=`, or mount with
/// `?mount=&from=`), PATCH chunks in order, PUT to finish, GET for status, DELETE to cancel.
/// Bodies stream straight into the engine's upload session; nothing is buffered whole. The
/// routes translate HTTP (ranges, digests, answers); `UploadService` does the work.
struct UploadRoutes {
    let registry: RegistryService

    /// `mayRead` says whether the caller may pull from a mount's source repository; if not, the
    /// mount falls back to an upload exactly as if the blob were not there, so nothing leaks.
    func start(_ request: Request, _ name: RepositoryName, mayRead: (RepositoryName) async throws -> Bool) async throws -> Response {
        let query = request.uri.queryParameters
        if let mount = query.get("mount") {
            let digest = try Digest(parsing: mount)
            if let from = query.get("from"), let source = try? RepositoryName(parsing: from), try await mayRead(source),
               let blob = try await registry.linkedBlob(digest, in: source)
            {
                try await registry.uploads.link(blob, into: name)
                return created(name, digest)
            }
            // The source does not hold it (or is not named): fall back to a new upload, as the spec says.
        }
        if let expected = query.get("digest") {
            return try await monolithic(request, name, expected: try Digest(parsing: expected))
        }
        var algorithm = DigestAlgorithm.sha256
        if let requested = query.get("digest-algorithm") {
            guard let known = DigestAlgorithm(rawValue: requested) else {
                throw RegistryError(.badRequest, .digestInvalid, "unsupported digest algorithm '\(requested)'")
            }
            algorithm = known
        }
        return accepted(name, try await registry.uploads.begin(algorithm: algorithm, in: name), offset: 0)
    }

    func patch(_ request: Request, _ name: RepositoryName, _ id: String) async throws -> Response {
        try await registry.uploads.require(id, in: name)
        let end = try await receive(request, id, range: try await chunkRange(request, id))
        return accepted(name, id, offset: end)
    }

    func put(_ request: Request, _ name: RepositoryName, _ id: String) async throws -> Response {
        try await registry.uploads.require(id, in: name)
        guard let expected = request.uri.queryParameters.get("digest") else {
            throw RegistryError(.badRequest, .digestInvalid, "the digest query parameter is required to finish an upload")
        }
        return try await finish(request, name, id, expected: String(expected), range: try await chunkRange(request, id))
    }

    func status(_ name: RepositoryName, _ id: String) async throws -> Response {
        try await registry.uploads.require(id, in: name)
        let offset = try await registry.uploads.offset(id)
        return Response(status: .noContent, headers: uploadHeaders(name, id, offset: offset))
    }

    func cancel(_ name: RepositoryName, _ id: String) async throws -> Response {
        try await registry.uploads.require(id, in: name)
        try await registry.uploads.cancel(id)
        return Response(status: .noContent, headers: [.contentLength: "0"])
    }

    /// POST with `?digest=`: the body is the whole blob, stored without an upload session, so a
    /// small blob costs one group-committed sync. A body the engine would rather take whole is
    /// collected in memory.
    private func monolithic(_ request: Request, _ name: RepositoryName, expected: Digest) async throws -> Response {
        var bytes: [UInt8]?
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), registry.store.storesWhole(length: declared) {
            let body = try await request.body.collect(upTo: declared)
            registry.metrics.bytesReceived(body.readableBytes)
            bytes = Array(buffer: body)
        }
        let blob = try await registry.uploads.put(expected: expected, in: name, bytes: bytes, streaming: chunk(request.body))
        return created(name, blob.digest)
    }

    /// PUT: the request body (possibly empty) is the last chunk, then the upload is committed.
    private func finish(
        _ request: Request, _ name: RepositoryName, _ id: String, expected: String, range: Range<UInt64>?
    ) async throws -> Response {
        let blob = try await registry.uploads.finish(
            id, expected: try Digest(parsing: expected), at: range?.lowerBound, in: name, finalChunk: chunk(request.body, filling: range))
        return created(name, blob.digest)
    }

    /// Appends the request body at the start of `range` (or wherever the upload stands). A chunk
    /// that does not start at the upload's offset is refused with 416 and the current Range.
    private func receive(_ request: Request, _ id: String, range: Range<UInt64>?) async throws -> UInt64 {
        try await registry.uploads.append(to: id, at: range?.lowerBound, chunk(request.body, filling: range))
    }

    /// The bytes a chunk's `Content-Range` claims, if it has one. A Content-Length that does not
    /// fill them is refused here, before a byte of the body is read.
    private func chunkRange(_ request: Request, _ id: String) async throws -> Range<UInt64>? {
        guard let value = request.headers[.contentRange] else { return nil }
        guard let range = UploadRange.chunk(value) else {
            throw RegistryError(.badRequest, .blobUploadInvalid, "malformed Content-Range '\(value)'")
        }
        if let length = request.headers[.contentLength].flatMap({ UInt64($0) }), length != range.upperBound - range.lowerBound {
            throw UploadChunk.unfilled(range, uploadAt: try await registry.uploads.offset(id))
        }
        return range
    }

    /// The request body as a chunk of the upload, filling `range` if the request gave one.
    private func chunk(_ body: RequestBody, filling range: Range<UInt64>? = nil) -> UploadChunk {
        UploadChunk(body: body, range: range, metrics: registry.metrics)
    }

    private func uploadHeaders(_ name: RepositoryName, _ id: String, offset: UInt64) -> HTTPFields {
        [
            .location: "/v2/\(name)/blobs/uploads/\(id)",
            .range: UploadRange.header(offset: offset),
            .dockerUploadUUID: id,
            .contentLength: "0",
        ]
    }

    private func accepted(_ name: RepositoryName, _ id: String, offset: UInt64) -> Response {
        Response(status: .accepted, headers: uploadHeaders(name, id, offset: offset))
    }

    private func created(_ name: RepositoryName, _ digest: Digest) -> Response {
        Response(status: .created, headers: [
            .location: "/v2/\(name)/blobs/\(digest)",
            .dockerContentDigest: digest.description,
            .contentLength: "0",
        ])
    }
}
