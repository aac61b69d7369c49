import BlobStore
import HTTPTypes
import Hummingbird

/// GET, HEAD and DELETE of `/v2/<name>/blobs/<digest>`. Bodies stream from the engine block by
/// block, each block verified before it is sent.
struct BlobRoutes {
    let registry: RegistryService

    func get(_ request: Request, _ name: RepositoryName, _ reference: String) async throws -> Response {
        let digest = try Digest(parsing: reference)
        guard let blob = try await registry.linkedBlob(digest, in: name) else {
            throw RegistryError(.notFound, .blobUnknown, "blob unknown to registry", detail: digest.description)
        }
        let eTag = "\"\(digest)\""
        var headers: HTTPFields = [
            .dockerContentDigest: digest.description,
            .eTag: eTag,
            .acceptRanges: "bytes",
            .contentType: "application/octet-stream",
        ]
        var range = 0..<blob.size
        var status = HTTPResponse.Status.ok
        let rangeHeader = ByteRange.honoured(request.headers[.range], ifRange: request.headers[.ifRange], eTag: eTag)
        switch ByteRange.parse(rangeHeader, size: blob.size) {
        case .whole:
            break
        case .partial(let partial):
            range = partial
            status = .partialContent
            headers[.contentRange] = "bytes \(partial.lowerBound)-\(partial.upperBound - 1)/\(blob.size)"
        case .unsatisfiable:
            throw RegistryError(
                .rangeNotSatisfiable, .blobUnknown, "range not satisfiable for a blob of \(blob.size) bytes",
                headers: [.contentRange: "bytes */\(blob.size)"])
        }
        headers[.contentLength] = String(range.count)
        if request.method == .head {
            return Response(status: status, headers: headers)
        }
        // The store sends the bytes itself (storage.redirect): the client follows the 307 and
        // sends its Range there.
        if let url = try await registry.store.redirectURL(for: digest) {
            return Response(status: .temporaryRedirect, headers: [
                .location: url, .dockerContentDigest: digest.description, .contentLength: "0", .cacheControl: "no-store",
            ])
        }
        let store = registry.store
        let metrics = registry.metrics
        let logger = registry.logger
        let bytes = range
        let body = ResponseBody(contentLength: Int(range.count)) { writer in
            do {
                try await store.read(digest, range: bytes, allocator: ByteBufferAllocator()) { buffer in
                    let count = buffer.readableBytes
                    try await writer.write(buffer)
                    metrics.bytesSent(count)
                }
            } catch {
                // The status line is gone already: the client only sees the connection close
                // early, so the reason must be in the log.
                logger.error("blob read failed after the headers were sent", metadata: [
                    "repository": "\(name)", "digest": "\(digest)", "error": "\(error)",
                ])
                throw error
            }
            try await writer.finish(nil)
        }
        return Response(status: status, headers: headers, body: body)
    }

    func delete(_ name: RepositoryName, _ reference: String) async throws -> Response {
        let digest = try Digest(parsing: reference)
        guard try await registry.metadata.blobLinks.unlinkBlob(digest, in: name) else {
            throw RegistryError(.notFound, .blobUnknown, "blob unknown to registry", detail: digest.description)
        }
        return Response(status: .accepted, headers: [.dockerContentDigest: digest.description, .contentLength: "0"])
    }
}
