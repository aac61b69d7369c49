import BlobStore

/// Statements several stores share, run inside a `Database` call: finding and creating a
/// repository, linking a blob, reading manifests with their references, reviving condemned
/// blobs. Shared SQL, not a store: it holds no state and opens no transaction.
enum MetadataRows {
    /// The repository id for the name bound to parameter 1, as a subquery.
    static let repositoryIDQuery = "SELECT id FROM repositories WHERE name = ?1"

    static func repositoryID(_ repository: RepositoryName, _ db: any DatabaseSession) async throws -> Int64? {
        try await db.firstRow(repositoryIDQuery, [.text(repository.description)]) { $0.integer(at: 0) }
    }

    static func createRepository(_ repository: RepositoryName, _ db: any DatabaseSession) async throws
        -> Int64
    {
        if let id = try await repositoryID(repository, db) { return id }
        return try await db.firstRow(
            "INSERT INTO repositories (name) VALUES (?) RETURNING id", [.text(repository.description)]
        ) { $0.integer(at: 0) } ?? 0
    }

    static func link(_ digest: Digest, size: UInt64, into repositoryID: Int64, _ db: any DatabaseSession) async throws
    {
        try await db.run(
            "INSERT INTO blob_links (repository_id, digest, size) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            [.integer(repositoryID), .digest(digest), .size(size)]
        )
    }

    @discardableResult
    static func unlink(_ digest: Digest, from repository: RepositoryName, _ db: any DatabaseSession) async throws -> Bool
    {
        try await db.run(
            "DELETE FROM blob_links WHERE repository_id = (\(repositoryIDQuery)) AND digest = ?",
            [.text(repository.description), .digest(digest)]
        ) > 0
    }

    static func liveManifestID(_ digest: Digest, in repositoryID: Int64, _ db: any DatabaseSession) async throws -> Int64? {
        try await db.firstRow(
            "SELECT id FROM manifests WHERE repository_id = ? AND digest = ? AND deletion_id IS NULL",
            [.integer(repositoryID), .digest(digest)]
        ) { $0.integer(at: 0) }
    }

    /// Manifests of `manifests m` selected by `clause`, with their references.
    static func manifests(_ clause: String, _ values: [DatabaseValue], _ db: any DatabaseSession) async throws -> [ManifestRecord]
    {
        let rows = try await db.rows(
            "SELECT m.id, m.digest, m.media_type, m.size, m.artifact_type, m.subject, m.created, m.platforms FROM manifests m \(clause)",
            values
        ) { row in
            (
                id: row.integer(at: 0),
                record: ManifestRecord(
                    digest: try row.digest(at: 1), mediaType: row.text(at: 2),
                    size: UInt64(bitPattern: row.integer(at: 3)), artifactType: row.optionalText(at: 4),
                    subject: try row.optionalText(at: 5).map { (text) in try parseDigest(text) },
                    created: row.integer(at: 6), platforms: MetadataRows.platforms(row.text(at: 7))
                )
            )
        }
        var records: [ManifestRecord] = []
        for row in rows {
            var record = row.record
            let byID: [DatabaseValue] = [.integer(row.id)]
            record.blobs = try await db.rows("SELECT digest FROM manifest_blobs WHERE manifest_id = ? ORDER BY position", byID) {
                row in try row.digest(at: 0)
            }
            record.children = try await db.rows(
                "SELECT digest FROM manifest_children WHERE manifest_id = ? ORDER BY position", byID
            ) { row in try row.digest(at: 0) }
            let annotations = try await db.rows("SELECT key, value FROM manifest_annotations WHERE manifest_id = ?", byID) {
                row in (row.text(at: 0), row.text(at: 1))
            }
            record.annotations = annotations.isEmpty ? nil : Dictionary(uniqueKeysWithValues: annotations)
            records.append(record)
        }
        return records
    }

    static func platforms(_ column: String) -> [String] {
        column.isEmpty ? [] : column.split(separator: ",").map(String.init)
    }

    static func parseDigest(_ text: String) throws(MetadataError) -> Digest {
        guard let digest = Digest(text) else { throw .corruptValue("digest '\(text)'") }
        return digest
    }

    /// Takes the digests off the condemned list: something touched them.
    static func revive(_ digests: [Digest], _ db: any DatabaseSession) async throws {
        for chunk in chunks(digests) {
            // A blob being swept stays so: its links are gone, and its bytes are going.
            try await db.run(
                "DELETE FROM condemned_blobs WHERE sweeping IS NULL AND digest IN (\(placeholders(chunk.count)))", chunk.map { .digest($0) })
        }
    }

    /// Of `digests`, those the query (whose last parameters are the digests' `IN` list) finds,
    /// asked in chunks: one round trip per chunk rather than per digest.
    static func found(
        _ digests: [Digest], _ query: (String) -> String, _ leading: [DatabaseValue], _ db: any DatabaseSession
    ) async throws -> Set<Digest> {
        var found = Set<Digest>()
        for chunk in chunks(digests) {
            try await db.forEachRow(query(placeholders(chunk.count)), leading + chunk.map { .digest($0) }) { row in
                found.insert(try row.digest(at: 0))
            }
        }
        return found
    }

    /// At most 500 parameters a statement, far below either database's limit (SQLite's 32,766).
    static func chunks<T>(_ values: [T], size: Int = 500) -> [ArraySlice<T>] {
        stride(from: 0, to: values.count, by: size).map { values[$0..<min($0 + size, values.count)] }
    }

    /// `?, ?, ?` for `count` parameters.
    static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ", ")
    }
}

extension DatabaseRow {
    func digest(at column: Int32) throws(MetadataError) -> Digest {
        try MetadataRows.parseDigest(text(at: column))
    }

    func repositoryName(at column: Int32) throws(MetadataError) -> RepositoryName {
        let text = text(at: column)
        guard let name = try? RepositoryName(parsing: text) else { throw .corruptValue("repository name '\(text)'") }
        return name
    }
}
