import BlobStore
import NIOCore

/// Where the bytes of blobs live, content-addressed, written once, every block checked on the way
/// out. Two implementations: the engine on the node's own disk (`BlobStore`, one node), and the
/// object store the nodes of a cluster share (`ObjectBlobStore`, its index in PostgreSQL).
///
/// The contract both keep, which the services above rely on: a method that returns a `BlobInfo`
/// for a new blob returns only once the blob is durable where every node of the deployment can
/// read it; an upload's offset is what is durable of it; a read never passes on a byte that failed
/// its checksum.
public protocol BlobStorage: Sendable {
    // MARK: Reads

    func stat(_ digest: Digest) async throws -> BlobInfo?

    /// Streams `range` of the blob in buffers, each checked before it is passed on.
    func read(_ digest: Digest, range: Range<UInt64>, allocator: ByteBufferAllocator, _ body: (ByteBuffer) async throws -> Void)
        async throws

    /// The whole blob in memory; for manifests and configs, not layers.
    func bytes(of digest: Digest) async throws -> [UInt8]

    /// A URL the client may fetch the blob from instead (a blob GET answers 307), or nil to
    /// stream it from here.
    func redirectURL(for digest: Digest) async throws -> String?

    // MARK: Writes

    /// Whether a blob of `length` bytes is best collected in memory and handed over whole.
    func storesWhole(length: Int) -> Bool

    /// Stores a blob held in memory; with `expected`, it must hash to it.
    @discardableResult
    func put(_ bytes: [UInt8], expected: Digest?) async throws -> BlobInfo

    /// Stores a blob streamed in one request (a monolithic push), checked against `expected`.
    func put(expected: Digest, streaming chunk: UploadChunk) async throws -> BlobInfo

    // MARK: Upload sessions

    func beginUpload(algorithm: DigestAlgorithm) async throws -> String

    /// The bytes of the upload received and durable.
    func uploadOffset(_ id: String) async throws -> UInt64

    /// Appends one request's bytes at `offset` (or where the upload stands); all of them count,
    /// or none. Returns the new offset.
    func append(to id: String, at offset: UInt64?, _ chunk: UploadChunk) async throws -> UInt64

    /// Appends the last chunk and makes the upload the blob `expected`; a mismatch ends the
    /// upload (`BlobStoreError.digestMismatch`).
    func commitUpload(_ id: String, expected: Digest, at offset: UInt64?, finalChunk: UploadChunk) async throws -> BlobInfo

    func cancelUpload(_ id: String) async throws

    /// Every session in progress and when it began (Unix seconds).
    func uploadSessions() async throws -> [(id: String, created: UInt64)]

    // MARK: Collection

    func allBlobs() async throws -> [BlobInfo]

    /// Deletes the blobs (collection has proved nothing references them).
    func remove(_ digests: [Digest]) async throws -> RemovalResult

    /// Gives space back that removal alone does not: the engine copies live records out of
    /// mostly dead packs; an object store has nothing to compact.
    func compact(deadShare: Double, limits: CompactionLimits, checkpoint: @Sendable (CollectionCheckpoint) -> Void)
        async throws -> CompactionResult

    /// Bytes the storage's files occupy on this node's disk; nil for an object store, whose
    /// bucket says what it holds, not this node.
    func fileBytes() async throws -> UInt64?

    /// Whether the storage answers now (readiness).
    func isReachable() async -> Bool

    func close() async throws
}
