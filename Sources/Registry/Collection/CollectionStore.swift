import BlobStore

/// What garbage collection asks of the metadata: its marks, and a durable record of the blobs
/// it has condemned, so that the grace period survives a restart and every node sees it.
/// Queries over the tables of migrations 1 and 3 (docs/FORMAT.md).
public struct CollectionStore: Sendable {
    let database: any Database

    public init(database: any Database) {
        self.database = database
    }

    /// Deletes for good the packages and versions deleted before `cutoff`, whose restore window
    /// has passed; with `dryRun`, only lists them.
    public func purgeDeletions(before cutoff: Int64, dryRun: Bool) async throws -> [PurgedDeletion] {
        let body: @Sendable (any DatabaseSession) async throws -> [PurgedDeletion] = { db in
            let expired = try await db.rows(
                "SELECT id, kind, name, digest, deleted, repository_id FROM deletions WHERE deleted < ? ORDER BY id",
                [.integer(cutoff)]
            ) { row in
                (id: row.integer(at: 0), isPackage: row.text(at: 1) == "package", repositoryID: row.integer(at: 5),
                 purged: PurgedDeletion(package: row.text(at: 2), digest: row.optionalText(at: 3), deleted: row.integer(at: 4)))
            }
            if !dryRun {
                for deletion in expired {
                    // A package takes everything in it along (ON DELETE CASCADE), its version
                    // deletions included; a version takes its manifests' references and tags.
                    if deletion.isPackage {
                        try await db.run("DELETE FROM repositories WHERE id = ?", [.integer(deletion.repositoryID)])
                    } else {
                        try await db.run("DELETE FROM manifests WHERE deletion_id = ?", [.integer(deletion.id)])
                        try await db.run("DELETE FROM deletions WHERE id = ?", [.integer(deletion.id)])
                    }
                }
            }
            return expired.map(\.purged)
        }
        return dryRun ? try await database.scan(body) : try await database.write(body)
    }

    /// The digests collection keeps: every manifest still recorded (live, or deleted at or
    /// after `deletedAfter`), the blobs and index children those name, and blobs linked into a
    /// repository at or after `linkedAfter` (a push whose manifest has not arrived yet).
    public func markedBlobs(linkedAfter: Int64, deletedAfter: Int64) async throws -> Set<Digest> {
        try await database.scan { db in
            var marked = Set<Digest>()
            try await db.forEachRow(
                """
                WITH kept(id, digest) AS (
                    SELECT m.id, m.digest FROM manifests m JOIN repositories r ON r.id = m.repository_id
                    LEFT JOIN deletions d ON d.id = m.deletion_id LEFT JOIN deletions p ON p.id = r.deletion_id
                    WHERE coalesce(d.deleted, ?1) >= ?1 AND coalesce(p.deleted, ?1) >= ?1
                )
                SELECT digest FROM kept
                UNION SELECT mb.digest FROM manifest_blobs mb JOIN kept ON kept.id = mb.manifest_id
                UNION SELECT mc.digest FROM manifest_children mc JOIN kept ON kept.id = mc.manifest_id
                UNION SELECT digest FROM blob_links WHERE created >= ?2
                """, [.integer(deletedAfter), .integer(linkedAfter)]
            ) { row in marked.insert(try row.digest(at: 0)) }
            return marked
        }
    }

    /// Condemned blobs and when each was condemned.
    public func condemnedBlobs() async throws -> [Digest: Int64] {
        try await database.scan { db in
            var condemned: [Digest: Int64] = [:]
            try await db.forEachRow("SELECT digest, condemned FROM condemned_blobs") { row in
                condemned[try row.digest(at: 0)] = row.integer(at: 1)
            }
            return condemned
        }
    }

    public func condemn(_ digests: [Digest], at time: Int64) async throws {
        try await database.write { db in
            for digest in digests {
                try await db.run(
                    "INSERT INTO condemned_blobs (digest, condemned) VALUES (?, ?) ON CONFLICT DO NOTHING",
                    [.digest(digest), .integer(time)])
            }
        }
    }

    public func revive(_ digests: [Digest]) async throws {
        try await database.write { db in try await MetadataRows.revive(digests, db) }
    }

    /// In one transaction: of `digests`, those still condemned since before `condemnedBefore`
    /// and still unmarked (see `markedBlobs`) are unlinked from every repository and marked as
    /// being swept since `now`; returns them. The others are revived. `endSweep` forgets them once
    /// the engine has dropped their bytes; until then a touch on any node waits.
    public func sweep(_ digests: [Digest], condemnedBefore: Int64, linkedAfter: Int64, now: Int64) async throws -> [Digest] {
        // On PostgreSQL a few digests a transaction: a serializable transaction that reads the
        // marks of a whole batch conflicts with nearly every push meanwhile, and would run again
        // and again. Each digest's check and unlinking still share one transaction.
        let size = database.dialect == .postgres ? 16 : max(digests.count, 1)
        var swept: [Digest] = []
        for chunk in MetadataRows.chunks(digests, size: size) {
            swept += try await sweepTransaction(Array(chunk), condemnedBefore: condemnedBefore, linkedAfter: linkedAfter, now: now)
        }
        return swept
    }

    private func sweepTransaction(_ digests: [Digest], condemnedBefore: Int64, linkedAfter: Int64, now: Int64) async throws
        -> [Digest]
    {
        try await database.write { db in
            var swept: [Digest] = []
            for digest in digests {
                guard try await db.run(
                    "UPDATE condemned_blobs SET sweeping = ? WHERE digest = ? AND condemned < ? AND sweeping IS NULL",
                    [.integer(now), .digest(digest), .integer(condemnedBefore)]
                ) == 1 else { continue }
                let marked = try await db.firstRow(
                    """
                    SELECT EXISTS (SELECT 1 FROM manifests WHERE digest = ?1)
                        OR EXISTS (SELECT 1 FROM manifest_blobs WHERE digest = ?1)
                        OR EXISTS (SELECT 1 FROM manifest_children WHERE digest = ?1)
                        OR EXISTS (SELECT 1 FROM blob_links WHERE digest = ?1 AND created >= ?2)
                    """, [.digest(digest), .integer(linkedAfter)]) { $0.integer(at: 0) != 0 } ?? true
                guard !marked else {
                    try await db.run("DELETE FROM condemned_blobs WHERE digest = ?", [.digest(digest)])
                    continue
                }
                try await db.run("DELETE FROM blob_links WHERE digest = ?", [.digest(digest)])
                swept.append(digest)
            }
            return swept
        }
    }

    /// Forgets swept blobs once the engine has dropped them (or the sweep failed).
    public func endSweep(_ digests: [Digest]) async throws {
        try await database.write { db in
            for chunk in MetadataRows.chunks(digests) {
                try await db.run(
                    "DELETE FROM condemned_blobs WHERE sweeping IS NOT NULL AND digest IN (\(MetadataRows.placeholders(chunk.count)))",
                    chunk.map { .digest($0) })
            }
        }
    }

    /// Forgets sweeps a collector that died left behind: at the start of a run, which holds the
    /// collection lock, any is abandoned. Their blobs are unlinked and unmarked; a later run
    /// condemns them again if the engine still holds them.
    public func clearAbandonedSweeps() async throws {
        try await database.write { db in try await db.run("DELETE FROM condemned_blobs WHERE sweeping IS NOT NULL") }
    }

    /// Of `digests`, those condemned, each with the time its sweep began (nil if not being swept).
    public func condemnation(of digests: [Digest]) async throws -> [Digest: Int64?] {
        try await database.read { db in
            var states: [Digest: Int64?] = [:]
            for chunk in MetadataRows.chunks(digests) {
                try await db.forEachRow(
                    "SELECT digest, sweeping FROM condemned_blobs WHERE digest IN (\(MetadataRows.placeholders(chunk.count)))",
                    chunk.map { .digest($0) }
                ) { row in states[try row.digest(at: 0)] = .some(row.optionalInteger(at: 1)) }
            }
            return states
        }
    }

    /// The packages each digest is linked into, for reports.
    public func linkingPackages() async throws -> [Digest: [String]] {
        try await database.scan { db in
            var packages: [Digest: [String]] = [:]
            try await db.forEachRow(
                "SELECT b.digest, r.name, d.name FROM blob_links b JOIN repositories r ON r.id = b.repository_id LEFT JOIN deletions d ON d.id = r.deletion_id"
            ) { row in
                packages[try row.digest(at: 0), default: []].append(row.optionalText(at: 2) ?? row.text(at: 1))
            }
            return packages
        }
    }

    /// Gives back to the file system the pages the run's deletions freed and the space the
    /// journal grew to meanwhile.
    public func shrinkDatabase() async throws {
        try await database.shrink()
    }

    /// Returns once the request writes waiting for the database now have committed, and then
    /// once the queue has emptied or a few milliseconds have passed: a collection batch rarely
    /// shares a push's transaction, and collection still moves on under a steady load.
    public func yieldToRequests() async {
        await database.yieldToWriters()
    }

    /// How many runs `collection_runs` keeps.
    static let keptRuns = 50

    /// Records a finished run (or why it failed), for the administrator's page; the oldest
    /// records beyond `keptRuns` go.
    public func recordRun(_ run: CollectionRun) async throws {
        try await database.write(durable: false) { db in
            try await db.run(
                """
                INSERT INTO collection_runs (started, milliseconds, failure, purged, retained, condemned_blobs, deleted_blobs,
                deleted_bytes, bytes_freed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [.integer(run.started), .integer(run.milliseconds), .optionalText(run.failure), .integer(Int64(run.purged)),
                 .integer(Int64(run.retained)), .integer(Int64(run.condemnedBlobs)), .integer(Int64(run.deletedBlobs)),
                 .size(run.deletedBytes), .size(run.bytesFreed)])
            try await db.run(
                "DELETE FROM collection_runs WHERE id NOT IN (SELECT id FROM collection_runs ORDER BY id DESC LIMIT ?)",
                [.integer(Int64(Self.keptRuns))])
        }
    }

    /// The most recent runs, newest first.
    public func recentRuns(limit: Int) async throws -> [CollectionRun] {
        try await database.read { db in
            try await db.rows(
                """
                SELECT started, milliseconds, failure, purged, retained, condemned_blobs, deleted_blobs, deleted_bytes, bytes_freed
                FROM collection_runs ORDER BY id DESC LIMIT ?
                """, [.integer(Int64(limit))]
            ) { row in
                CollectionRun(
                    started: row.integer(at: 0), milliseconds: row.integer(at: 1), failure: row.optionalText(at: 2),
                    purged: Int(row.integer(at: 3)), retained: Int(row.integer(at: 4)), condemnedBlobs: Int(row.integer(at: 5)),
                    deletedBlobs: Int(row.integer(at: 6)), deletedBytes: UInt64(row.integer(at: 7)), bytesFreed: UInt64(row.integer(at: 8)))
            }
        }
    }

    /// The key of collection's lock: "gc" in ASCII.
    static let collectionLock: Int64 = 0x6763

    /// Runs a collection unless another node of the cluster runs one now (nil then).
    public func exclusively<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T? {
        try await database.exclusively(Self.collectionLock, body)
    }
}

/// A deletion whose restore window has passed.
public struct PurgedDeletion: Sendable, Equatable, Codable {
    public var package: String
    /// The version, or nil for a whole package.
    public var digest: String?
    public var deleted: Int64
}
