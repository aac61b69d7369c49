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

    /// Whether the blob is linked into the repository, and whether garbage collection has
    /// condemned it, in one statement: what a HEAD or GET asks on a node of a cluster.
    func linkState(_ digest: Digest, in repository: RepositoryName) async throws -> (linked: Bool, condemned: Bool) {
        try await database.read { db in
            try await db.firstRow(
                """
                SELECT EXISTS (SELECT 1 FROM blob_links WHERE repository_id = (\(MetadataRows.repositoryIDQuery)) AND digest = ?2),
                    EXISTS (SELECT 1 FROM condemned_blobs WHERE digest = ?2)
                """,
                [.text(repository.description), .digest(digest)]
            ) { (linked: $0.integer(at: 0) != 0, condemned: $0.integer(at: 1) != 0) } ?? (false, false)
        }
    }
}
