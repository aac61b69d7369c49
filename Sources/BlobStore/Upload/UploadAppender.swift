/// Writes one request's bytes into an upload: each chunk goes to the spool at the next offset and
/// through the hasher and block checksums as it passes, so nothing is read back to hash it.
public struct UploadAppender {
    var progress: UploadSession.Progress
    let limit: UInt64

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
        try progress.spool.write(bytes, at: offset)
        progress.hasher.update(bytes)
        progress.blocks.update(bytes)
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
