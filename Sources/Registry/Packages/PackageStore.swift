import BlobStore

/// Packages (repositories) and their versions as their owners manage them: listing, deleting,
/// restoring within the restore window, and retention policies. Deleting hides at once; the
/// rows stay, and keep their blobs alive, until garbage collection purges them after the window.
///
/// A version is a manifest that no other live manifest of the package names as an index child.
/// Deleting one also deletes its index children that no other live index shares, and the
/// manifests that refer to it (signatures, SBOMs): they are restored with it.
public struct PackageStore: Sendable {
    let database: any Database

    public init(database: any Database) {
        self.database = database
    }

    /// Live packages, or the deleted ones still restorable, of one owner or of everyone.
    public func packages(owner: String?, deleted: Bool) async throws -> [PackageSummary] {
        try await database.scan { db in
            let sql = deleted
                ? """
                SELECT d.name, r.created, d.deleted, r.id FROM deletions d JOIN repositories r ON r.deletion_id = d.id
                WHERE CAST(?1 AS TEXT) IS NULL OR substr(d.name, 1, length(?1) + 1) = ?1 || '/' ORDER BY d.name, d.id
                """
                : """
                SELECT r.name, r.created, NULL, r.id FROM repositories r
                WHERE r.deletion_id IS NULL AND (CAST(?1 AS TEXT) IS NULL OR substr(r.name, 1, length(?1) + 1) = ?1 || '/') ORDER BY r.name
                """
            let rows = try await db.rows(sql, [.optionalText(owner)]) { row in
                (name: row.text(at: 0), created: row.integer(at: 1), deleted: row.optionalInteger(at: 2), id: row.integer(at: 3))
            }
            var summaries: [PackageSummary] = []
            for row in rows {
                summaries.append(try await Self.summary(of: row.id, name: row.name, created: row.created, deleted: row.deleted, db))
            }
            return summaries
        }
    }

    /// The package's live versions, or its deleted ones, newest first.
    public func versions(of package: RepositoryName, deleted: Bool) async throws -> [PackageVersion] {
        try await database.scan { db in
            guard let repositoryID = try await MetadataRows.repositoryID(package, db) else { throw PackageError.packageUnknown(package.description) }
            return try await Self.versionRows(of: repositoryID, deleted: deleted, db).map(\.value)
        }
    }

    public func deletePackage(_ package: RepositoryName, now: Int64) async throws {
        try await database.write { db in
            guard let repositoryID = try await MetadataRows.repositoryID(package, db) else { throw PackageError.packageUnknown(package.description) }
            let deletionID = try await db.firstRow(
                "INSERT INTO deletions (repository_id, kind, name, deleted) VALUES (?, 'package', ?, ?) RETURNING id",
                [.integer(repositoryID), .text(package.description), .integer(now)]
            ) { $0.integer(at: 0) } ?? 0
            try await db.run(
                "UPDATE repositories SET name = '~' || id, deletion_id = ? WHERE id = ?",
                [.integer(deletionID), .integer(repositoryID)])
        }
    }

    /// Returns whether a live version with that digest existed. The OCI DELETE of a manifest
    /// by digest comes here too.
    public func deleteVersion(_ digest: Digest, in package: RepositoryName, now: Int64) async throws -> Bool {
        try await database.write { db in
            guard let repositoryID = try await MetadataRows.repositoryID(package, db),
                  let manifestID = try await MetadataRows.liveManifestID(digest, in: repositoryID, db)
            else { return false }
            try await Self.deleteVersion(manifestID, digest: digest, in: repositoryID, name: package.description, now: now, db)
            return true
        }
    }

    /// Fails with `PackageError` if nothing is deleted under that name, the window has passed,
    /// or the name has been reused.
    public func restorePackage(_ package: RepositoryName, now: Int64, window: Int64) async throws {
        try await database.write { db in
            let name = package.description
            guard let (deletionID, deleted, repositoryID) = try await db.firstRow(
                """
                SELECT d.id, d.deleted, r.id FROM deletions d JOIN repositories r ON r.deletion_id = d.id
                WHERE d.kind = 'package' AND d.name = ? ORDER BY d.id DESC LIMIT 1
                """, [.text(name)], { ($0.integer(at: 0), $0.integer(at: 1), $0.integer(at: 2)) })
            else {
                throw try await MetadataRows.repositoryID(package, db) == nil ? PackageError.packageUnknown(name) : PackageError.notDeleted(name)
            }
            guard deleted >= now - window else { throw PackageError.restoreWindowPassed(name) }
            guard try await MetadataRows.repositoryID(package, db) == nil else { throw PackageError.nameReused(name) }
            try await db.run("UPDATE repositories SET name = ?, deletion_id = NULL WHERE id = ?", [.text(name), .integer(repositoryID)])
            try await db.run("DELETE FROM deletions WHERE id = ?", [.integer(deletionID)])
        }
    }

    /// Fails with `PackageError` if the version is not deleted, its package is, the window has
    /// passed, or one of its tags now names another manifest.
    public func restoreVersion(_ digest: Digest, in package: RepositoryName, now: Int64, window: Int64) async throws {
        try await database.write { db in
            let name = package.description
            guard let repositoryID = try await MetadataRows.repositoryID(package, db) else {
                let deleted = try await db.firstRow(
                    "SELECT 1 FROM deletions WHERE kind = 'package' AND name = ?", [.text(name)]) { _ in true } ?? false
                throw deleted ? PackageError.packageDeleted(name) : PackageError.packageUnknown(name)
            }
            guard let (deletionID, deleted) = try await db.firstRow(
                """
                SELECT d.id, d.deleted FROM deletions d JOIN manifests m ON m.deletion_id = d.id AND m.digest = d.digest
                WHERE d.repository_id = ? AND d.kind = 'version' AND d.digest = ? ORDER BY d.id DESC LIMIT 1
                """, [.integer(repositoryID), .digest(digest)], { ($0.integer(at: 0), $0.integer(at: 1)) })
            else {
                throw try await MetadataRows.liveManifestID(digest, in: repositoryID, db) == nil
                    ? PackageError.versionUnknown(digest.description) : PackageError.notDeleted(digest.description)
            }
            guard deleted >= now - window else { throw PackageError.restoreWindowPassed(digest.description) }
            if let reused = try await db.firstRow(
                """
                SELECT dt.name FROM deleted_tags dt JOIN tags t ON t.repository_id = ? AND t.name = dt.name
                WHERE dt.deletion_id = ? ORDER BY dt.name LIMIT 1
                """, [.integer(repositoryID), .integer(deletionID)], { $0.text(at: 0) })
            {
                throw PackageError.tagReused(reused)
            }
            let deletion: [DatabaseValue] = [.integer(deletionID)]
            try await db.run(
                """
                INSERT INTO blob_links (repository_id, digest, size)
                SELECT repository_id, digest, size FROM manifests WHERE deletion_id = ? ON CONFLICT DO NOTHING
                """, deletion)
            try await db.run(
                "INSERT INTO tags (repository_id, name, manifest_id) SELECT ?, name, manifest_id FROM deleted_tags WHERE deletion_id = ?",
                [.integer(repositoryID), .integer(deletionID)])
            try await db.run("UPDATE manifests SET deletion_id = NULL WHERE deletion_id = ?", deletion)
            try await db.run("DELETE FROM deletions WHERE id = ?", deletion)
        }
    }

    // MARK: Retention

    public func retentionPolicies() async throws -> [RetentionPolicy] {
        try await database.scan { db in try await Self.retentionPolicies(db) }
    }

    /// Sets the policy of its scope, replacing any; a policy with no rule removes it.
    public func setRetentionPolicy(_ policy: RetentionPolicy) async throws {
        try policy.validate()
        guard (try? RepositoryName(parsing: policy.scope)) != nil else {
            throw PackageError.invalidPolicy("'\(policy.scope)' is neither an owner nor a package name")
        }
        try await database.write { db in
            guard !policy.isEmpty else {
                try await db.run("DELETE FROM retention_policies WHERE scope = ?", [.text(policy.scope)])
                return
            }
            try await db.run(
                """
                INSERT INTO retention_policies (scope, untagged_days, keep_last, updated) VALUES (?, ?, ?, ?)
                ON CONFLICT (scope) DO UPDATE SET untagged_days = excluded.untagged_days, keep_last = excluded.keep_last,
                updated = excluded.updated
                """,
                [.text(policy.scope), .optionalInteger(policy.untaggedDays), .optionalInteger(policy.keepLast),
                 .integer(UnixTime.now())])
        }
    }

    /// Deletes (restorably) what the policies say is no longer wanted; with `dryRun`, only
    /// lists it.
    public func applyRetention(now: Int64, dryRun: Bool) async throws -> [RetainedVersion] {
        // Chosen in the transaction that deletes, so a tag added meanwhile saves its version.
        let body: @Sendable (any DatabaseSession) async throws -> [RetainedVersion] = { db in
            let chosen = try await Self.retentionCandidates(now: now, db)
            if !dryRun {
                for candidate in chosen {
                    guard let manifestID = try await MetadataRows.liveManifestID(candidate.digest, in: candidate.repositoryID, db) else { continue }
                    try await Self.deleteVersion(
                        manifestID, digest: candidate.digest, in: candidate.repositoryID, name: candidate.version.package, now: now, db)
                }
            }
            return chosen.map(\.version)
        }
        return dryRun ? try await database.scan(body) : try await database.write(body)
    }

    // MARK: Statements; run inside a Database call

    /// Soft-deletes the version and what goes with it: index children no other live manifest
    /// names, and referrers, recursively. Their tags are kept aside for a restore.
    static func deleteVersion(
        _ manifestID: Int64, digest: Digest, in repositoryID: Int64, name: String, now: Int64, _ db: any DatabaseSession
    ) async throws {
        let deletionID = try await db.firstRow(
            "INSERT INTO deletions (repository_id, kind, name, digest, deleted) VALUES (?, 'version', ?, ?, ?) RETURNING id",
            [.integer(repositoryID), .text(name), .digest(digest), .integer(now)]
        ) { $0.integer(at: 0) } ?? 0
        var doomed: Set<Int64> = [manifestID]
        var frontier = [manifestID]
        while let id = frontier.popLast() {
            let dependents = try await db.rows(
                """
                SELECT c.id FROM manifest_children mc JOIN manifests c ON c.repository_id = ?1 AND c.digest = mc.digest
                WHERE mc.manifest_id = ?2 AND c.deletion_id IS NULL
                UNION SELECT r.id FROM manifests r JOIN manifests s ON s.id = ?2
                WHERE r.repository_id = ?1 AND r.subject = s.digest AND r.deletion_id IS NULL
                """, [.integer(repositoryID), .integer(id)]) { $0.integer(at: 0) }
            for dependent in dependents where !doomed.contains(dependent) {
                let parents = try await db.rows(
                    """
                    SELECT p.id FROM manifests c JOIN manifest_children mc ON mc.digest = c.digest
                    JOIN manifests p ON p.id = mc.manifest_id AND p.repository_id = c.repository_id AND p.deletion_id IS NULL
                    WHERE c.id = ?
                    """, [.integer(dependent)]) { $0.integer(at: 0) }
                guard parents.allSatisfy(doomed.contains) else { continue }
                doomed.insert(dependent)
                frontier.append(dependent)
            }
        }
        for id in doomed {
            let values: [DatabaseValue] = [.integer(deletionID), .integer(id)]
            try await db.run("INSERT INTO deleted_tags (deletion_id, manifest_id, name) SELECT ?1, manifest_id, name FROM tags WHERE manifest_id = ?2", values)
            try await db.run("DELETE FROM tags WHERE manifest_id = ?", [.integer(id)])
            try await db.run("UPDATE manifests SET deletion_id = ?1 WHERE id = ?2", values)
            try await db.run(
                "DELETE FROM blob_links WHERE repository_id = ? AND digest = (SELECT digest FROM manifests WHERE id = ?)",
                [.integer(repositoryID), .integer(id)])
        }
    }

    /// The counts and sizes of a listing, for the repository `repositoryID`.
    static func summary(of repositoryID: Int64, name: String, created: Int64, deleted: Int64?, _ db: any DatabaseSession) async throws
        -> PackageSummary
    {
        let id: [DatabaseValue] = [.integer(repositoryID)]
        // One pass over the versions, and the tagged and pulled ones found from their tags and
        // pull counts: a package of thousands of untagged, unpulled builds costs one scan.
        let versions = try await db.firstRow(
            "SELECT count(*), max(m.created) FROM manifests m WHERE m.repository_id = ? AND \(liveVersion)", id
        ) { (count: $0.integer(at: 0), published: $0.optionalInteger(at: 1)) }
        let tagged = try await db.firstRow(
            """
            SELECT count(DISTINCT t.manifest_id) FROM tags t JOIN manifests m ON m.id = t.manifest_id
            WHERE t.repository_id = ? AND \(liveVersion)
            """, id) { $0.integer(at: 0) } ?? 0
        let pulls = try await db.firstRow(
            """
            SELECT CAST(coalesce(sum(p.count), 0) AS BIGINT) FROM pull_counts p JOIN manifests m ON m.id = p.manifest_id
            WHERE p.repository_id = ? AND \(liveVersion)
            """, id) { $0.integer(at: 0) } ?? 0
        return PackageSummary(
            name: name, versions: Int(versions?.count ?? 0), taggedVersions: Int(tagged),
            tags: Int(try await db.firstRow("SELECT count(*) FROM tags WHERE repository_id = ?", id) { $0.integer(at: 0) } ?? 0),
            size: UInt64(try await db.firstRow(
                "SELECT CAST(coalesce(sum(size), 0) AS BIGINT) FROM blob_links WHERE repository_id = ?", id) { $0.integer(at: 0) } ?? 0),
            created: created, deleted: deleted, published: versions?.published, pulls: pulls)
    }

    /// A live manifest of `m`'s repository that no live manifest of it names as an index child:
    /// a version.
    static let liveVersion = """
        m.deletion_id IS NULL AND NOT EXISTS (SELECT 1 FROM manifest_children mc JOIN manifests p ON p.id = mc.manifest_id
        WHERE mc.digest = m.digest AND p.repository_id = m.repository_id AND p.deletion_id IS NULL)
        """

    struct VersionRow: Sendable {
        let id: Int64
        var value: PackageVersion
    }

    /// The package's versions: live manifests no live manifest names as a child (with
    /// `children`, those too), or the tops of its version deletions; newest first. `also`
    /// narrows them further (a condition on `m`, whose `?` take `values`); `limit` and `offset`
    /// take a page. Each comes with its tags, size and pulls, read for all of them at once: a
    /// page costs a few statements, not a few per version.
    static func versionRows(
        of repositoryID: Int64, deleted: Bool, children: Bool = false, also: String = "1 = 1", values: [DatabaseValue] = [],
        limit: Int = -1, offset: Int = 0, _ db: any DatabaseSession
    ) async throws -> [VersionRow] {
        let filter = deleted ? "d.kind = 'version' AND d.digest = m.digest" : children ? "m.deletion_id IS NULL" : liveVersion
        var deletions: [Int64: Int64] = [:]
        var sizes: [Int64: UInt64] = [:]
        var versions = try await db.rows(
            """
            SELECT m.id, m.digest, m.media_type, m.artifact_type, m.subject, m.created, m.platforms, d.deleted, d.id,
            CAST((SELECT coalesce(sum(p.count), 0) FROM pull_counts p WHERE p.manifest_id = m.id) AS BIGINT), m.size
            FROM manifests m LEFT JOIN deletions d ON d.id = m.deletion_id
            WHERE m.repository_id = ? AND \(filter) AND \(also) ORDER BY m.created DESC, m.id DESC
            LIMIT \(limit < 0 ? Int64.max : Int64(limit)) OFFSET \(max(offset, 0))
            """, [.integer(repositoryID)] + values
        ) { row in
            let id = row.integer(at: 0)
            deletions[id] = row.optionalInteger(at: 8)
            sizes[id] = UInt64(row.integer(at: 10))
            return VersionRow(id: id, value: PackageVersion(
                digest: row.text(at: 1), mediaType: row.text(at: 2), artifactType: row.optionalText(at: 3),
                subject: row.optionalText(at: 4), tags: [], size: 0, created: row.integer(at: 5),
                platforms: MetadataRows.platforms(row.text(at: 6)), deleted: row.optionalInteger(at: 7), pulls: row.integer(at: 9)))
        }
        let ids = versions.map(\.id)
        // A live version's tags, or those its deletion kept aside.
        var tags: [Int64: [String]] = [:]
        for chunk in MetadataRows.chunks(ids) {
            let list = MetadataRows.placeholders(chunk.count)
            let sql = deleted
                ? "SELECT manifest_id, name, deletion_id FROM deleted_tags WHERE manifest_id IN (\(list)) ORDER BY name"
                : "SELECT manifest_id, name, NULL FROM tags WHERE manifest_id IN (\(list)) ORDER BY name"
            try await db.forEachRow(sql, chunk.map { .integer($0) }) { row in
                let id = row.integer(at: 0)
                if row.optionalInteger(at: 2) == deletions[id] ?? nil { tags[id, default: []].append(row.text(at: 1)) }
            }
        }
        let total = try await versionSizes(ids, own: sizes, in: repositoryID, db)
        for index in versions.indices {
            versions[index].value.tags = tags[versions[index].id] ?? []
            versions[index].value.size = total[versions[index].id] ?? 0
        }
        return versions
    }

    /// Each manifest's size with its index children's and the distinct blobs they all name
    /// (blobs shared by two platforms count once); `own` holds the manifests' own sizes.
    static func versionSizes(_ ids: [Int64], own: [Int64: UInt64], in repositoryID: Int64, _ db: any DatabaseSession) async throws
        -> [Int64: UInt64]
    {
        var parts: [Int64: [Int64]] = Dictionary(uniqueKeysWithValues: ids.map { ($0, [$0]) })
        var partSizes = own
        for chunk in MetadataRows.chunks(ids) {
            try await db.forEachRow(
                """
                SELECT mc.manifest_id, c.id, c.size FROM manifest_children mc
                JOIN manifests c ON c.repository_id = ? AND c.digest = mc.digest WHERE mc.manifest_id IN (\(MetadataRows.placeholders(chunk.count)))
                """, [.integer(repositoryID)] + chunk.map { .integer($0) }
            ) { row in
                let child = row.integer(at: 1)
                if parts[row.integer(at: 0)]?.contains(child) == false { parts[row.integer(at: 0)]?.append(child) }
                partSizes[child] = UInt64(row.integer(at: 2))
            }
        }
        var blobs: [Int64: [(digest: String, size: UInt64)]] = [:]
        for chunk in MetadataRows.chunks(Array(Set(parts.values.joined()))) {
            try await db.forEachRow(
                """
                SELECT mb.manifest_id, mb.digest, b.size FROM manifest_blobs mb
                JOIN blob_links b ON b.repository_id = ? AND b.digest = mb.digest WHERE mb.manifest_id IN (\(MetadataRows.placeholders(chunk.count)))
                """, [.integer(repositoryID)] + chunk.map { .integer($0) }
            ) { row in blobs[row.integer(at: 0), default: []].append((row.text(at: 1), UInt64(row.integer(at: 2)))) }
        }
        return parts.mapValues { members in
            var seen = Set<String>()
            let blobBytes = members.flatMap { blobs[$0] ?? [] }.filter { seen.insert($0.digest).inserted }.reduce(0) { $0 + $1.size }
            return members.reduce(blobBytes) { $0 + (partSizes[$1] ?? 0) }
        }
    }

    static func retentionPolicies(_ db: any DatabaseSession) async throws -> [RetentionPolicy] {
        try await db.rows("SELECT scope, untagged_days, keep_last FROM retention_policies ORDER BY scope") { row in
            RetentionPolicy(
                scope: row.text(at: 0), untaggedDays: row.optionalInteger(at: 1).map(Int.init),
                keepLast: row.optionalInteger(at: 2).map(Int.init))
        }
    }

    struct RetentionCandidate {
        let repositoryID: Int64
        let digest: Digest
        let version: RetainedVersion
    }

    /// What the policies delete now: per live package, under its own policy or else its owner's.
    static func retentionCandidates(now: Int64, _ db: any DatabaseSession) async throws -> [RetentionCandidate] {
        let policies = Dictionary(try await retentionPolicies(db).map { ($0.scope, $0) }, uniquingKeysWith: { $1 })
        guard !policies.isEmpty else { return [] }
        let packages = try await db.rows("SELECT id, name FROM repositories WHERE deletion_id IS NULL ORDER BY name") {
            ($0.integer(at: 0), $0.text(at: 1))
        }
        var candidates: [RetentionCandidate] = []
        for (repositoryID, name) in packages {
            let owner = String(name.prefix { $0 != "/" })
            guard let policy = policies[name] ?? policies[owner] else { continue }
            // Versions that refer to a live subject stay with it; they are not counted.
            var versions: [VersionRow] = []
            for version in try await versionRows(of: repositoryID, deleted: false, db) {
                if let subject = version.value.subject.flatMap(Digest.init),
                    try await MetadataRows.liveManifestID(subject, in: repositoryID, db) != nil
                {
                    continue
                }
                versions.append(version)
            }
            var chosen: [(VersionRow, String)] = []
            if let keep = policy.keepLast {
                chosen += versions.dropFirst(max(keep, 0)).map { ($0, "keep the last \(keep) versions") }
            }
            if let days = policy.untaggedDays, let cutoff = policy.untaggedCutoff(now: now) {
                for version in versions where version.value.tags.isEmpty && version.value.created < cutoff
                    && !chosen.contains(where: { $0.0.id == version.id })
                {
                    chosen.append((version, "delete untagged versions older than \(days) days"))
                }
            }
            for (version, rule) in chosen {
                guard let digest = Digest(version.value.digest) else { continue }
                candidates.append(RetentionCandidate(
                    repositoryID: repositoryID, digest: digest,
                    version: RetainedVersion(package: name, digest: version.value.digest, rule: rule)))
            }
        }
        return candidates
    }
}

/// A version deleted, or to be deleted, by a retention policy.
public struct RetainedVersion: Sendable, Equatable, Codable {
    public var package: String
    public var digest: String
    public var rule: String
}
