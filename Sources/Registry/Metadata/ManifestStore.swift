import BlobStore

/// Repositories, manifests with their references, tags and referrers. A manifest PUT checks its
/// blobs and records its references in one transaction; the blob links and the deletions it
/// touches belong to `BlobLinkStore` and `PackageStore`, and the statements they share to
/// `MetadataRows`.
///
/// Every method throws `MetadataError` (or `MissingReference`). A write has returned only once
/// it is durable. Methods are plain `throws`, not `throws(MetadataError)`: Swift 6.3
/// miscompiles async frames with typed throws.
public struct ManifestStore: Sendable {
    let database: any Database

    public init(database: any Database) {
        self.database = database
    }

    // MARK: Repositories

    /// Repository names in lexical order, strictly after `after`: a page of `/v2/_catalog`.
    public func repositories(after: RepositoryName?, limit: Int) async throws -> [RepositoryName] {
        try await database.read { db in
            try await db.rows(
                "SELECT name FROM repositories WHERE name > ? AND deletion_id IS NULL ORDER BY name LIMIT ?",
                [.text(after?.description ?? ""), .integer(Int64(limit))]
            ) { row in try row.repositoryName(at: 0) }
        }
    }

    public func repositoryExists(_ repository: RepositoryName) async throws -> Bool {
        try await database.read { db in try await MetadataRows.repositoryID(repository, db) != nil }
    }

    // MARK: Manifests and tags

    /// In one transaction: checks that every digest of `blobs` is linked in the repository and
    /// every index child is a live manifest there (else throws `MissingReference`), revives them
    /// if garbage collection condemned them, records the manifest unless the repository already
    /// has it (the digest is the identity, so a second put changes nothing), links its digest as
    /// a blob of the repository, and points each tag at it, moving tags that pointed elsewhere.
    public func putManifest(_ record: ManifestRecord, tags: [String], in repository: RepositoryName, requiring blobs: [Digest])
        async throws
    {
        try await database.write { db in
            let repositoryID = try await MetadataRows.createRepository(repository, db)
            // Checked here, in the transaction that records the references, so that garbage
            // collection's sweep (which unlinks in a transaction of its own) either ran before
            // and the manifest is refused, or runs after and sees the references.
            let linked = try await MetadataRows.found(
                blobs, { "SELECT digest FROM blob_links WHERE repository_id = ? AND digest IN (\($0))" }, [.integer(repositoryID)], db)
            if let missing = blobs.first(where: { !linked.contains($0) }) { throw MissingReference.blob(missing) }
            let live = try await MetadataRows.found(
                record.children, { "SELECT digest FROM manifests WHERE repository_id = ? AND deletion_id IS NULL AND digest IN (\($0))" },
                [.integer(repositoryID)], db)
            if let missing = record.children.first(where: { !live.contains($0) }) { throw MissingReference.manifest(missing) }
            try await MetadataRows.revive(blobs + record.children + [record.digest], db)
            let manifestID = try await Self.insertManifest(record, into: repositoryID, db)
            try await MetadataRows.link(record.digest, size: record.size, into: repositoryID, db)
            for tag in tags {
                try await db.run(
                    """
                    INSERT INTO tags (repository_id, name, manifest_id) VALUES (?, ?, ?)
                    ON CONFLICT (repository_id, name) DO UPDATE
                    SET manifest_id = excluded.manifest_id, updated = excluded.updated
                    WHERE tags.manifest_id != excluded.manifest_id
                    """,
                    [.integer(repositoryID), .text(tag), .integer(manifestID)]
                )
            }
        }
    }

    /// The live manifest with this digest in the repository, as a GET serves it.
    public func manifestHead(_ digest: Digest, in repository: RepositoryName) async throws -> ManifestHead? {
        try await database.read { db in
            try await Self.manifestHead(
                "WHERE m.repository_id = (\(MetadataRows.repositoryIDQuery)) AND m.digest = ? AND m.deletion_id IS NULL",
                [.text(repository.description), .digest(digest)], db)
        }
    }

    /// The live manifest the tag points at, as a GET serves it.
    public func manifestHead(tag: String, in repository: RepositoryName) async throws -> ManifestHead? {
        try await database.read { db in
            try await Self.manifestHead(
                "JOIN tags t ON t.manifest_id = m.id WHERE t.repository_id = (\(MetadataRows.repositoryIDQuery)) AND t.name = ? AND m.deletion_id IS NULL",
                [.text(repository.description), .text(tag)], db)
        }
    }

    private static func manifestHead(_ clause: String, _ values: [DatabaseValue], _ db: any DatabaseSession) async throws -> ManifestHead?
    {
        try await db.firstRow("SELECT m.digest, m.media_type, m.size FROM manifests m \(clause)", values) { row in
            ManifestHead(digest: try row.digest(at: 0), mediaType: row.text(at: 1), size: UInt64(bitPattern: row.integer(at: 2)))
        }
    }

    /// Returns whether the tag existed.
    public func deleteTag(_ tag: String, in repository: RepositoryName) async throws -> Bool {
        try await database.write { db in
            try await db.run(
                "DELETE FROM tags WHERE repository_id = (\(MetadataRows.repositoryIDQuery)) AND name = ?",
                [.text(repository.description), .text(tag)]
            ) > 0
        }
    }

    /// Tags in lexical order, strictly after `after`: a page of the tags list.
    public func tags(in repository: RepositoryName, after: String?, limit: Int) async throws -> [String] {
        try await database.read { db in
            try await db.rows(
                "SELECT name FROM tags WHERE repository_id = (\(MetadataRows.repositoryIDQuery)) AND name > ? ORDER BY name LIMIT ?",
                [.text(repository.description), .text(after ?? ""), .integer(Int64(limit))]
            ) { row in row.text(at: 0) }
        }
    }

    /// The tags pointing at a manifest, in lexical order.
    public func tags(of digest: Digest, in repository: RepositoryName) async throws -> [String] {
        try await database.read { db in
            try await db.rows(
                """
                SELECT t.name FROM tags t JOIN manifests m ON m.id = t.manifest_id
                WHERE m.repository_id = (\(MetadataRows.repositoryIDQuery)) AND m.digest = ? AND m.deletion_id IS NULL ORDER BY t.name
                """,
                [.text(repository.description), .digest(digest)]
            ) { row in row.text(at: 0) }
        }
    }

    /// A page of the repository's manifests whose subject is `subject`, optionally of one
    /// artifact type: at most `limit` records after `after`, and no more once their annotations
    /// pass `annotationBudget` bytes (a page holds at least one record).
    public func referrers(
        of subject: Digest, in repository: RepositoryName, artifactType: String?, after: ReferrerPage.Cursor?, limit: Int,
        annotationBudget: Int
    ) async throws -> ReferrerPage {
        try await database.read { db in
            // Ids first, then one record at a time, so that the budget stops the reading too.
            let ids = try await db.rows(
                """
                SELECT m.id FROM manifests m
                WHERE m.repository_id = (\(MetadataRows.repositoryIDQuery)) AND m.subject = ?2 AND m.deletion_id IS NULL
                AND (CAST(?3 AS TEXT) IS NULL OR m.artifact_type = ?3) AND (CAST(?4 AS BIGINT) IS NULL OR (m.created, m.digest) > (?4, ?5))
                ORDER BY m.created, m.digest LIMIT ?6
                """,
                [.text(repository.description), .digest(subject), .optionalText(artifactType),
                 after.map { .integer($0.created) } ?? .null, after.map { .digest($0.digest) } ?? .null,
                 .integer(Int64(clamping: limit) &+ 1)]
            ) { $0.integer(at: 0) }
            var page = ReferrerPage(records: [], next: nil)
            var bytes = 0
            for id in ids.prefix(limit) {
                guard let record = try await MetadataRows.manifests("WHERE m.id = ?", [.integer(id)], db).first else { continue }
                bytes += ReferrerPage.annotationBytes(record)
                if !page.records.isEmpty && bytes > annotationBudget { break }
                page.records.append(record)
            }
            // One more id than the page took: there is a next page.
            if page.records.count < ids.count, let last = page.records.last {
                page.next = ReferrerPage.Cursor(created: last.created, digest: last.digest)
            }
            return page
        }
    }

    // MARK: Statements

    /// Inserts the manifest and its references unless the repository has it already; either way
    /// returns its row id. Pushing a deleted version again brings it back as it is now: its
    /// deletion no longer applies to it.
    private static func insertManifest(_ record: ManifestRecord, into repositoryID: Int64, _ db: any DatabaseSession) async throws -> Int64
    {
        if let id = try await db.firstRow(
            "SELECT id FROM manifests WHERE repository_id = ? AND digest = ?",
            [.integer(repositoryID), .digest(record.digest)],
            { $0.integer(at: 0) }
        ) {
            try await db.run("DELETE FROM deleted_tags WHERE manifest_id = ?", [.integer(id)])
            try await db.run("UPDATE manifests SET deletion_id = NULL WHERE id = ?", [.integer(id)])
            return id
        }
        let id = try await db.firstRow(
            """
            INSERT INTO manifests (repository_id, digest, media_type, size, artifact_type, subject, created, platforms)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
            """,
            [
                .integer(repositoryID), .digest(record.digest), .text(record.mediaType), .size(record.size),
                .optionalText(record.artifactType), .digest(record.subject), .integer(record.created),
                .text(record.platforms.joined(separator: ",")),
            ]
        ) { $0.integer(at: 0) } ?? 0
        // Many rows to a statement: one round trip each on PostgreSQL, not one a row.
        for (table, digests) in [("manifest_blobs", record.blobs), ("manifest_children", record.children)] {
            for chunk in MetadataRows.chunks(Array(digests.enumerated()), size: 150) {
                try await db.run(
                    "INSERT INTO \(table) (manifest_id, position, digest) VALUES \(Array(repeating: "(?, ?, ?)", count: chunk.count).joined(separator: ", "))",
                    chunk.flatMap { [.integer(id), .integer(Int64($0.offset)), .digest($0.element)] }
                )
            }
        }
        for chunk in MetadataRows.chunks((record.annotations ?? [:]).sorted { $0.key < $1.key }, size: 150) {
            try await db.run(
                "INSERT INTO manifest_annotations (manifest_id, key, value) VALUES \(Array(repeating: "(?, ?, ?)", count: chunk.count).joined(separator: ", "))",
                chunk.flatMap { [.integer(id), .text($0.key), .text($0.value)] }
            )
        }
        return id
    }
}

/// A reference a manifest PUT names that the repository does not hold.
public enum MissingReference: Error, Sendable, Equatable {
    case blob(Digest)
    case manifest(Digest)
}
