/// Where the registry keeps its metadata and blobs in a test: the data directory (SQLite and
/// packs), PostgreSQL with the packs, or a cluster's PostgreSQL and S3 bucket (radosgw). The
/// metadata store tests run on the two databases; the HTTP integration and end-to-end tests on
/// all three.
public enum DatabaseBackend: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite, postgres
    /// PostgreSQL for the metadata, a fresh bucket on the test radosgw for the blobs.
    case cluster

    public var description: String { rawValue }

    /// The two databases, for tests of the metadata alone.
    public static let databases: [DatabaseBackend] = [.sqlite, .postgres]

    /// Whether blobs live in the data directory's packs (tests that look at the files need them).
    public var hasPacks: Bool { self != .cluster }

    /// `stowage serve` (or admin command) arguments that put the metadata on this backend: none
    /// for SQLite (the data directory's file), a fresh database on the test server otherwise.
    public func serveArguments() async throws -> [String] {
        self == .sqlite ? [] : ["--metadata-url", try await PostgresTestCluster.createDatabase()]
    }

    /// The environment `stowage serve` needs besides: a fresh bucket's settings for a cluster.
    public func serveEnvironment() async throws -> [String: String] {
        guard self == .cluster else { return [:] }
        return try await RadosgwTestCluster.freshBucket().environment
    }
}
