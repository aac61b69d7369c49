/// Writes one request's bytes into an upload: each chunk is staged for the spool at the next
/// offset and goes through the hasher and block checksums as it passes, so nothing is read back
/// to hash it. `finish()` puts every byte on file before the caller syncs or commits.
public struct UploadAppender {
    private var progress: UploadSession.Progress
    let limit: UInt64
    private var writer: SpoolWriter
    /// The error of a write that failed: the progress may no longer match the spool, and the
    /// upload must be rebuilt from its state file instead of checkpointed or committed.
    private var poison: (any Error)?

    init(progress: UploadSession.Progress, limit: UInt64) {
        self.progress = progress
        self.limit = limit
        self.writer = SpoolWriter(
            spool: progress.spool, at: UploadSession.reservedHead + progress.received, headIsZero: progress.received == 0)
    }

    /// Bytes in the upload so far, this request's included.
    public var offset: UInt64 { progress.received }

    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !bytes.isEmpty else { return }
        guard progress.received + UInt64(bytes.count) <= limit else { throw BlobStoreError.tooLarge(limit: limit) }
        do {
            try writer.stage(bytes)
        } catch {
            poison = error
            throw error
        }
        progress.hasher.update(bytes)
        progress.blocks.update(bytes)
        progress.received += UInt64(bytes.count)
    }

    public mutating func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes({ (raw) in try write(raw) })
    }

    /// Gives the request's bytes up after a failure: returns once no write of them is in flight.
    mutating func abandon() {
        writer.drain()
    }

    /// Writes whatever is still staged; the progress, whose every byte is now in the spool.
    /// Throws the failed write's error if a body went on after one.
    mutating func finish() throws -> UploadSession.Progress {
        if let poison { throw poison }
        do {
            try writer.flush()
        } catch {
            poison = error
            throw error
        }
        return progress
    }
}
