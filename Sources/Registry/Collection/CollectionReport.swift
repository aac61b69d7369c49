/// What one garbage collection run did, or, for a dry run, would do.
public struct CollectionReport: Sendable, Equatable, Codable {
    /// Space a package would get back: blobs only it links (or no package does) that nothing marks.
    public struct PackageReclaim: Sendable, Equatable, Codable {
        /// The package name, or "(unlinked)" for blobs no package links.
        public var package: String
        public var blobs = 0
        public var bytes: UInt64 = 0
    }

    public var dryRun = false
    public var started: Int64 = 0
    public var seconds = 0.0
    /// Seconds each phase took: purged, retained, marked, condemned, removed, compacted.
    public var phaseSeconds: [String: Double] = [:]
    /// Deletions whose restore window had passed, now gone for good.
    public var purged: [PurgedDeletion] = []
    /// Versions retention policies deleted (restorable within the window).
    public var retained: [RetainedVersion] = []
    public var blobs = 0
    public var markedBlobs = 0
    public var markedBytes: UInt64 = 0
    /// Blobs condemned by this run (a dry run: that it would condemn).
    public var condemnedBlobs = 0
    public var condemnedBytes: UInt64 = 0
    /// Blobs deleted: condemned by an earlier run, untouched for the grace period.
    public var deletedBlobs = 0
    public var deletedBytes: UInt64 = 0
    public var packsDeleted = 0
    public var compactedPacks = 0
    public var compactedBlobs = 0
    public var compactedBytes: UInt64 = 0
    /// Upload sessions begun more than the upload expiry ago, cancelled.
    public var expiredUploads = 0
    /// Bytes of pack files deleted by compaction: packs left without a live record, and packs
    /// whose live records were copied out.
    public var bytesFreed: UInt64 = 0
    /// Unmarked blobs by package: what the package's deletion or retention gives back once the
    /// grace period has passed. Dry runs only.
    public var reclaimable: [PackageReclaim] = []
}
