/// Writes one request's bytes into an upload: each chunk is staged for the spool at the next
/// offset and goes through the hasher and block checksums as it passes, so nothing is read back
/// to hash it. `finish()` puts every byte on file before the caller syncs or commits. A write
/// that must wait for the spool suspends the request's task instead of blocking its thread.
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

    /// Appends `bytes`, a block of the spool at a time: the bytes are borrowed for each block's
    /// copy only, so that the wait for room between blocks can suspend.
    public mutating func write(_ bytes: some UploadBytes) async throws {
        let count = bytes.byteCount
        guard count > 0 else { return }
        guard progress.received + UInt64(count) <= limit else { throw BlobStoreError.tooLarge(limit: limit) }
        do {
            var done = 0
            while done < count {
                try await writer.makeRoom(for: count - done)
                done += try bytes.withBytes { try take(UnsafeRawBufferPointer(rebasing: $0[done...])) }
            }
        } catch {
            // Part of the bytes may be hashed: the poison keeps the progress from being used.
            poison = error
            throw error
        }
    }

    /// Stages and hashes the head of `bytes`, up to the end of the spool's block; returns how
    /// many bytes that was.
    private mutating func take(_ bytes: UnsafeRawBufferPointer) throws -> Int {
        let taken = UnsafeRawBufferPointer(rebasing: bytes[..<(try writer.stage(bytes))])
        progress.hasher.update(taken)
        progress.blocks.update(taken)
        progress.received += UInt64(taken.count)
        return taken.count
    }

    /// Gives the request's bytes up after a failure: returns once no write of them is in flight.
    mutating func abandon() async {
        await writer.drain()
    }

    /// Writes whatever is still staged; the progress, whose every byte is now in the spool.
    /// Throws the failed write's error if a body went on after one.
    mutating func finish() async throws -> UploadSession.Progress {
        if let poison { throw poison }
        do {
            try await writer.flush()
        } catch {
            poison = error
            throw error
        }
        return progress
    }
}
