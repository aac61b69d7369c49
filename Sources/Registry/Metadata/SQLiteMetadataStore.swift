import BlobStore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The metadata store of a single-node registry: one SQLite file (the caller passes e.g.
/// `DATA/metadata.db`) in WAL mode with `synchronous=FULL`, so a write that returned is on disk.
///
/// Writes go through one connection with group commit (`SQLiteWriter`); reads through a second,
/// read-only connection (`SQLiteReader`). Both run SQLite's blocking calls on their own dispatch
/// queues, off the cooperative pool.
public final class SQLiteMetadataStore: MetadataStore {
    let path: String
    let writer: SQLiteWriter
    /// Lookups that answer requests: each is a few indexed rows.
    let reader: SQLiteReader
    /// Scans over whole tables (garbage collection, retention, package listings, fsck's
    /// references check) on a connection of their own and on the low-priority background
    /// thread, so that a request's lookup never waits behind one and requests keep the CPU.
    let scanner: SQLiteReader
    /// When each token's last use was last queued for writing, so that `authenticate` writes it
    /// at most once a minute per token (SQLiteMetadataStore+Accounts.swift).
    let lastUseQueued = Mutex<[String: Int64]>([:])

    /// Opens the database, creating and migrating it as needed. Migrations run before the reader
    /// opens, so that it never sees an older schema.
    public init(path: String) throws(MetadataError) {
        let writeConnection = try SQLiteConnection(path: path, readOnly: false)
        try writeConnection.execute(
            // The busy timeout first: switching to WAL waits on a connection that another process
            // (the server, an admin command, stowage-fsck) is opening or closing. auto_vacuum
            // takes effect only on a new database, before its first table: garbage collection
            // then gives the pages its deletions free back to the file system.
            "PRAGMA busy_timeout = 5000; PRAGMA auto_vacuum = INCREMENTAL; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON"
        )
        try SQLiteMigrations.migrate(writeConnection)
        self.path = path
        writer = SQLiteWriter(connection: writeConnection)
        reader = SQLiteReader(connection: try Self.readOnlyConnection(path))
        scanner = SQLiteReader(connection: try Self.readOnlyConnection(path), on: .shared)
    }

    /// Opens an existing database to read it and nothing else, as stowage-fsck's checks do: no
    /// journal mode is set, no migration runs, and a database at a schema other than this
    /// build's is refused (`schemaTooOld`, `schemaTooNew`). Every connection is read-only, the
    /// writer's too, so a write fails rather than happen.
    ///
    /// Beside a running server (its `-wal` is there) it reads through the WAL as any reader does.
    /// Without a `-wal` (no server has it open; its last close checkpointed) it opens the file
    /// immutable: SQLite would otherwise create a `-wal` and `-shm` beside it, and leave them,
    /// even for a read-only connection, and in a read-only directory it could not open at all.
    public init(readingOnly path: String) throws(MetadataError) {
        let uri = SQLiteConnection.fileURI(path, immutable: access(path + "-wal", F_OK) != 0)
        func open() throws(MetadataError) -> SQLiteConnection {
            let connection = try SQLiteConnection(uri: uri)
            try connection.execute("PRAGMA busy_timeout = 5000")
            return connection
        }
        let first = try open()
        let version = try first.firstRow("PRAGMA user_version") { Int($0.integer(at: 0)) } ?? 0
        let supported = SQLiteMigrations.latestVersion
        if version > supported { throw .schemaTooNew(version: version, supported: supported) }
        if version < supported { throw .schemaTooOld(version: version, supported: supported) }
        self.path = path
        writer = SQLiteWriter(connection: first)
        reader = SQLiteReader(connection: try open())
        scanner = SQLiteReader(connection: try open(), on: .shared)
    }

    private static func readOnlyConnection(_ path: String) throws(MetadataError) -> SQLiteConnection {
        let connection = try SQLiteConnection(path: path, readOnly: true)
        try connection.execute("PRAGMA busy_timeout = 5000")
        return connection
    }

    // MARK: Repositories

    public func repositories(after: RepositoryName?, limit: Int) async throws -> [RepositoryName] {
        try await reader.read { db in
            try db.rows(
                "SELECT name FROM repositories WHERE name > ? AND deletion_id IS NULL ORDER BY name LIMIT ?",
                [.text(after?.description ?? ""), .integer(Int64(limit))]
            ) { row throws(MetadataError) in try row.repositoryName(at: 0) }
        }
    }

    public func repositoryExists(_ repository: RepositoryName) async throws -> Bool {
        try await reader.read { db in try Self.repositoryID(repository, db) != nil }
    }

    // MARK: Blob links

    public func linkBlob(_ digest: Digest, size: UInt64, in repository: RepositoryName) async throws {
        try await writer.write { db in
            try Self.link(digest, size: size, into: Self.createRepository(repository, db), db)
        }
    }

    public func isBlobLinked(_ digest: Digest, in repository: RepositoryName) async throws -> Bool {
        try await reader.read { db in
            try db.firstRow(
                "SELECT 1 FROM blob_links WHERE repository_id = (\(Self.repositoryIDQuery)) AND digest = ?",
                [.text(repository.description), .digest(digest)]
            ) { _ in true } ?? false
        }
    }

    public func unlinkBlob(_ digest: Digest, in repository: RepositoryName) async throws -> Bool {
        try await writer.write { db in try Self.unlink(digest, from: repository, db) }
    }

    // MARK: Manifests and tags

    public func putManifest(_ record: ManifestRecord, tags: [String], in repository: RepositoryName, requiring blobs: [Digest])
        async throws
    {
        try await writer.write { db in
            let repositoryID = try Self.createRepository(repository, db)
            // Checked here, in the transaction that records the references, so that garbage
            // collection's sweep (which unlinks in a transaction of its own) either ran before
            // and the manifest is refused, or runs after and sees the references.
            for blob in blobs where try !Self.isLinked(blob, in: repositoryID, db) {
                throw MissingReference.blob(blob)
            }
            for child in record.children where try Self.liveManifestID(child, in: repositoryID, db) == nil {
                throw MissingReference.manifest(child)
            }
            try Self.revive(blobs + record.children + [record.digest], db)
            let manifestID = try Self.insertManifest(record, into: repositoryID, db)
            try Self.link(record.digest, size: record.size, into: repositoryID, db)
            for tag in tags {
                try db.run(
                    """
                    INSERT INTO tags (repository_id, name, manifest_id) VALUES (?, ?, ?)
                    ON CONFLICT (repository_id, name) DO UPDATE
                    SET manifest_id = excluded.manifest_id, updated = excluded.updated
                    WHERE manifest_id != excluded.manifest_id
                    """,
                    [.integer(repositoryID), .text(tag), .integer(manifestID)]
                )
            }
        }
    }

    public func manifestHead(_ digest: Digest, in repository: RepositoryName) async throws -> ManifestHead? {
        try await reader.read { db in
            try Self.manifestHead(
                "WHERE m.repository_id = (\(Self.repositoryIDQuery)) AND m.digest = ? AND m.deletion_id IS NULL",
                [.text(repository.description), .digest(digest)], db)
        }
    }

    public func manifestHead(tag: String, in repository: RepositoryName) async throws -> ManifestHead? {
        try await reader.read { db in
            try Self.manifestHead(
                "JOIN tags t ON t.manifest_id = m.id WHERE t.repository_id = (\(Self.repositoryIDQuery)) AND t.name = ? AND m.deletion_id IS NULL",
                [.text(repository.description), .text(tag)], db)
        }
    }

    private static func manifestHead(_ clause: String, _ values: [SQLiteValue], _ db: SQLiteConnection)
        throws(MetadataError) -> ManifestHead?
    {
        try db.firstRow("SELECT m.digest, m.media_type, m.size FROM manifests m \(clause)", values) { row throws(MetadataError) in
            ManifestHead(digest: try row.digest(at: 0), mediaType: row.text(at: 1), size: UInt64(bitPattern: row.integer(at: 2)))
        }
    }

    public func deleteTag(_ tag: String, in repository: RepositoryName) async throws -> Bool {
        try await writer.write { db in
            try db.run(
                "DELETE FROM tags WHERE repository_id = (\(Self.repositoryIDQuery)) AND name = ?",
                [.text(repository.description), .text(tag)]
            ) > 0
        }
    }

    public func tags(in repository: RepositoryName, after: String?, limit: Int) async throws -> [String] {
        try await reader.read { db in
            try db.rows(
                "SELECT name FROM tags WHERE repository_id = (\(Self.repositoryIDQuery)) AND name > ? ORDER BY name LIMIT ?",
                [.text(repository.description), .text(after ?? ""), .integer(Int64(limit))]
            ) { row throws(MetadataError) in row.text(at: 0) }
        }
    }

    public func tags(of digest: Digest, in repository: RepositoryName) async throws -> [String] {
        try await reader.read { db in
            try db.rows(
                """
                SELECT t.name FROM tags t JOIN manifests m ON m.id = t.manifest_id
                WHERE m.repository_id = (\(Self.repositoryIDQuery)) AND m.digest = ? AND m.deletion_id IS NULL ORDER BY t.name
                """,
                [.text(repository.description), .digest(digest)]
            ) { row throws(MetadataError) in row.text(at: 0) }
        }
    }

    public func referrers(
        of subject: Digest, in repository: RepositoryName, artifactType: String?, after: ReferrerPage.Cursor?, limit: Int,
        annotationBudget: Int
    ) async throws -> ReferrerPage {
        try await reader.read { db in
            // Ids first, then one record at a time, so that the budget stops the reading too.
            let ids = try db.rows(
                """
                SELECT m.id FROM manifests m
                WHERE m.repository_id = (\(Self.repositoryIDQuery)) AND m.subject = ?2 AND m.deletion_id IS NULL
                AND (?3 IS NULL OR m.artifact_type = ?3) AND (?4 IS NULL OR (m.created, m.digest) > (?4, ?5))
                ORDER BY m.created, m.digest LIMIT ?6
                """,
                [.text(repository.description), .digest(subject), .optionalText(artifactType),
                 after.map { .integer($0.created) } ?? .null, after.map { .digest($0.digest) } ?? .null,
                 .integer(Int64(clamping: limit) &+ 1)]
            ) { $0.integer(at: 0) }
            var page = ReferrerPage(records: [], next: nil)
            var bytes = 0
            for id in ids.prefix(limit) {
                guard let record = try Self.manifests("WHERE m.id = ?", [.integer(id)], db).first else { continue }
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
        try await writer.write(durable: false) { db in
            _ = try db.run("INSERT INTO uploads (id, repository) VALUES (?, ?)", [.text(id), .text(repository.description)])
        }
    }

    public func uploadRepository(id: String) async throws -> RepositoryName? {
        try await reader.read { db in
            try db.firstRow("SELECT repository FROM uploads WHERE id = ?", [.text(id)]) { row throws(MetadataError) in
                try row.repositoryName(at: 0)
            }
        }
    }

    public func deleteUpload(id: String) async throws -> Bool {
        try await writer.write { db in try db.run("DELETE FROM uploads WHERE id = ?", [.text(id)]) > 0 }
    }

    public func finishUpload(id: String, linking digest: Digest, size: UInt64, in repository: RepositoryName) async throws {
        try await writer.write { db in
            try Self.link(digest, size: size, into: Self.createRepository(repository, db), db)
            try db.run("DELETE FROM uploads WHERE id = ?", [.text(id)])
        }
    }

    public func uploads() async throws -> [(id: String, repository: RepositoryName)] {
        try await reader.read { db in
            try db.rows("SELECT id, repository FROM uploads ORDER BY created, id") { row throws(MetadataError) in
                (id: row.text(at: 0), repository: try row.repositoryName(at: 1))
            }
        }
    }

    // MARK: Statements shared by several methods; run on the writer's or the reader's queue

    /// The repository id for the name bound to parameter 1, as a subquery.
    static let repositoryIDQuery = "SELECT id FROM repositories WHERE name = ?1"

    static func repositoryID(_ repository: RepositoryName, _ db: SQLiteConnection) throws(MetadataError) -> Int64? {
        try db.firstRow(repositoryIDQuery, [.text(repository.description)]) { $0.integer(at: 0) }
    }

    private static func createRepository(_ repository: RepositoryName, _ db: SQLiteConnection) throws(MetadataError)
        -> Int64
    {
        if let id = try repositoryID(repository, db) { return id }
        try db.run("INSERT INTO repositories (name) VALUES (?)", [.text(repository.description)])
        return db.lastInsertedRowID
    }

    static func link(_ digest: Digest, size: UInt64, into repositoryID: Int64, _ db: SQLiteConnection)
        throws(MetadataError)
    {
        try db.run(
            "INSERT INTO blob_links (repository_id, digest, size) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            [.integer(repositoryID), .digest(digest), .size(size)]
        )
    }

    @discardableResult
    static func unlink(_ digest: Digest, from repository: RepositoryName, _ db: SQLiteConnection)
        throws(MetadataError) -> Bool
    {
        try db.run(
            "DELETE FROM blob_links WHERE repository_id = (\(repositoryIDQuery)) AND digest = ?",
            [.text(repository.description), .digest(digest)]
        ) > 0
    }

    static func isLinked(_ digest: Digest, in repositoryID: Int64, _ db: SQLiteConnection) throws(MetadataError) -> Bool {
        try db.firstRow(
            "SELECT 1 FROM blob_links WHERE repository_id = ? AND digest = ?", [.integer(repositoryID), .digest(digest)]
        ) { _ in true } ?? false
    }

    static func liveManifestID(_ digest: Digest, in repositoryID: Int64, _ db: SQLiteConnection) throws(MetadataError) -> Int64? {
        try db.firstRow(
            "SELECT id FROM manifests WHERE repository_id = ? AND digest = ? AND deletion_id IS NULL",
            [.integer(repositoryID), .digest(digest)]
        ) { $0.integer(at: 0) }
    }

    /// Inserts the manifest and its references unless the repository has it already; either way
    /// returns its row id. Pushing a deleted version again brings it back as it is now: its
    /// deletion no longer applies to it.
    private static func insertManifest(_ record: ManifestRecord, into repositoryID: Int64, _ db: SQLiteConnection)
        throws(MetadataError) -> Int64
    {
        if let id = try db.firstRow(
            "SELECT id FROM manifests WHERE repository_id = ? AND digest = ?",
            [.integer(repositoryID), .digest(record.digest)],
            { $0.integer(at: 0) }
        ) {
            try db.run("DELETE FROM deleted_tags WHERE manifest_id = ?", [.integer(id)])
            try db.run("UPDATE manifests SET deletion_id = NULL WHERE id = ?", [.integer(id)])
            return id
        }
        try db.run(
            """
            INSERT INTO manifests (repository_id, digest, media_type, size, artifact_type, subject, created, platforms)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .integer(repositoryID), .digest(record.digest), .text(record.mediaType), .size(record.size),
                .optionalText(record.artifactType), .digest(record.subject), .integer(record.created),
                .text(record.platforms.joined(separator: ",")),
            ]
        )
        let id = db.lastInsertedRowID
        for (table, digests) in [("manifest_blobs", record.blobs), ("manifest_children", record.children)] {
            for (position, digest) in digests.enumerated() {
                try db.run(
                    "INSERT INTO \(table) (manifest_id, position, digest) VALUES (?, ?, ?)",
                    [.integer(id), .integer(Int64(position)), .digest(digest)]
                )
            }
        }
        for (key, value) in record.annotations ?? [:] {
            try db.run(
                "INSERT INTO manifest_annotations (manifest_id, key, value) VALUES (?, ?, ?)",
                [.integer(id), .text(key), .text(value)]
            )
        }
        return id
    }

    /// Manifests of `manifests m` selected by `clause`, with their references.
    static func manifests(_ clause: String, _ values: [SQLiteValue], _ db: SQLiteConnection)
        throws(MetadataError) -> [ManifestRecord]
    {
        let rows = try db.rows(
            "SELECT m.id, m.digest, m.media_type, m.size, m.artifact_type, m.subject, m.created, m.platforms FROM manifests m \(clause)",
            values
        ) { row throws(MetadataError) in
            (
                id: row.integer(at: 0),
                record: ManifestRecord(
                    digest: try row.digest(at: 1), mediaType: row.text(at: 2),
                    size: UInt64(bitPattern: row.integer(at: 3)), artifactType: row.optionalText(at: 4),
                    subject: try row.optionalText(at: 5).map { (text) throws(MetadataError) in try parseDigest(text) },
                    created: row.integer(at: 6), platforms: Self.platforms(row.text(at: 7))
                )
            )
        }
        return try rows.map { row throws(MetadataError) in
            var record = row.record
            let byID: [SQLiteValue] = [.integer(row.id)]
            record.blobs = try db.rows("SELECT digest FROM manifest_blobs WHERE manifest_id = ? ORDER BY position", byID) {
                row throws(MetadataError) in try row.digest(at: 0)
            }
            record.children = try db.rows(
                "SELECT digest FROM manifest_children WHERE manifest_id = ? ORDER BY position", byID
            ) { row throws(MetadataError) in try row.digest(at: 0) }
            let annotations = try db.rows("SELECT key, value FROM manifest_annotations WHERE manifest_id = ?", byID) {
                row throws(MetadataError) in (row.text(at: 0), row.text(at: 1))
            }
            record.annotations = annotations.isEmpty ? nil : Dictionary(uniqueKeysWithValues: annotations)
            return record
        }
    }

    static func platforms(_ column: String) -> [String] {
        column.isEmpty ? [] : column.split(separator: ",").map(String.init)
    }

    static func parseDigest(_ text: String) throws(MetadataError) -> Digest {
        guard let digest = Digest(text) else { throw .corruptValue("digest '\(text)'") }
        return digest
    }
}

extension SQLiteStatement {
    func digest(at column: Int32) throws(MetadataError) -> Digest {
        try SQLiteMetadataStore.parseDigest(text(at: column))
    }

    func repositoryName(at column: Int32) throws(MetadataError) -> RepositoryName {
        let text = text(at: column)
        guard let name = try? RepositoryName(parsing: text) else { throw .corruptValue("repository name '\(text)'") }
        return name
    }
}
