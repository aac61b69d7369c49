/// One garbage collection run as `collection_runs` keeps it: when, how long, what it did, or
/// why it failed.
public struct CollectionRun: Sendable, Equatable, Codable {
    public var started: Int64
    public var milliseconds: Int64
    /// Why the run stopped, for a failed one.
    public var failure: String?
    public var purged = 0
    public var retained = 0
    public var condemnedBlobs = 0
    public var deletedBlobs = 0
    public var deletedBytes: UInt64 = 0
    public var bytesFreed: UInt64 = 0
}

extension CollectionRun {
    /// The record of a finished run.
    init(_ report: CollectionReport) {
        started = report.started
        milliseconds = Int64(report.seconds * 1000)
        purged = report.purged.count
        retained = report.retained.count
        condemnedBlobs = report.condemnedBlobs
        deletedBlobs = report.deletedBlobs
        deletedBytes = report.deletedBytes
        bytesFreed = report.bytesFreed
    }

}
