/// What `StoreChecker` found: the findings, the blobs that have no good copy left, and the blobs
/// that do, readable for the references check.
public struct StoreReport: Sendable {
    public struct Statistics: Sendable, Codable, Equatable {
        public var packs = 0
        public var records = 0
        /// Blobs with a good copy.
        public var blobs = 0
        public var quarantined = 0
        /// Records collection deleted that are still in their packs (until compaction).
        public var deleted = 0
        /// Bytes of pack files.
        public var storedBytes: UInt64 = 0
        /// Payload bytes checked against their XXH3s (scrub and verify).
        public var bytesScrubbed: UInt64 = 0
        public var blobsHashed = 0
        /// Blob bytes checked against their digests (verify).
        public var bytesHashed: UInt64 = 0
        public var seconds = 0.0
    }

    public let level: CheckLevel
    public let findings: [StoreFinding]
    /// Blobs the store knew of (an index or a record names them) with no good copy left.
    public let lost: [Digest]
    public let contents: StoreContents
    public let statistics: Statistics
    /// The live server holding the directory while it was checked, if any.
    public let holder: LockHolder?
    /// What the repair works from.
    let state: CheckState

    public var isClean: Bool { findings.isEmpty }
}
