import BlobStore

/// Which blobs each repository holds: a blob is visible in a repository only if it is linked
/// there, so that knowing a digest never lets a client read another repository's data.
public struct BlobLinkStore: Sendable {
    let database: any Database

    public init(database: any Database) {
        self.database = database
    }

    // MARK: Blob links

    /// Links a blob into a repository, creating the repository if needed. Idempotent.
    public func linkBlob(_ digest: Digest, size: UInt64, in repository: RepositoryName) async throws {
        try await database.write { db in
            try await MetadataRows.link(digest, size: size, into: MetadataRows.createRepository(repository, db), db)
        }
    }

    public func isBlobLinked(_ digest: Digest, in repository: RepositoryName) async throws -> Bool {
        try await database.read { db in
            try await db.firstRow(
                "SELECT 1 FROM blob_links WHERE repository_id = (\(MetadataRows.repositoryIDQuery)) AND digest = ?",
                [.text(repository.description), .digest(digest)]
            ) { _ in true } ?? false
        }
    }

    /// Returns whether the link existed.
    public func unlinkBlob(_ digest: Digest, in repository: RepositoryName) async throws -> Bool {
        try await database.write { db in try await MetadataRows.unlink(digest, from: repository, db) }
    }
}
