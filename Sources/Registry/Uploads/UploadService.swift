import BlobStore

/// Uploads across the engine, which holds the bytes, and the metadata, which says whose they
/// are, in the order that loses nothing: the engine session exists before the row that names
/// it (and is dropped again if the row cannot be written), and a blob is linked into its
/// repository only once the engine has committed it. What a failure leaves in between (a
/// session no row names, a committed blob no repository links) garbage collection removes.
struct UploadService: Sendable {
    let store: any BlobStorage
    let uploads: UploadStore
    let blobLinks: BlobLinkStore
    let liveness: BlobLiveness

    /// A new upload session of `name`; returns its id.
    func begin(algorithm: DigestAlgorithm, in name: RepositoryName) async throws -> String {
        let id = try await store.beginUpload(algorithm: algorithm)
        do {
            try await uploads.createUpload(id: id, in: name)
        } catch {
            try? await store.cancelUpload(id)
            throw error
        }
        return id
    }

    /// Refuses an id that is not an upload of `name`, as unknown: an upload is only ever seen
    /// through the repository it was begun in.
    func require(_ id: String, in name: RepositoryName) async throws {
        guard try await uploads.uploadRepository(id: id) == name else {
            throw RegistryError(.notFound, .blobUploadUnknown, "blob upload unknown to registry", detail: id)
        }
    }

    func offset(_ id: String) async throws -> UInt64 {
        try await store.uploadOffset(id)
    }

    /// Appends a chunk at `offset` (or wherever the upload stands); returns the new end.
    func append(to id: String, at offset: UInt64?, _ chunk: UploadChunk) async throws -> UInt64 {
        try await store.append(to: id, at: offset, chunk)
    }

    /// Appends the last chunk, commits the blob, then links it and forgets the session in one
    /// transaction. A digest that does not match ends the session in both.
    func finish(
        _ id: String, expected digest: Digest, at offset: UInt64?, in name: RepositoryName,
        finalChunk: UploadChunk
    ) async throws -> BlobInfo {
        // Before the engine can acknowledge the digest as already stored.
        try await liveness.touch([digest])
        let blob: BlobInfo
        do {
            blob = try await store.commitUpload(id, expected: digest, at: offset, finalChunk: finalChunk)
        } catch BlobStoreError.digestMismatch(let expected, let actual) {
            // The engine removed the upload; the session is gone for the client too.
            try await uploads.deleteUpload(id: id)
            throw RegistryError(.badRequest, .digestInvalid, "content digest \(actual) does not match \(expected)")
        }
        try await uploads.finishUpload(id: id, linking: blob.digest, size: blob.size, in: name)
        return blob
    }

    /// Forgets the session, then drops its bytes: a row never outlives its answer to the client.
    func cancel(_ id: String) async throws {
        try await uploads.deleteUpload(id: id)
        try await store.cancelUpload(id)
    }

    /// A whole blob in one request, stored without a session (`bytes`, or `streaming` from the
    /// body), then linked.
    func put(
        expected: Digest, in name: RepositoryName, bytes: [UInt8]?, streaming: UploadChunk
    ) async throws -> BlobInfo {
        try await liveness.touch([expected])
        let blob =
            if let bytes {
                try await store.put(bytes, expected: expected)
            } else {
                try await store.put(expected: expected, streaming: streaming)
            }
        try await blobLinks.linkBlob(blob.digest, size: blob.size, in: name)
        return blob
    }

    /// Links a blob another repository holds (a mount; the caller has checked that it may read
    /// it there, and that it is there) into `name`.
    func link(_ blob: BlobInfo, into name: RepositoryName) async throws {
        try await blobLinks.linkBlob(blob.digest, size: blob.size, in: name)
    }
}
