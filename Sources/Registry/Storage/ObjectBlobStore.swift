import BlobStore
import Glibc
import NIOCore
import ObjectStore

/// The cluster's blob storage: bytes in an S3-compatible bucket, their index and upload state in
/// PostgreSQL, so that any node serves any request and none holds the only copy of anything
/// acknowledged (docs/FORMAT.md, "Cluster store").
///
/// Durability: a new blob's `BlobInfo` is returned once its object (completed multipart upload or
/// PUT) and sidecar are in the bucket and its row is committed, or, for a small blob, once its
/// row is committed. An upload's offset is what its row says, written after the request's parts
/// are in the bucket. Reads check every block against the row's checksums before passing it on.
public final class ObjectBlobStore: BlobStorage {
    let client: S3Client
    let settings: ObjectStorageSettings
    let index: ObjectBlobIndex
    let uploads: ObjectUploadStore
    /// The largest blob taken.
    let limit: UInt64
    /// Index rows (and small blobs' bytes) already read: a row never changes once written.
    private let rows: DigestCache<ObjectBlobRow>

    public init(settings: ObjectStorageSettings, database: any Database, maxBlobSize: UInt64, metrics: RegistryMetrics? = nil) throws {
        client = S3Client(settings: try settings.s3Settings(), observer: metrics.map { metrics in metrics.objectStoreRequest })
        self.settings = settings
        index = ObjectBlobIndex(database: database)
        uploads = ObjectUploadStore(database: database)
        limit = maxBlobSize
        rows = DigestCache(budget: settings.cacheBudget, cost: \.cost)
    }

    public func fileBytes() async throws -> UInt64? { nil }

    /// Whether the bucket answers, for readiness.
    public func isReachable() async -> Bool {
        (try? await client.bucketExists()) == true
    }

    public func close() async throws {
        try await client.shutdown()
    }

    // MARK: Reads

    public func stat(_ digest: Digest) async throws -> BlobInfo? {
        try await row(digest)?.info
    }

    public func read(
        _ digest: Digest, range: Range<UInt64>, allocator: ByteBufferAllocator, _ body: (ByteBuffer) async throws -> Void
    ) async throws {
        guard let row = try await row(digest) else { throw BlobStoreError.blobUnknown(digest) }
        guard range.upperBound <= row.size else { throw BlobStoreError.rangeNotSatisfiable(size: row.size) }
        if let inline = row.inline {
            // Checked when the row was read (`row(_:)`).
            guard !range.isEmpty else { return }
            try await body(ByteBuffer(bytes: inline[Int(range.lowerBound)..<Int(range.upperBound)]))
            return
        }
        guard let object = row.object, !range.isEmpty else { return }
        try await readObject(object, row: row, range: range, allocator: allocator, body)
    }

    /// Ranged GET widened to whole blocks; each block is collected, checked, and only then its
    /// kept bytes passed on.
    private func readObject(
        _ object: String, row: ObjectBlobRow, range: Range<UInt64>, allocator: ByteBufferAllocator,
        _ body: (ByteBuffer) async throws -> Void
    ) async throws {
        let size = UInt64(BlockChecksums.blockSize)
        var blockIndex = Int(range.lowerBound / size)
        let start = UInt64(blockIndex) * size
        let end = min(row.size, (range.upperBound + size - 1) / size * size)
        var block = allocator.buffer(capacity: Int(min(size, end - start)))
        var blockStart = start
        let stream: S3ObjectBody
        do {
            stream = try await client.getObject(object, range: start..<end)
        } catch let error as S3Error where error.kind == .notFound {
            throw BlobStoreError.integrity(digest: row.digest, reason: "its object \(object) is missing from the bucket")
        }
        func deliver(_ block: inout ByteBuffer) async throws {
            try block.withUnsafeReadableBytes { try row.checksums.verify($0, index: blockIndex, of: row.digest) }
            let blockEnd = blockStart + UInt64(block.readableBytes)
            let keptStart = max(range.lowerBound, blockStart), keptEnd = min(range.upperBound, blockEnd)
            if keptStart < keptEnd, let kept = block.getSlice(at: block.readerIndex + Int(keptStart - blockStart), length: Int(keptEnd - keptStart)) {
                try await body(kept)
            }
            blockIndex += 1
            blockStart = blockEnd
            block = allocator.buffer(capacity: Int(min(size, end - blockStart)))
        }
        for try await var chunk in stream {
            while chunk.readableBytes > 0 {
                let wanted = Int(min(size, end - blockStart)) - block.readableBytes
                guard wanted > 0, let piece = chunk.readSlice(length: min(wanted, chunk.readableBytes)) else {
                    throw BlobStoreError.integrity(digest: row.digest, reason: "the bucket sent more bytes than asked for")
                }
                block.writeImmutableBuffer(piece)
                if block.readableBytes == Int(min(size, end - blockStart)) { try await deliver(&block) }
            }
        }
        guard blockStart == end else {
            throw BlobStoreError.integrity(digest: row.digest, reason: "the bucket sent \(blockStart - start) of \(end - start) bytes")
        }
    }

    public func bytes(of digest: Digest) async throws -> [UInt8] {
        guard let row = try await row(digest) else { throw BlobStoreError.blobUnknown(digest) }
        if let inline = row.inline { return inline }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(row.size))
        try await read(digest, range: 0..<row.size, allocator: ByteBufferAllocator()) { bytes += $0.readableBytesView }
        return bytes
    }

    public func redirectURL(for digest: Digest) async throws -> String? {
        guard settings.redirect, let object = try await row(digest)?.object else { return nil }
        return client.presignedGetURL(object, expires: settings.redirectExpiry)
    }

    /// The blob's row, from the cache or the database; a small blob's bytes are checked against
    /// their checksums before the row is cached or used.
    private func row(_ digest: Digest) async throws -> ObjectBlobRow? {
        if let cached = rows[digest] { return cached }
        guard let row = try await index.lookup(digest) else { return nil }
        try Self.checkInline(row)
        rows.insert(row, for: digest)
        return row
    }

    /// A small blob's bytes against their checksums, before anything reads them.
    private static func checkInline(_ row: ObjectBlobRow) throws(BlobStoreError) {
        guard let inline = row.inline, BlockChecksums.of(ByteBuffer(bytes: inline)) != row.checksums else { return }
        throw .integrity(digest: row.digest, reason: "its bytes in object_blobs fail their checksum")
    }

    // MARK: Writes

    public func storesWhole(length: Int) -> Bool {
        length >= 0 && length < settings.inlineLimit
    }

    @discardableResult
    public func put(_ bytes: [UInt8], expected: Digest?) async throws -> BlobInfo {
        guard UInt64(bytes.count) <= limit else { throw BlobStoreError.tooLarge(limit: limit) }
        let digest = Digest.of(bytes, algorithm: expected?.algorithm ?? .sha256)
        if let expected, expected != digest { throw BlobStoreError.digestMismatch(expected: expected, actual: digest) }
        // A small blob goes straight into its row, whose insert finds an existing one by itself:
        // no lookup first (one round trip less per small push), and no writer to hash it again.
        // A larger one is looked for first, so that it is not sent to the bucket again.
        if bytes.count < settings.inlineLimit {
            let row = ObjectBlobRow(
                digest: digest, size: UInt64(bytes.count), object: nil, inline: bytes, checksums: .of(ByteBuffer(bytes: bytes)))
            if try await index.insert(row, finishing: nil) { rows.insert(row, for: digest) }
            return row.info
        }
        if let existing = try await row(digest) { return existing.info }
        var writer = try newWriter(algorithm: digest.algorithm)
        try await writer.write(ByteBuffer(bytes: bytes))
        return try await store(&writer, as: digest, finishing: nil)
    }

    public func put(expected: Digest, streaming chunk: UploadChunk) async throws -> BlobInfo {
        var writer = try newWriter(algorithm: expected.algorithm)
        do {
            try await chunk.forEach(from: 0) { try await writer.write($0) }
        } catch {
            try? await writer.discard()
            throw error
        }
        return try await commit(&writer, expected: expected, finishing: nil)
    }

    private func newWriter(algorithm: DigestAlgorithm) throws -> ObjectBlobWriter {
        let state = ObjectUploadState.begin(id: BlobStore.newUploadID(), algorithm: algorithm, created: UInt64(time(nil)))
        return try ObjectBlobWriter(resuming: state, client: client, settings: settings, limit: limit)
    }

    // MARK: Upload sessions

    public func beginUpload(algorithm: DigestAlgorithm) async throws -> String {
        let state = ObjectUploadState.begin(id: BlobStore.newUploadID(), algorithm: algorithm, created: UInt64(time(nil)))
        try await uploads.create(state)
        return state.id
    }

    public func uploadOffset(_ id: String) async throws -> UInt64 {
        try await upload(id).received
    }

    public func append(to id: String, at offset: UInt64?, _ chunk: UploadChunk) async throws -> UInt64 {
        var writer = try await writer(id, at: offset)
        let start = writer.received
        // Parts a failed request sent are not counted: the next request sends them again under
        // the same numbers.
        let state: ObjectUploadState
        do {
            try await chunk.forEach(from: start) { try await writer.write($0) }
            state = try await writer.pause()
        } catch {
            await writer.abandon()
            throw error
        }
        guard try await uploads.save(state, from: start) else {
            throw BlobStoreError.uploadBusy(id)
        }
        return state.received
    }

    public func commitUpload(_ id: String, expected: Digest, at offset: UInt64?, finalChunk: UploadChunk) async throws -> BlobInfo {
        var writer = try await writer(id, at: offset)
        do {
            try await finalChunk.forEach(from: writer.received) { try await writer.write($0) }
        } catch {
            await writer.abandon()
            throw error
        }
        return try await commit(&writer, expected: expected, finishing: id)
    }

    public func cancelUpload(_ id: String) async throws {
        let state = try await upload(id)
        try await uploads.delete(id)
        if let multipart = state.multipart {
            try await client.abortMultipartUpload(state.object, uploadID: multipart)
        }
    }

    public func uploadSessions() async throws -> [(id: String, created: UInt64)] {
        try await uploads.sessions()
    }

    private func upload(_ id: String) async throws -> ObjectUploadState {
        guard let state = try await uploads.load(id) else { throw BlobStoreError.uploadUnknown(id) }
        return state
    }

    private func writer(_ id: String, at offset: UInt64?) async throws -> ObjectBlobWriter {
        let state = try await upload(id)
        if let offset, offset != state.received {
            throw BlobStoreError.uploadOutOfOrder(id: id, expected: state.received, received: offset)
        }
        return try ObjectBlobWriter(resuming: state, client: client, settings: settings, limit: limit)
    }

    /// Checks the digest, then stores the blob (or finds it stored already). A mismatch ends the
    /// upload and drops what the bucket holds of it.
    private func commit(_ writer: inout ObjectBlobWriter, expected: Digest, finishing upload: String?) async throws -> BlobInfo {
        var finished: ObjectBlobRow?
        let actual: Digest
        if writer.state.algorithm == expected.algorithm {
            actual = writer.digest()
        } else {
            // A digest in another algorithm than the upload hashed with (a client that asked for
            // one and names another): the bytes are put in place, then read back and hashed.
            let row = try await writer.finish(as: expected)
            finished = row
            actual = try await hash(row, algorithm: expected.algorithm)
        }
        guard actual == expected else {
            if let upload { try await uploads.delete(upload) }
            try? await writer.discard()
            throw BlobStoreError.digestMismatch(expected: expected, actual: actual)
        }
        if let existing = try await row(actual) {
            if let upload { try await uploads.delete(upload) }
            try? await writer.discard()
            return existing.info
        }
        return try await store(&writer, finished, as: actual, finishing: upload)
    }

    /// Records the blob `writer` holds (finishing it first unless `finished`).
    private func store(
        _ writer: inout ObjectBlobWriter, _ finished: ObjectBlobRow? = nil, as digest: Digest, finishing upload: String?
    ) async throws -> BlobInfo {
        let row: ObjectBlobRow
        if let finished { row = finished } else { row = try await writer.finish(as: digest) }
        guard try await index.insert(row, finishing: upload) else {
            // Another upload of the same bytes got its row in first: this copy is surplus.
            if row.object != nil { try? await writer.discard() }
            return row.info
        }
        rows.insert(row, for: digest)
        return row.info
    }

    /// The digest of a stored blob's bytes in `algorithm`, read back from where they are.
    private func hash(_ row: ObjectBlobRow, algorithm: DigestAlgorithm) async throws -> Digest {
        var hasher = DigestHasher(algorithm: algorithm)
        if let inline = row.inline {
            inline.withUnsafeBytes { hasher.update($0) }
        } else if let object = row.object {
            try await readObject(object, row: row, range: 0..<row.size, allocator: ByteBufferAllocator()) { buffer in
                buffer.withUnsafeReadableBytes { hasher.update($0) }
            }
        }
        return hasher.finalize()
    }

    // MARK: Checks

    /// Reads the blob through the checked path (every block against its checksum, which throws
    /// `BlobStoreError.integrity`); with `hashing`, returns the digest of what was read.
    func digest(of digest: Digest, hashing: Bool) async throws -> Digest? {
        guard let row = try await index.lookup(digest) else { throw BlobStoreError.blobUnknown(digest) }
        try Self.checkInline(row)
        guard hashing else {
            if let object = row.object {
                try await readObject(object, row: row, range: 0..<row.size, allocator: ByteBufferAllocator()) { _ in }
            }
            return nil
        }
        return try await hash(row, algorithm: digest.algorithm)
    }

    /// Whether the object `row` describes (from its sidecar) holds exactly the blob: every block
    /// checked and the digest recomputed.
    func verify(_ row: ObjectBlobRow) async throws -> Bool {
        guard let object = row.object, let info = try await client.headObject(object), info.size == row.size else { return false }
        return (try? await hash(row, algorithm: row.digest.algorithm)) == row.digest
    }

    // MARK: Collection

    public func allBlobs() async throws -> [BlobInfo] {
        try await index.all()
    }

    public func remove(_ digests: [Digest]) async throws -> RemovalResult {
        let deleted = try await index.delete(digests)
        var result = RemovalResult()
        for blob in deleted {
            rows.remove(blob.digest)
            result.blobs += 1
            result.bytes += blob.size
            result.bytesFreed += blob.size
        }
        let objects = deleted.compactMap(\.object)
        try await client.deleteObjects(objects + objects.map { $0 + ".sums" })
        return result
    }

    /// Nothing to copy: objects go whole. What may be left is multipart uploads no row names (a
    /// node that died in a monolithic push, or between starting one and saving its row): those
    /// begun over a day ago are aborted, which frees their parts.
    public func compact(deadShare: Double, limits: CompactionLimits, checkpoint: @Sendable (CollectionCheckpoint) -> Void)
        async throws -> CompactionResult
    {
        let named = try await uploads.multipartIDs()
        let dayAgo = UInt64(time(nil)) - 86_400
        for upload in try await client.multipartUploads(prefix: "blobs/") where !named.contains(upload.uploadID) {
            guard let initiated = Self.unixTime(upload.initiated), initiated < dayAgo else { continue }
            try await client.abortMultipartUpload(upload.key, uploadID: upload.uploadID)
        }
        return CompactionResult()
    }

    /// `2026-12-03T15:20:00.000Z` in Unix seconds.
    static func unixTime(_ iso: String) -> UInt64? {
        let fields = iso.split(whereSeparator: { "-T:.Z".contains($0) }).prefix(6).compactMap { Int32($0) }
        guard fields.count == 6 else { return nil }
        var parts = tm()
        parts.tm_year = fields[0] - 1900
        parts.tm_mon = fields[1] - 1
        parts.tm_mday = fields[2]
        parts.tm_hour = fields[3]
        parts.tm_min = fields[4]
        parts.tm_sec = fields[5]
        let seconds = timegm(&parts)
        return seconds < 0 ? nil : UInt64(seconds)
    }
}
