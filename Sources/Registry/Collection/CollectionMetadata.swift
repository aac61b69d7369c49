import BlobStore

/// What garbage collection asks of the metadata: its marks, and a durable record of the blobs
/// it has condemned, so that the grace period survives a restart.
public protocol CollectionMetadata: Sendable {
    /// Deletes for good the packages and versions deleted before `cutoff`, whose restore window
    /// has passed; with `dryRun`, only lists them.
    func purgeDeletions(before cutoff: Int64, dryRun: Bool) async throws -> [PurgedDeletion]
    /// The digests collection keeps: every manifest still recorded (live, or deleted at or
    /// after `deletedAfter`), the blobs and index children those name, and blobs linked into a
    /// repository at or after `linkedAfter` (a push whose manifest has not arrived yet).
    func markedBlobs(linkedAfter: Int64, deletedAfter: Int64) async throws -> Set<Digest>
    /// Condemned blobs and when each was condemned.
    func condemnedBlobs() async throws -> [Digest: Int64]
    func condemn(_ digests: [Digest], at time: Int64) async throws
    func revive(_ digests: [Digest]) async throws
    /// In one transaction: of `digests`, those still condemned since before `condemnedBefore`
    /// and still unmarked (see `markedBlobs`) are unlinked from every repository and forgotten;
    /// returns them. The others are revived.
    func sweep(_ digests: [Digest], condemnedBefore: Int64, linkedAfter: Int64) async throws -> [Digest]
    /// The packages each digest is linked into, for reports.
    func linkingPackages() async throws -> [Digest: [String]]
    /// Gives back to the file system the pages the run's deletions freed and the space the
    /// journal grew to meanwhile.
    func shrinkDatabase() async throws
    /// Returns once the request writes waiting for the database now have committed, and then
    /// once the queue has emptied or a few milliseconds have passed: a collection batch rarely
    /// shares a push's transaction, and collection still moves on under a steady load.
    func yieldToRequests() async
    /// Runs a collection unless another node of the cluster runs one now (nil then).
    func exclusively<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T?
}

/// A deletion whose restore window has passed.
public struct PurgedDeletion: Sendable, Equatable, Codable {
    public var package: String
    /// The version, or nil for a whole package.
    public var digest: String?
    public var deleted: Int64
}
