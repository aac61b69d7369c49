import BlobStore

/// What the package pages read: packages with their visibility, one package's counts, a page of
/// its versions, and the deletions of an owner. Every read is bounded by a page, so that a
/// package with thousands of versions answers as fast as one with ten.
public struct PackageCatalog: Sendable {
    let database: any Database

    public init(database: any Database) {
        self.database = database
    }

    /// A live package's name and visibility: what deciding who may see it needs.
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var isPublic: Bool
    }

    /// Live packages of `owner` (nil: of everyone) by name.
    public func entries(owner: String?) async throws -> [Entry] {
        try await database.scan { db in
            try await db.rows(
                """
                SELECT r.name, coalesce(v.public, 0) FROM repositories r LEFT JOIN package_visibility v ON v.repository = r.name
                WHERE r.deletion_id IS NULL AND (CAST(?1 AS TEXT) IS NULL OR substr(r.name, 1, length(?1) + 1) = ?1 || '/')
                ORDER BY r.name
                """, [.optionalText(owner)]
            ) { Entry(name: $0.text(at: 0), isPublic: $0.integer(at: 1) != 0) }
        }
    }

    /// The listings of the live packages named, in that order; names that are gone are skipped.
    public func summaries(_ names: [String]) async throws -> [PackageSummary] {
        try await database.scan { db in
            var summaries: [PackageSummary] = []
            for name in names {
                guard let (id, created) = try await Self.liveRepository(name, db) else { continue }
                summaries.append(try await PackageStore.summary(of: id, name: name, created: created, deleted: nil, db))
            }
            return summaries
        }
    }

    /// A live package's listing and visibility.
    public struct Overview: Sendable {
        public var summary: PackageSummary
        public var isPublic: Bool
    }

    public func overview(_ package: RepositoryName) async throws -> Overview? {
        try await database.scan { db in
            guard let (id, created) = try await Self.liveRepository(package.description, db) else { return nil }
            let summary = try await PackageStore.summary(of: id, name: package.description, created: created, deleted: nil, db)
            return Overview(summary: summary, isPublic: try await AccountStore.isPublic(package, db))
        }
    }

    /// Versions `offset ..< offset + limit`, newest first; `tagged` keeps only the tagged (true)
    /// or untagged (false) ones.
    public func versions(of package: RepositoryName, tagged: Bool?, offset: Int, limit: Int) async throws -> [PackageVersion] {
        try await database.scan { db in
            guard let id = try await MetadataRows.repositoryID(package, db) else { throw PackageError.packageUnknown(package.description) }
            let filter = tagged.map { $0 ? Self.tagged : "NOT " + Self.tagged } ?? "1 = 1"
            return try await PackageStore.versionRows(of: id, deleted: false, also: filter, limit: limit, offset: offset, db).map(\.value)
        }
    }

    /// The live manifest `digest` of the package as a version page shows it (it need not be a
    /// version: an index's platform manifests have pages too); nil if there is none.
    public func version(_ digest: Digest, of package: RepositoryName) async throws -> PackageVersion? {
        try await database.scan { db in
            guard let id = try await MetadataRows.repositoryID(package, db),
                  let row = try await PackageStore.versionRows(
                      of: id, deleted: false, children: true, also: "m.digest = ?", values: [.digest(digest)], limit: 1, db).first
            else { return nil }
            return row.value
        }
    }

    /// An owner's deleted packages and versions still in the database, newest deletion first.
    public func deletions(owner: String?) async throws -> [Deletion] {
        try await database.scan { db in
            // A version of a deleted package is restored with it, not on its own.
            try await db.rows(
                """
                SELECT d.name, d.digest, d.deleted,
                CASE WHEN d.kind = 'package' THEN (SELECT r.name FROM repositories r WHERE r.name = d.name) END,
                (SELECT min(dt.name) FROM deleted_tags dt JOIN tags t ON t.repository_id = d.repository_id AND t.name = dt.name
                 WHERE dt.deletion_id = d.id)
                FROM deletions d
                WHERE (CAST(?1 AS TEXT) IS NULL OR substr(d.name, 1, length(?1) + 1) = ?1 || '/')
                AND (d.kind = 'package' OR NOT EXISTS (SELECT 1 FROM repositories r WHERE r.id = d.repository_id AND r.deletion_id IS NOT NULL))
                ORDER BY d.deleted DESC, d.id DESC
                """, [.optionalText(owner)]
            ) { row in
                Deletion(
                    package: row.text(at: 0), digest: row.optionalText(at: 1), deleted: row.integer(at: 2),
                    nameReused: row.optionalText(at: 3) != nil, reusedTag: row.optionalText(at: 4))
            }
        }
    }

    /// A deleted package (`digest` nil) or version.
    public struct Deletion: Sendable, Equatable {
        public var package: String
        public var digest: String?
        public var deleted: Int64
        /// A live package has the deleted package's name now: it cannot come back.
        public var nameReused: Bool
        /// A tag of the deleted version that names another version now: it cannot come back.
        public var reusedTag: String?
    }

    /// The tags of the package's most recently pushed versions, and the versions they name.
    public func recentTags(_ package: RepositoryName, limit: Int) async throws -> [(tag: String, digest: String)] {
        try await database.read { db in
            try await db.rows(
                """
                SELECT t.name, m.digest FROM tags t JOIN manifests m ON m.id = t.manifest_id
                WHERE t.repository_id = (\(MetadataRows.repositoryIDQuery)) ORDER BY m.created DESC, m.id DESC, t.name LIMIT ?2
                """, [.text(package.description), .integer(Int64(limit))]
            ) { (tag: $0.text(at: 0), digest: $0.text(at: 1)) }
        }
    }

    /// Bytes linked into each owner's live packages, counting a blob once per owner.
    public func bytesByOwner() async throws -> [(owner: String, bytes: UInt64)] {
        try await database.scan { db in
            var sizes: [String: [String: UInt64]] = [:]
            try await db.forEachRow(
                "SELECT r.name, b.digest, b.size FROM blob_links b JOIN repositories r ON r.id = b.repository_id WHERE r.deletion_id IS NULL",
                []
            ) { row in
                let name = row.text(at: 0)
                sizes[String(name.prefix { $0 != "/" }), default: [:]][row.text(at: 1)] = UInt64(row.integer(at: 2))
            }
            return sizes.map { (owner: $0.key, bytes: $0.value.values.reduce(0, +)) }.sorted { $0.bytes > $1.bytes }
        }
    }

    /// The id and creation time of the live package `name`.
    private static func liveRepository(_ name: String, _ db: any DatabaseSession) async throws -> (id: Int64, created: Int64)? {
        try await db.firstRow("SELECT id, created FROM repositories WHERE name = ? AND deletion_id IS NULL", [.text(name)]) {
            (id: $0.integer(at: 0), created: $0.integer(at: 1))
        }
    }

    private static let tagged = "EXISTS (SELECT 1 FROM tags t WHERE t.manifest_id = m.id)"
}
