import BlobStore

/// Upload sessions: which repository each upload id belongs to, in the database so that every
/// node of a cluster knows them. The bytes are the engine's (`UploadService` orders the two).
public struct UploadStore: Sendable {
    let database: any Database

    public init(database: any Database) {
        self.database = database
    }

    // MARK: Upload sessions

    /// Fails with `.constraint` if the id is taken. Not durable by itself (an upload with no
    /// bytes is not worth an fsync): the next durable write of any request, at the latest the
    /// upload's own finish, takes it to disk. A power failure before that forgets the upload,
    /// and the client, told it is unknown, starts it again.
    public func createUpload(id: String, in repository: RepositoryName) async throws {
        try await database.write(durable: false) { db in
            _ = try await db.run("INSERT INTO uploads (id, repository) VALUES (?, ?)", [.text(id), .text(repository.description)])
        }
    }

    public func uploadRepository(id: String) async throws -> RepositoryName? {
        try await database.read { db in
            try await db.firstRow("SELECT repository FROM uploads WHERE id = ?", [.text(id)]) { row in
                try row.repositoryName(at: 0)
            }
        }
    }

    /// Returns whether the upload existed.
    public func deleteUpload(id: String) async throws -> Bool {
        try await database.write { db in try await db.run("DELETE FROM uploads WHERE id = ?", [.text(id)]) > 0 }
    }

    /// In one transaction: links the finished upload's blob into the repository and forgets the
    /// upload, so that finishing costs one durable commit.
    public func finishUpload(id: String, linking digest: Digest, size: UInt64, in repository: RepositoryName) async throws {
        try await database.write { db in
            try await MetadataRows.link(digest, size: size, into: MetadataRows.createRepository(repository, db), db)
            try await db.run("DELETE FROM uploads WHERE id = ?", [.text(id)])
        }
    }

    public func uploads() async throws -> [(id: String, repository: RepositoryName)] {
        try await database.read { db in
            try await db.rows("SELECT id, repository FROM uploads ORDER BY created, id") { row in
                (id: row.text(at: 0), repository: try row.repositoryName(at: 1))
            }
        }
    }
}
