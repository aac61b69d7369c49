import BlobStore
import NIOCore
import ObjectStore

/// Streams one upload's bytes into the bucket: hashed once as they arrive, sent as multipart
/// parts of whole MiB as soon as a part's worth is in, so that no node holds more than a few parts
/// of a blob: `partsInFlight` on their way to the store while the next comes in from the client
/// (radosgw here took 16 MiB parts two at a time 1.2x faster than one at a time). Between
/// requests, what did not make a part (the tail) and the hash state go into the upload's row;
/// the next request, on any node, resumes from them.
struct ObjectBlobWriter {
    private(set) var state: ObjectUploadState
    private var hasher: DigestHasher
    /// Received bytes not in a part yet.
    private var pending: ByteBuffer
    /// Whether a finish put the object (or may have, before failing): only then has `discard`
    /// anything to delete.
    private var wroteObject = false
    /// The parts on their way to the store, in order; recorded in `state.parts` once there.
    private var inFlight: [Task<S3Part, any Error>] = []
    private let client: S3Client
    private let settings: ObjectStorageSettings
    private let limit: UInt64

    /// S3 takes parts of at least 5 MiB, but for the last.
    static let minimumPart = 5 << 20

    init(resuming state: ObjectUploadState, client: S3Client, settings: ObjectStorageSettings, limit: UInt64) throws {
        self.state = state
        hasher = try DigestHasher(algorithm: state.algorithm, restoring: state.hashState)
        pending = ByteBuffer(bytes: state.tail)
        self.client = client
        self.settings = settings
        self.limit = limit
    }

    var received: UInt64 { state.received }

    mutating func write(_ buffer: ByteBuffer) async throws {
        guard state.received + UInt64(buffer.readableBytes) <= limit else { throw BlobStoreError.tooLarge(limit: limit) }
        buffer.withUnsafeReadableBytes { hasher.update($0) }
        state.received += UInt64(buffer.readableBytes)
        pending.writeImmutableBuffer(buffer)
        while pending.readableBytes >= settings.partSize {
            try await sendPart(settings.partSize)
        }
    }

    /// The end of a request that does not end the upload: whole MiB go out as a part if there
    /// are enough for one, and the rest stays as the tail. Returns the state to save.
    mutating func pause() async throws -> ObjectUploadState {
        let whole = (pending.readableBytes >> BlockChecksums.blockShift) << BlockChecksums.blockShift
        if whole >= Self.minimumPart { try await sendPart(whole) }
        try await settle(keeping: 0)
        state.tail = Array(pending.readableBytesView)
        state.hashState = hasher.exportState()
        return state
    }

    /// The digest of everything received.
    func digest() -> Digest { hasher.finalize() }

    /// Puts the blob in place once every byte is in and checked: in a row (small, no part sent),
    /// one object by one PUT (no part sent), or the multipart upload completed; then the sidecar.
    /// Returns the row to record.
    mutating func finish(as digest: Digest) async throws -> ObjectBlobRow {
        if state.multipart == nil {
            let checksums = BlockChecksums.of(pending)
            if state.received < UInt64(settings.inlineLimit) {
                return ObjectBlobRow(
                    digest: digest, size: state.received, object: nil, inline: Array(pending.readableBytesView), checksums: checksums)
            }
            wroteObject = true
            try await replace(state.object, with: pending)
            state.checksums = checksums
        } else {
            if pending.readableBytes > 0 { try await sendPart(pending.readableBytes) }
            try await settle(keeping: 0)
            wroteObject = true
            try await client.completeMultipartUpload(state.object, uploadID: state.multipart ?? "", parts: state.parts)
        }
        let row = ObjectBlobRow(digest: digest, size: state.received, object: state.object, inline: nil, checksums: state.checksums)
        try await replace(state.object + ".sums", with: ByteBuffer(bytes: ChecksumSidecar.encode(row)))
        return row
    }

    /// Writes `key` once. If it is there, an earlier finish of this upload wrote it and failed
    /// before the blob's row (no row can name an upload's object while its upload lives): it is
    /// replaced, since this finish may carry other bytes.
    private func replace(_ key: String, with body: ByteBuffer) async throws {
        do {
            try await client.putObject(key, body: body)
        } catch let error as S3Error where error.kind == .preconditionFailed {
            try await client.deleteObject(key)
            try await client.putObject(key, body: body)
        }
    }

    /// Drops what the bucket holds of this upload: its multipart upload, or the object and
    /// sidecar a finish wrote before its row was refused.
    func discard() async throws {
        await abandon()
        if let multipart = state.multipart {
            try await client.abortMultipartUpload(state.object, uploadID: multipart)
        }
        if wroteObject { try await client.deleteObjects([state.object, state.object + ".sums"]) }
    }

    /// Starts sending the next `count` bytes as a part, once there is room among the parts on
    /// their way.
    private mutating func sendPart(_ count: Int) async throws {
        guard let part = pending.readSlice(length: count) else { return }
        if state.multipart == nil {
            state.multipart = try await client.createMultipartUpload(state.object)
        }
        try await settle(keeping: settings.partsInFlight - 1)
        let number = state.parts.count + inFlight.count + 1
        state.checksums.append(part)
        let client = client, key = state.object, upload = state.multipart ?? ""
        inFlight.append(Task { S3Part(number: number, etag: try await client.uploadPart(key, uploadID: upload, number: number, body: part)) })
        pending.discardReadBytes()
    }

    /// Stops the parts on their way, if any, and waits until they have stopped: after a failed
    /// request, whose parts are not recorded, none may land after the next request's part of the
    /// same number (S3 would then refuse the completion, the ETags differing).
    func abandon() async {
        for part in inFlight { part.cancel() }
        for part in inFlight { _ = await part.result }
    }

    /// Waits for the oldest parts on their way until at most `keeping` are, and records them.
    private mutating func settle(keeping: Int) async throws {
        while inFlight.count > keeping {
            state.parts.append(try await inFlight.removeFirst().value)
        }
    }
}
