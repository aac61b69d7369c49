import BlobStore
import Synchronization

/// The registry's metadata as SQL over a `Database`: SQLite for one node, PostgreSQL for several.
/// The statements are written once, in the dialect both accept (Database.swift).
public final class SQLMetadataStore: MetadataStore {
    let database: any Database
    /// When each token's last use was last queued for writing, so that `authenticate` writes it
    /// at most once a minute per token (SQLMetadataStore+Accounts.swift).
    let lastUseQueued = Mutex<[String: Int64]>([:])

    public init(database: any Database) {
        self.database = database
    }

    /// The SQLite database at `path` (`DATA/metadata.db`), created and migrated as needed.
    public convenience init(path: String) throws(MetadataError) {
        self.init(database: try SQLiteDatabase(path: path))
    }

    /// The SQLite database at `path`, to read and nothing else (`SQLiteDatabase(readingOnly:)`).
    public convenience init(readingOnly path: String) throws(MetadataError) {
        self.init(database: try SQLiteDatabase(readingOnly: path))
    }

    // MARK: Repositories

    public func repositories(after: RepositoryName?, limit: Int) async throws -> [RepositoryName] {
        try await database.read { db in
            try await db.rows(
                "SELECT name FROM repositories WHERE name > ? AND deletion_id IS NULL ORDER BY name LIMIT ?",
                [.text(after?.description ?? ""), .integer(Int64(limit))]
            ) { row in try row.repositoryName(at: 0) }
        }
    }

    public func repositoryExists(_ repository: RepositoryName) async throws -> Bool {
        try await database.read { db in try await Self.repositoryID(repository, db) != nil }
    }

    // MARK: Blob links

    public func linkBlob(_ digest: Digest, size: UInt64, in repository: RepositoryName) async throws {
        try await database.write { db in
            try await Self.link(digest, size: size, into: Self.createRepository(repository, db), db)
        }
    }

    public func isBlobLinked(_ digest: Digest, in repository: RepositoryName) async throws -> Bool {
        try await database.read { db in
            try await db.firstRow(
                "SELECT 1 FROM blob_links WHERE repository_id = (\(Self.repositoryIDQuery)) AND digest = ?",
                [.text(repository.description), .digest(digest)]
            ) { _ in true } ?? false
        }
    }

    public func unlinkBlob(_ digest: Digest, in repository: RepositoryName) async throws -> Bool {
        try await database.write { db in try await Self.unlink(digest, from: repository, db) }
    }

    // MARK: Manifests and tags

    public func putManifest(_ record: ManifestRecord, tags: [String], in repository: RepositoryName, requiring blobs: [Digest])
        async throws
    {
        try await database.write { db in
            let repositoryID = try await Self.createRepository(repository, db)
            // Checked here, in the transaction that records the references, so that garbage
            // collection's sweep (which unlinks in a transaction of its own) either ran before
            // and the manifest is refused, or runs after and sees the references.
            for blob in blobs {
                guard try await Self.isLinked(blob, in: repositoryID, db) else { throw MissingReference.blob(blob) }
            }
            for child in record.children {
                guard try await Self.liveManifestID(child, in: repositoryID, db) != nil else {
                    throw MissingReference.manifest(child)
                }
            }
            try await Self.revive(blobs + record.children + [record.digest], db)
            let manifestID = try await Self.insertManifest(record, into: repositoryID, db)
            try await Self.link(record.digest, size: record.size, into: repositoryID, db)
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

    public func manifestHead(_ digest: Digest, in repository: RepositoryName) async throws -> ManifestHead? {
        try await database.read { db in
            try await Self.manifestHead(
                "WHERE m.repository_id = (\(Self.repositoryIDQuery)) AND m.digest = ? AND m.deletion_id IS NULL",
                [.text(repository.description), .digest(digest)], db)
        }
    }

    public func manifestHead(tag: String, in repository: RepositoryName) async throws -> ManifestHead? {
        try await database.read { db in
            try await Self.manifestHead(
                "JOIN tags t ON t.manifest_id = m.id WHERE t.repository_id = (\(Self.repositoryIDQuery)) AND t.name = ? AND m.deletion_id IS NULL",
                [.text(repository.description), .text(tag)], db)
        }
    }

    private static func manifestHead(_ clause: String, _ values: [DatabaseValue], _ db: any DatabaseSession) async throws -> ManifestHead?
    {
        try await db.firstRow("SELECT m.digest, m.media_type, m.size FROM manifests m \(clause)", values) { row in
            ManifestHead(digest: try row.digest(at: 0), mediaType: row.text(at: 1), size: UInt64(bitPattern: row.integer(at: 2)))
        }
    }

    public func deleteTag(_ tag: String, in repository: RepositoryName) async throws -> Bool {
        try await database.write { db in
            try await db.run(
                "DELETE FROM tags WHERE repository_id = (\(Self.repositoryIDQuery)) AND name = ?",
                [.text(repository.description), .text(tag)]
            ) > 0
        }
    }

    public func tags(in repository: RepositoryName, after: String?, limit: Int) async throws -> [String] {
        try await database.read { db in
            try await db.rows(
                "SELECT name FROM tags WHERE repository_id = (\(Self.repositoryIDQuery)) AND name > ? ORDER BY name LIMIT ?",
                [.text(repository.description), .text(after ?? ""), .integer(Int64(limit))]
            ) { row in row.text(at: 0) }
        }
    }

    public func tags(of digest: Digest, in repository: RepositoryName) async throws -> [String] {
        try await database.read { db in
            try await db.rows(
                """
                SELECT t.name FROM tags t JOIN manifests m ON m.id = t.manifest_id
                WHERE m.repository_id = (\(Self.repositoryIDQuery)) AND m.digest = ? AND m.deletion_id IS NULL ORDER BY t.name
                """,
                [.text(repository.description), .digest(digest)]
            ) { row in row.text(at: 0) }
        }
    }

    public func referrers(
        of subject: Digest, in repository: RepositoryName, artifactType: String?, after: ReferrerPage.Cursor?, limit: Int,
        annotationBudget: Int
    ) async throws -> ReferrerPage {
        try await database.read { db in
            // Ids first, then one record at a time, so that the budget stops the reading too.
            let ids = try await db.rows(
                """
                SELECT m.id FROM manifests m
                WHERE m.repository_id = (\(Self.repositoryIDQuery)) AND m.subject = ?2 AND m.deletion_id IS NULL
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
                guard let record = try await Self.manifests("WHERE m.id = ?", [.integer(id)], db).first else { continue }
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

    // MARK: Upload sessions

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

    public func deleteUpload(id: String) async throws -> Bool {
        try await database.write { db in try await db.run("DELETE FROM uploads WHERE id = ?", [.text(id)]) > 0 }
    }

    public func finishUpload(id: String, linking digest: Digest, size: UInt64, in repository: RepositoryName) async throws {
        try await database.write { db in
            try await Self.link(digest, size: size, into: Self.createRepository(repository, db), db)
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

    // MARK: Statements shared by several methods; run inside a Database call

    /// The repository id for the name bound to parameter 1, as a subquery.
    static let repositoryIDQuery = "SELECT id FROM repositories WHERE name = ?1"

    static func repositoryID(_ repository: RepositoryName, _ db: any DatabaseSession) async throws -> Int64? {
        try await db.firstRow(repositoryIDQuery, [.text(repository.description)]) { $0.integer(at: 0) }
    }

    private static func createRepository(_ repository: RepositoryName, _ db: any DatabaseSession) async throws
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

    static func isLinked(_ digest: Digest, in repositoryID: Int64, _ db: any DatabaseSession) async throws -> Bool {
        try await db.firstRow(
            "SELECT 1 FROM blob_links WHERE repository_id = ? AND digest = ?", [.integer(repositoryID), .digest(digest)]
        ) { _ in true } ?? false
    }

    static func liveManifestID(_ digest: Digest, in repositoryID: Int64, _ db: any DatabaseSession) async throws -> Int64? {
        try await db.firstRow(
            "SELECT id FROM manifests WHERE repository_id = ? AND digest = ? AND deletion_id IS NULL",
            [.integer(repositoryID), .digest(digest)]
        ) { $0.integer(at: 0) }
    }

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
        for (table, digests) in [("manifest_blobs", record.blobs), ("manifest_children", record.children)] {
            for (position, digest) in digests.enumerated() {
                try await db.run(
                    "INSERT INTO \(table) (manifest_id, position, digest) VALUES (?, ?, ?)",
                    [.integer(id), .integer(Int64(position)), .digest(digest)]
                )
            }
        }
        for (key, value) in record.annotations ?? [:] {
            try await db.run(
                "INSERT INTO manifest_annotations (manifest_id, key, value) VALUES (?, ?, ?)",
                [.integer(id), .text(key), .text(value)]
            )
        }
        return id
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
                    created: row.integer(at: 6), platforms: Self.platforms(row.text(at: 7))
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
}

extension DatabaseRow {
    func digest(at column: Int32) throws(MetadataError) -> Digest {
        try SQLMetadataStore.parseDigest(text(at: column))
    }

    func repositoryName(at column: Int32) throws(MetadataError) -> RepositoryName {
        let text = text(at: column)
        guard let name = try? RepositoryName(parsing: text) else { throw .corruptValue("repository name '\(text)'") }
        return name
    }
}
