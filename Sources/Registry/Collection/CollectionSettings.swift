/// How garbage collection runs. Times are seconds.
public struct CollectionSettings: Sendable {
    /// Between scheduled runs; 0 runs only on demand.
    public var interval: Int64 = 3600
    /// How long a condemned blob must go untouched before it is deleted, and how long a freshly
    /// linked blob is kept without a manifest naming it (the time a client may take between
    /// pushing layers and pushing the manifest).
    public var gracePeriod: Int64 = 3600
    /// How long a deleted package or version can be restored; its blobs are kept that long.
    public var restoreWindow: Int64 = 30 * 86_400
    /// An upload session begun longer ago than this is abandoned: its spool is removed.
    public var uploadExpiry: Int64 = 7 * 86_400
    /// A shared pack is compacted once this share of it is dead.
    public var compactDeadShare = 0.5
    /// At most this many bytes are copied by compaction in one run.
    public var compactByteLimit: UInt64 = 1 << 30
    /// Compaction copies at most this many bytes a second, leaving the disk to requests.
    public var compactBytesPerSecond: UInt64 = 64 << 20
    /// Blobs condemned or swept per metadata transaction.
    /// Small, because a push's metadata write waits for the transaction in progress.
    public var sweepBatch = 64
    /// Called at the end of each phase with its name; crash tests stop the process there.
    public var checkpoint: @Sendable (String) -> Void = { _ in }

    public init() {}
}
