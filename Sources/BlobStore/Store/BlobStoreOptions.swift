/// Tuning of a store; every default works on a laptop.
public struct BlobStoreOptions: Sendable {
    /// A shared pack is sealed once it grows past this.
    public var packSizeLimit: UInt64 = 64 << 20
    /// Blobs of at least this size get a pack of their own (their spool is renamed into place).
    public var soloThreshold: UInt64 = 1 << 20
    /// Largest blob accepted; enforced while an upload streams.
    public var maxBlobSize: UInt64 = 5_000_000_000
    /// Store blobs that shrink by 10% or more as zstd frames (only blobs below `soloThreshold`).
    public var compressSmallBlobs = true
    /// Publish a new index once this many closed packs (sealed shared packs, solo packs) wait
    /// outside it; sealing a shared pack publishes at once. Each publication rewrites the index.
    public var publishAfterClosedPacks = 256
    /// An upload's bytes are made durable, and its state file written, once this many bytes
    /// arrived since the last time, or `uploadCheckpointInterval` passed: not on every request.
    /// A crash loses at most that much of an upload (its status then reports where to resume);
    /// nothing a commit acknowledged. 0 checkpoints every request.
    public var uploadCheckpointBytes: UInt64 = 128 << 20
    public var uploadCheckpointInterval: Duration = .milliseconds(500)

    public init() {}
}
