import Dispatch

/// Writes one request's bytes into an upload: each chunk goes to the spool at the next offset and
/// through the hasher and block checksums as it passes, so nothing is read back to hash it.
public struct UploadAppender {
    var progress: UploadSession.Progress
    let limit: UInt64
    /// Set when a write failed after its bytes were hashed: the progress no longer matches the
    /// spool, and the upload must be rebuilt from its state file instead of checkpointed.
    private(set) var poisoned = false

    /// Chunks at least this large are copied into the page cache on another thread while this
    /// one hashes them: hashing and copying each run at about the disk's speed, so doing them in
    /// turn would halve it. Smaller chunks are not worth the hand-off.
    static let parallelWriteThreshold = 128 << 10

    init(progress: UploadSession.Progress, limit: UInt64) {
        self.progress = progress
        self.limit = limit
    }

    /// Bytes in the upload so far, this request's included.
    public var offset: UInt64 { progress.received }

    /// Bytes written since the last writeback was started.
    var unflushed: UInt64 = 0

    /// Writeback is started every this many bytes: the disk writes while the hasher works, and
    /// the commit's fdatasync finds little left to do.
    static let writebackInterval: UInt64 = 8 << 20

    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !bytes.isEmpty else { return }
        guard progress.received + UInt64(bytes.count) <= limit else { throw BlobStoreError.tooLarge(limit: limit) }
        let offset = UploadSession.reservedHead + progress.received
        // A small chunk is written before it is hashed, so a failed write leaves the progress
        // as it was; a large one is written while it is hashed.
        let parallel = bytes.count >= Self.parallelWriteThreshold
            ? ParallelWrite(spool: progress.spool, bytes: bytes, offset: offset) : nil
        if parallel == nil { try progress.spool.write(bytes, at: offset) }
        progress.hasher.update(bytes)
        progress.blocks.update(bytes)
        if let error = parallel?.wait() {
            poisoned = true
            throw error
        }
        progress.received += UInt64(bytes.count)
        unflushed += UInt64(bytes.count)
        if unflushed >= Self.writebackInterval {
            let end = offset + UInt64(bytes.count)
            progress.spool.startWriteback((end - unflushed)..<end)
            unflushed = 0
        }
    }

    public mutating func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes({ (raw) in try write(raw) })
    }
}

/// A pwrite running on the blocking-I/O queue while the caller hashes the same bytes.
///
/// Unchecked Sendable: the caller's buffer crosses to the other thread, which only reads it, and
/// `wait()` returns only after that thread is done with it, so the buffer outlives every use.
private final class ParallelWrite: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var error: (any Error)?
    private let bytes: UnsafeRawBufferPointer

    init(spool: SystemFile, bytes: UnsafeRawBufferPointer, offset: UInt64) {
        self.bytes = bytes
        BlockingIO.queue.async { [self] in
            do {
                try spool.write(self.bytes, at: offset)
            } catch {
                self.error = error
            }
            done.signal()
        }
    }

    /// Waits for the write; its error, if it failed.
    func wait() -> (any Error)? {
        done.wait()
        return error
    }
}
